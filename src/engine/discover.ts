/**
 * Finding the files to process: directories are walked honouring .gitignore files and --exclude globs;
 * a file named explicitly is always processed (its kind from its name, else from its content, else --kind).
 */
import { lstatSync, statSync } from 'node:fs';
import { lstat, open, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { hasShellShebang, shellHostFromName } from './shell-hosts.js';
import type { FileKind } from './types.js';
import { isKubernetesManifest, isKustomizationName, isValuesName, mayBeManifestName } from './kubernetes-kind.js';
import { relativeWithin } from './paths.js';

export interface DiscoveredFile {
  /** Path for display: relative to cwd when inside it, else absolute. Always with '/' separators. */
  path: string;
  absPath: string;
  kind: FileKind;
  explicit: boolean;
}

export interface DiscoverProblem {
  path: string;
  message: string;
}

export interface DiscoverOptions {
  paths: readonly string[];
  cwd: string;
  exclude?: readonly string[];
  /** Force the kind of explicitly named files with odd names. */
  kind?: FileKind;
  /**
   * Process symbolic links that lead outside the repository (named paths) or the walked directory (found while
   * walking). Default false: such links are reported and not processed.
   */
  followSymlinks?: boolean;
}

const DOCKERFILE_NAME = /^(?:(?:docker|container)file(?:\..+)?|.+\.(?:docker|container)file)$/i;
const COMPOSE_NAME = /^(?:compose(?:\.[^/]+)?\.ya?ml|docker-compose[^/]*\.ya?ml)$/i;
/** `Dockerfile.md`, `Dockerfile.sh`, editor and patch leftovers: named like Dockerfiles, but not Dockerfiles. */
const NOT_DOCKERFILE_SUFFIX = /\.(?:md|txt|rst|json|ya?ml|sh|py|bak|orig|rej|swp|tmp|dockerignore)$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
/** YAML files larger than this are not read to see whether they are Kubernetes manifests. */
const MAX_SNIFF_BYTES = 1024 * 1024;

/**
 * The kind of a YAML file whose name says nothing (found while walking, or named explicitly): a Kubernetes manifest by
 * its content, or a Helm `values*.yaml` next to a `Chart.yaml`.
 */
async function yamlKind(abs: string, siblings?: readonly string[]): Promise<FileKind | undefined> {
  const base = basename(abs);
  if (!mayBeManifestName(base)) return undefined;
  try {
    if ((await stat(abs)).size > MAX_SNIFF_BYTES) return undefined;
    if (isValuesName(base)) {
      const names = siblings ?? (await readdir(dirname(abs)));
      if (names.includes('Chart.yaml') || names.includes('Chart.yml')) return 'kubernetes';
    }
    return isKubernetesManifest(await readFile(abs, 'utf8')) ? 'kubernetes' : undefined;
  } catch {
    return undefined;
  }
}

/** The kind a file name (or path: CI workflows are known by their directory) implies, if any. */
export function kindFromName(name: string): FileKind | undefined {
  const base = basename(name);
  if (DOCKERFILE_NAME.test(base) && !NOT_DOCKERFILE_SUFFIX.test(base)) return 'dockerfile';
  if (COMPOSE_NAME.test(base)) return 'compose';
  if (isKustomizationName(base)) return 'kubernetes';
  if (shellHostFromName(name)) return 'shell';
  return undefined;
}

/**
 * Whether a `shell` file found while walking is worth processing: its codemods only read `docker`/`podman` command
 * lines, so README files and scripts that never mention them are left out of walks (a file named explicitly always counts).
 */
export function shellFileRelevant(text: string): boolean {
  return /\b(?:docker|podman)\b/.test(text);
}

/** Guess the kind of an explicitly named file from its content. */
export function kindFromContent(text: string): FileKind | undefined {
  if (hasShellShebang(text)) return 'shell';
  if (isKubernetesManifest(text)) return 'kubernetes';
  if (/^\s*services\s*:/m.test(text)) return 'compose';
  if (/^\s*FROM\s+\S/im.test(text)) return 'dockerfile';
  return undefined;
}

export function displayPath(cwd: string, abs: string): string {
  const rel = relativeWithin(cwd, abs);
  const p = rel === '' ? '.' : rel === undefined ? abs : rel;
  return sep === '/' ? p : p.split(sep).join('/');
}

/** Whether a file starts with a sh/bash `#!` line (reads its first bytes only). */
async function shebangIsShell(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = Buffer.alloc(128);
    const { bytesRead } = await fh.read(buf, 0, 128, 0);
    return hasShellShebang(buf.subarray(0, bytesRead).toString('utf8'));
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/**
 * The nearest directory from `dir` up holding `.git`. Through `cache` (one discovery's), each directory is asked once:
 * a run naming a thousand files of one directory walks up from it once, not a thousand times.
 */
async function findGitRoot(dir: string, cache: Map<string, Promise<string | undefined>>): Promise<string | undefined> {
  let r = cache.get(dir);
  if (!r) {
    r = findGitRootUncached(dir);
    cache.set(dir, r);
  }
  return r;
}

async function findGitRootUncached(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      await stat(join(d, '.git'));
      return d;
    } catch {
      if (dirname(d) === d) return undefined;
    }
  }
}

