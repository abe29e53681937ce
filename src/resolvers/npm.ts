/**
 * `npm-version` lookups: the version `npm install name@range` would pick, from the registry's abbreviated packument.
 *
 * - `GET <registry>/<name>` with `Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8`;
 *   scoped names are sent as `@scope%2fname`. Packuments are cached per run and on disk (versions, dist-tags and the
 *   deprecated flags only), keyed by URL.
 * - Choice (as npm's manifest picker does): no range, '' or '*' → dist-tags.latest; a range that is a dist-tag name →
 *   that tag; otherwise dist-tags.latest when it satisfies the range, else the highest satisfying version that is not
 *   deprecated, else the highest deprecated one. Pre-release versions satisfy a range only when one of its comparators
 *   names a pre-release of the same major.minor.patch (node-semver's default, no includePrerelease).
 * - Range subset (node-semver grammar): `||` unions; hyphen ranges `1.2 - 2.3.4`; primitive comparators `<`, `<=`,
 *   `>`, `>=`, `=` with full or partial versions; x-ranges `*`, `1.x`, `1.2.*`, `1`, `1.2`; tilde `~1.2.3`, `~1.2`,
 *   `~1`, `~>`; caret `^1.2.3`, `^0.2.3`, `^0.0.3`, `^1.x`, `^0.0`; a leading `v`/`=` on versions; build metadata
 *   ignored. Not supported: loose-mode versions, includePrerelease, git/tarball/alias specs ('invalid').
 */
import type { LookupKey } from '../engine/types.js';
import { LookupFailure } from './errors.js';
import { IndexFetcher, joinUrl, keyString, optString, packageHandler, readBody, redactUrl, type PackageHandler } from './index-cache.js';
import type { NpmVersionAnswer, PackageIndexSettings } from './package-types.js';

export const NPM_KINDS = ['npm-version'] as const;
const DEFAULT_REGISTRY = 'https://registry.npmjs.org';
const MAX_PACKUMENT_BYTES = 128 * 1024 * 1024;
export const NPM_ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/** The cached form of a packument. */
export interface Packument {
  name: string;
  distTags: Record<string, string>;
  versions: string[];
  deprecated: string[];
}

export function createNpmHandler(settings: PackageIndexSettings = {}): PackageHandler {
  const fetcher = new IndexFetcher(settings);
  const defaultRegistry = settings.npmRegistry ?? DEFAULT_REGISTRY;
  return packageHandler(NPM_KINDS, fetcher, (key) => resolveNpm(key, fetcher, defaultRegistry));
}

/** `@scope/name` → `@scope%2fname`; unscoped names are path-escaped as they are. */
export function packumentPath(name: string): string {
  if (!/^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9._~-][\w.~-]*$/i.test(name)) throw new LookupFailure('invalid', `not an npm package name: '${name}'`);
  return name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

async function resolveNpm(key: LookupKey, fetcher: IndexFetcher, defaultRegistry: string): Promise<{ ok: NpmVersionAnswer; source: string }> {
  const name = keyString(key, 'name');
  const registry = optString(key, 'registry') ?? defaultRegistry;
  const range = optString(key, 'range') ?? '';
  const url = joinUrl(registry, packumentPath(name));
  const where = redactUrl(url);
  const doc = await fetcher.load(where, () =>
    fetcher.get({ url, kind: 'packument', accept: NPM_ACCEPT, what: `npm package ${name}` }, async (res) => {
      const body = await readBody(res.body, MAX_PACKUMENT_BYTES, `npm package ${name}`);
      return compactPackument(body.toString('utf8'), name);
    }, () => {
      throw new LookupFailure('not-found', `npm package ${name} not found on ${redactUrl(joinUrl(registry, ''))}`);
    }),
  );
  const version = pickNpmVersion(doc, range);
  if (version === undefined) {
    throw new LookupFailure('not-found', `npm package ${name} has no version matching '${range || 'latest'}' on ${redactUrl(joinUrl(registry, ''))}`);
  }
  return { ok: { name, version, registry: where }, source: fetcher.source(where) };
}

