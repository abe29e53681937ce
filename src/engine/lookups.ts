/**
 * The lookups: every kind of question a codemod may ask before it runs, declared once here, in the engine's
 * vocabulary (codemods import these types, never a resolver's):
 *
 * - `LookupTypes` gives each kind its key (the question's fields) and its answer type, so `answers.get(key)` is typed
 *   by the key's kind without a cast;
 * - `LOOKUP_KINDS` gives each kind its loader (the resolver module answering it, loaded on first use) and how long
 *   an answer stays fresh in the disk cache;
 * - `lookupKey(kind, fields)` builds a key of a kind, typed for it.
 *
 * A lookup's id (its key's stable JSON) is computed once per key object.
 */
import type { Answer, Answers, DirAnswer, FileAnswer, ImageConfigAnswer, ImageDigestAnswer, ImageFileAnswer, ImageTagsAnswer, LookupKey } from './types.js';

const HOUR = 3_600_000;

/** Each lookup kind: the fields of its key and the type of its answer. */
export interface LookupTypes {
  /** The digest a tag points to (index digest, or a platform's manifest digest). */
  'image-digest': { key: { ref: string; platform?: string }; answer: ImageDigestAnswer };
  'image-tags': { key: { ref: string }; answer: ImageTagsAnswer };
  'image-config': { key: { ref: string; platform?: string }; answer: ImageConfigAnswer };
  /** The first of `paths` found in the image's layers. */
  'image-file': { key: { ref: string; platform?: string; paths: readonly string[] }; answer: ImageFileAnswer };
  /** A local file (absolute path): whether it exists, and its text. */
  file: { key: { path: string }; answer: FileAnswer };
  /** A local directory's entries. */
  dir: { key: { path: string }; answer: DirAnswer };
  'apk-version': { key: Omit<ApkVersionKey, 'kind'>; answer: ApkVersionAnswer };
  'apt-version': { key: Omit<AptVersionKey, 'kind'>; answer: AptVersionAnswer };
  'pypi-version': { key: Omit<PypiVersionKey, 'kind'>; answer: PypiVersionAnswer };
  'npm-version': { key: Omit<NpmVersionKey, 'kind'>; answer: NpmVersionAnswer };
  'url-sha256': { key: Omit<UrlSha256Key, 'kind'>; answer: UrlSha256Answer };
}

export type LookupKind = keyof LookupTypes;

/** The key of one kind. */
export type KeyOf<K extends LookupKind> = { kind: K } & LookupTypes[K]['key'];

/** Every declared key. */
export type KnownLookupKey = { [K in LookupKind]: KeyOf<K> }[LookupKind];

/** The answer type of a key (unknown for a kind not declared here). */
export type AnswerOf<K> = K extends { kind: infer N } ? (N extends LookupKind ? LookupTypes[N]['answer'] : unknown) : unknown;

/** The resolver modules answering lookups (src/resolvers/default.ts loads each on its first lookup). */
export type LookupLoader = 'local' | 'image' | 'apk' | 'apt' | 'pypi' | 'npm' | 'url';

export interface LookupSpec {
  loader: LookupLoader;
  /**
   * How long a successful answer stays fresh in the disk cache (ms); the configuration's `cache.ttl` overrides it for
   * image digests and tags, and for the package indexes and download checksums. Package answers are kept as the
   * indexes they come from (IndexFetcher), for this long. Absent: not cached on disk.
   */
  ttlMs?: number;
}

/** Each lookup kind, declared once: who answers it and how long its answers are kept. */
export const LOOKUP_KINDS: { readonly [K in LookupKind]: LookupSpec } = {
  'image-digest': { loader: 'image', ttlMs: HOUR },
  'image-tags': { loader: 'image', ttlMs: HOUR },
  'image-config': { loader: 'image', ttlMs: 7 * 24 * HOUR },
  'image-file': { loader: 'image', ttlMs: 7 * 24 * HOUR },
  file: { loader: 'local' },
  dir: { loader: 'local' },
  'apk-version': { loader: 'apk', ttlMs: HOUR },
  'apt-version': { loader: 'apt', ttlMs: HOUR },
  'pypi-version': { loader: 'pypi', ttlMs: HOUR },
  'npm-version': { loader: 'npm', ttlMs: HOUR },
  'url-sha256': { loader: 'url', ttlMs: HOUR },
};

/** The kinds a loader answers, in declaration order. */
export function kindsOf(loader: LookupLoader): LookupKind[] {
  return (Object.keys(LOOKUP_KINDS) as LookupKind[]).filter((k) => LOOKUP_KINDS[k].loader === loader);
}

/** A key of `kind`, typed for it (`answers.get(lookupKey('file', { path }))` is an `Answer<FileAnswer>`). */
export function lookupKey<K extends LookupKind>(kind: K, fields: LookupTypes[K]['key']): KeyOf<K> {
  return { kind, ...fields } as KeyOf<K>;
}

// ---- package-index lookups: keys and answers -------------------------------------------------------------------

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


// ---- ids and the answer store ----------------------------------------------------------------------------------


const ids = new WeakMap<object, string>();

/**
 * A stable id for a lookup key: same question, same id, whatever the property order. Computed once per key object
 * (keys are never changed once made): the stores ask it on every get, has and set.
 */
export function lookupId(key: LookupKey): string {
  if (typeof key !== 'object' || key === null) return stableStringify(key);
  let id = ids.get(key);
  if (id === undefined) {
    id = stableStringify(key);
    ids.set(key, id);
  }
  return id;
}

/** Object keys as JSON strings: keys use a handful of field names. */
const quotedKeys = new Map<string, string>();

function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quotedKeys.size < 1000) quotedKeys.set(k, q);
  }
  return q;
}

/**
 * JSON with object keys sorted and undefined members left out. Written as loops (no filter/sort/map/join chains, the
 * few keys of an object sorted in place): every new key object's id computes one, over ten thousand per run.
 */
function stableStringify(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + stableStringify(v[i]);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  // Insertion sort: the same order as sort() (UTF-16 code units), without its overhead on two to five keys.
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
  let s = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const x = o[k];
    if (x === undefined) continue;
    s += (first ? '' : ',') + quotedKey(k) + ':' + stableStringify(x);
    first = false;
  }
  return `${s}}`;
}

/** A mutable answer store: resolvers fill it, codemods read it through the `Answers` interface. */
export class AnswerStore implements Answers {
  private readonly map = new Map<string, Answer>();
  get<K extends LookupKey>(key: K): Answer<AnswerOf<K>> | undefined {
    // The one unchecked step: answers are stored by id, and each was produced for a key of this kind.
    return this.map.get(lookupId(key)) as Answer<AnswerOf<K>> | undefined;
  }
  has(key: LookupKey): boolean {
    return this.map.has(lookupId(key));
  }
  set(key: LookupKey, answer: Answer): void {
    this.map.set(lookupId(key), answer);
  }
  get size(): number {
    return this.map.size;
  }
}

/** De-duplicate lookup keys by id, keeping the first occurrence. */
export function dedupeKeys(keys: Iterable<LookupKey>): LookupKey[] {
  const seen = new Map<string, LookupKey>();
  for (const k of keys) {
    const id = lookupId(k);
    if (!seen.has(id)) seen.set(id, k);
  }
  return [...seen.values()];
}

export function isOk<T>(a: Answer<T> | undefined): a is { ok: T; source?: string } {
  return a !== undefined && 'ok' in a;
}
