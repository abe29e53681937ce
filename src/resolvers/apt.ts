/**
 * `apt-version` lookups: the candidate version of a Debian/Ubuntu package, from the archive's Release and Packages
 * indexes.
 *
 * - For each pocket ('' , '-updates', '-security' by default) of the suite: `dists/<suite><pocket>/InRelease` (its
 *   clear-signed armour stripped), else `Release`. The OpenPGP signature is NOT verified: trust rests on TLS to the
 *   mirror and on the SHA256 chain Release → Packages. A pocket other than '' whose InRelease and Release are both
 *   missing is skipped (e.g. unstable has no -updates); a missing base suite is 'not-found'.
 * - For each component, `<component>/binary-<arch>/Packages.gz` when the Release lists it, else `Packages.xz`
 *   (decompressed by xz-decompress, WebAssembly, streaming), else the plain `Packages`. Debian's -updates and -security
 *   pockets serve only `.xz` although their Release also lists the uncompressed file's hash. A Release listing only
 *   `.bz2`/`.zst` is 'unsupported'. The file is streamed: hashed as it arrives, decompressed, parsed line by line, and
 *   only `Package` and `Version` kept (name → highest version); its SHA256 and size must equal the Release's
 *   ('digest-mismatch').
 * - A component/arch the Release does not list is treated as empty.
 * - The answer is the highest version (Debian policy ordering, compareDebianVersions) across pockets and components;
 *   ties go to the earlier pocket. '-security' comes from the security mirror (Debian: debianSecurityMirror; Ubuntu:
 *   ubuntuSecurityMirror on amd64/i386). Ubuntu architectures other than amd64/i386 come from ubuntuPortsMirror.
 * - Each Packages index is fetched once per run (however many packages are asked) and cached on disk in its compact
 *   form, keyed by the `<base>/dists/<suite>/<component>/binary-<arch>` URL (index-cache.ts). Release files are kept in
 *   memory only.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import xzDecompress from 'xz-decompress';
import type { LookupKey } from '../engine/types.js';
import { LookupFailure } from './errors.js';
import { IndexFetcher, joinUrl, keyString, lines, optString, optStrings, packageHandler, readBody, redactUrl, type PackageHandler } from './index-cache.js';
import type { AptVersionAnswer, PackageIndexSettings } from './package-types.js';

export const APT_KINDS = ['apt-version'] as const;
const MAX_RELEASE_BYTES = 16 * 1024 * 1024;

const DEFAULTS = {
  debianMirror: 'https://deb.debian.org/debian',
  debianSecurityMirror: 'https://deb.debian.org/debian-security',
  ubuntuMirror: 'http://archive.ubuntu.com/ubuntu',
  ubuntuPortsMirror: 'http://ports.ubuntu.com/ubuntu-ports',
  ubuntuSecurityMirror: 'http://security.ubuntu.com/ubuntu',
};

/** Files listed in a Release's SHA256 section: path → { sha256, size }. */
export type ReleaseFiles = Map<string, { sha256: string; size: number }>;

/** Compact Packages index: name → highest version (no prototype; read with Object.hasOwn). */
export type DebIndex = Record<string, string>;

export function createAptHandler(settings: PackageIndexSettings = {}): PackageHandler {
  const fetcher = new IndexFetcher('apt-version', settings);
  const mirrors = { ...DEFAULTS, ...definedOnly(settings) };
  const releases = new Map<string, Promise<ReleaseFiles | null>>();
  return packageHandler(APT_KINDS, fetcher, (key) => resolveApt(key, fetcher, mirrors, releases));
}

function definedOnly(s: PackageIndexSettings): Partial<typeof DEFAULTS> {
  const out: Partial<typeof DEFAULTS> = {};
  for (const k of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>) if (s[k]) out[k] = s[k];
  return out;
}

/** The archive base URL for a distro, pocket and arch. */
export function aptBase(mirrors: typeof DEFAULTS, distro: string, pocket: string, arch: string): string {
  if (distro === 'debian') return pocket === '-security' ? mirrors.debianSecurityMirror : mirrors.debianMirror;
  if (distro === 'ubuntu') {
    if (arch !== 'amd64' && arch !== 'i386') return mirrors.ubuntuPortsMirror;
    return pocket === '-security' ? mirrors.ubuntuSecurityMirror : mirrors.ubuntuMirror;
  }
  throw new LookupFailure('invalid', `apt-version lookup: unknown distro '${distro}' (debian or ubuntu)`);
}

interface Loaded {
  /** The cache key of the index (component/arch directory URL). */
  dir: string;
  pocket: string;
  suite: string;
  component: string;
  url: string;
  index: DebIndex;
}

