/**
 * `harden verify` end to end under a REAL podman (Debian's podman 4.3.1, rootful, runc, private storage and
 * configuration: test/support/podman.ts), driven the way verify drives podman: its Docker-compatible API service,
 * started by verify for the run, and docker-compose 1.29. Images: the REPLICA images of test/support/engine.ts (redis
 * and nginx here), served by the test registry on 127.0.0.1 as podman's docker.io mirror. No systemd on the test
 * machine, so podman runs no healthcheck itself and verify must run them. Root only; skipped (saying why) without podman.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngine } from '../../src/verify/engine.js';
import { systemdRunning } from '../../src/verify/podman.js';
import { verify, type ProjectReport, type ServiceReport, type VerifyReport } from '../../src/verify/verify.js';
import { verifyText } from '../../src/verify/report.js';
import { replicaRegistry, type ReplicaRegistry } from '../support/engine.js';
import { podmanSkipReason, startPodman, type TestPodman } from '../support/podman.js';
import { expectTwoNginxHealthy, TWO_NGINX } from '../support/verify-stacks.js';

const skip = await podmanSkipReason();
const BIN = resolve(import.meta.dirname, '../../src/bin.ts');
const TSX = import.meta.resolve('tsx');
/** HARDEN_E2E_LOG=1 shows verify's progress lines. */
const log = process.env.HARDEN_E2E_LOG ? (l: string) => process.stderr.write(`${l}\n`) : undefined;

function cli(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return start(args, opts).done;
}

function start(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): { pid: number | undefined; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], { cwd: opts.cwd, env: { ...opts.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return {
    pid: child.pid,
    done: new Promise((res) => child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    })),
  };
}

/** Directories of podman API services verify started (one per run, removed when it stops the service). */
async function serviceDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((f) => f.startsWith('harden-verify-podman-') && !f.startsWith('harden-verify-podman-e2e'));
}

const svc = (p: ProjectReport, name: string): ServiceReport => {
  const s = p.services.find((x) => x.service === name);
  if (!s) throw new Error(`no service ${name} in ${JSON.stringify(p)}`);
  return s;
};

