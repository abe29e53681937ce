/**
 * A minimal Bearer token server for distribution 2.8's `auth.token`: RS256 JWTs signed with a key/cert made by
 * openssl at test time, `kid` = libtrust fingerprint of the public key, string `aud` = service.
 * GET /token?service=…&scope=… (Basic auth optional; anonymous gets pull only when allowed) and
 * POST /token (grant_type=refresh_token with an identity token). Records every request for assertions.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface TokenRequestRecord {
  method: string;
  scope: string;
  account: string | undefined;
  /** How the client authenticated: 'anonymous' | 'basic' | 'refresh-token'. */
  via: string;
  authorized: boolean;
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  kid: string;
  requests: TokenRequestRecord[];
  /** Mint a token directly (for seeding), scopes like 'repository:x:pull,push'. */
  mint(subject: string, scopes: string[]): string;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  dir: string;
  users: Record<string, string>;
  identityTokens: Record<string, string>;
  anonymousPull: boolean;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** libtrust key id: SHA-256 of the DER SPKI, first 240 bits, base32 without padding, groups of 4 joined by ':'. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const bytes = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return (out.match(/.{4}/g) ?? []).join(':');
}

function parseScope(scope: string): { type: string; name: string; actions: string[] }[] {
  return scope
    .split(' ')
    .filter(Boolean)
    .map((s) => {
      const [type = '', ...rest] = s.split(':');
      const actions = (rest.pop() ?? '').split(',').filter(Boolean);
      return { type, name: rest.join(':'), actions };
    });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const keyPath = join(opts.dir, 'token-key.pem');
  const certPath = join(opts.dir, 'token-cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=harden-test-token-issuer'],
    { stdio: 'ignore' },
  );
  const privateKey = createPrivateKey(readFileSync(keyPath));
  const kid = libtrustKeyId(createPublicKey(readFileSync(certPath)));
  const service = 'harden-test-registry';
  const issuer = 'harden-test-issuer';
  const requests: TokenRequestRecord[] = [];

  function mint(subject: string, scopes: string[], allowed: (a: string) => boolean = () => true): string {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap(parseScope).map((s) => ({ ...s, actions: s.actions.filter(allowed) }));
    const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const sig = sign('sha256', Buffer.from(`${head}.${claims}`), privateKey);
    return `${head}.${claims}.${b64url(sig)}`;
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      let account: string | undefined;
      let via = 'anonymous';
      let ok: boolean;
      let scope = url.searchParams.get('scope') ?? '';
      if (req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        scope = form.get('scope') ?? '';
        via = 'refresh-token';
        account = opts.identityTokens[form.get('refresh_token') ?? ''];
        ok = account !== undefined;
      } else if (req.headers.authorization?.startsWith('Basic ')) {
        const [u = '', p] = Buffer.from(req.headers.authorization.slice(6), 'base64').toString().split(/:(.*)/s);
        via = 'basic';
        account = u;
        ok = opts.users[u] !== undefined && opts.users[u] === p;
      } else {
        ok = opts.anonymousPull;
      }
      requests.push({ method: req.method ?? '', scope, account, via, authorized: ok });
      if (!ok) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"invalid credentials"}');
        return;
      }
      const token = mint(account ?? '', scope ? [scope] : [], account ? () => true : (a) => a === 'pull');
      const body = JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    kid,
    requests,
    mint: (subject, scopes) => mint(subject, scopes),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
