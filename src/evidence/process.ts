/**
 * Which process a container starts, from the image config (Entrypoint, Cmd, Env PATH, WorkingDir) and the run's own
 * overrides (compose `entrypoint:`/`command:`, `docker run --entrypoint … image args`, a pod's `command`/`args`), and
 * which of its parts are shell scripts harden can read: `sh -c '…'` texts, and the script file the entrypoint names
 * (to be read from the image's layers with an `image-file` lookup).
 *
 * Rules, as the engines apply them: an `entrypoint` override replaces the image's Entrypoint and drops its Cmd; a
 * `command` override replaces Cmd only. Init wrappers (tini, dumb-init, catatonit) and `--` are looked through.
 */
import type { KeyOf } from '../engine/lookups.js';
import type { ImageConfigAnswer } from '../engine/types.js';

export interface ProcessOverrides {
  /** The run's entrypoint override, as an argv (compose's string form split with `splitCommand`). */
  entrypoint?: readonly string[];
  /** The run's command override, as an argv. */
  command?: readonly string[];
}

export interface StartedProcess {
  argv: readonly string[];
  /** Where each half came from, for messages: "the image's Entrypoint", "the service's `command:`". */
  entrypointFrom: 'image' | 'override' | 'none';
  cmdFrom: 'image' | 'override' | 'none';
}

const INIT_WRAPPERS = new Set(['tini', 'tini-static', 'dumb-init', 'catatonit', 'docker-init']);
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh']);
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** The argv a container runs: overrides over the image config's Entrypoint and Cmd. */
export function startedProcess(cfg: ImageConfigAnswer | undefined, o: ProcessOverrides = {}): StartedProcess {
  const ep = o.entrypoint ?? cfg?.entrypoint ?? [];
  const cmd = o.command ?? (o.entrypoint !== undefined ? [] : (cfg?.cmd ?? []));
  return {
    argv: [...ep, ...cmd],
    entrypointFrom: o.entrypoint !== undefined ? 'override' : cfg?.entrypoint?.length ? 'image' : 'none',
    cmdFrom: o.command !== undefined ? 'override' : o.entrypoint === undefined && cfg?.cmd?.length ? 'image' : 'none',
  };
}

/** The argv without leading init wrappers (`tini -g --`, `dumb-init --single-child`). */
export function withoutInit(argv: readonly string[]): string[] {
  let i = 0;
  while (i < argv.length && INIT_WRAPPERS.has(base(argv[i] as string))) {
    i++;
    while (i < argv.length && (argv[i] as string).startsWith('-')) {
      if (argv[i] === '--') {
        i++;
        break;
      }
      i++;
    }
  }
  return argv.slice(i);
}

/** `sh -c 'script'` anywhere in the argv (also after `gosu user`): the script texts. */
export function inlineScripts(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (!SHELLS.has(base(argv[i] as string))) continue;
    let j = i + 1;
    while (j < argv.length && /^-[a-z]*$/.test(argv[j] as string) && !(argv[j] as string).includes('c')) j++;
    if (/^-[a-z]*c[a-z]*$/.test(argv[j] ?? '') && argv[j + 1] !== undefined) out.push(argv[j + 1] as string);
  }
  return out;
}

/**
 * The script file the process starts with, if its first program is not a shell given `-c` or a bare name harden
 * cannot read: `/docker-entrypoint.sh`, `docker-entrypoint.sh` (looked up in the image's PATH), `sh /init.sh`. Returns
 * the candidate absolute paths, in PATH order, and the name as written.
 */
export function entrypointFile(argv: readonly string[], cfg: ImageConfigAnswer | undefined): { name: string; paths: string[] } | undefined {
  const a = withoutInit(argv);
  let first = a[0];
  if (first === undefined || first.includes('$')) return undefined;
  if (SHELLS.has(base(first))) {
    const next = a[1];
    if (next === undefined || next.startsWith('-')) return undefined; // `sh -c …` (inline) or `sh -eu …`
    first = next;
  }
  if (first.startsWith('/')) return { name: first, paths: [first] };
  if (first.includes('/')) {
    const wd = cfg?.workingDir && cfg.workingDir !== '' ? cfg.workingDir : '/';
    const joined = `${wd.replace(/\/+$/, '')}/${first.replace(/^\.\//, '')}`;
    return { name: first, paths: [joined] };
  }
  const pathEnv = cfg?.env?.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const dirs = pathEnv.split(':').filter((d) => d.startsWith('/'));
  return { name: first, paths: dirs.map((d) => `${d.replace(/\/+$/, '')}/${first}`) };
}

/** The `image-file` lookup reading an entrypoint file from an image's layers. */
export function entrypointFileKey(ref: string, platform: string | undefined, paths: readonly string[]): KeyOf<'image-file'> {
  return { kind: 'image-file', ref, ...(platform ? { platform } : {}), paths: [...paths] };
}

/**
 * Compose's split of a string `command:`/`entrypoint:` (shell-like words: quotes and backslashes, no expansion), as
 * `docker compose` does with shlex. Undefined when a quote is not closed.
 */
export function splitCommand(text: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (q === "'") {
      if (c === "'") q = undefined;
      else cur += c;
      continue;
    }
    if (q === '"') {
      if (c === '"') q = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      q = c;
      has = true;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += c;
  }
  if (q) return undefined;
  if (has || cur !== '') out.push(cur);
  return out;
}
