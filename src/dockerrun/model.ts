/**
 * `docker run` / `podman run` / `docker container run` invocations in the shell snippets of a `shell` file, as a model
 * codemods can read and edit: the flags in the user's order (with their arity: `--flag=value`, `--flag value`, `-e X`,
 * `-eX`, combined `-it`, `-dp 80:80`), the image and the command after it, every part with its range in the snippet.
 *
 * Flags are known by name (docker's and podman's `run` options): an unknown flag makes the command `unknown` (no
 * guess about whether it takes a value, so the image is never misplaced). Wrappers `sudo`, `exec`, `time`, `nohup`,
 * `command` and docker's global options before the subcommand (`--context x`, `-H host`) are looked through.
 * The shell parser must be loaded (loadShell()).
 */
import type { ParsedShell, Range, ShellSnippet } from '../engine/types.js';
import { snippetOffset } from '../engine/shell-hosts.js';
import { tryParseScript, type ShellScript, type SimpleCommand, type Word } from '../shell/index.js';

/** Long options of `docker run` / `podman run` that take no value. */
const BOOLEAN = new Set([
  'detach', 'interactive', 'tty', 'rm', 'privileged', 'read-only', 'init', 'publish-all', 'sig-proxy', 'oom-kill-disable',
  'no-healthcheck', 'quiet', 'help', 'disable-content-trust', 'use-api-socket',
  // podman
  'replace', 'rmi', 'env-host', 'no-hosts', 'read-only-tmpfs', 'http-proxy', 'tls-verify', 'passwd', 'rootfs', 'unsetenv-all',
]);

/** Long options that take a value. */
const VALUED = new Set([
  'add-host', 'annotation', 'attach', 'blkio-weight', 'blkio-weight-device', 'cap-add', 'cap-drop', 'cgroup-parent', 'cgroupns',
  'cidfile', 'cpu-count', 'cpu-percent', 'cpu-period', 'cpu-quota', 'cpu-rt-period', 'cpu-rt-runtime', 'cpu-shares', 'cpus',
  'cpuset-cpus', 'cpuset-mems', 'detach-keys', 'device', 'device-cgroup-rule', 'device-read-bps', 'device-read-iops',
  'device-write-bps', 'device-write-iops', 'dns', 'dns-opt', 'dns-option', 'dns-search', 'domainname', 'entrypoint', 'env',
  'env-file', 'expose', 'gpus', 'group-add', 'health-cmd', 'health-interval', 'health-retries', 'health-start-interval',
  'health-start-period', 'health-timeout', 'hostname', 'io-maxbandwidth', 'io-maxiops', 'ip', 'ip6', 'ipc', 'isolation',
  'kernel-memory', 'label', 'label-file', 'link', 'link-local-ip', 'log-driver', 'log-opt', 'mac-address', 'memory',
  'memory-reservation', 'memory-swap', 'memory-swappiness', 'mount', 'name', 'network', 'net', 'network-alias', 'net-alias',
  'oom-score-adj', 'pid', 'pids-limit', 'platform', 'publish', 'pull', 'restart', 'runtime', 'security-opt', 'shm-size',
  'stop-signal', 'stop-timeout', 'storage-opt', 'sysctl', 'tmpfs', 'ulimit', 'user', 'userns', 'uts', 'volume',
  'volume-driver', 'volumes-from', 'workdir',
  // podman
  'arch', 'os', 'variant', 'cgroup-conf', 'cgroups', 'chrootdirs', 'conmon-pidfile', 'decryption-key', 'env-merge', 'gidmap',
  'group-entry', 'health-on-failure', 'health-startup-cmd', 'health-startup-interval', 'health-startup-retries',
  'health-startup-success', 'health-startup-timeout', 'hostuser', 'image-volume', 'init-path', 'passwd-entry', 'personality',
  'pod', 'pod-id-file', 'preserve-fds', 'rdt-class', 'requires', 'retry', 'retry-delay', 'sdnotify', 'seccomp-policy',
  'secret', 'subgidname', 'subuidname', 'systemd', 'timeout', 'tz', 'uidmap', 'umask', 'unsetenv', 'shm-size-systemd',
]);

const SHORT_BOOLEAN: Record<string, string> = { d: 'detach', i: 'interactive', t: 'tty', P: 'publish-all', q: 'quiet' };
const SHORT_VALUED: Record<string, string> = {
  a: 'attach', c: 'cpu-shares', e: 'env', h: 'hostname', l: 'label', m: 'memory', p: 'publish', u: 'user', v: 'volume', w: 'workdir',
};

