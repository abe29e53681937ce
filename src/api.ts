/**
 * The programmatic API: `fix()` and `check()`. The CLI is a thin layer over these; bots and CI use them directly.
 */
import { basename, dirname, relative, resolve } from 'node:path';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MAX_FILE_BYTES, tooLargeMessage } from './engine/limits.js';
import { codemods as registeredCodemods } from '../codemods/index.js';
import { ConfigError, ConfigFinder, codemodChoices, codemodOverridesKey, configuredRole, loadConfigFile, mentionedCodemodIds, type HardenConfig, type LoadedConfig } from './engine/config.js';
import { actsOn, detectRole, roleNote, rolePath, type RoleDecision } from './engine/roles.js';
import { discover, kindFromContent, kindFromName } from './engine/discover.js';
import { runProject, type FileRef, type ProjectFile } from './engine/project.js';
import type { EnabledCodemod, FileResult } from './engine/run.js';
import { decodeText } from './engine/text.js';
import { didYouMean } from './engine/did-you-mean.js';
import type { Codemod, FileKind, Finding, GlobalSettings, Preset, ResolveContext, Resolver } from './engine/types.js';
import { atomicWrite, removeStaleTemps } from './engine/write.js';
import { applyCompanions, hasCompanions, type CompanionOutcome } from './engine/companions.js';
import { createDefaultResolver, type ResolverSettings } from './resolvers/default.js';
import { knowledgeForFiles, type Knowledge } from './compose/knowledge.js';
import { backedOffIn, keepRule } from './project-rules.js';
import { entryBeside } from './engine/workers.js';
import { noNetworkGate } from './engine/no-network.js';
import type { ApiWorkerSetup } from './worker.js';
import { isComposeFamilyName } from './compose/hardening/views.js';
import { mayBeKustomization } from './kubernetes/images.js';

export interface HardenOptions {
  /** Files and directories (default: the current directory). */
  paths?: readonly string[];
  cwd?: string;
  /** Process this text instead of files (the CLI's `-`); `filename` gives its kind and the path shown. */
  stdin?: { text: string; filename?: string };
  /** Force the kind of explicitly named files. */
  kind?: FileKind;
  exclude?: readonly string[];
  /** Process symbolic links that lead outside the repository or walked directory (default: reported, not processed). */
  followSymlinks?: boolean;
  only?: readonly string[];
  skip?: readonly string[];
  /** Also apply fixes marked unsafe. */
  unsafe?: boolean;
  /**
   * false: every file is production, whatever its path (`--no-file-roles`). Default: the config's `fileRoles`, else
   * true: dev, CI and test files (src/engine/roles.ts) get pinning and locking only, with one note each.
   */
  fileRoles?: boolean;
  /** Use this configuration file instead of searching for one. */
  configFile?: string;
  platform?: string;
  exactTags?: boolean;
  refresh?: boolean;
  /** Compose hardening preset: `strict` adds the codemods restricted to it (see `presetCodemods`). */
  preset?: Preset;
  /**
   * A snapshot.debian.org timestamp (20240115T000000Z): lock-apt-install points Debian apt sources at it, and the
   * Debian indexes (unless `indexes.debian`/`indexes.debian-security` are set) are read from the same snapshot.
   */
  aptSnapshot?: string;
  /**
   * false: skip the codemods that need the network (registries, package indexes, downloads), each reported once in
   * `notes`; what needs no network still runs. Default: the config's `network`, else true.
   */
  network?: boolean;
  /** Network settings (they override the config file's). */
  resolver?: Partial<ResolverSettings>;
  /** A resolver to use instead of the default network one (tests, embedding). */
  customResolver?: Resolver & { counters?(): Record<string, number>; notes?(): string[]; close?(): Promise<void> };
  /** The codemods to choose from (default: every registered codemod). */
  codemods?: readonly Codemod[];
  /**
   * What a verified run learned about compose services (by compose file, absolute path), merged over each compose
   * file's own `.harden/knowledge.yaml` (see src/compose/knowledge.ts).
   */
  knowledge?: Knowledge;
  /**
   * The Compose version the output must work with (e.g. `1.29.2`, `2.20`): syntax newer Compose understands is not
   * written for older targets. Default: the config's `composeVersion`, else the current Compose Specification.
   */
  composeVersion?: string;
  /**
   * For `harden verify`'s scratch copies: propose the compose changes that need a run's evidence (read-only roots and
   * dropped capabilities for images harden does not know), so the run can test them. Never for the user's files.
   */
  trial?: boolean;
  /**
   * Each file's result, as soon as it is final (in processing order: compose files first). With it, `files` of the
   * returned result is empty and results are not kept, so memory is bounded by a batch of files rather than the
   * whole run (a changed file's result is held until it is written when `write` is set).
   */
  onFile?: (result: FileResult) => void | Promise<void>;
  /** Called as files are processed and lookups answered (the CLI draws it on a terminal: src/output/progress.ts). */
  onProgress?: (progress: Progress) => void;
  /**
   * Threads processing files (`--jobs`): 1 = this thread only; N = N worker threads, each taking every N-th batch of
   * files. Default: the config's `jobs`, else `auto`: one worker per core but one (at most 4) when there are at least
   * `AUTO_JOBS_MIN_FILES` files and 3 cores or more, else none. Results and lookups are the same whatever the number.
   */
  jobs?: number | 'auto';
  /**
   * With `codemods`: a module (file URL) exporting the same codemods as `codemods`, for worker threads to load.
   * Without it, a run given `codemods` uses one thread.
   */
  codemodsModule?: string;
}

