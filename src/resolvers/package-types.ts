/**
 * Lookup keys, answer payloads and settings of the package-index resolvers (apk, apt, PyPI, npm, URL checksums).
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

/** `apk-version`: the version `apk add <name>` would install. */
export interface ApkVersionKey {
  kind: 'apk-version';
  /** 'v3.19' (a bare '3.19' is accepted), 'edge', 'latest-stable'. */
  branch: string;
  /** Alpine arch: 'x86_64', 'aarch64', 'armv7', 'armhf', 'x86', 'ppc64le', 's390x', 'riscv64'. Default 'x86_64'. */
  arch?: string;
  /**
   * Repositories searched, in order: names under the mirror's branch ('main', 'community', 'testing') or full
   * repository URLs as written in /etc/apk/repositories (`https://host/alpine/v3.19/main`; `branch` is then ignored
   * for that entry). Default ['main', 'community'].
   */
  repos?: readonly string[];
  /**
   * A package name (`P:`), or a name only provided by packages (`p:` entries such as `cmd:curl`, `so:libcurl.so.4`,
   * `pc:libcurl` or a virtual name). Provided names resolve to the providing package (see ApkVersionAnswer.provides).
   */
  name: string;
}

export interface ApkVersionAnswer {
  /** The package to pin: the name asked for, or for a provided name, the providing package's `P:`. */
  name: string;
  /** `V:` of the highest version across the repositories searched (apk's own choice without pinned tags). */
  version: string;
  /** The repository it came from: the name given in `repos` ('main') or the full URL given there. */
  repo: string;
  /** Set when `name` in the key was only a provided name (e.g. 'cmd:curl'): that requested name. */
  provides?: string;
  /** The APKINDEX URL the answer came from. */
  index: string;
}

/** `apt-version`: the candidate version apt would pick (highest across the suite's pockets). */
export interface AptVersionKey {
  kind: 'apt-version';
  distro: 'debian' | 'ubuntu';
  /** Codename: 'bookworm', 'trixie', 'jammy', 'noble', … */
  suite: string;
  /** Debian arch: 'amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x', … Default 'amd64'. */
  arch?: string;
  /** Default ['main'] ('main' and 'universe' are both worth asking for on Ubuntu). */
  components?: readonly string[];
  /**
   * Suffixes of the suite searched. Default ['', '-updates', '-security']. '-security' is fetched from the security
   * mirror (debianSecurityMirror / ubuntuSecurityMirror).
   */
  pockets?: readonly string[];
  name: string;
}

export interface AptVersionAnswer {
  name: string;
  /** The full Debian version, epoch included when there is one ('1:2.39.5-0+deb12u3'). */
  version: string;
  /** The suite (with pocket) holding that version: 'bookworm', 'bookworm-security', … */
  suite: string;
  pocket: string;
  component: string;
  /** The `Packages` URL the answer came from. */
  index: string;
}

/** `pypi-version`: the newest release of a project matching a specifier. */
export interface PypiVersionKey {
  kind: 'pypi-version';
  /** Simple-index base URL (PEP 503), default settings.pypiIndex ('https://pypi.org/simple'). */
  index?: string;
  /** Project name in any spelling: normalised per PEP 503 ('Foo_Bar' → 'foo-bar'). */
  name: string;
  /**
   * PEP 440 specifiers, comma-separated: ==, !=, >=, <=, >, <, ~=, ===, and ==/!= with a trailing '.*'. Pre-releases
   * are considered only when a clause names one (e.g. '>=2.0rc1') or when the project has nothing else matching.
   */
  specifier?: string;
  /**
   * The interpreter pip runs on, 'X.Y' or 'X.Y.Z' (e.g. '3.8', '3.8.18'). When set, only versions with a non-yanked
   * file whose Requires-Python is absent, malformed (as pip) or satisfied count; 'X.Y' stands for its patch releases.
   * Absent: Requires-Python is not checked.
   */
  python?: string;
}

export interface PypiVersionAnswer {
  /** The normalised project name. */
  name: string;
  /** The version as written in the file names (not re-normalised), e.g. '2.32.3'. */
  version: string;
  /** The project page that answered. */
  index: string;
}

/** `npm-version`: the version `npm install <name>@<range>` would pick from a registry. */
export interface NpmVersionKey {
  kind: 'npm-version';
  /** Registry base URL (from .npmrc, per scope); default settings.npmRegistry ('https://registry.npmjs.org'). */
  registry?: string;
  name: string;
  /**
   * A node-semver range (see npm.ts for the subset), or a dist-tag ('latest', 'next'). Absent or '' or '*' with a
   * `latest` tag: dist-tags.latest.
   */
  range?: string;
}

export interface NpmVersionAnswer {
  name: string;
  version: string;
  /** The packument URL that answered. */
  registry: string;
}

/** `url-sha256`: the SHA-256 of what a URL serves, for `ADD --checksum=sha256:…`. */
export interface UrlSha256Key {
  kind: 'url-sha256';
  /** https:// (http:// only on loopback hosts). Redirects are followed. */
  url: string;
}

export interface UrlSha256Answer {
  /** 'sha256:<hex>' as ADD --checksum wants it. */
  sha256: string;
  size: number;
}

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
  /** How long a downloaded index stays fresh on disk (ms). Default 1 hour. */
  indexTtlMs?: number;
  /** Neither read nor write the disk cache. */
  noCache?: boolean;
  /** Disk cache only (expired entries are used); a miss is 'offline-miss'. */
  offline?: boolean;
  userAgent?: string;
  env?: NodeJS.ProcessEnv;
}
