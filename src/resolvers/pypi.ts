/**
 * `pypi-version` lookups: the newest release of a project on a PEP 503 simple index that satisfies a specifier.
 *
 * - Project page: `<index>/<normalised name>/` (PEP 503 normalisation: lower case, runs of `-_.` → `-`), asked with
 *   `Accept: application/vnd.pypi.simple.v1+json` first and HTML as a fallback in the same request (PEP 691 content
 *   negotiation); the response's Content-Type decides the parser (PEP 691 JSON, else PEP 503 HTML anchors).
 * - Versions come from file names: wheels (PEP 427: `name-ver(-build)?-py-abi-plat.whl`), sdists (PEP 625
 *   `name-ver.tar.gz`, and legacy `.zip`, `.tar.bz2`, `.tar.xz`, `.tgz`, `.tar`, where the name part may keep its
 *   original spelling and dashes), and eggs (`name-ver-pyX.Y.egg`). Names not parseable as PEP 440 versions are
 *   skipped. A version counts when at least one of its files is not yanked (PEP 592: JSON `yanked`, HTML
 *   `data-yanked`). `requires-python` is not applied (the image's Python is not known here).
 * - Selection (PEP 440): the highest version matching every clause; pre-releases (a, b, rc, dev) only when a clause
 *   names one (`>=2.0rc1`), or when no final release matches (as PEP 440 asks of installers).
 * - Specifiers: `==`, `!=` (with `.*` prefix forms), `>=`, `<=`, `>`, `<` (exclusive: `>1.7` excludes 1.7.post1,
 *   `<1.7` excludes 1.7 pre-releases), `~=`, `===` (string identity). Local versions (`+local`) are ignored by `==`
 *   without a local label. Nothing else (no environment markers, no URLs).
 * - The parsed page (versions only) is cached per run and on disk, keyed by its URL.
 */
import type { LookupKey } from '../engine/types.js';
import { header } from './transport.js';
import { LookupFailure } from './errors.js';
import { IndexFetcher, joinUrl, keyString, optString, packageHandler, readBody, redactUrl, type PackageHandler } from './index-cache.js';
import type { PackageIndexSettings, PypiVersionAnswer } from './package-types.js';

export const PYPI_KINDS = ['pypi-version'] as const;
const DEFAULT_INDEX = 'https://pypi.org/simple';
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
export const PYPI_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

export function createPypiHandler(settings: PackageIndexSettings = {}): PackageHandler {
  const fetcher = new IndexFetcher(settings);
  const defaultIndex = settings.pypiIndex ?? DEFAULT_INDEX;
  return packageHandler(PYPI_KINDS, fetcher, (key) => resolvePypi(key, fetcher, defaultIndex));
}

/** PEP 503 name normalisation. */
export function normaliseProjectName(name: string): string {
  return name.trim().replace(/[-_.]+/g, '-').toLowerCase();
}

async function resolvePypi(key: LookupKey, fetcher: IndexFetcher, defaultIndex: string): Promise<{ ok: PypiVersionAnswer; source: string }> {
  const name = normaliseProjectName(keyString(key, 'name'));
  const index = optString(key, 'index') ?? defaultIndex;
  const specifier = optString(key, 'specifier') ?? '';
  const spec = parseSpecifierSet(specifier);
  const url = joinUrl(index, `${encodeURIComponent(name)}/`);
  const page = redactUrl(url);
  const versions = await fetcher.load(page, () =>
    fetcher.get({ url, kind: 'page', accept: PYPI_ACCEPT, what: `PyPI project ${name}` }, async (res) => {
      const body = (await readBody(res.body, MAX_PAGE_BYTES, `PyPI project ${name}`)).toString('utf8');
      const type = (header(res, 'content-type') ?? '').toLowerCase();
      const files = type.includes('json') ? parseJsonPage(body, name) : parseHtmlPage(body);
      return versionsFromFiles(name, files);
    }, () => {
      throw new LookupFailure('not-found', `PyPI project ${name} not found on ${redactUrl(joinUrl(index, ''))}`);
    }),
  );
  const version = pickVersion(versions, spec);
  if (version === undefined) {
    const what = specifier ? `matching '${specifier}'` : 'at all';
    throw new LookupFailure('not-found', `PyPI project ${name} has no usable release ${what} on ${redactUrl(joinUrl(index, ''))}`);
  }
  return { ok: { name, version, index: page }, source: fetcher.source(page) };
}

export interface SimpleFile {
  filename: string;
  yanked: boolean;
}

/** PEP 691 JSON project page. */
export function parseJsonPage(body: string, name: string): SimpleFile[] {
  let doc: { files?: Array<{ filename?: unknown; yanked?: unknown }> };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    throw new LookupFailure('invalid', `PyPI project ${name}: malformed JSON page`);
  }
  if (!Array.isArray(doc.files)) throw new LookupFailure('invalid', `PyPI project ${name}: JSON page without files`);
  return doc.files
    .filter((f) => typeof f.filename === 'string')
    .map((f) => ({ filename: f.filename as string, yanked: f.yanked !== undefined && f.yanked !== false }));
}

