/**
 * One compose stack under the real engine: the file verify runs (a loopback "pod" instead of the stack's networks),
 * bringing it up under its own project name, waiting for every service, reading what happened, and removing
 * everything it created.
 *
 * The pod: a container with only a loopback interface (`--network none`) that every service joins
 * (`network_mode: container:<pod>`). Services reach each other on 127.0.0.1 at their usual ports (each service name
 * resolves to 127.0.0.1 through the pod's /etc/hosts), nothing is published on the host, no bridge or firewall rule is
 * created, and the baseline and the hardened copy never clash with each other or with the user's own running project.
 * Services with `network_mode: host` keep it (and then share the host's ports: the report says so).
 */
import { isAbsolute } from 'node:path';
import { parse, stringify } from 'yaml';
import { composeGlobalArgs, exec, type Engine, type Exec } from './engine.js';
import { HealthRunner } from './podman.js';

export interface RunFile {
  text: string;
  /** The same without the pod (compose refuses to build while `container:<pod>` does not exist yet). */
  buildText: string;
  services: string[];
  /** Per service: what the run file changed and why, for the report. */
  notes: Record<string, string[]>;
  /** Per service: the hardened definition, as compose reads it (plain values). */
  defs: Record<string, Record<string, unknown>>;
}

/** Keys that cannot be combined with `network_mode: container:…` (or would clash with the user's own project). */
const DROPPED = ['ports', 'networks', 'links', 'container_name', 'hostname', 'domainname', 'mac_address', 'dns', 'dns_search', 'dns_opt', 'extra_hosts', 'expose'];

/** Where the run file mounts the hosts file naming the services, when the engine does not share the pod's (podman). */
export const HOSTS_FILE = '.harden-verify.hosts';

/** The hosts file for engines whose joined containers do not share the pod's /etc/hosts: every service on 127.0.0.1. */
export function hostsText(services: readonly string[]): string {
  return `127.0.0.1\tlocalhost ${services.join(' ')}\n::1\tlocalhost\n`;
}

/**
 * The compose file verify runs, from the project's own (already hardened or not) text. `opts.hostsFile`: mount
 * ./.harden-verify.hosts on /etc/hosts in every service of the pod (engines that do not share the pod's hosts file).
 */
export function runFile(source: string, pod: string, opts: { hostsFile?: boolean } = {}): RunFile {
  const doc = (parse(source, { maxAliasCount: -1, merge: true }) ?? {}) as Record<string, unknown>;
  const svcs = (doc.services ?? {}) as Record<string, Record<string, unknown> | null>;
  const notes: Record<string, string[]> = {};
  const defs: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(svcs)) {
    const s = raw ?? {};
    svcs[name] = s;
    const n: string[] = [];
    const dropped = DROPPED.filter((k) => k in s && k !== 'container_name');
    for (const k of DROPPED) delete s[k];
    if (dropped.includes('ports')) n.push('ports not published (the verify pod is loopback-only)');
    const mode = typeof s.network_mode === 'string' ? s.network_mode : undefined;
    if (mode === 'host') n.push('network_mode: host kept: it uses the host\'s ports, which may be taken');
    else if (mode === 'none' || mode?.startsWith('service:') || mode?.startsWith('container:')) {
      // joins another service or has no network: left as it is
    } else s.network_mode = `container:${pod}`;
    if (opts.hostsFile && mode !== 'host' && mode !== 'none') {
      s.volumes = [...(Array.isArray(s.volumes) ? (s.volumes as unknown[]) : []), `./${HOSTS_FILE}:/etc/hosts:ro`];
    }
    if (s.build !== undefined) {
      const b = typeof s.build === 'string' ? { context: s.build } : ((s.build ?? {}) as Record<string, unknown>);
      if (b.network === undefined) b.network = 'host';
      s.build = b;
    }
    notes[name] = n;
    defs[name] = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
  }
  delete doc.networks;
  delete doc.name;
  const text = stringify(doc, { aliasDuplicateObjects: false });
  for (const s of Object.values(svcs)) if (s && s.network_mode === `container:${pod}`) delete s.network_mode;
  return { text, buildText: stringify(doc, { aliasDuplicateObjects: false }), services: Object.keys(svcs), notes, defs };
}

export type Status = 'healthy' | 'running' | 'completed' | 'unhealthy' | 'exited' | 'restarting' | 'starting' | 'not started';

export interface ServiceState {
  service: string;
  status: Status;
  ok: boolean;
  container?: string;
  exitCode?: number;
  oomKilled?: boolean;
  restarts?: number;
  /** The last health probe outputs (newest last). */
  health: string[];
  /** The last log lines (stdout and stderr). */
  logs: string[];
  /** The engine's own error for the container (e.g. a mount it refused). */
  error?: string;
}

