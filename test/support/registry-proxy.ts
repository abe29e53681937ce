/**
 * A fault-injecting loopback HTTP proxy in front of the real test registry: answers with a status (429 + Retry-After,
 * 500, …) N times, delays, drops connections, strips or corrupts Docker-Content-Digest, or redirects requests
 * elsewhere. Also a "capture" server that records request headers and serves content fetched from the registry
 * (a redirect target on another port, to check that credentials do not follow redirects).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The request body as text (empty for GET/HEAD). */
  body?: string;
}

type Match = (r: ProxyRequest) => boolean;

export type Fault = { match?: Match; times?: number } & (
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'drop' }
  | { kind: 'strip-digest' }
  | { kind: 'corrupt-digest' }
  | { kind: 'redirect'; to: (r: ProxyRequest) => string; status?: number }
  | { kind: 'edit-headers'; edit: (h: IncomingHttpHeaders) => void }
);

export interface FaultProxy {
  host: string;
  url: string;
  faults: Fault[];
  requests: ProxyRequest[];
  count(pred: (r: ProxyRequest) => boolean): number;
  /** Requests being answered now, and the most at once since the last `resetInFlight()`. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  resetInFlight(): void;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

function takeFault(faults: Fault[], r: ProxyRequest): Fault | undefined {
  const f = faults.find((x) => (x.times === undefined || x.times > 0) && (!x.match || x.match(r)));
  if (f && f.times !== undefined) f.times--;
  return f;
}

/** Forward a request to the upstream and stream the answer back (optionally editing response headers). */
function forward(
  upstream: URL,
  r: ProxyRequest,
  body: Buffer,
  res: import('node:http').ServerResponse,
  edit?: (h: IncomingHttpHeaders) => void,
): void {
  const headers = { ...r.headers, host: upstream.host };
  const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: r.method, path: r.path, headers }, (ur) => {
    const h = { ...ur.headers };
    edit?.(h);
    res.writeHead(ur.statusCode ?? 502, h as Record<string, string | string[]>);
    ur.pipe(res);
  });
  up.on('error', () => res.destroy());
  up.end(body);
}

export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const faults: Fault[] = [];
  const requests: ProxyRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const r: ProxyRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: body.toString('utf8') };
      requests.push(r);
      const f = takeFault(faults, r);
      switch (f?.kind) {
        case 'status':
          res.writeHead(f.status, { 'content-type': 'application/json', ...(f.retryAfter ? { 'retry-after': f.retryAfter } : {}) });
          res.end(r.method === 'HEAD' ? undefined : '{"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]}');
          return;
        case 'delay':
          setTimeout(() => forward(upstream, r, body, res), f.ms);
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'strip-digest':
          forward(upstream, r, body, res, (h) => delete h['docker-content-digest']);
          return;
        case 'corrupt-digest':
          forward(upstream, r, body, res, (h) => {
            if (h['docker-content-digest']) h['docker-content-digest'] = `sha256:${'0'.repeat(64)}`;
          });
          return;
        case 'redirect':
          res.writeHead(f.status ?? 307, { location: f.to(r) }).end();
          return;
        case 'edit-headers':
          forward(upstream, r, body, res, f.edit);
          return;
        default:
          forward(upstream, r, body, res);
      }
    });
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    faults,
    requests,
    count: (pred) => requests.filter(pred).length,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    resetInFlight: () => {
      maxInFlight = inFlight;
    },
    close: () => close(server),
  };
}

export interface CaptureServer {
  url: string;
  requests: ProxyRequest[];
  close(): Promise<void>;
}

/** Serves GETs (and POSTs, as GETs) by fetching the same path from `upstreamUrl` with `upstreamHeaders`; records what it received, body included. */
export async function startCaptureServer(upstreamUrl: string, upstreamHeaders: Record<string, string>): Promise<CaptureServer> {
  const upstream = new URL(upstreamUrl);
  const requests: ProxyRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ProxyRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      forward(upstream, { ...r, method: r.method === 'POST' ? 'GET' : r.method, headers: { ...upstreamHeaders } }, Buffer.alloc(0), res);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, close: () => close(server) };
}
