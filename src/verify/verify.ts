/**
 * `harden verify`: bring each compose project up as it is (baseline) and with harden's fixes (hardened), in scratch
 * copies under their own project names, and keep only what the services survive. When a service that runs in the
 * baseline fails hardened, the evidence (see evidence.ts) adjusts the fixes (a tmpfs path, a capability, the probe's
 * port) and the hardened copy runs again, a bounded number of times; what still fails is backed off, one codemod at a
 * time, for that service only. What was learned is returned as knowledge (src/compose/knowledge.ts) that `harden fix`
 * applies.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { randomBytes } from 'node:crypto';
import { fix, hasProcessingErrors, UsageError, type HardenOptions } from '../api.js';
import { ConfigFinder } from '../engine/config.js';
import { discover } from '../engine/discover.js';
import { TRIAL_NOTE, type FileKnowledge, type Knowledge, type ServiceKnowledge } from '../compose/knowledge.js';
import { isSecretName } from '../secrets/names.js';
import { detectEngine, killChildren, type Engine } from './engine.js';
import { healthcheckNote, stopPodmanServices } from './podman.js';
import { factsOf, hardeningComplaints, hollowProbe, learn, portClash, silentFailure, type Lesson, type PortClash } from './evidence.js';
import { HOSTS_FILE, hostsFileOf, hostsText, podName, podPlan, runFile, Stack, type ServiceState, type Status } from './stack.js';

export interface VerifyOptions extends Omit<HardenOptions, 'stdin' | 'knowledge'> {
  /** Values for `${VAR}` in the compose files (a dotenv file), passed to compose as `--env-file`. */
  envFile?: string;
  /** Seconds a service without a healthcheck must keep running to count (default 10). */
  stableSeconds?: number;
  /** Upper bound of each wait for the services, seconds (default 180). */
  timeoutSeconds?: number;
  /** Hardened runs per project, adjustments and back-offs included (default 5). */
  maxRounds?: number;
  /** The engine to use (default: detected). */
  engine?: Engine;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface BackOff {
  codemod: string;
  reason: string;
  evidence: string;
}

export interface ServiceReport {
  service: string;
  baseline: Status;
  /** The first hardened run. */
  hardened: Status;
  /** The last hardened run (with every adjustment and back-off). */
  final: Status;
  /** Healthy (or running, or completed) in the last hardened run. */
  ok: boolean;
  adjusted: { change: string; evidence: string }[];
  backedOff: BackOff[];
  notes: string[];
  /** Set when it failed because a port it binds was taken and verify could not give it another network namespace: the line. */
  portClash?: string;
}

export interface ProjectReport {
  /** The compose file, as given (relative to cwd). */
  file: string;
  absPath: string;
  rounds: number;
  services: ServiceReport[];
  /** Set when the project could not be verified at all. */
  error?: string;
  /**
   * The files whose changes the hardened run exercised (absolute paths of the originals): the compose file and the
   * Dockerfiles its services are built from. `harden fix --verify` writes only these.
   */
  exercised: string[];
  /** Project-level notes (e.g. Dockerfile changes left out because the hardened build failed with them). */
  notes: string[];
  knowledge: FileKnowledge;
}

export interface VerifyReport {
  engine: {
    cli: string; compose: string; composeVersion: string; serverVersion: string; where: string;
    /** Set when verify runs the healthchecks itself (the engine does not): how and why. */
    healthchecks?: string;
  };
  projects: ProjectReport[];
  /** What was learned, keyed by the compose file's absolute path (for `fix({ knowledge })`). */
  knowledge: Knowledge;
}

/** Everything a verify run created that is still there: removed by cleanupVerify() (the CLI calls it on Ctrl-C). */
const live = new Set<{ stack?: Stack; dir?: string }>();

export async function cleanupVerify(): Promise<void> {
  killChildren();
  const items = [...live];
  live.clear();
  for (const it of items) {
    if (it.stack) await it.stack.down().catch(() => undefined);
    if (it.dir) await rm(it.dir, { recursive: true, force: true }).catch(() => undefined);
  }
  await stopPodmanServices();
}

const RUN_FILE = '.harden-verify.compose.yaml';
const BUILD_FILE = '.harden-verify.build.yaml';
const OVERRIDE = /^(?:docker-)?compose\.override\.ya?ml$/;

