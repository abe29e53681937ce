/**
 * The shell script a RUN instruction hands to `/bin/sh -c`, with a map back to the bytes of the Dockerfile.
 *
 * Shell form: Docker joins continuation lines by removing the escape character (`\`, or `` ` `` with
 * `# escape=`), any blanks after it and the line break; comment lines and blank lines inside the instruction are
 * dropped; `--mount=…`/`--network=…`/`--security=…` flags are not part of the script. `RUN <<EOF` (a heredoc as the
 * whole command) runs the heredoc body as the script; `RUN cmd <<EOF` passes the first line plus the heredoc lines to
 * the shell. Exec form (`RUN ["a", "b"]`) and heredocs with a non-shell `#!` line give null.
 * CR of CRLF line ends never appears in the script; offsets still map to the exact file bytes.
 */
import type { Instruction } from 'dockerfile-ast';
import { offsetAt } from '../engine/text.js';
import type { ParsedDockerfile, Range } from '../engine/types.js';

export interface RunFlag {
  /** `mount` for `--mount=type=cache,target=/x`. */
  name: string;
  /** The text after `=` (empty when there is none). */
  value: string;
  /** File range of the whole flag `--mount=…`. */
  range: Range;
}

export interface RunScript {
  /** The script text the shell sees. */
  script: string;
  /** 'shell': shell-form command line (plus any heredoc lines); 'heredoc': the body of `RUN <<EOF`. */
  form: 'shell' | 'heredoc';
  /**
   * File offset (into file.text) of a script offset. affinity 'start' (default): the position of the script
   * character at `offset`; 'end': the position just after the script character at `offset - 1` (use it for the end
   * of a range or to insert right after a word, so edits never swallow a line continuation).
   */
  toFileOffset(offset: number, affinity?: 'start' | 'end'): number;
  /** A script range as a file range (start with 'start' affinity, end with 'end' affinity). */
  toFileRange(range: Range): Range;
  /** RUN flags, with file ranges. */
  flags: RunFlag[];
  /** File range of the whole instruction (from `RUN`/`ONBUILD` to the end of its last line or heredoc). */
  range: Range;
  /** ONBUILD RUN */
  onbuild: boolean;
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'zsh', 'busybox']);

/** The script of a RUN (or ONBUILD RUN) instruction; null for exec form, other instructions, or non-shell heredocs. */
export function runScript(file: ParsedDockerfile, ins: Instruction): RunScript | null {
  // Once per instruction object (an instruction belongs to one parse): every codemod and lookup round shares it.
  if (scripts.has(ins)) return scripts.get(ins) ?? null;
  const rs = computeRunScript(file, ins);
  scripts.set(ins, rs);
  return rs;
}

const scripts = new WeakMap<Instruction, RunScript | null>();

