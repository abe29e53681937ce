/**
 * Lookup kinds and settings of the package-index resolvers (apk, apt, PyPI, npm, URL checksums).
 *
 * Errors (Answer `{ error: { code, message } }`) use the registry client's codes (see errors.ts):
 * - 'not-found': the package (or a version satisfying the range/specifier) is not in the index; the message names the
 *   package and the index(es) searched. Also an index that answers 404.
 * - 'network' (unreachable, connection reset, HTTP 5xx after retries), 'timeout', 'rate-limited' (429 after retries),
 *   'tls', 'registry-error' (other unexpected HTTP statuses),
 * - 'invalid': a malformed key (missing name, bad specifier/range) or a malformed index,
 * - 'digest-mismatch': a Debian `Packages` file whose SHA256 differs from the one its Release lists,
 * - 'offline-miss': offline mode and the index is not in the disk cache.
 */

import type { HostLimiter } from './limiter.js';

// The keys and answers of these lookups are the engine's vocabulary (src/engine/lookups.ts), declared there once.
export type {
  ApkVersionAnswer, ApkVersionKey, AptVersionAnswer, AptVersionKey, NpmVersionAnswer, NpmVersionKey, PypiVersionAnswer,
  PypiVersionKey, UrlSha256Answer, UrlSha256Key,
} from '../engine/lookups.js';

export const PACKAGE_KINDS = ['apk-version', 'apt-version', 'pypi-version', 'npm-version', 'url-sha256'] as const;
export type PackageKind = (typeof PACKAGE_KINDS)[number];

/** Settings shared by the package-index handlers. Every field is optional. */
export interface PackageIndexSettings {
  /** Alpine mirror base (holding `v3.19/`, `edge/`). Default 'https://dl-cdn.alpinelinux.org/alpine'. */
  apkMirror?: string;
  /** Default 'https://deb.debian.org/debian'. */
  debianMirror?: string;
  /** Base for the '-security' pocket on Debian. Default 'https://deb.debian.org/debian-security'. */
  debianSecurityMirror?: string;
  /** Default 'http://archive.ubuntu.com/ubuntu' (amd64, i386). */
  ubuntuMirror?: string;
  /** Ubuntu for other architectures. Default 'http://ports.ubuntu.com/ubuntu-ports'. */
  ubuntuPortsMirror?: string;
  /** '-security' on Ubuntu amd64/i386. Default 'http://security.ubuntu.com/ubuntu' (ports use ubuntuPortsMirror). */
  ubuntuSecurityMirror?: string;
  /** Default 'https://pypi.org/simple'. */
  pypiIndex?: string;
  /** Default 'https://registry.npmjs.org'. */
  npmRegistry?: string;
  /** Per-request timeout for headers and each idle gap of a body (ms). Default 30 000. */
  timeoutMs?: number;
  /** Retries on 429, 5xx, network errors and timeouts. Default 3. */
  retries?: number;
  /** First backoff (ms), doubling. Default 500. */
  retryBaseMs?: number;
  /** Longest Retry-After/backoff honoured (ms). Default 30 000. */
  retryMaxDelayMs?: number;
  /** HTTP requests in flight per host at once (when no shared `limiter` is given). Default 8. */
  concurrency?: number;
  /** The run's limit of requests per host, shared with its other handlers. */
  limiter?: HostLimiter;
  /** Disk cache directory (shared layout with the registry cache). Default $XDG_CACHE_HOME/harden or ~/.cache/harden. */
  cacheDir?: string;
  /** How long a downloaded index stays fresh on disk (ms). Default: the TTL its lookup kind declares (LOOKUP_KINDS). */
  indexTtlMs?: number;
  /** The clock the index TTL is measured by (ms since the epoch). Default Date.now. */
  now?: () => number;
  /** Neither read nor write the disk cache. */
  noCache?: boolean;
  /** Disk cache only (expired entries are used); a miss is 'offline-miss'. */
  offline?: boolean;
  userAgent?: string;
  env?: NodeJS.ProcessEnv;
}
