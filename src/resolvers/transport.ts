/**
 * HTTP transport for the registry client, over undici: per-request timeouts, retries with exponential backoff
 * (429 honouring Retry-After, 5xx, network errors and timeouts), manual redirects that drop `Authorization` when they
 * leave the origin (and refuse to leave it at all for token requests and requests with a body), request counters by kind, and mapping of transport failures to LookupFailure codes.
 * Proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured through undici's EnvHttpProxyAgent.
 */
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { LookupFailure } from './errors.js';
import { HostLimiter } from './limiter.js';
import { userAgent } from '../version.js';

export type RequestKind = 'token' | 'head' | 'get' | 'blob' | 'tags';
export type Counters = Record<RequestKind, number>;

export function newCounters(): Counters {
  return { token: 0, head: 0, get: 0, blob: 0, tags: 0 };
}

export interface TransportOptions {
  /** Per-request timeout for headers, and for each idle gap while reading a body (ms). Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429, 5xx and network errors. Default 3. */
  retries?: number;
  /** First backoff delay (ms); doubles each retry. Default 500. */
  retryBaseMs?: number;
  /** Longest wait honoured from Retry-After or backoff (ms); a longer Retry-After fails at once. Default 30 000. */
  retryMaxDelayMs?: number;
  userAgent?: string;
  /** Override the dispatcher (tests); default: EnvHttpProxyAgent when a proxy variable is set, else Agent. */
  dispatcher?: Dispatcher;
  /** Requests in flight per host, shared with the run's other transports. Default: a limit of 8 of its own. */
  limiter?: HostLimiter;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  kind: RequestKind;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Follow redirects: `true` (blobs, package indexes) drops Authorization when a redirect changes origin;
   * `'same-origin'` (token requests, whose body or headers hold credentials) refuses a redirect to another origin.
   * A request with a body is never resent to another origin, whatever this says.
   */
  followRedirects?: boolean | 'same-origin';
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered (after redirects). */
  url: URL;
}

