/**
 * File safety of `--write` on real files: owner and group kept (as root), hard links and read-only files refused,
 * symbolic links named on the command line that leave the repository refused, temporary files removed on SIGINT /
 * SIGTERM and, when a process died without cleaning up, by the next write.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { atomicWrite } from '../../src/engine/write.js';
import { hardenInProcess } from '../support/cli.js';
import { replaceAll } from '../support/test-codemods.js';
import { tmpTree } from '../support/tmp.js';

const isRoot = process.getuid?.() === 0;
const pin = [replaceAll('test-pin', 'alpine:latest', 'alpine:3.19')];
const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('.harden-'));

describe('owner, group, hard links, read-only', () => {
  it.skipIf(!isRoot)('as root, keeps the owner and group of the file replaced (and its mode)', async () => {
    const root = tmpTree({ Dockerfile: 'FROM a\n' });
    const p = join(root, 'Dockerfile');
    chownSync(p, 1234, 2345);
    chmodSync(p, 0o640);
    await atomicWrite(p, 'FROM b\n', 'FROM a\n');
    const st = statSync(p);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1234, 2345, 0o640]);
    expect(readFileSync(p, 'utf8')).toBe('FROM b\n');
  });

  it('refuses a file with more than one hard link, leaving both names and the content as they were', async () => {
    const root = tmpTree({ Dockerfile: 'FROM alpine:latest\n' });
    linkSync(join(root, 'Dockerfile'), join(root, 'Dockerfile.copy'));
    const r = await fix({ cwd: root, paths: ['Dockerfile'], write: true, codemods: pin });
    expect(r.files[0]?.error?.message).toMatch(/has 2 hard links; replacing it would break them, so it was not written/);
    expect(statSync(join(root, 'Dockerfile')).ino).toBe(statSync(join(root, 'Dockerfile.copy')).ino);
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toBe('FROM alpine:latest\n');
    expect(temps(root)).toEqual([]);
  });

  it('refuses a read-only (0444) file with a clear error (exit 2), and writes it with --allow-read-only, mode kept', async () => {
    const root = tmpTree({ Dockerfile: 'FROM alpine:3.19\nRUN apt-get update\nRUN apt-get install -y curl\n' });
    const p = join(root, 'Dockerfile');
    chmodSync(p, 0o444);
    const refused = await hardenInProcess(['fix', '--write', '--only', 'dockerfile-apt-hygiene', 'Dockerfile'], { cwd: root });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^Dockerfile: error: the file is read-only \(mode 0444\); not written \(pass --allow-read-only/m);
    expect(readFileSync(p, 'utf8')).toContain('RUN apt-get update\nRUN');
    const allowed = await hardenInProcess(['fix', '--write', '--allow-read-only', '--only', 'dockerfile-apt-hygiene', 'Dockerfile'], { cwd: root });
    expect(allowed.code).toBe(0);
    expect(readFileSync(p, 'utf8')).not.toContain('RUN apt-get update\nRUN');
    expect(statSync(p).mode & 0o7777).toBe(0o444);
  }, 180_000);

  it('`allowReadOnly: true` in .harden.yaml does what --allow-read-only does', async () => {
    const root = tmpTree({ '.git/HEAD': 'ref: refs/heads/main\n', Dockerfile: 'FROM alpine:3.19\nRUN apt-get update\nRUN apt-get install -y curl\n', '.harden.yaml': 'allowReadOnly: true\n' });
    const p = join(root, 'Dockerfile');
    chmodSync(p, 0o444);
    const r = await hardenInProcess(['fix', '--write', '--only', 'dockerfile-apt-hygiene', 'Dockerfile'], { cwd: root });
    expect(r.stderr).not.toMatch(/read-only/);
    expect(r.code).toBe(0);
    expect(readFileSync(p, 'utf8')).not.toContain('RUN apt-get update\nRUN');
    expect(statSync(p).mode & 0o7777).toBe(0o444);
  }, 180_000);
});

describe('symbolic links named on the command line', () => {
  it('`followSymlinks: true` in .harden.yaml does what --follow-symlinks does', async () => {
    const outside = tmpTree({ Dockerfile: 'FROM alpine:3.19\nRUN apt-get update\nRUN apt-get install -y curl\n' });
    const repo = tmpTree({ '.git/HEAD': 'ref: refs/heads/main\n', '.harden.yaml': 'followSymlinks: true\n' });
    symlinkSync(join(outside, 'Dockerfile'), join(repo, 'Dockerfile'));
    const before = readFileSync(join(outside, 'Dockerfile'), 'utf8');
    const r = await hardenInProcess(['fix', '--write', '--only', 'dockerfile-apt-hygiene', 'Dockerfile'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(readFileSync(join(outside, 'Dockerfile'), 'utf8')).not.toBe(before);
  }, 180_000);

  it('refuses a named link leaving the repository (exit 2, nothing written outside), processes it with --follow-symlinks', async () => {
    const outside = tmpTree({ Dockerfile: 'FROM alpine:3.19\nRUN apt-get update\nRUN apt-get install -y curl\n' });
    const repo = tmpTree({ '.git/HEAD': 'ref: refs/heads/main\n', 'inside/Dockerfile': 'FROM alpine:3.19\n' });
    symlinkSync(join(outside, 'Dockerfile'), join(repo, 'Dockerfile'));
    mkdirSync(join(repo, 'sub'));
    symlinkSync(outside, join(repo, 'sub/linked'));
    symlinkSync(join(repo, 'inside/Dockerfile'), join(repo, 'Dockerfile.in'));
    const before = readFileSync(join(outside, 'Dockerfile'), 'utf8');
    const args = ['fix', '--write', '--only', 'dockerfile-apt-hygiene'];

    const r = await hardenInProcess([...args, 'Dockerfile', 'sub/linked/Dockerfile', 'sub/linked', 'Dockerfile.in'], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Dockerfile: error: symbolic link leads outside the repository . (to ${resolve(outside, 'Dockerfile')}); not processed (pass --follow-symlinks, or set followSymlinks: true in .harden.yaml, to process it)`);
    expect(r.stderr).toMatch(/^sub\/linked\/Dockerfile: error: symbolic link leads outside the repository/m);
    expect(r.stderr).toMatch(/^sub\/linked: error: symbolic link leads outside the repository/m);
    expect(r.stderr).not.toMatch(/^Dockerfile\.in: error/m);
    expect(readFileSync(join(outside, 'Dockerfile'), 'utf8')).toBe(before);

    const followed = await hardenInProcess([...args, '--follow-symlinks', 'Dockerfile'], { cwd: repo });
    expect(followed.code).toBe(0);
    expect(readFileSync(join(outside, 'Dockerfile'), 'utf8')).not.toBe(before);
  }, 180_000);
});

/** A child process writing a large file with atomicWrite; resolves once it has exited. */
function slowWriter(target: string): { child: ReturnType<typeof spawn>; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const script = `
    import { atomicWrite } from ${JSON.stringify(resolve(import.meta.dirname, '../../src/engine/write.ts'))};
    const big = 'x'.repeat(64 * 1024 * 1024);
    for (;;) await atomicWrite(${JSON.stringify(target)}, big);
  `;
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, exited };
}