/** docker's / podman's global options that take a value (before `run`). */
const GLOBAL_VALUED = new Set([
  '-c', '--context', '-H', '--host', '-l', '--log-level', '--config', '--tlscacert', '--tlscert', '--tlskey',
  '--connection', '--url', '--root', '--runroot', '--storage-driver', '--cgroup-manager', '--identity', '--module',
]);
const WRAPPERS = new Set(['sudo', 'exec', 'time', 'nohup', 'command']);

export interface RunValue {
  /** As written (quotes included). */
  raw: string;
  /** After quote removal; null when it expands something (variables, substitutions). */
  text: string | null;
  /** Snippet range of the value as written. */
  range: Range;
  /** The range is the whole word, flag included (an attached value in a quoted word: `"-eA=1"`). */
  inWord?: boolean;
}

export interface RunFlag {
  /** Canonical long name without dashes: `env` for `-e`, `tty` for the `t` of `-it`. */
  name: string;
  /** As written: `-e`, `--env`, `-it`. */
  spelled: string;
  value?: RunValue;
  /** Snippet range of the flag and its value (the whole word for combined short flags). */
  range: Range;
}

export interface DockerRun {
  file: ParsedShell;
  snippet: ShellSnippet;
  tool: 'docker' | 'podman';
  command: SimpleCommand;
  /** Offset of the parsed text in the snippet (the snippet, or one line of it when the whole does not parse). */
  base: number;
  flags: RunFlag[];
  image: RunValue;
  /** Words after the image (the command and its arguments). */
  args: RunValue[];
  /** `docker` … end of the last word, in the snippet. */
  range: Range;
}

export type RunRead = { run: DockerRun } | { unknown: string; file: ParsedShell; snippet: ShellSnippet; range: Range };

const valueOf = (w: Word, base: number): RunValue => ({ raw: w.raw, text: w.value, range: { start: base + w.range.start, end: base + w.range.end } });

/** A part of a word (an attached value `-eX=1`, `--env=X=1`): literal only when the part is plain text. */
function partOf(w: Word, from: number, base: number): RunValue {
  const raw = w.raw.slice(from);
  const plain = w.value !== null && w.value === w.raw ? raw : unquoteSimple(raw);
  return { raw, text: plain, range: { start: base + w.range.start + from, end: base + w.range.end } };
}

/** Quote removal for a word part without expansions: plain, or wholly in '…' / "…" (no `$`, `` ` ``, `\`). */
function unquoteSimple(raw: string): string | null {
  if (/^[^'"\\$`]*$/.test(raw)) return raw;
  const m = /^'([^']*)'$/.exec(raw) ?? /^"([^"\\$`]*)"$/.exec(raw);
  return m ? (m[1] as string) : null;
}

