/**
 * The engine loop for one file: parse → run codemods → apply non-overlapping fixes → re-parse, up to 10 passes.
 * A pass whose output no longer parses reverts the whole file and names the codemods; a cycle is an error.
 */
import { applies, applyFixes, companionOnly, malformedEdits, minSafety, offsetBefore, withHint } from './edits.js';
import { ParseError, parseFile } from './parse.js';
import { buildSuppressions, hadolintMap, ignoreNotes, type IgnoreNote } from './suppress.js';
import { BOM, computeLineStarts, lineIndexAt, offsetAt, positionAt } from './text.js';
import { dedupeKeys } from './lookups.js';
import { InputLimitError } from './limits.js';
import type { RoleDecision } from './roles.js';
import type {
  Answers,
  Codemod,
  Edit,
  FileKind,
  Finding,
  Fix,
  GlobalSettings,
  LookupKey,
  ParsedFile,
  ProjectView,
  Report,
} from './types.js';

export const MAX_PASSES = 10;

export interface EnabledCodemod {
  codemod: Codemod;
  options: Readonly<Record<string, unknown>>;
  severity?: Finding['severity'];
}

export interface FileInput {
  path: string;
  absPath: string | undefined;
  kind: FileKind;
  /** Decoded text without BOM. */
  text: string;
  bom: boolean;
  /** The parse of `text` made at discovery: the first pass uses it instead of parsing again (and so do its derived views). */
  parsed?: ParsedFile;
  /** Its role (src/engine/roles.ts), set on every pass's parse. */
  role?: RoleDecision;
}

export interface FileError {
  message: string;
  line?: number;
  column?: number;
  codemodId?: string;
}

export interface FileResult {
  path: string;
  absPath: string | undefined;
  kind: FileKind;
  /** Set for dev, CI and test files (src/engine/roles.ts): their role and what decided it. */
  role?: RoleDecision;
  /** Full original and resulting text, BOM included. */
  before: string;
  after: string;
  changed: boolean;
  /** Fixes applied (fix mode), in the order applied. */
  applied: Finding[];
  /** Findings left after fixing (or every finding, in check mode). */
  findings: Finding[];
  /** Unsafe fixes not applied because --unsafe was not given. */
  heldBack: number;
  suppressed: number;
  /** Ignore comments naming no codemod, and harden directives that suppressed nothing (see suppress.ts). */
  ignoreNotes?: IgnoreNote[];
  error?: FileError;
}

export interface ProcessOptions {
  codemods: readonly EnabledCodemod[];
  /** 'safe' (default) or 'unsafe' (--unsafe). */
  allowed: 'safe' | 'unsafe';
  /** false = check mode: one pass, nothing applied. */
  applyFixes: boolean;
  global: GlobalSettings;
  answers: Answers;
  project: ProjectView;
  /** Resolve keys a later pass needs that the first batch did not cover. */
  resolveMissing?: (keys: readonly LookupKey[]) => Promise<void>;
  /** Every codemod id of the run (to report `harden-ignore` ids that name none); default: the enabled ones. */
  knownIds?: readonly string[];
  /** Findings to drop as if suppressed (e.g. a codemod backed off for one compose service by `harden verify`). */
  backedOff?: (parsed: ParsedFile, codemodId: string, offset: number) => boolean;
}

interface RawReport {
  enabled: EnabledCodemod;
  order: number;
  report: Report;
  /** `effectiveFix` of it, once asked (null: no fix). */
  effective?: Fix | null;
}

const NO_ANSWERS: Answers = { get: () => undefined };

export function collectLookups(
  parsed: ParsedFile,
  codemods: readonly EnabledCodemod[],
  global: GlobalSettings,
  answers: Answers = NO_ANSWERS,
): LookupKey[] {
  const keys: LookupKey[] = [];
  declareLookups(parsed, codemods, global, answers, keys);
  return dedupeKeys(keys);
}

