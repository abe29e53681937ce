/**
 * Fetching and caching of package indexes (APKINDEX, Debian Release/Packages, PyPI project pages, npm packuments) for
 * the package handlers, on top of the registry client's Transport (retries with backoff on 429/5xx, timeouts, error
 * mapping) and its disk cache (cache.ts).
 *
 * - Each index is downloaded at most once per run: `load(key, produce)` memoises the parsed, compact form in memory
 *   (in-flight promises included, so concurrent lookups share one download), whatever the number of packages asked.
 * - On disk, the compact form is kept under the lookup cache keyed by `package-index <key>` (the key is the index
 *   URL, or for Debian the URL of the component/arch directory) with the TTL its lookup kind declares in
 *   LOOKUP_KINDS (src/engine/lookups.ts; settings.indexTtlMs, i.e. the configuration's `cache.ttl`, overrides it): entries are stored
 *   as never-expiring answers carrying `fetchedAt`, and the TTL is applied here, by settings.now. Offline, stale
 *   entries are used and a miss is 'offline-miss'.
 * - Requests in flight are bounded per host by the run's shared limiter (settings.limiter, else settings.concurrency);
 *   counters count requests by purpose.
 */
import { LOOKUP_KINDS, lookupId, type LookupKind } from '../engine/lookups.js';
import type { Answer, LookupKey } from '../engine/types.js';
import { LookupCache } from './cache.js';
import { HostLimiter } from './limiter.js';
import { asLookupFailure, LookupFailure } from './errors.js';
import type { PackageIndexSettings } from './package-types.js';
import { header, statusFrom, Transport, type HttpResponse } from './transport.js';
import { userAgent } from '../version.js';

/** What a request is for; counted separately. */
export type IndexRequestKind = 'release' | 'index' | 'page' | 'packument' | 'download';
export type IndexCounters = Record<IndexRequestKind, number>;

const HOUR = 3_600_000;

interface CachedIndex<T> {
  fetchedAt: number;
  data: T;
}

export interface IndexGet {
  url: URL;
  kind: IndexRequestKind;
  accept?: string;
  /** What to call the request in messages (e.g. 'APKINDEX for v3.19/main/x86_64'). */
  what: string;
}

export class IndexFetcher {
  /** Requests by purpose (one per logical request; retries are counted under `retries`, see counters()). */
  private readonly byKind: IndexCounters = { release: 0, index: 0, page: 0, packument: 0, download: 0 };
  readonly cache: LookupCache;
  private readonly transport: Transport;
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Keys answered from the disk cache this run: 'cached' or 'cached, expired' (offline). */
  private readonly fromDisk = new Map<string, string>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  /** `kind`: the lookup kind answered from these indexes; its declared TTL is how long a downloaded index stays fresh. */
  constructor(kind: LookupKind, settings: PackageIndexSettings = {}) {
    this.transport = new Transport({
      timeoutMs: settings.timeoutMs,
      retries: settings.retries,
      retryBaseMs: settings.retryBaseMs,
      retryMaxDelayMs: settings.retryMaxDelayMs,
      userAgent: settings.userAgent ?? userAgent(),
      limiter: settings.limiter ?? new HostLimiter(settings.concurrency ?? 8),
    });
    this.cache = new LookupCache({ cacheDir: settings.cacheDir, noCache: settings.noCache, offline: settings.offline, env: settings.env });
    this.ttlMs = settings.indexTtlMs ?? LOOKUP_KINDS[kind].ttlMs ?? HOUR;
    this.now = settings.now ?? Date.now;
  }

