/**
 * The default resolver: local files, container registries and package indexes. Network handlers load lazily,
 * only when a lookup of their kind is asked, so runs without such lookups never load undici.
 */
import { DispatchResolver, lazyHandler } from './index.js';
import { localHandler } from './local.js';

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

/** Kept in sync with src/resolvers/image.ts IMAGE_KINDS (not imported: that would load undici at start-up). */
const IMAGE_KINDS = ['image-digest', 'image-tags', 'image-config', 'image-file'];

export function createDefaultResolver(s: Partial<ResolverSettings>): DispatchResolver {
  const ttlMs = s.cacheTtlSeconds !== undefined ? s.cacheTtlSeconds * 1000 : undefined;
  return new DispatchResolver([
    localHandler,
    lazyHandler(IMAGE_KINDS, async () =>
      (await import('./image.js')).createImageHandler({
        registries: s.registries,
        insecure: s.insecure,
        concurrency: s.concurrency,
        timeoutMs: s.timeoutMs,
        retries: s.retries,
        cacheDir: s.cacheDir,
        noCache: s.noCache,
        offline: s.offline,
        ...(ttlMs !== undefined ? { cacheTtl: { 'image-digest': ttlMs, 'image-tags': ttlMs } } : {}),
      }),
    ),
  ]);
}
