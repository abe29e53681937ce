/**
 * Real container builds for tests that must prove something installs: a Debian bookworm base made with
 * `debootstrap --variant=minbase` (apt sources as in the official debian:bookworm image), and buildah with a private
 * vfs store and chroot isolation (no daemon, no bridge network: RUN steps share the host network namespace).
 * Root only. See ../shared/notes/registry-and-containers.md §4 for the measurements behind each choice.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a command; reject with the tail of its output when it fails or outlives `timeoutMs`. */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) return resolve({ stdout, stderr });
      const why = timedOut ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : `exited with ${code ?? signal}`;
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
      reject(new Error(`${cmd} ${args.join(' ')}: ${why}\n${tail}`));
    });
  });
}

export async function hasCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`], { timeoutMs: 5_000 });
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------------------------------ apt mirrors

export interface DebianMirrors {
  /** Debian archive (bookworm, bookworm-updates), e.g. http://deb.debian.org/debian */
  debian: string;
  /** Security archive (bookworm-security), e.g. http://deb.debian.org/debian-security */
  security: string;
}

interface SourceEntry {
  uri: string;
  suites: string[];
}

function sourceEntries(): SourceEntry[] {
  const entries: SourceEntry[] = [];
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).sort().map((f) => join(dir, f)) : [];
  for (const file of ['/etc/apt/sources.list', ...files]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      // deb822: blank-line separated stanzas; comments start with '#'.
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(stanza.replace(/^#.*$/gm, ''))?.[1]?.trim();
        if (!(field('Types') ?? '').split(/\s+/).includes('deb') || /^no$/i.test(field('Enabled') ?? 'yes')) continue;
        for (const uri of (field('URIs') ?? '').split(/\s+/).filter(Boolean)) entries.push({ uri, suites: (field('Suites') ?? '').split(/\s+/).filter(Boolean) });
      }
    } else if (file.endsWith('.list') || file === '/etc/apt/sources.list') {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m?.[1] && m[2]) entries.push({ uri: m[1], suites: [m[2]] });
      }
    }
  }
  return entries;
}

/** The Debian mirrors this machine's apt uses (deb.debian.org when it names none). */
export function debianMirrors(): DebianMirrors {
  const entries = sourceEntries().filter((e) => /^https?:\/\//.test(e.uri));
  const strip = (u: string) => u.replace(/\/+$/, '');
  const security = entries.find((e) => e.suites.some((s) => s.endsWith('-security')) && /debian-security$/.test(strip(e.uri)));
  const debian = entries.find((e) => e.suites.some((s) => !s.includes('-')) && /\/debian$/.test(strip(e.uri)));
  return {
    debian: strip(debian?.uri ?? 'http://deb.debian.org/debian'),
    security: strip(security?.uri ?? 'http://deb.debian.org/debian-security'),
  };
}

/** Why the mirrors cannot be used (undefined when both answer for bookworm). */
export async function mirrorProblem(m: DebianMirrors): Promise<string | undefined> {
  for (const url of [`${m.debian}/dists/bookworm/InRelease`, `${m.security}/dists/bookworm-security/InRelease`]) {
    try {
      const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) return `${url} answered HTTP ${res.status}`;
    } catch (e) {
      return `${url} is unreachable (${(e as Error).message})`;
    }
  }
  return undefined;
}

// ----------------------------------------------------------------------------------------------- the base image

/** deb822 sources as the official debian:bookworm image ships them, on the given hosts. */
export function officialBookwormSources(m: DebianMirrors): string {
  const stanza = (uri: string, suites: string) =>
    `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  return `${stanza(m.debian, 'bookworm bookworm-updates')}\n${stanza(m.security, 'bookworm-security')}`;
}

/** Unmount (lazily) whatever is mounted under `dir`, deepest first: debootstrap leaves /proc and /sys mounted when it fails. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' ') ?? '')
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of mounts) await run('umount', ['-l', p], { timeoutMs: 10_000 });
}

/** Remove a tree without ever crossing into a mounted file system. */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountUnder(dir);
  await run('rm', ['-rf', '--one-file-system', dir], { timeoutMs: 120_000 });
}

export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'harden-test');
}

/**
 * A tarball of a minbase bookworm root file system with the official image's apt sources and no debs or lists,
 * cached per day (and per mirror set) under cacheDir(); older tarballs are removed.
 */
