/**
 * Shell commands inside other files, for the `shell` file kind: shell scripts, Makefile recipes, Markdown code blocks
 * and CI workflow steps. Each command line (or block) becomes a snippet: the text the shell sees, with the file offset
 * of every character, so codemods parse it with src/shell and edit the file in place.
 *
 * - script (`*.sh`, `*.bash`, a sh/bash `#!` line): the whole file.
 * - makefile (`Makefile`, `GNUmakefile`, `*.mk`): each recipe line (with its `\` continuations) of a rule; the `@`/`-`/`+`
 *   prefixes and the recipe TAB of continuation lines are not part of it, `$$` is one `$` (make's escape; `$(VAR)` stays
 *   as written, so the shell parser sees an expansion, never a literal).
 * - markdown (`*.md`): fenced blocks (``` or ~~~) tagged bash, sh, shell, zsh (one snippet per block, its indentation
 *   removed) and console / shell-session (one per `$ `-prompted line with its continuations; output lines skipped).
 * - github-actions (`.github/workflows/*.yml`): `run:` of `jobs.*.steps`, unless a `shell:` (step, job or workflow
 *   defaults) names something other than bash/sh, or the job runs on Windows without one. `${{ … }}` is replaced by a
 *   same-length `$___…` parameter, so it is never taken for a literal.
 * - gitlab-ci (`.gitlab-ci.yml`, `*.gitlab-ci.yml`): each item of `script`, `before_script`, `after_script` of every job
 *   and `default:`.
 * In YAML only literal block scalars (`|`, `|-`, `|+`), one-line plain scalars and one-line quoted scalars without
 * escapes are taken (the text must equal the parsed value); folded or multi-line flow scalars are skipped.
 * CR of CRLF line ends is never part of a snippet.
 */
import { basename } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, Scalar, type Node, type YAMLMap } from 'yaml';
import type { ShellHost, ShellSnippet } from './types.js';

const SCRIPT_NAME = /\.(?:sh|bash)$/i;
const MAKEFILE_NAME = /^(?:GNUmakefile|[Mm]akefile|.+\.mk)$/;
const MARKDOWN_NAME = /\.(?:md|markdown)$/i;
const GITLAB_NAME = /^(?:\.gitlab-ci|.+\.gitlab-ci)\.ya?ml$/i;
const WORKFLOW_PATH = /(?:^|[\\/])\.github[\\/]workflows[\\/][^\\/]+\.ya?ml$/i;
/** A `#!` line naming a POSIX shell or bash (directly or through env). */
const SHELL_SHEBANG = /^#![ \t]*(?:\S*\/)?(?:env[ \t]+(?:-\S+[ \t]+)*)?(?:ba|da|k|z)?sh(?:[ \t]|$)/;

/** The host a file name implies (`path` may be a full path: workflows are recognised by their directory). */
export function shellHostFromName(path: string): ShellHost | undefined {
  const base = basename(path);
  if (SCRIPT_NAME.test(base)) return 'script';
  if (MAKEFILE_NAME.test(base)) return 'makefile';
  if (MARKDOWN_NAME.test(base)) return 'markdown';
  if (GITLAB_NAME.test(base)) return 'gitlab-ci';
  if (WORKFLOW_PATH.test(path.split('\\').join('/'))) return 'github-actions';
  return undefined;
}

/** Whether the text starts with a sh/bash `#!` line. */
export function hasShellShebang(text: string): boolean {
  return SHELL_SHEBANG.test(text.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '');
}

/** The host of a `shell` file: from its name, else its content (YAML with `jobs.*.steps` is a workflow). */
export function shellHost(path: string, text: string): ShellHost {
  const h = shellHostFromName(path);
  if (h) return h;
  if (/\.ya?ml$/i.test(path)) return /^jobs[ \t]*:/m.test(text) && /^[ \t]+steps[ \t]*:/m.test(text) ? 'github-actions' : 'gitlab-ci';
  return 'script';
}

