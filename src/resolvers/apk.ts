/**
 * `apk-version` lookups: the version of an Alpine package from the repositories' APKINDEX.tar.gz.
 *
 * - Index URL: `<apkMirror>/<branch>/<repo>/<arch>/APKINDEX.tar.gz`, or `<repo URL>/<arch>/APKINDEX.tar.gz` for repos
 *   given as full URLs (lines of /etc/apk/repositories; a leading `@tag ` is dropped).
 * - The file is a concatenation of gzip members (signature tar segment, then the index tar); it is streamed through
 *   gunzip and the tar reader, and the `APKINDEX` entry parsed record by record (`P:` name, `V:` version, `p:`
 *   provides, `k:` provider priority). Each index is downloaded once per run and cached on disk (index-cache.ts) in a
 *   compact form: name → highest version, provided name → providers.
 * - Choice: the highest version across the repositories searched (what `apk add name` installs without tagged repos;
 *   ties go to the earlier repository).
 * - Names that are only provided (`cmd:curl`, `so:libcurl.so.4`, `pc:…`, virtual names) resolve to the providing
 *   package: the one with the highest provider priority (`k:`), else the only provider; several providers with no
 *   priority to tell them apart is 'invalid' (apk itself refuses to choose). The answer then names the providing
 *   package and sets `provides` to the requested name, so the codemod can pin `<package>=<version>`.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { LookupKey } from '../engine/types.js';
import { LookupFailure } from './errors.js';
import { IndexFetcher, joinUrl, keyString, optString, optStrings, packageHandler, redactUrl, type PackageHandler } from './index-cache.js';
import type { ApkVersionAnswer, PackageIndexSettings } from './package-types.js';
import { readTar } from './tar.js';

export const APK_KINDS = ['apk-version'] as const;
const DEFAULT_MIRROR = 'https://dl-cdn.alpinelinux.org/alpine';
const MAX_APKINDEX_BYTES = 64 * 1024 * 1024;

/** The compact, JSON-serialisable form of one APKINDEX. Objects have no prototype; read them with Object.hasOwn. */
export interface ApkIndex {
  /** Package name → highest version in this index. */
  packages: Record<string, string>;
  /** Provided name (without version) → [package, provider priority or null][]. */
  provides: Record<string, Array<[string, number | null]>>;
}

export function createApkHandler(settings: PackageIndexSettings = {}): PackageHandler {
  const fetcher = new IndexFetcher('apk-version', settings);
  const mirror = settings.apkMirror ?? DEFAULT_MIRROR;
  return packageHandler(APK_KINDS, fetcher, (key) => resolveApk(key, fetcher, mirror));
}

interface RepoIndex {
  repo: string;
  url: URL;
}

/** Index locations for a key, in search order. */
export function apkIndexUrls(mirror: string, branch: string, arch: string, repos: readonly string[]): RepoIndex[] {
  return repos.map((r) => {
    const repo = r.trim().replace(/^@\S+\s+/, '');
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return { repo, url: joinUrl(repo, arch, 'APKINDEX.tar.gz') };
    return { repo, url: joinUrl(mirror, branch, repo, arch, 'APKINDEX.tar.gz') };
  });
}

export function normaliseBranch(branch: string): string {
  return /^\d+\.\d+$/.test(branch) ? `v${branch}` : branch;
}