/** PEP 503 HTML project page: one anchor per file; the anchor text is the file name (else the href's last segment). */
export function parseHtmlPage(body: string): SimpleFile[] {
  const files: SimpleFile[] = [];
  for (const m of body.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const attrs = m[1] ?? '';
    const text = decodeEntities((m[2] ?? '').replace(/<[^>]*>/g, '')).trim();
    const href = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attrs);
    const hrefName = href ? decodeURIComponent(decodeEntities(href[1] ?? href[2] ?? href[3] ?? '').split(/[?#]/)[0]?.split('/').pop() ?? '') : '';
    const filename = text || hrefName;
    if (!filename) continue;
    files.push({ filename, yanked: /\bdata-yanked\b/i.test(attrs) });
  }
  return files;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith('#')) return String.fromCodePoint(Number(l.slice(1)));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[l] ?? _;
  });
}

const SDIST_EXT = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tgz', '.tar', '.zip'];

/** The version a distribution file name carries, or undefined (unknown kind, other project, not PEP 440). */
export function versionFromFilename(project: string, filename: string): string | undefined {
  const lower = filename.toLowerCase();
  let candidate: string | undefined;
  if (lower.endsWith('.whl') || lower.endsWith('.egg')) {
    const parts = filename.slice(0, -4).split('-');
    if (parts.length >= (lower.endsWith('.whl') ? 5 : 2) && normaliseProjectName(parts[0] ?? '') === project) candidate = parts[1];
  } else {
    const ext = SDIST_EXT.find((e) => lower.endsWith(e));
    if (!ext) return undefined;
    const stem = filename.slice(0, -ext.length);
    for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
      if (normaliseProjectName(stem.slice(0, i)) === project) {
        candidate = stem.slice(i + 1);
        break;
      }
    }
  }
  return candidate !== undefined && parsePep440(candidate) ? candidate : undefined;
}

/** Available versions (with a non-yanked file), each as first spelled in the file names. */
export function versionsFromFiles(project: string, files: readonly SimpleFile[]): string[] {
  const available = new Map<string, string>();
  for (const f of files) {
    if (f.yanked) continue;
    const v = versionFromFilename(project, f.filename);
    if (v === undefined) continue;
    const key = canonicalKey(v);
    if (!available.has(key)) available.set(key, v);
  }
  return [...available.values()];
}

// ---------------------------------------------------------------------------------------------------------------------
// PEP 440 versions

export interface Pep440 {
  epoch: number;
  release: number[];
  pre?: [number, number]; // phase (a=0, b=1, rc=2), number
  post?: number;
  dev?: number;
  local?: Array<number | string>;
}

const VERSION_RE =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

export function parsePep440(v: string): Pep440 | undefined {
  const m = VERSION_RE.exec(v);
  if (!m) return undefined;
  const out: Pep440 = { epoch: m[1] ? Number(m[1]) : 0, release: (m[2] as string).split('.').map(Number) };
  if (m[3]) {
    const phase = m[3].toLowerCase();
    out.pre = [phase === 'a' || phase === 'alpha' ? 0 : phase === 'b' || phase === 'beta' ? 1 : 2, Number(m[4] ?? 0)];
  }
  if (m[5] !== undefined) out.post = Number(m[5]);
  else if (m[6]) out.post = Number(m[7] ?? 0);
  if (m[8]) out.dev = Number(m[9] ?? 0);
  if (m[10]) out.local = m[10].toLowerCase().split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return out;
}

export const isPrerelease = (v: Pep440) => v.pre !== undefined || v.dev !== undefined;

function trimZeros(r: readonly number[]): number[] {
  const out = [...r];
  while (out.length > 1 && out[out.length - 1] === 0) out.pop();
  return out;
}

function canonicalKey(v: string): string {
  const p = parsePep440(v);
  return p ? JSON.stringify([p.epoch, trimZeros(p.release), p.pre ?? null, p.post ?? null, p.dev ?? null, p.local ?? null]) : v;
}

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpRelease(a: readonly number[], b: readonly number[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmpNum(a[i] ?? 0, b[i] ?? 0);
    if (c !== 0) return c;
  }
  return 0;
}

/** PEP 440 ordering of parsed versions. */
export function comparePep440(a: Pep440, b: Pep440, ignoreLocal = false): number {
  let c = cmpNum(a.epoch, b.epoch) || cmpRelease(a.release, b.release);
  if (c !== 0) return c;
  // pre: a dev release of the final (no pre, no post) sorts before any pre-release; no pre sorts after all of them.
  const preKey = (v: Pep440): [number, number, number] =>
    v.pre ? [0, v.pre[0], v.pre[1]] : v.post === undefined && v.dev !== undefined ? [-1, 0, 0] : [1, 0, 0];
  const pa = preKey(a);
  const pb = preKey(b);
  c = cmpNum(pa[0], pb[0]) || cmpNum(pa[1], pb[1]) || cmpNum(pa[2], pb[2]);
  if (c !== 0) return c;
  c = cmpNum(a.post ?? -1, b.post ?? -1);
  if (c !== 0) return c;
  c = cmpNum(a.dev ?? Infinity, b.dev ?? Infinity);
  if (c !== 0 || ignoreLocal) return c;
  return compareLocal(a.local, b.local);
}

