/**
 * `url-sha256` lookups: the SHA-256 and size of what a URL serves, for `ADD --checksum=sha256:…`.
 *
 * The body is downloaded once (redirects followed) and hashed as it streams, never buffered. Only https:// URLs are
 * fetched, plus http:// on loopback hosts (127.0.0.0/8, ::1, localhost) for tests and local mirrors; anything else
 * is 'invalid'. Answers are cached per run and on disk (the TTL url-sha256 declares in LOOKUP_KINDS, or settings.indexTtlMs), keyed by URL.
 */
import { createHash } from 'node:crypto';
import type { LookupKey } from '../engine/types.js';
import { LookupFailure } from './errors.js';
import { IndexFetcher, keyString, packageHandler, redactUrl, type PackageHandler } from './index-cache.js';
import type { PackageIndexSettings, UrlSha256Answer } from './package-types.js';

export const URL_SHA256_KINDS = ['url-sha256'] as const;

export function createUrlSha256Handler(settings: PackageIndexSettings = {}): PackageHandler {
  const fetcher = new IndexFetcher('url-sha256', settings);
  return packageHandler(URL_SHA256_KINDS, fetcher, (key) => resolveUrlSha256(key, fetcher));
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

async function resolveUrlSha256(key: LookupKey, fetcher: IndexFetcher): Promise<{ ok: UrlSha256Answer; source: string }> {
  const raw = keyString(key, 'url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LookupFailure('invalid', `url-sha256: not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new LookupFailure('invalid', `url-sha256: only https:// URLs are fetched (got ${url.protocol}//${url.host})`);
  }
  const where = redactUrl(url);
  const ok = await fetcher.load(`url-sha256 ${url.href}`, () =>
    fetcher.get({ url, kind: 'download', what: `download of ${where}` }, async (res) => {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of res.body) {
        const b = chunk as Buffer;
        hash.update(b);
        size += b.length;
      }
      return { sha256: `sha256:${hash.digest('hex')}`, size } satisfies UrlSha256Answer;
    }),
  );
  return { ok, source: fetcher.source(`url-sha256 ${url.href}`, where) };
}
