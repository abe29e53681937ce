/**
 * Which Linux distribution (or none) an image is built on, for codemods that must write distribution-specific
 * commands (user creation, package installs and pins).
 *
 *   detectDistro('python:3.11-slim')                  → { family: 'debian', id: 'debian', source: 'name', … }
 *   detectDistro('node:20-alpine3.19')                → { family: 'alpine', version: '3.19', source: 'tag', … }
 *   detectDistro('myorg/base:1', osReleaseText)       → from /etc/os-release (ID, VERSION_ID, VERSION_CODENAME)
 *
 * Evidence, strongest first: the image's own files (the `image-file` lookup of ./base-release.ts, whose keys every
 * codemod shares so a run reads them once: see detectDistroFromFile), then hints in the tag (`alpine3.19`, `bookworm`,
 * `jammy`, `ubi9`…), then what well-known image names are built on (official images default to Debian). Names that
 * say there is no distribution at all (scratch, distroless, Windows) win over os-release: distroless images carry a
 * Debian os-release but no shell or package manager.
 *
 * Release hints in tags (`alpine3.19`, codenames, `debian:12`, `ubuntu:22.04`) are read in ONE place,
 * base-release.ts's releaseFromTag(), and the Debian/Ubuntu codename ↔ version table is base-release.ts's DEB_RELEASES;
 * this module adds what only the family needs (`-alpine` without a version, `-debian`, `sid`, `ubi9`, Windows,
 * distroless). No registry client and no parser here: another codemod may import it at
 * start-up.
 */
import { DEB_RELEASES, parseOsRelease, releaseFromFile, releaseFromTag } from './base-release.js';
import { shortRepository } from '../images/reference.js';

export { parseOsRelease };

export type DistroFamily =
  /** apk + BusyBox (`adduser -S`). */
  | 'alpine'
  /** Debian and Ubuntu: apt + shadow (`useradd`). */
  | 'debian'
  /** RHEL, UBI, CentOS, Fedora, Rocky, Alma, Oracle Linux, Amazon Linux: dnf/yum/microdnf + shadow (when installed). */
  | 'rhel'
  /** SUSE: zypper + shadow. */
  | 'suse'
  /** Wolfi (Chainguard): apk + BusyBox in `-dev` images; no shell otherwise. */
  | 'wolfi'
  /** BusyBox alone (`busybox` image): a shell and BusyBox `adduser`, no package manager. */
  | 'busybox'
  /** gcr.io/distroless and similar: no shell, no package manager. */
  | 'distroless'
  /** The empty image. */
  | 'scratch'
  | 'windows'
  | 'unknown';

export type PackageManager = 'apk' | 'apt' | 'dnf' | 'yum' | 'microdnf' | 'tdnf' | 'zypper';

export interface Distro {
  family: DistroFamily;
  /** os-release style ID when known: 'alpine', 'debian', 'ubuntu', 'rhel', 'centos', 'fedora', 'rocky', 'almalinux', 'ol', 'amzn', 'wolfi'… */
  id?: string;
  /** Release: '3.19' (Alpine major.minor), '12' (Debian), '22.04' (Ubuntu), '9' (RHEL). */
  version?: string;
  /** Debian/Ubuntu codename: 'bookworm', 'jammy'. Only when the evidence names it (a tag like `20-slim` does not). */
  codename?: string;
  /** Alpine package branch: 'v3.19' or 'edge' (for apk lookups). */
  alpineBranch?: string;
  packageManager?: PackageManager;
  /** A minimal variant (ubi-minimal, `*-minimal`): fewer tools, e.g. no `useradd`. */
  minimal?: boolean;
  /** Whether `RUN` has a /bin/sh to run in (false for scratch, distroless, non-`-dev` Chainguard images, Windows). */
  hasShell: boolean;
  /** Where the answer came from. */
  source: 'os-release' | 'tag' | 'name' | 'none';
  /** Human-readable evidence for messages: 'tag "3.11-slim" of python (official images are Debian-based)'. */
  evidence: string;
}

