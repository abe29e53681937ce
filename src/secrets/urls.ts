/**
 * Credentials inside URLs (`postgresql://user:PASSWORD@db/app`, `redis://:pass@cache:6379`): where they are, and
 * a masked form for messages. The password itself is never part of a message.
 */

export interface UrlCredential {
  scheme: string;
  user: string;
  /** The password as written (may be `${VAR}` interpolation). */
  password: string;
  /** Offsets of the password in the searched text. */
  start: number;
  end: number;
}

const NONE: readonly UrlCredential[] = Object.freeze([]);

// scheme://[user]:password@ — the user and password stop at the characters that end a URL's userinfo.
const URL_CRED = /\b([a-z][a-z0-9+.-]*):\/\/([^\s:@/?#'"]*):([^\s@/?#'"]+)@/gi;

export function urlCredentials(text: string): readonly UrlCredential[] {
  // Most values hold no URL at all: the expression needs `://` (and they get no array of their own).
  if (!text.includes('://')) return NONE;
  const out: UrlCredential[] = [];
  for (const m of text.matchAll(URL_CRED)) {
    const [all, scheme = '', user = '', password = ''] = m;
    const end = (m.index ?? 0) + all.length - 1;
    out.push({ scheme, user, password, start: end - password.length, end });
  }
  return out;
}

/** `postgresql://app:****@…` — the user stays (it is not secret and helps find the URL), the password never. */
export function maskedUrl(c: UrlCredential): string {
  return `${c.scheme}://${c.user}:****@…`;
}

/** The password with `%XX` escapes decoded (URLs must escape some characters of a password). */
export function decodedPassword(c: UrlCredential): string {
  try {
    return decodeURIComponent(c.password);
  } catch {
    return c.password;
  }
}

/** Whether the password is made only of `${VAR}` / `$VAR` interpolations (no literal text). */
export function passwordVariable(c: UrlCredential): string | undefined {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(c.password);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Whether the password holds literal text (not only interpolation); `$$` is a literal dollar. */
export function passwordIsLiteral(c: UrlCredential): boolean {
  return c.password !== '' && !c.password.replace(/\$\$/g, '').includes('$');
}