/** The keys the codemods declare for a file, pushed onto `keys` as declared (duplicates included). */
function declareLookups(parsed: ParsedFile, codemods: readonly EnabledCodemod[], global: GlobalSettings, answers: Answers, keys: LookupKey[]): void {
  for (const { codemod, options } of codemods) {
    if (!codemod.fileKinds.includes(parsed.kind) || !codemod.lookups) continue;
    try {
      for (const k of codemod.lookups(parsed, options, global, answers)) keys.push(k);
    } catch (e) {
      throw new CodemodCrash(codemod.id, e);
    }
  }
}

/** Max rounds of follow-up lookups (a codemod asking again after seeing answers). */
export const MAX_LOOKUP_ROUNDS = 5;

/**
 * Resolve what these files' codemods need, round after round, until no codemod asks anything new.
 * All files' keys of one round go to the resolver in one batch. With `onFileError`, a file whose codemods throw
 * while declaring lookups is handed to it (and asks nothing more) instead of failing every file of the batch.
 *
 * A file's lookups are asked again on the next round only when, on this one, they read an answer that was not there
 * yet: lookups are a function of the file, its options and the answers they read, so a file that found every answer
 * it read would declare the same keys again (all of them answered once this round's are resolved).
 */
export async function resolveLookups(
  parsedFiles: readonly ParsedFile[],
  codemodsFor: (f: ParsedFile) => readonly EnabledCodemod[],
  global: GlobalSettings,
  answers: Answers & { has?(k: LookupKey): boolean },
  resolve: (keys: readonly LookupKey[]) => Promise<void>,
  onFileError?: (f: ParsedFile, error: FileError) => void,
): Promise<void> {
  let asking: readonly ParsedFile[] = parsedFiles;
  for (let round = 0; round < MAX_LOOKUP_ROUNDS && asking.length > 0; round++) {
    const again: ParsedFile[] = [];
    const keys: LookupKey[] = [];
    for (const f of asking) {
      let missed = false;
      const reading: Answers = {
        get: (k) => {
          const a = answers.get(k);
          if (a === undefined) missed = true;
          return a;
        },
      };
      // A file's keys join the round's as declared (the round's are de-duplicated once), unless its codemods throw.
      const own: LookupKey[] = [];
      try {
        declareLookups(f, codemodsFor(f), global, reading, own);
      } catch (e) {
        if (!onFileError) throw e;
        onFileError(f, crashError(e));
        continue;
      }
      for (const k of own) keys.push(k);
      if (missed) again.push(f);
    }
    const missing = dedupeKeys(keys).filter((k) => answers.get(k) === undefined);
    if (missing.length === 0) return;
    await resolve(missing);
    asking = again;
  }
}

/**
 * For Dockerfiles, suppression comments sit before the instruction that holds the finding. Worked out on first use:
 * only a file with a suppression comment needs it.
 */
function anchorFor(parsed: ParsedFile): (offset: number) => number {
  let anchor: ((offset: number) => number) | undefined;
  return (o) => (anchor ??= anchorOf(parsed))(o);
}

function anchorOf(parsed: ParsedFile): (offset: number) => number {
  if (parsed.kind === 'shell') {
    // A command continued over several lines (`\`): comments before its first line apply to all of it.
    const { text, lineStarts } = parsed;
    return (o) => {
      let l = lineIndexAt(lineStarts, o);
      while (l > 0 && /\\\r?\n$/.test(text.slice(lineStarts[l - 1], lineStarts[l]))) l--;
      return lineStarts[l] ?? o;
    };
  }
  if (parsed.kind !== 'dockerfile') return (o) => o;
  const starts = parsed.ast.getInstructions().map((ins) => {
    const r = ins.getRange();
    return {
      start: offsetAt(parsed.lineStarts, r.start.line, r.start.character),
      end: offsetAt(parsed.lineStarts, r.end.line, r.end.character),
    };
  });
  return (o) => starts.find((s) => s.start <= o && o <= s.end)?.start ?? o;
}

