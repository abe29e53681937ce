/**
 * The one image-reference parser. It reads a reference by the distribution grammar (optional registry domain with
 * port, `/`-separated lowercase path components, tag, digest) and serves two uses:
 *
 * - **as written** (`splitRef`), for edits: the user's spelling (`node`, `docker.io/library/node`, `localhost:5000/x`,
 *   `[::1]:5000/x`) is what gets written back, nothing is normalised;
 * - **normalised** (`normaliseRef`), for lookups, cache keys and messages: the registry (Docker Hub's aliases are
 *   `docker.io`, served from `registry-1.docker.io`), the repository (single-segment Hub names get `library/`), tag
 *   and digest. Never written back into user files.
 *
 * Rules (Docker's): the first `/`-separated segment is a registry iff it contains '.' or ':', is 'localhost', or has
 * an uppercase letter; the tag is split on the last ':' after the last '/', so registry ports are never taken for
 * tags; a tag and a digest may both be present (`name:tag@sha256:…`): both are kept, callers decide which to use.
 */

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API_HOST]);

/** A reference split as written. */
export interface RefParts {
  /** The name as written, registry and port included: `localhost:5000/team/app`. */
  name: string;
  tag?: string;
  /** 'sha256:…' */
  digest?: string;
}

/** A reference normalised for lookup. */
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

/** A reference read by the grammar, before normalisation. */
interface Scan {
  /** The registry domain as written (with port), when the name has one. */
  domain?: string;
  /** The repository path as written (without the domain). */
  path: string;
  tag?: string;
  digest?: string;
}

/**
 * Read a reference by the grammar; a string says why it is not one. The same references are read by several
 * codemods and in file after file: each text is read once (the answers are shared: callers copy what they return).
 */
function scan(s: string): Scan | string {
  let r = scans.get(s);
  if (r === undefined) {
    if (scans.size >= MAX_SCANS) scans.clear();
    // Read from a copy of the text, kept as the key: a reference sliced out of a file's text (and the parts of it
    // the answer holds) would keep that text alive.
    const own = s.length > 12 ? (JSON.parse(JSON.stringify(s)) as string) : s;
    r = readScan(own);
    scans.set(own, r);
  }
  return r;
}

const scans = new Map<string, Scan | string>();
const MAX_SCANS = 10_000;

/** scan without the kept answers. */
function readScan(s: string): Scan | string {
  if (s.length === 0) return 'empty';
  if (/\s/.test(s)) return 'contains whitespace';
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const bad = digestError(digest);
    if (bad) return bad;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/') && !rest.slice(colon).includes(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `bad tag "${tag}"`;
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const out: Scan = { path: isDomain ? rest.slice(slash + 1) : rest };
  if (isDomain) {
    const bad = domainError(first);
    if (bad) return bad;
    out.domain = first;
  }
  const bad = pathError(out.path);
  if (bad) return bad;
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

function digestError(digest: string): string | undefined {
  if (!DIGEST.test(digest)) return `bad digest "${digest}"`;
  const [algo = '', hex = ''] = digest.split(':');
  const want = KNOWN_DIGEST_LENGTHS[algo];
  if (want !== undefined && (hex.length !== want || hex !== hex.toLowerCase())) {
    return `bad ${algo} digest (expected ${want} lowercase hex characters)`;
  }
  return undefined;
}

function domainError(domain: string): string | undefined {
  let host = domain;
  const portMatch = /:([^:\]]*)$/.exec(domain);
  if (portMatch && !(domain.startsWith('[') && !domain.includes(']:'))) {
    const port = portMatch[1] ?? '';
    if (!PORT.test(port)) return `bad registry port "${port}"`;
    host = domain.slice(0, portMatch.index);
  }
  if (host.startsWith('[')) return IPV6_HOST.test(host) ? undefined : `bad IPv6 registry host "${host}"`;
  return host.split('.').every((l) => DOMAIN_LABEL.test(l)) ? undefined : `bad registry host "${host}"`;
}

function pathError(path: string): string | undefined {
  if (path.length === 0) return 'empty repository name';
  if (path.length > MAX_NAME_LENGTH) return `repository name longer than ${MAX_NAME_LENGTH} characters`;
  if (path !== path.toLowerCase()) return 'repository name must be lowercase';
  for (const c of path.split('/')) if (!PATH_COMPONENT.test(c)) return `bad repository path component "${c}"`;
  return undefined;
}

/** Split a literal reference as written; undefined when it is not a well-formed reference (variables, spaces, bad characters). */
export function splitRef(ref: string): RefParts | undefined {
  const r = scan(ref);
  if (typeof r === 'string') return undefined;
  const out: RefParts = { name: r.domain !== undefined ? `${r.domain}/${r.path}` : r.path };
  if (r.tag !== undefined) out.tag = r.tag;
  if (r.digest !== undefined) out.digest = r.digest;
  return out;
}

/** Normalise a reference for lookup, or say why it is not a reference. */
export function normaliseRef(s: string): { ok: ImageReference } | { error: string } {
  const r = scan(s);
  if (typeof r === 'string') return { error: r };
  const registry = r.domain === undefined || HUB_ALIASES.has(r.domain.toLowerCase()) ? DOCKER_HUB : r.domain;
  const repository = registry === DOCKER_HUB && !r.path.includes('/') ? `library/${r.path}` : r.path;
  const apiHost = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
  const ref: ImageReference = { registry, apiHost, repository, original: s };
  if (r.tag !== undefined) ref.tag = r.tag;
  if (r.digest !== undefined) ref.digest = r.digest;
  return { ok: ref };
}

