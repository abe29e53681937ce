/**
 * podman as verify's engine.
 *
 * How: podman's Docker-compatible API (`podman system service`, the system socket when one answers, else a private
 * socket verify starts for the run and stops after it), driven by the same Compose as the Docker path (`docker compose`
 * v2 or `docker-compose` v1 with `DOCKER_HOST` set to that socket). Containers are read with the podman CLI.
 *
 * Why not podman-compose: podman-compose 1.0.3 (Debian 12) lacks `config -q`, `pull --ignore-pull-failures --quiet`
 * and `down --remove-orphans --rmi`; it adds `--net <project>_default` next to `network_mode`, so a service joining the
 * verify pod (`network_mode: container:…`) or the host fails (`cannot set multiple networks without bridge network
 * mode`), after it has created a bridge network; it drops `pids_limit`; and it turns `test: [CMD, redis-cli, ping]` into
 * one shell word (`redis-cli' 'ping`), so exec-form healthchecks fail. docker-compose 1.29 on podman 4.3.1's API ran
 * the same files as under dockerd (read_only, cap_drop, limits, healthchecks, `container:` network mode, `down -v
 * --rmi local`), measured on this project's test machine.
 *
 * What differs from Docker, and is handled here or in stack.ts:
 * - healthchecks: podman runs them from systemd timers; without systemd nobody runs them and every service with a
 *   healthcheck stays `starting`. Then verify runs each one itself (`podman healthcheck run`, at the healthcheck's
 *   interval) and says so in its report.
 * - a container joining another's network namespace gets its own /etc/hosts (and may not add entries), so service
 *   names are given to every service by a hosts file mounted read-only on /etc/hosts.
 * - `podman top` lists the container's own PIDs; `hpid` gives the host's, which the listening-port reader needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, type Engine } from './engine.js';

const VERSION = /(\d+\.\d+\.\d+)/;

/** Compose implementations that speak the Docker API (tried in this order). */
export const API_COMPOSE: readonly (readonly string[])[] = [['docker', 'compose'], ['docker-compose']];

