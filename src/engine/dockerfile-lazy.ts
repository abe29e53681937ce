/**
 * RUN, CMD, ENTRYPOINT, SHELL and VOLUME instructions parsed without their JSON form (same syntax tree when asked,
 * less work when not).
 *
 * dockerfile-ast's `JSONInstruction` constructor reads the exec form of every such instruction while the file is
 * parsed: it scans the instruction's arguments (the longest of a Dockerfile are RUN lines) and its flags, and walks
 * an exec form character by character, just to find `[`, `]` and the JSON strings. harden reads a RUN's script from
 * the text (src/dockerfile/run-script.ts) and reads CMD, ENTRYPOINT, SHELL and VOLUME with JSON.parse
 * (src/dockerfile/instructions.ts, execForm); it asks the library for their JSON strings only when the text is not
 * plain JSON, so nearly all of that work is thrown away. (COPY and ADD are left alone: their JSON strings are read
 * for most of them.)
 *
 * Here the parser builds those instructions with the constructors of their base classes only (those of
 * `ModifiableInstruction`, `Instruction` and `Line`, which keep what they are given), and the three fields the JSON
 * constructor computes (`openingBracket`, `closingBracket`, `jsonStrings`) are computed the first time one of their
 * getters is called, by building the same instruction with the library's constructor and keeping its fields. An
 * instruction's text never changes after parsing, so they are what the constructor would have computed.
 *
 * It is installed only when the library is the one this expects: the parser's `createInstruction` is the known one
 * (it makes a RUN with `new Run(…)`…; `CREATE_INSTRUCTION`, a fingerprint of its source, layout aside); each class's
 * constructor and ModifiableInstruction's only call their base's; the JSON constructor is the known one
 * (`JSON_CONSTRUCTOR`); and no method of those classes other than the three getters reads those fields.
 * test/engine/dockerfile-lazy.test.ts compares every parse, every getter asked, with the library's.
 */
import { Cmd, Entrypoint, Instruction, JSONInstruction, Line, ModifiableInstruction, Run, Shell, Volume } from 'dockerfile-ast';
import { Parser } from 'dockerfile-ast/lib/parser.js';
import { fingerprint, squash } from './dockerfile-scan.js';

export { fingerprint };

type Construct = (document: unknown, dockerfile: unknown, escapeChar: string, lineRange: unknown, instruction: string, instructionRange: unknown) => unknown;

interface JSONFields {
  openingBracket?: unknown;
  closingBracket?: unknown;
  jsonStrings?: unknown[];
  document: unknown;
  range: unknown;
  dockerfile: unknown;
  escapeChar: string;
  instruction: string;
  instructionRange: unknown;
}

const FIELDS = ['openingBracket', 'closingBracket', 'jsonStrings'] as const;
const GETTERS = { getOpeningBracket: 'openingBracket', getClosingBracket: 'closingBracket', getJSONStrings: 'jsonStrings' } as const;

/** The constructor of a class's source text (`constructor(…) {…}`), or null. */
export function constructorSource(cls: { toString(): string }): string | null {
  const s = cls.toString();
  const at = s.indexOf('constructor(');
  if (at < 0) return null;
  let depth = 0;
  for (let i = s.indexOf('{', at); i >= 0 && i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return s.slice(at, i + 1);
  }
  return null;
}

/** A constructor that only hands its arguments to its base class. */
const FORWARDS = squash('constructor(document, range, dockerfile, escapeChar, instruction, instructionRange) { super(document, range, dockerfile, escapeChar, instruction, instructionRange); }');

/** dockerfile-ast 0.7.x: fingerprints of JSONInstruction's constructor and of Parser.createInstruction (squashed). */
export const JSON_CONSTRUCTOR = '4d0c6bb2';
export const CREATE_INSTRUCTION = 'b0228665';