/**
 * Below this many files, `jobs: auto` starts no worker thread: each costs its start-up (loading every codemod, about
 * 0.2 s of CPU), its own warm-up, and the files the pre-pass parsed are parsed again in the workers.
 */
export const AUTO_JOBS_MIN_FILES = 1000;
/** `jobs: auto` starts at most this many worker threads. */
export const AUTO_JOBS_MAX = 4;

/**
 * How many worker threads a run of `files` files uses (0: none, this thread processes them). `auto` leaves a core to
 * this thread and V8's own helper threads: one thread already keeps more than one core busy (garbage collection runs
 * beside it), and on 2 cores two workers cost about 35% more CPU than one thread for no shorter run (see the README's
 * figures), so auto starts workers from 3 cores on.
 */
export function workerThreads(jobs: number | 'auto', files: number, cores = availableParallelism()): number {
  if (jobs !== 'auto' && (!Number.isInteger(jobs) || jobs < 1)) throw new UsageError(`jobs must be a positive integer or auto, not '${jobs}'`);
  const n = jobs === 'auto' ? (files >= AUTO_JOBS_MIN_FILES ? Math.min(cores - 1, AUTO_JOBS_MAX) : 1) : jobs;
  return n > 1 ? n : 0;
}

/** How far a run is: files processed of those found, and the lookups (network) asked so far and answered. */
export interface Progress {
  files: { done: number; total: number };
  /** Absent until a lookup is asked; `kinds` are the lookup kinds asked (e.g. `image-digest`). */
  lookups?: { done: number; total: number; kinds: string[] };
}

export interface FixOptions extends HardenOptions {
  /** Write changed files (atomically). Default false: dry-run. */
  write?: boolean;
  /** With `write`: also replace files whose mode makes them read-only (refused by default). */
  allowReadOnly?: boolean;
}

export interface Problem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export interface HardenResult {
  files: FileResult[];
  /**
   * Changes to other files that fixes carry (e.g. application sources reading a migrated secret) and side effects
   * (secret files, .gitignore entries): diffs and what would be done in a dry-run; done with `write`.
   */
  companions: CompanionOutcome;
  /** Paths that could not be processed before parsing (missing, unreadable, unknown kind). */
  problems: Problem[];
  /** Requests sent to registries and indexes, by kind. */
  requests: Record<string, number>;
  /** Things said once per run, not about a file: e.g. each codemod skipped by `network: false`. */
  notes?: string[];
}

export class UsageError extends Error {}

/**
 * The codemods a preset runs by default (before the config, --only and --skip): those without a `presets` list, plus
 * those whose list names the preset. No preset is `standard`.
 */
export function presetCodemods(all: readonly Codemod[], preset: Preset | undefined): Codemod[] {
  const p = preset ?? 'standard';
  return all.filter((c) => c.presets === undefined || c.presets.includes(p));
}

/** `a (did you mean 'x'?), b`: unknown names, each with the closest known one. */
function namesWithHints(names: readonly string[], known: readonly string[]): string {
  return names.map((n) => `${n}${didYouMean(n, known)}`).join(', ');
}

