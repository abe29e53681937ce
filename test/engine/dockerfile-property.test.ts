/**
 * The plain-value reading of ENV, ARG and LABEL properties (src/engine/dockerfile-scan.ts, plainPropertyValue) gives
 * what dockerfile-ast's own `Property.getValue` gives, for every value the parser reads in the fixtures and the corpus
 * and for generated values full of quotes, blanks, escapes, `#` and line ends.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Property } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../support/compose-schema.js';
import { fixtureDockerfiles, generatedDockerfile, rng } from '../support/dockerfiles.js';

type GetValue = (value: string, escapeChar: string) => string;
const P = Property as unknown as { getValue: GetValue };
// Captured before the engine's parse module installs the plain reading.
const original = P.getValue;
await import('../../src/engine/parse.js');
const { DockerfileParser } = await import('dockerfile-ast');
const { plainPropertyValue, patchPropertyValue } = await import('../../src/engine/dockerfile-scan.js');

/** Every value the library reads while `text` is parsed and its properties are read, checked both ways. */
function compareParse(text: string, label: string): number {
  const installed = P.getValue;
  let n = 0;
  P.getValue = (value, escapeChar) => {
    n++;
    const theirs = original.call(Property, value, escapeChar);
    expect(installed.call(Property, value, escapeChar), `${label}: ${JSON.stringify(value)}`).toBe(theirs);
    return theirs;
  };
  try {
    for (const ins of DockerfileParser.parse(text).getInstructions()) (ins as unknown as { getProperties?(): unknown }).getProperties?.();
  } finally {
    P.getValue = installed;
  }
  return n;
}

describe('plain property values', () => {
  it('are installed by the engine', () => {
    expect(patchPropertyValue()).toBe(true);
    expect(P.getValue).not.toBe(original);
  });

  it('read like the library on generated values', () => {
    const r = rng(5);
    const chars = ['a', 'b', ' ', '\t', '"', "'", '\\', '`', '#', '=', '$', '\n', '\r', '\r\n'];
    let plain = 0;
    for (let k = 0; k < 20000; k++) {
      let v = '';
      const len = Math.floor(r() * 8);
      for (let j = 0; j < len; j++) v += chars[Math.floor(r() * chars.length)];
      for (const esc of ['\\', '`']) {
        expect(P.getValue(v, esc), `${JSON.stringify(v)} ${esc}`).toBe(original.call(Property, v, esc));
        if (plainPropertyValue(v, esc) !== undefined) plain++;
      }
    }
    expect(plain).toBeGreaterThan(1000);
  });

  it('read like the library on generated Dockerfiles and every fixture', () => {
    let n = 0;
    for (let seed = 1; seed <= 2000; seed++) n += compareParse(`ENV ${generatedDockerfile(seed)}`, `seed ${seed}`);
    for (const f of fixtureDockerfiles()) n += compareParse(readFileSync(f, 'utf8'), f);
    expect(n).toBeGreaterThan(500);
  });

  it.skipIf(!existsSync(join(CORPUS, 'dockerfiles')))('read like the library on every corpus Dockerfile (when ../shared/corpus is present)', () => {
    const dir = join(CORPUS, 'dockerfiles');
    let n = 0;
    for (const name of readdirSync(dir)) n += compareParse(readFileSync(join(dir, name), 'utf8'), name);
    expect(n).toBeGreaterThan(1000);
  });
});