interface Inspect {
  Id: string;
  Config: { Labels?: Record<string, string>; Healthcheck?: { Test?: string[]; Interval?: number } };
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    Error?: string;
    StartedAt: string;
    Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] };
  };
  RestartCount: number;
  HostConfig: { RestartPolicy?: { Name?: string } };
}

export interface StackOptions {
  engine: Engine;
  /** Directory of the copy; the run file is written there. */
  dir: string;
  file: string;
  project: string;
  envFile?: string;
  /** Seconds a service without a healthcheck must keep running. */
  stableSeconds: number;
  /** Upper bound for the whole wait, seconds. */
  timeoutSeconds: number;
  log?: (line: string) => void;
}

export class Stack {
  readonly pod: string;
  private podStarted = false;
  /** The images this stack built (removed by down(), also when the pod was started from one). */
  private built: string[] = [];
  /** Runs the healthchecks when the engine does not (podman without systemd). */
  readonly health?: HealthRunner;

  constructor(readonly opts: StackOptions) {
    this.pod = `${opts.project}-pod`;
    if (opts.engine.runsHealthchecks === false) this.health = new HealthRunner(opts.engine);
  }

  /** `rm -f` without the 10 s stop grace podman gives before it kills (the pod's `sleep` ignores SIGTERM). */
  private rmForce(): string[] {
    return this.opts.engine.cli === 'podman' ? ['rm', '-f', '--time', '0'] : ['rm', '-f'];
  }

  private compose(args: readonly string[], timeoutMs = 900_000, file = this.opts.file): Promise<Exec> {
    const { engine } = this.opts;
    const [cmd, ...pre] = engine.compose as [string, ...string[]];
    const env = this.opts.envFile ? ['--env-file', this.opts.envFile] : [];
    return exec(cmd, [...pre, ...composeGlobalArgs(engine), '-p', this.opts.project, '-f', file, ...env, ...args], {
      env: engine.env,
      cwd: this.opts.dir,
      timeoutMs,
    });
  }

  private cli(args: readonly string[], timeoutMs = 120_000): Promise<Exec> {
    return exec(this.opts.engine.cli, args, { env: this.opts.engine.env, timeoutMs });
  }

  /** `compose config -q`: whether the engine's compose accepts the file (the error text when not). */
  async validate(): Promise<string | undefined> {
    const r = await this.compose(['config', '-q'], 120_000);
    return r.code === 0 ? undefined : (r.stderr || r.stdout).trim();
  }

  /** Pull (ignoring failures: built images have nothing to pull) and build. The error text when the build fails. */
  async prepare(buildFile: string): Promise<string | undefined> {
    await this.compose(['pull', '--ignore-pull-failures', '--quiet'], 900_000, buildFile);
    // docker-compose v1 uses the legacy builder, which keeps the container of a failed step unless told not to.
    const b = await this.compose(['build', ...(this.opts.engine.compose[0] === 'docker-compose' ? ['--force-rm'] : [])], 1_800_000, buildFile);
    return b.code === 0 ? undefined : tail(b.stderr || b.stdout, 15);
  }

  /** Start the pod from the first service image that has `sleep` (the pod only holds the network namespace). */
  async startPod(services: readonly string[], images: readonly string[]): Promise<string | undefined> {
    const hosts = services.flatMap((s) => ['--add-host', `${s}:127.0.0.1`]);
    let last = '';
    for (const image of images) {
      const r = await this.cli(['run', '-d', '--name', this.pod, '--network', 'none', '--label', `harden.verify=${this.opts.project}`, ...hosts, '--entrypoint', 'sleep', image, 'infinity']);
      if (r.code === 0) {
        this.podStarted = true;
        await new Promise((res) => setTimeout(res, 500));
        const st = await this.cli(['inspect', '-f', '{{.State.Running}}', this.pod]);
        if (st.stdout.trim() === 'true') return undefined;
      }
      last = (r.stderr || r.stdout).trim();
      await this.cli([...this.rmForce(), this.pod]);
      this.podStarted = false;
    }
    return `could not start the network pod from any of the stack's images (${images.join(', ')}): ${last}`;
  }

  /** The images of the services (after prepare()), for the pod. */
  async images(buildFile: string): Promise<string[]> {
    const r = await this.compose(['config'], 120_000, buildFile);
    const doc = (parse(r.stdout) ?? {}) as { services?: Record<string, { image?: string; build?: unknown }> };
    const pulled: string[] = [];
    const built: string[] = [];
    for (const [name, s] of Object.entries(doc.services ?? {})) {
      if (s.image) pulled.push(s.image);
      else if (s.build) built.push(`${this.opts.project}_${name}`, `${this.opts.project}-${name}`);
    }
    // Pulled images first: a pod started from a built image keeps `down --rmi local` from removing that image.
    const present: string[] = [];
    for (const i of [...pulled, ...built]) if ((await this.cli(['image', 'inspect', '--format', '{{.Id}}', i])).code === 0) present.push(i);
    this.built = built.filter((b) => present.includes(b));
    return present;
  }

