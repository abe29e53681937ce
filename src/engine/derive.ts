/**
 * Derived views, computed once per parsed object and shared by every codemod, lookup round and output.
 *
 * A parsed file is never mutated after parsing (codemods only report edits; the engine re-parses the new text), so
 * anything computed from it (the compose services, a RUN's shell tree, image references…) can be kept on it. The
 * cache is a WeakMap keyed by the object: it lives exactly as long as the parse, so memory stays bounded by the files
 * being processed, and a re-parse (new text) gets fresh views.
 *
 * What a derived function returns is shared: callers must treat it as read-only (copy before sorting or pushing).
 */

/** `fn`, memoised per argument object (one cached result per object, for as long as the object lives). */
export function derived<A extends object, R>(fn: (arg: A) => R): (arg: A) => R {
  const cache = new WeakMap<A, R>();
  return (arg: A): R => {
    if (cache.has(arg)) return cache.get(arg) as R;
    const r = fn(arg);
    cache.set(arg, r);
    return r;
  };
}

/**
 * `fn`, memoised per argument object and a second, primitive argument (a key, a name): for views asked with a
 * parameter, such as the services of one document of a file.
 */
export function derivedBy<A extends object, K, R>(fn: (arg: A, key: K) => R): (arg: A, key: K) => R {
  const cache = new WeakMap<A, Map<K, R>>();
  return (arg: A, key: K): R => {
    let m = cache.get(arg);
    if (!m) {
      m = new Map();
      cache.set(arg, m);
    }
    if (m.has(key)) return m.get(key) as R;
    const r = fn(arg, key);
    m.set(key, r);
    return r;
  };
}

/**
 * dockerfile-ast recomputes an instruction's arguments from its text on every `getArguments()` (and on every call
 * that uses them: flags, ranges, `FROM`'s image, JSON forms…), dozens of times per instruction over a run. An
 * instruction's text never changes after parsing, so the scan is kept per instruction object; each call still gets
 * its own array (the library's own callers shift flags off it). The keyword and the arguments' text (strings, so
 * safe to share) are kept the same way: codemods ask for them about thirty times per instruction.
 */
export function memoiseDockerfileArguments(proto: object): void {
  const p = proto as {
    getRawArguments?: (this: object) => unknown[];
    getKeyword?: (this: object) => string;
    getArgumentsContent?: (this: object) => string | null;
    [MEMOISED]?: true;
  };
  if (p[MEMOISED] || typeof p.getRawArguments !== 'function' || typeof p.getKeyword !== 'function' || typeof p.getArgumentsContent !== 'function') return;
  const scan = p.getRawArguments;
  const keyword = p.getKeyword;
  const content = p.getArgumentsContent;
  // Kept on the instruction itself (symbol-keyed properties, read on every call: cheaper than a WeakMap lookup).
  p.getRawArguments = function (this: { [RAW_ARGS]?: unknown[] }): unknown[] {
    return (this[RAW_ARGS] ??= scan.call(this)).slice();
  };
  p.getKeyword = function (this: { [KEYWORD]?: string }): string {
    return (this[KEYWORD] ??= keyword.call(this));
  };
  p.getArgumentsContent = function (this: { [CONTENT]?: string | null }): string | null {
    if (this[CONTENT] === undefined) this[CONTENT] = content.call(this);
    return this[CONTENT];
  };
  p[MEMOISED] = true;
}

const MEMOISED = Symbol('memoised');
const RAW_ARGS = Symbol('raw arguments');
const KEYWORD = Symbol('keyword');
const CONTENT = Symbol('arguments content');
