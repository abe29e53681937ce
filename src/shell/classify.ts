/**
 * Classifying shell commands that download and run code: `curl`/`wget` writing a URL to stdout, a shell reading its
 * script from stdin (`| sh`, `| bash -s -- args`, through `sudo`/`env`), another interpreter reading a program
 * from stdin (`| python3 -`, `| perl`, `| node`, `| ruby`), and a `$(curl …)` substitution whose whole body is one
 * download. Pure functions over the shell syntax tree (./types.ts); add-download-checksum builds its rewrites on
 * them.
 */
import { findAll } from './walk.js';
import type { SimpleCommand, Substitution, Word } from './types.js';

export const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh']);
/** curl options that take a value as the next word. */
const CURL_VALUE = new Set([
  '-H', '--header', '-A', '--user-agent', '-u', '--user', '-x', '--proxy', '-e', '--referer', '-m', '--max-time',
  '--connect-timeout', '--retry', '--retry-delay', '--retry-max-time', '-w', '--write-out', '-d', '--data', '-X',
  '--request', '--proto', '--proto-redir', '--cacert', '--capath', '-E', '--cert', '--key', '-b', '--cookie', '-c',
  '--cookie-jar', '-r', '--range', '-y', '--speed-time', '-Y', '--speed-limit', '--resolve', '--connect-to',
  '--limit-rate', '--max-redirs', '-K', '--config', '--dns-servers', '--interface', '--oauth2-bearer', '--url',
  '--ciphers', '--tls-max', '-z', '--time-cond', '--netrc-file', '--noproxy', '--proxy-user', '-U',
]);
/** wget options that take a value as the next word. */
const WGET_VALUE = new Set(['-o', '--output-file', '-a', '--append-output', '-e', '--execute', '-t', '--tries', '-T', '--timeout', '-U', '--user-agent', '--header', '-P', '--directory-prefix', '--user', '--password', '-w', '--wait', '--ca-certificate', '--certificate', '--private-key']);
/** sudo options that take a value. */
const SUDO_VALUE = new Set(['-u', '--user', '-g', '--group', '-C', '--close-from', '-D', '--chdir', '-h', '--host', '-p', '--prompt', '-r', '--role', '-t', '--type', '-U', '--other-user', '-T', '--command-timeout']);

export interface Download {
  tool: 'curl' | 'wget';
  /** The URL word. */
  urlWord: Word;
  /** How the command is changed to write FILE: curl gets ` -o FILE` after its last word; wget's `-O -` becomes `-O FILE`. */
  output: { kind: 'append'; after: Word } | { kind: 'replace'; word: Word; prefix: string };
}

export function classifyDownload(cmd: SimpleCommand): Download | 'skip' {
  const name = cmd.name?.value?.split('/').pop();
  if (name !== 'curl' && name !== 'wget') return 'skip';
  // Its stdout already goes somewhere else.
  if (cmd.redirects.some((r) => (r.fd === null || r.fd === '1') && /^(>|>>|>\||&>|&>>)$/.test(r.op))) return 'skip';
  const positional: Word[] = [];
  let output: Download['output'] | undefined;
  const args = cmd.args;
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const v = w.value;
    if (v === null) {
      positional.push(w);
      continue;
    }
    if (!v.startsWith('-') || v === '-') {
      positional.push(w);
      continue;
    }
    if (name === 'curl') {
      // `-o -` / `-o-` / `--output -`: stdout, spelled out.
      const toStdout = /^-([a-zA-Z]*)o(-?)$/.exec(v);
      if (toStdout && !toStdout[1]?.includes('O') && (toStdout[2] === '-' || args[i + 1]?.value === '-')) {
        if (toStdout[2] === '-') output = { kind: 'replace', word: w, prefix: `-${toStdout[1] ?? ''}o ` };
        else {
          output = { kind: 'replace', word: args[i + 1] as Word, prefix: '' };
          i++;
        }
        continue;
      }
      if ((v === '--output' && args[i + 1]?.value === '-') || v === '--output=-') {
        if (v === '--output=-') output = { kind: 'replace', word: w, prefix: '--output=' };
        else {
          output = { kind: 'replace', word: args[i + 1] as Word, prefix: '' };
          i++;
        }
        continue;
      }
      // Writes to a file already (-o, -O, combined short flags with either, --output, --remote-name…).
      if (/^-[a-zA-Z]+$/.test(v) && /[oO]/.test(v)) return 'skip';
      if (/^--(output|remote-name|remote-header-name)/.test(v)) return 'skip';
      if (CURL_VALUE.has(v)) i++;
      continue;
    }
    // wget
    const m = /^-([a-zA-Z]*)O(-?)$/.exec(v);
    if (m) {
      if (m[2] === '-') output = { kind: 'replace', word: w, prefix: `-${m[1] ?? ''}O ` };
      else {
        const next = args[i + 1];
        if (next?.value !== '-') return 'skip';
        output = { kind: 'replace', word: next, prefix: '' };
        i++;
      }
      continue;
    }
    if (v === '--output-document=-' || v === '-O=-') {
      output = { kind: 'replace', word: w, prefix: `${v.slice(0, -1)}` };
      continue;
    }
    if (v === '--output-document') {
      const next = args[i + 1];
      if (next?.value !== '-') return 'skip';
      output = { kind: 'replace', word: next, prefix: '' };
      i++;
      continue;
    }
    if (v.startsWith('--output-document=')) return 'skip';
    if (WGET_VALUE.has(v)) i++;
  }
  if (positional.length !== 1) return 'skip';
  const urlWord = positional[0] as Word;
  if (name === 'curl') return { tool: 'curl', urlWord, output: output ?? { kind: 'append', after: args[args.length - 1] as Word } };
  if (!output) return 'skip';
  return { tool: 'wget', urlWord, output };
}