  /** `up -d`; its error text (dependencies that never became healthy make it fail: their state is read anyway). */
  async up(): Promise<string | undefined> {
    const running = this.compose(['up', '-d', '--no-build'], 900_000);
    if (this.health) {
      // `up` waits for `depends_on: condition: service_healthy`: the probes must run while it does.
      let done = false;
      void running.finally(() => (done = true));
      while (!done) {
        await this.health.tick(await this.inspectAll());
        await Promise.race([running, new Promise((res) => setTimeout(res, 1000))]);
      }
    }
    const r = await running;
    return r.code === 0 ? undefined : tail(r.stderr || r.stdout, 10);
  }

  private async inspectAll(): Promise<Inspect[]> {
    const ids = await this.cli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.opts.project}`]);
    const list = ids.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) return [];
    const r = await this.cli(['inspect', ...list]);
    try {
      return JSON.parse(r.stdout) as Inspect[];
    } catch {
      return [];
    }
  }

  /** Wait until every service is settled (healthy, unhealthy, exited, stable) or the time is up; then read its state. */
  async wait(services: readonly string[], defs: Record<string, Record<string, unknown>>): Promise<ServiceState[]> {
    const { stableSeconds, timeoutSeconds } = this.opts;
    const budget = Math.min(timeoutSeconds, Math.max(stableSeconds + 5, ...services.map((s) => healthBudget(defs[s]?.healthcheck))));
    const t0 = Date.now();
    let states: ServiceState[];
    for (;;) {
      const all = await this.inspectAll();
      const now = Date.now();
      states = services.map((service) => stateOf(service, all, now, stableSeconds));
      const pending = states.filter((s) => s.status === 'starting' || (s.status === 'running' && !s.ok));
      if (pending.length === 0 || now - t0 > budget * 1000) break;
      await this.health?.tick(all);
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const s of states) {
      if (s.status === 'running' && !s.ok) s.status = 'starting';
      if (s.container) {
        const l = await this.cli(['logs', '--tail', '200', s.container]);
        s.logs = `${l.stdout}\n${l.stderr}`.split('\n').filter((x) => x.trim() !== '');
      }
    }
    return states;
  }

  /** Whether `path` exists in the service's container and holds files (read with `cp`, which also works on stopped containers). */
  async pathHasFiles(container: string, path: string): Promise<'missing' | 'empty' | 'files' | 'file'> {
    return dirHasFiles(this.opts.engine, container, path);
  }

  /** The TCP ports the container's processes listen on (from /proc, when readable here), or undefined. */
  async listeningPorts(container: string): Promise<number[] | undefined> {
    // podman's `top` lists the container's own PIDs unless asked for the host's (hpid).
    const r = await this.cli(this.opts.engine.cli === 'podman' ? ['top', container, 'hpid'] : ['top', container, '-eo', 'pid']);
    if (r.code !== 0) return undefined;
    const pids = r.stdout.split('\n').slice(1).map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
    return listeningPortsOf(pids);
  }

  /** Remove every container, network and volume of the project, the images it built, and the pod. */
  async down(): Promise<void> {
    await this.compose(['down', '-v', '--remove-orphans', '--rmi', 'local', '--timeout', '5'], 300_000);
    // Whatever `down` missed (a container created by a failed `up`, volumes of removed services).
    const left = await this.cli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.opts.project}`]);
    const ids = left.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    if (ids.length) await this.cli([...this.rmForce(), '-v', ...ids]);
    // -v: the anonymous volumes of the pod image's VOLUMEs go with it.
    if (this.podStarted || ids.length >= 0) await this.cli([...this.rmForce(), '-v', this.pod]);
    this.podStarted = false;
    // Built images `down` could not remove while the pod (started from one of them) still ran.
    for (const b of this.built) if ((await this.cli(['image', 'inspect', '--format', '{{.Id}}', b])).code === 0) await this.cli(['rmi', b]);
    this.built = [];
    const vols = await this.cli(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${this.opts.project}`]);
    const v = vols.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    if (v.length) await this.cli(['volume', 'rm', '-f', ...v]);
    const nets = await this.cli(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${this.opts.project}`]);
    const n = nets.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    if (n.length) await this.cli(['network', 'rm', ...n]);
  }
}

