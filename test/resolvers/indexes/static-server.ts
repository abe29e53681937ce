/**
 * A loopback HTTP server for the package-index tests: serves a directory, records requests, and injects faults.
 *
 * - Path resolution: the URL path is percent-decoded and looked up under `root`. A directory is answered with
 *   `index.json` when the request's Accept names `application/vnd.pypi.simple.v1+json` and the file exists, else
 *   `index.html`. A missing file `X` is answered with `X.json` when that exists (npm packuments: `/@scope%2fname` →
 *   `@scope/name.json`). Content-Type comes from the extension (`.json` under a PEP 691 request is served as
 *   `application/vnd.pypi.simple.v1+json`).
 * - Paths escaping `root` are 404.
 * - `faults`: consumed in order for matching requests: a status (429 with Retry-After, 500, 503 …), a hang (no answer
 *   until the client gives up) or a body replacement (with its Content-Type).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';

export interface RecordedRequest {
  method: string;
  /** The raw request path (as sent: percent-encoding kept). */
  rawPath: string;
  /** Decoded path. */
  path: string;
  accept: string;
  status: number;
}

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string; times?: number; match?: (path: string) => boolean }
  | { kind: 'hang'; times?: number; match?: (path: string) => boolean }
  | { kind: 'body'; body: Buffer | string; contentType?: string; times?: number; match?: (path: string) => boolean };

export interface StaticServer {
  url: string;
  host: string;
  requests: RecordedRequest[];
  faults: Fault[];
  /** Most requests being answered at the same time so far. */
  readonly maxInFlight: number;
  /** Delay every answer by this many ms (to observe concurrency). */
  delayMs: number;
  /** Requests whose decoded path satisfies `pred` (or all). */
  count(pred?: (path: string) => boolean): number;
  reset(): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.gz': 'application/gzip',
  '.xz': 'application/x-xz',
  '.tgz': 'application/octet-stream',
};

export async function startStaticServer(root: string): Promise<StaticServer> {
  const base = resolve(root);
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;
  const state = { delayMs: 0 };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const accept = String(req.headers.accept ?? '');
    const rec: RecordedRequest = { method: req.method ?? 'GET', rawPath, path, accept, status: 0 };
    requests.push(rec);

    const fault = faults.find((f) => (f.times ?? 1) > 0 && (!f.match || f.match(path)));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.kind === 'hang') {
        rec.status = -1;
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (fault.kind === 'status') {
        rec.status = fault.status;
        res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
        res.end(`injected ${fault.status}`);
        return;
      }
      rec.status = 200;
      res.writeHead(200, { 'content-type': fault.contentType ?? 'application/octet-stream' });
      res.end(fault.body);
      return;
    }

    const file = await locate(base, path, accept);
    if (!file) {
      rec.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const pep691 = accept.includes('application/vnd.pypi.simple.v1+json') && file.endsWith('.json') && file.endsWith(`${sep}index.json`);
    const type = pep691 ? 'application/vnd.pypi.simple.v1+json' : (TYPES[extname(file)] ?? 'application/octet-stream');
    const size = (await stat(file)).size;
    rec.status = 200;
    res.writeHead(200, { 'content-type': type, 'content-length': String(size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const go = () =>
      handle(req, res).catch((e: unknown) => {
        res.writeHead(500);
        res.end(String(e));
      });
    if (state.delayMs > 0) setTimeout(go, state.delayMs);
    else void go();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}`,
    host,
    requests,
    faults,
    get maxInFlight() {
      return maxInFlight;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v: number) {
      state.delayMs = v;
    },
    count: (pred) => requests.filter((r) => !pred || pred(r.path)).length,
    reset() {
      requests.length = 0;
      faults.length = 0;
      maxInFlight = 0;
      state.delayMs = 0;
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function locate(base: string, path: string, accept: string): Promise<string | undefined> {
  const target = resolve(join(base, path));
  if (target !== base && !target.startsWith(base + sep)) return undefined;
  const st = await stat(target).catch(() => undefined);
  if (st?.isDirectory()) {
    if (accept.includes('application/vnd.pypi.simple.v1+json') && (await isFile(join(target, 'index.json')))) return join(target, 'index.json');
    return (await isFile(join(target, 'index.html'))) ? join(target, 'index.html') : undefined;
  }
  if (st?.isFile()) return target;
  if (await isFile(`${target}.json`)) return `${target}.json`;
  return undefined;
}

/** A test file's server over `root` and its per-test cache directories, started and cleaned up by vitest hooks. */
export interface IndexServerHarness {
  /** The running server (after beforeAll). */
  readonly srv: StaticServer;
  /** A fresh cache directory, removed after the test. */
  tempCacheDir(): Promise<string>;
}

export function useIndexServer(root: string, name: string): IndexServerHarness {
  let srv: StaticServer | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    srv = await startStaticServer(root);
  });
  afterAll(async () => {
    await srv?.close();
  });
  afterEach(async () => {
    srv?.reset();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    get srv() {
      if (!srv) throw new Error('the index server is not started yet');
      return srv;
    },
    async tempCacheDir() {
      const d = await mkdtemp(join(tmpdir(), `harden-${name}-cache-`));
      dirs.push(d);
      return d;
    },
  };
}
