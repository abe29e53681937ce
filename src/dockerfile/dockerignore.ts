/**
 * `.dockerignore`: which build-context files a `COPY`/`ADD` can see.
 *
 * The ignore file in force is `<Dockerfile-name>.dockerignore` beside the Dockerfile when it exists (BuildKit's
 * Dockerfile-specific ignore file), else `.dockerignore` at the root of the context. Both are read through
 * `{kind:'file'}` lookups, so codemods stay free of I/O and fixtures can hold the files.
 *
 * Semantics follow Docker's documentation and its reference implementation (moby/patternmatcher, as BuildKit and the
 * classic builder use it):
 * - a UTF-8 BOM is dropped; a line whose first character is `#` is a comment (an indented `#` is a pattern);
 * - each pattern is trimmed and cleaned like Go's `filepath.Clean` (`./a` → `a`, `a/../b` → `b`, `a/` → `a`),
 *   and a leading `/` is dropped (the context root is the root), also after `!`;
 * - patterns are Go `filepath.Match` patterns (`*` and `?` never cross `/`, `[…]` classes, `\` escapes) plus `**`,
 *   which matches any number of directories, zero included; a pattern ending in `**` matches everything below;
 * - a pattern that matches a directory matches everything inside it;
 * - `!` makes an exception; patterns apply in order and the last one that matches decides.
 *
 * Paths are walked from the root down, each pattern remembering whether it matched the parent directory (BuildKit's
 * `MatchesUsingParentResults`), so `a/b` then `!a` leaves `a/b/c` excluded.
 */
import { basename, dirname, join, posix } from 'node:path';
import { isOk } from '../engine/lookups.js';
import type { Answers } from '../engine/types.js';

interface Rule {
  exclusion: boolean;
  /** The cleaned pattern, without its `!`. */
  pattern: string;
  test: (path: string) => boolean;
}

/** Go's filepath.Clean for slash-separated paths: no `.`/`..`/empty elements, no trailing slash, '' → '.'. */
function clean(p: string): string {
  if (p === '') return '.';
  const out = posix.normalize(p);
  return out.length > 1 && out.endsWith('/') ? out.slice(0, -1) : out;
}

/** Characters that are literal in a Go filepath.Match pattern but special in a regular expression. */
const REGEXP_ONLY = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);
/** An escaped pattern character as a literal in a `u` regular expression (inside a class, `-` too). */
const literal = (ch: string, inClass: boolean) => (/[\\^$.*+?()[\]{}|/]/.test(ch) || (inClass && ch === '-') ? `\\${ch}` : ch);

/**
 * A pattern's matcher, or null for a malformed one (an unclosed `[`, a trailing `\`): Docker refuses such a file, so
 * the build fails whatever harden says; the pattern is then ignored here.
 */
