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
 *   `data-yanked`).
 * - Requires-Python (key `python`, e.g. '3.8' or '3.8.18'): when set, a version counts only when one of its non-yanked
 *   files has no `requires-python` (PEP 691 JSON `requires-python`, PEP 503 HTML `data-requires-python`) or one the
 *   interpreter satisfies; a malformed one counts as satisfied, as pip does. A version without a patch number stands
 *   for that minor series' patch releases: '3.8' satisfies '>=3.8.1' (the images ship late patch releases), checked as
 *   3.8.0 and 3.8.999. Without `python` nothing is filtered (as before).
 * - Selection (PEP 440): the highest version matching every clause; pre-releases (a, b, rc, dev) only when a clause
 *   names one (`>=2.0rc1`), or when no final release matches (as PEP 440 asks of installers).
 * - Specifiers: `==`, `!=` (with `.*` prefix forms), `>=`, `<=`, `>`, `<` (exclusive: `>1.7` excludes 1.7.post1,
 *   `<1.7` excludes 1.7 pre-releases), `~=`, `===` (string identity). Local versions (`+local`) are ignored by `==`
 *   without a local label. Nothing else (no environment markers, no URLs).
 * - The parsed page (versions and their files' requires-python) is cached per run and on disk, keyed by its URL.
 */
import pep440 from '@renovatebot/pep440';
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
  const fetcher = new IndexFetcher('pypi-version', settings);
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
  const python = optString(key, 'python');
  if (python !== undefined && !PYTHON_VERSION.test(python)) throw new LookupFailure('invalid', `not a Python version: '${python}' (expected e.g. 3.8 or 3.8.18)`);
  const url = joinUrl(index, `${encodeURIComponent(name)}/`);
  const page = redactUrl(url);
  // Keyed apart from the versions-only form earlier releases cached under `page`.
  const releases = await fetcher.load(`pypi-releases ${page}`, () =>
    fetcher.get({ url, kind: 'page', accept: PYPI_ACCEPT, what: `PyPI project ${name}` }, async (res) => {
      const body = (await readBody(res.body, MAX_PAGE_BYTES, `PyPI project ${name}`)).toString('utf8');
      const type = (header(res, 'content-type') ?? '').toLowerCase();
      const files = type.includes('json') ? parseJsonPage(body, name) : parseHtmlPage(body);
      return releasesFromFiles(name, files);
    }, () => {
      throw new LookupFailure('not-found', `PyPI project ${name} not found on ${redactUrl(joinUrl(index, ''))}`);
    }),
  );
  const versions = (python === undefined ? releases : releases.filter((r) => supportsPython(r, python))).map((r) => r.version);
  const version = pickVersion(versions, spec);
  if (version === undefined) {
    const what = specifier ? `matching '${specifier}'` : 'at all';
    const forPython = python === undefined ? '' : ` for Python ${python} (Requires-Python)`;
    throw new LookupFailure('not-found', `PyPI project ${name} has no usable release ${what}${forPython} on ${redactUrl(joinUrl(index, ''))}`);
  }
  return { ok: { name, version, index: page }, source: fetcher.source(`pypi-releases ${page}`, page) };
}

/** 'X.Y' or 'X.Y.Z'. */
const PYTHON_VERSION = /^\d+\.\d+(?:\.\d+)?$/;

export interface SimpleFile {
  filename: string;
  yanked: boolean;
  /** The file's Requires-Python as the index states it (entities decoded), when it states one. */
  requiresPython?: string;
}

/** A version and the Requires-Python of each of its non-yanked files (null: the file states none). */
export interface PypiRelease {
  version: string;
  requiresPython: (string | null)[];
}

/** PEP 691 JSON project page. */
export function parseJsonPage(body: string, name: string): SimpleFile[] {
  let doc: { files?: Array<{ filename?: unknown; yanked?: unknown; 'requires-python'?: unknown }> };
  try {
    doc = JSON.parse(body) as typeof doc;
  } catch {
    throw new LookupFailure('invalid', `PyPI project ${name}: malformed JSON page`);
  }
  if (!Array.isArray(doc.files)) throw new LookupFailure('invalid', `PyPI project ${name}: JSON page without files`);
  return doc.files
    .filter((f) => typeof f.filename === 'string')
    .map((f) => {
      const file: SimpleFile = { filename: f.filename as string, yanked: f.yanked !== undefined && f.yanked !== false };
      const rp = f['requires-python'];
      if (typeof rp === 'string' && rp.trim() !== '') file.requiresPython = rp.trim();
      return file;
    });
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
    const file: SimpleFile = { filename, yanked: /\bdata-yanked\b/i.test(attrs) };
    const rp = /\bdata-requires-python\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(attrs);
    const rpText = rp ? decodeEntities(rp[1] ?? rp[2] ?? rp[3] ?? '').trim() : '';
    if (rpText !== '') file.requiresPython = rpText;
    files.push(file);
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
  return candidate !== undefined && isPep440(candidate) ? candidate : undefined;
}