function computeRunScript(file: ParsedDockerfile, ins: Instruction): RunScript | null {
  const kw = ins.getKeyword().toUpperCase();
  if (kw !== 'RUN' && kw !== 'ONBUILD') return null;
  const text = file.text;
  const r = ins.getRange();
  const start = offsetAt(file.lineStarts, r.start.line, r.start.character);
  const esc = file.escapeChar;

  // The first logical line (continuations joined), and the file offset of each of its characters.
  const { line, offs, end: firstLineEnd } = firstLogicalLine(text, start, esc);
  const lineEnd = (i: number) => {
    const n = text.indexOf('\n', i);
    return n < 0 ? text.length : n;
  };

  // Keyword(s) and flags.
  let i = 0;
  const skipBlanks = () => {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t')) i++;
  };
  const token = () => {
    const s = i;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    return line.slice(s, i);
  };
  skipBlanks();
  let word = token();
  const onbuild = word.toUpperCase() === 'ONBUILD';
  if (onbuild) {
    skipBlanks();
    word = token();
  }
  if (word.toUpperCase() !== 'RUN') return null;
  const flags: RunFlag[] = [];
  for (;;) {
    skipBlanks();
    if (!line.startsWith('--', i)) break;
    const s = i;
    const f = token();
    const eq = f.indexOf('=');
    flags.push({
      name: eq < 0 ? f.slice(2) : f.slice(2, eq),
      value: eq < 0 ? '' : f.slice(eq + 1),
      range: { start: offs.at(s), end: offs.at(i - 1) + 1 },
    });
  }
  const cmdStart = i;
  const command = line.slice(cmdStart);
  if (command.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(command);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return null;
    } catch {
      // Not JSON: shell form.
    }
  }

  // No `<<`, no heredoc: most RUN lines are not scanned for one.
  const heredocs = command.includes('<<') ? findHeredocs(command) : [];
  let script: string;
  // The file offset of each script character: map(j) for j < mapLength.
  let map: (j: number) => number;
  let mapLength: number;
  let form: RunScript['form'] = 'shell';
  let end = firstLineEnd;
  if (heredocs.length === 0) {
    script = command;
    mapLength = line.length - cmdStart;
    map = (j) => (j >= 0 && j < mapLength ? offs.at(cmdStart + j) : Number.NaN);
  } else {
    // Heredoc lines follow the first line verbatim (CR before LF left out).
    const rest: string[] = [];
    const restMap: number[] = [];
    let q = firstLineEnd < text.length ? lineEnd(firstLineEnd) + 1 : text.length;
    const bodies: { name: string; start: number; end: number }[] = [];
    for (const h of heredocs) {
      const bodyStart = rest.length;
      let closed = false;
      while (q < text.length) {
        const e = lineEnd(q);
        const content = text.slice(q, e).replace(/\r$/, '');
        const lineText = content + (e < text.length ? '\n' : '');
        const isEnd = (h.strip ? content.replace(/^\t+/, '') : content) === h.name;
        if (isEnd) bodies.push({ name: h.name, start: bodyStart, end: rest.length });
        for (let k = 0; k < lineText.length; k++) {
          rest.push(lineText[k] as string);
          restMap.push(k < content.length ? q + k : e);
        }
        end = q + content.length;
        q = e + 1;
        if (isEnd) {
          closed = true;
          break;
        }
      }
      if (!closed) return null;
    }
    const only = heredocs.length === 1 && command.trim() === heredocs[0]?.token;
    if (only && bodies[0]) {
      form = 'heredoc';
      script = rest.slice(bodies[0].start, bodies[0].end).join('');
      const m = restMap.slice(bodies[0].start, bodies[0].end);
      map = (j) => m[j] as number;
      mapLength = m.length;
      const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(script);
      if (shebang) {
        const base = (s: string | undefined) => (s ?? '').split('/').pop() ?? '';
        const interp = base(shebang[1]) === 'env' ? base(shebang[2]) : base(shebang[1]);
        if (!SHELLS.has(interp)) return null;
      }
    } else {
      script = `${command}\n${rest.join('')}`.replace(/\n$/, '');
      const m = [...offs.array().slice(cmdStart), firstLineEnd, ...restMap].slice(0, script.length);
      map = (j) => m[j] as number;
      mapLength = m.length;
    }
  }

  const lastEnd = mapLength ? map(mapLength - 1) + 1 : (offs.length ? offs.at(offs.length - 1) : start) + 1;
  const toFileOffset = (o: number, affinity: 'start' | 'end' = 'start'): number => {
    if (affinity === 'end') return o <= 0 ? (mapLength ? map(0) : lastEnd) : map(Math.min(o, mapLength) - 1) + 1;
    return o >= mapLength ? lastEnd : map(Math.max(o, 0));
  };
  return {
    script,
    form,
    toFileOffset,
    toFileRange: (rg) => ({ start: toFileOffset(rg.start), end: rg.end > rg.start ? toFileOffset(rg.end, 'end') : toFileOffset(rg.start) }),
    flags,
    range: { start, end: Math.max(end, firstLineEnd > 0 && text[firstLineEnd - 1] === '\r' ? firstLineEnd - 1 : firstLineEnd) },
    onbuild,
  };
}

