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
 * One expression per list of patterns (`^(?:A|.*_B|…)$`, case-insensitive): a name is tested once per list, not once
 * per pattern. Kept per list: by the array itself (the built-in lists, a configuration's), and by its content.
 */
const byList = new WeakMap<readonly string[], RegExp | null>();
const byContent = new Map<string, RegExp | null>();

function listRegExp(globs: readonly string[]): RegExp | null {
  let re = byList.get(globs);
  if (re !== undefined) return re;
  const key = globs.join('\0');
  re = byContent.get(key);
  if (re === undefined) {
    const body = globs.map((g) => g.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')).join('|');
    re = globs.length === 0 ? null : new RegExp(`^(?:${body})$`, 'i');
    byContent.set(key, re);
  }
  byList.set(globs, re);
  return re;
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
  const any = (pats: readonly string[] | undefined) => pats !== undefined && listRegExp(pats)?.test(name) === true;
  if (any(opts.ignoreNames)) return false;
  if (any(opts.secretNames)) return true;
  if (any(NOT_SECRET_PATTERNS)) return false;
  return any(SECRET_PATTERNS);
}

/** The compose secret name for a variable: lower case, only [a-z0-9_-]. */
export function secretNameFor(varName: string): string {
  return varName.toLowerCase().replace(/[^a-z0-9_-]+/g, '_');
}
