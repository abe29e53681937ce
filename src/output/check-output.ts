/**
 * What `harden check` prints on standard output for text and JSON, and what it keeps of each file to print it.
 *
 * The output is sorted by path while files are processed in another order (compose files first), so every file's part
 * is kept until the run ends. A file's result holds far more than its part of the output: fixes with their edits, the
 * ranges, and strings cut from the file's text, which keep that whole text alive (a slice of a string refers to it).
 * `CheckOutput` keeps a compact record instead, made as each result arrives: text format, the file's finding lines as
 * printed; JSON, the file's entry as JSON without indentation, indented when it is written. Both are kept as UTF-8
 * bytes (what standard output gets anyway): one byte a character for most of them where a string takes two as soon as
 * one character is not Latin-1, and outside the JavaScript heap, whose limit V8 sets at a multiple of what the heap
 * holds. The output is the same as rendering the collected results (test/output/check-output.test.ts compares them).
 */
import { version } from '../version.js';
import type { HardenResult } from '../api.js';
import type { FileError, FileResult } from '../engine/run.js';
import type { IgnoreNote } from '../engine/suppress.js';
import type { Finding, Severity } from '../engine/types.js';
import { findingLine } from './text.js';

export function stripFinding(f: Finding) {
  const { path, codemodId, severity, line, column, endLine, endColumn, message, fixStatus, fix, data } = f;
  return { path, codemodId, severity, line, column, endLine, endColumn, message, fixStatus, fix, data };
}

/** One file of the JSON output of `check` and `fix` (`diff`: fix's diff of the file). */
export function jsonFile(f: FileResult, diff?: (f: FileResult) => string) {
  return {
    path: f.path,
    kind: f.kind,
    ...(f.role ? { role: f.role.role, roleWhy: f.role.why } : {}),
    changed: f.changed,
    error: f.error,
    applied: f.applied.map(stripFinding),
    findings: f.findings.map(stripFinding),
    heldBack: f.heldBack,
    suppressed: f.suppressed,
    ignoreNotes: f.ignoreNotes ?? [],
    ...(diff ? { diff: diff(f) } : {}),
  };
}

/** The JSON output of `check` and `fix` (`files` as given). */
export function jsonResult(r: HardenResult, diff?: (f: FileResult) => string) {
  return {
    version: 1,
    harden: version(),
    files: r.files.map((f) => jsonFile(f, diff)),
    problems: r.problems,
    companions: { files: r.companions.files.map((c) => ({ path: c.path, ...(diff ? { diff: c.diff } : {}) })), messages: r.companions.messages, errors: r.companions.errors },
    requests: r.requests,
    notes: r.notes ?? [],
  };
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** What is kept of one file's result: its part of the output and what the closing lines and the exit code need. */
export interface KeptFile {
  path: string;
  /** Text: its finding lines, each ending in a new line. JSON: its entry of `files`, as JSON without indentation. UTF-8. */
  out: Buffer;
  error?: FileError;
  ignoreNotes?: IgnoreNote[];
}

const NONE = Buffer.alloc(0);

export class CheckOutput {
  /** In processing order until `sorted()`; files with nothing to print (text) are counted, not kept. */
  private readonly kept: KeptFile[] = [];
  files = 0;
  findings = 0;
  fixable = 0;
  heldBack = 0;
  /** The highest severity rank of the findings (-1: none). */
  worst = -1;

  constructor(
    private readonly format: 'text' | 'json',
    private readonly color: boolean,
  ) {}

  add(f: FileResult): void {
    this.files++;
    this.findings += f.findings.length;
    for (const x of f.findings) {
      if (x.fixStatus === 'fixable') this.fixable++;
      else if (x.fixStatus === 'held-back') this.heldBack++;
      this.worst = Math.max(this.worst, SEVERITY_RANK[x.severity]);
    }
    let out = NONE;
    if (this.format === 'json') out = Buffer.from(JSON.stringify(jsonFile(f)), 'utf8');
    else if (f.findings.length > 0) out = Buffer.from(f.findings.map((x) => `${findingLine(x, this.color)}\n`).join(''), 'utf8');
    else if (!f.error && !f.ignoreNotes?.length) return;
    this.kept.push({
      path: f.path,
      out,
      ...(f.error ? { error: JSON.parse(JSON.stringify(f.error)) as FileError } : {}),
      ...(f.ignoreNotes?.length ? { ignoreNotes: JSON.parse(JSON.stringify(f.ignoreNotes)) as IgnoreNote[] } : {}),
    });
  }

  /** The kept files by path (the order of a run that collects its results), stable for equal paths. */
  sorted(): readonly KeptFile[] {
    return this.kept.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Text format: every finding line, by path. */
  writeText(write: (s: Buffer) => void): void {
    for (const k of this.sorted()) if (k.out.length > 0) write(k.out);
  }

  /**
   * JSON format: `JSON.stringify(jsonResult(r), null, 2)` and a new line, written a file at a time. `run`: the run's
   * result without its files.
   */
  writeJson(run: HardenResult, write: (s: string) => void): void {
    const files = this.sorted();
    if (files.length === 0) {
      write(`${JSON.stringify(jsonResult(run), null, 2)}\n`);
      return;
    }
    // The document with one placeholder string for the files, cut where the placeholder is (version and harden come
    // before files, so its first occurrence is the one).
    const mark = '\u0000files\u0000';
    const whole = JSON.stringify({ ...jsonResult(run), files: [mark] }, null, 2);
    const at = whole.indexOf(JSON.stringify(mark));
    write(whole.slice(0, at));
    for (const [i, k] of files.entries()) {
      // An element of `files` is two levels down: its lines (after the first) are indented by four more spaces.
      write(`${i > 0 ? ',\n    ' : ''}${JSON.stringify(JSON.parse(k.out.toString('utf8')), null, 2).replace(/\n/g, '\n    ')}`);
    }
    write(`${whole.slice(at + JSON.stringify(mark).length)}\n`);
  }
}