/** Builds one snippet from (char, start, end) triples. */
class Builder {
  private readonly chars: string[] = [];
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  push(c: string, start: number, end: number = start + 1): void {
    this.chars.push(c);
    this.starts.push(start);
    this.ends.push(end);
  }
  /** Copy file text [from, to) verbatim, leaving out the CR of CRLF. */
  copy(text: string, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const c = text[i] as string;
      if (c === '\r' && text[i + 1] === '\n') continue;
      this.push(c, i);
    }
  }
  get length(): number {
    return this.chars.length;
  }
  build(where: string, end: number, extra: Partial<ShellSnippet> = {}): ShellSnippet {
    // Drop trailing newlines: the snippet ends with its last command line.
    while (this.chars.length && this.chars[this.chars.length - 1] === '\n') {
      this.chars.pop();
      this.starts.pop();
      this.ends.pop();
    }
    const last = this.ends[this.ends.length - 1];
    return { text: this.chars.join(''), starts: this.starts, ends: this.ends, end: last ?? end, where, ...extra };
  }
}

/** File offset of a snippet offset; 'end' affinity: just after the character before it (for range ends and appends). */
export function snippetOffset(s: ShellSnippet, offset: number, affinity: 'start' | 'end' = 'start'): number {
  if (affinity === 'end') return offset <= 0 ? (s.starts[0] ?? s.end) : (s.ends[Math.min(offset, s.ends.length) - 1] as number);
  return offset >= s.starts.length ? s.end : (s.starts[Math.max(offset, 0)] as number);
}

interface Line {
  start: number;
  /** End of the content (before CR/LF). */
  end: number;
  /** Offset after the line break (next line start). */
  next: number;
  text: string;
}

function lines(text: string, from = 0, to = text.length): Line[] {
  const out: Line[] = [];
  let p = from;
  while (p < to) {
    let n = text.indexOf('\n', p);
    if (n < 0 || n >= to) n = to;
    const end = n > p && text[n - 1] === '\r' ? n - 1 : n;
    out.push({ start: p, end, next: Math.min(n + 1, to), text: text.slice(p, end) });
    p = n + 1;
  }
  return out;
}

const continues = (l: string): boolean => /(?:^|[^\\])(?:\\\\)*\\$/.test(l);

function scriptSnippets(text: string): ShellSnippet[] {
  const b = new Builder();
  b.copy(text, 0, text.length);
  return [b.build('the script', text.length)];
}