/** Every codemod id given is known, or a UsageError. */
export function checkCodemodIds(ids: readonly string[], known: readonly Codemod[], where: string): void {
  const unknown = ids.filter((id) => !known.some((c) => c.id === id));
  if (unknown.length) throw new UsageError(`${where}: unknown codemod id${unknown.length > 1 ? 's' : ''} ${namesWithHints(unknown, known.map((c) => c.id))} (see \`harden rules\`)`);
}

/**
 * A file's decoded text. Read synchronously: files are read one after another anyway, and for files of kilobytes the
 * promise API's thread-pool round trips cost more CPU than the reads (a tenth of a run over a thousand files).
 */
async function readText(absPath: string): Promise<{ text: string; bom: boolean } | { problem: string }> {
  let buf: Buffer;
  let fd: number | undefined;
  try {
    // Open, then size and read through the descriptor: the path is looked up once.
    fd = openSync(absPath, 'r');
    const { size } = fstatSync(fd);
    if (size > MAX_FILE_BYTES) return { problem: tooLargeMessage(size) };
    buf = readAll(fd, size);
  } catch (e) {
    return { problem: `cannot read: ${(e as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const dec = decodeText(buf);
  return 'error' in dec ? { problem: dec.error } : dec;
}

/** The bytes of an open file `size` bytes long (what `fstat` said; 0 for files without a size, read to their end). */
function readAll(fd: number, size: number): Buffer {
  if (size === 0) return readFileSync(fd);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const n = readSync(fd, buf, at, size - at, null);
    if (n === 0) break;
    at += n;
  }
  return at < size ? buf.subarray(0, at) : buf;
}

async function run(opts: FixOptions, applyFixes: boolean): Promise<HardenResult> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const all = opts.codemods ?? registeredCodemods;
  checkCodemodIds([...(opts.only ?? []), ...(opts.skip ?? [])], all, '--only/--skip');
  if (opts.aptSnapshot !== undefined && !APT_SNAPSHOT.test(opts.aptSnapshot)) {
    throw new UsageError(`--apt-snapshot must be a snapshot.debian.org timestamp like 20240115T000000Z, not '${opts.aptSnapshot}'`);
  }

  const finder = new ConfigFinder(all);
  const explicitConfig = opts.configFile ? await loadConfigFile(resolve(cwd, opts.configFile), all) : undefined;
  const configFor = async (dir: string): Promise<LoadedConfig> => explicitConfig ?? (await finder.find(dir));
  const rootConfig = await configFor(cwd);
  const checked = new Set<string>();
  const checkConfig = (lc: LoadedConfig) => {
    if (!lc.file || checked.has(lc.file)) return;
    checked.add(lc.file);
    const unknown = mentionedCodemodIds(lc.config).filter((id) => !all.some((c) => c.id === id));
    if (unknown.length) throw new ConfigError(lc.file, `unknown codemod id${unknown.length > 1 ? 's' : ''} ${namesWithHints(unknown, all.map((c) => c.id))}`);
  };
  checkConfig(rootConfig);
  const cfg: HardenConfig = rootConfig.config;

  const global: GlobalSettings = {
    platform: opts.platform ?? cfg.platform,
    exactTags: opts.exactTags ?? cfg.exactTags,
    refresh: opts.refresh,
    preset: opts.preset ?? cfg.preset,
    write: opts.write ?? false,
  };
  if (opts.trial) global.trial = true;
  const composeVersion = opts.composeVersion ?? cfg.composeVersion;
  if (composeVersion !== undefined) {
    if (!/^\d+(?:\.\d+){0,2}$/.test(composeVersion)) throw new UsageError(`composeVersion must be a version like 2.23 or 1.29.2, not '${composeVersion}'`);
    global.composeVersion = composeVersion;
  }
  const aptSnapshot = opts.aptSnapshot ?? cfg.aptSnapshot;
  if (aptSnapshot) global.aptSnapshot = aptSnapshot;
  const unsafe = opts.unsafe ?? cfg.unsafe ?? false;
  const inPreset = new Set(presetCodemods(all, global.preset).map((c) => c.id));
  const network = opts.network ?? cfg.network ?? true;
  const allowReadOnly = opts.allowReadOnly ?? cfg.allowReadOnly;
  const skippedOffline = new Set<string>();
  const reportedOffline = new Set<string>();
  if (!network) global.network = false;

  // A file's role (production, dev, CI, test): its config's `overrides:` role, else what its path says.
  const repositoryRoots = new Map<string, string | null>();
  // `lc`: the configuration of the file's directory (the run's for standard input).
  function roleOf(absPath: string | undefined, path: string, lc: LoadedConfig): RoleDecision | undefined {
    if ((opts.fileRoles ?? lc.config.fileRoles) === false) return undefined;
    const set = absPath ? configuredRole(lc, absPath) : undefined;
    if (set) return { role: set.role, why: `\`role: ${set.role}\` for \`${set.glob}\` in ${relative(cwd, lc.file ?? cwd) || lc.file}` };
    const found = detectRole(absPath ? rolePath(absPath, cwd, repositoryRoots) : path);
    return found.role === 'production' ? undefined : found;
  }
  const roleNotes = new Map<string, string>();
  // A configuration nearer the file than the run's that sets composeVersion is that file's target (a flag wins).
  function composeVersionOf(lc: LoadedConfig): { composeVersion?: string } {
    if (opts.composeVersion !== undefined) return {};
    const v = lc.config.composeVersion;
    return v !== undefined && v !== global.composeVersion ? { composeVersion: v } : {};
  }
  /** Each discovered file's configuration (found once, at discovery: codemods are chosen with it too). */
  const configOf = new WeakMap<FileRef, LoadedConfig>();

  // 1. Find the files (their text is read batch by batch, see runProject).
  const problems: Problem[] = [];
  const files: ProjectFile[] = [];
  if (opts.stdin) {
    const name = opts.stdin.filename ?? '-';
    const kind = opts.kind ?? kindFromName(name) ?? kindFromContent(opts.stdin.text);
    if (!kind) throw new UsageError('cannot tell the kind of standard input: pass --kind or --stdin-filename');
    const text = opts.stdin.text.replace(/^\uFEFF/, '');
    const bom = text !== opts.stdin.text;
    const bytes = Buffer.byteLength(opts.stdin.text);
    files.push({ path: name, absPath: undefined, kind, role: roleOf(undefined, name, rootConfig), load: async () => (bytes > MAX_FILE_BYTES ? { problem: tooLargeMessage(bytes) } : { text, bom }) });
  } else {
    const found = await discover({ paths: opts.paths?.length ? opts.paths : ['.'], cwd, exclude: [...(opts.exclude ?? []), ...(cfg.exclude ?? [])], kind: opts.kind, followSymlinks: opts.followSymlinks ?? cfg.followSymlinks });
    problems.push(...found.problems);
    for (const f of found.files) {
      const lc = await configFor(dirname(f.absPath));
      const file: ProjectFile = { path: f.path, absPath: f.absPath, kind: f.kind, role: roleOf(f.absPath, f.path, lc), ...composeVersionOf(lc), load: () => readText(f.absPath) };
      configOf.set(file, lc);
      files.push(file);
    }
  }

  // 2. Per file: choose codemods (config, preset, --only/--skip); then parse, resolve and process in batches.
  // The choice depends on the file's configuration, the overrides matching it, its kind and its role only: it is made
  // once per distinct combination (a run has few), and files sharing one share its list and options objects (their
  // options are checked once, src/engine/options.ts).
  const chosen = new Map<LoadedConfig, Map<string, { enabled: EnabledCodemod[]; offByRole: number }>>();
  const allIds = all.map((c) => c.id);
  const codemodsFor = (parsed: FileRef): EnabledCodemod[] | Promise<EnabledCodemod[]> => {
    const lc = parsed.absPath ? configOf.get(parsed) : rootConfig;
    if (lc) return codemodsWith(lc, parsed);
    return configFor(dirname(parsed.absPath as string)).then((found) => codemodsWith(found, parsed));
  };
  const codemodsWith = (lc: LoadedConfig, parsed: FileRef): EnabledCodemod[] => {
    checkConfig(lc);
    const key = `${parsed.kind}\0${parsed.role?.role ?? 'production'}\0${codemodOverridesKey(lc, parsed.absPath)}`;
    let byKey = chosen.get(lc);
    if (!byKey) chosen.set(lc, (byKey = new Map()));
    let choice = byKey.get(key);
    if (!choice) byKey.set(key, (choice = chooseCodemods(lc, parsed)));
    if (choice.offByRole > 0 && parsed.role) roleNotes.set(parsed.path, roleNote(parsed.path, parsed.role, choice.offByRole));
    return choice.enabled;
  };
  const chooseCodemods = (lc: LoadedConfig, parsed: FileRef): { enabled: EnabledCodemod[]; offByRole: number } => {
    const choices = codemodChoices(allIds, lc, parsed.absPath, (id) => inPreset.has(id));
    const enabled: EnabledCodemod[] = [];
    let offByRole = 0;
    for (const c of all) {
      const ch = choices.get(c.id);
      const named = opts.only?.includes(c.id) === true;
      // `--only` naming a codemod the preset leaves out turns it on (not one the config turns off).
      if (!(ch?.enabled || (named && ch?.offByPreset)) || !c.fileKinds.includes(parsed.kind)) continue;
      if (opts.only?.length && !named) continue;
      if (opts.skip?.includes(c.id)) continue;
      if (!actsOn(c.roles, parsed.role)) {
        offByRole++;
        continue;
      }
      if (!network && c.network) {
        if (c.offlineFindings) reportedOffline.add(c.id);
        else {
          skippedOffline.add(c.id);
          continue;
        }
      }
      enabled.push({ codemod: c, options: { ...c.defaultOptions, ...ch.options }, severity: ch.severity });
    }
    return { enabled, offByRole };
  };
  // Knowledge from verified runs, for the compose files of this run.
  const knowledge = knowledgeForFiles(files.filter((f) => f.kind === 'compose' && f.absPath).map((f) => f.absPath as string), opts.knowledge);
  if (Object.keys(knowledge).length) global.knowledge = knowledge;
  const resolver = opts.customResolver ?? createDefaultResolver(withAptSnapshot(resolverSettings(cfg, opts.resolver, rootConfig.dir), aptSnapshot));
  const dockerfiles = files.flatMap((f) => (f.kind === 'dockerfile' && f.absPath ? [f.absPath] : []));
  // Worker threads load the codemods themselves: the registered ones, or the module given with custom ones.
  const threads = opts.stdin || (opts.codemods && !opts.codemodsModule) ? 0 : workerThreads(opts.jobs ?? cfg.jobs ?? 'auto', files.length);
  const setup: ApiWorkerSetup = { dockerfiles, ...(opts.codemods && opts.codemodsModule ? { codemodsModule: opts.codemodsModule } : {}) };
  const results: FileResult[] = [];
  /** Applied fixes carrying changes to other files (applied after the run, for files whose own changes went through). */
  const withCompanions: { seq: number; applied: Finding[] }[] = [];
  const writing = applyFixes && opts.write === true;
  let processed = 0;
  const lookups = { done: 0, total: 0, kinds: new Set<string>() };
  const progress = opts.onProgress;
  const report = progress
    ? () => progress({ files: { done: processed, total: files.length }, ...(lookups.total ? { lookups: { done: lookups.done, total: lookups.total, kinds: [...lookups.kinds] } } : {}) })
    : undefined;
  const onLookup: ResolveContext['onLookup'] = report
    ? (key, state) => {
        if (state === 'asked') {
          lookups.total++;
          lookups.kinds.add(key.kind);
        } else lookups.done++;
        report();
      }
    : undefined;
  const done = async (r: FileResult, seq: number): Promise<void> => {
    const applied = applyFixes && !r.error ? r.applied.filter((a) => hasCompanions(a.fix)) : [];
    if (applied.length) withCompanions.push({ seq, applied });
    if (opts.onFile) await opts.onFile(r);
    else results.push(r);
  };
  /** Changed files to write once every file is processed (a later file's codemods may read an earlier one from disk). */
  const toWrite: { r: FileResult; seq: number }[] = [];
  const gate = network ? undefined : noNetworkGate(resolver.answers);
  let outcome: Awaited<ReturnType<typeof runProject>>;
  try {
    outcome = await runProject(files, {
      codemodsFor,
      allowed: unsafe ? 'unsafe' : 'safe',
      applyFixes,
      knownIds: all.map((c) => c.id),
      global,
      answers: gate?.answers ?? resolver.answers,
      resolve: (keys) => resolver.resolveAll(gate ? gate.pass(keys) : keys, { cwd, onLookup }),
      backedOff: global.knowledge ? backedOffIn(global.knowledge) : undefined,
      // Compose files building a Dockerfile of the run (or beside one) stay visible to the Dockerfiles' batches.
      keep: keepRule(setup),
      // A directory's compose base and override files read each other (same batch); kustomizations name resources
      // anywhere in the run (every batch sees them).
      together: (f) => (f.kind === 'compose' && isComposeFamilyName(basename(f.path)) ? 'compose' : undefined),
      shared: { kubernetes: mayBeKustomization },
      indexes: all.flatMap((c) => (opts.skip?.includes(c.id) || (opts.only?.length && !opts.only.includes(c.id)) ? [] : (c.runIndexes ?? []))),
      ...(threads > 0 ? { workers: { jobs: threads, ...entryBeside(import.meta.url, 'worker'), setup } } : {}),
      onResult: (r) => {
        const seq = processed++;
        report?.();
        return writing && r.changed && !r.error && r.absPath ? void toWrite.push({ r, seq }) : done(r, seq);
      },
    });
  } catch (e) {
    if (!opts.customResolver) await resolver.close?.();
    throw e;
  }
  problems.push(...outcome.problems);

  // 6. Write.
  for (const { r, seq } of toWrite) {
    try {
      await atomicWrite(r.absPath as string, r.after, r.before, { allowReadOnly });
    } catch (e) {
      r.error = { message: (e as Error).message };
    }
    await done(r, seq);
  }
  if (applyFixes && opts.write) {
    // Temporary files of dead processes go from every directory the run read a file in, written this time or not
    // (each directory once; a dry run changes nothing on disk, so it leaves them).
    const dirs = new Set(files.flatMap((f) => (f.absPath ? [dirname(f.absPath)] : [])));
    for (const d of dirs) await removeStaleTemps(d);
  }
  // 7. Companion changes of applied fixes (only for files whose own changes went through).
  withCompanions.sort((a, b) => a.seq - b.seq);
  const companions = await applyCompanions(withCompanions.flatMap((c) => c.applied), { cwd, write: opts.write ?? false, allowReadOnly });
  results.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const requests = resolver.counters?.() ?? {};
  const resolverNotes = resolver.notes?.() ?? [];
  if (!opts.customResolver) await resolver.close?.();
  const notes = [
    ...resolverNotes,
    ...[...skippedOffline].sort().map((id) => `${id} skipped: it needs the network (--no-network)`),
    ...[...reportedOffline].sort().map((id) => `${id}: nothing looked up (--no-network); only what the files and the knowledge base show`),
    ...[...roleNotes.keys()].sort().map((p) => roleNotes.get(p) as string),
  ];
  return { files: results, problems, requests, companions, notes };
}