const RHEL_IDS = new Set(['rhel', 'centos', 'fedora', 'rocky', 'almalinux', 'ol', 'amzn', 'azurelinux', 'mariner']);

/** Official (Docker Hub library) and well-known images by the distribution their default tags are built on. */
const DEBIAN_BASED = new Set([
  'node', 'python', 'ruby', 'golang', 'rust', 'php', 'perl', 'openjdk', 'buildpack-deps', 'gcc', 'elixir', 'erlang', 'haskell',
  'julia', 'r-base', 'nginx', 'httpd', 'postgres', 'redis', 'wordpress', 'nextcloud', 'drupal', 'joomla', 'ghost', 'rabbitmq',
  'memcached', 'python2', 'pypy', 'clojure', 'groovy', 'jenkins/jenkins', 'postgis/postgis', 'odoo', 'matomo', 'composer',
  'mcr.microsoft.com/dotnet/sdk', 'mcr.microsoft.com/dotnet/aspnet', 'mcr.microsoft.com/dotnet/runtime', 'mcr.microsoft.com/dotnet/runtime-deps',
  'mcr.microsoft.com/playwright', 'denoland/deno', 'oven/bun', 'continuumio/miniconda3', 'tensorflow/tensorflow',
]);
const UBUNTU_BASED = new Set([
  'eclipse-temurin', 'maven', 'gradle', 'tomcat', 'mariadb', 'mongo', 'swift', 'ibm-semeru-runtimes', 'sapmachine', 'neo4j',
  'nvidia/cuda', 'pytorch/pytorch', 'mcr.microsoft.com/devcontainers/base',
]);
const ALPINE_BASED = new Set(['alpine', 'docker', 'bash', 'traefik', 'caddy', 'vault', 'hashicorp/vault', 'consul', 'haproxytech/haproxy-alpine']);
const RHEL_BASED: Record<string, { id: string; pm: PackageManager; minimal?: boolean }> = {
  centos: { id: 'centos', pm: 'yum' },
  fedora: { id: 'fedora', pm: 'dnf' },
  rockylinux: { id: 'rocky', pm: 'dnf' },
  'rockylinux/rockylinux': { id: 'rocky', pm: 'dnf' },
  almalinux: { id: 'almalinux', pm: 'dnf' },
  oraclelinux: { id: 'ol', pm: 'dnf' },
  amazonlinux: { id: 'amzn', pm: 'dnf', minimal: true },
  amazoncorretto: { id: 'amzn', pm: 'yum', minimal: true },
  mysql: { id: 'ol', pm: 'microdnf', minimal: true },
};

interface Parts {
  /** The short name (shortRepository: lower-cased, no Docker Hub registry or `library/`). */
  name: string;
  /** Last path component of the name. */
  base: string;
  tag: string;
}

function split(ref: string): Parts {
  const { name, tag = '' } = shortRepository(ref);
  return { name, base: name.slice(name.lastIndexOf('/') + 1), tag: tag.toLowerCase() };
}

const alpineBranch = (version: string | undefined): string | undefined => {
  if (!version) return undefined;
  if (version === 'edge') return 'edge';
  const m = /^(\d+\.\d+)/.exec(version);
  return m ? `v${m[1]}` : undefined;
};

function alpine(version: string | undefined, source: Distro['source'], evidence: string): Distro {
  const d: Distro = { family: 'alpine', id: 'alpine', packageManager: 'apk', hasShell: true, source, evidence };
  const v = version ? /^(\d+\.\d+)|^edge$/.exec(version) : null;
  if (v) {
    d.version = v[1] ?? 'edge';
    d.alpineBranch = alpineBranch(d.version);
  }
  return d;
}