/** The instructions built lazily, by upper-case keyword. */
const LAZY = new Map<string, abstract new (...a: never[]) => unknown>([
  ['RUN', Run],
  ['CMD', Cmd],
  ['ENTRYPOINT', Entrypoint],
  ['SHELL', Shell],
  ['VOLUME', Volume],
]);

/** Whether the library is the one the lazy instructions are made for (see the module comment). */
export function lazyJSONApplies(): boolean {
  const create = (Parser as unknown as { createInstruction?: unknown }).createInstruction;
  if (typeof create !== 'function' || typeof Reflect.construct !== 'function') return false;
  if (Object.getPrototypeOf(JSONInstruction) !== ModifiableInstruction || Object.getPrototypeOf(ModifiableInstruction) !== Instruction || Object.getPrototypeOf(Instruction) !== Line) return false;
  if (squash(constructorSource(ModifiableInstruction) ?? '') !== FORWARDS) return false;
  for (const cls of LAZY.values()) {
    if (Object.getPrototypeOf(cls) !== JSONInstruction || squash(constructorSource(cls) ?? '') !== FORWARDS) return false;
  }
  if (fingerprint(squash(constructorSource(JSONInstruction) ?? '')) !== JSON_CONSTRUCTOR) return false;
  if (fingerprint(squash(create.toString())) !== CREATE_INSTRUCTION) return false;
  const jsonProto = JSONInstruction.prototype as unknown as Record<string, unknown>;
  for (const [getter, field] of Object.entries(GETTERS)) {
    const m = jsonProto[getter];
    if (typeof m !== 'function' || squash(m.toString()) !== squash(`${getter}() { return this.${field}; }`)) return false;
  }
  // No other method of those instructions reads the fields.
  for (const cls of [...LAZY.values(), JSONInstruction, ModifiableInstruction, Instruction, Line]) {
    const proto = cls.prototype as unknown as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || (cls === JSONInstruction && name in GETTERS)) continue;
      const d = Object.getOwnPropertyDescriptor(proto, name);
      const src = [d?.value, d?.get, d?.set].map((f) => (typeof f === 'function' ? String(f) : '')).join('\n');
      if (FIELDS.some((f) => src.includes(f))) return false;
    }
  }
  return true;
}

/** The JSON fields of an instruction built lazily: those of the same instruction built by the library's constructor. */
function withJSON(ins: JSONFields): JSONFields {
  if (ins.jsonStrings === undefined) {
    const Cls = (ins as unknown as { constructor: new (...a: unknown[]) => JSONFields }).constructor;
    const full = new Cls(ins.document, ins.range, ins.dockerfile, ins.escapeChar, ins.instruction, ins.instructionRange);
    ins.openingBracket = full.openingBracket;
    ins.closingBracket = full.closingBracket;
    ins.jsonStrings = full.jsonStrings;
  }
  return ins;
}

const PATCHED = Symbol('lazy JSON patched');

/** Install the lazy instructions on dockerfile-ast's parser (idempotent). Returns whether the parser builds them. */
export function patchLazyJSON(): boolean {
  const P = Parser as unknown as { createInstruction: Construct; [PATCHED]?: true };
  if (P[PATCHED]) return true;
  if (!lazyJSONApplies()) return false;
  const create = P.createInstruction;
  P.createInstruction = function (this: unknown, document, dockerfile, escapeChar, lineRange, instruction, instructionRange) {
    const cls = LAZY.get(instruction.toUpperCase());
    if (cls) return Reflect.construct(ModifiableInstruction, [document, lineRange, dockerfile, escapeChar, instruction, instructionRange], cls);
    return create.call(this, document, dockerfile, escapeChar, lineRange, instruction, instructionRange);
  };
  const jsonProto = JSONInstruction.prototype as unknown as Record<string, (this: JSONFields) => unknown>;
  for (const getter of Object.keys(GETTERS)) {
    const original = jsonProto[getter] as (this: JSONFields) => unknown;
    jsonProto[getter] = function (this: JSONFields) {
      return original.call(withJSON(this));
    };
  }
  P[PATCHED] = true;
  return true;
}