export interface ShellRun {
  /** The shell's name ('bash'). */
  shell: string;
  /** The first word of the command (`sudo` or the shell): the rewrite starts there. */
  firstWord: Word;
  /** Its rewritten argument list, the script file inserted where the shell reads the script. */
  rebuild(file: string): string;
  lastWord: Word;
  /** Why the run cannot be rewritten (an interpreter given options or arguments besides the script from stdin). */
  manual?: string;
}

export const baseName = (w: Word | undefined) => w?.value?.split('/').pop() ?? null;

/** The command's words and the index of the program run through `sudo [opts] [--]` and `env [-i] [VAR=…]`; null for sudo options with a value. */
export function unwrap(cmd: SimpleCommand): { words: Word[]; i: number } | null {
  const words = [cmd.name, ...cmd.args].filter((w): w is Word => w !== null);
  let i = 0;
  if (baseName(words[0]) === 'sudo') {
    i = 1;
    while (i < words.length && words[i]?.value?.startsWith('-')) {
      const v = words[i]?.value as string;
      if (v === '--') {
        i++;
        break;
      }
      if (SUDO_VALUE.has(v)) return null;
      i++;
    }
  }
  if (baseName(words[i]) === 'env') {
    i++;
    while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]?.raw ?? '') || words[i]?.value === '-i')) i++;
  }
  return { words, i };
}

/** The program a command runs (after sudo/env/assignments, see unwrap), its base name and its arguments. */
export function program(cmd: SimpleCommand): { words: Word[]; i: number; word: Word; name: string; rest: Word[] } | null {
  const u = unwrap(cmd);
  if (!u) return null;
  const word = u.words[u.i];
  const name = baseName(word);
  if (!word || name === null) return null;
  return { ...u, word, name, rest: u.words.slice(u.i + 1) };
}

/**
 * A shell's options, read up to `--`, `-`/`/dev/stdin` (`dash`, stdin) or the first operand: letter clusters (`-eux`),
 * `-o name` / `+o name`, and other `-x`/`+x` words, kept as written in `opts`, except that `letter` ('s': the script
 * comes from stdin; 'c': it is the next word) is taken out of its cluster and reported. `j` is the index in `rest` of
 * the first word after them. Null when an option's value cannot be read. Serves classifyShell and the `sh -c "$(curl …)"`
 * classifier of add-download-checksum.
 */
export function shellOptions(rest: readonly Word[], letter: 's' | 'c'): { opts: string[]; j: number; letter: boolean; dash: boolean; lettersSeen: string } | null {
  const opts: string[] = [];
  let saw = false;
  let dash = false;
  let lettersSeen = '';
  let j = 0;
  for (; j < rest.length; j++) {
    const w = rest[j] as Word;
    const v = w.value;
    if (v === null) break;
    if (letter === 's' && (v === '-' || v === '/dev/stdin')) {
      dash = true;
      j++;
      break;
    }
    if (v === '--') {
      j++;
      break;
    }
    if (/^-[a-zA-Z]+$/.test(v)) {
      lettersSeen += v.slice(1);
      if (v.includes(letter)) {
        saw = true;
        const without = v.split(letter).join('');
        if (without !== '-') opts.push(without);
      } else opts.push(w.raw);
      continue;
    }
    if (/^[-+]o$/.test(v)) {
      const next = rest[j + 1];
      if (!next || next.value === null) return null;
      opts.push(w.raw, next.raw);
      j++;
      continue;
    }
    if (v.startsWith('-') || v.startsWith('+')) {
      opts.push(w.raw);
      continue;
    }
    break;
  }
  return { opts, j, letter: saw, dash, lettersSeen };
}

