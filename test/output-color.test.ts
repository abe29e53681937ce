/** When output is coloured: NO_COLOR, FORCE_COLOR (0/false turn it off, even on a terminal), flags, TTY. */
import { afterEach, describe, expect, it } from 'vitest';
import { useColor } from '../src/output/text.js';

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;
const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
const set = (k: 'NO_COLOR' | 'FORCE_COLOR', v: string | undefined) => (v === undefined ? delete process.env[k] : (process.env[k] = v));
afterEach(() => {
  set('NO_COLOR', saved.NO_COLOR);
  set('FORCE_COLOR', saved.FORCE_COLOR);
});

describe('useColor', () => {
  it('follows the terminal without variables', () => {
    set('NO_COLOR', undefined);
    set('FORCE_COLOR', undefined);
    expect(useColor(tty)).toBe(true);
    expect(useColor(pipe)).toBe(false);
  });
  it('FORCE_COLOR=0 and FORCE_COLOR=false disable colour on a terminal; other values force it in a pipe', () => {
    set('NO_COLOR', undefined);
    for (const v of ['0', 'false']) {
      set('FORCE_COLOR', v);
      expect(useColor(tty), v).toBe(false);
    }
    for (const v of ['1', '2', 'true', '']) {
      set('FORCE_COLOR', v);
      expect(useColor(pipe), v).toBe(true);
    }
  });
  it('NO_COLOR wins over everything; --color/--no-color over FORCE_COLOR', () => {
    set('NO_COLOR', '1');
    set('FORCE_COLOR', '1');
    expect(useColor(tty, true)).toBe(false);
    set('NO_COLOR', undefined);
    set('FORCE_COLOR', '0');
    expect(useColor(pipe, true)).toBe(true);
    set('FORCE_COLOR', '1');
    expect(useColor(tty, false)).toBe(false);
  });
});