function runCodemods(parsed: ParsedFile, opts: ProcessOptions): RawReport[] {
  const out: RawReport[] = [];
  opts.codemods.forEach((enabled, order) => {
    const { codemod, options } = enabled;
    if (!codemod.fileKinds.includes(parsed.kind)) return;
    try {
      codemod.run({
        file: parsed,
        options,
        global: opts.global,
        answers: opts.answers,
        project: opts.project,
        report: (report) => {
          // A fix the engine cannot apply as reported is the codemod's bug: fail the file loudly, never report it as applied.
          const bad = report.fix && report.fix.safety !== 'manual' ? malformedEdits(parsed.text, report.fix) : undefined;
          if (bad) throw new Error(`its fix '${report.fix?.title}' has malformed edits (${bad})`);
          out.push({ enabled, order, report });
        },
      });
    } catch (e) {
      throw new CodemodCrash(codemod.id, e);
    }
  });
  return out;
}

/** A codemod threw. Input over a limit keeps its own message; anything else names the codemod. */
export class CodemodCrash extends Error {
  constructor(
    readonly codemodId: string,
    cause: unknown,
  ) {
    super(
      cause instanceof InputLimitError
        ? cause.message
        : `codemod ${codemodId} failed: ${cause instanceof Error ? `${cause.name === 'Error' ? '' : `${cause.name}: `}${cause.message}` : String(cause)}`,
      { cause },
    );
  }
}

/** Anything thrown while processing one file, as that file's error. */
export function crashError(e: unknown): FileError {
  if (e instanceof CodemodCrash) return { message: e.message, codemodId: e.codemodId };
  if (e instanceof InputLimitError) return { message: e.message };
  return { message: `internal error while processing this file: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}; the file was left unchanged` };
}

/** The effective fix safety: never safer than the codemod declares. Worked out once per report (reports are never changed). */
function effectiveFix(r: RawReport): Fix | undefined {
  if (r.effective === undefined) r.effective = computeEffectiveFix(r) ?? null;
  return r.effective ?? undefined;
}

function computeEffectiveFix(r: RawReport): Fix | undefined {
  const f = r.report.fix;
  if (!f) return undefined;
  const out: Fix = Object.assign({}, f);
  out.safety = minSafety(f.safety, r.enabled.codemod.safety);
  // Claims given as a hint (not printed) stay a hint.
  return f.claims && !Object.prototype.propertyIsEnumerable.call(f, 'claims') ? withHint(out, 'claims', f.claims) : out;
}

/**
 * Where a report made on a later pass's text points in the file as it was read: findings always name the user's
 * lines, whatever earlier passes inserted above them.
 */
interface Origin {
  lineStarts: readonly number[];
  /** The edits of each applied pass, in order. */
  passes: Edit[][];
}

function originalRange(origin: Origin, range: { start: number; end: number }): { start: number; end: number } {
  let { start, end } = range;
  for (let i = origin.passes.length - 1; i >= 0; i--) {
    const edits = origin.passes[i] as Edit[];
    start = offsetBefore(edits, start, 'start');
    end = Math.max(start, offsetBefore(edits, end, 'end'));
  }
  return { start, end };
}

function toFinding(parsed: ParsedFile, r: RawReport, fixStatus: Finding['fixStatus'], origin?: Origin): Finding {
  const mapped = origin && origin.passes.length > 0 ? originalRange(origin, r.report.range) : r.report.range;
  const lineStarts = origin && origin.passes.length > 0 ? origin.lineStarts : parsed.lineStarts;
  const start = positionAt(lineStarts, mapped.start);
  const end = positionAt(lineStarts, mapped.end);
  const fixed = effectiveFix(r);
  // The report's fields, then the engine's, in that order (a field the report has keeps its place): assigned one by
  // one, since V8 (Node 20) takes a slow path for every property a literal adds after a spread.
  const f = Object.assign({}, r.report) as Finding;
  if (fixed) f.fix = fixed;
  f.codemodId = r.enabled.codemod.id;
  f.path = parsed.path;
  f.severity = r.report.severity ?? r.enabled.severity ?? r.enabled.codemod.severity ?? 'warning';
  f.line = start.line;
  f.column = start.column;
  f.endLine = end.line;
  f.endColumn = end.column;
  f.fixStatus = fixStatus;
  return f;
}

