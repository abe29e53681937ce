import { chmodSync, readFileSync, readdirSync, statSync, symlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atomicWrite } from '../../src/engine/write.js';
import { tmpTree } from '../support/tmp.js';

describe('atomicWrite', () => {
  it('replaces the content, keeps the mode, and leaves no temporary file', async () => {
    const root = tmpTree({ 'Dockerfile': 'FROM a\n' });
    const p = join(root, 'Dockerfile');
    chmodSync(p, 0o640);
    await atomicWrite(p, 'FROM b\n', 'FROM a\n');
    expect(readFileSync(p, 'utf8')).toBe('FROM b\n');
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readdirSync(root)).toEqual(['Dockerfile']);
  });

  it('refuses to write when the file changed on disk since it was read', async () => {
    const root = tmpTree({ 'Dockerfile': 'FROM changed\n' });
    await expect(atomicWrite(join(root, 'Dockerfile'), 'FROM b\n', 'FROM a\n')).rejects.toThrow(/changed on disk/);
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toBe('FROM changed\n');
  });

  it('writes through a symbolic link and keeps the link', async () => {
    const root = tmpTree({ 'real/Dockerfile': 'FROM a\n' });
    symlinkSync(join(root, 'real/Dockerfile'), join(root, 'Dockerfile'));
    await atomicWrite(join(root, 'Dockerfile'), 'FROM b\n', 'FROM a\n');
    expect(lstatSync(join(root, 'Dockerfile')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(root, 'real/Dockerfile'), 'utf8')).toBe('FROM b\n');
  });

  it('leaves the original intact and cleans up when the directory is not writable', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path whose temporary file cannot be created instead
      await expect(atomicWrite('/proc/version', 'x', undefined, { allowReadOnly: true })).rejects.toThrow(/cannot write/);
      return;
    }
    const root = tmpTree({ 'Dockerfile': 'FROM a\n' });
    chmodSync(root, 0o500);
    await expect(atomicWrite(join(root, 'Dockerfile'), 'FROM b\n')).rejects.toThrow(/cannot write/);
    chmodSync(root, 0o700);
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toBe('FROM a\n');
  });
});
