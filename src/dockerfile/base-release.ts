/**
 * The distribution and release of the image a Dockerfile stage starts from, for codemods that pin distro packages
 * (lock-apk-add, lock-apt-install).
 *
 * How it is found, in lookup rounds (the engine calls `lookups()` again with the answers so far):
 * 1. the base image of the stage (following `FROM <stage>` chains, ARGs expanded: stageBaseImage) and its platform
 *    (the first literal `FROM --platform=` up the chain, else `--platform`/config `platform`, else linux/amd64);
 * 2. its digest: the one written in the reference when it is pinned, else an `image-digest` lookup of the tag (the
 *    same question pin-image-digest asks without a platform, so it is asked once);
 * 3. an `image-file` lookup of `name@digest` for etc/os-release (Debian's symlink to usr/lib/os-release is followed by
 *    the registry client), usr/lib/os-release, etc/alpine-release, etc/debian_version. Keyed by digest, the answer is
 *    immutable, so the resolver's disk cache keeps it for good: the answer is cached per digest (and platform).
 * When the image cannot be read (lookup error, or none of the files exists) the tag's own hints are used
 * (`alpine3.19`, `alpine:3.19`, `bookworm`, `debian:12`, `jammy`, `ubuntu:22.04`), and the result says why, so the
 * codemod can report it.
 */
import type { KeyOf } from '../engine/lookups.js';
import type { Answer, Answers, GlobalSettings, ImageFileAnswer, LookupError, LookupKey, ParsedDockerfile } from '../engine/types.js';
import { splitRef } from '../images/reference.js';
import { stageBaseImage } from './images.js';
import { stagesOf } from './stages.js';

export type Distro = 'alpine' | 'debian' | 'ubuntu';

export interface BaseRelease {
  distro: Distro;
  /** Alpine: 'v3.19' or 'edge'; Debian/Ubuntu: the codename ('bookworm', 'jammy'). */
  release: string;
  /** The version as the image states it ('3.19.1', '12', '22.04'), when known. */
  version?: string;
  /** Where it came from: the file read from the image, or 'tag' (hints in the tag). */
  source: string;
}

/** What a stage runs on: the base image reference (ARGs expanded) and the platform it is built for. */
export interface StageTarget {
  ref: string;
  platform: string;
  /** Set when the stage's platform is a build-time variable (`--platform=$BUILDPLATFORM`): the platform assumed. */
  platformAssumed?: string;
}

export type StageTargetResult = { kind: 'image'; target: StageTarget } | { kind: 'scratch' } | { kind: 'unknown'; reason: string };

export type ReleaseResult =
  /** Lookups still to be answered. */
  | { state: 'pending' }
  /** `fallback`: why the tag's hints were used instead of the image's files. `lookupError`: the error behind it, if any. */
  | { state: 'known'; release: BaseRelease; fallback?: string; lookupError?: LookupError }
  | { state: 'unknown'; reason: string; lookupError?: LookupError };

export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release', 'etc/alpine-release', 'etc/debian_version'] as const;

const DEFAULT_PLATFORM = 'linux/amd64';

/** The base image and platform of stage `stageIndex`. */
export function stageTarget(file: ParsedDockerfile, stageIndex: number, global: GlobalSettings): StageTargetResult {
  const base = stageBaseImage(file, stageIndex);
  if (base.kind !== 'image') return base;
  const stages = stagesOf(file);
  const seen = new Set<number>();
  let s = stages[stageIndex];
  let platformRaw: string | undefined;
  while (s && !seen.has(s.index)) {
    seen.add(s.index);
    if (s.platform) {
      platformRaw = s.platform.raw;
      break;
    }
    s = s.base.kind === 'stage' ? stages[s.base.stage] : undefined;
  }
  const fallback = global.platform ?? DEFAULT_PLATFORM;
  if (platformRaw === undefined) return { kind: 'image', target: { ref: base.ref, platform: fallback } };
  if (platformRaw.includes('$')) return { kind: 'image', target: { ref: base.ref, platform: fallback, platformAssumed: platformRaw } };
  return { kind: 'image', target: { ref: base.ref, platform: platformRaw } };
}

/** The `image-digest` key asked for a tag (undefined when the reference carries its digest). */
export function digestKeyFor(target: StageTarget): KeyOf<'image-digest'> | undefined {
  const parts = splitRef(target.ref);
  if (!parts || parts.digest) return undefined;
  return { kind: 'image-digest', ref: target.ref };
}

