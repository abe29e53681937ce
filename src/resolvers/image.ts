/**
 * The image lookup handler: answers 'image-digest', 'image-tags', 'image-config' and 'image-file' keys from OCI
 * registries, with a disk cache and de-duplication of identical lookups in flight; requests are limited per host by
 * the transport's limiter (limiter.ts).
 *
 * Lookup semantics:
 * - A ref with a tag is resolved by its tag even when it also carries a digest (the tag is what the user tracks; a
 *   codemod compares the pinned digest with the answer). A ref with only a digest is looked up by that digest, and its
 *   answers never expire in the cache.
 * - 'image-digest' without platform: the digest the tag points to (index/list digest for multi-platform images).
 *   With platform: the digest of that platform's manifest (see platform.ts for matching and os.version).
 * - 'image-config' / 'image-file' on a multi-platform image use `platform`, default linux/amd64.
 * - 'image-config' answers: user, working dir, VOLUMEs, exposed ports, env, entrypoint, cmd and the HEALTHCHECK
 *   (`healthcheck`, durations in nanoseconds) of the image config.
 */
import { lookupId } from '../engine/lookups.js';
import type { Answer, ImageDigestAnswer, ImageTagsAnswer, LookupKey } from '../engine/types.js';
import { LookupCache, type CacheTtl } from './cache.js';
import { HostLimiter } from './limiter.js';
import { CredentialStore } from './credentials.js';
import { describeEndpoint } from './endpoint.js';
import { asLookupFailure, LookupFailure } from './errors.js';
import { parsePlatform, type Platform } from './platform.js';
import { formatRefForLookup, parseReference, type ImageReference } from './reference.js';
import { RegistryClient } from './registry.js';
import type { Counters } from './transport.js';
import { userAgent } from '../version.js';