export function compactPackument(body: string, name: string): Packument {
  let doc: { name?: unknown; 'dist-tags'?: unknown; versions?: unknown };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    throw new LookupFailure('invalid', `npm package ${name}: malformed packument`);
  }
  if (!doc.versions || typeof doc.versions !== 'object') throw new LookupFailure('invalid', `npm package ${name}: packument without versions`);
  const distTags: Record<string, string> = {};
  for (const [t, v] of Object.entries((doc['dist-tags'] as Record<string, unknown> | undefined) ?? {})) if (typeof v === 'string') distTags[t] = v;
  const versions: string[] = [];
  const deprecated: string[] = [];
  for (const [v, manifest] of Object.entries(doc.versions as Record<string, { deprecated?: unknown }>)) {
    if (!parseSemver(v)) continue;
    versions.push(v);
    if (typeof manifest?.deprecated === 'string' && manifest.deprecated !== '') deprecated.push(v);
  }
  return { name: typeof doc.name === 'string' ? doc.name : name, distTags, versions, deprecated };
}

/** npm's choice for a range (see the module comment); undefined when nothing matches. */
export function pickNpmVersion(doc: Packument, range: string): string | undefined {
  const r = range.trim();
  const latest = doc.distTags.latest;
  if ((r === '' || r === '*' || r === 'latest') && latest !== undefined && doc.versions.includes(latest)) return latest;
  if (r !== '' && Object.hasOwn(doc.distTags, r) && !isRangeLike(r)) return doc.distTags[r];
  const parsed = parseRange(r);
  if (latest !== undefined && doc.versions.includes(latest) && satisfies(latest, parsed)) return latest;
  const ok = doc.versions.filter((v) => satisfies(v, parsed)).sort((a, b) => compareSemver(b, a));
  const deprecated = new Set(doc.deprecated);
  return ok.find((v) => !deprecated.has(v)) ?? ok[0];
}

function isRangeLike(s: string): boolean {
  return /^[\s\d^~<>=*xX.|v-]/.test(s) || /^\d/.test(s);
}

// ---------------------------------------------------------------------------------------------------------------------
// SemVer 2.0.0 versions

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  pre: Array<string | number>;
}

