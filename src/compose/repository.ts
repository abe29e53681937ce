/**
 * Which repository a compose file belongs to, for evidence that must not cross repositories (compose-resource-limits
 * takes sizes stated for a same-named service in another file of the same repository, never in another one run
 * alongside it): the nearest directory from the file up holding `.git` (a directory, or the file a worktree or a
 * submodule has). A file with no such directory belongs to the directory tree it is in: two such files are of one
 * repository when one's directory holds the other's.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** Git roots by directory: one run's (a long-lived process makes a new one per run, so a later `git init` counts). */
export type RootCache = Map<string, string | null>;

/** The nearest directory from `dir` up holding `.git`, or null. */
function rootOf(dir: string, cache: RootCache): string | null {
  const known = cache.get(dir);
  if (known !== undefined) return known;
  const parent = dirname(dir);
  const root = existsSync(join(dir, '.git')) ? dir : parent === dir ? null : rootOf(parent, cache);
  cache.set(dir, root);
  return root;
}

/** The git root of a file (absolute path), or undefined when it is in no git work tree. */
export function repositoryRoot(absPath: string, cache: RootCache): string | undefined {
  return rootOf(dirname(absPath), cache) ?? undefined;
}

const holds = (dir: string, other: string): boolean => other === dir || other.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Whether two files (absolute paths) are of one repository: the same git root, or, when neither is in a git work tree,
 * one directory tree (the directory of one holds the other).
 */
export function sameRepository(a: string, b: string, cache: RootCache): boolean {
  const ra = repositoryRoot(a, cache);
  const rb = repositoryRoot(b, cache);
  if (ra !== undefined || rb !== undefined) return ra === rb;
  const da = dirname(a);
  const db = dirname(b);
  return holds(da, db) || holds(db, da);
}
