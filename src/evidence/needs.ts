/**
 * What a container needs at run time, from evidence: the image config (User, ExposedPorts, Volumes), the entrypoint
 * script read from the image's layers, the run's own `command`/`entrypoint`/`user`, and its ports. Every fact says
 * where it came from, so findings can cite it ("line 12 of /usr/local/bin/docker-entrypoint.sh: `exec gosu postgres
 * "$@"`").
 *
 * The decisions drawn from it (see `capabilityNeeds`):
 * - a container that runs as a non-root user needs no capabilities to start (its processes have none in effect);
 * - one that runs as root and whose entrypoint was read: SETUID/SETGID for each privilege drop (gosu, su-exec,
 *   setpriv, su, s6-setuidgid, chroot --userspec), CHOWN for chown/chgrp, FOWNER for chmod, DAC_OVERRIDE and FOWNER
 *   when it drops privileges after changing ownership (it walks directories the target user owns), NET_BIND_SERVICE
 *   for ports below 1024;
 * - one that runs as root with no privilege drop found, or whose entrypoint could not be read (a binary, a missing
 *   lookup): undecided. A root process may need DAC_OVERRIDE for files it does not own, or whatever its binary does;
 *   the caller reports what to check instead of a fix.
 */
import type { ImageConfigAnswer } from '../engine/types.js';
import { entrypointFile, inlineScripts, startedProcess, type ProcessOverrides } from './process.js';
import { readScript, type FileWrite, type OwnershipChange, type PrivilegeDrop, type ScriptEvidence, type SetuidUse } from './script.js';

export interface Cited<T> {
  fact: T;
  /** "the entrypoint /usr/local/bin/docker-entrypoint.sh, line 12: `exec gosu postgres "$@"`". */
  source: string;
}

export interface EvidenceInput {
  /** The image config, when read, and how to name it ("the image config of nginx:1.25 (registry docker.io)"). */
  config?: { config: ImageConfigAnswer; describe: string };
  /** The run's own entrypoint/command overrides (argv) and how to name them. */
  overrides?: ProcessOverrides & { entrypointDescribe?: string; commandDescribe?: string };
  /** The run's own user (`user:`, `--user`, runAsUser) and how to name it. */
  user?: { value: string; describe: string };
  /**
   * The entrypoint file from the image's layers (an `image-file` answer), or why it is not there. Absent: not asked
   * (no image config, or the entrypoint is an inline script).
   */
  entrypointFile?: { path: string | null; content: string | null } | { missing: string };
  /** Container ports the run publishes or exposes, with where each is written. */
  ports?: readonly { port: number; describe: string }[];
}

export interface RuntimeEvidence {
  /** The user the container starts as, when known; `root` undefined when it is a variable. */
  user?: { value: string; root: boolean | undefined; source: string };
  privilegeDrops: readonly Cited<PrivilegeDrop>[];
  /** Setuid or file-capability programs a script runs (sudo, su, ping…): what no-new-privileges stops for non-root users. */
  setuidUse: readonly Cited<SetuidUse>[];
  ownership: readonly Cited<OwnershipChange>[];
  writes: readonly Cited<FileWrite>[];
  lowPorts: readonly { port: number; source: string }[];
  /** Whether a script the container starts with was read (file or `sh -c`): the evidence of what it does. */
  entrypointRead: boolean;
  /** The program the entrypoint starts with, when it is a binary harden cannot read. */
  binary?: string;
  /** What was read, for "(from …)": "the image config …", "the entrypoint /docker-entrypoint.sh". */
  read: readonly string[];
  /** What could not be read, and why. */
  unread: readonly string[];
}

/** Whether a user value (`1000`, `node`, `0:0`, `root`, '' = root) is root; undefined for variables. */
export function isRootUser(user: string): boolean | undefined {
  const u = user.trim();
  if (u === '') return true;
  if (u.includes('$')) return undefined;
  const name = u.split(':')[0] ?? '';
  return name === '0' || name === 'root';
}

