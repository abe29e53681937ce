/**
 * Cheaper text scans for dockerfile-ast's parser (same parse, less work).
 *
 * To find where an instruction ends, `Parser.processArguments` walks every character of its arguments with `charAt`;
 * `Parser.processComment` walks every character of a comment to find its line end. Over a run these loops read every
 * character of every Dockerfile, most of them while the code is still interpreted. The replacements below are the
 * library's own loops (0.7.x), state for state, with one change that does not change their result: a stretch of text
 * the loop would only step over is skipped with indexOf.
 * - In processArguments, outside a line continuation only a line end or the escape character does anything (a space,
 *   a `#` or any other character leaves the state as it is), so the scan jumps to the next of those three.
 * - In processComment, the comment ends at the first `\r` or `\n`.
 * The next position of each of those characters is kept per parse and searched again only once passed, so a text is
 * searched about once per character kind, not once per instruction.
 *
 * They are installed only over the exact methods they replace: `EXPECTED` holds the library's source of both (layout
 * and quote marks aside, as in dist's bundled copy); another version of dockerfile-ast keeps its own methods.
 * test/engine/dockerfile-scan.test.ts compares the parse with the library's over the fixtures, the corpus and
 * generated texts.
 */
import { Comment, Property } from 'dockerfile-ast';
import { Parser } from 'dockerfile-ast/lib/parser.js';

interface Position {
  line: number;
  character: number;
}