function resolverSettings(cfg: HardenConfig, over: Partial<ResolverSettings> | undefined, configDir: string): Partial<ResolverSettings> {
  return {
    registries: cfg.registries,
    insecure: cfg.insecure,
    concurrency: cfg.concurrency,
    timeoutMs: cfg.timeout !== undefined ? cfg.timeout * 1000 : undefined,
    retries: cfg.retries,
    cacheDir: cfg.cache?.dir ? resolve(configDir, cfg.cache.dir) : undefined,
    cacheTtlSeconds: cfg.cache?.ttl,
    indexes: cfg.indexes,
    ...Object.fromEntries(Object.entries(over ?? {}).filter(([, v]) => v !== undefined)),
  };
}

const APT_SNAPSHOT = /^\d{8}T\d{6}Z$/;

/** With --apt-snapshot, Debian pins are resolved from the snapshot the sources will point at (unless configured). */
export function withAptSnapshot(s: Partial<ResolverSettings>, stamp: string | undefined): Partial<ResolverSettings> {
  if (!stamp) return s;
  return {
    ...s,
    indexes: {
      debian: `https://snapshot.debian.org/archive/debian/${stamp}`,
      'debian-security': `https://snapshot.debian.org/archive/debian-security/${stamp}`,
      ...s.indexes,
    },
  };
}

/** Find problems and compute fixes; with `write: true`, apply them. */
export function fix(opts: FixOptions = {}): Promise<HardenResult> {
  return run(opts, true);
}

/** Report findings only (nothing is applied or written). */
export function check(opts: HardenOptions = {}): Promise<HardenResult> {
  return run({ ...opts, write: false }, false);
}

/**
 * True when a file could not be processed (exit code 2): missing, unreadable, malformed, over a limit, a fix that
 * broke it, a write refused or failed. A failed lookup (registry or index unreachable, offline cache miss) is not
 * one: it is a finding at its reference (`data.lookupFailed`), and the file's other fixes apply.
 */
export function hasProcessingErrors(r: Pick<HardenResult, 'problems' | 'companions'> & { files: readonly { error?: unknown }[] }): boolean {
  return r.problems.length > 0 || r.companions.errors.length > 0 || r.files.some((f) => f.error);
}
