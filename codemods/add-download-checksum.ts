/**
 * add-download-checksum: remote downloads checked against the SHA-256 of what the URL serves today.
 *
 * - `ADD https://…/f.tgz /dst` → `ADD --checksum=sha256:<hex> https://…/f.tgz /dst` (safe), with a
 *   `# syntax=docker/dockerfile:1` directive added as the first line when the file has none (the flag needs the
 *   docker/dockerfile 1.6 frontend or later); a pinned older or unknown frontend is reported instead.
 * - `curl -fsSL URL | sh` / `wget -qO- URL | bash -s -- args` in RUN → download to a file, `sha256sum -c`, then run the
 *   file with the same shell and arguments (unsafe: see the docs); the same for `| python3 -`, `| perl`, `| node`,
 *   `| ruby` reading the script from stdin with no other arguments (`python3.12`, `/usr/bin/python3` are python too).
 * - `bash -c "$(curl -fsSL URL)" [$0 args…]` → the same download, check and run; likewise `python3 -c "$(curl …)" args…`,
 *   `perl -e`, `ruby -e`, `node -e`, run as `python3 /tmp/<name> args…`.
 * The SHA-256 comes from a `url-sha256` lookup (downloaded once, hashed while streaming, cached by URL).
 */
import { defineCodemod } from '../src/engine/define.js';
import type { Flag, Instruction } from 'dockerfile-ast';
import { fix, insertAt, replace, withHint } from '../src/engine/edits.js';
import type { Answers, Edit, LookupKey, ParsedDockerfile, Report } from '../src/engine/types.js';
import { frontendAtLeast16, parserDirectives } from '../src/dockerfile/directives.js';
import { commandSites, dockerfileRuns, isLookupFailure, outcome, type ParsedRun } from '../src/dockerfile/package-installs.js';
import type { RunScript } from '../src/dockerfile/run-script.js';
import { toRange } from '../src/dockerfile/stages.js';
import type { UrlSha256Key } from '../src/engine/lookups.js';
import { ancestors, inSubstitution, loadShell, type Pipeline, type SimpleCommand, type Substitution, type Word } from '../src/shell/index.js';
import {
  classifyDownload, classifyInterpreter, classifyShell, downloadToolIn, interpreterKind, program, shellOptions, SHELLS, substDownload,
  type Download, type InterpreterKind, type ShellRun,
} from '../src/shell/classify.js';

const DEFAULT_FRONTEND = 'docker/dockerfile:1';
const HTTP_URL = /^https?:\/\/[^\s/$]+/i;

const urlKey = (url: string): UrlSha256Key => ({ kind: 'url-sha256', url });
const hex = (sha: string) => sha.replace(/^sha256:/, '');

// ---------------------------------------------------------------------------------------------------------------------
// ADD https://…

interface AddSite {
  ins: Instruction;
  /** Where ` --checksum=…` goes: right after the ADD keyword. */
  anchor: number;
  range: { start: number; end: number };
  url?: string;
  /** Why the ADD gets a finding without a fix. */
  manual?: string;
}

function isGitSource(src: string): boolean {
  return /^git@/i.test(src) || /^git:\/\//i.test(src) || /\.git(?:#.*)?$/i.test(src) || /\.git\/?#/.test(src);
}