/** The `run` invocation a simple command is, if any. */
function readCommand(file: ParsedShell, snippet: ShellSnippet, cmd: SimpleCommand, base: number): RunRead | undefined {
  const words = [cmd.name, ...cmd.args].filter((w): w is Word => w !== null);
  let i = 0;
  while (i < words.length && WRAPPERS.has(words[i]?.value ?? '')) {
    i++;
    while (i < words.length && /^-[A-Za-z]+$/.test(words[i]?.value ?? '')) i++; // `sudo -E`, `time -p`
  }
  const tool = words[i]?.value;
  if (tool !== 'docker' && tool !== 'podman') return undefined;
  const start = base + (words[i] as Word).range.start;
  i++;
  while (i < words.length) {
    const v = words[i]?.value ?? '';
    if (GLOBAL_VALUED.has(v)) i += 2;
    else if (/^--?[A-Za-z]/.test(v) && (v.includes('=') || ['-D', '--debug', '--tls', '--tlsverify', '--remote', '-r'].includes(v))) i++;
    else break;
  }
  if (words[i]?.value === 'container') i++;
  if (words[i]?.value !== 'run') return undefined;
  i++;
  const last = words[words.length - 1] as Word;
  const range = { start, end: base + last.range.end };
  const unknown = (why: string): RunRead => ({ unknown: why, file, snippet, range });
  const flags: RunFlag[] = [];
  for (; i < words.length; i++) {
    const w = words[i] as Word;
    const raw = w.value;
    if (raw === null) {
      if (/^-/.test(w.raw)) return unknown(`the flag \`${w.raw}\` is not literal`);
      break; // the image, as a variable
    }
    if (raw === '--') {
      i++;
      break;
    }
    if (!raw.startsWith('-') || raw === '-') break;
    const wr = { start: base + w.range.start, end: base + w.range.end };
    if (raw.startsWith('--')) {
      const eq = raw.indexOf('=');
      const name = raw.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) {
        if (!BOOLEAN.has(name) && !VALUED.has(name)) return unknown(`\`--${name}\` is not a known \`run\` option`);
        const rawEq = w.raw.indexOf('=');
        flags.push({ name, spelled: `--${name}`, value: rawEq >= 0 ? partOf(w, rawEq + 1, base) : { raw: raw.slice(eq + 1), text: raw.slice(eq + 1), range: wr }, range: wr });
        continue;
      }
      if (BOOLEAN.has(name)) {
        flags.push({ name, spelled: raw, range: wr });
        continue;
      }
      if (!VALUED.has(name)) return unknown(`\`--${name}\` is not a known \`run\` option`);
      const next = words[i + 1];
      if (!next) return unknown(`\`--${name}\` has no value`);
      flags.push({ name, spelled: raw, value: valueOf(next, base), range: { start: wr.start, end: base + next.range.end } });
      i++;
      continue;
    }
    // Short flags: booleans may be combined; a value flag takes the rest of the word or the next word.
    for (let k = 1; k < raw.length; k++) {
      const c = raw[k] as string;
      if (SHORT_BOOLEAN[c]) {
        flags.push({ name: SHORT_BOOLEAN[c], spelled: raw, range: wr });
        continue;
      }
      const name = SHORT_VALUED[c];
      if (!name) return unknown(`\`-${c}\` is not a known \`run\` option`);
      if (k + 1 < raw.length) {
        const rest = raw.slice(k + 1);
        const value: RunValue = w.value === w.raw
          ? { raw: rest, text: rest, range: { start: wr.start + k + 1, end: wr.end } }
          : { raw: w.raw, text: rest, range: wr, inWord: true };
        flags.push({ name, spelled: `-${c}`, value, range: wr });
      } else {
        const next = words[i + 1];
        if (!next) return unknown(`\`-${c}\` has no value`);
        flags.push({ name, spelled: `-${c}`, value: valueOf(next, base), range: { start: wr.start, end: base + next.range.end } });
        i++;
      }
      break;
    }
  }
  const imageWord = words[i];
  if (!imageWord) return unknown('no image');
  return {
    run: {
      file, snippet, tool, command: cmd, base, flags,
      image: valueOf(imageWord, base),
      args: words.slice(i + 1).map((w) => valueOf(w, base)),
      range,
    },
  };
}

/** Logical lines of a snippet (continuations joined), as [start, end) offsets. */
function logicalLines(text: string): Range[] {
  const out: Range[] = [];
  let s = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || (text[i] === '\n' && text[i - 1] !== '\\')) {
      if (i > s) out.push({ start: s, end: i });
      s = i + 1;
    }
  }
  return out;
}

const LINE_COMMAND = /^[ \t]*(?:(?:sudo|exec|time|nohup|command)(?:[ \t]+-\S+)*[ \t]+)*(?:docker|podman)[ \t]/;

/**
 * The parsed pieces of a snippet: the whole of it, plus any logical line starting with docker/podman that the whole
 * parse did not see as a command of its own. A snippet that does not parse at all (a Markdown block with placeholders)
 * is read line by line, and the error-tolerant grammar can swallow a line into the one before (`cd <repo-root>` takes
 * the next line as its redirection target): reading such lines alone keeps one odd line from hiding the others.
 */
function parsedParts(text: string): { script: ShellScript; base: number }[] {
  const whole = tryParseScript(text);
  const parts = whole ? [{ script: whole, base: 0 }] : [];
  const starts = new Set(whole ? whole.commands.map((c) => c.range.start) : []);
  for (const r of logicalLines(text)) {
    const line = text.slice(r.start, r.end);
    if (!LINE_COMMAND.test(line)) continue;
    const first = r.start + (/^[ \t]*/.exec(line)?.[0].length ?? 0);
    if (starts.has(first)) continue;
    const s = tryParseScript(line);
    if (s) parts.push({ script: s, base: r.start });
  }
  return parts;
}

