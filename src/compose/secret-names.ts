/**
 * Which variable / environment names look like they hold a secret (used by compose-require-secret-vars).
 *
 * A name is split into words at `_`, `-`, `.` and lower→upper case changes (`dbPassword` → DB, PASSWORD), compared
 * upper-case. It is a secret when:
 * - a word is one of PASSWORD, PASSWD, PASS, PWD, PASSPHRASE, SECRET, SECRETS, TOKEN, CREDENTIAL(S), APIKEY,
 *   ACCESSKEY, SECRETKEY, PRIVATEKEY, SALT, or the name ends with the word AUTH (`REDIS_AUTH`), or
 * - two consecutive words are API KEY, ACCESS KEY, PRIVATE KEY, SECRET KEY, SIGNING KEY, ENCRYPTION KEY, MASTER KEY,
 *   AUTH KEY, LICENSE KEY, or the name ends with the word KEY (`APP_KEY`, `JWT_KEY`),
 * unless an exclusion applies: the last word is FILE, PATH, DIR, URL, URI, ENDPOINT, HOST, PORT, USER, USERNAME,
 * NAME, ID, LENGTH, TTL, EXPIRY, EXPIRES, EXPIRATION, ENABLED, REQUIRED, HEADER, TYPE, ALGORITHM, POLICY, METHOD,
 * FORMAT, PREFIX, ROTATION, RESET, LIFETIME, TIMEOUT (`*_PASSWORD_FILE`, `*_TOKEN_URL`, `AWS_ACCESS_KEY_ID`); or a word
 * is PUBLIC, ALLOW, RANDOM, ONETIME, EMPTY (`*_PUBLIC_KEY`, `MYSQL_RANDOM_ROOT_PASSWORD`). Words are whole words, so
 * `KEYCLOAK_*`, `PASSPORT`, `BYPASS`, `MONKEY` never match.
 */

const SECRET_WORDS = new Set([
  'PASSWORD', 'PASSWD', 'PASS', 'PWD', 'PASSPHRASE', 'SECRET', 'SECRETS', 'TOKEN', 'CREDENTIAL', 'CREDENTIALS',
  'APIKEY', 'ACCESSKEY', 'SECRETKEY', 'PRIVATEKEY', 'SALT',
]);
const KEY_QUALIFIERS = new Set(['API', 'ACCESS', 'PRIVATE', 'SECRET', 'SIGNING', 'ENCRYPTION', 'MASTER', 'AUTH', 'LICENSE']);
const NOT_SECRET_LAST = new Set([
  'FILE', 'PATH', 'DIR', 'URL', 'URI', 'ENDPOINT', 'HOST', 'PORT', 'USER', 'USERNAME', 'NAME', 'ID', 'LENGTH', 'TTL',
  'EXPIRY', 'EXPIRES', 'EXPIRATION', 'ENABLED', 'REQUIRED', 'HEADER', 'TYPE', 'ALGORITHM', 'POLICY', 'METHOD', 'FORMAT',
  'PREFIX', 'ROTATION', 'RESET', 'LIFETIME', 'TIMEOUT',
]);
const NOT_SECRET_WORDS = new Set(['PUBLIC', 'ALLOW', 'RANDOM', 'ONETIME', 'EMPTY']);

export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_.-]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
}

function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

export interface SecretNameOptions {
  /** Extra glob patterns (`*` only) treated as secret names. */
  patterns?: readonly string[];
  /** Glob patterns never treated as secrets; wins over everything. */
  ignore?: readonly string[];
}

export function looksSecret(name: string, opts: SecretNameOptions = {}): boolean {
  if (!opts.ignore?.length && !opts.patterns?.length) {
    // The built-in rules alone (the usual case): the same names come back in file after file.
    let v = verdicts.get(name);
    if (v === undefined) {
      if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
      v = byWords(name);
      // A copy of the name as the key: a name sliced out of a larger text would keep that text alive.
      verdicts.set(name.length > 12 ? (JSON.parse(JSON.stringify(name)) as string) : name, v);
    }
    return v;
  }
  if ((opts.ignore ?? []).some((g) => globRe(g).test(name))) return false;
  if ((opts.patterns ?? []).some((g) => globRe(g).test(name))) return true;
  return byWords(name);
}

const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 20_000;

/** The word rules of the module comment (no user patterns). */
function byWords(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined || NOT_SECRET_LAST.has(last) || words.some((w) => NOT_SECRET_WORDS.has(w))) return false;
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  if (last === 'KEY' && words.length > 1) return true;
  if (last === 'AUTH' && words.length > 1) return true; // REDIS_AUTH, MASTER_AUTH: the value is the credential
  return words.some((w, i) => w === 'KEY' && i > 0 && KEY_QUALIFIERS.has(words[i - 1] as string));
}

/**
 * Command-line flags whose argument is a credential: `--requirepass`, `--masterauth`, `--password`, `--db-password`,
 * `--auth`, `--token`, `--api-key`… (the whole flag, so `--token-ttl` or `--key-file` are not).
 */
export const PASSWORD_FLAG = /^-{1,2}(?:[a-z0-9]+-)*(?:requirepass|masterauth|password|passwd|pass|pwd|secret|token|apikey|api-key|access-key|secret-key|auth)$/i;

/**
 * Whether the text at `start` of a command scalar is a password flag's argument: `--requirepass ${X}`,
 * `--password=${X}` in the same string, or the whole item after a flag item of a list (`["--requirepass", "${X}"]`).
 */
export function afterPasswordFlag(text: string, start: number, previousItem?: string): boolean {
  if (start === 0) return previousItem !== undefined && PASSWORD_FLAG.test(previousItem.trim());
  // A flag right before `start` is the run of flag characters just before the separator (the blanks, or one `=`),
  // preceded by a blank or the start: only that tail is read (every word of a long command asks, so reading all
  // the text before each word would cost the square of its length).
  let i = start;
  if (text[i - 1] === '=') i--;
  else while (i > 0 && /\s/.test(text[i - 1] as string)) i--;
  let j = i;
  while (j > 0 && /[A-Za-z0-9-]/.test(text[j - 1] as string)) j--;
  const m = FLAG_BEFORE.exec(text.slice(j > 0 ? j - 1 : 0, start));
  return m ? PASSWORD_FLAG.test(m[1] ?? '') : false;
}

/** A flag and its separator at the end of a text (`… --requirepass `, `--password=`). */
const FLAG_BEFORE = /(?:^|\s)(-{1,2}[A-Za-z0-9-]+)(?:\s+|=)$/;

/**
 * afterPasswordFlag as first written: the expression over all the text before `start`. The reference the bounded
 * read is tested against.
 */
export function afterPasswordFlagByScan(text: string, start: number, previousItem?: string): boolean {
  const before = text.slice(0, start);
  const m = FLAG_BEFORE.exec(before);
  if (m) return PASSWORD_FLAG.test(m[1] ?? '');
  return before === '' && previousItem !== undefined && PASSWORD_FLAG.test(previousItem.trim());
}