function debian(id: 'debian' | 'ubuntu', codename: string | undefined, version: string | undefined, source: Distro['source'], evidence: string): Distro {
  const d: Distro = { family: 'debian', id, packageManager: 'apt', hasShell: true, source, evidence };
  const table = DEB_RELEASES[id];
  if (codename && Object.hasOwn(table, codename)) {
    d.codename = codename;
    d.version = table[codename];
  } else if (version) {
    const byVersion = Object.entries(table).find(([, v]) => v === version || (id === 'debian' && version.split('.')[0] === v));
    d.version = id === 'debian' ? (version.split('.')[0] as string) : version;
    if (byVersion) d.codename = byVersion[0];
  }
  return d;
}

/** From os-release fields; undefined when they name nothing we know. */
function fromOsRelease(fields: Record<string, string>, evidence: string): Distro | undefined {
  const id = (fields.ID ?? '').toLowerCase();
  const like = (fields.ID_LIKE ?? '').toLowerCase().split(/\s+/);
  const version = fields.VERSION_ID;
  const codename = fields.VERSION_CODENAME || undefined;
  if (id === 'alpine') return alpine(version, 'os-release', evidence);
  if (id === 'debian' || id === 'ubuntu') {
    const d = debian(id, codename, version, 'os-release', evidence);
    if (codename && !d.codename) d.codename = codename; // a codename we do not know yet (testing/unstable)
    if (version && !d.version) d.version = version;
    return d;
  }
  if (id === 'wolfi' || id === 'chainguard') return { family: 'wolfi', id, packageManager: 'apk', hasShell: true, source: 'os-release', evidence, ...(version ? { version } : {}) };
  if (RHEL_IDS.has(id) || like.includes('rhel') || like.includes('fedora')) {
    const pm: PackageManager = id === 'azurelinux' || id === 'mariner' ? 'tdnf' : Number.parseInt(version ?? '0', 10) >= 8 || id === 'fedora' || id === 'amzn' ? 'dnf' : 'yum';
    return { family: 'rhel', id: id || 'rhel', packageManager: pm, hasShell: true, source: 'os-release', evidence, ...(version ? { version } : {}) };
  }
  if (id.startsWith('opensuse') || id === 'sles' || like.includes('suse')) return { family: 'suse', id, packageManager: 'zypper', hasShell: true, source: 'os-release', evidence, ...(version ? { version } : {}) };
  if (like.includes('debian') || like.includes('ubuntu')) {
    const d: Distro = { family: 'debian', id, packageManager: 'apt', hasShell: true, source: 'os-release', evidence };
    if (version) d.version = version;
    if (codename) d.codename = codename;
    return d;
  }
  if (like.includes('alpine')) return { ...alpine(version, 'os-release', evidence), id };
  return undefined;
}

/** The release base-release.ts reads from a tag alone (`alpine3.19`, `bookworm`, `jammy`), whatever the image name. */
function tagHint(tag: string) {
  return tag ? releaseFromTag(`tag:${tag}`) : null;
}

/** The release base-release.ts reads from a distribution image's own tag (`alpine:3.19`, `debian:12`, `ubuntu:22.04`). */
function nameHint(distro: 'alpine' | 'debian' | 'ubuntu', tag: string) {
  return tag ? releaseFromTag(`${distro}:${tag}`) : null;
}

