/**
 * Shared plumbing of the codemods that lock package installs in RUN (lock-apk-add, lock-apt-install,
 * lock-pip-install, lock-npm-global): the parsed scripts of a Dockerfile's RUN instructions with their stages, the
 * stages' base release, and small edit helpers that keep quoting and line continuations intact.
 *
 * ONBUILD RUN is left out: it runs in child builds, on another base image. Scripts the shell parser rejects are
 * skipped (never guessed at).
 */
import type { Instruction } from 'dockerfile-ast';
import { insertAt } from '../engine/edits.js';
import { isOk, type AnswerOf, type KnownLookupKey } from '../engine/lookups.js';
import type { Answer, Answers, Edit, GlobalSettings, LookupError, LookupKey, ParsedDockerfile, Range, Report } from '../engine/types.js';
import { shellLoaded, tryParseScript, type ShellScript, type SimpleCommand, type Word } from '../shell/index.js';
import { releaseLookups, releaseOf, stageTarget, type BaseRelease, type ReleaseResult, type StageTarget } from './base-release.js';
import { runScript, type RunScript } from './run-script.js';
import { stageAt, stagesOf, toRange, type Stage } from './stages.js';

export interface ParsedRun {
  ins: Instruction;
  rs: RunScript;
  script: ShellScript;
  /** Index of the stage holding the RUN. */
  stage: number;
}

export interface DockerfileRuns {
  stages: Stage[];
  runs: ParsedRun[];
}

const cache = new WeakMap<ParsedDockerfile, DockerfileRuns>();

/** Every shell-form RUN of the file (not ONBUILD), parsed; empty until the shell parser is loaded. */
export function dockerfileRuns(file: ParsedDockerfile): DockerfileRuns {
  const hit = cache.get(file);
  if (hit) return hit;
  const stages = stagesOf(file);
  const runs: ParsedRun[] = [];
  if (shellLoaded()) {
    for (const ins of file.ast.getInstructions()) {
      if (ins.getKeyword().toUpperCase() !== 'RUN') continue;
      const rs = runScript(file, ins);
      if (!rs || rs.onbuild) continue;
      const script = tryParseScript(rs);
      if (!script) continue;
      const stage = stageAt(stages, rs.range.start);
      if (stage < 0) continue;
      runs.push({ ins, rs, script, stage });
    }
  }
  const out = { stages, runs };
  if (shellLoaded()) cache.set(file, out);
  return out;
}

/** `classify` applied to every command of every parsed RUN of the file, in file order; nulls are left out. */
export function commandSites<S>(file: ParsedDockerfile, classify: (cmd: SimpleCommand, run: ParsedRun) => S | null): S[] {
  const out: S[] = [];
  for (const run of dockerfileRuns(file).runs) {
    for (const cmd of run.script.commands) {
      const s = classify(cmd, run);
      if (s) out.push(s);
    }
  }
  return out;
}

/** The stages `stage` builds on, itself first, following `FROM <stage>` chains. */
export function stageChain(stages: readonly Stage[], stage: number): number[] {
  const out: number[] = [];
  let s = stages[stage];
  while (s && !out.includes(s.index)) {
    out.push(s.index);
    s = s.base.kind === 'stage' ? stages[s.base.stage] : undefined;
  }
  return out;
}

/** Whether stage `stage` is `ancestor` or is built (through FROM chains) on it. */
export function buildsOn(stages: readonly Stage[], stage: number, ancestor: number): boolean {
  return stageChain(stages, stage).includes(ancestor);
}

/**
 * Whether anything before `offset` in the stage chain (RUN text, COPY/ADD destinations), or `scriptBefore` (the
 * same RUN's text before the install), may add package sources: then versions from the distro's own index may not
 * be what the package manager picks. Text matching `ignore` (a global RegExp) is left out first.
 */
export function mayAddSources(
  file: ParsedDockerfile,
  stages: readonly Stage[],
  stage: number,
  offset: number,
  scriptBefore: string,
  runPattern: RegExp,
  destPattern: RegExp,
  ignore?: RegExp,
): boolean {
  const strip = (t: string) => (ignore ? t.replace(ignore, '') : t);
  if (runPattern.test(strip(scriptBefore))) return true;
  const chain = stageChain(stages, stage);
  for (const ins of file.ast.getInstructions()) {
    const r = toRange(file.lineStarts, ins.getRange());
    if (r.start >= offset) break;
    if (!chain.includes(stageAt(stages, r.start))) continue;
    const kw = ins.getKeyword().toUpperCase();
    const text = file.text.slice(r.start, r.end);
    if (kw === 'RUN' && runPattern.test(strip(text))) return true;
    if ((kw === 'COPY' || kw === 'ADD') && destPattern.test(text)) return true;
  }
  return false;
}

/** Pipes into a shell (`curl … | bash -`, setup scripts that add repositories). */
export const PIPE_TO_SHELL = /\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:\/\S*\/)?(?:ba|da|z|k)?sh\b/;

/** Where the value of a word sits in its raw text: plain words and words wholly in one pair of quotes. */
export function quoteOffset(w: Word): number | undefined {
  if (w.value === null) return undefined;
  if (!w.quoted && w.raw === w.value) return 0;
  const q = w.raw[0];
  if ((q === '"' || q === "'") && w.raw.length >= 2 && w.raw.endsWith(q) && w.raw.slice(1, -1) === w.value) return 1;
  return undefined;
}

/**
 * Where to insert text right after a word's value: inside the closing quote of a word wholly wrapped in one pair of
 * quotes (`"curl"` → `"curl=1"`), else just after the word.
 */