function statusOf(fix: Fix | undefined, allowed: 'safe' | 'unsafe', checkMode: boolean): Finding['fixStatus'] {
  if (!fix) return 'none';
  if (fix.safety === 'manual') return 'manual';
  if (applies(fix.safety, allowed)) return checkMode ? 'fixable' : 'applied';
  return 'held-back';
}

function sortReports(reports: RawReport[]): RawReport[] {
  return reports.sort(
    (a, b) => a.order - b.order || a.report.range.start - b.report.range.start || a.report.range.end - b.report.range.end,
  );
}

/** `hadolintMap` of a codemod list (files of a run share their lists: see `codemodsFor` in src/api.ts). */
const hadolintMaps = new WeakMap<readonly EnabledCodemod[], Map<string, string[]>>();

function hadolintOf(codemods: readonly EnabledCodemod[]): Map<string, string[]> {
  let m = hadolintMaps.get(codemods);
  if (!m) {
    m = hadolintMap(codemods.map((e) => e.codemod));
    hadolintMaps.set(codemods, m);
  }
  return m;
}

/** Line tables of results, by result: kept beside them (not in them, so JSON output and results stay as they are). */
const lineTables = new WeakMap<FileResult, readonly number[]>();

/** The line starts of a result's text as read (BOM removed), as the engine computed them; undefined for files never processed. */
export function lineTableOf(result: FileResult): readonly number[] | undefined {
  return lineTables.get(result);
}