function makefileSnippets(text: string): ShellSnippet[] {
  const out: ShellSnippet[] = [];
  const ls = lines(text);
  let inRule = false;
  let target = '';
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i] as Line;
    if (!l.text.startsWith('\t')) {
      if (/^\s*(?:#.*)?$/.test(l.text)) continue; // blank and comment lines do not end a rule
      const rule = /^([^\t:=#][^:=#]*?)\s*::?(?![=])/.exec(l.text);
      inRule = rule !== null && !/^\s*(?:export|override|define|ifn?eq|ifn?def|else|endif|include|-include)\b/.test(l.text);
      target = rule?.[1]?.trim() ?? '';
      // A continued rule line continues on the next lines (no recipe there).
      while (continues(ls[i]?.text ?? '') && i + 1 < ls.length) i++;
      continue;
    }
    if (!inRule) continue;
    const b = new Builder();
    let p = l.start + 1;
    while (p < l.end && /[@+\- \t]/.test(text[p] as string)) p++;
    let cur = l;
    for (;;) {
      for (let k = p; k < cur.end; k++) {
        if (text[k] === '$' && text[k + 1] === '$') {
          b.push('$', k, k + 2);
          k++;
        } else b.push(text[k] as string, k);
      }
      const next = ls[i + 1];
      if (!continues(cur.text) || !next) break;
      b.push('\n', cur.end);
      i++;
      cur = next;
      p = cur.start + (text[cur.start] === '\t' ? 1 : 0);
    }
    if (b.length) out.push(b.build(`the recipe of \`${target}\``, cur.end, { escape: 'make' }));
  }
  return out;
}

const BLOCK_LANGS = new Set(['bash', 'sh', 'shell', 'zsh']);
const CONSOLE_LANGS = new Set(['console', 'shell-session', 'shellsession']);

function markdownSnippets(text: string): ShellSnippet[] {
  const out: ShellSnippet[] = [];
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const open = /^([ \t]*)(`{3,}|~{3,})[ \t]*([^\s`{]*)/.exec((ls[i] as Line).text);
    if (!open) continue;
    const indent = (open[1] as string).length;
    const fence = open[2] as string;
    const lang = (open[3] as string).toLowerCase();
    const startLine = i + 1;
    const body: Line[] = [];
    let j = i + 1;
    for (; j < ls.length; j++) {
      const t = (ls[j] as Line).text;
      const close = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(t);
      if (close && (close[1] as string)[0] === fence[0] && (close[1] as string).length >= fence.length) break;
      body.push(ls[j] as Line);
    }
    i = j;
    if (!BLOCK_LANGS.has(lang) && !CONSOLE_LANGS.has(lang)) continue;
    // Up to the fence's indentation is removed from each content line (CommonMark).
    const strip = (l: Line): number => {
      let k = l.start;
      while (k < l.end && k - l.start < indent && (text[k] === ' ' || text[k] === '\t')) k++;
      return k;
    };
    const where = `the \`\`\`${lang} block at line ${startLine}`;
    const firstCode = body.find((l) => l.text.trim() !== '');
    const prompted = CONSOLE_LANGS.has(lang) || (firstCode !== undefined && /^\s*\$ /.test(firstCode.text));
    if (!prompted) {
      const b = new Builder();
      for (const l of body) {
        b.copy(text, strip(l), l.end);
        b.push('\n', l.end);
      }
      if (b.length) out.push(b.build(where, body[body.length - 1]?.end ?? 0));
      continue;
    }
    for (let k = 0; k < body.length; k++) {
      const l = body[k] as Line;
      const m = /^[ \t]*\$ /.exec(l.text);
      if (!m) continue;
      const b = new Builder();
      let cur = l;
      let from = l.start + m[0].length;
      for (;;) {
        b.copy(text, from, cur.end);
        const next = body[k + 1];
        if (!continues(cur.text) || !next) break;
        b.push('\n', cur.end);
        k++;
        cur = next;
        from = strip(cur);
        if (text.startsWith('> ', from)) from += 2;
      }
      out.push(b.build(where, cur.end));
    }
  }
  return out;
}

/** `${{ … }}` → `$___…` of the same length. */
function maskExpressions(s: ShellSnippet): ShellSnippet {
  if (!s.text.includes('${{')) return s;
  return { ...s, text: s.text.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => `$${'_'.repeat(m.length - 1)}`) };
}

/** The snippet of a YAML scalar holding a script, when its text can be mapped exactly. */
function scalarSnippet(text: string, node: Node | null | undefined, where: string): ShellSnippet | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const [start, valueEnd] = node.range;
  const value = node.value;
  const b = new Builder();
  if (node.type === Scalar.BLOCK_LITERAL) {
    const header = lines(text, start, valueEnd)[0];
    if (!header) return undefined;
    const explicit = /^\|([1-9])?[+-]?([1-9])?/.exec(header.text);
    const body = lines(text, header.next, valueEnd);
    const firstContent = body.find((l) => l.text.trim() !== '');
    if (!firstContent) return undefined;
    const ind = explicit?.[1] ?? explicit?.[2];
    // Explicit indentation indicators count from the parent's indentation: not handled, skip.
    if (ind !== undefined) return undefined;
    const indent = /^ */.exec(firstContent.text)?.[0].length ?? 0;
    for (const l of body) {
      b.copy(text, Math.min(l.start + indent, l.end), l.end);
      b.push('\n', l.end);
    }
    const s = b.build(where, valueEnd);
    return s.text === value.replace(/\n+$/, '') ? s : undefined;
  }
  const src = text.slice(start, valueEnd);
  if (src.includes('\n')) return undefined;
  if (node.type === Scalar.PLAIN) {
    if (src !== value) return undefined;
    b.copy(text, start, valueEnd);
    return b.build(where, valueEnd, { yamlPlain: true });
  }
  if ((node.type === Scalar.QUOTE_SINGLE && !src.includes("''")) || (node.type === Scalar.QUOTE_DOUBLE && !src.includes('\\'))) {
    if (src.slice(1, -1) !== value) return undefined;
    b.copy(text, start + 1, valueEnd - 1);
    return b.build(where, valueEnd - 1, { yamlQuote: node.type === Scalar.QUOTE_SINGLE ? "'" : '"' });
  }
  return undefined;
}

