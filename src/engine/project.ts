/**
 * Running codemods over a project: the one path from "files to process" to results, shared by the API and the
 * fixture tests. Parse once (the parse is what the first pass and every derived view use), choose the codemods of each
 * file, load their heavy dependencies, resolve every lookup of a batch of files at once, then process file by file.
 *
 * Files are processed in batches (whole directories, about `batchFiles` files each) so memory holds one batch's parses,
 * not the tree's: a parse is dropped once its file is processed. What other files may need of a parse stays
 * reachable through `ProjectView`:
 * - compose files come first, and those `keep` selects stay for the later batches (the API keeps compose files that
 *   build a Dockerfile of the run: pin-image-digest reads their build args, dockerfile-healthcheck their services);
 * - files of the same directory are always in the same batch (a compose file and its overrides see each other);
 * - anything else a codemod reads of another file goes through a `file` lookup (the resolver reads it from disk).
 */
import { ParseError, parseFile } from './parse.js';
import { BOM } from './text.js';
import { crashError, processFile, resolveLookups, type EnabledCodemod, type FileError, type FileResult, type ProcessOptions } from './run.js';
import type { RoleDecision } from './roles.js';
import type { FileKind, LookupKey, ParsedFile, ProjectView } from './types.js';

/** A file to process; its text is read when its batch comes. */
export interface ProjectFile {
  path: string;
  absPath: string | undefined;
  kind: FileKind;
  /** Production, dev, CI or test (src/engine/roles.ts), decided at discovery; absent: production. */
  role?: RoleDecision;
  /** Its decoded text (BOM removed, `bom` says whether there was one), or why it cannot be read. */
  load(): Promise<{ text: string; bom: boolean } | { problem: string }>;
}

export interface RunProjectOptions extends Pick<ProcessOptions, 'allowed' | 'applyFixes' | 'global' | 'answers' | 'knownIds' | 'backedOff'> {
  /** The codemods to run on a parsed file (config, --only/--skip). */
  codemodsFor(file: ParsedFile): EnabledCodemod[] | Promise<EnabledCodemod[]>;
  /** Resolve these lookup keys into `answers`. */
  resolve(keys: readonly LookupKey[]): Promise<void>;
  /** Parsed files visible to codemods through `ctx.project` without being processed (tests' `project.*` files). */
  context?: readonly ParsedFile[];
  /**
   * Whether a processed file stays visible to the later batches (`ctx.project`), e.g. a compose file building a
   * Dockerfile of the run. Default: none does.
   */
  keep?(file: ParsedFile): boolean;
  /** About how many files a batch holds (default 256); a directory is never split. */
  batchFiles?: number;
  /**
   * Each file's result as soon as it is processed (processing order). With it, results are handed over instead of
   * kept: `ProjectOutcome.results` stays empty, so memory holds one batch, not the whole run.
   */
  onResult?(result: FileResult): void | Promise<void>;
}

export interface ProjectOutcome {
  /** In processing order (compose files first, then the others, each in the order given). */
  results: FileResult[];
  /** Files that could not be read, in the order given. */
  problems: { path: string; message: string }[];
}

const dirOf = (f: ProjectFile): string => (f.absPath ?? f.path).replace(/[/\\][^/\\]*$/, '');

/** Batches of whole directories, compose files' batches first. */
function batches(files: readonly ProjectFile[], size: number): ProjectFile[][] {
  const out: ProjectFile[][] = [];
  for (const group of [files.filter((f) => f.kind === 'compose'), files.filter((f) => f.kind !== 'compose')]) {
    const byDir = new Map<string, ProjectFile[]>();
    for (const f of group) {
      const d = dirOf(f);
      const list = byDir.get(d);
      if (list) list.push(f);
      else byDir.set(d, [f]);
    }
    let cur: ProjectFile[] = [];
    for (const list of byDir.values()) {
      if (cur.length > 0 && cur.length + list.length > size) {
        out.push(cur);
        cur = [];
      }
      cur.push(...list);
    }
    if (cur.length > 0) out.push(cur);
  }
  return out;
}