export async function bookwormMinbaseTar(m: DebianMirrors, work: string): Promise<{ tar: string; cached: boolean }> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const day = new Date().toISOString().slice(0, 10);
  const key = createHash('sha256').update(officialBookwormSources(m)).digest('hex').slice(0, 8);
  const name = `bookworm-minbase-${day}-${key}.tar`;
  const tar = join(dir, name);
  if (existsSync(tar)) return { tar, cached: true };
  for (const f of readdirSync(dir)) if (/^bookworm-minbase-.*\.tar$/.test(f)) rmSync(join(dir, f), { force: true });

  const rootfs = join(work, 'rootfs');
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, m.debian], { timeoutMs: 600_000 });
    if (!existsSync(join(rootfs, 'usr/share/keyrings/debian-archive-keyring.gpg'))) {
      throw new Error('debootstrap made no /usr/share/keyrings/debian-archive-keyring.gpg, which the sources below rely on');
    }
    rmSync(join(rootfs, 'etc/apt/sources.list'), { force: true });
    mkdirSync(join(rootfs, 'etc/apt/sources.list.d'), { recursive: true });
    writeFileSync(join(rootfs, 'etc/apt/sources.list.d/debian.sources'), officialBookwormSources(m));
    const archives = join(rootfs, 'var/cache/apt/archives');
    for (const f of readdirSync(archives)) if (f.endsWith('.deb')) rmSync(join(archives, f));
    const lists = join(rootfs, 'var/lib/apt/lists');
    for (const f of readdirSync(lists)) if (f !== 'partial' && f !== 'lock') rmSync(join(lists, f), { recursive: true, force: true });
    const partial = `${tar}.${process.pid}.partial`;
    await run('tar', ['--numeric-owner', '--xattrs', '-C', rootfs, '-cf', partial, '.'], { timeoutMs: 120_000 });
    renameSync(partial, tar);
  } finally {
    await removeTree(rootfs);
  }
  return { tar, cached: false };
}

// ------------------------------------------------------------------------------------------------------- buildah

/** buildah with a private vfs store under `dir`, chroot isolation, host network (never a bridge). */
export class Buildah {
  private readonly global: string[];

  constructor(readonly dir: string) {
    this.global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs'];
  }

  async cmd(args: readonly string[], timeoutMs = 180_000): Promise<string> {
    return (await run('buildah', [...this.global, ...args], { timeoutMs, env: { ...process.env, BUILDAH_ISOLATION: 'chroot' } })).stdout.trim();
  }

  /** Commit `tar` (a root file system) as a linux/amd64 image and push it to `dest` (docker://host/repo:tag) over plain HTTP. */
  async pushRootfs(tar: string, dest: string): Promise<void> {
    const c = await this.cmd(['from', 'scratch']);
    await this.cmd(['add', c, tar, '/']);
    await this.cmd(['config', '--os', 'linux', '--arch', 'amd64', '--cmd', '["bash"]', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', c]);
    await this.cmd(['commit', '--format', 'docker', '--rm', c, 'localhost/harden-base:test']);
    await this.cmd(['push', '--tls-verify=false', 'localhost/harden-base:test', dest]);
    // Gone from local storage, so the build below pulls its base from the registry.
    await this.cmd(['rmi', 'localhost/harden-base:test']);
  }

  /** `buildah build` with chroot isolation and the host network; returns the build log. */
  async build(contextDir: string, tag: string): Promise<string> {
    return this.cmd(['build', '--isolation', 'chroot', '--network', 'host', '--tls-verify=false', '--layers=false', '-t', tag, contextDir], 600_000);
  }

  /** Run a command in a fresh container of `image` (chroot isolation) and return its stdout. */
  async runIn(image: string, command: readonly string[]): Promise<string> {
    const c = await this.cmd(['from', '--pull=never', image]);
    try {
      return await this.cmd(['run', '--isolation', 'chroot', '--network', 'host', c, '--', ...command]);
    } finally {
      await this.cmd(['rm', c]);
    }
  }

  async destroy(): Promise<void> {
    await this.cmd(['rm', '--all']).catch(() => undefined);
    await this.cmd(['rmi', '--all', '--force']).catch(() => undefined);
    await removeTree(this.dir);
  }
}