/** A reference as tables name it (see shortRepository). */
export interface ShortRepository {
  /** Lower-cased, Docker Hub's registry and `library/` left out: `postgres`, `bitnami/redis`, `ghcr.io/x/y`. */
  name: string;
  /** The tag as written (variables included), when there is one. */
  tag?: string;
}

/**
 * The repository as the project's tables name it (the secrets table, the image knowledge base, distribution and user
 * hints), never for lookups: lower-cased, Docker Hub's registry (`docker.io`, `index.docker.io`,
 * `registry-1.docker.io`) and its `library/` left out, digest dropped, tag kept aside as written:
 * `docker.io/library/postgres:16@sha256:…` → `postgres` (tag `16`), `ghcr.io/x/y:1` → `ghcr.io/x/y`.
 *
 * Unlike normaliseRef it reads what is not (yet) a reference, by the same splitting rules: compose variables are kept
 * whole and as written, and their `:`, `/` and `@` are not separators (`postgres:${TAG:-17}` → `postgres` with tag
 * `${TAG:-17}`; `${REGISTRY}/app:1` → `${REGISTRY}/app`, a registry that is not known to be Docker Hub), and malformed
 * text (spaces, uppercase) is split rather than refused. Callers that must only match real references check
 * splitRef first.
 */
export function shortRepository(ref: string): ShortRepository {
  // The same references come back in file after file (and from several codemods for one service): read each once.
  let r = shortRepositories.get(ref);
  if (r === undefined) {
    if (shortRepositories.size >= MAX_SHORT_REPOSITORIES) shortRepositories.clear();
    r = readShortRepository(ref);
    shortRepositories.set(ref, r);
  }
  // Each caller gets its own object.
  return r.tag !== undefined ? { name: r.name, tag: r.tag } : { name: r.name };
}

const shortRepositories = new Map<string, ShortRepository>();
const MAX_SHORT_REPOSITORIES = 10_000;

function readShortRepository(ref: string): ShortRepository {
  const text = ref.trim();
  const vars = variableSpans(text);
  const outside = (i: number): boolean => !vars.some(([a, b]) => i >= a && i < b);
  let end = text.length;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '@' && outside(i)) {
      end = i;
      break;
    }
  }
  let first = -1;
  let slash = -1;
  let colon = -1;
  for (let i = 0; i < end; i++) {
    if (!outside(i)) continue;
    if (text[i] === '/') {
      if (first < 0) first = i;
      slash = i;
    } else if (text[i] === ':') colon = i;
  }
  // A `:` before the last `/` is a registry port; one inside an IPv6 host (`[::1]`) is neither.
  const tagAt = colon > slash && !text.slice(colon, end).includes(']') ? colon : -1;
  const nameEnd = tagAt >= 0 ? tagAt : end;
  const domain = first < 0 ? '' : text.slice(0, first).toLowerCase();
  const hub = first < 0 || HUB_ALIASES.has(domain) || !(domain.includes('.') || domain.includes(':') || domain === 'localhost');
  let start = first >= 0 && HUB_ALIASES.has(domain) ? first + 1 : 0;
  if (hub && text.slice(start, start + 8).toLowerCase() === 'library/' && nameEnd > start + 8) start += 8;
  // Lower-cased outside the variables (repository names are lower-case; variable names are not ours to change).
  let name = '';
  let at = start;
  for (const [a, b] of vars) {
    if (b <= start) continue;
    if (a >= nameEnd) break;
    name += text.slice(at, a).toLowerCase() + text.slice(a, Math.min(b, nameEnd));
    at = Math.min(b, nameEnd);
  }
  name += text.slice(at, nameEnd).toLowerCase();
  return tagAt >= 0 ? { name, tag: text.slice(tagAt + 1, end) } : { name };
}

/**
 * The `[start, end)` spans of compose variable references (`$NAME`, `${…}` with nesting; `$$` is an escaped `$`), so
 * the separators found around them are the reference's own. Plain text has none (no allocation beyond the array).
 */
function variableSpans(s: string): [number, number][] {
  const out: [number, number][] = [];
  for (let i = s.indexOf('$'); i >= 0 && i < s.length; i = s.indexOf('$', i)) {
    const next = s[i + 1];
    if (next === '$') {
      i += 2;
      continue;
    }
    if (next === '{') {
      let depth = 0;
      let j = i + 1;
      for (; j < s.length; j++) {
        if (s[j] === '{') depth++;
        else if (s[j] === '}' && --depth === 0) break;
      }
      out.push([i, Math.min(j + 1, s.length)]);
      i = j + 1;
      continue;
    }
    if (next !== undefined && /[A-Za-z_]/.test(next)) {
      let j = i + 2;
      while (j < s.length && /\w/.test(s[j] as string)) j++;
      out.push([i, j]);
      i = j;
      continue;
    }
    i++;
  }
  return out;
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

export function joinRef(p: RefParts): string {
  return `${p.name}${p.tag !== undefined ? `:${p.tag}` : ''}${p.digest !== undefined ? `@${p.digest}` : ''}`;
}

/** `scratch` is no image (BuildKit: case-insensitive). */
export function isScratch(ref: string): boolean {
  return ref.toLowerCase() === 'scratch';
}

/** 'sha256:0123456789abcdef…' → 'sha256:0123456789ab…' for messages. */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 && digest.length > i + 13 ? `${digest.slice(0, i + 13)}…` : digest;
}

/**
 * The smallest edit turning `before` into `after`: the common prefix and suffix are kept. Offsets are relative to
 * `before`. Pinning `node:20` → `node:20@sha256:…` is thus a pure insertion at the end.
 */
export function minimalDiff(before: string, after: string): { start: number; end: number; text: string } {
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { start: p, end: before.length - s, text: after.slice(p, after.length - s) };
}