describe('temporary files', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`are removed when ${signal} arrives during a write, and the process still ends by that signal`, async () => {
      const root = tmpTree({ Dockerfile: 'FROM a\n' });
      const { child, exited } = slowWriter(join(root, 'Dockerfile'));
      // Wait until a temporary file exists (the write is under way), then send the signal.
      for (let i = 0; i < 6000 && temps(root).length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      expect(temps(root)).toHaveLength(1);
      child.kill(signal);
      const end = await exited;
      expect(end.signal).toBe(signal);
      expect(temps(root)).toEqual([]);
      const content = readFileSync(join(root, 'Dockerfile'), 'utf8');
      expect(content === 'FROM a\n' || /^x+$/.test(content)).toBe(true);
    });
  }

  it('left by a dead process are removed by the next write into that directory; those of live processes stay', async () => {
    const root = tmpTree({ Dockerfile: 'FROM alpine:latest\n', 'other.txt': 'x' });
    const dead = spawnSync('true').pid;
    const live = spawn('sleep', ['60']);
    try {
      const deadTemp = `.Dockerfile.harden-${dead}-0123abcd.tmp`;
      const liveTemp = `.Dockerfile.harden-${live.pid}-89abcdef.tmp`;
      const notOurs = '.Dockerfile.harden-notapid.tmp';
      for (const n of [deadTemp, liveTemp, notOurs]) writeFileSync(join(root, n), 'partial');
      utimesSync(join(root, deadTemp), new Date(0), new Date(0));
      const r = await fix({ cwd: root, paths: ['Dockerfile'], write: true, codemods: pin });
      expect(r.files[0]?.error).toBeUndefined();
      expect(existsSync(join(root, deadTemp))).toBe(false);
      expect(temps(root).sort()).toEqual([liveTemp, notOurs].sort());
      expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toBe('FROM alpine:3.19\n');
    } finally {
      live.kill();
    }
  });

  it('left by a dead process are removed from every directory a --write run reads, also where nothing is written', async () => {
    const root = tmpTree({ 'a/Dockerfile': 'FROM alpine:latest\n', 'b/Dockerfile': 'FROM alpine:3.19\n', 'c/notes.txt': 'x' });
    const dead = spawnSync('true').pid;
    const temp = `.Dockerfile.harden-${dead}-0123abcd.tmp`;
    for (const d of ['a', 'b', 'c']) writeFileSync(join(root, d, temp), 'partial');
    const dry = await fix({ cwd: root, paths: ['.'], codemods: pin });
    expect(dry.files.map((f) => [f.path, f.changed])).toEqual([['a/Dockerfile', true], ['b/Dockerfile', false]]);
    expect(['a', 'b', 'c'].map((d) => temps(join(root, d)).length)).toEqual([1, 1, 1]); // a dry run changes nothing on disk
    const r = await fix({ cwd: root, paths: ['.'], write: true, codemods: pin });
    expect(r.files.map((f) => [f.path, f.changed, f.error])).toEqual([['a/Dockerfile', true, undefined], ['b/Dockerfile', false, undefined]]);
    // b/ holds no written file but was read; c/ holds no file harden reads.
    expect(['a', 'b', 'c'].map((d) => temps(join(root, d)).length)).toEqual([0, 0, 1]);
  });
});