const cache = new WeakMap<ParsedShell, RunRead[]>();

/** Every `docker run` / `podman run` of a shell file (memoised per parse). */
export function dockerRuns(file: ParsedShell): RunRead[] {
  const hit = cache.get(file);
  if (hit) return hit;
  const out: RunRead[] = [];
  for (const snippet of file.snippets) {
    if (!/\b(?:docker|podman)\b/.test(snippet.text)) continue;
    const parts = parsedParts(snippet.text);
    for (const { script, base } of parts) {
      for (const cmd of script.commands) {
        const r = readCommand(file, snippet, cmd, base);
        if (r) out.push(r);
      }
    }
  }
  cache.set(file, out);
  return out;
}

/** File range of a snippet range. */
export function fileRange(s: ShellSnippet, r: Range): Range {
  return { start: snippetOffset(s, r.start), end: r.end > r.start ? snippetOffset(s, r.end, 'end') : snippetOffset(s, r.start) };
}

/** The flags of a run with this canonical name. */
export function flagsNamed(run: DockerRun, ...names: string[]): RunFlag[] {
  return run.flags.filter((f) => names.includes(f.name));
}

/** A `docker build` / `podman build` / `docker buildx build` / `docker image build` line: what it tags and builds from. */
export interface DockerBuild {
  tags: string[];
  /** `-f`/`--file` as written (relative to where the command runs), if given. */
  dockerfile?: string;
  /** The build context argument. */
  context?: string;
  target?: string;
  /** Literal `--build-arg NAME=value`s. */
  args: Map<string, string>;
}

const BUILD_VALUED = new Set([
  '-t', '--tag', '-f', '--file', '--target', '--build-arg', '--platform', '--label', '--network', '--progress', '--secret',
  '--ssh', '--cache-from', '--cache-to', '-o', '--output', '--iidfile', '--metadata-file', '--add-host', '--builder',
  '--build-context', '--annotation', '--attest', '--sbom', '--provenance', '--shm-size', '--ulimit', '--isolation',
  '--memory', '-m', '--memory-swap', '--cpu-shares', '-c', '--cpuset-cpus', '--cgroup-parent', '--security-opt', '--call',
]);

const buildCache = new WeakMap<ParsedShell, DockerBuild[]>();

/** Every image build of a shell file (memoised per parse). */
export function dockerBuilds(file: ParsedShell): DockerBuild[] {
  const hit = buildCache.get(file);
  if (hit) return hit;
  const out: DockerBuild[] = [];
  for (const snippet of file.snippets) {
    if (!/\b(?:docker|podman)\b/.test(snippet.text) || !/\bbuild\b/.test(snippet.text)) continue;
    for (const { script } of parsedParts(snippet.text)) {
      for (const cmd of script.commands) {
        const words = [cmd.name, ...cmd.args].filter((w): w is Word => w !== null).map((w) => w.value);
        let i = 0;
        while (i < words.length && WRAPPERS.has(words[i] ?? '')) i++;
        if (words[i] !== 'docker' && words[i] !== 'podman') continue;
        i++;
        if (words[i] === 'buildx' || words[i] === 'image') i++;
        if (words[i] !== 'build') continue;
        const b: DockerBuild = { tags: [], args: new Map() };
        for (i++; i < words.length; i++) {
          const w = words[i];
          if (w === null || w === undefined) continue;
          const eq = w.startsWith('--') ? w.indexOf('=') : -1;
          const name = eq > 0 ? w.slice(0, eq) : w;
          const takes = BUILD_VALUED.has(name);
          let v: string | null | undefined;
          if (eq > 0) v = w.slice(eq + 1);
          else if (takes) v = words[++i];
          else if (/^-[tf].+/.test(w)) v = w.slice(2);
          if (!w.startsWith('-')) {
            b.context = w;
            continue;
          }
          if (v === null || v === undefined) continue;
          const n = /^-[tf].+/.test(w) && eq < 0 ? w.slice(0, 2) : name;
          if (n === '-t' || n === '--tag') b.tags.push(v);
          else if (n === '-f' || n === '--file') b.dockerfile = v;
          else if (n === '--target') b.target = v;
          else if (n === '--build-arg' && v.includes('=') && !v.includes('$')) b.args.set(v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1));
        }
        out.push(b);
      }
    }
  }
  buildCache.set(file, out);
  return out;
}
