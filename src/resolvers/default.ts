/**
 * The default resolver: local files, container registries and package indexes. Network handlers load lazily,
 * only when a lookup of their kind is asked, so runs without such lookups never load undici.
 */
import { kindsOf } from '../engine/lookups.js';
import { DispatchResolver, lazyHandler } from './index.js';
import { HostLimiter } from './limiter.js';
import { localHandler } from './local.js';
import type { PackageIndexSettings } from './package-types.js';

export interface ResolverSettings {
  registries?: Record<string, { mirror?: string }>;
  insecure?: string[];
  concurrency?: number;
  timeoutMs?: number;
  retries?: number;
  cacheDir?: string;
  cacheTtlSeconds?: number;
  noCache?: boolean;
  offline?: boolean;
  indexes?: Record<string, string>;
  verbose?: boolean;
}

/**
 * The kinds each lazily loaded handler answers, from the lookup declarations (src/engine/lookups.ts: each kind names
 * its loader); test/resolvers/default.test.ts checks they agree with the *_KINDS exports of the handler modules
 * (not imported here: that would load undici at start-up).
 */
export const LAZY_KINDS = {
  image: kindsOf('image'),
  apk: kindsOf('apk'),
  apt: kindsOf('apt'),
  pypi: kindsOf('pypi'),
  npm: kindsOf('npm'),
  url: kindsOf('url'),
};

/** The `indexes:` configuration keys, mapped to the package-index settings they set. */
const INDEX_KEYS: Record<string, keyof PackageIndexSettings> = {
  apk: 'apkMirror',
  alpine: 'apkMirror',
  debian: 'debianMirror',
  'debian-security': 'debianSecurityMirror',
  ubuntu: 'ubuntuMirror',
  'ubuntu-ports': 'ubuntuPortsMirror',
  'ubuntu-security': 'ubuntuSecurityMirror',
  pypi: 'pypiIndex',
  npm: 'npmRegistry',
};

/** Package-index settings from the resolver settings (`indexes:` names the mirrors; unknown names are ignored). */
export function packageIndexSettings(s: Partial<ResolverSettings>, limiter?: HostLimiter): PackageIndexSettings {
  const out: PackageIndexSettings = {
    ...transportSettings(s, limiter),
    ...(s.cacheTtlSeconds !== undefined ? { indexTtlMs: s.cacheTtlSeconds * 1000 } : {}),
  };
  for (const [name, url] of Object.entries(s.indexes ?? {})) {
    const key = INDEX_KEYS[name];
    if (key) (out as Record<string, unknown>)[key] = url;
  }
  for (const k of Object.keys(out) as (keyof PackageIndexSettings)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/**
 * What every network handler shares: the one limit of requests per host (`--concurrency`, whichever handler sends
 * them), timeouts, retries and the disk cache.
 */
function transportSettings(s: Partial<ResolverSettings>, limiter?: HostLimiter) {
  const { concurrency, timeoutMs, retries, cacheDir, noCache, offline } = s;
  return { concurrency, ...(limiter ? { limiter } : {}), timeoutMs, retries, cacheDir, noCache, offline };
}

export function createDefaultResolver(s: Partial<ResolverSettings>): DispatchResolver {
  const ttlMs = s.cacheTtlSeconds !== undefined ? s.cacheTtlSeconds * 1000 : undefined;
  const limiter = new HostLimiter(s.concurrency ?? 8);
  return new DispatchResolver([
    localHandler,
    lazyHandler(LAZY_KINDS.image, async () =>
      (await import('./image.js')).createImageHandler({
        registries: s.registries,
        insecure: s.insecure,
        ...transportSettings(s, limiter),
        ...(ttlMs !== undefined ? { cacheTtl: { 'image-digest': ttlMs, 'image-tags': ttlMs } } : {}),
      }),
    ),
    lazyHandler(LAZY_KINDS.apk, async () => (await import('./apk.js')).createApkHandler(packageIndexSettings(s, limiter))),
    lazyHandler(LAZY_KINDS.apt, async () => (await import('./apt.js')).createAptHandler(packageIndexSettings(s, limiter))),
    lazyHandler(LAZY_KINDS.pypi, async () => (await import('./pypi.js')).createPypiHandler(packageIndexSettings(s, limiter))),
    lazyHandler(LAZY_KINDS.npm, async () => (await import('./npm.js')).createNpmHandler(packageIndexSettings(s, limiter))),
    lazyHandler(LAZY_KINDS.url, async () =>
      (await import('./url-sha256.js')).createUrlSha256Handler(packageIndexSettings(s, limiter)),
    ),
  ]);
}