describe.skipIf(skip !== undefined)(skip ? `harden verify under a real podman: skipped, ${skip}` : 'harden verify under a real podman (rootful, runc) with redis and nginx replica images', () => {
  let replicas: ReplicaRegistry;
  let pm: TestPodman;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'harden-verify-podman-e2e-'));
    replicas = await replicaRegistry();
    pm = await startPodman({ mirror: replicas.registry.host });
  }, 1_800_000);

  /** verify under podman the way the CLI finds it (docker-compose on an API service verify starts and stops). */
  async function verifyUnderPodman(dir: string): Promise<VerifyReport> {
    const engine = await detectEngine({ env: pm.env, cli: 'podman' });
    expect(engine.cli).toBe('podman');
    expect(engine.compose).toEqual(['docker-compose']);
    expect(engine.where).toMatch(/^podman API socket unix:\/\/.*, started for this run$/);
    try {
      return await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 8, resolver: { noCache: true }, log });
    } finally {
      await engine.close?.();
    }
  }

  /** Containers, networks and images of verify's hv* projects still in podman. */
  async function hvLeftovers(): Promise<string[]> {
    const list = async (args: string[]) => (await pm.podman(args)).stdout.split('\n').map((l) => l.trim()).filter((n) => /hv[0-9a-f]{8}/.test(n));
    return [
      ...(await list(['ps', '-a', '--format', '{{.Names}}'])).map((n) => `container ${n}`),
      ...(await list(['network', 'ls', '--format', '{{.Name}}'])).map((n) => `network ${n}`),
      ...(await list(['images', '--format', '{{.Repository}}'])).map((n) => `image ${n}`),
    ];
  }

  afterAll(async () => {
    await pm?.stop();
    await replicas?.registry.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 300_000);

  it('without docker-compose or `docker compose`: exits 2 and names podman and what it lacks', async () => {
    const bin = join(work, 'only-podman');
    await mkdir(bin, { recursive: true });
    await symlink('/usr/bin/podman', join(bin, 'podman'));
    const dir = join(work, 'none');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'compose.yaml'), 'services:\n  cache:\n    image: redis:7.0\n');
    const r = await cli(['verify', '.'], { cwd: dir, env: { ...pm.env, PATH: bin } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no container engine reachable/);
    expect(r.stderr).toMatch(/podman \d+\.\d+\.\d+ \(installed, but neither `docker compose` nor `docker-compose` is there to drive its Docker-compatible API/);
    expect(r.stdout).toBe('');
  }, 120_000);

  it('a redis + nginx replica stack with a service built on the redis replica is healthy as it is and hardened; verify runs the healthchecks podman does not (also while up waits for service_healthy), and leaves nothing behind', async () => {
    const dir = join(work, 'shop');
    await mkdir(dir, { recursive: true });
    // The probe reaches redis by its service name: the pod's hosts file must reach every service under podman.
    const compose = `services:
  cache:
    image: redis:7.0
    healthcheck:
      test: ["CMD", "redis-cli", "-h", "cache", "ping"]
      interval: 3s
      timeout: 5s
      retries: 5
  web:
    image: nginx:1.22
    depends_on: [cache]
  app:
    build: ./app
    depends_on:
      cache:
        condition: service_healthy
`;
    await writeFile(join(dir, 'compose.yaml'), compose);
    // Built through podman's API; sorts first, so the pod may start from it; starts only once cache is healthy.
    await mkdir(join(dir, 'app'), { recursive: true });
    await writeFile(join(dir, 'app', 'Dockerfile'), 'FROM redis:7.0\nCMD ["sh", "-c", "redis-cli -h cache ping && exec sleep infinity"]\n');
    await writeFile(join(dir, '.harden.yaml'), `registries:\n  docker.io: { mirror: "${replicas.registry.url}" }\n`);
    // The user's own running project (compose's default project name is the directory's): verify must not touch it.
    await pm.podman(['pull', 'redis:7.0'], 600_000);
    await pm.podman(['run', '-d', '--name', 'shop_cache_1', '--network', 'none', '--label', 'com.docker.compose.project=shop', '--label', 'com.docker.compose.service=cache', 'redis:7.0']);
    const before = await readdir(dir);
    const volumesBefore = (await pm.podman(['volume', 'ls', '-q'])).stdout.trim().split('\n').filter(Boolean).sort();
    const socketsBefore = await serviceDirs();

    const r = await verifyUnderPodman(dir);
    const text = verifyText(r);
    const p = r.projects[0] as ProjectReport;
    expect(p.error, text).toBeUndefined();
    const cache = svc(p, 'cache');
    expect(cache.baseline, text).toBe('healthy');
    expect(cache.hardened, text).toBe('healthy');
    expect(cache.ok, text).toBe(true);
    const app = svc(p, 'app');
    expect(app.baseline, text).toBe('running');
    expect(app.ok, text).toBe(true);
    const web = svc(p, 'web');
    expect(web.baseline, text).toMatch(/running|healthy/);
    expect(web.ok, text).toBe(true);
    expect(r.engine.cli).toBe('podman');
    if (systemdRunning()) expect(r.engine.healthchecks).toBeUndefined();
    else {
      expect(r.engine.healthchecks).toMatch(/run by harden verify \(`podman healthcheck run`/);
      expect(text).toMatch(/^healthchecks: run by harden verify/m);
    }

    // Nothing left: containers, volumes, networks, images of the hv* projects, the API service's socket directory.
    const ps = (await pm.podman(['ps', '-a', '--format', '{{.Names}}'])).stdout.trim().split('\n').filter(Boolean);
    expect(ps).toEqual(['shop_cache_1']);
    expect((await pm.podman(['inspect', '-f', '{{.State.Running}}', 'shop_cache_1'])).stdout.trim()).toBe('true');
    const volumesAfter = (await pm.podman(['volume', 'ls', '-q'])).stdout.trim().split('\n').filter(Boolean).sort();
    expect(volumesAfter).toEqual(volumesBefore);
    expect(await hvLeftovers()).toEqual([]);
    const socketsAfter = await serviceDirs();
    expect(socketsAfter).toEqual(socketsBefore);
    // The project itself is as it was.
    expect((await readdir(dir)).sort()).toEqual(before.sort());
    expect(await readFile(join(dir, 'compose.yaml'), 'utf8')).toBe(compose);
    expect(await readdir(join(dir, 'app'))).toEqual(['Dockerfile']);
  }, 1_200_000);

  it('two nginx replicas on port 80 in separate pods reach each other by service name through the mounted hosts files, baseline and hardened', async () => {
    const dir = join(work, 'twoweb');
    for (const [f, text] of Object.entries(TWO_NGINX)) {
      await mkdir(join(dir, f, '..'), { recursive: true });
      await writeFile(join(dir, f), text);
    }
    await writeFile(join(dir, '.harden.yaml'), `registries:\n  docker.io: { mirror: "${replicas.registry.url}" }\n`);
    const r = await verifyUnderPodman(dir);
    expectTwoNginxHealthy(r.projects[0] as ProjectReport, verifyText(r));
    expect(await hvLeftovers()).toEqual([]);
  }, 1_200_000);

  it('interrupted with SIGINT: removes what it created and stops the API service it started', async () => {
    const dir = join(work, 'sigint');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'compose.yaml'), 'services:\n  cache:\n    image: redis:7.0\n');
    await writeFile(join(dir, '.harden.yaml'), `registries:\n  docker.io: { mirror: "${replicas.registry.url}" }\n`);
    const servicesBefore = await serviceDirs();
    const run = start(['verify', '--unsafe', '.'], { cwd: dir, env: pm.env });
    // Interrupt once the baseline's container exists.
    let sent = false;
    const t0 = Date.now();
    while (!sent && Date.now() - t0 < 300_000) {
      const ps = await pm.podman(['ps', '-a', '--filter', 'label=com.docker.compose.service=cache', '--format', '{{.Names}}']);
      if (ps.stdout.split('\n').some((n) => /^hv[0-9a-f]{8}/.test(n))) {
        process.kill(run.pid as number, 'SIGINT');
        sent = true;
      } else await new Promise((res) => setTimeout(res, 500));
    }
    expect(sent).toBe(true);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: removing/);
    const ps = (await pm.podman(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter((n) => /^hv[0-9a-f]{8}/.test(n));
    expect(ps).toEqual([]);
    expect(await serviceDirs()).toEqual(servicesBefore);
    const procs = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
    const services = [];
    for (const d of procs) {
      const cmd = await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('system\0service') && /harden-verify-podman-(?!e2e)/.test(cmd)) services.push(cmd);
    }
    expect(services).toEqual([]);
  }, 600_000);
});