function failedResult(file: ProjectFile, t: { text: string; bom: boolean }, error: FileError): FileResult {
  const before = (t.bom ? BOM : '') + t.text;
  return { path: file.path, absPath: file.absPath, kind: file.kind, before, after: before, changed: false, applied: [], findings: [], heldBack: 0, suppressed: 0, error };
}

export async function runProject(files: readonly ProjectFile[], opts: RunProjectOptions): Promise<ProjectOutcome> {
  const results: FileResult[] = [];
  const emit = async (r: FileResult): Promise<void> => {
    if (opts.onResult) await opts.onResult(r);
    else results.push(r);
  };
  const problems = new Map<ProjectFile, { path: string; message: string }>();
  const prepared = new Set<EnabledCodemod['codemod']>();
  /** Processed files kept visible to later batches (`opts.keep`). */
  const kept: ParsedFile[] = [];

  for (const batch of batches(files, opts.batchFiles ?? 256)) {
    const loaded: { file: ProjectFile; text: string; bom: boolean; parsed: ParsedFile; codemods: EnabledCodemod[] }[] = [];
    for (const file of batch) {
      const t = await file.load();
      if ('problem' in t) {
        problems.set(file, { path: file.path, message: t.problem });
        continue;
      }
      let parsed: ParsedFile;
      try {
        parsed = parseFile(file.kind, file.path, file.absPath, t.text);
        if (file.role) parsed.role = file.role;
      } catch (e) {
        const error: FileError = e instanceof ParseError ? { message: e.message, line: e.line, column: e.column } : crashError(e);
        await emit(failedResult(file, t, error));
        continue;
      }
      loaded.push({ file, text: t.text, bom: t.bom, parsed, codemods: await opts.codemodsFor(parsed) });
    }
    for (const l of loaded) {
      for (const e of l.codemods) {
        if (prepared.has(e.codemod)) continue;
        prepared.add(e.codemod);
        await e.codemod.prepare?.();
      }
    }
    const parsedHere = loaded.map((l) => l.parsed);
    const byParsed = new Map(loaded.map((l) => [l.parsed, l.codemods] as const));
    // A file whose codemods throw while declaring lookups (or that goes beyond a limit) fails alone.
    const lookupFailures = new Map<ParsedFile, FileError>();
    await resolveLookups(parsedHere, (p) => byParsed.get(p) ?? [], opts.global, opts.answers, opts.resolve, (p, err) => lookupFailures.set(p, err));

    const visible = [...parsedHere, ...kept, ...(opts.context ?? [])];
    const byAbs = new Map<string, ParsedFile>();
    for (const f of visible) if (f.absPath !== undefined && !byAbs.has(f.absPath)) byAbs.set(f.absPath, f);
    const project: ProjectView = { files: visible, byAbsPath: (p) => byAbs.get(p) };
    for (const l of loaded) {
      const early = lookupFailures.get(l.parsed);
      if (early) {
        await emit(failedResult(l.file, l, early));
        continue;
      }
      let result: FileResult;
      try {
        result = await processFile(
          { path: l.file.path, absPath: l.file.absPath, kind: l.file.kind, text: l.text, bom: l.bom, parsed: l.parsed, role: l.file.role },
          { ...opts, codemods: l.codemods, project, resolveMissing: opts.resolve },
        );
      } catch (e) {
        // Whatever goes wrong inside one file (a stack overflow on pathological input included) is that file's error.
        result = failedResult(l.file, l, crashError(e));
      }
      await emit(result);
    }
    if (opts.keep) for (const p of parsedHere) if (opts.keep(p)) kept.push(p);
  }
  return { results, problems: files.flatMap((f) => problems.get(f) ?? []) };
}
