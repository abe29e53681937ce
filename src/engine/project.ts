/**
 * Running codemods over a project: the one path from "files to process" to results, shared by the API and the
 * fixture tests. Parse once (the parse is what the first pass and every derived view use), choose the codemods of each
 * file, load their heavy dependencies, resolve every lookup of a batch of files at once, then process file by file.
 *
 * Files are processed in bounded batches (about `batchFiles` files each) so memory holds one batch's parses, not the
 * tree's: a parse is dropped once its file is processed. A large directory is split across batches; what other files
 * may need of a parse stays reachable through `ProjectView`:
 * - files `together` gives the same key in one directory are never split (the API keeps a directory's compose base
 *   and override files together, and its Kubernetes files: a kustomization and its resources);
 * - compose files come first, and those `keep` selects stay for the later batches (the API keeps compose files that
 *   build a Dockerfile of the run: pin-image-digest reads their build args, dockerfile-healthcheck their services);
 * - files `shared` selects by their text are read and parsed before the first batch and seen by every batch (the API
 *   shares kustomizations: they name resources in other directories);
 * - what a codemod needs of every file of the run it declares as a `RunIndex` (compose-resource-limits: the sizes
 *   services state), whose small entries are taken from each file before the first batch;
 * - anything else a codemod reads of another file goes through a `file` lookup (the resolver reads it from disk).
 * Which files share a batch therefore changes no result.
 */
import { checkOptions } from './options.js';
import { ParseError, parseFile } from './parse.js';
import { BOM } from './text.js';
import { crashError, processFile, resolveLookups, type EnabledCodemod, type FileError, type FileResult, type ProcessOptions } from './run.js';
import type { RoleDecision } from './roles.js';
import type { Answers, FileKind, LookupKey, ParsedFile, ProjectView, RunIndex } from './types.js';
import type { WorkerOptions } from './workers.js';

/** At most this much text (characters) of files parsed before the first batch is kept for their batch. */
const EARLY_CHARS = 2 * 1024 * 1024;
/**
 * At most this much text (characters) of files read before the first batch but not kept parsed is kept for their batch,
 * which then does not read them again (a run index reads every compose file; few hold what it indexes). Reading a file
 * again costs far less than holding its text through the batches before its own: it is held from the pre-pass to its
 * batch, so it is copied by scavenges and promoted, and it raises the heap the next limit is computed from (a text of
 * non-Latin-1 characters takes two bytes a character).
 */
const EARLY_TEXT_CHARS = 2 * 1024 * 1024;

/** What names a file of the run: enough to choose its codemods before it is parsed. */
export type FileRef = Pick<ProjectFile, 'path' | 'absPath' | 'kind' | 'role' | 'composeVersion'>;

/** A file to process; its text is read when its batch comes. */
export interface ProjectFile {
  path: string;
  absPath: string | undefined;
  kind: FileKind;
  /** Production, dev, CI or test (src/engine/roles.ts), decided at discovery; absent: production. */
  role?: RoleDecision;
  /** The Compose version its output must work with, when its own configuration says (over `global.composeVersion`). */
  composeVersion?: string;
  /** Its decoded text (BOM removed, `bom` says whether there was one), or why it cannot be read. */
  load(): Promise<{ text: string; bom: boolean } | { problem: string }>;
}

export interface RunProjectOptions extends Pick<ProcessOptions, 'allowed' | 'applyFixes' | 'global' | 'answers' | 'knownIds' | 'backedOff'> {
  /** The codemods to run on a file (config, --only/--skip): chosen on its path, kind and role, before it is parsed. */
  codemodsFor(file: FileRef): EnabledCodemod[] | Promise<EnabledCodemod[]>;
  /** Resolve these lookup keys into `answers`. */
  resolve(keys: readonly LookupKey[]): Promise<void>;
  /** Parsed files visible to codemods through `ctx.project` without being processed (tests' `project.*` files). */
  context?: readonly ParsedFile[];
  /**
   * Whether a processed file stays visible to the later batches (`ctx.project`), e.g. a compose file building a
   * Dockerfile of the run. Default: none does.
   */
  keep?(file: ParsedFile): boolean;
  /** At most how many files a batch holds (default 64), unless files kept `together` are more. */
  batchFiles?: number;
  /**
   * A key for files that must be in the same batch when they are in the same directory (they read each other through
   * `ctx.project`); undefined: the file may go in any batch.
   */
  together?(file: ProjectFile): string | undefined;
  /**
   * Files every batch sees through `ctx.project`, chosen on their kind and text before the first batch (they are read
   * and parsed then, once, and stay until the run ends). Select few: they are not bounded by the batch size.
   */
  shared?: Partial<Record<FileKind, (text: string) => boolean>>;
  /** The run indexes codemods read (`ctx.project.indexed`): their entries are taken from every file before the first batch. */
  indexes?: readonly RunIndex<unknown>[];
  /**
   * Each file's result as soon as it is processed (processing order). With it, results are handed over instead of
   * kept: `ProjectOutcome.results` stays empty, so memory holds one batch, not the whole run.
   */
  onResult?(result: FileResult): void | Promise<void>;
  /**
   * Process the batches in worker threads (src/engine/workers.ts): results, their order and the lookups asked are
   * the same as in one thread. Absent: this thread processes every batch.
   */
  workers?: WorkerOptions;
}

