/**
 * Atomic writes: the new content goes to a temporary file beside the target (same mode), is flushed to disk,
 * then renamed over the target, so a crash leaves either the old file or the new one, never half of either.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class WriteError extends Error {}

/**
 * Replace `path`'s content by `content`, provided it still holds `expected` (what was read and fixed).
 * Symbolic links are followed: the file they point to is replaced, the link is kept.
 */
export async function atomicWrite(path: string, content: string, expected?: string): Promise<void> {
  const target = await realpath(path);
  const st = await stat(target);
  if (expected !== undefined) {
    const current = await readFile(target, 'utf8');
    if (current !== expected) throw new WriteError('the file changed on disk while harden was working; not written');
  }
  const tmp = join(dirname(target), `.${basename(target)}.harden-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  try {
    fh = await open(tmp, 'wx', st.mode & 0o7777);
    await fh.writeFile(content, 'utf8');
    await fh.chmod(st.mode & 0o7777);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, target);
  } catch (e) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw new WriteError(`cannot write: ${(e as Error).message}`);
  }
}
