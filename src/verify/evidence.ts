/**
 * Reading why a hardened service failed where its baseline ran, and what to change: the exit code and OOM kill, the
 * lines it logged (`Read-only file system` with a path → a tmpfs there; `Operation not permitted` on chown/setuid and
 * `bind() … Permission denied` → the capability), and its healthcheck (a probe on a port the service does not listen
 * on → the probe with the port it does listen on).
 */
import { dirname, posix } from 'node:path';
import type { ServiceState } from './stack.js';
import { commandPort, probeOnPort, probePort } from '../compose/probes.js';

export type Change =
  | { kind: 'writable'; path: string }
  | { kind: 'capAdd'; cap: string }
  | { kind: 'healthcheck'; test: string[] }
  | { kind: 'backOff'; codemod: string; reason: string };

export interface Lesson {
  change: Change;
  /** The log line (or state) it was read from, as shown in the report. */
  evidence: string;
}

/** Paths a tmpfs must never cover: they hold the system or the image's programs. */
const SYSTEM = /^\/(?:$|bin|boot|dev|etc|lib\d*|proc|sbin|sys|usr|var)\/?$/;

const PATH = /(\/(?:[\w.@+~-]+\/?)+)/g;

/** The absolute paths named in a line (quotes and trailing punctuation removed). */
export function pathsIn(line: string): string[] {
  return [...line.matchAll(PATH)].map((m) => (m[1] ?? '').replace(/[.:,]+$/, '').replace(/\/+$/, '') || '/').filter((p) => p.length > 1 && !p.startsWith('/dev/') && !p.startsWith('/proc/'));
}

export interface ServiceFacts {
  readOnly: boolean;
  tmpfs: string[];
  dropsAll: boolean;
  capAdd: string[];
  /** The healthcheck test harden wrote (undefined when the service's own or none). */
  addedHealthcheck?: string[];
  command: string[];
}

/** Read the hardened definition of a service as compose sees it. */
export function factsOf(def: Record<string, unknown> | undefined, baseline: Record<string, unknown> | undefined): ServiceFacts {
  const d = def ?? {};
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
  const hc = d.healthcheck as { test?: unknown } | undefined;
  const baseHc = (baseline ?? {}).healthcheck;
  const cmd = d.command;
  return {
    readOnly: d.read_only === true || d.read_only === 'true',
    tmpfs: list(d.tmpfs).map((t) => t.split(':')[0] ?? t),
    dropsAll: list(d.cap_drop).map((c) => c.toUpperCase()).includes('ALL'),
    capAdd: list(d.cap_add).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    addedHealthcheck: hc && baseHc === undefined ? list(hc.test) : undefined,
    command: Array.isArray(cmd) ? cmd.map(String) : typeof cmd === 'string' ? cmd.split(/\s+/).filter(Boolean) : [],
  };
}

const CAP_RULES: { re: RegExp; caps: string[] }[] = [
  { re: /\bchown\b.*(?:Operation not permitted|EPERM)|(?:Operation not permitted|EPERM).*\bchown\b/i, caps: ['CHOWN'] },
  { re: /(?:setgid|setgroups|setuid|initgroups|failed switching to|su-exec|gosu)\b.*(?:Operation not permitted|EPERM)|(?:Operation not permitted|EPERM).*\b(?:setgid|setgroups|setuid)\b/i, caps: ['SETGID', 'SETUID'] },
  { re: /\bbind\(\).*(?:Permission denied|EACCES)|(?:EACCES|Permission denied).*\b(?:bind|listen)\b.*:\d{1,3}\b/i, caps: ['NET_BIND_SERVICE'] },
  { re: /\bchmod\b.*(?:Operation not permitted|EPERM)/i, caps: ['FOWNER'] },
  { re: /\bmknod\b.*(?:Operation not permitted|EPERM)/i, caps: ['MKNOD'] },
  { re: /\bkill\b.*(?:Operation not permitted|EPERM)/i, caps: ['KILL'] },
];

export { commandPort, probeOnPort, probePort };