export interface ProjectOutcome {
  /** In processing order (compose files first, then the others, each in the order given). */
  results: FileResult[];
  /** Files that could not be read, in the order given. */
  problems: { path: string; message: string }[];
}

const dirOf = (f: ProjectFile): string => (f.absPath ?? f.path).replace(/[/\\][^/\\]*$/, '');

/**
 * Bounded batches, compose files' first: each directory's files in the order given, cut into batches of at most `size`
 * files, a directory's files with the same `together` key never cut apart (they go where the first of them goes).
 */
function batches(files: readonly ProjectFile[], size: number, together?: (f: ProjectFile) => string | undefined): ProjectFile[][] {
  const out: ProjectFile[][] = [];
  for (const group of [files.filter((f) => f.kind === 'compose'), files.filter((f) => f.kind !== 'compose')]) {
    // Units: a file alone, or the files of a directory that share a `together` key (at its first file's place).
    const units: ProjectFile[][] = [];
    const byKey = new Map<string, ProjectFile[]>();
    for (const f of group) {
      const key = together?.(f);
      if (key === undefined) {
        units.push([f]);
        continue;
      }
      const k = `${dirOf(f)}\0${key}`;
      const unit = byKey.get(k);
      if (unit) unit.push(f);
      else {
        const u = [f];
        byKey.set(k, u);
        units.push(u);
      }
    }
    // A directory's units stay next to each other (its files share a config lookup and a parent listing).
    const byDir = new Map<string, ProjectFile[][]>();
    for (const u of units) {
      const d = dirOf(u[0] as ProjectFile);
      const list = byDir.get(d);
      if (list) list.push(u);
      else byDir.set(d, [u]);
    }
    let cur: ProjectFile[] = [];
    for (const list of byDir.values()) {
      for (const u of list) {
        if (cur.length > 0 && cur.length + u.length > size) {
          out.push(cur);
          cur = [];
        }
        cur.push(...u);
      }
    }
    if (cur.length > 0) out.push(cur);
  }
  return out;
}

export function failedResult(file: FileRef, t: { text: string; bom: boolean }, error: FileError): FileResult {
  const before = (t.bom ? BOM : '') + t.text;
  return { path: file.path, absPath: file.absPath, kind: file.kind, before, after: before, changed: false, applied: [], findings: [], heldBack: 0, suppressed: 0, error };
}

/** A file of a batch, read and parsed, with its codemods. */
export interface LoadedFile {
  file: FileRef;
  text: string;
  bom: boolean;
  parsed: ParsedFile;
  codemods: EnabledCodemod[];
}

/** A file's parse, with its role; or the result reporting why it does not parse. */
export function parseLoaded(file: FileRef, t: { text: string; bom: boolean }): { parsed: ParsedFile } | { failed: FileResult } {
  try {
    const parsed = parseFile(file.kind, file.path, file.absPath, t.text);
    if (file.role) parsed.role = file.role;
    return { parsed };
  } catch (e) {
    const error: FileError = e instanceof ParseError ? { message: e.message, line: e.line, column: e.column } : crashError(e);
    return { failed: failedResult(file, t, error) };
  }
}