interface Internals {
  buffer: string;
  escapeChar: string | null;
  document: { positionAt(offset: number): Position };
  createInstruction(dockerfile: unknown, instruction: string, start: number, instructionEnd: number, end: number): unknown;
  processHeredocs(instruction: unknown, offset: number): number;
  processArguments(dockerfile: unknown, instruction: string, instructionEnd: number, start: number, offset: number): number;
  processComment(dockerfile: { addComment(c: unknown): void }, start: number): number;
  [NEXT]?: NextChars;
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
const HASH = 35;

/** The library's two methods (dockerfile-ast 0.7.x, lib/parser.js), the ones replaced here. */
const EXPECTED = {
  processArguments: `processArguments(dockerfile, instruction, instructionEnd, start, offset) {
        let escaped = false;
        argumentsCheck: for (let i = offset + 1; i < this.buffer.length; i++) {
            switch (this.buffer.charAt(i)) {
                case '\\r':
                case '\\n':
                    if (escaped) {
                        continue;
                    }
                    return this.processHeredocs(this.createInstruction(dockerfile, instruction, start, instructionEnd, i), i);
                case this.escapeChar:
                    const next = this.buffer.charAt(i + 1);
                    if (next === '\\n' || next === '\\r') {
                        escaped = true;
                        i++;
                    }
                    else if (next === ' ' || next === '\\t') {
                        for (let j = i + 2; j < this.buffer.length; j++) {
                            switch (this.buffer.charAt(j)) {
                                case ' ':
                                case '\\t':
                                    break;
                                case '\\r':
                                case '\\n':
                                    escaped = true;
                                default:
                                    i = j;
                                    continue argumentsCheck;
                            }
                        }
                        // reached EOF
                        return this.buffer.length;
                    }
                    continue;
                case '#':
                    if (escaped) {
                        i = this.processComment(dockerfile, i);
                        continue argumentsCheck;
                    }
                    break;
                case ' ':
                case '\\t':
                    break;
                default:
                    if (escaped) {
                        escaped = false;
                    }
                    break;
            }
        }
        return this.buffer.length;
    }`,
  processComment: `processComment(dockerfile, start) {
        let end = this.buffer.length;
        commentLoop: for (let i = start + 1; i < this.buffer.length; i++) {
            switch (this.buffer.charAt(i)) {
                case '\\r':
                case '\\n':
                    end = i;
                    break commentLoop;
            }
        }
        const range = vscode_languageserver_types_1.Range.create(this.document.positionAt(start), this.document.positionAt(end));
        dockerfile.addComment(new comment_1.Comment(this.document, range));
        return end;
    }`,
};

/**
 * Source text up to layout, comments and quote marks: dist/vendor's bundle reprints the library's code (double
 * quotes, a literal tab for `\t`, no comments).
 */
export const squash = (s: string): string =>
  s
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/\\t/g, '\t')
    .replace(/'/g, '"')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{}();,:=|&!<+-])\s*/g, '$1')
    .trim();

/**
 * The next `\n`, `\r` and escape character at or after a position, for one text. Each is searched again only when a
 * question is asked past it (or before where it was searched from), so a parse that moves forward searches its text
 * about once per character kind.
 */
export class NextChars {
  private lfFrom = 0;
  private lf = -1;
  private crFrom = 0;
  private cr = -1;
  private escFrom = 0;
  private esc = -1;

  constructor(
    readonly text: string,
    readonly escapeChar: string,
  ) {
    this.lf = text.indexOf('\n');
    this.cr = text.indexOf('\r');
    this.esc = text.indexOf(escapeChar);
  }

  /** The first `\r` or `\n` at or after `i`, or the text's length. */
  lineEnd(i: number): number {
    const n = this.text.length;
    if (i < this.lfFrom || (this.lf >= 0 && this.lf < i)) this.lf = this.text.indexOf('\n', (this.lfFrom = i));
    if (i < this.crFrom || (this.cr >= 0 && this.cr < i)) this.cr = this.text.indexOf('\r', (this.crFrom = i));
    const lf = this.lf < 0 ? n : this.lf;
    const cr = this.cr < 0 ? n : this.cr;
    return lf < cr ? lf : cr;
  }

  /** The first `\r`, `\n` or escape character at or after `i`, or the text's length. */
  lineEndOrEscape(i: number): number {
    const e = this.lineEnd(i);
    if (i < this.escFrom || (this.esc >= 0 && this.esc < i)) this.esc = this.text.indexOf(this.escapeChar, (this.escFrom = i));
    return this.esc >= 0 && this.esc < e ? this.esc : e;
  }
}

const NEXT = Symbol('next characters');

/** The library's methods, for a parser whose escape character is not one character (the parse sets `\\` or `` ` ``). */
const library = (({ processArguments, processComment }: Internals) => ({ processArguments, processComment }))(Parser.prototype as unknown as Internals);

/** The parse's NextChars (made again when the text or the escape character is not the one it was made for). */
function nextChars(p: Internals): NextChars {
  const c = p[NEXT];
  if (c && c.text === p.buffer && c.escapeChar === p.escapeChar) return c;
  return (p[NEXT] = new NextChars(p.buffer, p.escapeChar as string));
}

/** The library's processArguments, jumping over what it would only step over. */
export function processArguments(this: Internals, dockerfile: unknown, instruction: string, instructionEnd: number, start: number, offset: number): number {
  if (typeof this.escapeChar !== 'string' || this.escapeChar.length !== 1) return library.processArguments.call(this, dockerfile, instruction, instructionEnd, start, offset);
  const buffer = this.buffer;
  const n = buffer.length;
  const next = nextChars(this);
  const esc = (this.escapeChar as string).charCodeAt(0);
  let escaped = false;
  for (let i = offset + 1; i < n; i++) {
    if (!escaped) {
      i = next.lineEndOrEscape(i);
      if (i >= n) break;
    }
    const c = buffer.charCodeAt(i);
    if (c === CR || c === LF) {
      if (escaped) continue;
      return this.processHeredocs(this.createInstruction(dockerfile, instruction, start, instructionEnd, i), i);
    }
    if (c === esc) {
      // charCodeAt past the end is NaN: the library's `charAt(i + 1) === ''` matches nothing.
      const after = buffer.charCodeAt(i + 1);
      if (after === LF || after === CR) {
        escaped = true;
        i++;
      } else if (after === SPACE || after === TAB) {
        let j = i + 2;
        while (j < n && (buffer.charCodeAt(j) === SPACE || buffer.charCodeAt(j) === TAB)) j++;
        if (j >= n) return n;
        const d = buffer.charCodeAt(j);
        if (d === CR || d === LF) escaped = true;
        // The character at j is stepped over, whatever it is (the loop's `i++`).
        i = j;
      }
      continue;
    }
    if (c === HASH) {
      if (escaped) i = this.processComment(dockerfile as { addComment(c: unknown): void }, i);
      continue;
    }
    if (c === SPACE || c === TAB) continue;
    escaped = false;
  }
  return n;
}

/** The library's processComment, finding the line end with indexOf. */
export function processComment(this: Internals, dockerfile: { addComment(c: unknown): void }, start: number): number {
  if (typeof this.escapeChar !== 'string' || this.escapeChar.length !== 1) return library.processComment.call(this, dockerfile, start);
  const end = nextChars(this).lineEnd(start + 1);
  const doc = this.document;
  // Range.create of two valid positions (positionAt's always are) is `{ start, end }`.
  dockerfile.addComment(new Comment(doc as never, { start: doc.positionAt(start), end: doc.positionAt(end) }));
  return end;
}

const PATCHED = Symbol('parser scans patched');

/**
 * Install both scans on dockerfile-ast's Parser (idempotent; before the heredoc probe, which wraps processArguments).
 * Returns whether the parser runs them: false when the library's methods are not the ones they replace.
 */
export function patchParserScans(): boolean {
  const proto = Parser.prototype as unknown as Internals & { [PATCHED]?: true };
  if (proto[PATCHED]) return true;
  if (typeof proto.processArguments !== 'function' || typeof proto.processComment !== 'function' || typeof Comment !== 'function') return false;
  if (squash(proto.processArguments.toString()) !== squash(EXPECTED.processArguments)) return false;
  if (squash(proto.processComment.toString()) !== squash(EXPECTED.processComment)) return false;
  proto.processArguments = processArguments;
  proto.processComment = processComment;
  proto[PATCHED] = true;
  return true;
}

/**
 * `Property.getValue` (the value of an ENV, ARG or LABEL property, escapes and continuations removed) for a plain value,
 * without the library's character loop: a value that starts with neither a blank nor the escape character and holds
 * no escape character and no line end comes out of that loop as it went in, but for the quotes that enclose all of it
 * (`'…'`, or `"…"` of two or more characters). Any other value is the library's to read.
 */
export function plainPropertyValue(value: string, escapeChar: string): string | undefined {
  if (value.length === 0 || typeof escapeChar !== 'string' || escapeChar.length !== 1) return undefined;
  const first = value.charCodeAt(0);
  if (first === SPACE || first === TAB || value.includes(escapeChar) || value.includes('\n') || value.includes('\r')) return undefined;
  const last = value.charCodeAt(value.length - 1);
  const inSingle = first === SINGLE && last === SINGLE;
  const inDouble = first === DOUBLE && value.length > 1 && last === DOUBLE;
  return inSingle || inDouble ? value.substring(1, value.length - 1) : value;
}

const SINGLE = 39;
const DOUBLE = 34;

/** dockerfile-ast 0.7.x: a fingerprint of `Property.getValue`'s source (squashed, without parentheses), the method plainPropertyValue reads like. */
export const PROPERTY_GET_VALUE = 'f807f4d9';

/** FNV-1a of a text (a fingerprint of library source, not a security measure). */
export function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

const VALUE_PATCHED = Symbol('property value patched');

/** Install plainPropertyValue in front of dockerfile-ast's Property.getValue (idempotent). Returns whether it is. */
export function patchPropertyValue(): boolean {
  const P = Property as unknown as { getValue?: (value: string, escapeChar: string) => string; [VALUE_PATCHED]?: true };
  if (P[VALUE_PATCHED]) return true;
  const original = P.getValue;
  // Parentheses aside too, and `'\''` read as the bundle prints it (`"'"`): the bundle drops redundant parentheses.
  if (typeof original !== 'function' || fingerprint(squash(original.toString().replace(/'\\''/g, `"'"`)).replace(/[()]/g, '')) !== PROPERTY_GET_VALUE) return false;
  P.getValue = function (this: unknown, value: string, escapeChar: string): string {
    return plainPropertyValue(value, escapeChar) ?? original.call(this, value, escapeChar);
  };
  P[VALUE_PATCHED] = true;
  return true;
}