/** Whether an HTTP `GET /_ping` on the unix socket answers OK. */
export function pingSocket(path: string, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(false);
    const req = request({ socketPath: path, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Whether systemd runs this machine (sd_booted(3): /run/systemd/system exists), which podman needs to run healthchecks. */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

/** The podman API sockets a user may already have running (rootful and rootless), in the order tried. */
export function podmanSockets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const host = env.CONTAINER_HOST;
  if (host?.startsWith('unix://')) out.push(host.slice('unix://'.length));
  if (process.getuid?.() === 0) out.push('/run/podman/podman.sock');
  else if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'));
  return out;
}

/** API services verify started (stopped by stopPodmanServices() on Ctrl-C as well). */
const services = new Set<{ stop: () => Promise<void> }>();

export async function stopPodmanServices(): Promise<void> {
  const all = [...services];
  services.clear();
  for (const s of all) await s.stop().catch(() => undefined);
}

/** Start `podman system service --time=0` on a private socket; undefined with the reason when it does not answer. */
async function startService(env: NodeJS.ProcessEnv): Promise<{ socket: string; stop: () => Promise<void> } | { error: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'harden-verify-podman-'));
  const socket = join(dir, 'podman.sock');
  let child: ChildProcess;
  try {
    // Its own process group: a Ctrl-C at the terminal reaches verify, which still needs the service to remove what it
    // created, and stops it after that; a verify that dies any other way takes the service with it (the exit hook).
    child = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    return { error: (e as Error).message };
  }
  let stderr = '';
  let exited = false;
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  child.on('exit', () => {
    exited = true;
    process.removeListener('exit', onExit);
  });
  child.on('error', (e) => {
    exited = true;
    stderr += e.message;
  });
  const stop = async () => {
    services.delete(handle);
    if (!exited) {
      child.kill('SIGTERM');
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
      if (!exited) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  const handle = { stop };
  services.add(handle);
  const t0 = Date.now();
  while (!(await pingSocket(socket))) {
    if (exited || Date.now() - t0 > 30_000) {
      await stop();
      return { error: `podman system service did not answer on ${socket}${stderr.trim() ? `: ${stderr.trim().split('\n').pop() ?? ''}` : ''}` };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { socket, stop };
}

/**
 * podman as an Engine, or undefined after pushing to `tried` why not. Uses a running podman API socket when one
 * answers, else starts one for this run (Engine.close stops it).
 */
export async function podmanEngine(env: NodeJS.ProcessEnv, tried: string[]): Promise<Engine | undefined> {
  const v = await exec('podman', ['version', '--format', '{{.Client.Version}}'], { env, timeoutMs: 20_000 });
  if (v.code !== 0) {
    tried.push(v.code === null ? 'podman (not installed)' : `podman (${v.stderr.trim().split('\n').pop() ?? ''})`);
    return undefined;
  }
  const version = VERSION.exec(v.stdout)?.[1] ?? v.stdout.trim();
  let compose: { cmd: readonly string[]; version: string } | undefined;
  for (const c of API_COMPOSE) {
    const [cmd, ...rest] = c as [string, ...string[]];
    const r = await exec(cmd, [...rest, 'version'], { env, timeoutMs: 20_000 });
    const m = VERSION.exec(r.stdout);
    if (r.code === 0 && m?.[1]) {
      compose = { cmd: c, version: m[1] };
      break;
    }
  }
  if (!compose) {
    tried.push(`podman ${version} (installed, but neither \`docker compose\` nor \`docker-compose\` is there to drive its Docker-compatible API; podman-compose is not used, see the README)`);
    return undefined;
  }
  const healthchecks = systemdRunning();
  const base = { cli: 'podman', compose: compose.cmd, composeVersion: compose.version, serverVersion: version, runsHealthchecks: healthchecks, sharedHosts: false };
  for (const s of podmanSockets(env)) {
    if (await pingSocket(s)) return { ...base, where: `podman API socket ${s}`, env: { ...env, DOCKER_HOST: `unix://${s}` } };
  }
  const started = await startService(env);
  if ('error' in started) {
    tried.push(`podman ${version} (${started.error})`);
    return undefined;
  }
  return {
    ...base,
    where: `podman API socket unix://${started.socket}, started for this run`,
    env: { ...env, DOCKER_HOST: `unix://${started.socket}` },
    close: started.stop,
  };
}

interface HealthInspect {
  Id: string;
  State: { Running: boolean; StartedAt: string; Health?: unknown };
  Config: { Healthcheck?: { Test?: string[]; Interval?: number } };
}

/**
 * Runs the healthchecks the engine does not (podman without systemd): `podman healthcheck run` for each running
 * container with a healthcheck, first one interval after it started, then at every interval (Docker's schedule).
 */
export class HealthRunner {
  private readonly next = new Map<string, number>();
  /** How many probes it ran (for the report). */
  runs = 0;

  constructor(private readonly engine: Engine) {}

  async tick(containers: readonly HealthInspect[], now = Date.now()): Promise<void> {
    const due: string[] = [];
    for (const c of containers) {
      const test = c.Config.Healthcheck?.Test;
      if (!c.State.Running || !test?.length || test[0] === 'NONE') continue;
      const interval = Math.max(1000, (c.Config.Healthcheck?.Interval ?? 0) / 1e6 || 30_000);
      const started = Date.parse(c.State.StartedAt);
      let at = this.next.get(c.Id);
      if (at === undefined) {
        at = (Number.isFinite(started) ? started : now) + interval;
        this.next.set(c.Id, at);
      }
      if (now >= at) {
        due.push(c.Id);
        this.next.set(c.Id, now + interval);
      }
    }
    await Promise.all(due.map(async (id) => {
      this.runs++;
      await exec(this.engine.cli, ['healthcheck', 'run', id], { env: this.engine.env, timeoutMs: 120_000 });
    }));
  }
}

/** The report's line about who runs the healthchecks (undefined when the engine does). */
export function healthcheckNote(engine: Engine): string | undefined {
  if (engine.runsHealthchecks !== false) return undefined;
  return 'run by harden verify (`podman healthcheck run` at each healthcheck\'s interval): podman runs them from systemd timers, and systemd is not running here';
}