/** Distributions a tag names: `alpine3.19`, `bookworm`, `slim-bookworm`, `jammy`, `ubi9-minimal`… */
function fromTag(tag: string, p: Parts): Distro | undefined {
  const ev = `tag "${tag}" of ${p.name}`;
  const words = tag.split(/[-_.]/);
  const hint = tagHint(tag);
  if (hint?.distro === 'alpine') return alpine(hint.release === 'edge' ? 'edge' : hint.release.slice(1), 'tag', ev);
  if (/(?:^|[-_.])alpine[\d.]*(?:$|[-_])/.test(tag)) return alpine(undefined, 'tag', ev);
  if (hint) return debian(hint.distro, hint.release, undefined, 'tag', ev);
  // A codename without a numbered release (`sid`): releaseFromTag leaves it out (nothing to pin against), it still
  // says Debian and which branch.
  const unnumbered = words.find((w) => Object.hasOwn(DEB_RELEASES.debian, w) && !/^\d/.test(DEB_RELEASES.debian[w] as string));
  if (unnumbered) return debian('debian', unnumbered, undefined, 'tag', ev);
  if (words.includes('debian')) return debian('debian', undefined, undefined, 'tag', ev);
  if (words.includes('ubuntu')) return debian('ubuntu', undefined, undefined, 'tag', ev);
  const ubi = /(?:^|[-_])ubi(\d+)?(-minimal|-micro)?(?:$|[-_])/.exec(tag);
  if (ubi) {
    const d: Distro = { family: 'rhel', id: 'rhel', packageManager: ubi[2] ? 'microdnf' : 'dnf', hasShell: ubi[2] !== '-micro', source: 'tag', evidence: ev };
    if (ubi[1]) d.version = ubi[1];
    if (ubi[2]) d.minimal = true;
    return d;
  }
  if (/(?:^|[-_])(?:azurelinux|cbl-mariner)/.test(tag)) return { family: 'rhel', id: 'azurelinux', packageManager: 'tdnf', hasShell: true, minimal: true, source: 'tag', evidence: ev };
  if (/(?:^|[-_])(?:windowsservercore|nanoserver|ltsc\d{4})/.test(tag)) return { family: 'windows', hasShell: false, source: 'tag', evidence: ev };
  if (/(?:^|[-_])distroless(?:$|[-_])/.test(tag)) return { family: 'distroless', hasShell: false, source: 'tag', evidence: ev };
  return undefined;
}