/** Codemods to back off, most likely culprit first, when no evidence says which one. */
const BACK_OFF_ORDER = [
  'compose-read-only', 'compose-drop-capabilities', 'compose-no-new-privileges', 'compose-resource-limits', 'compose-healthcheck',
  'compose-secrets', 'compose-log-limits', 'compose-dangerous-options', 'pin-image-digest',
];

function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m?.[1]) continue;
    out[m[1]] = (m[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** Variables a compose text requires (`${VAR:?…}`, `${VAR?…}`) that no source gives. */
export function missingRequired(text: string, given: Record<string, string | undefined>): string[] {
  const need = new Set<string>();
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:?)\?/g)) {
    const name = m[1] as string;
    const v = given[name];
    if (v === undefined || (m[2] === ':' && v === '')) need.add(name);
  }
  return [...need].sort();
}

/** Replaces every known secret value by *** (log lines and probe output are shown as evidence). */
class Redactor {
  private readonly values: string[] = [];

  add(v: string | undefined): void {
    if (v && v.length >= 4 && !this.values.includes(v)) this.values.push(v);
    this.values.sort((a, b) => b.length - a.length);
  }

  apply(s: string): string {
    let out = s;
    for (const v of this.values) out = out.split(v).join('***');
    return out;
  }
}

function collectSecrets(red: Redactor, text: string, env: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(env)) if (isSecretName(k)) red.add(v);
  for (const m of text.matchAll(/^\s*-?\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]\s*["']?([^"'\n#]+?)["']?\s*$/gm)) {
    if (m[1] && isSecretName(m[1]) && m[2] && !m[2].includes('${')) red.add(m[2].trim());
  }
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) if (m[1] && isSecretName(m[1])) red.add(env[m[1]]);
}

async function copyProject(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, filter: (src) => basename(src) !== '.git' && basename(src) !== RUN_FILE && basename(src) !== BUILD_FILE, verbatimSymlinks: true });
}

/** The services each applied fix belongs to (by the service named in its message). */
function servicesOf(message: string, names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const m of message.matchAll(/[Ss]ervice `([^`]+)`|\bservice ([\w.-]+)/g)) {
    const n = m[1] ?? m[2];
    if (n && names.includes(n)) out.add(n);
  }
  return [...out];
}

function describe(change: Lesson['change']): string {
  switch (change.kind) {
    case 'writable':
      return `tmpfs ${change.path}`;
    case 'capAdd':
      return `cap_add ${change.cap}`;
    case 'healthcheck':
      return `healthcheck ${JSON.stringify(change.test)}`;
    case 'backOff':
      return `back off ${change.codemod}`;
  }
}

function applyLesson(k: ServiceKnowledge, l: Lesson): boolean {
  const c = l.change;
  if (c.kind === 'writable') {
    if (k.writable?.includes(c.path)) return false;
    k.writable = [...(k.writable ?? []), c.path];
  } else if (c.kind === 'capAdd') {
    if (k.capAdd?.includes(c.cap)) return false;
    k.capAdd = [...(k.capAdd ?? []), c.cap];
  } else if (c.kind === 'healthcheck') {
    if (JSON.stringify(k.healthcheck) === JSON.stringify(c.test)) return false;
    k.healthcheck = c.test;
  } else {
    if (k.backOff?.[c.codemod]) return false;
    k.backOff = { ...k.backOff, [c.codemod]: c.reason };
  }
  return true;
}

interface Clash extends PortClash {
  /** The service that listens on the port in the same pod, when its processes could be read. */
  holder?: string;
  /** In one of verify's pods (not `network_mode: host` or another container's network). */
  inPod: boolean;
  /** Already alone in a pod of its own. */
  alone: boolean;
  /** In a shared pod: a pod of its own may let it bind. */
  movable: boolean;
}

interface RunResult {
  states: ServiceState[];
  defs: Record<string, Record<string, unknown>>;
  notes: Record<string, string[]>;
  /** Services that failed because a port they bind was taken (`Address already in use`). */
  clashes: Record<string, Clash>;
  error?: string;
}

/** Baseline runs per project: the first, and one more for each set of services found clashing on a port nobody declared. */
const MAX_BASELINE_RUNS = 3;

function movedText(c: Clash): string {
  const port = c.port !== undefined ? `port ${c.port}` : 'its port';
  return `in the shared pod it could not bind ${port}${c.holder ? `, which ${c.holder} listens on` : ''} (${c.line.slice(0, 200)})`;
}

/** Why a pod of its own did not (or could not) help a service whose port was taken, for the report. */
function unmovableText(c: Clash, def: Record<string, unknown> | undefined): string {
  const port = c.port !== undefined ? `port ${c.port}` : 'a port it binds';
  const mode = typeof def?.network_mode === 'string' ? def.network_mode : '';
  let why: string;
  if (!c.inPod && mode === 'host') why = `it runs with network_mode: host, so it needs ${port} free on this machine, and something here holds it`;
  else if (!c.inPod) why = `it shares another container's network (network_mode: ${mode || 'none'}), where ${port} is taken`;
  else if (c.alone) why = `${port} was taken even in a network namespace of its own`;
  else why = `${port} was still taken after ${MAX_BASELINE_RUNS} baseline runs, each moving the services that could not bind to pods of their own`;
  return `${why} (${c.line.slice(0, 200)})`;
}

