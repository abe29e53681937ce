/**
 * A cheaper argument scan for dockerfile-ast's instructions (same arguments, less work).
 *
 * `Instruction.getRawArguments()` splits an instruction's text into arguments character by character, and builds each
 * argument's value by appending one character at a time (a new string per character of a RUN line), then wraps each
 * pair of positions in `Range.create`, which checks both again. Every instruction is scanned this way when it is
 * parsed (RUN, CMD, COPY… read their JSON form from their arguments), and the scan is most of what parsing costs
 * after the heredoc probe (src/engine/dockerfile-probe.ts).
 *
 * This is the library's own loop (0.7.x), state for state, with two changes that do not change its result:
 * - a value is kept as the text it was appended from: consecutive appends of consecutive characters extend one slice
 *   of the text (taken once), and only a jump (an escape or a line continuation dropped) starts a new slice;
 * - a range is `{ start, end }` of the two document positions, as `Range.create` returns for two valid positions
 *   (those of `positionAt` always are).
 * The text documents' line table (patchLineOffsets, below) is found with indexOf the same way.
 * test/engine/dockerfile-arguments.test.ts compares both with the library over the fixtures, the corpus and
 * generated texts.
 */
import { Argument, DockerfileParser, Instruction } from 'dockerfile-ast';

interface Position {
  line: number;
  character: number;
}

interface Internals {
  document: { offsetAt(p: Position): number; positionAt(offset: number): Position };
  escapeChar: string;
  getInstructionRange(): { start: Position; end: Position };
  getTextContent(): string;
  getRawArguments(): Argument[];
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const LF = 10;
const DOLLAR = 36;
const HASH = 35;

/** The scan, installed as Instruction.prototype.getRawArguments (exported for its test). */
export function scanArguments(this: Internals): Argument[] {
  const args: Argument[] = [];
  const doc = this.document;
  const range = this.getInstructionRange();
  const extra = doc.offsetAt(range.end) - doc.offsetAt(range.start);
  const content = this.getTextContent();
  const fullArgs = content.substring(extra);
  const offset = doc.offsetAt(range.start) + extra;
  const esc = this.escapeChar.length === 1 ? this.escapeChar.charCodeAt(0) : -1;
  const n = fullArgs.length;
  let start = false;
  let comment = false;
  let found = -1;
  let escapedWhitespaceDetected = false;
  let escaping = false;
  let escapeMarker = -1;
  // The value so far: `head` plus fullArgs[runStart, runEnd) (no run when runStart < 0). Appending [from, to) extends
  // the run when it starts where the run ends, else moves the run into `head` and starts a new one.
  let head = '';
  let runStart = -1;
  let runEnd = -1;
  for (let i = 0; i < n; i++) {
    const c = fullArgs.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR || c === LF) {
      if (escaping) {
        escapedWhitespaceDetected = true;
        if (c === CR || c === LF) {
          escapedWhitespaceDetected = false;
          if (comment) {
            comment = false;
            start = true;
          }
        }
        continue;
      } else if (found !== -1) {
        args.push(new Argument(runStart >= 0 ? head + fullArgs.slice(runStart, runEnd) : head, { start: doc.positionAt(offset + found), end: doc.positionAt(offset + (escapeMarker === -1 ? i : escapeMarker)) }));
        head = '';
        runStart = runEnd = -1;
        escapeMarker = -1;
        found = -1;
      }
    } else if (c === esc) {
      // charCodeAt past the end is NaN: the library's `charAt(i + 1) === ''`.
      const next = fullArgs.charCodeAt(i + 1);
      if (next === SPACE || next === TAB) {
        whitespaceCheck: for (let j = i + 2; j < n; j++) {
          switch (fullArgs.charCodeAt(j)) {
            case SPACE:
            case TAB:
              continue;
            case CR:
              j++;
            // falls through
            case LF:
              comment = false;
              escaping = true;
              start = true;
              if (found !== -1) escapeMarker = i;
              i = j;
              break whitespaceCheck;
            default:
              escapeMarker = i;
              if (found === -1) i = j - 1;
              break whitespaceCheck;
          }
        }
      } else if (next === CR) {
        comment = false;
        escaping = true;
        start = true;
        if (found !== -1 && escapeMarker === -1) escapeMarker = i;
        i += 2;
      } else if (next === LF) {
        comment = false;
        escaping = true;
        start = true;
        if (found !== -1 && escapeMarker === -1) escapeMarker = i;
        i++;
      } else {
        if (escapedWhitespaceDetected && escapeMarker !== -1) {
          args.push(new Argument(runStart >= 0 ? head + fullArgs.slice(runStart, runEnd) : head, { start: doc.positionAt(offset + found), end: doc.positionAt(offset + escapeMarker) }));
          head = '';
          runStart = runEnd = -1;
          found = -1;
        }
        escapeMarker = -1;
        escapedWhitespaceDetected = false;
        escaping = false;
        // An escaped `$` keeps its escape; past the end (NaN) the scan stops.
        if (next !== next) break;
        const from = next === DOLLAR ? i : i + 1;
        if (runEnd !== from) {
          if (runStart >= 0) head += fullArgs.slice(runStart, runEnd);
          runStart = from;
        }
        runEnd = i + 2;
        if (found === -1) found = i;
        i++;
      }
    } else if (!comment) {
      if (start && c === HASH) {
        comment = true;
      } else {
        if (escapedWhitespaceDetected && escapeMarker !== -1) {
          args.push(new Argument(runStart >= 0 ? head + fullArgs.slice(runStart, runEnd) : head, { start: doc.positionAt(offset + found), end: doc.positionAt(offset + escapeMarker) }));
          head = '';
          runStart = runEnd = -1;
          found = -1;
        }
        escapedWhitespaceDetected = false;
        escaping = false;
        escapeMarker = -1;
        if (runEnd !== i) {
          if (runStart >= 0) head += fullArgs.slice(runStart, runEnd);
          runStart = i;
        }
        if (found === -1) found = i;
        runEnd = i + 1;
      }
      start = false;
    }
  }
  if (found !== -1) {
    const value = runStart >= 0 ? head + fullArgs.slice(runStart, runEnd) : head;
    args.push(new Argument(value, { start: doc.positionAt(offset + found), end: doc.positionAt(offset + (escapeMarker === -1 ? n : escapeMarker)) }));
  }
  return args;
}