function compareLocal(a: Pep440['local'], b: Pep440['local']): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1; // numeric segments sort after alphanumeric ones
    const c = typeof x === 'number' ? cmpNum(x, y as number) : x < (y as string) ? -1 : x > (y as string) ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

export function compareVersionStrings(a: string, b: string): number {
  const pa = parsePep440(a);
  const pb = parsePep440(b);
  if (!pa || !pb) throw new Error(`not a PEP 440 version: ${pa ? b : a}`);
  return comparePep440(pa, pb);
}

// ---------------------------------------------------------------------------------------------------------------------
// Specifiers

type Op = '==' | '!=' | '>=' | '<=' | '>' | '<' | '~=' | '===';

interface Clause {
  op: Op;
  raw: string;
  version?: Pep440;
  /** For `==`/`!=` with `.*`. */
  prefix?: boolean;
}

export interface SpecifierSet {
  clauses: Clause[];
  /** A clause names a pre-release: pre-releases are candidates. */
  allowsPre: boolean;
}

export function parseSpecifierSet(spec: string): SpecifierSet {
  const clauses: Clause[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(===|==|!=|>=|<=|~=|>|<)\s*(\S+)$/.exec(part);
    if (!m) throw new LookupFailure('invalid', `not a PEP 440 specifier: '${part}'`);
    const op = m[1] as Op;
    let raw = m[2] as string;
    if (op === '===') {
      clauses.push({ op, raw });
      continue;
    }
    const prefix = raw.endsWith('.*');
    if (prefix && op !== '==' && op !== '!=') throw new LookupFailure('invalid', `'.*' only goes with == and != in '${part}'`);
    if (prefix) raw = raw.slice(0, -2);
    const version = parsePep440(raw);
    if (!version) throw new LookupFailure('invalid', `not a PEP 440 version in '${part}'`);
    if (op === '~=' && version.release.length < 2) throw new LookupFailure('invalid', `'~=' needs at least two release segments in '${part}'`);
    if (version.local && op !== '==' && op !== '!=') throw new LookupFailure('invalid', `local versions only go with == and != in '${part}'`);
    clauses.push({ op, raw, version, prefix });
  }
  const allowsPre = clauses.some((c) => c.op !== '!=' && c.version !== undefined && isPrerelease(c.version));
  return { clauses, allowsPre };
}

function sameBase(a: Pep440, b: Pep440): boolean {
  return a.epoch === b.epoch && cmpRelease(a.release, b.release) === 0;
}

function matchesClause(v: Pep440, raw: string, c: Clause): boolean {
  if (c.op === '===') return raw.trim().toLowerCase() === c.raw.toLowerCase();
  const s = c.version as Pep440;
  switch (c.op) {
    case '==':
    case '!=': {
      let eq: boolean;
      if (c.prefix) {
        eq = v.epoch === s.epoch && s.release.every((n, i) => (v.release[i] ?? 0) === n);
      } else {
        eq = comparePep440(v, s, s.local === undefined) === 0;
      }
      return c.op === '==' ? eq : !eq;
    }
    case '>=':
      return comparePep440(v, s, true) >= 0;
    case '<=':
      return comparePep440(v, s, true) <= 0;
    case '>':
      if (comparePep440(v, s, true) <= 0) return false;
      if (s.post === undefined && v.post !== undefined && sameBase(v, s)) return false;
      return true;
    case '<':
      if (comparePep440(v, s, true) >= 0) return false;
      if (!isPrerelease(s) && isPrerelease(v) && sameBase(v, s)) return false;
      return true;
    case '~=': {
      if (comparePep440(v, s, true) < 0) return false;
      const prefix = s.release.slice(0, -1);
      return v.epoch === s.epoch && prefix.every((n, i) => (v.release[i] ?? 0) === n);
    }
  }
}

/** The highest version satisfying the set (pre-releases per PEP 440: see the module comment). */
export function pickVersion(versions: readonly string[], spec: SpecifierSet): string | undefined {
  const parsed = versions
    .map((raw) => ({ raw, v: parsePep440(raw) }))
    .filter((x): x is { raw: string; v: Pep440 } => x.v !== undefined)
    .filter((x) => spec.clauses.every((c) => matchesClause(x.v, x.raw, c)))
    .sort((a, b) => comparePep440(b.v, a.v));
  const finals = parsed.filter((x) => !isPrerelease(x.v));
  if (spec.allowsPre) return parsed[0]?.raw;
  return (finals[0] ?? parsed[0])?.raw;
}
