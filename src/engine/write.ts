/**
 * Atomic writes: the new content goes to a temporary file beside the target (same mode, owner and group), is flushed
 * to disk, then renamed over the target, so a crash leaves either the old file or the new one, never half of either.
 *
 * - A file whose owner cannot write it (mode 0444 and the like) is refused unless `allowReadOnly`, as `git apply`
 *   and editors do: read-only is a statement by its owner.
 * - A file with more than one hard link is refused: replacing it would cut it off from its other names, and writing
 *   in place is not atomic. The dry-run diff or `--patch` still show the change.
 * - The temporary file gets the target's owner and group before the rename (as root they would otherwise become
 *   root's); when that is not permitted the file is refused rather than handed to another owner.
 * - Temporary files are named `.<name>.harden-<pid>-<random>.tmp`. SIGINT/SIGTERM during a write remove them before
 *   the process ends; one left by a process that no longer exists (SIGKILL, power loss) is removed by the next write
 *   into that directory.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, readFile, readdir, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class WriteError extends Error {}

export interface WriteOptions {
  /** Also replace files whose mode does not let their owner write them (0444). */
  allowReadOnly?: boolean;
}

/** `.<name>.harden-<pid>-<8 hex>.tmp` */
const TEMP_NAME = /^\..*\.harden-(\d+)-[0-9a-f]{8}\.tmp$/;

/** Temporary files being written now, removed if a signal ends the process first. */
const live = new Set<string>();
let handlersInstalled = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const p of live) {
    try {
      unlinkSync(p);
    } catch {
      // already gone
    }
  }
  live.clear();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  handlersInstalled = false;
  // With no other listener, the signal's default action now ends the process as the signal would have.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function track(tmp: string): void {
  live.add(tmp);
  if (!handlersInstalled) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    handlersInstalled = true;
  }
}

function untrack(tmp: string): void {
  live.delete(tmp);
  if (live.size === 0 && handlersInstalled) {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    handlersInstalled = false;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const swept = new Set<string>();

/** Remove harden temporary files in `dir` left by processes that no longer exist (once per directory per process). */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  if (swept.has(dir)) return [];
  swept.add(dir);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processExists(pid)) continue;
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/**
 * Replace `path`'s content by `content`, provided it still holds `expected` (what was read and fixed).
 * Symbolic links are followed: the file they point to is replaced, the link is kept.
 */
export async function atomicWrite(path: string, content: string, expected?: string, opts: WriteOptions = {}): Promise<void> {
  const target = await realpath(path);
  const st = await stat(target);
  if (!opts.allowReadOnly && (st.mode & 0o200) === 0) {
    throw new WriteError(`the file is read-only (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); not written (pass --allow-read-only, or set allowReadOnly: true in .harden.yaml, to replace it anyway)`);
  }
  if (st.nlink > 1) {
    throw new WriteError(`the file has ${st.nlink} hard links; replacing it would break them, so it was not written (apply the change with --patch and git apply, or edit it in place)`);
  }
  if (expected !== undefined) {
    const current = await readFile(target, 'utf8');
    if (current !== expected) throw new WriteError('the file changed on disk while harden was working; not written');
  }
  const dir = dirname(target);
  await removeStaleTemps(dir);
  const tmp = join(dir, `.${basename(target)}.harden-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fh;
  track(tmp);
  try {
    fh = await open(tmp, 'wx', st.mode & 0o7777);
    await fh.writeFile(content, 'utf8');
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    if ((uid !== undefined && st.uid !== uid) || (gid !== undefined && st.gid !== gid)) {
      try {
        await fh.chown(st.uid, st.gid);
      } catch (e) {
        throw new Error(`cannot keep its owner ${st.uid}:${st.gid} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); not written`, { cause: e });
      }
    }
    // After chown: chown clears set-uid/set-gid bits.
    await fh.chmod(st.mode & 0o7777);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, target);
  } catch (e) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw new WriteError(`cannot write: ${(e as Error).message}`);
  } finally {
    untrack(tmp);
  }
}
