/**
 * Platforms: parsing 'os/arch[/variant]' strings and choosing a child of an image index / manifest list.
 *
 * Accepted spellings (os.version is optional and only meaningful for Windows):
 *   linux/amd64, linux/arm64, linux/arm64/v8, linux/arm/v7,
 *   windows/amd64:10.0.20348           (os.version after a ':' at the end), and
 *   windows(10.0.20348)/amd64          (containerd's spelling).
 * Normalisation follows containerd: os and arch lowercased; x86_64/x86-64 → amd64, aarch64 → arm64, i386 → 386,
 * armhf → arm/v7, armel → arm/v6; arm64 without a variant means v8; arm without a variant means v7;
 * amd64 variant v1 means no variant.
 * Matching: os, architecture and variant must be equal after normalisation. When the request names an os.version, an
 * entry matches if its os.version equals it or extends it at a '.' boundary ('10.0.20348' matches '10.0.20348.2113'),
 * and among several the highest version wins. Entries for os 'unknown' (attestations) never match.
 */
import { LookupFailure } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
}

/** The `platform` object of an index entry or the os/architecture fields of an image config. */
export interface PlatformFields {
  os?: unknown;
  architecture?: unknown;
  variant?: unknown;
  'os.version'?: unknown;
}

const ARCH_ALIASES: Record<string, Platform['architecture']> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  i386: '386',
  armhf: 'arm',
  armel: 'arm',
};

/** Parse a platform string; throws LookupFailure('invalid') when malformed. */
export function parsePlatform(s: string): Platform {
  let text = s.trim();
  let osVersion: string | undefined;
  const paren = /^([^/(]+)\(([^)]+)\)(\/.*)$/.exec(text);
  if (paren) {
    osVersion = paren[2];
    text = `${paren[1]}${paren[3]}`;
  } else {
    const colon = /^(.*):([0-9][0-9.]*)$/.exec(text);
    if (colon) {
      osVersion = colon[2];
      text = colon[1] ?? '';
    }
  }
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new LookupFailure('invalid', `invalid platform "${s}" (expected os/arch[/variant], e.g. linux/arm64/v8)`);
  }
  const rawArch = (parts[1] ?? '').toLowerCase();
  return normalisePlatform({
    os: (parts[0] ?? '').toLowerCase(),
    architecture: rawArch,
    variant: parts[2] ?? (rawArch === 'armhf' ? 'v7' : rawArch === 'armel' ? 'v6' : undefined),
    osVersion,
  });
}

/** containerd-style normalisation (see the module comment). */
export function normalisePlatform(p: { os: string; architecture: string; variant?: string | undefined; osVersion?: string | undefined }): Platform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  let variant = p.variant?.toLowerCase() || undefined;
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && /^\d$/.test(variant ?? '')) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  const out: Platform = { os: p.os.toLowerCase(), architecture };
  if (variant) out.variant = variant;
  if (p.osVersion) out.osVersion = p.osVersion;
  return out;
}

/** Read a platform from an index entry's `platform` or an image config (missing fields become ''). */
export function platformOf(f: PlatformFields | undefined): Platform {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return normalisePlatform({
    os: str(f?.os),
    architecture: str(f?.architecture).toLowerCase(),
    variant: str(f?.variant) || undefined,
    osVersion: str(f?.['os.version']) || undefined,
  });
}

export function formatPlatform(p: Platform): string {
  const base = [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  return p.osVersion ? `${base}:${p.osVersion}` : base;
}

/** Whether `have` (an entry's platform) satisfies `want`, ignoring os.version. */
function sameOsArch(want: Platform, have: Platform): boolean {
  return have.os !== 'unknown' && want.os === have.os && want.architecture === have.architecture && want.variant === have.variant;
}

function versionMatches(want: string | undefined, have: string | undefined): boolean {
  if (want === undefined) return true;
  return have !== undefined && (have === want || have.startsWith(`${want}.`));
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Index of the entry to use for `want`, or -1. With several equal candidates the first wins (containerd order).
 * A request without a variant (other than arm/arm64, which have defaults) falls back to the first entry of the same
 * os/architecture whatever its variant (e.g. 'linux/amd64' when only 'linux/amd64/v2' is listed).
 */
export function selectPlatform(want: Platform, entries: readonly Platform[]): number {
  const exact = bestMatch(want, entries, sameOsArch);
  if (exact >= 0 || want.variant !== undefined) return exact;
  return bestMatch(want, entries, (w, h) => h.os !== 'unknown' && w.os === h.os && w.architecture === h.architecture);
}

function bestMatch(want: Platform, entries: readonly Platform[], same: (w: Platform, h: Platform) => boolean): number {
  let best = -1;
  entries.forEach((have, i) => {
    if (!same(want, have) || !versionMatches(want.osVersion, have.osVersion)) return;
    const current = best >= 0 ? entries[best] : undefined;
    if (!current) best = i;
    else if (want.osVersion && compareVersions(have.osVersion ?? '', current.osVersion ?? '') > 0) best = i;
  });
  return best;
}

/** Whether a single-platform image (config os/architecture/variant) satisfies `want`. */
export function platformSatisfies(want: Platform, have: Platform): boolean {
  return sameOsArch(want, have) && versionMatches(want.osVersion, have.osVersion);
}