function compile(pattern: string): ((path: string) => boolean) | null {
  const chars = [...pattern];
  let re = '^';
  let type: 'exact' | 'prefix' | 'suffix' | 'regexp' = 'exact';
  /** Inside `[…]`: where the class's content starts in `re` (-1: outside a class). */
  let classStart = -1;
  for (let i = 0, step = 0; i < chars.length; step++) {
    const ch = chars[i++] as string;
    const inClass = classStart >= 0;
    if (inClass && ch !== ']' && ch !== '\\') {
      // filepath.Match: inside a class only `]`, `-`, `^` (first) and `\` mean something.
      re += ch === '-' || (ch === '^' && re.length === classStart) ? ch : literal(ch, true);
    } else if (ch === '*') {
      if (chars[i] === '*') {
        i++;
        if (chars[i] === '/') i++; // `**/` is `**`
        if (i >= chars.length) {
          // `**` at the end: everything below.
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(?:.*/)?';
          type = 'regexp';
        }
        if (step === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (REGEXP_ONLY.has(ch)) re += `\\${ch}`;
    else if (ch === '\\') {
      if (i >= chars.length) return null;
      re += literal(chars[i++] as string, inClass);
      type = 'regexp';
    } else if (ch === '[') {
      re += '[';
      classStart = re.length;
      type = 'regexp';
    } else if (ch === ']') {
      // An empty class (`[]`, `[^]`) is malformed for filepath.Match; a `]` outside a class is literal.
      if (inClass && (re.length === classStart || (re.length === classStart + 1 && re.endsWith('^')))) return null;
      re += inClass ? ']' : '\\]';
      classStart = -1;
      type = 'regexp';
    } else re += ch;
  }
  if (classStart >= 0) return null;
  switch (type) {
    case 'exact':
      return (path) => path === pattern;
    case 'prefix': {
      const prefix = pattern.slice(0, -2);
      return (path) => path.startsWith(prefix);
    }
    case 'suffix': {
      // Docker's shortcut for a leading `**`: a plain suffix test (so `**foo` also matches `barfoo`), and `**/foo`
      // matches `foo` itself.
      const suffix = pattern.slice(2);
      return (path) => path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
    }
    default: {
      let rx: RegExp;
      try {
        rx = new RegExp(`${re}$`, 'u');
      } catch {
        return null;
      }
      return (path) => rx.test(path);
    }
  }
}

/** The patterns of an ignore file, in order, cleaned as Docker cleans them; malformed ones are left out. */
function parseRules(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const [n, raw] of text.split('\n').entries()) {
    const line = n === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    if (p !== '') {
      p = clean(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    // `!` alone (or `!/`) is an illegal exclusion for Docker.
    if (exclusion && (p === '' || p === '/')) continue;
    const test = compile(p);
    if (test) rules.push({ exclusion, pattern: p, test });
  }
  return rules;
}

/** Answers "is this context-relative path excluded?" for one ignore file. */
export class DockerIgnore {
  private readonly rules: Rule[];

  /** `text`: the ignore file's content; `source`: its name for messages (`.dockerignore`, `app.Dockerfile.dockerignore`). */
  constructor(
    text: string,
    readonly source = '.dockerignore',
  ) {
    this.rules = parseRules(text);
  }

  /** The cleaned patterns, `!` kept, in order (for messages and tests). */
  get patterns(): string[] {
    return this.rules.map((r) => (r.exclusion ? `!${r.pattern}` : r.pattern));
  }

  /**
   * Whether the ignore file keeps `path` (relative to the context root; `./` and a leading `/` are fine) out of the
   * build context. The context root itself is never excluded.
   */
  excludes(path: string): boolean {
    const rel = clean(path.replace(/^\/+/, ''));
    if (rel === '.' || rel === '/' || rel === '..' || rel.startsWith('../')) return false;
    const parts = rel.split('/');
    let parentMatched: boolean[] | null = null;
    let excluded = false;
    for (let d = 1; d <= parts.length; d++) {
      const prefix = parts.slice(0, d).join('/');
      const matchedHere: boolean[] = [];
      excluded = false;
      this.rules.forEach((r, i) => {
        // A pattern that matched the parent directory matches everything in it.
        let match = parentMatched?.[i] ?? false;
        if (!match) {
          // An inclusion cannot change an excluded path, nor an exclusion an included one: skip them (Docker does).
          if (r.exclusion !== excluded) {
            matchedHere[i] = false;
            return;
          }
          match = r.test(prefix);
        }
        matchedHere[i] = match;
        if (match) excluded = !r.exclusion;
      });
      parentMatched = matchedHere;
    }
    return excluded;
  }
}

/**
 * The ignore files that may apply, most specific first: `<Dockerfile-name>.dockerignore` beside the Dockerfile, then
 * `.dockerignore` at the context root. Ask these as `file` lookups.
 */
export function dockerignoreKeys(dockerfileAbsPath: string, contextDir = dirname(dockerfileAbsPath)): { kind: 'file'; path: string }[] {
  return [
    { kind: 'file', path: join(dirname(dockerfileAbsPath), `${basename(dockerfileAbsPath)}.dockerignore`) },
    { kind: 'file', path: join(contextDir, '.dockerignore') },
  ];
}

/**
 * The ignore file in force for a build of `dockerfileAbsPath` with context `contextDir` (default: the Dockerfile's
 * directory), from the answers to `dockerignoreKeys`; null when there is none (or it cannot be read), i.e. every
 * context file is sent.
 */
export function contextIgnore(answers: Answers, dockerfileAbsPath: string, contextDir = dirname(dockerfileAbsPath)): DockerIgnore | null {
  for (const key of dockerignoreKeys(dockerfileAbsPath, contextDir)) {
    const a = answers.get(key);
    if (isOk(a) && a.ok.exists) return new DockerIgnore(a.ok.text ?? '', basename(key.path));
  }
  return null;
}
