/**
 * Progress on a terminal: `harden check` against a slow registry (the real docker-registry behind a proxy that
 * delays every answer) draws "resolving n/N image digests…" on stderr in place when stderr is a pseudo-terminal
 * (util-linux script), erases it before the summary, and prints nothing of it in a pipe or under CI.
 */
/* eslint-disable no-control-regex -- terminal output is matched with its escape sequences */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressEnabled, progressText, terminalProgress } from '../src/output/progress.js';
import { hardenAsync } from './support/cli.js';
import { hardenPtyAsync, hasScript } from './support/pty.js';
import { startFaultProxy, type FaultProxy } from './support/registry-proxy.js';
import { REGISTRY_BIN, seedImage, startRegistry, type TestRegistry } from './support/registry.js';
import { tmpTree } from './support/tmp.js';
import { existsSync } from 'node:fs';

describe('when progress is drawn', () => {
  it('only on a terminal, never with CI set (unless CI=false/0) or TERM=dumb', () => {
    expect(progressEnabled({ isTTY: true }, {})).toBe(true);
    expect(progressEnabled({ isTTY: false }, {})).toBe(false);
    expect(progressEnabled({}, {})).toBe(false);
    expect(progressEnabled({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(progressEnabled({ isTTY: true }, { CI: '1' })).toBe(false);
    expect(progressEnabled({ isTTY: true }, { CI: '' })).toBe(false);
    expect(progressEnabled({ isTTY: true }, { CI: 'false' })).toBe(true);
    expect(progressEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
  it('says what is being looked up while lookups are in flight, else the files', () => {
    expect(progressText({ files: { done: 0, total: 3 }, lookups: { done: 12, total: 40, kinds: ['image-digest'] } })).toBe('resolving 12/40 image digests…');
    expect(progressText({ files: { done: 0, total: 3 }, lookups: { done: 1, total: 4, kinds: ['image-digest', 'apt-version'] } })).toBe('resolving 1/4 lookups…');
    expect(progressText({ files: { done: 2, total: 3 }, lookups: { done: 4, total: 4, kinds: ['apt-version'] } })).toBe('processing 2/3 files…');
  });
  it('with colour off, redraws and erases with carriage returns and spaces only (no escape sequence)', async () => {
    const out: string[] = [];
    const stream = { isTTY: true, columns: 80, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
    const draw = async (plain: boolean) => {
      out.length = 0;
      const line = terminalProgress(stream, { delayMs: 0, intervalMs: 5, plain });
      line.update({ files: { done: 0, total: 3 }, lookups: { done: 9, total: 10, kinds: ['image-digest'] } });
      await new Promise((r) => setTimeout(r, 30));
      line.update({ files: { done: 1, total: 3 } });
      await new Promise((r) => setTimeout(r, 30));
      line.done();
      return out.join('');
    };
    const plain = await draw(true);
    expect(plain).not.toContain('\u001b');
    // The shorter second line pads over the first one; erasing blanks the longest and returns to column 0.
    expect(plain).toBe(`\rresolving 9/10 image digests…\rprocessing 1/3 files…${' '.repeat(8)}\r${' '.repeat(21)}\r`);
    expect(await draw(false)).toContain('\u001b[K');
  });
});

const IMAGES = ['alpine', 'nginx', 'redis', 'postgres', 'busybox', 'httpd'];
const enabled = existsSync(REGISTRY_BIN) && hasScript();

describe.skipIf(!enabled)('progress with a slow registry', () => {
  let reg: TestRegistry;
  let slow: FaultProxy;
  beforeAll(async () => {
    reg = await startRegistry();
    for (const i of IMAGES) await seedImage(reg, `library/${i}`, ['1.0']);
    slow = await startFaultProxy(reg.url);
    slow.faults.push({ kind: 'delay', ms: 400, times: 10_000 });
  });
  afterAll(async () => {
    await slow?.close();
    await reg?.stop();
  });
  const sample = () =>
    tmpTree({
      '.harden.yaml': `registries:\n  docker.io: { mirror: "${slow.url}" }\n`,
      'compose.yaml': `services:\n${IMAGES.map((i) => `  ${i}:\n    image: ${i}:1.0\n`).join('')}`,
    });
  const args = ['check', '--only', 'pin-image-digest', '--concurrency', '1', '--fail-on', 'never'];

  it('is drawn in place on a terminal and erased before the summary', async () => {
    const r = await hardenPtyAsync(args, { cwd: sample() });
    expect(r.code, r.tty).toBe(0);
    const frames = [...r.tty.matchAll(/\r(resolving (\d+)\/(\d+) image digests…)\u001b\[K/g)];
    expect(frames.length, r.tty).toBeGreaterThan(1);
    for (const f of frames) expect(f[3]).toBe(String(IMAGES.length));
    // counts go up, and the line is erased (\r ESC[K) before the summary line is printed
    const counts = frames.map((f) => Number(f[2]));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const last = r.tty.lastIndexOf('resolving ');
    const erase = r.tty.indexOf('\r\u001b[K', last);
    const summary = r.tty.indexOf(`${IMAGES.length} findings in 1 file`);
    expect(erase, r.tty).toBeGreaterThan(last);
    expect(summary, r.tty).toBeGreaterThan(erase);
    // What the terminal shows at the end (each line as after its last carriage return): the findings (stdout, the
    // same terminal) and the summary, no progress left over.
    const screen = r.tty.split('\n').map((l) => l.replace(/\r$/, '').split('\r').pop()!.replace(/^\u001b\[K/, ''));
    expect(screen.filter((l) => l.includes('pin-image-digest'))).toHaveLength(IMAGES.length);
    expect(screen.join('\n')).not.toMatch(/resolving|processing/);
  }, 180_000);

  it('prints none in a pipe, nor on a terminal with CI set', async () => {
    const piped = await hardenAsync(args, { cwd: sample() });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toContain('pin-image-digest');
    expect(piped.stdout + piped.stderr).not.toMatch(/resolving|processing|\u001b\[K/);
    const ci = await hardenPtyAsync(args, { cwd: sample(), env: { CI: 'true' } });
    expect(ci.code).toBe(0);
    expect(ci.tty).toContain(`${IMAGES.length} findings in 1 file`);
    expect(ci.tty).not.toMatch(/resolving|processing|\u001b\[K/);
  }, 180_000);
});