export function afterWordValue(rs: RunScript, w: Word): number {
  const raw = w.raw;
  const q = raw[0];
  if ((q === '"' || q === "'") && raw.length >= 2 && raw.endsWith(q) && !raw.slice(1, -1).includes(q) && !raw.slice(1, -1).includes('\\')) {
    return rs.toFileOffset(w.range.end - 1, 'end');
  }
  return rs.toFileOffset(w.range.end, 'end');
}

/** Insert ` flag` after a word (a subcommand such as `add` / `install`). */
export function insertFlagAfter(rs: RunScript, w: Word, flag: string): Edit {
  return insertAt(rs.toFileOffset(w.range.end, 'end'), ` ${flag}`);
}

/** The command's range in the file. */
export function commandRange(rs: RunScript, cmd: SimpleCommand): Range {
  return rs.toFileRange(cmd.range);
}

/** Whether the command runs through `sudo` style wrappers is not modelled: only the command name itself counts. */
export function commandName(cmd: SimpleCommand): string | null {
  const n = cmd.name?.value;
  if (n == null) return null;
  return n.split('/').pop() ?? n;
}

/** A stage's base release state for a codemod, computed once per stage. */
export type StageRelease =
  | { kind: 'pending' }
  | { kind: 'scratch' }
  | { kind: 'unknown'; reason: string; lookupError?: LookupError }
  | { kind: 'known'; target: StageTarget; release: BaseRelease; fallback?: string; lookupError?: LookupError };

/** Lookups for the release of `stage`'s base image, and its state with the answers so far. */
export function stageRelease(
  file: ParsedDockerfile,
  stage: number,
  global: GlobalSettings,
  answers: Answers,
  keys: LookupKey[] | undefined,
  extraPaths: readonly (readonly string[])[] = [],
): StageRelease & { target?: StageTarget } {
  const t = stageTarget(file, stage, global);
  if (t.kind === 'scratch') return { kind: 'scratch' };
  if (t.kind === 'unknown') return { kind: 'unknown', reason: `its base image is unknown (${t.reason})` };
  if (keys) keys.push(...releaseLookups(t.target, answers, extraPaths));
  const r: ReleaseResult = releaseOf(t.target, answers);
  if (r.state === 'pending') return { kind: 'pending', target: t.target };
  if (r.state === 'unknown') return { kind: 'unknown', reason: `cannot tell the release of ${t.target.ref}: ${r.reason}`, ...(r.lookupError ? { lookupError: r.lookupError } : {}), target: t.target };
  const out: StageRelease & { target: StageTarget } = { kind: 'known', target: t.target, release: r.release };
  if (r.fallback) out.fallback = r.fallback;
  if (r.lookupError) out.lookupError = r.lookupError;
  return out;
}

/** ' (release from the tag: why)' for messages, when the tag's hints stood in for the image's files. */
export function releaseNote(r: { target: StageTarget; release: BaseRelease; fallback?: string }): string {
  const parts: string[] = [];
  if (r.fallback) parts.push(`release guessed from the tag of ${r.target.ref} because ${r.fallback}`);
  if (r.target.platformAssumed) parts.push(`platform ${r.target.platformAssumed} is set by the builder; resolved for ${r.target.platform}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** Lookup failures other than "no such package" make the run incomplete (exit code 2, like pin-image-digest). */
export function isLookupFailure(e: LookupError): boolean {
  return e.code !== 'not-found';
}

/** The finding of a stage whose release is unknown: an error when a lookup failed, else a warning. */
export function unknownReleaseReport(r: { reason: string; lookupError?: LookupError }, what: string): Omit<Report, 'range'> {
  const failed = r.lookupError !== undefined && isLookupFailure(r.lookupError);
  return { severity: failed ? 'error' : 'warning', message: `${what} not pinned: ${r.reason}`, data: failed ? { lookupFailed: true, code: r.lookupError?.code } : {} };
}

/** The answers to the version lookups of one command's packages. */
export interface VersionLookups<T, A> {
  /** Packages with a version, in order. */
  versions: [item: T, ans: A][];
  /** Packages nothing matches ("not-found"). */
  missing: string[];
  /** Failed lookups, as `name (code: message)`, and the code of the first. */
  failed: string[];
  failCode?: string;
}

/**
 * The version lookups of `items`, once all are answered (undefined before). `name` names an item in `failed`,
 * `missingName` (default: `name`) in `missing`.
 */
export function versionLookups<T, K extends KnownLookupKey>(
  items: readonly T[],
  answers: Answers,
  key: (item: T) => K,
  name: (item: T) => string,
  missingName: (item: T) => string = name,
): VersionLookups<T, AnswerOf<K>> | undefined {
  const out: VersionLookups<T, AnswerOf<K>> = { versions: [], missing: [], failed: [] };
  for (const item of items) {
    const o = outcome(answers.get(key(item)));
    if (!o) return undefined;
    if ('error' in o) {
      if (isLookupFailure(o.error)) {
        out.failed.push(`${name(item)} (${o.error.code}: ${o.error.message})`);
        out.failCode ??= o.error.code;
      } else out.missing.push(missingName(item));
      continue;
    }
    out.versions.push([item, o.ok]);
  }
  return out;
}

/** The error finding of a command whose version lookups failed (the run is incomplete: exit code 2). */
export function lookupFailedReport(range: Range, what: string, v: { failed: readonly string[]; failCode?: string }): Report {
  return { range, severity: 'error', message: `${what} not pinned: version lookup failed for ${v.failed.join(', ')}`, data: { lookupFailed: true, code: v.failCode } };
}

/** The ok payload or the error of an answer (undefined: not answered yet). */
export function outcome<T>(a: Answer<T> | undefined): { ok: T } | { error: LookupError } | undefined {
  if (!a) return undefined;
  return isOk(a) ? { ok: a.ok } : { error: a.error };
}
