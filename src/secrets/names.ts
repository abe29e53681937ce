/**
 * Which environment variable names look like secrets. Documented in the codemods' docs; tested in test/secrets.
 *
 * A name is a secret when it matches one of SECRET_PATTERNS (or the user's `secretNames`), unless it matches
 * NOT_SECRET_PATTERNS (or the user's `ignoreNames`). Names ending in `_FILE` are references to secret files, never secrets.
 */
import type { JsonSchema } from '../engine/types.js';

/** Glob-like patterns (only `*` is special), compared case-insensitively against the whole name. */
export const SECRET_PATTERNS: readonly string[] = [
  'PASSWORD', '*_PASSWORD', 'PASSWD', '*_PASSWD', '*_PASS', '*_PWD',
  'SECRET', '*_SECRET', '*_SECRET_KEY', '*_SECRET_ACCESS_KEY', '*_CLIENT_SECRET',
  'TOKEN', '*_TOKEN', '*_AUTH_TOKEN', '*_ACCESS_TOKEN', '*_REFRESH_TOKEN',
  'API_KEY', '*_API_KEY', '*_APIKEY', '*_ACCESS_KEY', '*_PRIVATE_KEY', '*_SIGNING_KEY', '*_ENCRYPTION_KEY',
  '*_CREDENTIALS', '*_DSN_PASSWORD', '*_CONNECTION_STRING',
  // The value is the credential itself: redis `masterauth`/`requirepass` (`REDIS_AUTH`), hashing salts (WordPress
  // `*_SALT`, `PASSWORD_SALT`), key passphrases.
  '*_AUTH', 'SALT', '*_SALT', 'PASSPHRASE', '*_PASSPHRASE', '*_AUTH_KEY',
];

/** Names that match a secret pattern but hold flags, not secrets (official images' switches). */
export const NOT_SECRET_PATTERNS: readonly string[] = [
  '*_FILE',
  'MYSQL_ALLOW_EMPTY_PASSWORD', 'MYSQL_RANDOM_ROOT_PASSWORD', 'MYSQL_ONETIME_PASSWORD',
  'MARIADB_ALLOW_EMPTY_ROOT_PASSWORD', 'MARIADB_RANDOM_ROOT_PASSWORD',
  '*_PUBLIC_KEY',
];

/**
 * One test per list of patterns, kept per list: by the array itself (the built-in lists, a configuration's), and by
 * its content. Judged names are ASCII (judge checks), so the plain patterns, a name (`PASSWORD`) or a suffix
 * (`*_PASSWORD`) of ASCII name characters, compare as upper-case strings: what the case-insensitive expression
 * `^(?:PASSWORD|.*_PASSWORD|…)$` would match, without its backtracking through every `.*` alternative for every name.
 * Any other pattern (more than one `*`, other characters) is one expression, as before.
 */
type ListTest = (name: string, upper: string) => boolean;
const byList = new WeakMap<readonly string[], ListTest | null>();
const byContent = new Map<string, ListTest | null>();

const PLAIN = /^\*?[A-Za-z0-9_.-]+$/;

function listTest(globs: readonly string[]): ListTest | null {
  let t = byList.get(globs);
  if (t !== undefined) return t;
  const key = globs.join('\0');
  t = byContent.get(key);
  if (t === undefined) {
    const exact = new Set<string>();
    const suffixes: string[] = [];
    const rest: string[] = [];
    for (const g of globs) {
      if (!PLAIN.test(g)) rest.push(g);
      else if (g.startsWith('*')) suffixes.push(g.slice(1).toUpperCase());
      else exact.add(g.toUpperCase());
    }
    const body = rest.map((g) => g.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|');
    const re = rest.length === 0 ? null : new RegExp(`^(?:${body})$`, 'i');
    t = globs.length === 0 ? null : (name, upper) => exact.has(upper) || suffixes.some((x) => upper.endsWith(x)) || (re !== null && re.test(name));
    byContent.set(key, t);
  }
  byList.set(globs, t);
  return t;
}

export interface NameOptions {
  /** Extra patterns treated as secrets (allow list). */
  secretNames?: readonly string[];
  /** Patterns never treated as secrets (deny list); wins over everything. */
  ignoreNames?: readonly string[];
}

/** The options schema of the codemods that take `secretNames` / `ignoreNames`. */
export const SECRET_NAME_OPTIONS: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    secretNames: { type: 'array', items: { type: 'string' }, description: 'Extra name patterns (`*` wildcard) treated as secrets.' },
    ignoreNames: { type: 'array', items: { type: 'string' }, description: 'Name patterns never treated as secrets (wins).' },
  },
};

export function nameOptions(options: Readonly<Record<string, unknown>>): NameOptions {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { secretNames: list(options.secretNames), ignoreNames: list(options.ignoreNames) };
}

export function isSecretName(name: string, opts: NameOptions = {}): boolean {
  if (!opts.ignoreNames?.length && !opts.secretNames?.length) {
    // The built-in lists alone (the usual case): the same names come back in file after file.
    let v = builtInVerdicts.get(name);
    if (v === undefined) {
      if (builtInVerdicts.size >= MAX_VERDICTS) builtInVerdicts.clear();
      v = judge(name, {});
      builtInVerdicts.set(name, v);
    }
    return v;
  }
  return judge(name, opts);
}

const builtInVerdicts = new Map<string, boolean>();
const MAX_VERDICTS = 20_000;

function judge(name: string, opts: NameOptions): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) return false;
  const upper = name.toUpperCase();
  const any = (pats: readonly string[] | undefined) => pats !== undefined && listTest(pats)?.(name, upper) === true;
  if (any(opts.ignoreNames)) return false;
  if (any(opts.secretNames)) return true;
  if (any(NOT_SECRET_PATTERNS)) return false;
  return any(SECRET_PATTERNS);
}

/**
 * false when no name written verbatim in `text` can be a secret name: a name matching a plain pattern (`PASSWORD`,
 * `*_PASSWORD`) contains its letters (any case), so a text holding none of the patterns' letters holds no such name.
 * true ("maybe") whenever the patterns in force include another form (an extra `secretNames` glob with `*` inside).
 * Lets a caller skip splitting an instruction into names (`ENV A=1 B=2`) that could not be reported.
 */
export function mayHoldSecretName(text: string, opts: NameOptions = {}): boolean {
  const needles = secretNeedles(opts.secretNames);
  return needles === undefined || needles.test(text);
}

/** Per list of extra patterns: one case-insensitive expression finding any plain pattern's letters, or undefined. */
const needlesByList = new WeakMap<readonly string[], RegExp | undefined>();

function secretNeedles(extra: readonly string[] | undefined): RegExp | undefined {
  const list = extra?.length ? extra : NO_EXTRA;
  if (needlesByList.has(list)) return needlesByList.get(list);
  const all = [...SECRET_PATTERNS, ...list];
  // Plain patterns are ASCII name characters: `i` compares them as judge does (names are ASCII).
  const needles = all.every((g) => PLAIN.test(g)) ? new RegExp(all.map((g) => g.replace(/^\*/, '').replace(/[.]/g, '\\.')).join('|'), 'i') : undefined;
  needlesByList.set(list, needles);
  return needles;
}

const NO_EXTRA: readonly string[] = [];

/** The compose secret name for a variable: lower case, only [a-z0-9_-]. */
export function secretNameFor(varName: string): string {
  return varName.toLowerCase().replace(/[^a-z0-9_-]+/g, '_');
}
