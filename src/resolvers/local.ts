/** Answers 'file' and 'dir' lookups from the local filesystem (build contexts, lockfiles, package.json). */
import { readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { lookupId } from '../engine/lookups.js';
import type { Answer, DirAnswer, FileAnswer, LookupKey } from '../engine/types.js';

const MAX_TEXT = 1024 * 1024;

/**
 * Synchronous: most keys ask whether a file exists (a `.dockerignore`, a lockfile), and for a stat of a local file the
 * promise API's thread-pool round trip costs more CPU than the call.
 */
function fileAnswer(path: string): FileAnswer {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return { exists: false };
    if (!st.isFile()) return { exists: st.isDirectory() };
    if (st.size > MAX_TEXT) return { exists: true };
    return { exists: true, text: readFileSync(path, 'utf8') };
  } catch {
    return { exists: false };
  }
}

async function dirAnswer(path: string): Promise<DirAnswer> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return { exists: true, entries: entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort() };
  } catch {
    return { exists: false, entries: [] };
  }
}

export const localHandler = {
  kinds: ['file', 'dir'] as const,
  async resolve(keys: readonly LookupKey[]): Promise<Map<string, Answer>> {
    const out = new Map<string, Answer>();
    await Promise.all(
      keys.map(async (k) => {
        const p = String((k as { path?: unknown }).path);
        out.set(lookupId(k), { ok: k.kind === 'dir' ? await dirAnswer(p) : fileAnswer(p) });
      }),
    );
    return out;
  },
};