const get = (m: unknown, key: string): unknown => (isMap(m) ? m.get(key, true) : undefined);
const str = (n: unknown): string | undefined => (isScalar(n) && typeof n.value === 'string' ? n.value : undefined);
const POSIX_SHELL = /^(?:bash|sh)(?:\s|$)/;

/** A workflow or CI file that is not valid YAML. */
export class HostYamlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

function yamlDoc(text: string) {
  const doc = parseDocument(text, { keepSourceTokens: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const msg = err.message.split('\n')[0] ?? err.message;
    throw new HostYamlError(`invalid YAML: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`, err.linePos?.[0].line, err.linePos?.[0].col);
  }
  return doc;
}

function workflowSnippets(text: string): ShellSnippet[] {
  const doc = yamlDoc(text);
  const out: ShellSnippet[] = [];
  const root = doc.contents;
  const shellOf = (m: unknown): string | undefined => str(get(get(get(m, 'defaults'), 'run'), 'shell'));
  const top = shellOf(root);
  const jobs = get(root, 'jobs');
  if (!isMap(jobs)) return out;
  for (const job of (jobs as YAMLMap).items) {
    const id = str(job.key) ?? '';
    const jobShell = shellOf(job.value) ?? top;
    const runsOn = get(job.value, 'runs-on');
    const windows = isScalar(runsOn) && typeof runsOn.value === 'string' && /windows/i.test(runsOn.value);
    const steps = get(job.value, 'steps');
    if (!isSeq(steps)) continue;
    steps.items.forEach((step, n) => {
      const run = get(step, 'run');
      if (run === undefined) return;
      const shell = str(get(step, 'shell')) ?? jobShell;
      if (shell !== undefined ? !POSIX_SHELL.test(shell.trim()) : windows) return;
      const name = str(get(step, 'name'));
      const s = scalarSnippet(text, run as Node, `${name ? `step \`${name}\`` : `step ${n + 1}`} of job \`${id}\``);
      if (s) out.push(maskExpressions(s));
    });
  }
  return out;
}

const GITLAB_SCRIPTS = ['before_script', 'script', 'after_script'];

function gitlabSnippets(text: string): ShellSnippet[] {
  const doc = yamlDoc(text);
  const out: ShellSnippet[] = [];
  const root = doc.contents;
  if (!isMap(root)) return out;
  for (const job of root.items) {
    const id = str(job.key) ?? '';
    if (!isMap(job.value)) continue;
    for (const key of GITLAB_SCRIPTS) {
      const v = job.value.get(key, true);
      const items = isSeq(v) ? v.items : [v];
      items.forEach((it, n) => {
        const s = scalarSnippet(text, it as Node, `\`${key}\`${isSeq(v) ? ` item ${n + 1}` : ''} of job \`${id}\``);
        if (s) out.push(s);
      });
    }
  }
  return out;
}

/** The shell snippets of a file of this host. Throws HostYamlError for a workflow or CI file that is not valid YAML. */
export function shellSnippets(host: ShellHost, text: string): ShellSnippet[] {
  switch (host) {
    case 'script':
      return scriptSnippets(text);
    case 'makefile':
      return makefileSnippets(text);
    case 'markdown':
      return markdownSnippets(text);
    case 'github-actions':
      return workflowSnippets(text);
    case 'gitlab-ci':
      return gitlabSnippets(text);
  }
}