async function resolveApk(key: LookupKey, fetcher: IndexFetcher, mirror: string): Promise<{ ok: ApkVersionAnswer; source: string }> {
  const name = keyString(key, 'name');
  const branch = normaliseBranch(keyString(key, 'branch'));
  const arch = optString(key, 'arch') ?? 'x86_64';
  const repos = optStrings(key, 'repos') ?? ['main', 'community'];
  if (repos.length === 0) throw new LookupFailure('invalid', `apk-version lookup of ${name}: no repositories`);
  const indexes = apkIndexUrls(mirror, branch, arch, repos);
  // All indexes are fetched in parallel; a failure is reported for the first repository that failed, in key order.
  const settled = await Promise.allSettled(indexes.map(async (ix) => ({ ...ix, index: await loadApkIndex(fetcher, ix.url, `${branch}/${ix.repo}/${arch}`) })));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const loaded = settled.map((r) => (r as PromiseFulfilledResult<RepoIndex & { index: ApkIndex }>).value);

  let best: { version: string; at: (typeof loaded)[number] } | undefined;
  for (const at of loaded) {
    if (!Object.hasOwn(at.index.packages, name)) continue;
    const version = at.index.packages[name] as string;
    if (!best || compareApkVersions(version, best.version) > 0) best = { version, at };
  }
  if (best) {
    const ok: ApkVersionAnswer = { name, version: best.version, repo: best.at.repo, index: redactUrl(best.at.url) };
    return { ok, source: fetcher.source(ok.index) };
  }

  const provided = chooseProvider(name, loaded);
  if (provided) return { ok: provided, source: fetcher.source(provided.index) };
  const where = indexes.map((ix) => ix.repo).join(', ');
  throw new LookupFailure('not-found', `apk package ${name} not found in Alpine ${branch} (${where}) for ${arch}`);
}

/** The package providing `name`, by provider priority, across indexes. */
function chooseProvider(name: string, loaded: Array<RepoIndex & { index: ApkIndex }>): ApkVersionAnswer | undefined {
  const candidates: Array<{ pkg: string; prio: number | null; version: string; at: RepoIndex }> = [];
  for (const at of loaded) {
    if (!Object.hasOwn(at.index.provides, name)) continue;
    for (const [pkg, prio] of at.index.provides[name] ?? []) {
      const version = Object.hasOwn(at.index.packages, pkg) ? (at.index.packages[pkg] as string) : undefined;
      if (version !== undefined) candidates.push({ pkg, prio, version, at });
    }
  }
  if (candidates.length === 0) return undefined;
  // One entry per package: its highest version.
  const byPkg = new Map<string, (typeof candidates)[number]>();
  for (const c of candidates) {
    const prev = byPkg.get(c.pkg);
    if (!prev || compareApkVersions(c.version, prev.version) > 0) byPkg.set(c.pkg, c);
  }
  const list = [...byPkg.values()].sort((a, b) => (b.prio ?? -1) - (a.prio ?? -1));
  const top = list[0] as (typeof list)[number];
  const second = list[1];
  if (second && (second.prio ?? -1) === (top.prio ?? -1)) {
    throw new LookupFailure('invalid', `${name} is provided by several packages (${list.map((c) => c.pkg).join(', ')}); name one of them`);
  }
  return { name: top.pkg, version: top.version, repo: top.at.repo, provides: name, index: redactUrl(top.at.url) };
}

export function loadApkIndex(fetcher: IndexFetcher, url: URL, what: string): Promise<ApkIndex> {
  return fetcher.load(redactUrl(url), () =>
    fetcher.get({ url, kind: 'index', what: `APKINDEX for ${what}` }, async (res) => {
      const gunzip = Readable.from(res.body).pipe(createGunzip());
      try {
        for await (const entry of readTar(gunzip)) {
          if (entry.path !== 'APKINDEX') continue;
          if (entry.size > MAX_APKINDEX_BYTES) throw new LookupFailure('invalid', `APKINDEX for ${what} is too large`);
          return parseApkIndex((await entry.read(entry.size)).toString('utf8'));
        }
      } catch (e) {
        if (e instanceof LookupFailure) throw new LookupFailure(e.code, `APKINDEX for ${what}: ${e.message}`);
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('Z_')) throw new LookupFailure('invalid', `APKINDEX for ${what}: not a valid gzip stream (${code})`);
        throw e; // transport errors: retried and mapped by the transport
      } finally {
        gunzip.destroy();
      }
      throw new LookupFailure('invalid', `APKINDEX.tar.gz for ${what} has no APKINDEX entry`);
    }),
  );
}

