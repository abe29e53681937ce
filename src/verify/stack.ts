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
 *
 * Port clashes: two services that listen on the same port (grafana and a Node app both on 3000) cannot share one
 * loopback. The ports each service listens on are read from the file (`ports:` container side, `expose:`, a `PORT`
 * variable, `--port N` in its command), the image (`ExposedPorts`) and the knowledge base (podPlan()); services that
 * clash go to further pods. Only then do the pods need a network between them: an `--internal` network of the
 * verify run's own (no route out, nothing published), each pod at a fixed address, and every pod's /etc/hosts names
 * the services of its own pod 127.0.0.1 and the others by their pod's address, so service names resolve as before.
 */
import { isAbsolute } from 'node:path';
import { parse, stringify } from 'yaml';
import { matchImage } from '../compose/image-kb.js';
import { commandPort } from '../compose/probes.js';
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
  /** Per service in a pod: the ports the file says it listens on; `explicit` when a PORT variable or its command names them. */
  ports: Record<string, { ports: number[]; explicit: boolean }>;
}

/** Keys that cannot be combined with `network_mode: container:…` (or would clash with the user's own project). */
const DROPPED = ['ports', 'networks', 'links', 'container_name', 'hostname', 'domainname', 'mac_address', 'dns', 'dns_search', 'dns_opt', 'extra_hosts', 'expose'];

/** Where the run file mounts the hosts file naming the services, when the engine does not share the pod's (podman). */
export const HOSTS_FILE = '.harden-verify.hosts';

/** The hosts file of the pods after the first (`.harden-verify.hosts2`, …). */
export const hostsFileOf = (i: number): string => `${HOSTS_FILE}${i === 0 ? '' : i + 1}`;

/**
 * The hosts file for engines whose joined containers do not share the pod's /etc/hosts: the pod's own services on
 * 127.0.0.1, those of other pods (`remote`: name and address) at their pod's address.
 */
export function hostsText(services: readonly string[], remote: readonly (readonly [string, string])[] = []): string {
  return `127.0.0.1\tlocalhost ${services.join(' ')}\n::1\tlocalhost\n${remote.map(([n, ip]) => `${ip}\t${n}\n`).join('')}`;
}

/**
 * The compose file verify runs, from the project's own (already hardened or not) text; `pod` names each service's pod.
 * `opts.hostsFile`: mount a hosts file (./.harden-verify.hosts, or the one the function names for the service) on
 * /etc/hosts in every service of a pod (engines that do not share the pod's hosts file).
 */