/** What one batch is processed with: the same in this thread and in a worker. */
export interface BatchEnv extends Pick<ProcessOptions, 'allowed' | 'applyFixes' | 'global' | 'knownIds' | 'backedOff'> {
  answers: Answers & { has?(k: LookupKey): boolean };
  resolve(keys: readonly LookupKey[]): Promise<void>;
  /** Codemods whose `prepare` already ran in this thread. */
  prepared: Set<EnabledCodemod['codemod']>;
  /** Files every batch sees besides its own: kept from earlier batches, shared, context (in that order). */
  visibleToo: readonly ParsedFile[];
  indexed: ProjectView['indexed'];
  /** Told before each file is processed (its index in the batch). */
  onStart?(index: number): void;
}

/**
 * One batch, its files read and parsed: load the codemods' dependencies, resolve every lookup of the batch at once,
 * then process file by file, each result handed to `emit` as it is made.
 */
export async function processBatch(loaded: readonly LoadedFile[], env: BatchEnv, emit: (r: FileResult) => Promise<void>): Promise<void> {
  for (const l of loaded) {
    for (const e of l.codemods) {
      // Options the codemod's schema does not allow fail the run, naming the codemod and the key.
      checkOptions(e.codemod, e.options);
      if (env.prepared.has(e.codemod)) continue;
      env.prepared.add(e.codemod);
      await e.codemod.prepare?.();
    }
  }
  const parsedHere = loaded.map((l) => l.parsed);
  const byParsed = new Map(loaded.map((l) => [l.parsed, l.codemods] as const));
  // A file whose codemods throw while declaring lookups (or that goes beyond a limit) fails alone.
  const lookupFailures = new Map<ParsedFile, FileError>();
  await resolveLookups(parsedHere, (p) => byParsed.get(p) ?? [], env.global, env.answers, env.resolve, (p, err) => lookupFailures.set(p, err));

  const visible = [...new Set([...parsedHere, ...env.visibleToo])];
  const byAbs = new Map<string, ParsedFile>();
  for (const f of visible) if (f.absPath !== undefined && !byAbs.has(f.absPath)) byAbs.set(f.absPath, f);
  const project: ProjectView = { files: visible, byAbsPath: (p) => byAbs.get(p), indexed: env.indexed };
  for (const [i, l] of loaded.entries()) {
    env.onStart?.(i);
    const early = lookupFailures.get(l.parsed);
    if (early) {
      await emit(failedResult(l.file, l, early));
      continue;
    }
    let result: FileResult;
    try {
      result = await processFile(
        { path: l.file.path, absPath: l.file.absPath, kind: l.file.kind, text: l.text, bom: l.bom, parsed: l.parsed, role: l.file.role },
        {
          allowed: env.allowed,
          applyFixes: env.applyFixes,
          global: l.file.composeVersion ? { ...env.global, composeVersion: l.file.composeVersion } : env.global,
          answers: env.answers,
          knownIds: env.knownIds,
          backedOff: env.backedOff,
          codemods: l.codemods,
          project,
          resolveMissing: env.resolve,
        },
      );
    } catch (e) {
      // Whatever goes wrong inside one file (a stack overflow on pathological input included) is that file's error.
      result = failedResult(l.file, l, crashError(e));
    }
    await emit(result);
  }
}

/** What runs before the first batch: the run indexes' entries, the shared files, and early parses. */
export interface PrePass {
  /** Each run index's entries, from every file of the run (and the context files). */
  entries: Map<RunIndex<unknown>, unknown[]>;
  shared: ParsedFile[];
  /** Files parsed before their batch, whose parse their batch uses. */
  early: Map<ProjectFile, { text: string; bom: boolean; parsed: ParsedFile }>;
  /** Files read before their batch and not in `early`, whose text their batch uses. */
  texts: Map<ProjectFile, { text: string; bom: boolean }>;
}

/**
 * Before the first batch: the shared files (parsed, kept for the run) and the run indexes' entries. A parse made here
 * is the one its batch uses while the parses kept so far are within `earlyChars` of text; past that, the file is parsed
 * again in its batch (memory stays bounded, the index still covers every file).
 */