const SEMVER_RE = /^\s*[v=]*\s*(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$/;

export function parseSemver(v: string): SemVer | undefined {
  const m = SEMVER_RE.exec(v);
  if (!m) return undefined;
  const nums = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  if (!nums.every(Number.isSafeInteger)) return undefined;
  const pre = m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  return { major: nums[0], minor: nums[1], patch: nums[2], pre };
}

function cmpIdent(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareParsed(a: SemVer, b: SemVer): number {
  const c = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (c !== 0) return c;
  if (a.pre.length === 0 || b.pre.length === 0) return (a.pre.length === 0 ? 1 : 0) - (b.pre.length === 0 ? 1 : 0);
  for (let i = 0; ; i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined && y === undefined) return 0;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const d = cmpIdent(x, y);
    if (d !== 0) return d;
  }
}

export function compareSemver(a: string, b: string): number {
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (!pa || !pb) throw new Error(`not a semver version: ${pa ? b : a}`);
  return compareParsed(pa, pb);
}

// ---------------------------------------------------------------------------------------------------------------------
// Ranges: desugared into sets of primitive comparators (OR of ANDs).

type CmpOp = '<' | '<=' | '>' | '>=' | '=';
export interface Comparator {
  op: CmpOp;
  v: SemVer;
}
export type Range = Comparator[][];

interface Partial {
  major?: number;
  minor?: number;
  patch?: number;
  pre: Array<string | number>;
}

const PARTIAL_RE = /^[v=]*(\d+|[xX*])?(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parsePartial(s: string, whole: string): Partial {
  const m = PARTIAL_RE.exec(s);
  if (!m || s === '') throw new LookupFailure('invalid', `not a semver range: '${whole}'`);
  const num = (x: string | undefined) => (x === undefined || /^[xX*]$/.test(x) ? undefined : Number(x));
  const p: Partial = { major: num(m[1]), minor: num(m[2]), patch: num(m[3]), pre: [] };
  // Anything after a wildcard is a wildcard too (1.x.3 is 1.x).
  if (p.major === undefined) p.minor = p.patch = undefined;
  else if (p.minor === undefined) p.patch = undefined;
  if (m[4] && p.patch !== undefined) p.pre = m[4].split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  return p;
}

const ver = (major: number, minor: number, patch: number, pre: Array<string | number> = []): SemVer => ({ major, minor, patch, pre });
const ZERO_PRE = [0];

function desugar(token: string, whole: string): Comparator[] {
  if (token === '' || token === '*' || token === 'x' || token === 'X') return [];
  let m = /^(~>?|\^)(.*)$/.exec(token);
  if (m) {
    const p = parsePartial(m[2] as string, whole);
    if (p.major === undefined) return [];
    const lo = ver(p.major, p.minor ?? 0, p.patch ?? 0, p.pre);
    let hi: SemVer;
    if (m[1] !== '^') {
      hi = p.minor === undefined ? ver(p.major + 1, 0, 0, ZERO_PRE) : ver(p.major, p.minor + 1, 0, ZERO_PRE);
    } else if (p.major > 0 || p.minor === undefined) {
      hi = ver(p.major + 1, 0, 0, ZERO_PRE);
    } else if (p.minor > 0 || p.patch === undefined) {
      hi = ver(0, p.minor + 1, 0, ZERO_PRE);
    } else {
      hi = ver(0, 0, p.patch + 1, ZERO_PRE);
    }
    return [{ op: '>=', v: lo }, { op: '<', v: hi }];
  }
  m = /^(<=|>=|<|>|=)?(.*)$/.exec(token) as RegExpExecArray;
  const op = (m[1] ?? '') as CmpOp | '';
  const p = parsePartial(m[2] as string, whole);
  if (p.major === undefined) return op === '<' || op === '>' ? [{ op: '<', v: ver(0, 0, 0, ZERO_PRE) }] : [];
  if (p.minor !== undefined && p.patch !== undefined) return [{ op: op === '' ? '=' : op, v: ver(p.major, p.minor, p.patch, p.pre) }];
  // Partial version.
  const lo = ver(p.major, p.minor ?? 0, 0);
  const next = p.minor === undefined ? ver(p.major + 1, 0, 0) : ver(p.major, p.minor + 1, 0);
  switch (op) {
    case '':
    case '=':
      return [{ op: '>=', v: lo }, { op: '<', v: { ...next, pre: ZERO_PRE } }];
    case '>':
      return [{ op: '>=', v: next }];
    case '>=':
      return [{ op: '>=', v: lo }];
    case '<':
      return [{ op: '<', v: { ...lo, pre: ZERO_PRE } }];
    case '<=':
      return [{ op: '<', v: { ...next, pre: ZERO_PRE } }];
  }
}

/** Parse a node-semver range (the subset in the module comment). */
export function parseRange(range: string): Range {
  const sets: Range = [];
  for (const alt of range.split('||')) {
    let s = alt.trim().replace(/(<=|>=|<|>|=|~>?|\^)\s+/g, '$1');
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(s);
    if (hyphen) {
      const lo = parsePartial(hyphen[1] as string, range);
      const hi = parsePartial(hyphen[2] as string, range);
      const set: Comparator[] = [];
      if (lo.major !== undefined) set.push({ op: '>=', v: ver(lo.major, lo.minor ?? 0, lo.patch ?? 0, lo.patch !== undefined ? lo.pre : []) });
      if (hi.major !== undefined) {
        if (hi.minor === undefined) set.push({ op: '<', v: ver(hi.major + 1, 0, 0, ZERO_PRE) });
        else if (hi.patch === undefined) set.push({ op: '<', v: ver(hi.major, hi.minor + 1, 0, ZERO_PRE) });
        else set.push({ op: '<=', v: ver(hi.major, hi.minor, hi.patch, hi.pre) });
      }
      sets.push(set);
      continue;
    }
    s = s.trim();
    sets.push(s === '' ? [] : s.split(/\s+/).flatMap((t) => desugar(t, range)));
  }
  return sets;
}

function testComparator(v: SemVer, c: Comparator): boolean {
  const d = compareParsed(v, c.v);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
  }
}

/** node-semver `satisfies` without includePrerelease. */
export function satisfies(version: string, range: Range | string): boolean {
  const v = parseSemver(version);
  if (!v) return false;
  const r = typeof range === 'string' ? parseRange(range) : range;
  return r.some((set) => {
    if (!set.every((c) => testComparator(v, c))) return false;
    if (v.pre.length === 0) return true;
    // A pre-release only matches when a comparator names a pre-release of the same [major, minor, patch].
    return set.some((c) => c.v.pre.length > 0 && c.v.major === v.major && c.v.minor === v.minor && c.v.patch === v.patch);
  });
}