function cite(evidence: ScriptEvidence, where: string): Pick<RuntimeEvidence, 'privilegeDrops' | 'setuidUse' | 'ownership' | 'writes'> {
  const c = <T extends { line: number; text: string }>(f: T): Cited<T> => ({ fact: f, source: `${where}, line ${f.line}: \`${f.text}\`` });
  return { privilegeDrops: evidence.privilegeDrops.map(c), setuidUse: evidence.setuidUse.map(c), ownership: evidence.ownership.map(c), writes: evidence.writes.map(c) };
}

/** Everything the evidence says about a container. The shell parser must be loaded (`loadShell()`). */
export function gatherEvidence(input: EvidenceInput): RuntimeEvidence {
  const read: string[] = [];
  const unread: string[] = [];
  const drops: Cited<PrivilegeDrop>[] = [];
  const setuidUse: Cited<SetuidUse>[] = [];
  const ownership: Cited<OwnershipChange>[] = [];
  const writes: Cited<FileWrite>[] = [];
  let entrypointRead = false;
  let binary: string | undefined;
  const cfg = input.config?.config;
  if (input.config) read.push(input.config.describe);
  const add = (e: ScriptEvidence, where: string) => {
    const c = cite(e, where);
    drops.push(...c.privilegeDrops);
    setuidUse.push(...c.setuidUse);
    ownership.push(...c.ownership);
    writes.push(...c.writes);
  };
  const proc = startedProcess(cfg, input.overrides ?? {});
  const o = input.overrides;
  const inlineWhere = proc.cmdFrom === 'override' ? (o?.commandDescribe ?? 'the command') : proc.entrypointFrom === 'override' ? (o?.entrypointDescribe ?? 'the entrypoint') : 'the image\'s Entrypoint/Cmd';
  for (const script of inlineScripts(proc.argv)) {
    const r = readScript(script);
    if ('evidence' in r) {
      add(r.evidence, `the \`sh -c\` script of ${inlineWhere}`);
      entrypointRead = true;
    } else unread.push(`the \`sh -c\` script of ${inlineWhere}: ${r.unreadable}`);
  }
  const file = entrypointFile(proc.argv, cfg);
  const f = input.entrypointFile;
  if (file && f) {
    if ('missing' in f) unread.push(`the entrypoint ${file.name}: ${f.missing}`);
    else if (f.path === null) unread.push(`the entrypoint ${file.name}: not found in the image's layers`);
    else if (f.content === null) unread.push(`the entrypoint ${f.path}: larger than harden reads`);
    else {
      const r = readScript(f.content);
      if ('evidence' in r && /^#!.*\b(?:sh|bash|ash|dash)\b/.test(f.content)) {
        read.push(`the entrypoint ${f.path}`);
        add(r.evidence, `the entrypoint ${f.path}`);
        entrypointRead = true;
      } else {
        binary = f.path;
        unread.push(`the entrypoint ${f.path}: ${'unreadable' in r ? r.unreadable : 'not a shell script (no sh/bash #! line)'}`);
      }
    }
  } else if (file && !f) unread.push(`the entrypoint ${file.name}: not looked up`);
  let user: RuntimeEvidence['user'];
  if (input.user) user = { value: input.user.value, root: isRootUser(input.user.value), source: input.user.describe };
  else if (input.config) user = { value: cfg?.user ?? '', root: isRootUser(cfg?.user ?? ''), source: input.config.describe };
  const lowPorts: { port: number; source: string }[] = [];
  for (const p of input.ports ?? []) if (p.port < 1024 && !lowPorts.some((l) => l.port === p.port)) lowPorts.push({ port: p.port, source: p.describe });
  for (const e of cfg?.exposedPorts ?? []) {
    const n = Number.parseInt(e, 10);
    if (!Number.isNaN(n) && n < 1024 && !lowPorts.some((l) => l.port === n)) lowPorts.push({ port: n, source: `ExposedPorts of ${input.config?.describe ?? 'the image config'}` });
  }
  lowPorts.sort((a, b) => a.port - b.port);
  return {
    ...(user ? { user } : {}),
    privilegeDrops: drops,
    setuidUse,
    ownership,
    writes,
    lowPorts,
    entrypointRead,
    ...(binary ? { binary } : {}),
    read,
    unread,
  };
}