export async function verify(opts: VerifyOptions = {}): Promise<VerifyReport> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const envFile = opts.envFile ? resolve(cwd, opts.envFile) : undefined;
  if (envFile && !existsSync(envFile)) throw new UsageError(`--env-file ${opts.envFile}: no such file`);
  const engine = opts.engine ?? (await detectEngine());
  try {
    return await verifyWith(engine, cwd, envFile, opts);
  } finally {
    // What detection started for this run (podman's API service); an engine passed in belongs to the caller.
    if (!opts.engine) await engine.close?.();
  }
}

async function verifyWith(engine: Engine, cwd: string, envFile: string | undefined, opts: VerifyOptions): Promise<VerifyReport> {
  const log = opts.log ?? (() => undefined);
  const envValues = envFile ? parseDotenv(readFileSync(envFile, 'utf8')) : {};

  const found = await discover({ paths: opts.paths?.length ? opts.paths : ['.'], cwd, exclude: opts.exclude ?? [], kind: opts.kind });
  if (found.problems.length) throw new UsageError(found.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  const composeFiles = found.files.filter((f) => f.kind === 'compose' && !OVERRIDE.test(basename(f.absPath)));
  const report: VerifyReport = {
    engine: {
      cli: engine.cli, compose: engine.compose.join(' '), composeVersion: engine.composeVersion, serverVersion: engine.serverVersion, where: engine.where,
      ...(healthcheckNote(engine) ? { healthchecks: healthcheckNote(engine) } : {}),
    },
    projects: [],
    knowledge: {},
  };
  const finder = new ConfigFinder();
  for (const f of composeFiles) {
    const p = await verifyProject(f.absPath, f.path, { ...opts, cwd, log, engine, envFile, envValues, finder });
    report.projects.push(p);
    if (Object.keys(p.knowledge).length) report.knowledge[f.absPath] = p.knowledge;
  }
  return report;
}

interface ProjectCtx extends VerifyOptions {
  cwd: string;
  log: (line: string) => void;
  engine: Engine;
  envValues: Record<string, string>;
  finder: ConfigFinder;
}

async function verifyProject(absPath: string, shown: string, ctx: ProjectCtx): Promise<ProjectReport> {
  const projectDir = dirname(absPath);
  const name = basename(absPath);
  const id = randomBytes(4).toString('hex');
  const out: ProjectReport = { file: shown, absPath, rounds: 0, services: [], knowledge: {}, exercised: [], notes: [] };
  const scratch = await mkdtemp(join(tmpdir(), 'harden-verify-'));
  const entry: { stack?: Stack; dir?: string } = { dir: scratch };
  live.add(entry);
  const red = new Redactor();
  const dotenv = existsSync(join(projectDir, '.env')) ? parseDotenv(readFileSync(join(projectDir, '.env'), 'utf8')) : {};
  const given: Record<string, string | undefined> = { ...dotenv, ...process.env, ...ctx.envValues };
  const config = (await ctx.finder.find(projectDir)).file;
  try {
    const original = await readFile(absPath, 'utf8');
    collectSecrets(red, original, given);
    const missing = missingRequired(original, given);
    if (missing.length) throw new UsageError(`${shown} needs values for ${missing.join(', ')}: set them in the environment or pass --env-file FILE`);

    // Baseline.
    const baseDir = join(scratch, 'baseline');
    await copyProject(projectDir, baseDir);
    // Services that could not bind a port in a shared pod (one nothing declares): a pod of their own from then on.
    const alone = new Map<string, string>();
    let base: RunResult;
    for (let attempt = 1; ; attempt++) {
      const project = `hv${id}b${attempt === 1 ? '' : attempt}`;
      ctx.log(`${shown}: baseline (project ${project})`);
      base = await runOnce(join(baseDir, name), project, ctx, entry, alone);
      ctx.log(`  ${base.states.map((s) => `${s.service}: ${s.status}`).join(', ')}`);
      await entry.stack?.down();
      entry.stack = undefined;
      const movable = Object.entries(base.clashes).filter(([, c]) => c.movable);
      if (base.error || movable.length === 0 || attempt >= MAX_BASELINE_RUNS) break;
      for (const [svc, c] of movable) alone.set(svc, red.apply(movedText(c)));
      ctx.log(`  address already in use: ${movable.map(([svc]) => svc).join(', ')} could not bind in the shared pod; the baseline runs again with ${movable.length === 1 ? 'it' : 'each'} in a pod of its own`);
    }
    if (base.error) throw new VerifyProjectError(`the baseline could not be run: ${red.apply(base.error)}`);

    // Hardened rounds.
    const knowledge: FileKnowledge = {};
    const reports = new Map<string, ServiceReport>();
    const maxRounds = ctx.maxRounds ?? 5;
    const baseOk = new Map(base.states.map((s) => [s.service, s.ok]));
    let appliedBy = new Map<string, string[]>();
    // The Dockerfiles the services are built from get their fixes too, so the run builds and exercises them; when the
    // hardened build fails with them, they are left out (and not written by fix --verify).
    const dockerfiles = builtDockerfiles(original, projectDir);
    let withDockerfiles = dockerfiles.length > 0;
    /** Changes made only for this run to test (no other evidence): kept as `verified` knowledge when they held. */
    let trials = new Map<string, string[]>();
    for (let round = 1; round <= maxRounds; round++) {
      out.rounds = round;
      const dir = join(scratch, `hardened-${round}`);
      await rm(dir, { recursive: true, force: true });
      await copyProject(projectDir, dir);
      const file = join(dir, name);
      const copies = withDockerfiles ? dockerfiles.map((d) => join(dir, relative(projectDir, d))) : [];
      const fixed = await fix({
        ...stripVerify(ctx), paths: [file, ...copies], cwd: dir, write: true, configFile: ctx.configFile ?? config,
        knowledge: { [file]: knowledge }, composeVersion: ctx.composeVersion ?? ctx.engine.composeVersion, trial: true,
      });
      if (hasProcessingErrors(fixed)) {
        const why = [...fixed.problems.map((p) => p.message), ...fixed.files.filter((x) => x.error).map((x) => `${x.path}: ${x.error?.message ?? ''}`)].join('; ');
        throw new VerifyProjectError(`harden fix failed on the copy: ${why || 'a lookup failed'}`);
      }
      const hardenedText = await readFile(file, 'utf8');
      collectSecrets(red, hardenedText, given);
      const missingHard = missingRequired(hardenedText, given);
      if (missingHard.length) throw new UsageError(`${shown} (hardened) needs values for ${missingHard.join(', ')}: set them in the environment or pass --env-file FILE`);
      const names = base.states.map((s) => s.service);
      appliedBy = new Map(names.map((n) => [n, [] as string[]]));
      trials = new Map(names.map((n) => [n, [] as string[]]));
      for (const r of fixed.files) {
        if (r.absPath !== file) continue;
        for (const a of r.applied) {
          for (const s of servicesOf(a.message, names)) {
            appliedBy.get(s)?.push(a.codemodId);
            if (a.message.includes(TRIAL_NOTE)) trials.get(s)?.push(a.codemodId);
          }
        }
      }
      ctx.log(`${shown}: hardened run ${round} (project hv${id}h${round})`);
      const hard = await runOnce(file, `hv${id}h${round}`, ctx, entry, alone);
      const dockerfileChanges = fixed.files.filter((x) => x.changed && x.absPath !== file).map((x) => relative(dir, x.absPath ?? x.path));
      if (hard.error && withDockerfiles && dockerfileChanges.length && /^the build failed/.test(hard.error)) {
        out.notes.push(`the hardened build failed with the Dockerfile changes (${dockerfileChanges.join(', ')}), so they are left out: ${red.apply(hard.error).slice(0, 300)}`);
        ctx.log(`  the build failed with the Dockerfile changes: retrying without them`);
        withDockerfiles = false;
        await stackOf(entry)?.down();
        entry.stack = undefined;
        round--;
        continue;
      }
      if (hard.error) throw new VerifyProjectError(`the hardened copy could not be run: ${red.apply(hard.error)}`);

      ctx.log(`  ${hard.states.map((s) => `${s.service}: ${s.status}`).join(', ')}`);
      let changed = false;
      for (const st of hard.states) {
        const b = base.states.find((x) => x.service === st.service);
        const rep = reports.get(st.service) ?? {
          service: st.service, baseline: b?.status ?? 'not started', hardened: st.status, final: st.status, ok: st.ok, adjusted: [], backedOff: [],
          notes: [...(hard.notes[st.service] ?? [])],
        };
        reports.set(st.service, rep);
        rep.final = st.status;
        rep.ok = st.ok;
        const hollow = hollowProbe(st);
        const addedProbe = (factsOf(hard.defs[st.service], base.defs[st.service]).addedHealthcheck?.length ?? 0) > 0;
        if (hollow && addedProbe && baseOk.get(st.service) && !knowledge[st.service]?.backOff?.['compose-healthcheck']) {
          // A probe harden added that passes while the server denies its login proves nothing: back it off, with the line.
          const l: Lesson = { change: { kind: 'backOff', codemod: 'compose-healthcheck', reason: 'the added probe exits 0 while the server denies its login, so it proves nothing' }, evidence: hollow.trim() };
          applyLesson((knowledge[st.service] ??= {}), l);
          rep.backedOff.push({ codemod: 'compose-healthcheck', reason: l.change.kind === 'backOff' ? l.change.reason : '', evidence: red.apply(l.evidence).slice(0, 300) });
          changed = true;
          continue;
        }
        if (hollow && !rep.notes.some((n) => n.startsWith('the probe passes'))) rep.notes.push(`the probe passes while the server reports an error: ${red.apply(hollow.slice(0, 160))}`);
        if (!baseOk.get(st.service)) continue;
        const clash = hard.clashes[st.service];
        if (clash?.movable) {
          // Which server binds first in a shared pod is a race: the baseline won it, this run did not.
          alone.set(st.service, red.apply(movedText(clash)));
          rep.notes.push(`the next hardened run puts it in a pod of its own: ${alone.get(st.service) ?? ''}`);
          changed = true;
          continue;
        }
        if (clash) {
          // Not the hardening's doing (the baseline bound it): nothing to adjust or back off.
          rep.portClash = red.apply(clash.line);
          const n = `port clash in the hardened run, not a hardening failure: ${red.apply(unmovableText(clash, hard.defs[st.service]))}`;
          if (!rep.notes.includes(n)) rep.notes.push(n);
          continue;
        }
        // Not started because a dependency failed: what that dependency learns decides; nothing to read here.
        if (st.status === 'not started' && hard.states.some((o) => o !== st && !o.ok)) continue;
        const silent = st.ok ? silentFailure(st, b?.logs ?? []) : undefined;
        if (st.ok && !silent) {
          for (const c of hardeningComplaints(st, b?.logs ?? [])) {
            const n = `logged while healthy (not in the baseline): ${red.apply(c.trim()).slice(0, 200)}`;
            if (!rep.notes.includes(n)) rep.notes.push(n);
          }
          continue;
        }
        if (silent) {
          rep.ok = false;
          rep.final = st.status;
        }
        const k = (knowledge[st.service] ??= {});
        const facts = factsOf(hard.defs[st.service], base.defs[st.service]);
        const stack = stackOf(entry) as Stack;
        let lessons = await learn({
          state: silent ? { ...st, logs: [silent] } : st,
          facts,
          baselineLogs: b?.logs ?? [],
          pathHasFiles: (p) => (st.container ? stack.pathHasFiles(st.container, p) : Promise.resolve('missing')),
          listening: () => (st.container ? stack.listeningPorts(st.container) : Promise.resolve(undefined)),
        });
        lessons = lessons.filter((l) => applyLesson(k, l));
        if (lessons.length === 0) {
          // Nothing recognisable (or already tried): back off the next codemod that changed this service.
          const tried = new Set(Object.keys(k.backOff ?? {}));
          const applied = appliedBy.get(st.service) ?? [];
          const next = [...BACK_OFF_ORDER, ...applied].find((c) => applied.includes(c) && !tried.has(c));
          const last = silent ?? [...st.logs].reverse().find((l) => /error|fail|denied|not permitted|cannot/i.test(l)) ?? st.logs[st.logs.length - 1] ?? `status ${st.status}, exit code ${st.exitCode ?? '?'}`;
          if (next) {
            const l: Lesson = { change: { kind: 'backOff', codemod: next, reason: `still ${st.status} with ${next}'s change${rep.adjusted.length ? ' after the adjustments above' : ''}` }, evidence: last.trim() };
            applyLesson(k, l);
            lessons = [l];
          }
        }
        for (const l of lessons) {
          const evidence = red.apply(l.evidence).slice(0, 300);
          if (l.change.kind === 'backOff') rep.backedOff.push({ codemod: l.change.codemod, reason: l.change.reason, evidence });
          else rep.adjusted.push({ change: describe(l.change), evidence });
          changed = true;
        }
      }
      await stackOf(entry)?.down();
      entry.stack = undefined;
      if (!changed) break;
    }
    for (const s of base.states) {
      if (!reports.has(s.service)) reports.set(s.service, { service: s.service, baseline: s.status, hardened: 'not started', final: 'not started', ok: false, adjusted: [], backedOff: [], notes: [] });
      const r = reports.get(s.service) as ServiceReport;
      const clash = base.clashes[s.service];
      if (!s.ok && clash) {
        r.portClash = red.apply(clash.line);
        r.notes.push(`port clash in the baseline, not a hardening failure: ${red.apply(unmovableText(clash, base.defs[s.service]))}`);
      } else if (!s.ok) r.notes.push(`not healthy in the baseline either (${s.status}${s.exitCode ? `, exit code ${s.exitCode}` : ''}): reported, not fixed`);
    }
    out.exercised = [absPath, ...(withDockerfiles ? dockerfiles : [])];
    // What the last hardened run tested and the service survived is evidence for later fix runs.
    for (const [svc, ids] of trials) {
      const r = reports.get(svc);
      if (!r?.ok || ids.length === 0) continue;
      const k = (knowledge[svc] ??= {});
      const held = ids.filter((id) => !k.backOff?.[id]);
      if (held.length) k.verified = [...new Set([...(k.verified ?? []), ...held])];
    }
    out.services = [...reports.values()].sort((a, b) => a.service.localeCompare(b.service));
    for (const [svc, k] of Object.entries(knowledge)) if (Object.keys(k).length) out.knowledge[svc] = k;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    out.error = red.apply(e instanceof Error ? e.message : String(e));
  } finally {
    await stackOf(entry)?.down().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
    live.delete(entry);
  }
  return out;
}

class VerifyProjectError extends Error {}

/** The Dockerfiles a compose file's services are built from (`build:` string or `context`/`dockerfile`), when they exist. */
export function builtDockerfiles(text: string, projectDir: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return [];
  }
  const svcs = ((doc ?? {}) as { services?: Record<string, { build?: unknown } | null> }).services ?? {};
  const out = new Set<string>();
  for (const s of Object.values(svcs)) {
    const b = s?.build;
    if (b === undefined || b === null) continue;
    const o = typeof b === 'string' ? { context: b } : (b as { context?: unknown; dockerfile?: unknown; dockerfile_inline?: unknown });
    if (o.dockerfile_inline !== undefined) continue;
    const context = typeof o.context === 'string' ? o.context : '.';
    if (/^[a-z]+:\/\/|^git@|\$/.test(context)) continue;
    const f = resolve(projectDir, context, typeof o.dockerfile === 'string' ? o.dockerfile : 'Dockerfile');
    if (f.startsWith(projectDir) && existsSync(f)) out.add(f);
  }
  return [...out];
}