export interface LearnInput {
  state: ServiceState;
  facts: ServiceFacts;
  /** Lines the baseline logged (so lines it logs anyway are not taken as evidence). */
  baselineLogs: readonly string[];
  /** Whether a path holds files in the image (a tmpfs would hide them). */
  pathHasFiles(path: string): Promise<'missing' | 'empty' | 'files' | 'file'>;
  /** Ports the service listens on, when they can be read. */
  listening(): Promise<number[] | undefined>;
}

/** Lines to read as evidence: the hardened run's, minus those the baseline logged as well. */
function newLines(input: LearnInput): string[] {
  const seen = new Set(input.baselineLogs.map(normalise));
  return [...input.state.logs, ...(input.state.error ? [input.state.error] : [])].filter((l) => !seen.has(normalise(l)));
}

/** Timestamps and pids vary between runs: compare lines without them. */
function normalise(line: string): string {
  return line.replace(/\d+/g, '#').trim();
}

/** What to change for a service that failed hardened (empty: nothing recognisable; the caller backs off). */
export async function learn(input: LearnInput): Promise<Lesson[]> {
  const { state, facts } = input;
  const out: Lesson[] = [];
  if (state.oomKilled) {
    out.push({ change: { kind: 'backOff', codemod: 'compose-resource-limits', reason: 'the kernel killed it for exceeding the memory limit (OOMKilled)' }, evidence: `OOMKilled: true, exit code ${state.exitCode ?? '?'}` });
    return out;
  }
  const lines = newLines(input);
  // 0. A secret file compose mounts with the host file's owner and mode, read by the service's own user.
  const secret = lines.find((l) => /\/run\/secrets\/\S+/.test(l) && /Permission denied|EACCES/i.test(l));
  if (secret) {
    const path = /\/run\/secrets\/[^\s:'"]+/.exec(secret)?.[0] ?? '/run/secrets';
    return [{
      change: { kind: 'backOff', codemod: 'compose-secrets', reason: `its user cannot read ${path} (compose mounts a file secret with the file's own owner and mode)` },
      evidence: secret.trim(),
    }];
  }
  // 1. Writes to a read-only root.
  if (facts.readOnly) {
    for (const line of lines) {
      const ro = /Read-only file system|EROFS/i.test(line);
      const notWritable = /(\/[\w./@+-]+) is not writable/.exec(line);
      if (!ro && !notWritable) continue;
      const named = notWritable?.[1] ? [notWritable[1]] : pathsIn(line);
      const target = named[named.length - 1 === 0 ? 0 : 0];
      if (!target) continue;
      // The directory to make writable: the named path when it is a directory that exists, else its parent.
      let dir = target;
      let has = await input.pathHasFiles(dir);
      if (has === 'file' || (!notWritable && has !== 'empty')) {
        dir = dirname(target);
        has = await input.pathHasFiles(dir);
      }
      if (facts.tmpfs.some((t) => dir === t || dir.startsWith(`${t}/`))) continue;
      if (has === 'files' || has === 'file' || SYSTEM.test(dir)) {
        out.push({
          change: { kind: 'backOff', codemod: 'compose-read-only', reason: `it writes to ${dir}, which holds the image's own files (a tmpfs there would hide them)` },
          evidence: line.trim(),
        });
      } else out.push({ change: { kind: 'writable', path: posix.normalize(dir) }, evidence: line.trim() });
      break;
    }
    if (out.length) return out;
  }
  // 2. Capabilities.
  if (facts.dropsAll) {
    for (const line of lines) {
      for (const rule of CAP_RULES) {
        if (!rule.re.test(line)) continue;
        for (const cap of rule.caps) if (!facts.capAdd.includes(cap) && !out.some((l) => l.change.kind === 'capAdd' && l.change.cap === cap)) out.push({ change: { kind: 'capAdd', cap }, evidence: line.trim() });
      }
      if (out.length) return out;
    }
    const denied = lines.find((l) => /Permission denied/i.test(l) && pathsIn(l).length > 0);
    if (denied && !facts.capAdd.includes('DAC_OVERRIDE')) return [{ change: { kind: 'capAdd', cap: 'DAC_OVERRIDE' }, evidence: denied.trim() }];
  }
  // 3. A probe harden added that fails while the service runs.
  if (state.status === 'unhealthy' && facts.addedHealthcheck?.length) {
    const test = facts.addedHealthcheck;
    const from = probePort(test);
    const ports = (await input.listening()) ?? [];
    const wanted = commandPort(facts.command);
    const port = wanted ?? (ports.length === 1 ? ports[0] : undefined);
    const probe = state.health[state.health.length - 1] ?? '';
    if (from !== undefined && port !== undefined && port !== from) {
      const why = wanted !== undefined ? `its command sets port ${port}` : `it listens on port ${port}`;
      return [{ change: { kind: 'healthcheck', test: probeOnPort(test, from, port) }, evidence: `probe on port ${from} failed (${probe.slice(0, 160)}); ${why}` }];
    }
    const denied = /Access denied/i.test(probe) ? ': the server denies the login it uses' : '';
    return [{ change: { kind: 'backOff', codemod: 'compose-healthcheck', reason: `the added probe fails while the service keeps running${denied}` }, evidence: probe.slice(0, 200) }];
  }
  return out;
}

/**
 * A line showing a hardened service misbehaving although its status is healthy: an entrypoint that skips its
 * configuration step because a directory is not writable (nginx then serves its default site).
 */
export function silentFailure(state: ServiceState, baselineLogs: readonly string[]): string | undefined {
  const seen = new Set(baselineLogs.map(normalise));
  return state.logs.find((l) => !seen.has(normalise(l)) && /\/\S+ is not writable/i.test(l));
}

/** Lines a healthy hardened service logged that its baseline did not and that name a hardening (shown as notes). */
export function hardeningComplaints(state: ServiceState, baselineLogs: readonly string[]): string[] {
  const seen = new Set(baselineLogs.map(normalise));
  return state.logs.filter((l) => !seen.has(normalise(l)) && /Read-only file system|EROFS|Operation not permitted|Access denied for user/i.test(l)).slice(0, 3);
}

/** Lines of the probe's output that show it passing without really checking (e.g. mariadb-admin ping denied access). */
export function hollowProbe(state: ServiceState): string | undefined {
  return state.health.find((h) => /^exit 0:/.test(h) && /Access denied/i.test(h));
}

/** A server that could not bind its port because something else in its network namespace holds it. */
export interface PortClash {
  /** The line it logged (`bind() to 0.0.0.0:80 failed (98: Address already in use)`). */
  line: string;
  /** The port, when the line (or the hint after it, as postgres logs) names one. */
  port?: number;
}

const IN_USE = /address already in use|EADDRINUSE/i;
/** `0.0.0.0:80`, `[::]:80`, `:::3000`, `*:6379`, ` :8080` (Go's `listen tcp :8080`); not a time of day (`06:12:01`). */
const HOST_PORT = /(?:\b\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]*\]|::|\*|(?<=[\s"'(]|^)):(\d{1,5})\b/;
const PORT_WORD = /\bport (\d{1,5})\b/i;

function portOf(line: string): number | undefined {
  const m = HOST_PORT.exec(line) ?? PORT_WORD.exec(line);
  const n = m?.[1] ? Number(m[1]) : undefined;
  return n !== undefined && n > 0 && n < 65536 ? n : undefined;
}

/** The first `Address already in use` / `EADDRINUSE` line of a service's logs, with the port it names. */
export function portClash(lines: readonly string[]): PortClash | undefined {
  const i = lines.findIndex((l) => IN_USE.test(l));
  if (i < 0) return undefined;
  const line = (lines[i] as string).trim();
  const port = portOf(line) ?? (/\bport \d/i.test(lines[i + 1] ?? '') ? portOf(lines[i + 1] as string) : undefined);
  return port === undefined ? { line } : { line, port };
}
