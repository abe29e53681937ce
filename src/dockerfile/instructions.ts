/**
 * Instructions of a Dockerfile grouped by build stage, with what each stage inherits from the stage it is built
 * `FROM` (its SHELL, USER and every instruction before), for codemods that reason about "the final stage".
 */
import type { Instruction } from 'dockerfile-ast';
import type { ParsedDockerfile, Range } from '../engine/types.js';
import { detectDistro } from './distro.js';
import { stageBaseImage, type StageBase } from './images.js';
import { stageChain } from './package-installs.js';
import { stagesOf, toRange, type Stage } from './stages.js';
import { derived } from '../engine/derive.js';

export interface Ins {
  ins: Instruction;
  /** Upper-case keyword (`RUN`, `ONBUILD`…). */
  kw: string;
  range: Range;
  stage: number;
}

export interface StagedFile {
  stages: Stage[];
  /** Every instruction (before the first FROM: stage -1). */
  all: Ins[];
  /** Instructions of one stage, FROM included. */
  of(stage: number): Ins[];
  /**
   * Instructions in effect for `stage`: those of the stages it is built on (following `FROM <stage>` chains), oldest
   * first, then its own.
   */
  chain(stage: number): Ins[];
  /** Stage indexes of the chain, root first. */
  chainStages(stage: number): number[];
}

/**
 * The staged view of a parsed Dockerfile, made once per parse and shared by every codemod (see src/engine/derive.ts):
 * its arrays, including those `of()` and `chain()` return, are shared too (read-only).
 */
export const staged: (file: ParsedDockerfile) => StagedFile = derived(computeStaged);

function computeStaged(file: ParsedDockerfile): StagedFile {
  const stages = stagesOf(file);
  const all: Ins[] = [];
  // Instructions come in text order: the stage of each is the last FROM at or before it.
  let stage = -1;
  for (const ins of file.ast.getInstructions()) {
    const range = toRange(file.lineStarts, ins.getRange());
    while (stage + 1 < stages.length && (stages[stage + 1] as Stage).from.start <= range.start) stage++;
    all.push({ ins, kw: ins.getKeyword().toUpperCase(), range, stage });
  }
  const byStage = new Map<number, Ins[]>();
  for (const i of all) {
    let own = byStage.get(i.stage);
    if (!own) byStage.set(i.stage, (own = []));
    own.push(i);
  }
  const none: Ins[] = [];
  const of = (s: number): Ins[] => byStage.get(s) ?? none;
  // stageChain walks from the stage to its root; the chain here reads root first.
  const chains = new Map<number, { stages: number[]; ins: Ins[] }>();
  const chainOf = (s: number) => {
    let c = chains.get(s);
    if (!c) {
      const order = stageChain(stages, s).reverse();
      chains.set(s, (c = { stages: order, ins: order.flatMap(of) }));
    }
    return c;
  };
  return {
    stages,
    all,
    of,
    chain: (s) => chainOf(s).ins,
    chainStages: (s) => [...chainOf(s).stages],
  };
}

/**
 * The JSON array of an exec-form instruction (`SHELL`, `CMD`, `ENTRYPOINT`, `RUN`, `VOLUME`), or null for shell form.
 * The array is read as JSON, so words keep their spaces (`["sh", "-c", "a && b"]`, `VOLUME ["/data dir"]`): the
 * parser's own JSON strings drop them. They are used only when the text is not plain JSON once line continuations
 * are removed.
 */
export function execForm(file: ParsedDockerfile, ins: Instruction): string[] | null {
  const content = ins.getArgumentsContent()?.trim() ?? '';
  if (!content.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(content.replace(/\\[ \t]*\r?\n/g, ' '));
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not plain JSON: the parser's reading, when it has one
  }
  const json = (ins as unknown as { getJSONStrings?(): { getJSONValue(): string }[] }).getJSONStrings?.();
  if (json && json.length > 0) return json.map((j) => j.getJSONValue());
  void file;
  return null;
}

/** Whether a SHELL instruction's argv turns errexit on (`-e`, `-eux`, `-o errexit` before `-c`). */
export function shellErrexit(argv: readonly string[]): boolean {
  let on = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-c' || !/^[-+][a-z]+$/i.test(a)) {
      if (/^-[a-z]*c$/i.test(a)) {
        // `-ec`: flags then c
        if (a.includes('e')) on = true;
      }
      break;
    }
    const set = a[0] === '-';
    for (const letter of a.slice(1)) {
      if (letter === 'e') on = set;
      else if (letter === 'o') {
        const name = argv[++i];
        if (name === 'errexit') on = set;
      }
    }
  }
  return on;
}

const POSIX_SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'mksh', 'zsh', 'busybox']);

/**
 * Whether shell-form RUN at `ins` runs under a POSIX shell: the last `SHELL` before it (in its stage or the stages it
 * is built FROM) names sh/bash/ash…, or there is none and the stage's base is not a Windows image (whose default
 * shell is `cmd /S /C`). False for `SHELL ["powershell", …]` / `["cmd", …]`: shell codemods leave those RUNs alone.
 */
export function posixShellAt(file: ParsedDockerfile, sf: StagedFile, ins: Ins): boolean {
  // An Ins belongs to one staged view of one parse: the answer is kept per Ins.
  let v = posixShells.get(ins);
  if (v === undefined) posixShells.set(ins, (v = computePosixShellAt(file, sf, ins)));
  return v;
}

const posixShells = new WeakMap<Ins, boolean>();

function computePosixShellAt(file: ParsedDockerfile, sf: StagedFile, ins: Ins): boolean {
  let shell: string[] | null = null;
  for (const x of sf.chain(ins.stage)) {
    if (x.stage === ins.stage && x.range.start > ins.range.start) break;
    if (x.kw === 'SHELL') shell = execForm(file, x.ins);
  }
  if (shell) {
    const argv0 = (shell[0] ?? '').replace(/\\/g, '/').split('/').pop()?.toLowerCase().replace(/\.exe$/, '') ?? '';
    return POSIX_SHELLS.has(argv0);
  }
  return !windowsBase(stageBaseImage(file, ins.stage));
}

/**
 * Whether a stage's base is a Windows image. stageBaseImage keeps one object per parse and stage, so the answer is
 * kept per object: the distribution is read once per stage, not once per RUN.
 */
function windowsBase(base: StageBase): boolean {
  let v = windowsBases.get(base);
  if (v === undefined) windowsBases.set(base, (v = base.kind === 'image' && MAY_BE_WINDOWS.test(base.ref) && detectDistro(base.ref).family === 'windows'));
  return v;
}

/** What detectDistro needs to see in a reference to call it Windows (a name or tag word): other references are not read. */
const MAY_BE_WINDOWS = /windows|servercore|nanoserver|ltsc/i;

const windowsBases = new WeakMap<StageBase, boolean>();

/** The user of a `USER` instruction: name or uid before the optional `:group`. */
export function userOf(ins: Instruction): string | null {
  const raw = ins.getArgumentsContent()?.trim();
  if (!raw) return null;
  return raw.split(':')[0]?.trim() ?? null;
}

/** Whether a USER value means root. Null when it cannot be known (variables). */
export function isRootUser(user: string): boolean | null {
  if (user.includes('$')) return null;
  return user === 'root' || /^0+$/.test(user);
}
