/** Path helpers for what is asked once per file of a run (display paths, role paths, ignore layers). */
import { relative, sep } from 'node:path';

/** A POSIX absolute path that `path.resolve` would leave as it is: no empty, `.` or `..` segment, no trailing `/`. */
const NOT_NORMALISED = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

const simple = (p: string): boolean => p.charCodeAt(0) === 47 /* / */ && !NOT_NORMALISED.test(p);

/**
 * `relative(from, to)`, or undefined when that starts with `..` (`to` is not below `from`, or its first segment below
 * it starts with `..`). For two normalised absolute POSIX paths (what `resolve` and `join` give, which is what a run
 * asks about) it is worked out from the strings: `to` below `from` is the rest of `to`, anything else is not below.
 * Other inputs (relative or unnormalised paths, Windows) go through `relative`.
 */
export function relativeWithin(from: string, to: string): string | undefined {
  if (sep === '/' && simple(from) && simple(to)) {
    if (to === from) return '';
    const prefix = from === '/' ? 1 : from.length + 1;
    if (to.length <= prefix || !to.startsWith(from) || (from !== '/' && to.charCodeAt(from.length) !== 47)) return undefined;
    const rest = to.slice(prefix);
    return rest.startsWith('..') ? undefined : rest;
  }
  const rel = relative(from, to);
  return rel.startsWith('..') ? undefined : rel;
}