  /**
   * The parsed index for `key`: from this run's memory, else the disk cache (fresh entries; any entry offline), else
   * `produce()` (stored on disk on success). Failures are remembered for the run too (one failing download per index).
   */
  load<T>(key: string, produce: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = this.loadUncached(key, produce);
      this.memo.set(key, p);
    }
    return p;
  }

  private async loadUncached<T>(key: string, produce: () => Promise<T>): Promise<T> {
    const id = `package-index ${key}`;
    const hit = await this.cache.get(id);
    if (hit) {
      const stored = hit.answer as { ok: CachedIndex<T> };
      const fresh = typeof stored.ok?.fetchedAt === 'number' && this.now() - stored.ok.fetchedAt < this.ttlMs;
      if (fresh || this.cache.offline) {
        this.fromDisk.set(key, fresh ? 'cached' : 'cached, expired');
        return stored.ok.data;
      }
    }
    if (this.cache.offline) throw new LookupFailure('offline-miss', `${key} is not in the cache (offline mode)`);
    const data = await produce();
    const entry: CachedIndex<T> = { fetchedAt: this.now(), data };
    await this.cache.set(id, 'package-index', { ok: entry }, true);
    return data;
  }

  /** `source` for an answer built from index `key`: with '; cached' when the index came from the disk cache. */
  source(key: string, source: string = key): string {
    const how = this.fromDisk.get(key);
    return how ? `${source}; ${how}` : source;
  }

  /**
   * GET `url` and hand a 2xx response to `consume`. 404/410 → 'not-found' (or `onNotFound()` when given), 429 after
   * retries → 'rate-limited', 5xx after retries → 'network', other statuses → 'registry-error'. Redirects are followed.
   */
  async get<T>(req: IndexGet, consume: (res: HttpResponse) => Promise<T>, onNotFound?: () => T | Promise<T>): Promise<T> {
    if (this.cache.offline) throw new LookupFailure('offline-miss', `${req.what}: not in the cache (offline mode)`);
    this.byKind[req.kind]++;
    return this.transport.exchange(
      { method: 'GET', url: req.url, kind: 'get', followRedirects: true, headers: req.accept ? { accept: req.accept } : {} },
      req.what,
      async (res) => {
        if (res.status >= 200 && res.status < 300) return consume(res);
        if (res.status === 404 || res.status === 410) {
          if (onNotFound) return onNotFound();
          throw new LookupFailure('not-found', `${req.what}: ${redactUrl(req.url)} answered HTTP ${res.status}`);
        }
        if (res.status === 429) {
          const after = header(res, 'retry-after');
          throw new LookupFailure('rate-limited', `${req.what}: ${req.url.host} rate-limited the request${after ? ` (Retry-After: ${after})` : ''}`);
        }
        if (res.status >= 500) throw new LookupFailure('network', `${req.what}: ${statusFrom(res.url, req.url.host, res.status)}`, res.status);
        throw new LookupFailure('registry-error', `${req.what}: ${req.url.host} answered HTTP ${res.status}`);
      },
    );
  }

  /** Requests sent: by purpose, plus `retries` (extra attempts after 429/5xx/network errors/timeouts). */
  counters(): Record<IndexRequestKind | 'retries', number> {
    const logical = Object.values(this.byKind).reduce((a, b) => a + b, 0);
    return { ...this.byKind, retries: Math.max(0, this.transport.counters.get - logical) };
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** All requests sent (retries included) according to a counters() snapshot. */
export function totalRequests(c: Readonly<Record<string, number>>): number {
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/** A URL for messages: no userinfo, no query (tokens sometimes live there). */
export function redactUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Join a base URL and path segments ('/'-separated, each already URL-safe). */
export function joinUrl(base: string, ...segments: string[]): URL {
  const b = base.endsWith('/') ? base : `${base}/`;
  return new URL(segments.join('/'), b);
}

/** Read a whole body, failing with 'invalid' beyond `max` bytes. */
export async function readBody(body: AsyncIterable<Buffer | Uint8Array | string>, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    n += b.length;
    if (n > max) throw new LookupFailure('invalid', `${what}: larger than ${max} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Split a text stream into lines ('\n', a trailing '\r' removed), without holding more than one partial line. */
export async function* lines(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  }
  rest += decoder.decode();
  if (rest !== '') yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** A LookupHandler over an IndexFetcher: identical keys share one answer; failures become Answer errors. */
export interface PackageHandler {
  readonly kinds: readonly string[];
  resolve(keys: readonly LookupKey[], onAnswer?: (key: LookupKey) => void): Promise<Map<string, Answer>>;
  /** Requests sent by purpose (release, index, page, packument, download) and retries (live snapshot). */
  readonly counters: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

export function packageHandler(
  kinds: readonly string[],
  fetcher: IndexFetcher,
  answer: (key: LookupKey) => Promise<{ ok: unknown; source?: string }>,
): PackageHandler {
  const inFlight = new Map<string, Promise<Answer>>();
  const one = (key: LookupKey): Promise<Answer> => {
    const id = lookupId(key);
    let p = inFlight.get(id);
    if (!p) {
      p = answer(key).catch((e: unknown) => ({ error: asLookupFailure(e).toLookupError() }));
      inFlight.set(id, p);
    }
    return p;
  };
  return {
    kinds,
    async resolve(keys, onAnswer) {
      const out = new Map<string, Answer>();
      await Promise.all(
        keys.map(async (k) => {
          out.set(lookupId(k), await one(k));
          onAnswer?.(k);
        }),
      );
      return out;
    },
    get counters() {
      return fetcher.counters();
    },
    close: () => fetcher.close(),
  };
}

/** A required non-empty string property of a key, else an 'invalid' failure. */
export function keyString(key: LookupKey, prop: string): string {
  const v = (key as Record<string, unknown>)[prop];
  if (typeof v !== 'string' || v.trim() === '') throw new LookupFailure('invalid', `${key.kind} lookup without '${prop}'`);
  return v.trim();
}

/** An optional string property of a key. */
export function optString(key: LookupKey, prop: string): string | undefined {
  const v = (key as Record<string, unknown>)[prop];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** An optional string-array property of a key. */
export function optStrings(key: LookupKey, prop: string): string[] | undefined {
  const v = (key as Record<string, unknown>)[prop];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new LookupFailure('invalid', `${key.kind} lookup: '${prop}' must be a list of strings`);
  return v as string[];
}
