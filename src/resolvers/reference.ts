/**
 * Image reference parsing and normalisation, for LOOKUP only: the user's spelling is never rewritten.
 *
 * Follows the distribution reference grammar (name components, optional registry domain with port, tag, digest)
 * and the Docker normalisation rules:
 * - the first `/`-separated segment is a registry iff it contains '.' or ':', is 'localhost', or has an uppercase letter;
 *   otherwise the registry is Docker Hub;
 * - `docker.io`, `index.docker.io` and `registry-1.docker.io` are all Docker Hub, canonically `docker.io`, whose API host
 *   is `registry-1.docker.io`; single-segment Hub names get `library/`;
 * - the tag is split on the last ':' after the last '/', so `localhost:5000/x` and `[::1]:5000/x` keep their ports;
 * - a tag and a digest may both be present (`name:tag@sha256:…`); both are kept, callers decide which one to use.
 */
import { LookupFailure } from './errors.js';

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API_HOST]);

export interface ImageReference {
  /** Canonical registry host (with port if any): 'docker.io', 'ghcr.io', 'localhost:5000', '[::1]:5000'. */
  registry: string;
  /** Host (with port) the registry API is served from: 'registry-1.docker.io' for Docker Hub, else `registry`. */
  apiHost: string;
  /** Repository path inside the registry, e.g. 'library/node'. */
  repository: string;
  tag?: string;
  /** 'algorithm:hex' */
  digest?: string;
  /** The reference exactly as written. */
  original: string;
}

const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_HOST = /^\[[0-9a-fA-F:.]+(?:%[A-Za-z0-9._~-]+)?\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const KNOWN_DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha512: 128 };

function invalid(ref: string, why: string): LookupFailure {
  return new LookupFailure('invalid', `invalid image reference "${ref}": ${why}`);
}

/** Parse and normalise an image reference. Throws a LookupFailure with code 'invalid' on malformed input. */
export function parseReference(s: string): ImageReference {
  const original = s;
  if (s.length === 0) throw invalid(s, 'empty');
  if (/\s/.test(s)) throw invalid(s, 'contains whitespace');
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(original, digest);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(original, `bad tag "${tag}"`);
  }
  const { registry, path } = splitDomain(original, rest);
  validatePath(original, path);
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
  const apiHost = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  const ref: ImageReference = { registry, apiHost, repository, original };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Like parseReference, but returns the failure instead of throwing. */
export function tryParseReference(s: string): { ok: ImageReference } | { error: LookupFailure } {
  try {
    return { ok: parseReference(s) };
  } catch (e) {
    if (e instanceof LookupFailure) return { error: e };
    throw e;
  }
}

function validateDigest(original: string, digest: string): void {
  if (!DIGEST.test(digest)) throw invalid(original, `bad digest "${digest}"`);
  const [algo = '', hex = ''] = digest.split(':');
  const want = KNOWN_DIGEST_LENGTHS[algo];
  if (want !== undefined && (hex.length !== want || hex !== hex.toLowerCase())) {
    throw invalid(original, `bad ${algo} digest (expected ${want} lowercase hex characters)`);
  }
}

function splitDomain(original: string, name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain =
    slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (!isDomain) return { registry: DOCKER_HUB, path: name };
  validateDomain(original, first);
  const lower = first.toLowerCase();
  return { registry: HUB_ALIASES.has(lower) ? DOCKER_HUB : first, path: name.slice(slash + 1) };
}

function validateDomain(original: string, domain: string): void {
  let host = domain;
  const portMatch = /:([^:\]]*)$/.exec(domain);
  if (portMatch && !(domain.startsWith('[') && !domain.includes(']:'))) {
    const port = portMatch[1] ?? '';
    if (!PORT.test(port)) throw invalid(original, `bad registry port "${port}"`);
    host = domain.slice(0, portMatch.index);
  }
  if (host.startsWith('[')) {
    if (!IPV6_HOST.test(host)) throw invalid(original, `bad IPv6 registry host "${host}"`);
    return;
  }
  if (!host.split('.').every((l) => DOMAIN_LABEL.test(l))) throw invalid(original, `bad registry host "${host}"`);
}

function validatePath(original: string, path: string): void {
  if (path.length === 0) throw invalid(original, 'empty repository name');
  if (path.length > MAX_NAME_LENGTH) throw invalid(original, `repository name longer than ${MAX_NAME_LENGTH} characters`);
  if (path !== path.toLowerCase()) throw invalid(original, 'repository name must be lowercase');
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) throw invalid(original, `bad repository path component "${c}"`);
  }
}

/**
 * The canonical, fully qualified spelling used for lookups, cache keys and messages,
 * e.g. 'docker.io/library/node:20@sha256:…'. Never written back into user files.
 */
export function formatRefForLookup(ref: ImageReference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The manifest reference to look up: the tag when there is one (it is what the user asked to track), else the digest, else 'latest'. */
export function manifestReference(ref: ImageReference): string {
  return ref.tag ?? ref.digest ?? 'latest';
}
