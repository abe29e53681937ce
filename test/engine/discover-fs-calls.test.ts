import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { tmpTree } from '../support/tmp.js';

// Counts the path lookups discovery makes, synchronous or not (the functions still do what they do).
const calls = vi.hoisted(() => ({ stat: 0, lstat: 0, realpath: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    stat: (...a: Parameters<typeof fs.stat>) => (calls.stat++, fs.stat(...a)),
    lstat: (...a: Parameters<typeof fs.lstat>) => (calls.lstat++, fs.lstat(...a)),
    realpath: (...a: Parameters<typeof fs.realpath>) => (calls.realpath++, fs.realpath(...a)),
  };
});
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    statSync: ((...a: Parameters<typeof fs.statSync>) => (calls.stat++, fs.statSync(...a))) as typeof fs.statSync,
    lstatSync: ((...a: Parameters<typeof fs.lstatSync>) => (calls.lstat++, fs.lstatSync(...a))) as typeof fs.lstatSync,
    realpathSync: ((...a: Parameters<typeof fs.realpathSync>) => (calls.realpath++, fs.realpathSync(...a))) as typeof fs.realpathSync,
  };
});
const { discover } = await import('../../src/engine/discover.js');

beforeEach(() => {
  calls.stat = calls.lstat = calls.realpath = 0;
});

describe('discovery of named files: path lookups per directory, not per file', () => {
  it('forty files named in one directory: one lstat each, the real path of their directory once', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `s${i}.Dockerfile`);
    const root = tmpTree({ '.git/HEAD': 'x', ...Object.fromEntries(names.map((n) => [`svc/${n}`, 'FROM a\n'])) });
    const r = await discover({ paths: names.map((n) => `svc/${n}`), cwd: root });
    expect(r.files.map((f) => f.path)).toEqual(names.map((n) => `svc/${n}`));
    expect(r.problems).toEqual([]);
    expect(calls.lstat).toBe(40);
    // The directory's real path; the files are their own real paths, so no repository's is asked (unless the
    // temporary directory itself is reached through a link). `.git` is looked for from the current directory only.
    expect(calls.realpath).toBe(realpathSync(root) === root ? 1 : 2);
    expect(calls.stat).toBe(1);
  });

  it('a named link is still followed and checked: one leaving the repository is reported, one inside it processed once', async () => {
    const outside = tmpTree({ 'Dockerfile': 'FROM z\n' });
    const root = tmpTree({ '.git/HEAD': 'x', 'a/Dockerfile': 'FROM a\n' });
    mkdirSync(join(root, 'b'));
    symlinkSync(join(outside, 'Dockerfile'), join(root, 'b', 'Dockerfile'));
    symlinkSync(join(root, 'a', 'Dockerfile'), join(root, 'b', 'Dockerfile.inside'));
    const r = await discover({ paths: ['a/Dockerfile', 'b/Dockerfile', 'b/Dockerfile.inside'], cwd: root });
    expect(r.files.map((f) => f.path)).toEqual(['a/Dockerfile']);
    expect(r.problems).toEqual([{ path: 'b/Dockerfile', message: expect.stringContaining('leads outside the repository') }]);
    const followed = await discover({ paths: ['b/Dockerfile'], cwd: root, followSymlinks: true });
    expect(followed.files.map((f) => f.path)).toEqual(['b/Dockerfile']);
  });

  it('a file named through a linked directory is checked like a linked file: inside the repository processed, outside reported', async () => {
    const outside = tmpTree({ 'Dockerfile': 'FROM z\n' });
    const root = tmpTree({ '.git/HEAD': 'x', 'a/Dockerfile': 'FROM a\n' });
    symlinkSync(join(root, 'a'), join(root, 'in'));
    symlinkSync(outside, join(root, 'out'));
    const r = await discover({ paths: ['in/Dockerfile', 'out/Dockerfile'], cwd: root });
    expect(r.files.map((f) => f.path)).toEqual(['in/Dockerfile']);
    expect(r.problems).toEqual([{ path: 'out/Dockerfile', message: expect.stringContaining('leads outside the repository') }]);
  });
});