/** The stack currently up (read through a function: the flow analysis cannot see runOnce() setting it). */
const stackOf = (e: { stack?: Stack }): Stack | undefined => e.stack;

function stripVerify(o: ProjectCtx): HardenOptions {
  const { envFile: _e, stableSeconds: _s, timeoutSeconds: _t, maxRounds: _m, engine: _g, log: _l, envValues: _v, finder: _f, cwd: _c, paths: _p, ...rest } = o;
  return rest;
}

/** Bring one copy up, wait, read the states; the stack stays up (entry.stack) until the caller takes it down. */
async function runOnce(file: string, project: string, ctx: ProjectCtx, entry: { stack?: Stack }, alone: ReadonlyMap<string, string>): Promise<RunResult> {
  const dir = dirname(file);
  const text = await readFile(file, 'utf8');
  const pod = `${project}-pod`;
  const hostsFile = ctx.engine.sharedHosts === false;
  const rf = runFile(text, pod, { hostsFile });
  if (hostsFile) await writeFile(join(dir, HOSTS_FILE), hostsText(rf.services));
  await writeFile(join(dir, RUN_FILE), rf.text);
  await writeFile(join(dir, BUILD_FILE), rf.buildText);
  const stack = new Stack({
    engine: ctx.engine, dir, file: RUN_FILE, project, envFile: ctx.envFile,
    stableSeconds: ctx.stableSeconds ?? 10, timeoutSeconds: ctx.timeoutSeconds ?? 180, log: ctx.log,
  });
  entry.stack = stack;
  const rejected = await stack.validate();
  if (rejected) return { states: [], defs: rf.defs, notes: rf.notes, clashes: {}, error: `${ctx.engine.compose.join(' ')} ${ctx.engine.composeVersion} rejects the file: ${rejected}` };
  const built = await stack.prepare(BUILD_FILE);
  if (built) return { states: [], defs: rf.defs, notes: rf.notes, clashes: {}, error: `the build failed: ${built}` };
  // Services that listen on the same port go to pods of their own (see podPlan()).
  const images = await stack.serviceImages(BUILD_FILE);
  const plan = podPlan(rf, await stack.exposedPorts(images), new Set(alone.keys()));
  const podIndex = new Map(plan.pods.flatMap((p, i) => p.map((s) => [s, i] as const)));
  if (plan.pods.length > 1) {
    const split = runFile(text, (s) => podName(project, podIndex.get(s) ?? 0), { hostsFile: hostsFile ? (s) => hostsFileOf(podIndex.get(s) ?? 0) : false });
    await writeFile(join(dir, RUN_FILE), split.text);
    for (const [s, m] of Object.entries(plan.moved)) {
      rf.notes[s]?.push(`in a network namespace of its own (${podName(project, podIndex.get(s) ?? 0)}): it listens on port ${m.port}, as ${m.with} does; the pods share an internal network and service names resolve across them`);
    }
    for (const [s, why] of alone) {
      if (podIndex.has(s)) rf.notes[s]?.push(`in a network namespace of its own (${podName(project, podIndex.get(s) ?? 0)}): ${why}; the pods share an internal network and service names resolve across them`);
    }
    ctx.log(`  pods: ${plan.pods.map((p) => p.join(' ') || '-').join(' | ')} (port clash)`);
  }
  const podErr = await stack.startPods(plan, stack.podImages(images));
  if (!podErr && hostsFile && plan.pods.length > 1) {
    for (let i = 0; i < plan.pods.length; i++) {
      const entries = stack.podHosts(plan, i);
      const own = entries.filter(([, a]) => a === '127.0.0.1').map(([n]) => n);
      const notInPods = rf.services.filter((s) => !podIndex.has(s));
      await writeFile(join(dir, hostsFileOf(i)), hostsText([...own, ...(i === 0 ? notInPods : [])], entries.filter(([, a]) => a !== '127.0.0.1')));
    }
  }
  if (podErr) return { states: [], defs: rf.defs, notes: rf.notes, clashes: {}, error: podErr };
  await stack.up();
  const states = await stack.wait(rf.services, rf.defs);
  if (states.length === 0) {
    const left = await readdir(dir).catch(() => []);
    return { states, defs: rf.defs, notes: rf.notes, clashes: {}, error: `no service started (${left.length} files in the copy)` };
  }
  // Servers that could not bind their port: in a shared pod, the service holding it is read from /proc.
  const clashes: Record<string, Clash> = {};
  for (const st of states) {
    if (st.ok) continue;
    const c = portClash([...st.logs, ...(st.error ? [st.error] : [])]);
    if (!c) continue;
    const pod = podIndex.get(st.service);
    let holder: string | undefined;
    if (c.port !== undefined && pod !== undefined) {
      for (const o of states) {
        if (o === st || !o.container || podIndex.get(o.service) !== pod) continue;
        if ((await stack.listeningPorts(o.container))?.includes(c.port)) {
          holder = o.service;
          break;
        }
      }
    }
    const inPod = pod !== undefined;
    clashes[st.service] = { ...c, ...(holder ? { holder } : {}), inPod, alone: alone.has(st.service), movable: inPod && !alone.has(st.service) };
  }
  return { states, defs: rf.defs, notes: rf.notes, clashes };
}