export async function processFile(input: FileInput, opts: ProcessOptions): Promise<FileResult> {
  const bom = input.bom ? BOM : '';
  const before = bom + input.text;
  // A result's fields in their order: path, absPath, kind, role (dev, CI and test files), before, then the outcome's.
  // Assigned one by one on a fresh object, never added after a spread (V8 in Node 20 makes each such property slow).
  const newResult = (after: string, applied: Finding[], findings: Finding[], heldBack: number, suppressed: number): FileResult => {
    const r = { path: input.path, absPath: input.absPath, kind: input.kind } as FileResult;
    if (input.role && input.role.role !== 'production') r.role = input.role;
    r.before = before;
    r.after = after;
    r.changed = after !== before;
    r.applied = applied;
    r.findings = findings;
    r.heldBack = heldBack;
    r.suppressed = suppressed;
    return r;
  };
  // The line table of the text as read: the discovery parse's own (findings and SARIF use it), else computed once.
  const origin: Origin = { lineStarts: input.parsed?.text === input.text ? input.parsed.lineStarts : computeLineStarts(input.text), passes: [] };
  const withTable = (r: FileResult): FileResult => {
    lineTables.set(r, origin.lineStarts);
    return r;
  };
  const failed = (error: FileError): FileResult => {
    const r = newResult(before, [], [], 0, 0);
    r.error = error;
    return withTable(r);
  };

  const history: string[] = [input.text];
  const applied: Finding[] = [];
  let text = input.text;
  let lastAppliedIds: string[] = [];
  for (let pass = 1; ; pass++) {
    let parsed: ParsedFile;
    try {
      parsed = pass === 1 && input.parsed?.text === text ? input.parsed : parseFile(input.kind, input.path, input.absPath, text);
      if (input.role) parsed.role = input.role;
    } catch (e) {
      const pe = e instanceof ParseError ? e : new ParseError(String(e));
      if (pass === 1) return failed({ message: pe.message, line: pe.line, column: pe.column });
      return failed({
        message: `a fix by ${lastAppliedIds.join(', ')} produced output that no longer parses (${pe.message}); the file was left unchanged`,
        codemodId: lastAppliedIds[0],
      });
    }
    let reports: RawReport[];
    try {
      if (pass > 1 && opts.resolveMissing) {
        const resolveMissing = opts.resolveMissing;
        await resolveLookups([parsed], () => opts.codemods, opts.global, opts.answers, (k) => resolveMissing(k));
      }
      reports = sortReports(runCodemods(parsed, opts));
    } catch (e) {
      if (e instanceof CodemodCrash) return failed(crashError(e));
      throw e;
    }
    const suppressions = buildSuppressions(parsed, anchorFor(parsed), () => hadolintOf(opts.codemods));
    const kept = reports.filter(
      (r) => !suppressions.isSuppressed(r.enabled.codemod.id, r.report.range.start) && !opts.backedOff?.(parsed, r.enabled.codemod.id, r.report.range.start),
    );
    const suppressed = reports.length - kept.length;

    const checkMode = !opts.applyFixes;
    const allowedNow = (r: RawReport) => {
      const f = effectiveFix(r);
      return f !== undefined && applies(f.safety, opts.allowed);
    };
    // Fixes that only change other files (companions) are applied once, from the final pass: they never change this text.
    const applicable = checkMode ? [] : kept.filter((r) => allowedNow(r) && !companionOnly(effectiveFix(r) as Fix));

    const finish = (finalParsed: ParsedFile, finalReports: RawReport[]): FileResult => {
      if (!checkMode) {
        for (const r of finalReports.filter((x) => allowedNow(x) && companionOnly(effectiveFix(x) as Fix))) {
          const f = toFinding(finalParsed, r, 'applied', origin);
          f.pass = history.length;
          applied.push(f);
        }
        finalReports = finalReports.filter((x) => !(allowedNow(x) && companionOnly(effectiveFix(x) as Fix)));
      }
      const findings = finalReports.map((r) =>
        toFinding(finalParsed, r, statusOf(effectiveFix(r), opts.allowed, checkMode), origin),
      );
      const result = newResult(bom + text, applied, findings, findings.filter((f) => f.fixStatus === 'held-back').length, suppressed);
      result.ignoreNotes = suppressions.directives.length
        ? ignoreNotes(suppressions.directives, opts.knownIds ?? opts.codemods.map((e) => e.codemod.id), new Set(opts.codemods.map((e) => e.codemod.id)))
        : [];
      return withTable(result);
    };

    if (applicable.length === 0) return finish(parsed, kept);
    if (pass > MAX_PASSES) {
      return failed({ message: `fixes did not converge after ${MAX_PASSES} passes (codemods: ${lastAppliedIds.join(', ')})` });
    }

    const fixes = applicable.map((r) => effectiveFix(r) as Fix);
    const { output, applied: idx, edits, made } = applyFixes(text, fixes);
    if (idx.length === 0) return finish(parsed, kept);
    const appliedReports = idx.map((i) => applicable[i] as RawReport);
    appliedReports.forEach((r, k) => {
      const f = toFinding(parsed, r, 'applied', origin);
      // An applied fix names the edits it made: a shared block another fix of the pass wrote is not its change.
      const own = made[k];
      if (f.fix && own && own.length !== f.fix.edits.length) {
        const fix = Object.assign({}, f.fix);
        fix.edits = own;
        f.fix = fix;
      }
      f.pass = pass;
      applied.push(f);
    });
    origin.passes.push(edits);
    lastAppliedIds = [...new Set(appliedReports.map((r) => r.enabled.codemod.id))];
    if (history.includes(output)) {
      return failed({ message: `circular fixes detected between ${lastAppliedIds.join(', ')}; the file was left unchanged` });
    }
    history.push(output);
    text = output;
  }
}

/** Convenience for tests and the API: run codemods on a text in memory. */
export async function processText(
  kind: FileKind,
  path: string,
  text: string,
  opts: Omit<ProcessOptions, 'project'> & { project?: ProjectView; absPath?: string },
): Promise<FileResult> {
  const bom = text.startsWith(BOM);
  const body = bom ? text.slice(1) : text;
  const project = opts.project ?? { files: [], byAbsPath: () => undefined, indexed: () => [] };
  return processFile({ kind, path, absPath: opts.absPath, text: body, bom }, { ...opts, project });
}

export { computeLineStarts };
