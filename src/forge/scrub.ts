/**
 * Keeping secrets out of everything harden prints: the token itself, the Basic credentials git sends for it,
 * and any `scheme://user:password@host` userinfo in URLs (git echoes remote URLs in its errors).
 */

/** The value of the Authorization header git sends for a GitHub token (what actions/checkout configures too). */
export function basicAuthHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`;
}

/** Replace every secret (and its Basic-auth and URL-encoded forms) and URL userinfo by `***`. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    const forms = new Set([s, encodeURIComponent(s), Buffer.from(`x-access-token:${s}`, 'utf8').toString('base64'), Buffer.from(s, 'utf8').toString('base64')]);
    for (const f of forms) if (f.length >= 4) out = out.split(f).join('***');
  }
  // https://user:secret@host/… and https://token@host/… → https://***@host/…
  return out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi, '$1***@');
}
