/**
 * Edits to a `docker run` line in the file that holds it. New flags go right before the image, in the style of the
 * command: on the same line for a one-line command, one per line (`flag \` + the image line's indentation) when it is
 * already continued over several lines. Text inserted into a Makefile recipe escapes `$` as `$$`; into a one-line YAML
 * scalar, only text that keeps it valid is allowed.
 */
import type { Edit } from '../engine/types.js';
import type { DockerRun } from './model.js';
import { fileRange } from './model.js';

/** Whether `flags` can be inserted into this run's host text (one-line plain or quoted YAML scalars restrict it). */
export function canInsert(run: DockerRun, flags: readonly string[]): boolean {
  const s = run.snippet;
  const t = flags.join(' ');
  if (s.yamlPlain && (/: | #|[\n\r]/.test(t))) return false;
  if (s.yamlQuote === '"' && /["\\]/.test(t)) return false;
  if (s.yamlQuote === "'" && t.includes("'")) return false;
  return true;
}

/** Escape inserted text for the host (make's `$$`). */
function hostText(run: DockerRun, text: string): string {
  return run.snippet.escape === 'make' ? text.replace(/\$/g, '$$$$') : text;
}

/** The edit inserting `flags` (each already quoted for the shell: `--tmpfs /tmp`) before the image. */
export function insertFlags(run: DockerRun, flags: readonly string[]): Edit {
  const { file, snippet } = run;
  const text = file.text;
  const img = fileRange(snippet, run.image.range).start;
  const cmdText = snippet.text.slice(run.range.start, run.range.end);
  const multiLine = /\\\n/.test(cmdText);
  const lineStart = text.lastIndexOf('\n', img - 1) + 1;
  const before = text.slice(lineStart, img);
  const eol = file.eol;
  if (!multiLine) return { start: img, end: img, text: hostText(run, `${flags.join(' ')} `) };
  if (/^[ \t]*$/.test(before)) {
    // The image starts its line: one new line per flag, with the image line's indentation.
    return { start: img, end: img, text: hostText(run, flags.map((f) => `${f} \\${eol}${before}`).join('')) };
  }
  // The image follows other words on its line: break the line before it.
  const indent = /^[ \t]*/.exec(before)?.[0] ?? '';
  const contIndent = indent === '' && /^[ \t]*\S/.test(before) ? '  ' : indent;
  let prevEnd = img;
  while (prevEnd > lineStart && (text[prevEnd - 1] === ' ' || text[prevEnd - 1] === '\t')) prevEnd--;
  const body = flags.map((f) => ` \\${eol}${contIndent}${f}`).join('') + ` \\${eol}${contIndent}`;
  return { start: prevEnd, end: img, text: hostText(run, body) };
}

/** A shell word for a flag value: bare when it needs no quoting, else single-quoted. */
export function shellQuote(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
