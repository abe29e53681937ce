/**
 * plainIsSafe: its shortcut for common shapes (plainIsSafeByShape) gives the answer of writing the value as plain YAML
 * and reading it back (plainIsSafeByParsing), and a value the probe cannot read as a string (an alias) is not safe.
 */
import { describe, expect, it } from 'vitest';
import { formatScalar, plainIsSafe, plainIsSafeByParsing, plainIsSafeByShape } from '../../src/compose/index.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WORD_CHARS = `${LETTERS}0123456789_./-`;

function cases(): string[] {
  const out: string[] = [];
  for (const a of LETTERS) {
    out.push(a);
    for (const b of WORD_CHARS) out.push(a + b);
    for (const b of '0-+') for (const c of '019x') out.push(a + b + c);
  }
  for (let i = 0; i < 40; i++) {
    out.push(String(i), `0${i}`, `${i}.${i}`, `${i}.0`);
    for (const l of LETTERS) out.push(`${i}${l}`);
  }
  // Every spelling of the YAML 1.1 booleans and null, and near misses.
  for (const w of ['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null']) {
    for (let mask = 0; mask < 1 << w.length; mask++) out.push([...w].map((c, i) => ((mask >> i) & 1 ? c.toUpperCase() : c)).join(''));
    out.push(`${w}s`, `${w}-x`, `${w}.x`, `x${w}`);
  }
  out.push('logging', 'max-size', 'json-file', 'pids_limit', 'e10', 'E-5', 'e+1', 'e1x', 'inf', 'nan', 'NaN', 'Infinity', 'a/b', 'a..b', 'a-');
  return out;
}

describe('plainIsSafe', () => {
  it('decides common shapes without parsing, exactly as the parse does', () => {
    let shaped = 0;
    for (const v of cases()) {
      const s = plainIsSafeByShape(v);
      if (s === undefined) continue;
      shaped++;
      expect([v, plainIsSafeByParsing(v)]).toEqual([v, s]);
      expect([v, plainIsSafeByParsing(v, true)]).toEqual([v, s]);
    }
    expect(shaped).toBeGreaterThan(3000);
  });

  it('leaves the parse to booleans, null and exponents', () => {
    for (const v of ['yes', 'On', 'NULL', 'nUll', 'e1', 'E-5', '127.0.0.1', '22:22', '${X}', '*x']) expect(plainIsSafeByShape(v)).toBeUndefined();
    expect(plainIsSafe('On')).toBe(false);
    expect(plainIsSafe('nUll')).toBe(true);
    expect(plainIsSafe('e1')).toBe(false);
    expect(plainIsSafe('10m')).toBe(true);
    expect(plainIsSafe('0.5')).toBe(false);
  });

  it('is false for an alias, which the probe cannot resolve', () => {
    expect(plainIsSafe('*x')).toBe(false);
    expect(plainIsSafe('*x', true)).toBe(false);
    expect(plainIsSafe('*x y')).toBe(false);
    expect(formatScalar('*x')).toBe('"*x"');
    expect(formatScalar('*x', 'PLAIN', true)).toBe('"*x"');
    expect(plainIsSafe('a *x')).toBe(true);
  });
});
