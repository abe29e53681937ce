/**
 * Registry authentication: WWW-Authenticate challenges (Basic and Bearer), token requests (anonymous, with
 * username/password, or with an identity token as OAuth2 refresh token), and a token cache per (endpoint, scope) that
 * reuses a token until shortly before it expires. Concurrent requests for the same token share one token request.
 *
 * Credential rule: Basic credentials go only to the registry endpoint they were looked up for. Bearer credentials go
 * to the token realm the registry names only if the realm is HTTPS or a loopback host; otherwise the token is requested
 * anonymously. A token request redirected to another origin is refused (its body or Authorization header holds the
 * credentials). Tokens and credentials are never logged, cached on disk or put in messages.
 */
import type { CredentialStore, Credentials } from './credentials.js';
import { isLoopbackHost } from './endpoint.js';
import { LookupFailure } from './errors.js';
import { header, statusFrom, type HttpRequest, type HttpResponse, type Transport } from './transport.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse a WWW-Authenticate header into challenges (scheme and parameter names lowercased). */
export function parseChallenges(value: string): Challenge[] {
  const out: Challenge[] = [];
  const token = /[A-Za-z0-9!#$%&'*+.^_`|~-]+/y;
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < value.length && chars.test(value.charAt(i))) i++;
  };
  while (i < value.length) {
    skip(/[\s,]/);
    token.lastIndex = i;
    const m = token.exec(value);
    if (!m) break;
    i = token.lastIndex;
    skip(/\s/);
    if (value.charAt(i) !== '=') {
      out.push({ scheme: m[0].toLowerCase(), params: {} });
      continue;
    }
    i++;
    skip(/\s/);
    const v = readParamValue(value, i);
    i = v.end;
    const current = out[out.length - 1];
    if (current) current.params[m[0].toLowerCase()] = v.value;
  }
  return out;
}

function readParamValue(s: string, start: number): { value: string; end: number } {
  if (s.charAt(start) !== '"') {
    const m = /[^,\s]*/y;
    m.lastIndex = start;
    const r = m.exec(s);
    return { value: r?.[0] ?? '', end: m.lastIndex };
  }
  let out = '';
  let i = start + 1;
  while (i < s.length && s.charAt(i) !== '"') {
    if (s.charAt(i) === '\\') i++;
    out += s.charAt(i);
    i++;
  }
  return { value: out, end: i + 1 };
}

