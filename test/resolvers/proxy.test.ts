/**
 * Errors through an HTTP proxy name the proxy (a real loopback proxy refusing CONNECT with 502, through undici's
 * EnvHttpProxyAgent as harden uses it), NO_PROXY is honoured in those messages, and every request carries
 * `User-Agent: harden/<version>`.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyFor, statusFrom, Transport } from '../../src/resolvers/transport.js';
import { parseReference } from '../../src/resolvers/reference.js';
import { RegistryClient } from '../../src/resolvers/registry.js';
import { CredentialStore } from '../../src/resolvers/credentials.js';
import { version } from '../../src/version.js';

let server: Server;
let port = 0;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    res.end('ok');
  });
  // As a proxy: refuse every tunnel, as a proxy whose upstream is down does.
  server.on('connect', (_req, socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return await f();
  } finally {
    for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const get = (t: Transport, url: string) => t.exchange({ method: 'GET', url: new URL(url), kind: 'get' }, 'manifest of app:1', async (r) => r.status);

describe('proxies and User-Agent', () => {
  it('a 502 from the proxy says so, names the proxy (without its credentials) and the host asked for', async () => {
    await withEnv({ HTTPS_PROXY: `http://user:s3cret@127.0.0.1:${port}`, HTTP_PROXY: undefined, NO_PROXY: undefined, https_proxy: undefined, http_proxy: undefined, no_proxy: undefined }, async () => {
      const t = new Transport({ retries: 0 });
      const err = (await get(t, 'https://registry.example.test/v2/').catch((e: unknown) => e)) as Error & { code: string };
      await t.close();
      expect(err.code).toBe('network');
      expect(err.message).toBe(`manifest of app:1: the proxy 127.0.0.1:${port} answered 502 when asked to connect to registry.example.test (HTTPS_PROXY/NO_PROXY decide which requests use it)`);
      expect(err.message).not.toContain('s3cret');
    });
  });

  it('a 502 the proxy relays as an ordinary response is worded as coming through the proxy (named, no credentials)', async () => {
    // A proxy that accepts the tunnel and answers inside it itself (as intercepting proxies do) with an ordinary 502.
    const tunnelled: string[] = [];
    const inner = createServer((req, res) => {
      tunnelled.push(`${req.method} ${req.headers.host}${req.url}`);
      res.writeHead(502, { 'content-type': 'text/html' }).end(req.method === 'HEAD' ? undefined : '<h1>502 Bad Gateway</h1>');
    });
    const proxy = createServer();
    proxy.on('connect', (_req, socket, head) => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) socket.unshift(head);
      inner.emit('connection', socket);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as AddressInfo).port;
    const proxyEnv = { HTTP_PROXY: `http://user:s3cret@127.0.0.1:${port}`, HTTPS_PROXY: undefined, NO_PROXY: undefined, https_proxy: undefined, http_proxy: undefined, no_proxy: undefined };
    await withEnv(proxyEnv, async () => {
      const c = new RegistryClient({ insecure: ['registry.example.test:5000'], retries: 0, credentials: new CredentialStore({ env: {}, dockerConfigDir: '/nonexistent' }) });
      const err = (await c.resolveDigest(parseReference('registry.example.test:5000/app:1')).catch((e: unknown) => e)) as Error & { code: string; status?: number };
      await c.close();
      expect(tunnelled[0]).toBe('HEAD registry.example.test:5000/v2/app/manifests/1'); // it went through the proxy
      expect(err).toMatchObject({ code: 'registry-error', status: 502 });
      expect(err.message).toContain(
        `HTTP 502 came through the proxy 127.0.0.1:${port} (from the proxy or from registry.example.test:5000 behind it; HTTPS_PROXY/HTTP_PROXY/NO_PROXY decide which requests use it)`,
      );
      expect(err.message).not.toContain('s3cret');
      expect(err.message).not.toContain('registry.example.test:5000 answered');
    });
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  it('statuses other than 502-504, and requests NO_PROXY exempts, are the host\'s own', () => {
    const env = { HTTP_PROXY: 'http://u:p@proxy.internal:3128', NO_PROXY: 'reg.local' };
    expect(statusFrom(new URL('http://reg.example/v2/'), 'reg.example', 503, env)).toMatch(/^HTTP 503 came through the proxy proxy\.internal:3128 \(/);
    expect(statusFrom(new URL('http://reg.example/v2/'), 'reg.example', 500, env)).toBe('reg.example answered HTTP 500');
    expect(statusFrom(new URL('http://reg.local/v2/'), 'reg.local', 502, env)).toBe('reg.local answered HTTP 502');
    expect(statusFrom(new URL('http://reg.example/v2/'), 'reg.example', 502, {})).toBe('reg.example answered HTTP 502');
  });

  it('NO_PROXY hosts are not said to go through the proxy', () => {
    const env = { HTTPS_PROXY: 'http://proxy.internal:3128', NO_PROXY: 'localhost,.corp.example,registry.local:5000' };
    expect(proxyFor(new URL('https://ghcr.io/v2/'), env)).toBe('proxy.internal:3128');
    expect(proxyFor(new URL('https://reg.corp.example/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://registry.local:5000/v2/'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://registry.local:5001/v2/'), env)).toBe('proxy.internal:3128');
    expect(proxyFor(new URL('http://ghcr.io/v2/'), env)).toBeUndefined(); // plain HTTP uses HTTP_PROXY only
    expect(proxyFor(new URL('https://ghcr.io/v2/'), { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' })).toBeUndefined();
  });

  it('sends User-Agent harden/<version>', async () => {
    await withEnv({ HTTPS_PROXY: undefined, HTTP_PROXY: undefined, https_proxy: undefined, http_proxy: undefined }, async () => {
      const t = new Transport({ retries: 0 });
      expect(await get(t, `http://127.0.0.1:${port}/v2/`)).toBe(200);
      await t.close();
      expect(version()).toMatch(/^\d+\.\d+\.\d+/);
      expect(seen.at(-1)?.['user-agent']).toBe(`harden/${version()}`);
    });
  });
});