interface IgnoreLayer {
  base: string;
  ig: Ignore;
}

async function loadIgnore(dir: string): Promise<IgnoreLayer | undefined> {
  try {
    const text = await readFile(join(dir, '.gitignore'), 'utf8');
    return { base: dir, ig: ignore().add(text) };
  } catch {
    return undefined;
  }
}

function ignoredBy(layers: readonly IgnoreLayer[], abs: string, isDir: boolean): boolean {
  for (const { base, ig } of layers) {
    const within = relativeWithin(base, abs);
    if (!within) continue;
    const rel = sep === '/' ? within : within.split(sep).join('/');
    if (ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);

async function isBrokenLink(abs: string): Promise<boolean> {
  try {
    return (await lstat(abs)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** What one discovery learns about directories (asked once each). */
interface DiscoverCache {
  gitRoots: Map<string, Promise<string | undefined>>;
  realRepos: Map<string, Promise<string | undefined>>;
  /** Real paths of named files (the link check and the duplicate check both ask). */
  realFiles: Map<string, Promise<string | undefined>>;
  /** Real paths of the directories holding named files. */
  realDirs: Map<string, Promise<string | undefined>>;
}

function realpathOnce(cache: Map<string, Promise<string | undefined>>, p: string): Promise<string | undefined> {
  let r = cache.get(p);
  if (!r) {
    r = realpath(p).catch(() => undefined);
    cache.set(p, r);
  }
  return r;
}

/**
 * The real path of a named path whose last component is known not to be a symbolic link (`lstat` said so): its
 * directory's real path (asked once per directory) joined with its name, which is what `realpath` of the path gives,
 * without resolving the same directories again for each of a thousand files named in one directory.
 */
function knownRealFile(cache: DiscoverCache, abs: string): void {
  if (cache.realFiles.has(abs)) return;
  const dir = dirname(abs);
  if (dir === abs) return;
  cache.realFiles.set(abs, realpathOnce(cache.realDirs, dir).then((d) => (d === undefined ? undefined : join(d, basename(abs)))));
}

/**
 * For a named path reached through a symbolic link (the file itself, or a directory on the way), whether it ends up
 * outside the repository it is named in: the git work tree holding the current directory for paths under it, else the
 * one holding the path's directory, else that directory. A path with no link on the way is never an escape.
 */
async function linkEscape(abs: string, cwd: string, cwdRepo: string, cache: DiscoverCache): Promise<{ repo: string; target: string } | undefined> {
  const target = await realpathOnce(cache.realFiles, abs);
  // A path that is its own real path has no link on the way (nor has any directory above it): no escape.
  if (target === undefined || target === abs) return undefined;
  const lexicalRepo = inside(cwdRepo, abs) ? cwdRepo : ((await findGitRoot(dirname(abs), cache.gitRoots)) ?? dirname(abs));
  const repoReal = await realpathOnce(cache.realRepos, lexicalRepo);
  if (repoReal === undefined) return undefined;
  // The same path with the repository's own links resolved: what `abs` is when nothing below the repository is a link.
  const expected = join(repoReal, relative(lexicalRepo, abs));
  if (target === expected || inside(repoReal, target)) return undefined;
  return { repo: displayPath(cwd, lexicalRepo), target };
}

export async function discover(opts: DiscoverOptions): Promise<{ files: DiscoveredFile[]; problems: DiscoverProblem[] }> {
  const files: DiscoveredFile[] = [];
  const problems: DiscoverProblem[] = [];
  const seen = new Set<string>();
  const excludes = (opts.exclude ?? []).map((g) => picomatch(g, { dot: true }));
  const excluded = (abs: string) => {
    const rel = displayPath(opts.cwd, abs);
    return excludes.some((m) => m(rel) || m(basename(abs)));
  };

  const cache: DiscoverCache = { gitRoots: new Map(), realRepos: new Map(), realFiles: new Map(), realDirs: new Map() };
  const add = async (abs: string, kind: FileKind, explicit: boolean) => {
    const real = (await realpathOnce(cache.realFiles, abs)) ?? abs;
    if (seen.has(real)) return;
    seen.add(real);
    files.push({ path: displayPath(opts.cwd, abs), absPath: abs, kind, explicit });
  };

  const cwdRepo = (await findGitRoot(opts.cwd, cache.gitRoots)) ?? opts.cwd;
  for (const p of opts.paths) {
    const abs = resolve(opts.cwd, p);
    // lstat first: a plain file (most named paths) needs no stat of its own, and its real path follows from its
    // directory's (see knownRealFile); a link is followed by stat. Synchronous: for a thousand named files the
    // promise API's thread-pool round trip costs several times the call itself.
    let st;
    try {
      st = lstatSync(abs);
      if (st.isSymbolicLink()) st = statSync(abs);
      else if (st.isFile()) knownRealFile(cache, abs);
    } catch {
      problems.push({ path: p, message: (await isBrokenLink(abs)) ? 'broken symbolic link' : 'no such file or directory' });
      continue;
    }
    if (!opts.followSymlinks) {
      const escape = await linkEscape(abs, opts.cwd, cwdRepo, cache);
      if (escape) {
        problems.push({
          path: displayPath(opts.cwd, abs),
          message: `symbolic link leads outside the repository ${escape.repo} (to ${escape.target}); not processed (pass --follow-symlinks, or set followSymlinks: true in .harden.yaml, to process it)`,
        });
        continue;
      }
    }
    if (st.isFile()) {
      let kind = opts.kind ?? kindFromName(abs) ?? (await yamlKind(abs));
      if (!kind) {
        try {
          kind = kindFromContent(await readFile(abs, 'utf8'));
        } catch {
          // unreadable: reported when read
        }
      }
      if (!kind) {
        problems.push({ path: displayPath(opts.cwd, abs), message: 'cannot tell whether this is a Dockerfile, a compose file or a Kubernetes manifest; pass --kind' });
        continue;
      }
      await add(abs, kind, true);
      continue;
    }
    if (!st.isDirectory()) {
      problems.push({ path: p, message: 'not a regular file or directory' });
      continue;
    }
    const root = await realpath(abs);
    const gitRoot = await findGitRoot(abs, cache.gitRoots);
    const layers: IgnoreLayer[] = [];
    if (gitRoot) {
      // .gitignore files above the walked directory, up to the repository root, apply too.
      const chain: string[] = [];
      for (let d = dirname(abs); gitRoot && d.startsWith(gitRoot) && d !== abs; d = dirname(d)) {
        chain.unshift(d);
        if (d === gitRoot || dirname(d) === d) break;
      }
      for (const d of chain) {
        const l = await loadIgnore(d);
        if (l) layers.push(l);
      }
    }
    await walk(abs, layers);

    async function walk(dir: string, inherited: IgnoreLayer[]): Promise<void> {
      const own = await loadIgnore(dir);
      const here = own ? [...inherited, own] : inherited;
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        problems.push({ path: displayPath(opts.cwd, dir), message: `cannot read directory: ${(e as Error).message}` });
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const names = entries.map((e) => e.name);
      for (const e of entries) {
        const child = join(dir, e.name);
        if (e.isDirectory()) {
          if (SKIP_DIRS.has(e.name) || ignoredBy(here, child, true) || excluded(child)) continue;
          await walk(child, here);
          continue;
        }
        if (ignoredBy(here, child, false) || excluded(child)) continue;
        let kind = kindFromName(child) ?? (e.isFile() || e.isSymbolicLink() ? await yamlKind(child, names) : undefined);
        // Scripts without an extension are known by their `#!` line.
        if (!kind && !e.name.includes('.') && (e.isFile() || e.isSymbolicLink()) && (await shebangIsShell(child))) kind = 'shell';
        if (!kind) continue;
        if (e.isSymbolicLink()) {
          let target: string;
          try {
            target = await realpath(child);
            if (!(await lstat(target)).isFile()) continue;
          } catch {
            problems.push({ path: displayPath(opts.cwd, child), message: 'broken symbolic link' });
            continue;
          }
          if (!opts.followSymlinks && !inside(root, target)) {
            problems.push({ path: displayPath(opts.cwd, child), message: `symbolic link points outside ${displayPath(opts.cwd, abs)} (to ${target}); not processed` });
            continue;
          }
        } else if (!e.isFile()) continue;
        if (kind === 'shell') {
          let text: string;
          try {
            text = await readFile(child, 'utf8');
          } catch {
            text = 'docker'; // unreadable: reported when read
          }
          if (!shellFileRelevant(text)) continue;
        }
        await add(child, kind, false);
      }
    }
  }
  return { files, problems };
}
