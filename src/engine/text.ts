/** Text helpers shared by the engine and codemods: line starts, offset <-> line/column, BOM and line endings. */

export const BOM = '\uFEFF';

export function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 0-based line index containing `offset`. */
export function lineIndexAt(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** 1-based line and column of an offset. */
export function positionAt(lineStarts: readonly number[], offset: number): { line: number; column: number } {
  const line = lineIndexAt(lineStarts, offset);
  return { line: line + 1, column: offset - (lineStarts[line] ?? 0) + 1 };
}

/** Offset of a 0-based line / character position (LSP style). */
export function offsetAt(lineStarts: readonly number[], line: number, character: number): number {
  const start = lineStarts[line];
  if (start === undefined) return lineStarts[lineStarts.length - 1] ?? 0;
  return start + character;
}

/** The file's dominant line ending. */
export function detectEol(text: string): '\n' | '\r\n' {
  // Most texts hold no CR at all: every line ends in LF.
  if (!text.includes('\r')) return '\n';
  let crlf = 0;
  let lf = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (i > 0 && text.charCodeAt(i - 1) === 13) crlf++;
    else lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** Start offset of the line containing `offset`. */
export function lineStartOf(text: string, offset: number): number {
  const i = text.lastIndexOf('\n', offset - 1);
  return i + 1;
}

/** End offset of the line containing `offset` (before its '\r\n' or '\n'). */
export function lineEndOf(text: string, offset: number): number {
  let i = text.indexOf('\n', offset);
  if (i === -1) i = text.length;
  if (i > 0 && text.charCodeAt(i - 1) === 13) i--;
  return i;
}

/** The leading whitespace of the line containing `offset`. */
export function indentOfLine(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  let i = start;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return text.slice(start, i);
}

/**
 * One decoder for every file: a call without `stream` starts afresh (a failed one included). `ignoreBOM` keeps the BOM
 * in the text, so that `decodeText` sees and reports it.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode file bytes as UTF-8 text. Returns an error message for binary or non-UTF-8 content. */
export function decodeText(buf: Uint8Array): { text: string; bom: boolean } | { error: string } {
  const probe = buf.length > 8000 ? buf.subarray(0, 8000) : buf;
  if (probe.includes(0)) return { error: 'binary file (contains NUL bytes)' };
  let text: string;
  try {
    text = UTF8.decode(buf);
  } catch {
    return { error: 'not valid UTF-8 text' };
  }
  if (text.startsWith(BOM)) return { text: text.slice(1), bom: true };
  return { text, bom: false };
}