const MAX_REDIRECTS = 5;
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export function header(res: { headers: HttpResponse['headers'] }, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function defaultDispatcher(): Dispatcher {
  const env = process.env;
  const proxied = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  return proxied ? new EnvHttpProxyAgent() : new Agent();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Transport {
  readonly counters: Counters = newCounters();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly userAgent: string;
  private readonly dispatcher: Dispatcher;
  private readonly limiter: HostLimiter;

  constructor(opts: TransportOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.retryMaxDelayMs = opts.retryMaxDelayMs ?? 30_000;
    this.userAgent = opts.userAgent ?? userAgent();
    this.dispatcher = opts.dispatcher ?? defaultDispatcher();
    this.limiter = opts.limiter ?? new HostLimiter(8);
  }

  /**
   * Send with retries and hand the final response to `consume` (whose result is returned). A 429/5xx is retried and,
   * once retries are spent, passed to `consume` like any other status. Network errors, timeouts and TLS failures
   * (including while `consume` reads the body) are retried, then thrown as LookupFailures; LookupFailures thrown by
   * `consume` itself (e.g. a digest mismatch) are not retried. `what` names the request in messages.
   */
  async exchange<T>(req: HttpRequest, what: string, consume: (res: HttpResponse) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      // One attempt holds a slot of the host's limit; the wait before the next attempt does not.
      const step = await this.limiter.run(req.url.host, async (): Promise<{ value: T } | { wait: number }> => {
        try {
          const res = await this.sendFollowing(req, what);
          if (!last && RETRY_STATUSES.has(res.status)) {
            const wait = res.status === 429 ? this.retryAfter(res, attempt) : this.backoff(attempt);
            await res.body.dump().catch(() => undefined);
            if (wait === undefined) return this.rateLimitedTooLong(res, req, what);
            return { wait };
          }
          return { value: await consumeAndClose(res, consume) };
        } catch (e) {
          if (e instanceof LookupFailure) throw e;
          const failure = transportFailure(e, what, req.url);
          if (last || failure.code === 'tls') throw failure;
          return { wait: this.backoff(attempt) };
        }
      });
      if ('value' in step) return step.value;
      await sleep(step.wait);
    }
  }

  /** A 429 whose Retry-After exceeds the cap: give up now rather than stall the run. */
  private async rateLimitedTooLong(res: HttpResponse, req: HttpRequest, what: string): Promise<never> {
    const after = header(res, 'retry-after') ?? '?';
    throw new LookupFailure('rate-limited', `${what}: ${req.url.host} rate-limited the request (Retry-After: ${after})`);
  }

  private backoff(attempt: number): number {
    const base = this.retryBaseMs * 2 ** attempt;
    return Math.min(this.retryMaxDelayMs, base + Math.floor(Math.random() * (this.retryBaseMs / 2)));
  }

  /** Milliseconds to wait for a 429, from Retry-After (seconds or HTTP date), else backoff; undefined if over the cap. */
  private retryAfter(res: HttpResponse, attempt: number): number | undefined {
    const v = header(res, 'retry-after');
    if (v === undefined) return this.backoff(attempt);
    const seconds = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - Date.now();
    if (Number.isNaN(seconds)) return this.backoff(attempt);
    const ms = Math.max(0, seconds);
    return ms > this.retryMaxDelayMs ? undefined : ms;
  }

  private async sendFollowing(req: HttpRequest, what: string): Promise<HttpResponse> {
    let url = req.url;
    let headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
    for (let hop = 0; ; hop++) {
      const res = await this.sendOnce(req, url, headers);
      const location = header(res, 'location');
      if (!req.followRedirects || ![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await res.body.dump().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new LookupFailure('network', `too many redirects from ${req.url.host}`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new LookupFailure('registry-error', `${what}: ${url.host} sent a redirect to an invalid location`);
      }
      if (next.origin !== url.origin) {
        if (req.followRedirects === 'same-origin' || req.body !== undefined) {
          throw new LookupFailure(
            'registry-error',
            `${what}: ${url.host} redirected the ${req.kind === 'token' ? 'token request' : 'request'} to another host (${next.host}): refused, credentials are only sent to the host they belong to`,
          );
        }
        headers = withoutAuthorization(headers);
      }
      url = next;
    }
  }

  private async sendOnce(req: HttpRequest, url: URL, headers: Record<string, string>): Promise<HttpResponse> {
    this.counters[req.kind]++;
    // undici's own headersTimeout uses coarse timers; a precise timer aborts a request whose headers are late.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(headersTimeoutError()), this.timeoutMs);
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        body: req.body,
        dispatcher: this.dispatcher,
        signal: controller.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** Run `consume`, then release the body (a small unread rest is drained to keep the connection; more aborts it). */
async function consumeAndClose<T>(res: HttpResponse, consume: (res: HttpResponse) => Promise<T>): Promise<T> {
  try {
    return await consume(res);
  } finally {
    if (!res.body.destroyed && !res.body.readableEnded) await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
  }
}

function headersTimeoutError(): Error {
  return Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'authorization') out[k] = v;
  return out;
}

/** Map a thrown transport error to a LookupFailure. Messages carry the host and error code only, never headers. */
/**
 * The proxy a request to `url` goes through (from HTTPS_PROXY/HTTP_PROXY, unless NO_PROXY excludes the host), as
 * `host:port` without credentials, or undefined. Mirrors undici's EnvHttpProxyAgent, for error messages.
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!raw) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(/[\s,]+/).filter(Boolean);
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const entry of noProxy) {
    if (entry === '*') return undefined;
    const [h = '', p] = entry.toLowerCase().replace(/^\*?\./, '.').split(/:(?=\d+$)/);
    if (p && p !== port) continue;
    if (host === h.replace(/^\./, '') || (h.startsWith('.') ? host.endsWith(h) : host.endsWith(`.${h}`))) return undefined;
  }
  try {
    return new URL(raw.includes('://') ? raw : `http://${raw}`).host;
  } catch {
    return raw.replace(/^.*@/, '');
  }
}

/**
 * How to say that `host` answered `status`: a 502/503/504 on a request that went through a proxy may be the proxy's
 * own (its upstream is down) or relayed from the host, so it is worded as coming through the proxy, named by
 * host:port (never its credentials).
 */
export function statusFrom(url: URL, host: string, status: number, env: NodeJS.ProcessEnv = process.env): string {
  const proxy = status >= 502 && status <= 504 ? proxyFor(url, env) : undefined;
  return proxy
    ? `HTTP ${status} came through the proxy ${proxy} (from the proxy or from ${host} behind it; HTTPS_PROXY/HTTP_PROXY/NO_PROXY decide which requests use it)`
    : `${host} answered HTTP ${status}`;
}

export function transportFailure(e: unknown, what: string, url: URL): LookupFailure {
  if (e instanceof LookupFailure) return e.withSubject(what);
  const err = e as { code?: string; cause?: { code?: string; message?: string }; name?: string; message?: string };
  const code = err.code ?? err.cause?.code ?? err.name ?? 'unknown';
  const proxy = proxyFor(url);
  const via = proxy ? ` through the proxy ${proxy}` : '';
  // undici: "Proxy response (502) !== 200 when HTTP Tunneling" when the proxy refuses the CONNECT.
  const tunnel = /Proxy response \((\d+)\)/.exec(`${err.message ?? ''} ${err.cause?.message ?? ''}`);
  if (proxy && tunnel) {
    return new LookupFailure('network', `${what}: the proxy ${proxy} answered ${tunnel[1]} when asked to connect to ${url.host} (HTTPS_PROXY/NO_PROXY decide which requests use it)`);
  }
  if (TIMEOUT_ERRORS.has(code) || err.name === 'TimeoutError') {
    return new LookupFailure('timeout', `${what}: ${url.host} did not answer in time${via} (${code})`);
  }
  if (TLS_ERROR.test(code)) return new LookupFailure('tls', `${what}: TLS failure talking to ${url.host}${via} (${code})`);
  return new LookupFailure('network', `${what}: cannot reach ${url.host}${via} (${code})`);
}