export function runFile(source: string, pod: string | ((service: string) => string), opts: { hostsFile?: boolean | ((service: string) => string) } = {}): RunFile {
  const podOf = typeof pod === 'string' ? () => pod : pod;
  const hostsOf = typeof opts.hostsFile === 'function' ? opts.hostsFile : () => HOSTS_FILE;
  const ports: RunFile['ports'] = {};
  const doc = (parse(source, { maxAliasCount: -1, merge: true }) ?? {}) as Record<string, unknown>;
  const svcs = (doc.services ?? {}) as Record<string, Record<string, unknown> | null>;
  const notes: Record<string, string[]> = {};
  const defs: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(svcs)) {
    const s = raw ?? {};
    svcs[name] = s;
    const n: string[] = [];
    const declared = declaredPorts(s);
    const dropped = DROPPED.filter((k) => k in s && k !== 'container_name');
    for (const k of DROPPED) delete s[k];
    if (dropped.includes('ports')) n.push('ports not published (the verify pod is loopback-only)');
    const mode = typeof s.network_mode === 'string' ? s.network_mode : undefined;
    if (mode === 'host') n.push('network_mode: host kept: it uses the host\'s ports, which may be taken');
    else if (mode === 'none' || mode?.startsWith('service:') || mode?.startsWith('container:')) {
      // joins another service or has no network: left as it is
    } else {
      s.network_mode = `container:${podOf(name)}`;
      ports[name] = declared;
    }
    if (opts.hostsFile && mode !== 'host' && mode !== 'none') {
      s.volumes = [...(Array.isArray(s.volumes) ? (s.volumes as unknown[]) : []), `./${hostsOf(name)}:/etc/hosts:ro`];
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
  for (const [name, s] of Object.entries(svcs)) if (s && s.network_mode === `container:${podOf(name)}`) delete s.network_mode;
  return { text, buildText: stringify(doc, { aliasDuplicateObjects: false }), services: Object.keys(svcs), notes, defs, ports };
}

/** `${VAR:-default}` / `${VAR-default}` → default (the value compose uses when VAR is not set); other variables stay. */
function withDefaults(v: string): string {
  return v.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
}

/** `3000`, `8000-8002` → the port numbers (a range of at most 100 ports). */
function portList(v: string): number[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/tcp)?$/.exec(v.trim());
  if (!m) return [];
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (b < a || b - a > 100) return [a];
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** The ports a service definition says it listens on: `ports:` (container side), `expose:`, a PORT variable, `--port N`. */
export function declaredPorts(s: Record<string, unknown>): { ports: number[]; explicit: boolean } {
  const out = new Set<number>();
  for (const p of Array.isArray(s.ports) ? (s.ports as unknown[]) : []) {
    if (typeof p === 'number') out.add(p);
    else if (typeof p === 'string') {
      const v = withDefaults(p);
      if (/\/udp$/.test(v)) continue;
      for (const n of portList(v.slice(v.lastIndexOf(':') + 1))) out.add(n);
    } else if (p && typeof p === 'object') {
      const o = p as { target?: unknown; protocol?: unknown };
      if (o.protocol === 'udp') continue;
      for (const n of portList(withDefaults(String(o.target ?? '')))) out.add(n);
    }
  }
  for (const p of Array.isArray(s.expose) ? (s.expose as unknown[]) : []) for (const n of portList(withDefaults(String(p)))) out.add(n);
  let explicit = false;
  const env = s.environment;
  let port: string | undefined;
  if (Array.isArray(env)) {
    const e = (env as unknown[]).map(String).find((x) => x.startsWith('PORT='));
    port = e?.slice(5);
  } else if (env && typeof env === 'object') {
    const v = (env as Record<string, unknown>).PORT;
    if (typeof v === 'string' || typeof v === 'number') port = String(v);
  }
  if (port !== undefined && /^\d+$/.test(withDefaults(port).trim())) {
    out.add(Number(withDefaults(port).trim()));
    explicit = true;
  }
  const cmd = Array.isArray(s.command) ? (s.command as unknown[]).map(String) : typeof s.command === 'string' ? s.command.split(/\s+/) : [];
  const fromCommand = commandPort(cmd);
  if (fromCommand !== undefined) {
    out.add(fromCommand);
    explicit = true;
  }
  return { ports: [...out].sort((a, b) => a - b), explicit };
}

export interface PodPlan {
  /** The services of each pod (the first pod is the one every stack has). */
  pods: string[][];
  /** Per service: the ports it was placed by (file, image, knowledge base). */
  ports: Record<string, number[]>;
  /** Per service not in the first pod: the services it clashes with, and on which port. */
  moved: Record<string, { port: number; with: string }>;
}

/**
 * Which services share a pod: each goes to the first pod where no service listens on one of its ports. The ports are
 * the file's; with no PORT variable or `--port` in the command, also the image's `ExposedPorts` and the knowledge
 * base's (a server keeps its default port unless told otherwise). Services in `alone` could not bind a port in a
 * shared pod in an earlier run (a port nothing declares, e.g. hard-coded in the app): each gets a pod of its own.
 */
export function podPlan(rf: Pick<RunFile, 'services' | 'ports' | 'defs'>, exposed: Record<string, number[]>, alone: ReadonlySet<string> = new Set()): PodPlan {
  const plan: PodPlan = { pods: [], ports: {}, moved: {} };
  // Pods that hold a service which could not bind its port in a shared pod (see `alone`): nobody else joins them.
  const closed = new Set<number>();
  for (const name of rf.services) {
    const d = rf.ports[name];
    if (!d) continue;
    const ports = new Set(d.ports);
    if (!d.explicit) {
      for (const p of exposed[name] ?? []) ports.add(p);
      const image = rf.defs[name]?.image;
      if (typeof image === 'string') for (const p of matchImage(image)?.ports ?? []) ports.add(p);
    }
    const mine = [...ports].sort((a, b) => a - b);
    plan.ports[name] = mine;
    if (alone.has(name)) {
      // The first pod is every stack's, even when its first service is one of these.
      if (plan.pods.length === 0) plan.pods.push([]);
      closed.add(plan.pods.length);
      plan.pods.push([name]);
      continue;
    }
    let i = plan.pods.findIndex((pod, j) => !closed.has(j) && !pod.some((o) => (plan.ports[o] ?? []).some((p) => ports.has(p))));
    if (i < 0) {
      i = plan.pods.length;
      plan.pods.push([]);
    }
    if (i > 0) {
      const first = plan.pods[0] ?? [];
      const other = first.find((o) => (plan.ports[o] ?? []).some((p) => ports.has(p))) ?? '';
      plan.moved[name] = { port: (plan.ports[other] ?? []).find((p) => ports.has(p)) ?? 0, with: other };
    }
    (plan.pods[i] as string[]).push(name);
  }
  if (plan.pods.length === 0) plan.pods.push([]);
  return plan;
}

/** The name of pod `i` of a project (the first is `<project>-pod`, as when there is one). */
export const podName = (project: string, i: number): string => `${project}-pod${i === 0 ? '' : i + 1}`;

/** The address of host `n` (1-based) of an IPv4 subnet `a.b.c.d/len`. */
export function subnetHost(subnet: string, n: number): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(subnet.trim());
  if (!m) return undefined;
  const len = Number(m[5]);
  if (len > 28) return undefined;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  const ip = ((base & mask) + n) >>> 0;
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
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
  /** The pods' internal network (created only when services clash on a port). */
  readonly network: string;
  private readonly pods = new Set<string>();
  private networkCreated = false;
  /** The images this stack built (removed by down(), also when a pod was started from one). */
  private built: string[] = [];
  /** Runs the healthchecks when the engine does not (podman without systemd). */
  readonly health?: HealthRunner;

  constructor(readonly opts: StackOptions) {
    this.network = `${opts.project}-net`;
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

  /**
   * Start the pods (plan.pods) from the first service image that has `sleep` (a pod only holds a network namespace).
   * One pod: loopback only (`--network none`). More: an internal network of this run's own joins them.
   */
  async startPods(plan: PodPlan, images: readonly string[]): Promise<string | undefined> {
    const n = Math.max(1, plan.pods.length);
    this.addresses = undefined;
    if (n > 1) {
      const net = await this.createNetwork();
      if (typeof net === 'string') return net;
      this.addresses = net.addresses(n);
    }
    for (let i = 0; i < n; i++) {
      const ip = this.addresses?.[i];
      const network = ip ? ['--network', this.network, '--ip', ip] : ['--network', 'none'];
      const hosts = this.podHosts(plan, i).flatMap(([s, a]) => ['--add-host', `${s}:${a}`]);
      const err = await this.startPod(podName(this.opts.project, i), network, hosts, images);
      if (err) return err;
    }
    return undefined;
  }

  /** The pods' addresses on the internal network (after startPods(), when there is more than one pod). */
  addresses?: string[];

  /** What pod `i`'s /etc/hosts names: its own services 127.0.0.1, the others their pod's address. */
  podHosts(plan: PodPlan, i: number): [string, string][] {
    return plan.pods.flatMap((pod, j) => pod.map((s): [string, string] => [s, i === j || !this.addresses ? '127.0.0.1' : (this.addresses[j] as string)]));
  }

  /** This run's internal network, at a subnet the engine picked (asked back, so the pods get fixed addresses). */
  private async createNetwork(): Promise<{ addresses: (n: number) => string[] } | string> {
    const label = ['--label', `harden.verify=${this.opts.project}`];
    const first = await this.cli(['network', 'create', '--internal', ...label, this.network]);
    if (first.code !== 0) return `could not create the network the pods of clashing services need: ${(first.stderr || first.stdout).trim()}`;
    this.networkCreated = true;
    // podman's network inspect has `.Subnets`, Docker's `.IPAM.Config`.
    const format = this.opts.engine.cli === 'podman' ? '{{range .Subnets}}{{.Subnet}} {{end}}' : '{{range .IPAM.Config}}{{.Subnet}} {{end}}';
    const sub = await this.cli(['network', 'inspect', '-f', format, this.network]);
    const subnet = sub.stdout.trim().split(/\s+/).find((x) => subnetHost(x, 2) !== undefined);
    if (!subnet) return `the network ${this.network} has no IPv4 subnet (${sub.stdout.trim() || sub.stderr.trim()})`;
    // Fixed addresses need a subnet given by the user: the same one again, now named.
    await this.cli(['network', 'rm', this.network]);
    const again = await this.cli(['network', 'create', '--internal', '--subnet', subnet, ...label, this.network]);
    if (again.code !== 0) return `could not create the network ${this.network} at ${subnet}: ${(again.stderr || again.stdout).trim()}`;
    return { addresses: (count) => Array.from({ length: count }, (_, i) => subnetHost(subnet, i + 2) as string) };
  }

  private async startPod(name: string, network: readonly string[], hosts: readonly string[], images: readonly string[]): Promise<string | undefined> {
    let last = '';
    for (const image of images) {
      const r = await this.cli(['run', '-d', '--name', name, ...network, '--label', `harden.verify=${this.opts.project}`, ...hosts, '--entrypoint', 'sleep', image, 'infinity']);
      if (r.code === 0) {
        this.pods.add(name);
        await new Promise((res) => setTimeout(res, 500));
        const st = await this.cli(['inspect', '-f', '{{.State.Running}}', name]);
        if (st.stdout.trim() === 'true') return undefined;
      }
      last = (r.stderr || r.stdout).trim();
      await this.cli([...this.rmForce(), name]);
      this.pods.delete(name);
    }
    return `could not start the network pod from any of the stack's images (${images.join(', ')}): ${last}`;
  }

  /** Each service's image (after prepare()): its `image:`, or the one compose built for it. */
  async serviceImages(buildFile: string): Promise<Record<string, string>> {
    const r = await this.compose(['config'], 120_000, buildFile);
    const doc = (parse(r.stdout) ?? {}) as { services?: Record<string, { image?: string; build?: unknown }> };
    const out: Record<string, string> = {};
    for (const [name, s] of Object.entries(doc.services ?? {})) {
      const candidates = s.image ? [s.image] : s.build ? [`${this.opts.project}_${name}`, `${this.opts.project}-${name}`] : [];
      for (const i of candidates) {
        if ((await this.cli(['image', 'inspect', '--format', '{{.Id}}', i])).code === 0) {
          out[name] = i;
          if (!s.image) this.built.push(i);
          break;
        }
      }
    }
    return out;
  }

  /** The images to start a pod from: pulled ones first (a pod started from a built image keeps `down --rmi local` from removing it). */
  podImages(images: Record<string, string>): string[] {
    const all = [...new Set(Object.values(images))];
    return [...all.filter((i) => !this.built.includes(i)), ...all.filter((i) => this.built.includes(i))];
  }

  /** The TCP ports each image declares (`EXPOSE`). */
  async exposedPorts(images: Record<string, string>): Promise<Record<string, number[]>> {
    const out: Record<string, number[]> = {};
    for (const [name, image] of Object.entries(images)) {
      const r = await this.cli(['image', 'inspect', '--format', '{{json .Config.ExposedPorts}}', image]);
      let ports: Record<string, unknown> | null;
      try {
        ports = JSON.parse(r.stdout.trim() || 'null') as Record<string, unknown> | null;
      } catch {
        ports = null;
      }
      out[name] = Object.keys(ports ?? {}).filter((k) => /^\d+\/tcp$/.test(k)).map((k) => Number.parseInt(k, 10));
    }
    return out;
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
    // Every pod, also one whose start was interrupted before it was recorded; -v: the anonymous volumes of the pod
    // image's VOLUMEs go with it.
    const pods = await this.cli(['ps', '-aq', '--filter', `label=harden.verify=${this.opts.project}`]);
    const podIds = [...new Set([...this.pods, podName(this.opts.project, 0), ...pods.stdout.split('\n').map((x) => x.trim()).filter(Boolean)])];
    await this.cli([...this.rmForce(), '-v', ...podIds]);
    this.pods.clear();
    // Built images `down` could not remove while a pod (started from one of them) still ran.
    for (const b of this.built) if ((await this.cli(['image', 'inspect', '--format', '{{.Id}}', b])).code === 0) await this.cli(['rmi', b]);
    this.built = [];
    const vols = await this.cli(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${this.opts.project}`]);
    const v = vols.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    if (v.length) await this.cli(['volume', 'rm', '-f', ...v]);
    const nets = await this.cli(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${this.opts.project}`]);
    const n = nets.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
    if (n.length) await this.cli(['network', 'rm', ...n]);
    const own = await this.cli(['network', 'ls', '-q', '--filter', `label=harden.verify=${this.opts.project}`]);
    const o = own.stdout.split('\n').map((x) => x.trim()).filter(Boolean);
    if (o.length || this.networkCreated) await this.cli(['network', 'rm', ...(o.length ? o : [this.network])]);
    this.networkCreated = false;
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