const PATCHED = Symbol('argument scan patched');

/** Install the cheaper scan on dockerfile-ast's Instruction (idempotent; before the arguments are memoised). */
export function patchArgumentScan(): void {
  const proto = Instruction.prototype as unknown as Internals & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  if (typeof proto.getRawArguments !== 'function' || typeof proto.getTextContent !== 'function' || typeof proto.getInstructionRange !== 'function') return;
  if (typeof Argument !== 'function') return;
  proto.getRawArguments = scanArguments;
  proto[PATCHED] = true;
}

/**
 * The line table of a text as vscode-languageserver-textdocument computes it (a line ends at `\r\n`, `\r` or `\n`;
 * the first line starts at 0), found with indexOf rather than character by character.
 */
export function lineOffsets(text: string): number[] {
  const out = [0];
  let lf = text.indexOf('\n');
  let cr = text.indexOf('\r');
  for (;;) {
    const e = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
    if (e < 0) return out;
    const next = e === cr && lf === e + 1 ? e + 2 : e + 1;
    out.push(next);
    if (lf >= 0 && lf < next) lf = text.indexOf('\n', next);
    if (cr >= 0 && cr < next) cr = text.indexOf('\r', next);
  }
}

interface TextDocumentInternals {
  _content?: unknown;
  _lineOffsets?: number[];
  getLineOffsets(): number[];
  [PATCHED]?: true;
}

/**
 * Install lineOffsets as the line table of dockerfile-ast's text documents (the library computes it once per parse,
 * character by character, for its first offset/position conversion). Only when a document is what this expects (its
 * text in `_content`, its table in `_lineOffsets`, not computed yet) and the library's own table of a sample text with
 * every kind of line end is the same.
 */
export function patchLineOffsets(): void {
  const sample = (DockerfileParser.parse('') as unknown as { document?: TextDocumentInternals }).document;
  if (!sample) return;
  const proto = Object.getPrototypeOf(sample) as TextDocumentInternals;
  if (proto[PATCHED] || typeof proto.getLineOffsets !== 'function') return;
  const original = proto.getLineOffsets;
  const text = 'a\r\nb\rc\n\r\n\n\r\rd';
  const probe = Object.create(proto) as TextDocumentInternals;
  probe._content = text;
  probe._lineOffsets = undefined;
  const theirs = original.call(probe);
  const ours = lineOffsets(text);
  if (theirs.length !== ours.length || theirs.some((v, i) => v !== ours[i])) return;
  proto.getLineOffsets = function (this: TextDocumentInternals): number[] {
    if (this._lineOffsets === undefined && typeof this._content === 'string') this._lineOffsets = lineOffsets(this._content);
    return original.call(this);
  };
  proto[PATCHED] = true;
}