/** Whether credentials may be sent to this URL (token realm): HTTPS, or a loopback host. */
export function mayReceiveCredentials(url: URL): boolean {
  return url.protocol === 'https:' || isLoopbackHost(url.host);
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Where a request goes, for auth purposes. */
export interface AuthTarget {
  /** Origin of the registry endpoint, e.g. 'http://127.0.0.1:5000'. */
  origin: string;
  /** Host to look credentials up for ('docker.io', '127.0.0.1:5000'). */
  credentialHost: string;
  /** Bearer scope, e.g. 'repository:library/node:pull'. */
  scope: string;
  /** For messages: the image or repository being looked up. */
  subject: string;
}

const DEFAULT_TOKEN_LIFETIME_S = 60;

export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  /** Origins that have answered once (their challenge, if any, is known), and the first request to each still out. */
  private readonly contacted = new Set<string>();
  private readonly probes = new Map<string, Promise<void>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentials: CredentialStore,
  ) {}

  /**
   * The Authorization header to send, when this origin's challenge is known. `rejected` is the header a 401 answered:
   * a cached token different from it (fetched meanwhile by a concurrent request) is reused, the same one is replaced.
   */
  async authorization(t: AuthTarget, rejected?: string): Promise<string | undefined> {
    const ch = this.challenges.get(t.origin);
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return basicHeader(await this.credentials.get(t.credentialHost));
    if (ch.scheme !== 'bearer') return undefined;
    const cached = this.tokens.get(`${t.origin} ${t.scope}`);
    const fresh = rejected !== undefined && cached !== undefined && `Bearer ${cached.token}` === rejected;
    return `Bearer ${(await this.token(ch, t, fresh)).token}`;
  }

  /**
   * Until an origin has answered once, further requests to it wait for that first answer: sent at once, before its
   * challenge is known, each would go without authorization and be refused (one 401 and a retry per repository of a
   * cold run). Returns the function to call when the first request's answer is in (idempotent), or undefined when
   * this request need not report.
   */
  async firstContact(origin: string): Promise<(() => void) | undefined> {
    for (;;) {
      if (this.contacted.has(origin)) return undefined;
      const probe = this.probes.get(origin);
      if (!probe) break;
      await probe;
    }
    let done!: () => void;
    this.probes.set(origin, new Promise<void>((r) => (done = r)));
    return () => {
      if (this.contacted.has(origin)) return;
      this.contacted.add(origin);
      this.probes.delete(origin);
      done();
    };
  }

  /**
   * Learn from a 401. Returns true when a (new) challenge lets the caller retry with authorization, false when
   * retrying cannot help.
   */
  async onUnauthorized(t: AuthTarget, res: HttpResponse): Promise<boolean> {
    const value = header(res, 'www-authenticate');
    const challenge = value ? parseChallenges(value).find((c) => c.scheme === 'bearer' || c.scheme === 'basic') : undefined;
    if (!challenge) return false;
    if (challenge.scheme === 'basic' && !(await this.credentials.get(t.credentialHost))) return false;
    this.challenges.set(t.origin, challenge);
    return true;
  }

  /** Whether requests to this origin have been authorized (to word 401 messages). */
  async describeCredentials(t: AuthTarget): Promise<string> {
    const c = await this.credentials.get(t.credentialHost);
    return c ? `credentials from ${c.origin} were rejected` : `no credentials found for ${t.credentialHost}`;
  }

  private token(ch: Challenge, t: AuthTarget, fresh: boolean): Promise<CachedToken> {
    const key = `${t.origin} ${t.scope}`;
    const cached = this.tokens.get(key);
    if (!fresh && cached && cached.expiresAt > Date.now()) return Promise.resolve(cached);
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(ch, t).then(
        (tok) => {
          this.tokens.set(key, tok);
          this.pending.delete(key);
          return tok;
        },
        (e: unknown) => {
          this.pending.delete(key);
          throw e;
        },
      );
      this.pending.set(key, p);
    }
    return p;
  }

  private async fetchToken(ch: Challenge, t: AuthTarget): Promise<CachedToken> {
    const realm = parseRealm(ch, t);
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    const creds = mayReceiveCredentials(realm) ? await this.credentials.get(t.credentialHost) : undefined;
    const what = `${t.subject}: token from ${realm.host}`;
    const req = tokenRequest(realm, ch.params.service, t.scope, creds);
    return this.transport.exchange(req, what, async (res) => {
      if (res.status === 401 || res.status === 403) {
        const why = creds ? `rejected the credentials from ${creds.origin}` : 'refused an anonymous token';
        throw new LookupFailure('unauthorized', `${t.subject}: token server ${realm.host} ${why} (HTTP ${res.status})`);
      }
      if (res.status !== 200) {
        throw new LookupFailure('registry-error', `${t.subject}: ${statusFrom(res.url, `token server ${realm.host}`, res.status)}`, res.status);
      }
      return parseTokenResponse(await res.body.text(), t.subject);
    });
  }
}

function parseRealm(ch: Challenge, t: AuthTarget): URL {
  const realm = ch.params.realm;
  let url: URL | undefined;
  try {
    url = realm ? new URL(realm) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new LookupFailure('invalid', `${t.subject}: registry sent a Bearer challenge without a usable realm`);
  }
  return url;
}

function tokenRequest(realm: URL, service: string | undefined, scope: string, creds: Credentials | undefined): HttpRequest {
  if (creds?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'harden', scope });
    if (service) form.set('service', service);
    return {
      method: 'POST',
      url: realm,
      kind: 'token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      followRedirects: 'same-origin',
    };
  }
  const url = new URL(realm);
  if (scope) url.searchParams.set('scope', scope);
  const auth = basicHeader(creds);
  return { method: 'GET', url, kind: 'token', headers: auth ? { authorization: auth } : {}, followRedirects: 'same-origin' };
}

function parseTokenResponse(text: string, subject: string): CachedToken {
  let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new LookupFailure('invalid', `${subject}: token server answered with invalid JSON`);
  }
  const token = typeof body.token === 'string' ? body.token : body.access_token;
  if (typeof token !== 'string' || token === '') throw new LookupFailure('invalid', `${subject}: token server sent no token`);
  const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  const margin = Math.min(10, lifetime / 10);
  return { token, expiresAt: Date.now() + (lifetime - margin) * 1000 };
}

function basicHeader(c: Credentials | undefined): string | undefined {
  const password = c?.password ?? c?.identityToken;
  if (!c || password === undefined) return undefined;
  return `Basic ${Buffer.from(`${c.username ?? ''}:${password}`).toString('base64')}`;
}