/**
 * Where each character of a logical line comes from: the line is slices of the file text laid end to end, kept as
 * (line offset, file offset) pairs, so the offset of a character is found without an array as long as the line.
 */
class LineOffsets {
  /** Line offset where each slice starts (ascending). */
  private readonly at0: number[] = [];
  /** File offset of each slice's first character. */
  private readonly file0: number[] = [];
  length = 0;

  add(from: number, to: number): void {
    this.at0.push(this.length);
    this.file0.push(from);
    this.length += to - from;
  }

  /** The file offset of line character `i` (0 <= i < length). */
  at(i: number): number {
    const at0 = this.at0;
    let lo = 0;
    let hi = at0.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((at0[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    return (this.file0[lo] as number) + i - (at0[lo] as number);
  }

  /** Every character's file offset. */
  array(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.at0.length; k++) {
      const from = this.file0[k] as number;
      const n = (k + 1 < this.at0.length ? (this.at0[k + 1] as number) : this.length) - (this.at0[k] as number);
      for (let j = 0; j < n; j++) out.push(from + j);
    }
    return out;
  }
}

/**
 * The logical line starting at `start`: physical lines joined where one ends in the escape character (blanks after
 * it allowed), comment and blank lines after a continuation dropped. Each physical line's text is taken as one slice
 * up to its next escape character (not character by character: RUN lines are most of a Dockerfile's text).
 * `end` is where the logical line stops: at its `\r\n` or `\n`, or the end of the text (past it after a
 * continuation on the last line).
 */
function firstLogicalLine(text: string, start: number, esc: string): { line: string; offs: LineOffsets; end: number } {
  const parts: string[] = [];
  const offs = new LineOffsets();
  const take = (from: number, to: number) => {
    if (to <= from) return;
    parts.push(text.slice(from, to));
    offs.add(from, to);
  };
  let p = start;
  while (p < text.length) {
    const nl = text.indexOf('\n', p);
    const eol = nl < 0 ? text.length : nl;
    // The line's characters stop before its `\n`, or before the `\r` of a `\r\n`.
    const contentEnd = nl >= 0 && eol > p && text[eol - 1] === '\r' ? eol - 1 : eol;
    const from = p;
    let k = text.indexOf(esc, from);
    while (k >= 0 && k < contentEnd && !onlyBlanksUntil(text, k + 1, eol)) k = text.indexOf(esc, k + 1);
    if (k < 0 || k >= contentEnd) {
      take(from, contentEnd);
      p = contentEnd;
      break;
    }
    // Line continuation: drop it, then comment and blank lines that follow.
    take(from, k);
    p = eol + 1;
    while (p < text.length) {
      const n = text.indexOf('\n', p);
      const e = n < 0 ? text.length : n;
      if (/^[ \t]*(#.*)?\r?$/.test(text.slice(p, e)) && e < text.length) p = e + 1;
      else break;
    }
  }
  return { line: parts.join(''), offs, end: p };
}

interface HeredocMarker {
  token: string;
  name: string;
  strip: boolean;
}

/** Whether text[from, to) is only spaces and tabs, with an optional CR at its end. */
function onlyBlanksUntil(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t') continue;
    return c === '\r' && i === to - 1;
  }
  return true;
}

const HEREDOC = /<<(-?)[ \t]*(["']?)([A-Za-z0-9_.-]+)\2/y;

/** `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'` on the command line, outside quotes (not `<<<`). */
function findHeredocs(line: string): HeredocMarker[] {
  const out: HeredocMarker[] = [];
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (c === '<' && line[i + 1] === '<' && line[i + 2] !== '<' && line[i - 1] !== '<') {
      HEREDOC.lastIndex = i;
      const m = HEREDOC.exec(line);
      if (m) {
        out.push({ token: m[0], name: m[3] as string, strip: m[1] === '-' });
        i += m[0].length - 1;
      }
    }
  }
  return out;
}