/** Parse the text of an APKINDEX into the compact form. */
export function parseApkIndex(text: string): ApkIndex {
  const packages: Record<string, string> = Object.create(null) as Record<string, string>;
  const provides: ApkIndex['provides'] = Object.create(null) as ApkIndex['provides'];
  let rec: { P?: string; V?: string; p?: string; k?: string } = {};
  const flush = () => {
    const { P, V } = rec;
    if (P && V) {
      if (!Object.hasOwn(packages, P) || compareApkVersions(V, packages[P] as string) > 0) packages[P] = V;
      const prio = rec.k !== undefined && /^\d+$/.test(rec.k) ? Number(rec.k) : null;
      for (const dep of (rec.p ?? '').split(/\s+/)) {
        const provided = dep.split(/[=<>~]/)[0];
        if (!provided || provided === P) continue;
        const list = Object.hasOwn(provides, provided) ? (provides[provided] as Array<[string, number | null]>) : (provides[provided] = []);
        if (!list.some(([pkg]) => pkg === P)) list.push([P, prio]);
      }
    }
    rec = {};
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    const field = line[0];
    if (line[1] !== ':') continue;
    const value = line.slice(2);
    if (field === 'P' || field === 'V' || field === 'p' || field === 'k') rec[field] = value;
  }
  flush();
  return { packages, provides };
}

// ---------------------------------------------------------------------------------------------------------------------
// apk version ordering: <number>(.<number>)*[letter](_<suffix>[number])*[~<hash>][-r<number>]
// Pre-release suffixes alpha < beta < pre < rc sort before the bare version; cvs < svn < git < hg < p after it.

const SUFFIX_RANK: Record<string, number> = { alpha: -4, beta: -3, pre: -2, rc: -1, cvs: 1, svn: 2, git: 3, hg: 4, p: 5 };

interface ApkVersion {
  numbers: string[];
  letter: string;
  suffixes: Array<[number, bigint]>;
  hash: string;
  rev: bigint;
}

export function parseApkVersion(v: string): ApkVersion | undefined {
  const m = /^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(?:~([0-9a-f]+))?(?:-r(\d+))?$/.exec(v);
  if (!m) return undefined;
  const suffixes: Array<[number, bigint]> = [];
  for (const s of (m[3] ?? '').split('_').filter(Boolean)) {
    const sm = /^([a-z]+)(\d*)$/.exec(s) as RegExpExecArray;
    suffixes.push([SUFFIX_RANK[sm[1] as string] ?? 0, BigInt(sm[2] || '0')]);
  }
  return { numbers: (m[1] as string).split('.'), letter: m[2] ?? '', suffixes, hash: m[4] ?? '', rev: BigInt(m[5] ?? '0') };
}

/** Compare two digit groups; after the first, a leading zero makes apk compare them as decimal fractions. */
function compareNumberPart(a: string, b: string, first: boolean): number {
  if (!first && (a.startsWith('0') || b.startsWith('0'))) {
    const len = Math.max(a.length, b.length);
    return cmp(a.padEnd(len, '0'), b.padEnd(len, '0'));
  }
  return cmpBig(BigInt(a), BigInt(b));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** <0, 0, >0 like a comparator. Unparseable versions sort before parseable ones, and among themselves as strings. */
export function compareApkVersions(a: string, b: string): number {
  const pa = parseApkVersion(a);
  const pb = parseApkVersion(b);
  if (!pa || !pb) return pa ? 1 : pb ? -1 : cmp(a, b);
  const n = Math.max(pa.numbers.length, pb.numbers.length);
  for (let i = 0; i < n; i++) {
    const x = pa.numbers[i];
    const y = pb.numbers[i];
    if (x === undefined || y === undefined) {
      // 1.2 < 1.2.1, but 1.2.1 vs 1.2_rc: the longer number wins only against the same prefix.
      return x === undefined ? -1 : 1;
    }
    const c = compareNumberPart(x, y, i === 0);
    if (c !== 0) return c;
  }
  if (pa.letter !== pb.letter) return cmp(pa.letter, pb.letter);
  const m = Math.max(pa.suffixes.length, pb.suffixes.length);
  for (let i = 0; i < m; i++) {
    const [ra, na] = pa.suffixes[i] ?? [0, 0n];
    const [rb, nb] = pb.suffixes[i] ?? [0, 0n];
    if (ra !== rb) return ra - rb;
    const c = cmpBig(na, nb);
    if (c !== 0) return c;
  }
  if (pa.hash !== pb.hash) return cmp(pa.hash, pb.hash);
  return cmpBig(pa.rev, pb.rev);
}