/** `name@digest` of the base image: from the reference, or from the digest answer. Error / pending otherwise. */
function digestRef(target: StageTarget, answers: Answers): { ref: string } | { pending: true } | { error: LookupError } | { invalid: string } {
  const parts = splitRef(target.ref);
  if (!parts) return { invalid: `${target.ref} is not a valid image reference` };
  if (parts.digest) return { ref: `${parts.name}@${parts.digest}` };
  const a = answers.get({ kind: 'image-digest', ref: target.ref });
  if (!a) return { pending: true };
  if ('error' in a) return { error: a.error };
  return { ref: `${parts.name}@${a.ok.digest}` };
}

/** An `image-file` key for `paths` in the base image (by digest), once the digest is known. */
export function imageFileKey(target: StageTarget, answers: Answers, paths: readonly string[]): KeyOf<'image-file'> | undefined {
  const d = digestRef(target, answers);
  if (!('ref' in d)) return undefined;
  return { kind: 'image-file', ref: d.ref, platform: target.platform, paths: [...paths] };
}

/** The keys still useful for knowing the release (asked round after round; answered keys are skipped by the engine). */
export function releaseLookups(target: StageTarget, answers: Answers, extraPaths: readonly (readonly string[])[] = []): LookupKey[] {
  const keys: LookupKey[] = [];
  const dk = digestKeyFor(target);
  if (dk) keys.push(dk);
  for (const paths of [OS_RELEASE_PATHS, ...extraPaths]) {
    const fk = imageFileKey(target, answers, paths);
    if (fk) keys.push(fk);
  }
  return keys;
}

/** The release of the target's base image, from the answers (see the module comment). */
export function releaseOf(target: StageTarget, answers: Answers): ReleaseResult {
  const d = digestRef(target, answers);
  if ('pending' in d) return { state: 'pending' };
  if ('invalid' in d) return { state: 'unknown', reason: d.invalid };
  if ('error' in d) return withTagHint(target, `the image could not be read (${d.error.code}: ${d.error.message})`, d.error);
  const key = imageFileKey(target, answers, OS_RELEASE_PATHS);
  const a: Answer<ImageFileAnswer> | undefined = key ? answers.get(key) : undefined;
  if (!a) return { state: 'pending' };
  if ('error' in a) return withTagHint(target, `the image could not be read (${a.error.code}: ${a.error.message})`, a.error);
  const rel = a.ok.path && a.ok.content !== null ? releaseFromFile(a.ok.path, a.ok.content) : null;
  if (rel) return { state: 'known', release: rel };
  return withTagHint(target, 'the image has no /etc/os-release, /etc/alpine-release or /etc/debian_version naming a known release');
}

function withTagHint(target: StageTarget, why: string, lookupError?: LookupError): ReleaseResult {
  const hint = releaseFromTag(target.ref);
  if (hint) return { state: 'known', release: hint, fallback: why, ...(lookupError ? { lookupError } : {}) };
  return { state: 'unknown', reason: `${why}, and its tag names no release`, ...(lookupError ? { lookupError } : {}) };
}

/** KEY=value lines of os-release(5): quotes removed, backslash escapes inside double quotes undone. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = (m[2] as string).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(["\\`$])/g, '$1');
    else if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1);
    out[m[1] as string] = v;
  }
  return out;
}

/**
 * Debian and Ubuntu releases, codename → version: the one table this module (tag hints, os-release and
 * /etc/debian_version answers) and distro.ts (detectDistro) read. `sid` (unstable) has no numbered release: distro.ts
 * still names it, but it is no release to pin packages against, so the release lookups here leave it out.
 */
export const DEB_RELEASES: { readonly debian: Readonly<Record<string, string>>; readonly ubuntu: Readonly<Record<string, string>> } = {
  debian: { stretch: '9', buster: '10', bullseye: '11', bookworm: '12', trixie: '13', forky: '14', sid: 'unstable' },
  ubuntu: {
    xenial: '16.04', bionic: '18.04', focal: '20.04', jammy: '22.04', mantic: '23.10', noble: '24.04', oracular: '24.10', plucky: '25.04', questing: '25.10',
  },
};

/** version → codename, numbered releases only. */
const byVersion = (table: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(table).filter(([, v]) => /^\d/.test(v)).map(([code, v]) => [v, code]));

const DEBIAN_CODENAMES = byVersion(DEB_RELEASES.debian);
const DEBIAN_NAMES = new Set(Object.values(DEBIAN_CODENAMES));
const UBUNTU_CODENAMES = byVersion(DEB_RELEASES.ubuntu);
const UBUNTU_NAMES = new Set(Object.values(UBUNTU_CODENAMES));

/** 3.19.1 → v3.19; development snapshots (3.20.0_alpha20240329) → edge. */
function alpineBranch(version: string): string | undefined {
  if (/_alpha|_beta|_rc/.test(version)) return 'edge';
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `v${m[1]}.${m[2]}` : undefined;
}