async function resolveApt(
  key: LookupKey,
  fetcher: IndexFetcher,
  mirrors: typeof DEFAULTS,
  releases: Map<string, Promise<ReleaseFiles | null>>,
): Promise<{ ok: AptVersionAnswer; source: string }> {
  const name = keyString(key, 'name');
  const distro = keyString(key, 'distro');
  const suite = keyString(key, 'suite');
  const arch = optString(key, 'arch') ?? 'amd64';
  const components = optStrings(key, 'components') ?? ['main'];
  const pockets = optStrings(key, 'pockets') ?? ['', '-updates', '-security'];

  const jobs: Array<Promise<Loaded | null>> = [];
  for (const pocket of pockets) {
    const base = aptBase(mirrors, distro, pocket, arch);
    for (const component of components) {
      jobs.push(loadPackages(fetcher, releases, base, `${suite}${pocket}`, component, arch, pocket === '').then((r) => (r ? { pocket, suite: `${suite}${pocket}`, component, ...r } : null)));
    }
  }
  // Reported in key order when several indexes fail.
  const settled = await Promise.allSettled(jobs);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const loaded = settled.map((r) => (r as PromiseFulfilledResult<Loaded | null>).value).filter((x): x is Loaded => x !== null);
  let best: Loaded | undefined;
  for (const l of loaded) {
    if (!Object.hasOwn(l.index, name)) continue;
    if (!best || compareDebianVersions(l.index[name] as string, best.index[name] as string) > 0) best = l;
  }
  if (!best) {
    const where = pockets.map((p) => `${suite}${p}`).join(', ');
    throw new LookupFailure('not-found', `apt package ${name} not found in ${distro} ${where} (${components.join(', ')}) for ${arch}`);
  }
  const ok: AptVersionAnswer = { name, version: best.index[name] as string, suite: best.suite, pocket: best.pocket, component: best.component, index: best.url };
  return { ok, source: fetcher.source(best.dir, best.url) };
}

/** The compact index of one component/arch of a suite, or null when the suite (optional pocket) or file is absent. */
async function loadPackages(
  fetcher: IndexFetcher,
  releases: Map<string, Promise<ReleaseFiles | null>>,
  base: string,
  suite: string,
  component: string,
  arch: string,
  required: boolean,
): Promise<{ dir: string; url: string; index: DebIndex } | null> {
  const dir = `${component}/binary-${arch}`;
  const dirUrl = redactUrl(joinUrl(base, 'dists', suite, component, `binary-${arch}`));
  const result = await fetcher.load<{ url: string; index: DebIndex } | null>(dirUrl, async () => {
    let release = releases.get(`${base} ${suite}`);
    if (!release) {
      release = fetchRelease(fetcher, base, suite, required);
      releases.set(`${base} ${suite}`, release);
    }
    const files = await release;
    if (!files) return null;
    const chosen = (['gz', 'xz', 'none'] as const)
      .map((compression) => {
        const path = `${dir}/Packages${compression === 'none' ? '' : `.${compression}`}`;
        const listed = files.get(path);
        return listed ? { path, ...listed, compression } : undefined;
      })
      .find((x) => x !== undefined);
    if (!chosen) {
      const other = [...files.keys()].find((p) => p.startsWith(`${dir}/Packages.`));
      if (other) throw new LookupFailure('unsupported', `${suite} lists only ${other} for ${dir}: no decompressor for that format (needs Packages.gz, Packages.xz or Packages)`);
      return { url: dirUrl, index: Object.create(null) as DebIndex };
    }
    const url = joinUrl(base, 'dists', suite, chosen.path);
    const index = await fetchPackages(fetcher, url, `${suite}/${chosen.path}`, chosen);
    return { url: redactUrl(url), index };
  });
  return result ? { dir: dirUrl, ...result } : null;
}

async function fetchRelease(fetcher: IndexFetcher, base: string, suite: string, required: boolean): Promise<ReleaseFiles | null> {
  const read = async (file: string) =>
    fetcher.get(
      { url: joinUrl(base, 'dists', suite, file), kind: 'release', what: `${suite}/${file}` },
      async (res) => (await readBody(res.body, MAX_RELEASE_BYTES, `${suite}/${file}`)).toString('utf8'),
      () => null,
    );
  const text = (await read('InRelease')) ?? (await read('Release'));
  if (text === null) {
    if (!required) return null;
    throw new LookupFailure('not-found', `suite ${suite} not found at ${redactUrl(joinUrl(base, 'dists', suite))} (no InRelease or Release)`);
  }
  return parseRelease(text);
}

/** Strip OpenPGP clear-signed armour (dash-escaping included); plain Release text is returned as is. */
export function stripClearsign(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const start = text.indexOf('\n\n');
  const end = text.indexOf('\n-----BEGIN PGP SIGNATURE-----');
  if (start < 0 || end < 0) throw new LookupFailure('invalid', 'malformed clear-signed InRelease');
  return `${text
    .slice(start + 2, end)
    .split('\n')
    .map((l) => (l.startsWith('- ') ? l.slice(2) : l))
    .join('\n')}\n`;
}

