/** When output is coloured: NO_COLOR, FORCE_COLOR (0/false turn it off, even on a terminal), flags, TTY. */
import { afterEach, describe, expect, it } from 'vitest';
import { useColor } from '../src/output/text.js';
import { harden } from './support/cli.js';
import { hardenPty, hasScript } from './support/pty.js';
import { tmpTree } from './support/tmp.js';

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

describe('colour from the CLI (picocolors is not left to decide at import)', () => {
  const ESC = '\u001b[';
  const sample = () => tmpTree({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
  it('--color colours the diff and the findings when stdout and stderr are pipes', () => {
    const r = harden(['fix', '--no-network', '--color'], { cwd: sample() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ESC}32m+`);
    expect(r.stdout).toContain(`${ESC}1mdiff --git`);
    expect(r.stderr).toContain(`${ESC}1mcompose.yaml:`);
  });
  it('a pipe without --color stays plain; NO_COLOR beats --color; --color beats FORCE_COLOR=0', () => {
    const cwd = sample();
    const plain = harden(['fix', '--no-network'], { cwd });
    expect(plain.stdout).toContain('+');
    expect(plain.stdout + plain.stderr).not.toContain(ESC);
    const no = harden(['fix', '--no-network', '--color'], { cwd, env: { NO_COLOR: '1' } });
    expect(no.stdout).toContain('+');
    expect(no.stdout + no.stderr).not.toContain(ESC);
    const forced = harden(['check', '--no-network', '--color'], { cwd, env: { FORCE_COLOR: '0' } });
    expect(forced.stdout).toContain(`${ESC}1mcompose.yaml:`);
    const forceEnv = harden(['check', '--no-network'], { cwd, env: { FORCE_COLOR: '1' } });
    expect(forceEnv.stdout).toContain(`${ESC}1mcompose.yaml:`);
  });
});

describe.skipIf(!hasScript())('colour on a terminal (util-linux script)', () => {
  const ESC = '\u001b[';
  it('stderr on a terminal is coloured while stdout goes to a file, which stays plain', () => {
    const cwd = tmpTree({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
    const r = hardenPty(['fix', '--no-network'], { cwd, stdoutToFile: true });
    expect(r.code).toBe(0);
    expect(r.tty).toContain(`${ESC}1mcompose.yaml:`);
    expect(r.stdout).toContain('+');
    expect(r.stdout).not.toContain(ESC);
  });
  it('FORCE_COLOR=0 and --no-color keep a terminal plain', () => {
    const cwd = tmpTree({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
    const r = hardenPty(['check', '--no-network'], { cwd });
    expect(r.tty).toContain(`${ESC}1mcompose.yaml:`);
    expect(hardenPty(['check', '--no-network'], { cwd, env: { FORCE_COLOR: '0' } }).tty).not.toContain(ESC);
    expect(hardenPty(['check', '--no-network', '--no-color'], { cwd }).tty).not.toContain(ESC);
  });
});