/** The release stated by one of OS_RELEASE_PATHS' files, or null when it names none harden knows. */
export function releaseFromFile(path: string, content: string): BaseRelease | null {
  const name = path.replace(/^\.?\/+/, '');
  const source = `/${name}`;
  if (name === 'etc/alpine-release') {
    const v = content.trim();
    const b = alpineBranch(v);
    return b ? { distro: 'alpine', release: b, version: v, source } : null;
  }
  if (name === 'etc/debian_version') {
    const v = content.trim();
    const major = /^(\d+)(?:\.\d+)*$/.exec(v)?.[1];
    const code = major ? DEBIAN_CODENAMES[major] : /^([a-z]+)\/sid$/.exec(v)?.[1];
    return code ? { distro: 'debian', release: code, version: v, source } : null;
  }
  const o = parseOsRelease(content);
  const id = (o.ID ?? '').toLowerCase();
  if (id === 'alpine') {
    const v = o.VERSION_ID ?? '';
    const b = /edge/i.test(o.PRETTY_NAME ?? '') ? 'edge' : alpineBranch(v);
    return b ? { distro: 'alpine', release: b, version: v, source } : null;
  }
  if (id === 'debian' || id === 'ubuntu') {
    const table = id === 'debian' ? DEBIAN_CODENAMES : UBUNTU_CODENAMES;
    const code = o.VERSION_CODENAME || (id === 'ubuntu' ? o.UBUNTU_CODENAME : undefined) || (o.VERSION_ID ? table[o.VERSION_ID] : undefined);
    if (!code) return null;
    const rel: BaseRelease = { distro: id, release: code, source };
    if (o.VERSION_ID) rel.version = o.VERSION_ID;
    return rel;
  }
  return null;
}

/** The release the image's tag (or name, for the distro images themselves) hints at, or null. */
export function releaseFromTag(ref: string): BaseRelease | null {
  const parts = splitRef(ref);
  if (!parts) return null;
  const repo = parts.name.split('/').pop() ?? '';
  const tag = (parts.tag ?? 'latest').toLowerCase();
  const src = 'tag';
  const alp = /(?:^|[-_.])alpine(\d+\.\d+)(?:$|[-_.])/.exec(tag);
  if (alp) return { distro: 'alpine', release: `v${alp[1]}`, source: src };
  if (repo === 'alpine') {
    if (tag === 'edge') return { distro: 'alpine', release: 'edge', source: src };
    const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(tag);
    if (m) return { distro: 'alpine', release: `v${m[1]}.${m[2]}`, source: src };
    return null;
  }
  for (const word of tag.split(/[-_]/)) {
    if (DEBIAN_NAMES.has(word)) return { distro: 'debian', release: word, source: src };
    if (UBUNTU_NAMES.has(word)) return { distro: 'ubuntu', release: word, source: src };
  }
  if (repo === 'debian') {
    const major = /^(\d+)(?:\.\d+)*(?:-slim)?$/.exec(tag)?.[1];
    const code = major ? DEBIAN_CODENAMES[major] : undefined;
    return code ? { distro: 'debian', release: code, version: major, source: src } : null;
  }
  if (repo === 'ubuntu') {
    const v = /^(\d+\.\d+)/.exec(tag)?.[1];
    const code = v ? UBUNTU_CODENAMES[v] : undefined;
    return code ? { distro: 'ubuntu', release: code, version: v, source: src } : null;
  }
  return null;
}

/** Docker platform → Alpine arch ('linux/arm64' → 'aarch64'); undefined when Alpine has none. */
export function alpineArch(platform: string): string | undefined {
  const [, arch = '', variant] = platform.split('/');
  switch (arch) {
    case 'amd64':
      return 'x86_64';
    case 'arm64':
      return 'aarch64';
    case 'arm':
      return variant === 'v6' ? 'armhf' : 'armv7';
    case '386':
      return 'x86';
    case 'ppc64le':
    case 's390x':
    case 'riscv64':
    case 'loongarch64':
      return arch;
    default:
      return undefined;
  }
}

/** Docker platform → Debian/Ubuntu architecture ('linux/arm/v7' → 'armhf'). */
export function debianArch(platform: string): string | undefined {
  const [, arch = '', variant] = platform.split('/');
  switch (arch) {
    case 'amd64':
    case 'arm64':
    case 's390x':
    case 'riscv64':
      return arch;
    case 'arm':
      return variant === 'v5' ? 'armel' : 'armhf';
    case '386':
      return 'i386';
    case 'ppc64le':
      return 'ppc64el';
    case 'mips64le':
      return 'mips64el';
    default:
      return undefined;
  }
}
