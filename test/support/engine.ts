/**
 * A real Docker engine for tests: Debian's `dockerd` (docker.io) started by the test with its own data root, exec root
 * and socket, no bridge and no iptables (`--bridge=none --iptables=false …`: nothing touches the host's network), and
 * `--registry-mirror` pointing at a test `docker-registry` on 127.0.0.1, so `postgres:15` pulls from it as if from
 * Docker Hub. Root only. See ../shared/notes/registry-and-containers.md (§5 bonus, §7).
 *
 * The registry serves **replica images** (see ./replicas/): Debian bookworm's own postgresql, redis, nginx, mariadb,
 * python3, nodejs/npm and prometheus packages on one shared debootstrap base, and stand-ins for mongo and grafana
 * (which Debian does not package) that behave as those images do where hardening cares, with the official images' users and uids, data and run paths, VOLUMEs and
 * entrypoint behaviour (chown, gosu, template rendering — scripts written for these tests). They are pushed under the
 * official names (library/postgres:15, …), so pinning and the knowledge base apply to them. Built once and cached
 * (as registry storage) under ~/.cache/harden-test/replicas-<hash of ./replicas and the base>, like the debootstrap base.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bookwormMinbaseTar, cacheDir, debianMirrors, hasCommand, mirrorProblem, removeTree, run, type RunResult } from './debian-build.js';
import { REGISTRY_BIN, startRegistry, type TestRegistry } from './registry.js';

export const DOCKERD = '/usr/sbin/dockerd';
/** Debian's CLI (20.10, same as the daemon); /usr/local/bin/docker may be a newer one that works as well. */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/** Why the engine tests cannot run here (undefined when they can). */
export async function engineSkipReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'dockerd needs root';
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed (apt-get install docker.io)`;
  for (const cmd of [DOCKER_CLI, 'docker-compose', REGISTRY_BIN]) if (!(await hasCommand(cmd))) return `${cmd} is not installed`;
  return undefined;
}

export interface TestEngine {
  dir: string;
  /** unix:///…/docker.sock */
  host: string;
  /** process.env with DOCKER_HOST set to this engine. */
  env: NodeJS.ProcessEnv;
  docker(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  log(): string;
  stop(): Promise<void>;
}

/** Start a private dockerd (no bridge, no iptables); `mirror` is a registry URL used as Docker Hub's mirror. */
export async function startDockerd(opts: { mirror?: string; insecure?: readonly string[] } = {}): Promise<TestEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'harden-dockerd-'));
  const sock = join(dir, 'docker.sock');
  const args = [
    '--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'pid'), '-H', `unix://${sock}`,
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--userland-proxy=false',
    '--storage-driver', 'overlay2',
  ];
  if (opts.mirror) args.push('--registry-mirror', opts.mirror);
  for (const r of opts.insecure ?? []) args.push('--insecure-registry', r);
  const logs: string[] = [];
  const child: ChildProcess = spawn(DOCKERD, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const host = `unix://${sock}`;
  const env = { ...process.env, DOCKER_HOST: host };
  const docker = (a: readonly string[], timeoutMs = 300_000) => run(DOCKER_CLI, a, { env, timeoutMs });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
      if (!exited) child.kill('SIGKILL');
    }
    await removeTree(dir).catch(() => undefined);
  };
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`dockerd exited:\n${logs.join('').slice(-3000)}`);
    try {
      await docker(['version', '--format', '{{.Server.Version}}'], 10_000);
      break;
    } catch (e) {
      if (Date.now() - t0 > 60_000) {
        await stop();
        throw new Error(`dockerd did not answer in 60 s: ${(e as Error).message}\n${logs.join('').slice(-3000)}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return { dir, host, env, docker, log: () => logs.join(''), stop };
}

// --------------------------------------------------------------------------------------------- replica images

const REPLICAS_DIR = fileURLToPath(new URL('./replicas/', import.meta.url));

/** Each replica, its build directory under ./replicas and the official names it is pushed as. */
export const REPLICAS: readonly { dir: string; names: readonly string[] }[] = [
  { dir: 'postgres', names: ['library/postgres:15', 'library/postgres:15-bookworm'] },
  // Also as seed 001's 7.0.10-alpine: where hardening cares (user 999, /data, root entrypoint that chowns and drops
  // privileges) the Alpine image does the same (with su-exec instead of gosu).
  { dir: 'redis', names: ['library/redis:7.0', 'library/redis:7', 'library/redis:7.0.10-alpine'] },
  { dir: 'nginx', names: ['library/nginx:1.22', 'library/nginx:1.22.1'] },
  { dir: 'mariadb', names: ['library/mariadb:10.11'] },
  { dir: 'python', names: ['library/python:3.11-slim'] },
  // Seed 001's stack (examples/orchestrator): node (Debian's nodejs and npm), prometheus (Debian's package), and
  // stand-ins for mongo and grafana, which Debian does not package (see their Dockerfiles).
  { dir: 'node', names: ['library/node:20-alpine'] },
  { dir: 'mongo', names: ['library/mongo:7.0.3', 'library/mongo:7.0'] },
  { dir: 'prometheus', names: ['prom/prometheus:v2.48.0'] },
  { dir: 'grafana', names: ['grafana/grafana:10.2.2'] },
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * The machine's own CA certificates (Debian's local CA directory, as a corporate CA is installed): the node replica
 * carries them, as a company's base image would, so `npm ci` in a build trusts an HTTPS-intercepting proxy here.
 * HARDEN_TEST_EXTRA_CA_DIR names another directory of `*.crt` files.
 */
export const EXTRA_CA_DIR = process.env.HARDEN_TEST_EXTRA_CA_DIR || '/usr/local/share/ca-certificates';

function extraCaFiles(): string[] {
  if (!existsSync(EXTRA_CA_DIR)) return [];
  return filesUnder(EXTRA_CA_DIR).filter((f) => f.endsWith('.crt')).sort();
}

/** The replicas that get the machine's CA certificates in their build context (as `extra-ca/`). */
const WITH_EXTRA_CA = new Set(['node']);

/** Hashes naming the cache: `servers` (the shared layer and the base tarball) and `all` (every replica source). */
function replicasKeys(baseTar: string): { servers: string; all: string } {
  const hash = (files: string[]) => {
    const h = createHash('sha256').update(baseTar.replace(/^.*\//, ''));
    for (const f of files.sort()) h.update(relative(REPLICAS_DIR, f)).update('\0').update(readFileSync(f)).update('\0');
    return h.digest('hex').slice(0, 12);
  };
  // The machine's CA certificates are part of the node replica: another set of them rebuilds it.
  return { servers: hash(filesUnder(join(REPLICAS_DIR, 'servers'))), all: hash([...filesUnder(REPLICAS_DIR), ...extraCaFiles()]) };
}

export interface ReplicaRegistry {
  registry: TestRegistry;
  /** Whether the images came from the cache (false: built by this call). */
  cached: boolean;
  /** Seconds spent building (0 when cached). */
  buildSeconds: number;
}

/**
 * A registry on 127.0.0.1 serving the replica images, built first when the cache has none for the current sources.
 * The debootstrap base is shared with the apt build test (bookwormMinbaseTar).
 */
export async function replicaRegistry(): Promise<ReplicaRegistry> {
  const root = cacheDir();
  mkdirSync(root, { recursive: true });
  // Test files run in parallel (the docker and podman e2e files both need the replicas): one builds, the other waits.
  return withFileLock(join(root, 'replicas.lock'), () => replicaRegistryLocked(root));
}

/** Runs fn while holding an exclusive flock(1) on `file` (released when fn settles, or when this process dies). */
async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const holder = spawn('flock', ['-x', file, 'sh', '-c', 'echo locked; read _'], { stdio: ['pipe', 'pipe', 'ignore'] });
  await new Promise<void>((res, rej) => {
    holder.stdout?.on('data', (d: Buffer) => d.toString().includes('locked') && res());
    holder.on('error', rej);
    holder.on('exit', (code) => rej(new Error(`flock ${file} exited with ${code}`)));
  });
  try {
    return await fn();
  } finally {
    holder.stdin?.end();
  }
}

async function replicaRegistryLocked(root: string): Promise<ReplicaRegistry> {
  const mirrors = debianMirrors();
  const work = await mkdtemp(join(tmpdir(), 'harden-replicas-'));
  try {
    const { tar } = await bookwormMinbaseTar(mirrors, work);
    const keys = replicasKeys(tar);
    const store = join(root, `replicas-${keys.servers}`);
    const marker = join(store, `complete-${keys.all}`);
    const cached = existsSync(marker);
    let buildSeconds = 0;
    if (!cached) {
      const problem = await mirrorProblem(mirrors);
      if (problem) throw new Error(`cannot build the replica images: ${problem}`);
      const t0 = Date.now();
      if (existsSync(join(store, 'servers-complete'))) {
        // Same shared layer: rebuild only the replicas on top of it, in place.
        await buildReplicas(tar, store, true, work);
      } else {
        const data = join(work, 'data');
        await buildReplicas(tar, data, false, work);
        writeFileSync(join(data, 'servers-complete'), `${new Date().toISOString()}\n`);
        rmSync(store, { recursive: true, force: true });
        renameSync(data, store);
      }
      for (const f of readdirSync(store)) if (/^complete-/.test(f)) rmSync(join(store, f), { force: true });
      writeFileSync(marker, `${new Date().toISOString()}\n`);
      for (const f of readdirSync(root)) if (/^replicas-/.test(f) && f !== `replicas-${keys.servers}`) rmSync(join(root, f), { recursive: true, force: true });
      buildSeconds = (Date.now() - t0) / 1000;
    }
    const registry = await startRegistry({ dataDir: store });
    return { registry, cached, buildSeconds };
  } finally {
    await removeTree(work).catch(() => undefined);
  }
}

async function buildReplicas(baseTar: string, dataDir: string, serversCached: boolean, work: string): Promise<void> {
  const reg = await startRegistry({ dataDir });
  const engine = await startDockerd({ insecure: [reg.host] });
  try {
    const base = `${reg.host}/library/debian:bookworm`;
    const servers = `${reg.host}/harden-replica/servers:build`;
    if (serversCached) await engine.docker(['pull', servers], 600_000);
    else {
      await run('sh', ['-c', `'${DOCKER_CLI}' import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - '${base}' < '${baseTar}'`], {
        env: engine.env,
        timeoutMs: 300_000,
      });
      await engine.docker(['push', base]);
      await engine.docker(['build', '--network', 'host', '--build-arg', `BASE=${base}`, '-t', servers, join(REPLICAS_DIR, 'servers')], 1_200_000);
      await engine.docker(['push', servers], 600_000);
    }
    for (const r of REPLICAS) {
      const first = `${reg.host}/${r.names[0] ?? ''}`;
      let context = join(REPLICAS_DIR, r.dir);
      if (WITH_EXTRA_CA.has(r.dir)) {
        context = join(work, `context-${r.dir}`);
        await cp(join(REPLICAS_DIR, r.dir), context, { recursive: true });
        mkdirSync(join(context, 'extra-ca'), { recursive: true });
        writeFileSync(join(context, 'extra-ca', 'README'), `CA certificates of the machine that built this replica (${EXTRA_CA_DIR}).\n`);
        for (const f of extraCaFiles()) await cp(f, join(context, 'extra-ca', relative(EXTRA_CA_DIR, f).replace(/\//g, '_')));
      }
      await engine.docker(['build', '--network', 'host', '--build-arg', `SERVERS=${servers}`, '-t', first, context], 600_000);
      for (const n of r.names) {
        const tag = `${reg.host}/${n}`;
        if (tag !== first) await engine.docker(['tag', first, tag]);
        await engine.docker(['push', tag]);
      }
    }
  } finally {
    await engine.stop();
    await reg.stop();
  }
  if (!statSync(dataDir).isDirectory()) throw new Error(`no registry data in ${dataDir}`);
}