export interface CapabilityNeeds {
  /** Decided from evidence: `caps` is what it needs. Undecided: `check` says what to check instead. */
  decided: boolean;
  caps: readonly string[];
  /** One reason per capability (or for needing none), citing the evidence. */
  because: readonly string[];
  /** When undecided: what a maintainer should check before dropping capabilities. */
  check?: string;
}

/** The capabilities a container needs after `cap_drop: [ALL]`, when the evidence decides it (see the module comment). */
export function capabilityNeeds(ev: RuntimeEvidence): CapabilityNeeds {
  if (ev.user?.root === false) {
    return { decided: true, caps: [], because: [`it runs as user \`${ev.user.value}\` (${ev.user.source}): its processes have no capabilities in effect`] };
  }
  const unknownUser = ev.user === undefined || ev.user.root === undefined;
  if (unknownUser || !ev.entrypointRead || ev.privilegeDrops.length === 0) {
    const why = unknownUser
      ? 'which user it runs as is not known'
      : !ev.entrypointRead
        ? `it runs as root and its entrypoint was not read${ev.unread.length ? ` (${ev.unread.join('; ')})` : ''}`
        : 'it runs as root and its entrypoint does not drop privileges (a root process may need DAC_OVERRIDE for files it does not own, CHOWN, or whatever its program does)';
    return {
      decided: false,
      caps: [],
      because: [],
      check: `${why}. Check whether it starts as root and switches user (gosu, su-exec, setpriv: CHOWN, SETUID, SETGID, often DAC_OVERRIDE and FOWNER), binds ports below 1024 (NET_BIND_SERVICE), or writes files it does not own (DAC_OVERRIDE); then add \`cap_drop: [ALL]\` with those in \`cap_add\``,
    };
  }
  const reasons: { caps: string[]; why: string }[] = [];
  const drop = ev.privilegeDrops[0] as Cited<PrivilegeDrop>;
  const chown = ev.ownership.find((o) => o.fact.tool !== 'chmod');
  const chmod = ev.ownership.find((o) => o.fact.tool === 'chmod');
  if (chown) reasons.push({ caps: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'], why: `it changes ownership before switching user (${chown.source})` });
  else if (chmod) reasons.push({ caps: ['FOWNER'], why: `it changes file modes (${chmod.source})` });
  reasons.push({ caps: ['SETGID', 'SETUID'], why: `it switches user with ${drop.fact.tool} (${drop.source})` });
  if (ev.lowPorts.length) {
    const low = ev.lowPorts[0] as { port: number; source: string };
    reasons.push({ caps: ['NET_BIND_SERVICE'], why: `it listens on port${ev.lowPorts.length > 1 ? 's' : ''} ${ev.lowPorts.map((p) => p.port).join(', ')}, below 1024 (${low.source})` });
  }
  const caps = [...new Set(reasons.flatMap((r) => r.caps))].sort();
  return { decided: true, caps, because: reasons.map((r) => `${r.caps.join(', ')}: ${r.why}`) };
}

/** Directories a read-only root can get as tmpfs without hiding image content: scratch state, caches, pid files. */
export const SCRATCH_DIRS = /^\/(?:tmp|run|var\/run|var\/tmp|var\/cache(?:\/[^/]+)?|var\/log(?:\/[^/]+)?)(?:\/|$)/;

/**
 * The writes among `writes` that land outside `writable` (a predicate over paths: volumes, tmpfs, the image's
 * VOLUMEs): what a read-only root breaks. Paths under `$HOME` and writes to an unknown path always count.
 */
export function writesOutside(writes: readonly Cited<FileWrite>[], writable: (path: string) => boolean): Cited<FileWrite>[] {
  return writes.filter((w) => w.fact.path === undefined || w.fact.path.startsWith('$HOME') || !writable(w.fact.path));
}

export interface PrivilegeGainInput {
  /** The knowledge-base entry the image matched (`appDependent`: it runs whatever application it is given). */
  kb?: { name: string; appDependent?: boolean; runsAsRoot?: boolean; privilegeGain?: string };
  /** Why the knowledge base cannot speak for the image when it does not match, or matched only a base image. */
  unknown?: string;
  /** Set when a run showed the service healthy with no-new-privileges (how to name that run). */
  verified?: string;
  /** How the run states the flag is off on purpose (default `no-new-privileges:false`), for what to check. */
  optOut?: string;
}

export interface PrivilegeGainNeeds {
  /** True when the evidence shows the container gains no privileges through setuid or file-capability binaries. */
  none: boolean;
  /** The evidence, as a sentence fragment for the finding. */
  because: string;
  /** When not `none`: what a maintainer should check before forbidding privilege gain. */
  check?: string;
}

/**
 * Whether a container may run with no-new-privileges (`security_opt: [no-new-privileges:true]`,
 * `allowPrivilegeEscalation: false`). The flag only stops gaining privileges on `execve`: a root entrypoint that
 * switches user with gosu, su-exec or setpriv uses its own capabilities and keeps working, and so does a process that
 * stays root; what breaks is a non-root process running sudo, su, or a setuid/file-capability binary (ping with
 * cap_net_raw, fusermount, a browser's setuid sandbox). That cannot be read from an entrypoint script alone (the
 * application may run such a program later), so only these count as evidence that nothing breaks:
 * - a knowledge-base entry for the image itself (not one for a runtime that runs any application): every entry
 *   describes an image whose entrypoint and server gain no privileges through setuid or file-capability binaries;
 * - a run that stayed healthy with the flag (`verified`).
 * A script that runs sudo, su, ping… (see SETUID_PROGRAMS in ./script.ts) while the container runs as a non-root (or
 * unknown) user is evidence that it breaks, and
 * so is an entry's `privilegeGain` (caddy's file capability) when the container does not run as root.
 */
export function privilegeGainNeeds(ev: RuntimeEvidence, input: PrivilegeGainInput): PrivilegeGainNeeds {
  const off = input.optOut ?? '`no-new-privileges:false`';
  const check = `check that no process of it runs sudo, su from a non-root user, or a setuid or file-capability binary (ping, fusermount, a browser's setuid sandbox) after start; if one does, set ${off} explicitly`;
  // Root needs nothing from a setuid bit: only a caller that is (or may be) another user counts.
  const root = ev.user ? ev.user.root === true : input.kb?.runsAsRoot === true && !input.kb.appDependent;
  const gain = root ? undefined : ev.setuidUse[0];
  if (gain) {
    const as = ev.user ? (ev.user.root === false ? `as user \`${ev.user.value}\` (${ev.user.source})` : `as user \`${ev.user.value}\` (${ev.user.source}), which may not be root`) : 'as a user that is not known to be root';
    return {
      none: false,
      because: `${gain.source} runs ${gain.fact.tool} ${as}, which works only through its setuid bit or file capability`,
      check: `with no-new-privileges that command fails; check whether it still runs after start, and if so set ${off} explicitly instead`,
    };
  }
  if (input.verified) return { none: true, because: input.verified };
  const kbGain = input.kb?.privilegeGain;
  const nonRoot = ev.user ? ev.user.root !== true : input.kb?.runsAsRoot === false;
  if (input.kb && kbGain && nonRoot && !input.unknown) {
    return {
      none: false,
      because: `knowledge base entry ${input.kb.name}: ${kbGain}, and it runs ${ev.user ? `as user \`${ev.user.value}\` (${ev.user.source})` : 'as a non-root user'}`,
      check: `with no-new-privileges it cannot bind ports below 1024; check that it listens on higher ports only, or set ${off} explicitly`,
    };
  }
  if (input.kb && !input.kb.appDependent && !input.unknown) {
    return { none: true, because: `knowledge base entry ${input.kb.name}: its entrypoint and server gain no privileges through setuid or file-capability binaries (a switch from root to its own user with gosu, su-exec or setpriv keeps working)` };
  }
  const why = input.unknown ?? (input.kb ? `${input.kb.name} runs whatever application it is given` : 'the image is not in the knowledge base');
  return { none: false, because: `harden has no evidence that it gains no privileges through setuid binaries (${why})`, check };
}