function tail(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/** Compose duration → seconds (`1m30s`, `10s`, `500ms`); undefined when not a duration. */
export function seconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = DURATION.exec(v.trim());
  if (!m || v.trim() === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 1000;
}

/** How long a healthcheck may take to report healthy: start_period + (retries + 1) × (interval + timeout). */
function healthBudget(h: unknown): number {
  if (!h || typeof h !== 'object') return 0;
  const o = h as Record<string, unknown>;
  if (o.disable === true) return 0;
  const interval = seconds(o.interval) ?? 30;
  const timeout = seconds(o.timeout) ?? 30;
  const retries = typeof o.retries === 'number' ? o.retries : 3;
  const start = seconds(o.start_period) ?? 0;
  return start + (retries + 1) * (interval + Math.min(timeout, interval)) + 5;
}

function stateOf(service: string, all: readonly Inspect[], now: number, stableSeconds: number): ServiceState {
  const c = all.find((x) => x.Config.Labels?.['com.docker.compose.service'] === service);
  if (!c) return { service, status: 'not started', ok: false, health: [], logs: [] };
  const st = c.State;
  const base: ServiceState = {
    service, status: 'running', ok: false, container: c.Id, exitCode: st.ExitCode, oomKilled: st.OOMKilled, restarts: c.RestartCount,
    health: (st.Health?.Log ?? []).map((l) => `exit ${l.ExitCode}: ${l.Output.trim()}`),
    logs: [],
  };
  if (st.Error) base.error = st.Error;
  if (c.RestartCount > 0 || st.Status === 'restarting') return { ...base, status: 'restarting' };
  if (st.Status === 'exited' || st.Status === 'dead') {
    const policy = c.HostConfig.RestartPolicy?.Name ?? 'no';
    const oneShot = st.ExitCode === 0 && (policy === 'no' || policy === '' || policy === 'on-failure');
    return { ...base, status: oneShot ? 'completed' : 'exited', ok: oneShot };
  }
  if (st.Status === 'created') return { ...base, status: 'not started' };
  // podman reports `Health: { Status: "" }` for containers without a healthcheck.
  if (st.Health?.Status) {
    if (st.Health.Status === 'healthy') return { ...base, status: 'healthy', ok: true };
    if (st.Health.Status === 'unhealthy') return { ...base, status: 'unhealthy' };
    return { ...base, status: 'starting' };
  }
  const started = Date.parse(st.StartedAt);
  return { ...base, status: 'running', ok: Number.isFinite(started) && now - started >= stableSeconds * 1000 };
}

/** Whether a path in a container holds files: streams `cp CONTAINER:PATH -` and stops after the second tar entry. */
export async function dirHasFiles(engine: Engine, container: string, path: string): Promise<'missing' | 'empty' | 'files' | 'file'> {
  if (!isAbsolute(path)) return 'missing';
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(engine.cli, ['cp', `${container}:${path}`, '-'], { env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = Buffer.alloc(0);
    let entries = 0;
    let offset = 0;
    let done = false;
    const finish = (v: 'missing' | 'empty' | 'files' | 'file') => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      resolve(v);
    };
    child.stdout.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= offset + 512) {
        const header = buf.subarray(offset, offset + 512);
        const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
        if (name === '') return finish(entries > 1 ? 'files' : 'empty');
        entries++;
        // The first entry is the path itself: anything but a directory (typeflag 5) is a file.
        if (entries === 1 && header.subarray(156, 157).toString() !== '5') return finish('file');
        if (entries > 1) return finish('files');
        const size = Number.parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
        offset += 512 + Math.ceil(size / 512) * 512;
        if (offset > 1 << 20) return finish('files');
      }
    });
    child.on('close', (code) => finish(code === 0 ? (entries > 1 ? 'files' : 'empty') : 'missing'));
    child.on('error', () => finish('missing'));
  });
}

/** Listening TCP ports of these processes: their socket inodes matched against the namespace's /proc/net/tcp{,6}. */
export async function listeningPortsOf(pids: readonly string[]): Promise<number[] | undefined> {
  const { readdir, readlink, readFile } = await import('node:fs/promises');
  const inodes = new Set<string>();
  let table: string;
  try {
    for (const pid of pids) {
      for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
        const l = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
        const m = /^socket:\[(\d+)\]$/.exec(l);
        if (m?.[1]) inodes.add(m[1]);
      }
    }
    const first = pids[0];
    if (!first) return undefined;
    table = `${await readFile(`/proc/${first}/net/tcp`, 'utf8').catch(() => '')}\n${await readFile(`/proc/${first}/net/tcp6`, 'utf8').catch(() => '')}`;
  } catch {
    return undefined;
  }
  if (inodes.size === 0 && table.trim() === '') return undefined;
  const ports = new Set<number>();
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (f.length < 10 || f[3] !== '0A') continue;
    if (!inodes.has(f[9] ?? '')) continue;
    const port = Number.parseInt((f[1] ?? '').split(':')[1] ?? '', 16);
    if (Number.isFinite(port)) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}