export const IMAGE_KINDS = ['image-digest', 'image-tags', 'image-config', 'image-file'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

export interface RegistrySettings {
  /** Per registry host: `{ mirror: 'http://127.0.0.1:5000' }` serves that registry's lookups from the mirror. */
  registries?: Record<string, { mirror?: string }>;
  /** Non-loopback hosts ('host' or 'host:port') spoken to over plain HTTP. */
  insecure?: string[];
  /** Requests in flight per host at once (when no shared `limiter` is given). Default 8. */
  concurrency?: number;
  /** The run's limit of requests per host, shared with its other handlers. */
  limiter?: HostLimiter;
  /** Per-request timeout (ms). Default 30 000. */
  timeoutMs?: number;
  /** Retries on 429/5xx/network errors. Default 3. */
  retries?: number;
  /** First retry delay (ms), doubled each retry. Default 500. */
  retryBaseMs?: number;
  /** Longest Retry-After/backoff wait honoured (ms). Default 30 000. */
  retryMaxDelayMs?: number;
  /** Cache directory. Default $XDG_CACHE_HOME/harden or ~/.cache/harden. */
  cacheDir?: string;
  /** Cache lifetimes by kind (ms). */
  cacheTtl?: CacheTtl;
  /** Neither read nor write the cache. */
  noCache?: boolean;
  /** Answer from the cache only; a miss is an 'offline-miss' error. */
  offline?: boolean;
  /** Directory holding the Docker config.json. Default $DOCKER_CONFIG or ~/.docker. */
  dockerConfigDir?: string;
  userAgent?: string;
  /** Tag list page size. Default 1000. */
  tagsPageSize?: number;
  /** Environment for credentials (HARDEN_REGISTRY_AUTH, DOCKER_CONFIG, PATH for helpers). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface ImageHandler {
  readonly kinds: readonly string[];
  resolve(keys: readonly LookupKey[], onAnswer?: (key: LookupKey) => void): Promise<Map<string, Answer>>;
  /** Requests sent, by kind: token, head, get, blob, tags (live object). */
  readonly counters: Readonly<Counters>;
  /** Things to say once per run (a registry mirror given up). */
  notes(): string[];
  /** Release connections. */
  close(): Promise<void>;
}

type ImageKey = LookupKey & { kind: ImageKind; ref: string; platform?: string; paths?: readonly string[] };

export function createImageHandler(settings: RegistrySettings = {}): ImageHandler {
  const cache = new LookupCache({
    cacheDir: settings.cacheDir,
    cacheTtl: settings.cacheTtl,
    noCache: settings.noCache,
    offline: settings.offline,
    env: settings.env,
  });
  const client = new RegistryClient({
    registries: settings.registries,
    insecure: settings.insecure,
    timeoutMs: settings.timeoutMs,
    retries: settings.retries,
    retryBaseMs: settings.retryBaseMs,
    retryMaxDelayMs: settings.retryMaxDelayMs,
    userAgent: settings.userAgent ?? userAgent(),
    tagsPageSize: settings.tagsPageSize,
    credentials: new CredentialStore({ dockerConfigDir: settings.dockerConfigDir, env: settings.env }),
    cache,
    limiter: settings.limiter ?? new HostLimiter(settings.concurrency ?? 8),
  });
  const inFlight = new Map<string, Promise<Answer>>();

  function answer(key: ImageKey): Promise<Answer> {
    const id = lookupId(key);
    let p = inFlight.get(id);
    if (!p) {
      p = answerUncached(key, id, cache, client).finally(() => inFlight.delete(id));
      inFlight.set(id, p);
    }
    return p;
  }

  return {
    kinds: IMAGE_KINDS,
    counters: client.counters,
    async resolve(keys, onAnswer) {
      const out = new Map<string, Answer>();
      await Promise.all(
        keys.map(async (k) => {
          out.set(lookupId(k), await answer(k as ImageKey));
          onAnswer?.(k);
        }),
      );
      return out;
    },
    notes: () => client.notes(),
    close: () => client.close(),
  };
}

/**
 * The cache entry of a lookup: image-config answers are versioned, so answers cached before a field was added
 * (`healthcheck`) are fetched again instead of reading as "the image has none" (digest-only ones never expire).
 */
const IMAGE_CONFIG_VERSION = 2;
export const cacheIdOf = (key: LookupKey, id: string = lookupId(key)): string =>
  key.kind === 'image-config' ? `${id} v${IMAGE_CONFIG_VERSION}` : id;

async function answerUncached(key: ImageKey, id: string, cache: LookupCache, client: RegistryClient): Promise<Answer> {
  const cacheId = cacheIdOf(key, id);
  const hit = await cache.get(cacheId);
  if (hit) return hit.answer;
  let ref: ImageReference | undefined;
  try {
    ref = parseReference(String(key.ref));
    if (cache.offline) {
      throw new LookupFailure('offline-miss', `no cached answer for ${key.kind} of ${formatRefForLookup(ref)} (offline mode)`);
    }
    const result = await lookup(key, ref, client);
    const immutable = ref.digest !== undefined && ref.tag === undefined;
    await cache.set(cacheId, key.kind, result, immutable);
    return result;
  } catch (e) {
    const failure = asLookupFailure(e);
    return { error: (ref ? failure.withSubject(formatRefForLookup(ref)) : failure).toLookupError() };
  }
}

function platformOfKey(key: ImageKey): Platform | undefined {
  return typeof key.platform === 'string' && key.platform !== '' ? parsePlatform(key.platform) : undefined;
}

async function lookup(key: ImageKey, ref: ImageReference, client: RegistryClient): Promise<Answer> {
  switch (key.kind) {
    case 'image-digest': {
      const r = await client.resolveDigest(ref, platformOfKey(key));
      const ok: ImageDigestAnswer = { digest: r.digest, mediaType: r.mediaType, registry: r.endpoint.mirror ? r.endpoint.host : r.endpoint.registry };
      return { ok, source: describeEndpoint(r.endpoint) };
    }
    case 'image-tags': {
      const r = await client.listTags(ref);
      const ok: ImageTagsAnswer = { tags: r.tags };
      return { ok, source: describeEndpoint(r.endpoint) };
    }
    case 'image-config': {
      const r = await client.imageConfig(ref, platformOfKey(key));
      return { ok: r.config, source: describeEndpoint(r.endpoint) };
    }
    case 'image-file': {
      const paths = Array.isArray(key.paths) ? key.paths.map(String) : [];
      if (paths.length === 0) throw new LookupFailure('invalid', 'image-file lookup without paths');
      const r = await client.findFile(ref, platformOfKey(key), paths);
      return { ok: { path: r.path, content: r.content }, source: describeEndpoint(r.endpoint) };
    }
    default:
      throw new LookupFailure('internal', `unsupported lookup kind ${String((key as { kind: unknown }).kind)}`);
  }
}
