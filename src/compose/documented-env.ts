/**
 * The env files a project documents next to a compose file, and what they say about a variable. Shared by the
 * secret codemods: a fix that drops a default is only acceptable when the documented env gives the variable a value.
 */
import { dirname, join } from 'node:path';
import type { KeyOf } from '../engine/lookups.js';
import type { Answers, ParsedFile } from '../engine/types.js';

/** The env files a project documents (compose reads `.env`; the others are the templates users copy to it). */
export const DOCUMENTED_ENV = ['.env', '.env.example', '.env.dist', '.env.sample'];

/** The local-file lookups for the documented env files next to `file`. */
export function documentedEnvKeys(file: ParsedFile): KeyOf<'file'>[] {
  if (!file.absPath) return [];
  const dir = dirname(file.absPath);
  return DOCUMENTED_ENV.map((n) => ({ kind: 'file', path: join(dir, n) }));
}

/** The documented env file (its base name) that gives `name` a non-empty value, if any. */
export function documentedIn(file: ParsedFile, answers: Answers, name: string): string | undefined {
  for (const k of documentedEnvKeys(file)) {
    const a = answers.get(k);
    if (!a || 'error' in a || !a.ok.exists || a.ok.text === undefined) continue;
    for (const line of a.ok.text.split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
      if (m?.[1] !== name) continue;
      const v = (m[2] ?? '').replace(/\s+#.*$/, '').trim().replace(/^(['"])(.*)\1$/, '$2');
      const path = (k as { path: string }).path;
      if (v !== '') return path.slice(path.lastIndexOf('/') + 1);
    }
  }
  return undefined;
}

/**
 * Whether a value is not a secret: empty (`${TOKEN:-}`: an optional feature), a path (`/certs/redis.key`,
 * `./secrets/x`), a URL without credentials, a boolean or a mode word (`SMTP_AUTH: login`).
 */
export function notASecretValue(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (/^(?:\/|\.{1,2}\/|~\/)/.test(v)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^@\s]*$/i.test(v)) return true;
  return /^(?:true|false|yes|no|on|off|none|null|nil|disabled?|enabled?|login|plain|auto|required|optional|[01])$/i.test(v);
}
