/**
 * A cheaper heredoc probe for dockerfile-ast's parser (same parse, less work).
 *
 * To find where an instruction ends, the parser builds the instruction once just to ask whether its arguments open
 * heredocs (`<<EOF`), throws it away, and builds it again: every instruction with arguments is constructed twice, and
 * construction already scans its arguments (RUN, COPY, CMD… read their JSON form; ARG reads its property). That probe
 * is about half of what parsing a Dockerfile costs.
 *
 * An argument opens a heredoc only when its value starts with `<<`, and every `<` of a value is a `<` of the
 * instruction's text (escapes and line continuations only remove characters). So an instruction whose text holds
 * fewer than two `<` cannot open one, and the probe is skipped; any other instruction is probed exactly as before.
 */
import { Parser } from 'dockerfile-ast/lib/parser.js';

interface Internals {
  buffer: string;
  createInstruction(dockerfile: unknown, instruction: string, start: number, instructionEnd: number, end: number): unknown;
  processHeredocs(instruction: unknown, offset: number): number;
  processArguments(dockerfile: unknown, instruction: string, instructionEnd: number, start: number, offset: number): number;
  [PROBING]?: boolean;
  [ANGLES]?: NextAngle;
}

const PROBING = Symbol('probing heredocs');
const ANGLES = Symbol('next angle');
const PATCHED = Symbol('heredoc probe patched');

/** A probe not built yet: what createInstruction was given, to build it only if the text may open a heredoc. */
class PendingProbe {
  constructor(readonly args: [dockerfile: unknown, instruction: string, start: number, instructionEnd: number, end: number]) {}
}

/**
 * The first `<` at or after a position of one text. Kept from one question to the next and searched again only when
 * asked past it (or before where it was searched from): a parse asks in text order, so a text is searched about once,
 * not once per instruction to its end.
 */
export class NextAngle {
  private from = -1;
  private at = -1;

  constructor(readonly text: string) {}

  next(from: number): number {
    if (from < this.from || this.from < 0 || (this.at >= 0 && this.at < from)) this.at = this.text.indexOf('<', (this.from = from));
    return this.at;
  }
}

/** Whether text[from, to) holds at least two `<`. */
export function twoAngles(angles: NextAngle, from: number, to: number): boolean {
  const a = angles.next(from);
  if (a < 0 || a >= to) return false;
  const b = angles.next(a + 1);
  return b >= 0 && b < to;
}

/** Install the cheaper probe on dockerfile-ast's Parser (idempotent). */
export function patchHeredocProbe(): void {
  const proto = Parser.prototype as unknown as Internals & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const { createInstruction, processHeredocs, processArguments } = proto;
  if (typeof createInstruction !== 'function' || typeof processHeredocs !== 'function' || typeof processArguments !== 'function') return;
  // processArguments hands createInstruction's result straight to processHeredocs: only there is the build deferred.
  proto.processArguments = function (this: Internals, ...a) {
    this[PROBING] = true;
    try {
      return processArguments.apply(this, a);
    } finally {
      this[PROBING] = false;
    }
  };
  proto.createInstruction = function (this: Internals, ...a) {
    return this[PROBING] ? new PendingProbe(a) : createInstruction.apply(this, a);
  };
  proto.processHeredocs = function (this: Internals, instruction, offset) {
    if (!(instruction instanceof PendingProbe)) return processHeredocs.call(this, instruction, offset);
    const [, , start, , end] = instruction.args;
    let angles = this[ANGLES];
    if (!angles || angles.text !== this.buffer) angles = this[ANGLES] = new NextAngle(this.buffer);
    if (!twoAngles(angles, start, end)) return offset;
    this[PROBING] = false;
    try {
      return processHeredocs.call(this, createInstruction.apply(this, instruction.args), offset);
    } finally {
      this[PROBING] = true;
    }
  };
  proto[PATCHED] = true;
}