/** The SHA256 section of a Release (or InRelease) file. */
export function parseRelease(text: string): ReleaseFiles {
  const files: ReleaseFiles = new Map();
  let inSha256 = false;
  for (const line of stripClearsign(text).split('\n')) {
    if (/^\S/.test(line)) {
      inSha256 = /^SHA256:\s*$/.test(line);
      continue;
    }
    if (!inSha256) continue;
    const m = /^\s+([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (m) files.set(m[3] as string, { sha256: m[1] as string, size: Number(m[2]) });
  }
  if (files.size === 0) throw new LookupFailure('invalid', 'Release file has no SHA256 section');
  return files;
}

type Compression = 'gz' | 'xz' | 'none';
const { XzReadableStream } = xzDecompress;

/** The decompressed stream of `compressed` (xz through WebAssembly: no native code). */
function decompress(compressed: Readable, compression: Compression): Readable {
  if (compression === 'gz') return compressed.pipe(createGunzip());
  if (compression === 'xz') {
    const web = Readable.toWeb(compressed) as unknown as ReadableStream<Uint8Array>;
    return Readable.fromWeb(new XzReadableStream(web) as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  return compressed;
}

async function fetchPackages(fetcher: IndexFetcher, url: URL, what: string, expected: { sha256: string; size: number; compression: Compression }): Promise<DebIndex> {
  return fetcher.get({ url, kind: 'index', what }, async (res) => {
    const hash = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const hashed = new PassThrough();
    const done = pipeline(res.body, hasher, hashed);
    done.catch(() => undefined);
    const out = decompress(hashed, expected.compression);
    const mismatch = () => new LookupFailure('digest-mismatch', `${what}: content does not match the SHA256 in Release (sha256:${expected.sha256}, ${expected.size} bytes)`);
    let index: DebIndex;
    try {
      index = await parsePackages(out);
      await done;
    } catch (e) {
      // Corrupt compressed data is content that is not what the Release promised; other errors are transport errors.
      if (typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('Z_')) throw mismatch();
      if (expected.compression === 'xz' && !(e instanceof LookupFailure) && !/socket|network|terminated|aborted|timeout/i.test(String(e))) {
        throw mismatch();
      }
      throw e;
    }
    const actual = hash.digest('hex');
    if (size !== expected.size || actual !== expected.sha256) {
      throw new LookupFailure('digest-mismatch', `${what}: got sha256:${actual} (${size} bytes), the Release lists sha256:${expected.sha256} (${expected.size} bytes)`);
    }
    return index;
  });
}

/** Parse a Packages stream into name → highest version, reading it line by line. */
export async function parsePackages(source: AsyncIterable<Buffer | Uint8Array | string>): Promise<DebIndex> {
  const index = Object.create(null) as DebIndex;
  let pkg: string | undefined;
  let version: string | undefined;
  const flush = () => {
    if (pkg && version && (!Object.hasOwn(index, pkg) || compareDebianVersions(version, index[pkg] as string) > 0)) index[pkg] = version;
    pkg = version = undefined;
  };
  for await (const line of lines(source)) {
    if (line === '') flush();
    else if (line.startsWith('Package:')) pkg = line.slice(8).trim();
    else if (line.startsWith('Version:')) version = line.slice(8).trim();
  }
  flush();
  return index;
}

// ---------------------------------------------------------------------------------------------------------------------
// Debian version ordering (Debian Policy 5.6.12): [epoch:]upstream[-revision]. Epochs compare numerically; upstream
// and revision alternate non-digit parts (compared character by character: '~' before everything, even the end; then
// the end; then letters; then other characters in ASCII order) and digit parts (compared numerically).

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = i < a.length && !isDigit(a[i]) ? a[i] : undefined;
      const bc = j < b.length && !isDigit(b[j]) ? b[j] : undefined;
      const d = order(ac) - order(bc);
      if (d !== 0) return d;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    let firstDiff = 0;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (!firstDiff) firstDiff = (a.charCodeAt(i) as number) - (b.charCodeAt(j) as number);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(v: string): DebianVersion {
  const s = v.trim();
  const colon = s.indexOf(':');
  const epoch = colon > 0 && /^\d+$/.test(s.slice(0, colon)) ? Number(s.slice(0, colon)) : 0;
  const rest = colon > 0 && /^\d+$/.test(s.slice(0, colon)) ? s.slice(colon + 1) : s;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

/** <0, 0, >0 like a comparator, per Debian policy. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  const u = compareFragment(x.upstream, y.upstream);
  if (u !== 0) return u;
  return compareFragment(x.revision, y.revision);
}