function addSites(file: ParsedDockerfile): AddSite[] {
  const out: AddSite[] = [];
  for (const ins of file.ast.getInstructions()) {
    if (ins.getKeyword().toUpperCase() !== 'ADD') continue;
    const flags = (ins as unknown as { getFlags?(): Flag[] }).getFlags?.() ?? [];
    if (flags.some((f) => f.getName().toLowerCase() === 'checksum')) continue;
    const args = ins.getArguments().map((a) => a.getValue());
    if (args.some((a) => /^--checksum(=|$)/i.test(a))) continue;
    const json = (ins as unknown as { getJSONStrings?(): { getJSONValue(): string }[] }).getJSONStrings?.() ?? [];
    const content = ins.getArgumentsContent()?.trim() ?? '';
    const words = json.length && /^(--\S+\s+)*\[/.test(content) ? json.map((j) => j.getJSONValue()) : args.filter((a) => !a.startsWith('--'));
    if (words.length < 2 || words.some((w) => w.startsWith('<<'))) continue;
    const sources = words.slice(0, -1);
    const remote = sources.filter((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !isGitSource(s));
    if (remote.length === 0) continue;
    const kwRange = toRange(file.lineStarts, ins.getInstructionRange());
    const site: AddSite = { ins, anchor: kwRange.end, range: toRange(file.lineStarts, ins.getRange()) };
    const url = remote[0] as string;
    if (sources.length > 1) site.manual = 'ADD --checksum takes one source: split the ADD into one per URL, then harden adds the checksums';
    else if (url.includes('$')) site.manual = `the URL ${url} uses a variable: add --checksum=sha256:… by hand (or compute it where the variable is set)`;
    else if (!HTTP_URL.test(url)) site.manual = `ADD --checksum only verifies http(s) downloads (${url})`;
    else site.url = url;
    out.push(site);
  }
  return out;
}

type FrontendState = { kind: 'ok' } | { kind: 'add'; edit: Edit } | { kind: 'blocked'; reason: string };

function frontendState(file: ParsedDockerfile, options: Readonly<Record<string, unknown>>): FrontendState {
  const syntax = parserDirectives(file.text).find((d) => d.key === 'syntax');
  if (syntax) {
    const s = frontendAtLeast16(syntax.value);
    return s.ok ? { kind: 'ok' } : { kind: 'blocked', reason: s.reason };
  }
  if (options.addSyntax === false) return { kind: 'blocked', reason: 'the file has no # syntax= directive (option addSyntax is off); --checksum needs docker/dockerfile:1.6 or later' };
  const frontend = typeof options.frontend === 'string' && options.frontend.trim() ? options.frontend.trim() : DEFAULT_FRONTEND;
  return { kind: 'add', edit: withHint(insertAt(0, `# syntax=${frontend}${file.eol}`), 'shared', true) };
}

function addReport(file: ParsedDockerfile, site: AddSite, front: FrontendState, answers: Answers): Report | undefined {
  const range = site.range;
  if (site.manual) {
    return { range, severity: 'warning', message: `ADD of a remote file without --checksum: ${site.manual}`, fix: { title: 'add --checksum by hand', safety: 'manual', edits: [] } };
  }
  const url = site.url as string;
  const o = outcome(answers.get(urlKey(url)));
  if (!o) return undefined;
  if ('error' in o) {
    if (isLookupFailure(o.error)) {
      return { range, severity: 'error', message: `ADD ${url}: checksum not added: download failed (${o.error.code}: ${o.error.message})`, data: { lookupFailed: true, code: o.error.code } };
    }
    return { range, severity: 'warning', message: `ADD ${url}: checksum not added: the URL answers not found (${o.error.message})` };
  }
  if (front.kind === 'blocked') {
    return {
      range,
      severity: 'warning',
      message: `ADD ${url} has no --checksum (${o.ok.sha256} today), but ${front.reason}`,
      fix: { title: 'use a docker/dockerfile:1.6+ frontend, then add --checksum', safety: 'manual', edits: [] },
      data: { url, sha256: o.ok.sha256 },
    };
  }
  const edits: Edit[] = [insertAt(site.anchor, ` --checksum=${o.ok.sha256}`)];
  if (front.kind === 'add') edits.push(front.edit);
  return {
    range,
    message: `ADD ${url}: --checksum=${o.ok.sha256} added (${o.ok.size} bytes)${front.kind === 'add' ? `, with a # syntax= directive for it` : ''}`,
    fix: fix('Verify the ADD download with --checksum', 'safe', edits),
    data: { url, sha256: o.ok.sha256, size: o.ok.size },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// curl/wget … | sh

interface PipeSite {
  run: ParsedRun;
  pipeline: Pipeline;
  download: Download;
  shell: ShellRun;
  shellCmd: SimpleCommand;
  /** Literal URL, or undefined when it has variables. */
  url?: string;
  manual?: string;
  /** Preceded by `||` in an and-or list: the replacement is wrapped in `{ …; }`. */
  wrap: boolean;
}

function pipeSites(file: ParsedDockerfile): PipeSite[] {
  const out: PipeSite[] = [];
  for (const run of dockerfileRuns(file).runs) {
    for (const cmd of run.script.commands) {
      const p = cmd.pipeline;
      if (!p || p.index !== 0) continue;
      const last = p.commands[p.length - 1];
      if (!last || last.kind !== 'command') continue;
      const shell = classifyShell(last) ?? classifyInterpreter(last);
      if (!shell) continue;
      const download = classifyDownload(cmd);
      if (download === 'skip') continue;
      const site: PipeSite = { run, pipeline: p.node, download, shell, shellCmd: last, wrap: false };
      const url = download.urlWord.value;
      if (p.length !== 2 || p.node.operators.some((o) => o.op !== '|') || p.node.negated) {
        site.manual = 'the download goes through more than one pipe: download it to a file, check it with sha256sum -c, then run it';
      } else if (ancestors(p.node).some((a) => a.kind === 'substitution')) {
        site.manual = 'it runs inside a command substitution: download the script to a file, check it with sha256sum -c, then run it';
      } else if (last.redirects.length || cmd.redirects.some((r) => r.op === '<' || r.op === '<<' || r.op === '<<<')) {
        site.manual = 'redirections around the pipe: download the script to a file, check it with sha256sum -c, then run it';
      } else if (shell.manual) {
        site.manual = shell.manual;
      } else if (url === null) {
        site.manual = `the URL ${download.urlWord.raw} uses a variable, so its checksum cannot be known here: download to a file and verify it with sha256sum -c against a checksum you set next to the variable`;
      } else if (!HTTP_URL.test(url)) {
        site.manual = `${url} is not an http(s) URL harden can check`;
      } else site.url = url;
      const parent = p.node.parent;
      if (parent?.kind === 'and-or') {
        const idx = parent.items.indexOf(p.node);
        if (idx > 0 && parent.operators[idx - 1]?.op === '||') site.wrap = true;
      }
      out.push(site);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// bash -c "$(curl …)"

interface SubstSite {
  run: ParsedRun;
  /** The `bash -c …` command. */
  cmd: SimpleCommand;
  shell: string;
  /** The option that takes the program, for messages: `-c` (shells, python), `-e` (perl, ruby, node) or `--eval`. */
  flag?: string;
  /** `$(…)` or `` `…` ``, for messages. */
  backquoted: boolean;
  /** The download inside the substitution, when it is the whole script string. */
  download?: Download;
  downloadCmd?: SimpleCommand;
  tool: 'curl' | 'wget';
  /** The shell command that runs the file (assignments, sudo/env prefix, shell, options, arguments after $0). */
  rebuild(file: string): string;
  url?: string;
  manual?: string;
  /** Preceded by `||` in an and-or list: the replacement is wrapped in `{ …; }`. */
  wrap: boolean;
}

function classifyShellC(cmd: SimpleCommand, run: ParsedRun): SubstSite | null {
  const p = program(cmd);
  if (!p || !SHELLS.has(p.name)) return null;
  const { words, i, word: shellWord, name: sh, rest } = p;
  const walked = shellOptions(rest, 'c');
  if (!walked) return null;
  const { opts, j, letter: sawC } = walked;
  const scriptWord = rest[j];
  if (!sawC || !scriptWord || scriptWord.substitutions.length === 0) return null;
  const script = run.rs.script;
  const subs = scriptWord.substitutions;
  const sub = subs[0] as Substitution;
  const found = subs.length === 1 ? substDownload(sub) : null;
  const tool = found?.download.tool ?? subs.map(downloadToolIn).find((t) => t !== null);
  if (!tool) return null;
  // After the script string: $0, then the script's arguments (kept; $0 becomes the file's name).
  const args = rest.slice(j + 2).map((w) => w.raw);
  const assigns = cmd.assigns.map((a) => script.slice(a.range.start, a.range.end));
  const site: SubstSite = {
    run,
    cmd,
    shell: sh,
    tool,
    backquoted: script[sub.range.start] === '`',
    wrap: false,
    rebuild: (file) => [...assigns, ...words.slice(0, i).map((w) => w.raw), shellWord.raw, ...opts, file, ...args].join(' '),
  };
  return checkSubst(site, scriptWord, sub, found);
}

/**
 * Whether the `-c` string is exactly one quoted `"$(download)"` the rewrite can replace: sets `site.manual` when not (or
 * `extra`, why the interpreter's arguments do not carry over to a file), else the download and its URL; and `wrap`.
 */
function checkSubst(site: SubstSite, scriptWord: Word, sub: Substitution, found: { cmd: SimpleCommand; download: Download } | null, extra?: string): SubstSite {
  const cmd = site.cmd;
  const script = site.run.rs.script;
  const subText = script.slice(sub.range.start, sub.range.end);
  const p = cmd.pipeline;
  if (!found) {
    site.manual = 'the script string does more than download: download the script to a file, check it with sha256sum -c, then run it';
  } else if (scriptWord.raw !== `"${subText}"`) {
    site.manual =
      scriptWord.raw === subText
        ? `the unquoted $(…) is split into words before ${site.flag ? site.shell : 'the shell'} sees it: download the script to a file, check it with sha256sum -c, then run it`
        : 'the script string holds more than the download: download the script to a file, check it with sha256sum -c, then run it';
  } else if (subText.startsWith('`') && subText.includes('\\')) {
    site.manual = 'backslashes inside `…` are unquoted first: download the script to a file, check it with sha256sum -c, then run it';
  } else if (p || (cmd.parent?.kind === 'pipeline' && cmd.parent.negated)) {
    site.manual = 'it is part of a pipeline: download the script to a file, check it with sha256sum -c, then run it';
  } else if (inSubstitution(cmd)) {
    site.manual = 'it runs inside a command substitution: download the script to a file, check it with sha256sum -c, then run it';
  } else if (cmd.redirects.length || found.cmd.redirects.some((r) => r.op === '<' || r.op === '<<' || r.op === '<<<')) {
    site.manual = 'redirections around the command: download the script to a file, check it with sha256sum -c, then run it';
  } else if (extra) {
    site.manual = extra;
  } else {
    site.download = found.download;
    site.downloadCmd = found.cmd;
    const url = found.download.urlWord.value;
    if (url === null) {
      site.manual = `the URL ${found.download.urlWord.raw} uses a variable, so its checksum cannot be known here: download to a file and verify it with sha256sum -c against a checksum you set next to the variable`;
    } else if (!HTTP_URL.test(url)) {
      site.manual = `${url} is not an http(s) URL harden can check`;
    } else site.url = url;
  }
  const parent = cmd.parent;
  if (parent?.kind === 'and-or') {
    const idx = parent.items.indexOf(cmd);
    if (idx > 0 && parent.operators[idx - 1]?.op === '||') site.wrap = true;
  }
  return site;
}

/**
 * How each interpreter takes its program on the command line: the option letter (`-c`, `-e`, or `--eval` for node),
 * the option letters that can stand before it and mean the same for a script file, the options that take the next word
 * as their value, the long options kept, and what becomes of the arguments after the program: python keeps them as
 * they are (sys.argv[1:] either way); perl and ruby keep reading options until the first argument that is not one
 * (a file stops them), so only arguments that cannot be taken for one carry over; node puts them at process.argv[1]
 * for `-e` but process.argv[2] after a file, so none do.
 */
const INLINE: Record<InterpreterKind, { prog: string; flags: RegExp; valued: ReadonlySet<string>; long?: RegExp; args: 'keep' | 'no-options' | 'none' }> = {
  python: { prog: 'c', flags: /^[bBdEiIOqsSuv]*$/, valued: new Set(['-W', '-X']), args: 'keep' },
  perl: { prog: 'e', flags: /^[aclnpsStTuUwWX]*$/, valued: new Set(), args: 'no-options' },
  ruby: { prog: 'e', flags: /^[acdlnpsvw]*$/, valued: new Set(['-r', '-I']), args: 'no-options' },
  node: { prog: 'e', flags: /^$/, valued: new Set(['-r', '--require', '--import']), long: /^--(?!eval\b|print\b|input-type\b)[a-z][a-z0-9-]*(=\S*)?$/, args: 'none' },
};

/** `python3 -c "$(curl …)" args`, `perl -e "$(wget -qO- …)"`, `node -e …`, `ruby -e …`: the program is the download. */
function classifyInterpreterC(cmd: SimpleCommand, run: ParsedRun): SubstSite | null {
  const p = program(cmd);
  const kind = p ? interpreterKind(p.name) : null;
  if (!p || !kind) return null;
  const { words, i, word, name } = p;
  const spec = INLINE[kind];
  const rest = p.rest;
  const opts: string[] = [];
  let flag: string | undefined;
  let j = 0;
  for (; j < rest.length && !flag; j++) {
    const w = rest[j] as Word;
    const v = w.value;
    if (v === null) return null;
    const letters = /^-([a-zA-Z]+)$/.exec(v)?.[1];
    if (letters !== undefined) {
      const before = letters.slice(0, -1);
      if (letters.endsWith(spec.prog) && spec.flags.test(before)) {
        if (before) opts.push(`-${before}`);
        flag = `-${spec.prog}`;
        continue;
      }
      if (spec.flags.test(letters)) {
        opts.push(w.raw);
        continue;
      }
    }
    if (kind === 'node' && v === '--eval') {
      flag = v;
      continue;
    }
    if (spec.valued.has(v)) {
      const next = rest[j + 1];
      if (!next) return null;
      opts.push(w.raw, next.raw);
      j++;
      continue;
    }
    if (spec.long?.test(v)) {
      opts.push(w.raw);
      continue;
    }
    return null; // another option, or a script file: the program is not given on the command line
  }
  const progWord = rest[j];
  if (!flag || !progWord || progWord.substitutions.length === 0) return null;
  const script = run.rs.script;
  const subs = progWord.substitutions;
  const sub = subs[0] as Substitution;
  const found = subs.length === 1 ? substDownload(sub) : null;
  const tool = found?.download.tool ?? subs.map(downloadToolIn).find((t) => t !== null);
  if (!tool) return null;
  let args = rest.slice(j + 1);
  let extra: string | undefined;
  const first = args[0];
  if (first && spec.args === 'none') {
    extra = `${name} ${flag} gives its arguments to the program at process.argv[1], a script file gets them at process.argv[2]: download the script to a file, check it with sha256sum -c, then run it with them`;
  } else if (first && spec.args === 'no-options') {
    if (first.value === '--') args = args.slice(1);
    else if (first.value === null || first.value.startsWith('-')) {
      extra = `${name} reads ${first.raw} after the program as one of its own options, a script file would get it as an argument: download the script to a file, check it with sha256sum -c, then run it`;
    }
  }
  const assigns = cmd.assigns.map((a) => script.slice(a.range.start, a.range.end));
  const site: SubstSite = {
    run,
    cmd,
    shell: name,
    flag,
    tool,
    backquoted: script[sub.range.start] === '`',
    wrap: false,
    rebuild: (file) => [...assigns, ...words.slice(0, i).map((w) => w.raw), word.raw, ...opts, file, ...args.map((w) => w.raw)].join(' '),
  };
  return checkSubst(site, progWord, sub, found, extra);
}

function substSites(file: ParsedDockerfile): SubstSite[] {
  return commandSites(file, (cmd, run) => classifyShellC(cmd, run) ?? classifyInterpreterC(cmd, run));
}

function substReport(site: SubstSite, file: string, answers: Answers): Report | undefined {
  const rs: RunScript = site.run.rs;
  const range = rs.toFileRange(site.cmd.range);
  const flag = site.flag ?? '-c';
  const what = site.backquoted ? `${site.shell} ${flag} "\`${site.tool} …\`"` : `${site.shell} ${flag} "$(${site.tool} …)"`;
  if (site.manual) {
    return { range, severity: 'warning', message: `${what} runs whatever the server sends: ${site.manual}`, fix: { title: 'download, verify with sha256sum -c, then run', safety: 'manual', edits: [] } };
  }
  const url = site.url as string;
  const d = site.download as Download;
  const dl = site.downloadCmd as SimpleCommand;
  const o = outcome(answers.get(urlKey(url)));
  if (!o) return undefined;
  if ('error' in o) {
    if (isLookupFailure(o.error)) {
      return { range, severity: 'error', message: `${what} of ${url}: not verified: download failed (${o.error.code}: ${o.error.message})`, data: { lookupFailed: true, code: o.error.code } };
    }
    return { range, severity: 'warning', message: `${what} of ${url}: not verified: the URL answers not found (${o.error.message})` };
  }
  const words = [site.cmd.name, ...site.cmd.args].filter((w): w is Word => w !== null);
  const last = words[words.length - 1] as Word;
  const dlEnd = rs.toFileOffset(dl.range.end, 'end');
  let tail = ` && echo "${hex(o.ok.sha256)}  ${file}" | sha256sum -c - && ${site.rebuild(file)}`;
  const edits: Edit[] = [replace({ start: rs.toFileOffset(site.cmd.range.start), end: rs.toFileOffset(dl.range.start) }, site.wrap ? '{ ' : '')];
  if (d.output.kind === 'append') {
    const at = rs.toFileOffset(d.output.after.range.end, 'end');
    if (at === dlEnd) tail = ` -o ${file}${tail}`;
    else edits.push(insertAt(at, ` -o ${file}`));
  } else edits.push(replace(rs.toFileRange(d.output.word.range), `${d.output.prefix}${file}`));
  edits.push(replace({ start: dlEnd, end: rs.toFileOffset(last.range.end, 'end') }, `${tail}${site.wrap ? '; }' : ''}`));
  return {
    range,
    message: `${what} of ${url}: downloaded to ${file}, checked against sha256 ${hex(o.ok.sha256)} (today's content), then run`,
    fix: fix('Download, verify with sha256sum -c, then run', 'unsafe', edits),
    data: { url, sha256: o.ok.sha256, size: o.ok.size, file },
  };
}

/** The file name when the URL has no usable last path segment, by what runs it. */
const FALLBACK_NAMES: Record<InterpreterKind, string> = { python: 'install.py', perl: 'install.pl', node: 'install.js', ruby: 'install.rb' };

/** A file name under /tmp from the URL's last path segment, unique within the RUN. */
function scriptFile(url: string, taken: Set<string>, runner: string): string {
  const kind = interpreterKind(runner);
  let name = kind ? FALLBACK_NAMES[kind] : 'install.sh';
  try {
    const seg = new URL(url).pathname.split('/').filter(Boolean).pop() ?? '';
    if (/^[A-Za-z0-9._-]+$/.test(seg) && !/^\.+$/.test(seg)) name = seg;
  } catch {
    // keep the default
  }
  let file = `/tmp/${name}`;
  for (let n = 2; taken.has(file); n++) file = `/tmp/${n}-${name}`;
  taken.add(file);
  return file;
}

function pipeReport(site: PipeSite, file: string, answers: Answers): Report | undefined {
  const rs: RunScript = site.run.rs;
  const range = rs.toFileRange(site.pipeline.range);
  const what = `${site.download.tool} | ${site.shell.shell}`;
  if (site.manual) {
    return { range, severity: 'warning', message: `${what} runs whatever the server sends: ${site.manual}`, fix: { title: 'download, verify with sha256sum -c, then run', safety: 'manual', edits: [] } };
  }
  const url = site.url as string;
  const o = outcome(answers.get(urlKey(url)));
  if (!o) return undefined;
  if ('error' in o) {
    if (isLookupFailure(o.error)) {
      return { range, severity: 'error', message: `${what} of ${url}: not verified: download failed (${o.error.code}: ${o.error.message})`, data: { lookupFailed: true, code: o.error.code } };
    }
    return { range, severity: 'warning', message: `${what} of ${url}: not verified: the URL answers not found (${o.error.message})` };
  }
  const d = site.download;
  const edits: Edit[] = [];
  if (d.output.kind === 'append') edits.push(insertAt(rs.toFileOffset(d.output.after.range.end, 'end'), ` -o ${file}`));
  else edits.push(replace(rs.toFileRange(d.output.word.range), `${d.output.prefix}${file}`));
  const op = site.pipeline.operators[0];
  if (!op) return undefined;
  edits.push(replace(rs.toFileRange(op.range), `&& echo "${hex(o.ok.sha256)}  ${file}" | sha256sum -c - &&`));
  edits.push(replace(rs.toFileRange({ start: site.shell.firstWord.range.start, end: site.shell.lastWord.range.end }), site.shell.rebuild(file)));
  if (site.wrap) {
    edits.push(insertAt(rs.toFileOffset(site.pipeline.range.start), '{ '));
    edits.push(insertAt(rs.toFileOffset(site.pipeline.range.end, 'end'), '; }'));
  }
  return {
    range,
    message: `${what} of ${url}: downloaded to ${file}, checked against sha256 ${hex(o.ok.sha256)} (today's content), then run`,
    fix: fix('Download, verify with sha256sum -c, then run', 'unsafe', edits),
    data: { url, sha256: o.ok.sha256, size: o.ok.size, file },
  };
}

export const addDownloadChecksum = defineCodemod({
  id: 'add-download-checksum',
  fileKinds: ['dockerfile'],
  summary: 'Verify remote downloads: `ADD --checksum=sha256:…` for `ADD https://…`, and `curl|wget … | sh` (or `| python3 -`, `bash -c "$(curl …)"`) → download, `sha256sum -c`, run.',
  safety: 'safe',
  severity: 'warning',
  network: true,
  sources: ['hadolint:DL4001', 'seed:001', 'seed:002'],
  securitySeverity: 6.0,
  defaultOptions: { addSyntax: true, frontend: DEFAULT_FRONTEND },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { addSyntax: { type: 'boolean', description: 'Add a `# syntax=` directive when the file has none.' }, frontend: { type: 'string', minLength: 1, description: 'The frontend that directive names: any 1.6-or-later reference (the `1` tag follows every 1.x release, all of which are 1.6 or later now).' } } },
  docs: `## What it does
Pins what a build downloads to the bytes the URL serves today, by SHA-256 (the \`url-sha256\` lookup downloads each URL
once, hashes it while streaming and caches the answer by URL; only https:// is fetched, plus http:// on loopback).

- \`ADD https://…/file /dst\` → \`ADD --checksum=sha256:<hex> https://…/file /dst\`. BuildKit then refuses the build
  when the download differs. \`--checksum\` needs the docker/dockerfile 1.6 frontend or later: when the file has no
  \`# syntax=\` directive, \`# syntax=docker/dockerfile:1\` (option \`frontend\`) is added as the very first line, so it
  stays a parser directive alongside an existing \`# escape=\` or \`# check=\` (directives only count at the very top).
  A directive naming an older frontend (\`docker/dockerfile:1.4\`), a digest-only or a non-Docker frontend is left
  alone and the ADD gets a manual finding with today's checksum.
- \`curl -fsSL URL | sh\`, \`wget -qO- URL | bash -s -- args\` (also \`sudo [-E] bash -\`, \`sh -\`) in RUN →
  \`curl -fsSL URL -o /tmp/<name> && echo "<hex>  /tmp/<name>" | sha256sum -c - && sh /tmp/<name>\`
  (\`wget -qO- URL\` becomes \`wget -qO /tmp/<name> URL\`, \`curl -o- URL\` becomes \`curl -o /tmp/<name> URL\`;
  \`-s\`, \`-\`, \`/dev/stdin\` and \`--\` are dropped and the script's arguments kept). A pipe preceded by \`||\` is wrapped in \`{ …; }\` so the chain means what it meant.
- \`bash -c "$(curl -fsSL URL)"\`, \`sh -c "$(wget -qO- URL)" "" --unattended\` (also backquotes, \`sudo\`/\`env\`, shell
  options such as \`-ec\`) → the same download, \`sha256sum -c\` and \`sh /tmp/<name> --unattended\`: the word after the
  script string (\`$0\`, here \`""\`) is dropped, the arguments after it kept, variables set before the shell
  (\`DEBUG=1 bash -c …\`) stay on the shell.
- Pipes into other interpreters that read the script from stdin: \`| python3 -\`, \`| python3\`, \`| python\`, \`| perl\`,
  \`| node -\`, \`| ruby\` (also \`/dev/stdin\` and \`sudo\`) → \`python3 /tmp/<name>\`, the same way (the file is named
  after the URL, else \`install.py\`/\`.pl\`/\`.js\`/\`.rb\`). Only without other options or arguments
  (\`| python3 - --version 1.8\`, \`| python3 -u\` get a manual finding). Versioned names and paths count as python
  (\`python3.12\`, \`/usr/local/bin/python3.11\`, \`/usr/bin/python3\`). An interpreter that runs code from its command
  line (\`| python3 -c '…json.load(sys.stdin)…'\`, \`| perl -ne …\`, \`| node -e …\`, \`| ruby -e …\`) or a script file
  (\`| python3 parse.py\`) only reads the download as data: left alone.
- Programs given on the interpreter's command line: \`python3 -c "$(curl -fsSL URL)" --version 1.8\` (also \`python\`,
  \`python3.12\`, \`perl -e\`, \`ruby -e\`, \`node -e\`/\`--eval\`, backquotes, \`sudo\`/\`env\`) → the same download,
  \`sha256sum -c\` and \`python3 /tmp/<name> --version 1.8\`: options before the program that mean the same for a file
  (\`python3 -u -c\`, \`perl -w -e\`) stay, the arguments after it are kept (python's \`sys.argv[1:]\` is the same
  either way; only \`sys.argv[0]\` changes from \`-c\` to the file). Manual finding when the arguments would not carry
  over: \`perl -e "$(curl …)" -w\` and \`ruby -e … -x\` (still read as the interpreter's own options; a leading \`--\`
  is dropped instead), \`node -e "$(curl …)" arg\` (\`process.argv\` shifts by one). \`python3 -m …\`, \`perl -E\`,
  \`node -p\` and other options are left alone.
- Manual findings, no fix: URLs with variables (\`ADD https://x/$VERSION/f.tgz\`, \`curl $URL | sh\`,
  \`bash -c "$(curl $URL)"\`, \`python3 -c "$(curl $URL)"\`): the checksum of one value says nothing about the next; ADD with several sources
  (\`--checksum\` takes one); pipes through more than one command or inside \`$(…)\`; redirections around the pipe or the
  shell; a \`-c\` script string that is more than one download (\`"set -e; $(curl …)"\`, \`"$(curl … | tr -d '\\r')"\`),
  an unquoted \`bash -c $(curl …)\` (split into words first), or a \`bash -c "$(curl …)"\` inside a pipeline.
- Left alone: ADD that already has \`--checksum\`, git sources (\`*.git\`, \`git@…\`), local sources, heredocs,
  exec-form RUN.

## Why
A download that is not verified runs (or ships) whatever the server, a mirror or anyone in between sends on the day
of the build (hadolint DL4001, the seeds' "no unverified curl | bash"). A checksum makes the build fail loudly instead.

## Example
\`\`\`dockerfile
FROM debian:bookworm
ADD https://example.com/tool-1.2.tar.gz /opt/
RUN curl -fsSL https://example.com/install.sh | sh -s -- -y
\`\`\`
becomes (with \`--unsafe\` for the RUN)
\`\`\`dockerfile
# syntax=docker/dockerfile:1
FROM debian:bookworm
ADD --checksum=sha256:4f0c… https://example.com/tool-1.2.tar.gz /opt/
RUN curl -fsSL https://example.com/install.sh -o /tmp/install.sh && echo "9a1e…  /tmp/install.sh" | sha256sum -c - && sh /tmp/install.sh -y
\`\`\`

## Fix safety
- ADD: **safe**. The checksum is the content the same build downloads today, so the build result is unchanged; when
  the file changes upstream the build fails instead of silently using the new one (that is the point; URLs such as
  \`…/latest/download/…\` will fail on the next release: pin a versioned URL). The added \`# syntax=\` line makes
  BuildKit fetch the docker/dockerfile frontend image at build time (air-gapped builders need it mirrored); the legacy
  builder (\`DOCKER_BUILDKIT=0\`) does not know \`--checksum\` at all. Turn the directive off with \`addSyntax: false\`
  (the ADD is then reported, not fixed, unless the file already names a 1.6+ frontend).
- \`curl | sh\`, \`curl | python3 -\`, \`bash -c "$(curl …)"\`, \`python3 -c "$(curl …)"\`: **unsafe**. The script runs
  from a file instead of stdin or a \`-c\`/\`-e\` string (scripts that read more input from stdin, or look at \`$0\`,
  \`sys.argv[0]\` or their own path, can behave differently; python puts \`/tmp\` first on \`sys.path\` for a file where
  \`-c\` puts the current directory), the file stays in \`/tmp\` of that layer, \`sha256sum\` must exist in the
  image (coreutils, busybox), and installer scripts at moving URLs change often, so the next build may fail.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file) {
    const keys: LookupKey[] = [];
    for (const s of addSites(file)) if (s.url) keys.push(urlKey(s.url));
    for (const s of pipeSites(file)) if (s.url) keys.push(urlKey(s.url));
    for (const s of substSites(file)) if (s.url) keys.push(urlKey(s.url));
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    const adds = addSites(file);
    if (adds.length) {
      const front = frontendState(file, ctx.options);
      for (const s of adds) {
        const r = addReport(file, s, front, ctx.answers);
        if (r) ctx.report(r);
      }
    }
    const taken = new Map<ParsedRun, Set<string>>();
    const namesIn = (run: ParsedRun) => {
      let t = taken.get(run);
      if (!t) {
        t = new Set();
        taken.set(run, t);
      }
      return t;
    };
    for (const s of pipeSites(file)) {
      const r = pipeReport(s, s.url ? scriptFile(s.url, namesIn(s.run), s.shell.shell) : '', ctx.answers);
      if (r) ctx.report(r);
    }
    for (const s of substSites(file)) {
      const r = substReport(s, s.url ? scriptFile(s.url, namesIn(s.run), s.shell) : '', ctx.answers);
      if (r) ctx.report(r);
    }
  },
});