/** What an image name alone says. */
function fromName(p: Parts): Distro | undefined {
  const ev = `image ${p.name}`;
  const n = p.name;
  if (n === 'scratch') return { family: 'scratch', hasShell: false, source: 'name', evidence: 'scratch' };
  if (/(^|\/)(windows|windowsservercore|nanoserver|servercore)(\/|$)/.test(n) || n.startsWith('mcr.microsoft.com/windows')) {
    return { family: 'windows', hasShell: false, source: 'name', evidence: ev };
  }
  if (n.startsWith('gcr.io/distroless/') || n.includes('/distroless/') || n.startsWith('distroless/')) {
    // `:debug` tags add a BusyBox shell at /busybox/sh, not /bin/sh.
    return { family: 'distroless', id: 'debian', hasShell: false, source: 'name', evidence: ev };
  }
  if (n.startsWith('cgr.dev/chainguard/') || n.startsWith('cgr.dev/')) {
    const dev = /(?:^|-)dev$/.test(p.tag);
    return { family: dev ? 'wolfi' : 'distroless', id: 'wolfi', packageManager: dev ? 'apk' : undefined, hasShell: dev, source: 'name', evidence: ev } as Distro;
  }
  if (n === 'busybox') return { family: 'busybox', id: 'busybox', hasShell: true, source: 'name', evidence: ev };
  if (n === 'alpine' || n === 'debian' || n === 'ubuntu') {
    const h = nameHint(n, p.tag);
    if (n === 'alpine') return alpine(h ? (h.release === 'edge' ? 'edge' : h.release.slice(1)) : undefined, 'name', ev);
    return debian(n, h?.release, h?.version, 'name', ev);
  }
  if (/(^|\/)ubi\d*(-minimal|-micro|-init)?(\/|$)/.test(n) || n.startsWith('registry.access.redhat.com/') || n.startsWith('registry.redhat.io/')) {
    const m = /ubi(\d+)/.exec(n);
    const minimal = /-minimal|-micro/.test(n);
    const d: Distro = { family: 'rhel', id: 'rhel', packageManager: minimal ? 'microdnf' : 'dnf', hasShell: !n.includes('-micro'), source: 'name', evidence: ev };
    if (m?.[1]) d.version = m[1];
    if (minimal) d.minimal = true;
    return d;
  }
  const rhel = RHEL_BASED[n];
  if (rhel) {
    const d: Distro = { family: 'rhel', id: rhel.id, packageManager: rhel.pm, hasShell: true, source: 'name', evidence: ev };
    if (rhel.minimal) d.minimal = true;
    return d;
  }
  if (/^(opensuse|registry\.suse\.com)\//.test(n)) return { family: 'suse', id: 'opensuse', packageManager: 'zypper', hasShell: true, source: 'name', evidence: ev };
  if (ALPINE_BASED.has(n)) return alpine(undefined, 'name', `${ev} (Alpine-based)`);
  if (DEBIAN_BASED.has(n)) return debian('debian', undefined, undefined, 'name', `${ev} (Debian-based)`);
  if (UBUNTU_BASED.has(n)) return debian('ubuntu', undefined, undefined, 'name', `${ev} (Ubuntu-based)`);
  return undefined;
}

/**
 * The distribution of `imageRef` (as written in FROM, ARGs already expanded). `osRelease`: the text of the image's
 * os-release file, when an `image-file` lookup answered; it wins over tag and name hints, except that names meaning
 * "no distribution" (scratch, distroless, Windows) are kept (their version is taken from os-release when given).
 */
export function detectDistro(imageRef: string, osRelease?: string | null): Distro {
  const p = split(imageRef);
  const byName = fromName(p);
  const noDistro = byName && (byName.family === 'scratch' || byName.family === 'windows' || byName.family === 'distroless');
  if (osRelease) {
    const fields = parseOsRelease(osRelease);
    const d = fromOsRelease(fields, `/etc/os-release of ${p.name}${p.tag ? `:${p.tag}` : ''}`);
    if (noDistro) {
      const out = { ...byName };
      if (d?.version) out.version = d.version;
      if (d?.codename) out.codename = d.codename;
      return out;
    }
    if (d) {
      // A `-minimal` variant keeps its flag (os-release does not say).
      if (byName?.minimal || fromTag(p.tag, p)?.minimal) d.minimal = true;
      return d;
    }
  }
  if (noDistro) return byName;
  const byTag = p.tag ? fromTag(p.tag, p) : undefined;
  if (byTag) {
    // `ubuntu:jammy`, `debian:bookworm-slim`: the name says which of the two.
    if (byTag.family === 'debian' && byName?.family === 'debian' && byName.id && byTag.id !== byName.id && !byTag.codename) byTag.id = byName.id;
    return byTag;
  }
  if (byName) return byName;
  return { family: 'unknown', hasShell: true, source: 'none', evidence: `nothing in ${p.name}${p.tag ? `:${p.tag}` : ''} names a distribution` };
}

/**
 * The distribution of `imageRef` from one of the files base-release.ts's `image-file` lookup reads (OS_RELEASE_PATHS:
 * os-release, else /etc/alpine-release or /etc/debian_version), with the same precedence as detectDistro.
 */
export function detectDistroFromFile(imageRef: string, path: string, content: string): Distro {
  const name = path.replace(/^\.?\/+/, '');
  if (name.endsWith('os-release')) return detectDistro(imageRef, content);
  const byRef = detectDistro(imageRef);
  if (byRef.family === 'scratch' || byRef.family === 'windows' || byRef.family === 'distroless') return byRef;
  const rel = releaseFromFile(name, content);
  if (!rel) return byRef;
  const ev = `/${name} of ${split(imageRef).name}`;
  if (rel.distro === 'alpine') return alpine(rel.release === 'edge' ? 'edge' : rel.release.slice(1), 'os-release', ev);
  return debian(rel.distro, rel.release, undefined, 'os-release', ev);
}