export function classifyShell(cmd: SimpleCommand): ShellRun | null {
  const p = program(cmd);
  if (!p || !SHELLS.has(p.name)) return null;
  const { words, i, word: shellWord, name: sh, rest } = p;
  const walked = shellOptions(rest, 's');
  if (!walked || walked.lettersSeen.includes('c')) return null; // `sh -c 'string'` does not read stdin
  const { opts, j } = walked;
  const stdin = walked.letter || walked.dash;
  const scriptArgs = rest.slice(j);
  // Without -s or `-`, a shell given an argument runs that file, not what the pipe sends.
  if (!stdin && scriptArgs.length > 0) return null;
  const prefix = words.slice(0, i).map((w) => w.raw);
  const lastWord = words[words.length - 1] as Word;
  return {
    shell: sh,
    firstWord: words[0] as Word,
    lastWord,
    rebuild: (file) => [...prefix, shellWord.raw, ...opts, file, ...scriptArgs.map((w) => w.raw)].join(' '),
  };
}

export type InterpreterKind = 'python' | 'perl' | 'node' | 'ruby';

/** Which interpreter a command name is: `python`, `python3`, `python3.12` are all python (the path is already gone). */
export function interpreterKind(name: string | null): InterpreterKind | undefined {
  if (name === null) return undefined;
  if (/^python(?:\d+(?:\.\d+)?)?$/.test(name)) return 'python';
  return name === 'perl' || name === 'node' || name === 'ruby' ? name : undefined;
}

/**
 * Interpreters other than shells that run a script read from stdin, and the options that make them run code given on
 * the command line instead (then what the pipe sends is the code's input, not code).
 */
export const INTERPRETERS: Record<InterpreterKind, (opt: string) => boolean> = {
  python: (o) => /^-[a-zA-Z]*[cm]/.test(o),
  perl: (o) => /^-[a-zA-Z]*[eE]/.test(o),
  ruby: (o) => /^-[a-zA-Z]*e/.test(o),
  node: (o) => /^-[a-zA-Z]*[ep][a-zA-Z]*$/.test(o) || /^--(eval|print)(=|$)/.test(o),
};

/**
 * `| python3 -`, `| python3`, `| sudo perl` …: runs what the pipe sends. A rewrite only without other options or
 * arguments (manual otherwise); null when it runs inline code (`-c`, `-e`) or a script file, reading the download as data.
 */
export function classifyInterpreter(cmd: SimpleCommand): ShellRun | null {
  const p = program(cmd);
  const kind = p ? interpreterKind(p.name) : null;
  if (!p || !kind) return null;
  const { words, i, word, name } = p;
  const inline = INTERPRETERS[kind];
  const rest = p.rest;
  let stdin = false;
  const extra: Word[] = [];
  for (const w of rest) {
    const v = w.value;
    if (stdin) extra.push(w);
    else if (v === '-' || v === '/dev/stdin') stdin = true;
    else if (v !== null && v.startsWith('-')) {
      if (inline(v)) return null;
      extra.push(w);
    } else return null; // a script file (or a variable that may name one): the download is its input
  }
  const run: ShellRun = {
    shell: name,
    firstWord: words[0] as Word,
    lastWord: words[words.length - 1] as Word,
    rebuild: (file) => [...words.slice(0, i).map((w) => w.raw), word.raw, file].join(' '),
  };
  if (extra.length) {
    run.manual = `${name} is given ${extra.map((w) => w.raw).join(' ')} besides the script it reads from stdin: download the script to a file, check it with sha256sum -c, then run it with them`;
  }
  return run;
}

/** The download a `$(…)` runs, when its whole body is one curl/wget command writing to stdout. */
export function substDownload(sub: Substitution): { cmd: SimpleCommand; download: Download } | null {
  const [stmt, ...more] = sub.body;
  if (!stmt || more.length || stmt.background || stmt.body.kind !== 'command') return null;
  const download = classifyDownload(stmt.body);
  return download === 'skip' ? null : { cmd: stmt.body, download };
}

/** The download tool named anywhere in a substitution (for findings when the shape is not one harden rewrites). */
export function downloadToolIn(sub: Substitution): 'curl' | 'wget' | null {
  for (const c of findAll(sub, 'command')) {
    const n = baseName(c.name ?? undefined);
    if (n === 'curl' || n === 'wget') return n;
  }
  return null;
}