/** Available versions (with a non-yanked file), each as first spelled in the file names. */
export function versionsFromFiles(project: string, files: readonly SimpleFile[]): string[] {
  return releasesFromFiles(project, files).map((r) => r.version);
}

/** Available versions, each with the distinct Requires-Python of its non-yanked files. */
export function releasesFromFiles(project: string, files: readonly SimpleFile[]): PypiRelease[] {
  const available = new Map<string, PypiRelease>();
  for (const f of files) {
    if (f.yanked) continue;
    const v = versionFromFilename(project, f.filename);
    if (v === undefined) continue;
    const key = canonicalKey(v);
    let r = available.get(key);
    if (!r) {
      r = { version: v, requiresPython: [] };
      available.set(key, r);
    }
    const rp = f.requiresPython ?? null;
    if (!r.requiresPython.includes(rp)) r.requiresPython.push(rp);
  }
  return [...available.values()];
}

/** Whether one of the release's files installs on Python `python` ('3.8' or '3.8.18'); see the module comment. */
export function supportsPython(release: PypiRelease, python: string): boolean {
  return release.requiresPython.some((rp) => rp === null || requiresPythonAllows(rp, python));
}

/**
 * Whether a Requires-Python specifier admits `python`. Malformed specifiers count as satisfied (pip ignores them);
 * 'X.Y' stands for its patch releases (X.Y.0 or X.Y.999 satisfying it is enough).
 */
export function requiresPythonAllows(requiresPython: string, python: string): boolean {
  const spec = requiresPython.split(',').map((s) => s.trim()).filter(Boolean).join(',');
  if (spec === '' || !pep440.validRange(spec)) return true;
  const points = python.split('.').length === 2 ? [`${python}.0`, `${python}.999`] : [python];
  return points.some((p) => pep440.satisfies(p, spec));
}

// ---------------------------------------------------------------------------------------------------------------------
// PEP 440 versions and specifiers: @renovatebot/pep440 (a port of Python's `packaging`, kept by the Renovate project),
// with pip's pre-release rule (pre-releases only when a clause names one, or when nothing else matches).

export function isPep440(v: string): boolean {
  return pep440.valid(v) !== null;
}

/** PEP 440 ordering; throws for a string that is not a version. */
export function compareVersionStrings(a: string, b: string): number {
  if (!isPep440(a) || !isPep440(b)) throw new Error(`not a PEP 440 version: ${isPep440(a) ? b : a}`);
  return pep440.compare(a, b);
}

/** One spelling per version: `1.0`, `1.0.0` and `v1.0` are the same release. */
function canonicalKey(v: string): string {
  const p = pep440.parse(v);
  if (!p) return v;
  const release = [...p.release];
  while (release.length > 1 && release[release.length - 1] === 0) release.pop();
  return JSON.stringify([p.epoch, release, p.pre, p.post, p.dev, p.local]);
}

export interface SpecifierSet {
  /** The specifier as given, validated; '' matches everything. */
  raw: string;
}

const CLAUSE = /^(===|==|!=|>=|<=|~=|>|<)\s*(\S+)$/;

/** Validates a comma-separated PEP 440 specifier set, with a message naming what is wrong. */
export function parseSpecifierSet(spec: string): SpecifierSet {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const part of parts) {
    const m = CLAUSE.exec(part);
    if (!m) throw new LookupFailure('invalid', `not a PEP 440 specifier: '${part}'`);
    const [, op, value] = m as unknown as [string, string, string];
    if (op === '===') continue;
    const prefix = value.endsWith('.*');
    if (prefix && op !== '==' && op !== '!=') throw new LookupFailure('invalid', `'.*' only goes with == and != in '${part}'`);
    const version = pep440.parse(prefix ? value.slice(0, -2) : value);
    if (!version) throw new LookupFailure('invalid', `not a PEP 440 version in '${part}'`);
    if (op === '~=' && version.release.length < 2) throw new LookupFailure('invalid', `'~=' needs at least two release segments in '${part}'`);
    if (version.local && op !== '==' && op !== '!=') throw new LookupFailure('invalid', `local versions only go with == and != in '${part}'`);
  }
  const raw = parts.join(',');
  if (raw !== '' && !pep440.validRange(raw)) throw new LookupFailure('invalid', `not a PEP 440 specifier: '${spec}'`);
  return { raw };
}

/** The highest version satisfying the set; pre-releases as pip chooses them (see above). */
export function pickVersion(versions: readonly string[], spec: SpecifierSet): string | undefined {
  const valid = versions.filter(isPep440);
  const matching = spec.raw === '' ? pep440.filter(valid, '') : pep440.filter(valid, spec.raw);
  const pool = matching.length > 0 || spec.raw !== '' ? matching : valid;
  return [...pool].sort((a, b) => pep440.rcompare(a, b))[0];
}