export async function prePass(
  files: readonly ProjectFile[],
  opts: Pick<RunProjectOptions, 'shared' | 'indexes' | 'context'>,
  earlyBudget = EARLY_CHARS,
  textBudget = EARLY_TEXT_CHARS,
): Promise<PrePass> {
  const early = new Map<ProjectFile, { text: string; bom: boolean; parsed: ParsedFile }>();
  const texts = new Map<ProjectFile, { text: string; bom: boolean }>();
  let textChars = 0;
  const keepText = (file: ProjectFile, t: { text: string; bom: boolean }) => {
    if (textChars + t.text.length > textBudget) return;
    texts.set(file, t);
    textChars += t.text.length;
  };
  const shared: ParsedFile[] = [];
  const indexes = [...new Set(opts.indexes ?? [])];
  const entries = new Map<RunIndex<unknown>, unknown[]>(indexes.map((ix) => [ix, []]));
  let earlyChars = 0;
  for (const file of files) {
    const share = opts.shared?.[file.kind];
    const wanting = indexes.filter((ix) => ix.kinds.includes(file.kind));
    if (!share && wanting.length === 0) continue;
    const t = await file.load();
    if ('problem' in t) continue;
    const forRun = share?.(t.text) === true;
    const hits = wanting.filter((ix) => ix.mayHave(t.text));
    if (!forRun && hits.length === 0) {
      keepText(file, t);
      continue;
    }
    let parsed: ParsedFile;
    try {
      parsed = parseFile(file.kind, file.path, file.absPath, t.text);
      if (file.role) parsed.role = file.role;
    } catch {
      keepText(file, t);
      continue; // its batch reports the error
    }
    for (const ix of hits) (entries.get(ix) as unknown[]).push(...ix.entries(parsed));
    if (forRun) shared.push(parsed);
    if (forRun || earlyChars + t.text.length <= earlyBudget) {
      early.set(file, { text: t.text, bom: t.bom, parsed });
      if (!forRun) earlyChars += t.text.length;
    } else keepText(file, t);
  }
  for (const p of opts.context ?? []) for (const ix of indexes) if (ix.kinds.includes(p.kind)) (entries.get(ix) as unknown[]).push(...ix.entries(p));
  return { entries, shared, early, texts };
}

/** The text of a file for its batch: the one read before the first batch when kept, else read now. */
export function loadFor(pre: Pick<PrePass, 'texts'>, file: ProjectFile): Promise<{ text: string; bom: boolean } | { problem: string }> {
  const t = pre.texts.get(file);
  if (!t) return file.load();
  pre.texts.delete(file);
  return Promise.resolve(t);
}

export async function runProject(files: readonly ProjectFile[], opts: RunProjectOptions): Promise<ProjectOutcome> {
  const results: FileResult[] = [];
  const emit = async (r: FileResult): Promise<void> => {
    if (opts.onResult) await opts.onResult(r);
    else results.push(r);
  };
  const problems = new Map<ProjectFile, { path: string; message: string }>();
  const order = batches(files, opts.batchFiles ?? 64, opts.together);
  if (opts.workers) {
    const { runInWorkers } = await import('./workers.js');
    const pre = await prePass(files, opts, 0);
    await runInWorkers(order, pre, opts, opts.workers, emit, (f, message) => problems.set(f, { path: f.path, message }));
    return { results, problems: files.flatMap((f) => problems.get(f) ?? []) };
  }
  const before = await prePass(files, opts);
  const { entries, shared, early } = before;
  const isShared = new Set(shared);
  const indexed = <T>(ix: RunIndex<T>): readonly T[] => (entries.get(ix as RunIndex<unknown>) ?? []) as T[];
  /** Processed files kept visible to later batches (`opts.keep`). */
  const kept: ParsedFile[] = [];
  const prepared = new Set<EnabledCodemod['codemod']>();

  for (const batch of order) {
    const loaded: LoadedFile[] = [];
    for (const file of batch) {
      const pre = early.get(file);
      early.delete(file);
      if (pre) {
        loaded.push({ file, ...pre, codemods: await opts.codemodsFor(file) });
        continue;
      }
      const t = await loadFor(before, file);
      if ('problem' in t) {
        problems.set(file, { path: file.path, message: t.problem });
        continue;
      }
      const p = parseLoaded(file, t);
      if ('failed' in p) {
        await emit(p.failed);
        continue;
      }
      loaded.push({ file, text: t.text, bom: t.bom, parsed: p.parsed, codemods: await opts.codemodsFor(file) });
    }
    await processBatch(
      loaded,
      { ...opts, answers: opts.answers, resolve: opts.resolve, prepared, visibleToo: [...kept, ...shared, ...(opts.context ?? [])], indexed },
      emit,
    );
    if (opts.keep) for (const l of loaded) if (opts.keep(l.parsed) && !isShared.has(l.parsed)) kept.push(l.parsed);
  }
  return { results, problems: files.flatMap((f) => problems.get(f) ?? []) };
}
