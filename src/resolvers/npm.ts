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
 * - Ranges and versions are node-semver's (the library npm uses): a range npm accepts is accepted here; git/tarball/alias
 *   specs are 'invalid'.
 */
import semver from 'semver';
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
  const fetcher = new IndexFetcher('npm-version', settings);
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
    if (!semver.valid(v)) continue;
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
// Versions and ranges: node-semver, the library npm itself uses, so the choice is npm's (no includePrerelease, not loose).

/** Order of two versions (build metadata ignored); invalid versions sort first. */
export function compareSemver(a: string, b: string): number {
  const va = semver.valid(a);
  const vb = semver.valid(b);
  if (!va || !vb) return va ? 1 : vb ? -1 : 0;
  return semver.compare(va, vb);
}

function parseRange(range: string): semver.Range {
  try {
    return new semver.Range(range);
  } catch {
    throw new LookupFailure('invalid', `'${range}' is not a semver range`);
  }
}

/** node-semver `satisfies` without includePrerelease; throws 'invalid' for something that is not a range. */
export function satisfies(version: string, range: semver.Range | string): boolean {
  const r = typeof range === 'string' ? parseRange(range) : range;
  return semver.valid(version) !== null && r.test(version);
}
