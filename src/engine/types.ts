/**
 * The contract between the engine, the codemods and the resolvers.
 *
 * Codemods are pure: they read a parsed file, the already-resolved network answers and their options,
 * and report findings, each optionally carrying a fix made of text edits at exact offsets.
 */
import type { AnswerOf, KnownLookupKey } from './lookups.js';
import type { FileRole, RoleDecision } from './roles.js';
import type { Dockerfile } from 'dockerfile-ast';
import type { Document, LineCounter } from 'yaml';

/** What a verified run learned about one compose service (see src/compose/knowledge.ts). */
export interface ServiceKnowledge {
  writable?: string[];
  capAdd?: string[];
  healthcheck?: string[];
  backOff?: Record<string, string>;
  /** Codemods whose change the service survived in a verify run (its evidence for images outside the knowledge base). */
  verified?: string[];
}

/** Services of one compose file → what was learned. */
export type FileKnowledge = Record<string, ServiceKnowledge>;

export type FileKind = 'dockerfile' | 'compose' | 'source' | 'kubernetes' | 'shell';
export const FILE_KINDS: readonly FileKind[] = ['dockerfile', 'compose', 'source', 'kubernetes', 'shell'];

/** A JSON Schema (draft-07) object: the keywords harden's schemas use, typed loosely enough for any other. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null' | readonly ('object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null')[];
  description?: string;
  properties?: Readonly<Record<string, JsonSchema>>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: readonly unknown[];
  [keyword: string]: unknown;
}

/** Ordered: manual < unsafe < safe. A fix applies when its safety is at or above the level the user allows. */
export type Safety = 'safe' | 'unsafe' | 'manual';
export type Severity = 'error' | 'warning' | 'info';

/** A half-open range of UTF-16 offsets into the parsed text (BOM already removed). */
export interface Range {
  start: number;
  end: number;
}

/** Replace text[start, end) by `text`. Insertion: start === end. Deletion: text === ''. */
export interface Edit extends Range {
  text: string;
  /**
   * Set on an insertion adding entries (`keys`) to the block mapping that starts at offset `to`, at its end (what
   * `insertPair` writes), or with `after`, right after the entry before the insertion (compose-secrets' `secrets:`
   * after `environment:`). With `from`, the text first adds entries to a collection nested in that mapping, starting at
   * `from` and ending at the same place (a merged insertion, deepest entries first). Insertions of different fixes at
   * one offset that all say so go in one pass when an order of them keeps every entry in its collection (see
   * `applyFixes`); any other edits that touch wait for the next pass.
   */
  adds?: { to: number; keys: readonly string[]; from?: number; after?: true };
  /**
   * Set on an edit other fixes may carry too, for a change they all need (the shared `x-logging` block each service's
   * fix writes, the `# syntax=` line): a later fix's identical edit (same range and text, also `shared`) is not
   * applied again, and does not keep that fix from the pass.
   */
  shared?: true;
}

/** A set of edits applied whole or not at all. */
export interface Fix {
  title: string;
  safety: Safety;
  /** Edits to the file being processed (may be empty when the fix only has companion changes). */
  edits: readonly Edit[];
  /**
   * Edits to OTHER files (e.g. application sources reading a migrated secret), each guarded by the SHA-256 of the
   * text they were computed against (null: create the file; it must not exist). Shown in the diff, written with --write.
   */
  files?: readonly CompanionFileChange[];
  /** Done only on --write, never printed with their values: e.g. writing a secret value to a file in a 0700 directory. */
  sideEffects?: readonly SideEffect[];
  /**
   * Secret values this fix removes from the file: printed or posted diffs show them as `****` (the values of
   * `write-secret-file` side effects are redacted too). Only a `--patch` file and the written file keep them.
   */
  redact?: readonly Redacted[];
  /**
   * What the fix decides beyond its own edits, when another codemod's fix would contradict it (`read-only root of
   * service db`). Fixes sharing a claim are never applied in the same pass: the later one is reconsidered on the next
   * pass's text, where its codemod sees the first one's change.
   */
  claims?: readonly string[];
}

/** Edits to a file other than the one processed. */
export interface CompanionFileChange {
  absPath: string;
  /** SHA-256 (hex) of the text the edits were computed against; null = create the file (it must not exist). */
  expectedSha256: string | null;
  edits: readonly Edit[];
}

/** A value that prints as [redacted] everywhere; only `reveal()` gives it (see src/engine/redacted.ts). */
export interface Redacted {
  reveal(): string;
}

export type SideEffect =
  /** `mode`: the file's permission bits (default 0o600); its directory is always made 0700. */
  | { kind: 'write-secret-file'; absPath: string; value: Redacted; mode?: number }
  | { kind: 'gitignore-entry'; absPath: string; entry: string };

/** What a codemod reports. */
export interface Report {
  range: Range;
  message: string;
  /** Defaults to the codemod's `severity` (or 'warning'). */
  severity?: Severity;
  fix?: Fix;
  /** Optional extra structured data for machine consumers (JSON output, PR bodies): e.g. the digest and its source. */
  data?: Readonly<Record<string, unknown>>;
}

/** A report as the engine returns it: with the codemod id, file path and 1-based line/column. */
export interface Finding extends Report {
  codemodId: string;
  path: string;
  severity: Severity;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /**
   * What happened to (or would happen to) the fix: 'applied' (fix mode), 'fixable' (check mode: `fix` would apply it),
   * 'held-back' (unsafe fix, needs --unsafe), 'manual' (advice only), 'none' (no fix offered).
   */
  fixStatus: 'applied' | 'fixable' | 'held-back' | 'manual' | 'none';
  /**
   * line/column (and endLine/endColumn) always refer to the file as it was read, whatever earlier passes changed.
   * `range` and the fix's edits refer to the text of the pass that reported it: for applied fixes that pass (1-based)
   * is `pass`; other findings come from the final pass.
   */
  pass?: number;
}

interface ParsedBase {
  /** Path as given/discovered (relative to cwd when discovered), '-' style names for stdin use stdinFilename. */
  path: string;
  /** Absolute path on disk, or undefined for stdin. */
  absPath: string | undefined;
  /** Text without BOM. */
  text: string;
  /** Dominant line ending of the file. Insert new lines with this. */
  eol: '\n' | '\r\n';
  /** 0-based line starts (offsets), for offset<->line/col conversions. */
  lineStarts: readonly number[];
  /**
   * Production, dev, CI or test file (src/engine/roles.ts), decided at discovery; absent: production. Read it with
   * `isProduction(file)`.
   */
  role?: RoleDecision;
}

export interface ParsedDockerfile extends ParsedBase {
  kind: 'dockerfile';
  ast: Dockerfile;
  /** The escape character in force ('\\' unless a `# escape=` directive says '`'). */
  escapeChar: '\\' | '`';
}

export interface ParsedCompose extends ParsedBase {
  kind: 'compose';
  /** All YAML documents in the file (usually one), with node ranges (no CST tokens kept: nothing reads them, and they doubled the memory a parse holds). */
  docs: readonly Document.Parsed[];
  lineCounter: LineCounter;
}

export interface ParsedSource extends ParsedBase {
  kind: 'source';
}

/**
 * Kubernetes manifests (every YAML document of the file: workloads, Services, … separated by `---`), a Kustomize
 * `kustomization.yaml`, or a Helm chart's `values.yaml`. Parsed like compose files, with source tokens.
 */
export interface ParsedKubernetes extends ParsedBase {
  kind: 'kubernetes';
  /** All YAML documents (empty documents between `---` included, with null contents). */
  docs: readonly Document.Parsed[];
  lineCounter: LineCounter;
}

/** Where the shell commands of a `shell` file live (see src/engine/shell-hosts.ts). */
export type ShellHost = 'script' | 'makefile' | 'markdown' | 'github-actions' | 'gitlab-ci';

/**
 * One piece of shell a file hands to a shell: a script, a Makefile recipe line, a Markdown code block (or one prompted
 * console command), a workflow `run:` / CI `script:` item. `text` is what the shell sees; `starts[i]`/`ends[i]` are the
 * file offsets of the characters `text[i]` stands for (two for make's `$$`).
 */
export interface ShellSnippet {
  text: string;
  starts: readonly number[];
  ends: readonly number[];
  /** File offset just after the snippet. */
  end: number;
  /** For findings: "the recipe of `run`", "the ```bash block at line 12", "step `Deploy` of job `release`". */
  where: string;
  /** Text inserted here must be escaped for make (`$` → `$$`). */
  escape?: 'make';
  /** The snippet is a one-line plain YAML scalar: inserted text must keep it one (no `: `, ` #`). */
  yamlPlain?: boolean;
  /** The snippet is the inside of a one-line quoted YAML scalar. */
  yamlQuote?: "'" | '"';
}

/** Shell scripts, Makefiles, Markdown, CI workflows: files that carry shell commands (see src/engine/shell-hosts.ts). */
export interface ParsedShell extends ParsedBase {
  kind: 'shell';
  host: ShellHost;
  snippets: readonly ShellSnippet[];
}

export type ParsedFile = ParsedDockerfile | ParsedCompose | ParsedSource | ParsedKubernetes | ParsedShell;

/** A network (or local-filesystem) question a codemod needs answered before it runs. */
export type LookupKey = KnownLookupKey | { kind: string; [k: string]: unknown };

export interface LookupError {
  /** 'not-found' | 'unauthorized' | 'forbidden' | 'rate-limited' | 'timeout' | 'network' | 'tls' | 'invalid' | 'offline-miss' | 'digest-mismatch' | … */
  code: string;
  message: string;
}
export type Answer<T = unknown> = { ok: T; source?: string } | { error: LookupError };

/** Answers by lookup id (see lookupId()). */
export interface Answers {
  /** The answer to `key`, typed by its kind (see `LookupTypes` in src/engine/lookups.ts). */
  get<K extends LookupKey>(key: K): Answer<AnswerOf<K>> | undefined;
}

/** Answer payloads for the standard lookup kinds. */
export interface ImageDigestAnswer {
  /** Digest of what the tag points to: the index/list digest, or the platform manifest digest when `platform` was asked. */
  digest: string;
  mediaType: string;
  /** Host the answer came from (mirror or registry), for reporting. */
  registry: string;
}
export interface ImageTagsAnswer {
  tags: readonly string[];
}
export interface ImageConfigAnswer {
  user?: string;
  workingDir?: string;
  volumes?: readonly string[];
  exposedPorts?: readonly string[];
  env?: readonly string[];
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  /** The image's HEALTHCHECK (`config.Healthcheck`), when it defines one. */
  healthcheck?: ImageHealthcheck;
  os?: string;
  architecture?: string;
}
/** `config.Healthcheck` of an image config: what `HEALTHCHECK` in its Dockerfile set. */
export interface ImageHealthcheck {
  /** `["CMD", …]`, `["CMD-SHELL", "…"]`, or `["NONE"]` (checks inherited from the base image are disabled). */
  test: readonly string[];
  /** Durations in nanoseconds, as the config stores them (absent or 0: docker's default). */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}
/** For `image-file`: the contents of the first of `paths` found (newest layer first), symlinks followed. */
export interface ImageFileAnswer {
  path: string | null;
  content: string | null;
}
export interface FileAnswer {
  exists: boolean;
  /** Text content (files up to 1 MiB), undefined for directories or when unreadable. */
  text?: string;
}
export interface DirAnswer {
  exists: boolean;
  entries: readonly string[];
}

/**
 * A read-only view of the run's other files, for codemods that need cross-file knowledge (e.g. compose build args).
 * The run is processed in bounded batches (src/engine/project.ts), so `files` holds the files of the current batch
 * (a directory's compose base and override files always together), the compose files that build a Dockerfile of the
 * run, and the run's kustomizations; what a codemod needs from every file of the run, whatever its batch, it declares
 * as a `RunIndex` and reads with `indexed`; anything else of another file is read through a `file` lookup. Build
 * indexes over `files` with `derived()` (src/engine/derive.ts) rather than scanning it per file.
 */
export interface ProjectView {
  readonly files: readonly ParsedFile[];
  /** Find a parsed file of this run by absolute path. */
  byAbsPath(absPath: string): ParsedFile | undefined;
  /** The entries of `index` from every file of the run (in the order files were given); none for an undeclared index. */
  indexed<T>(index: RunIndex<T>): readonly T[];
}

/**
 * Small facts taken from every file of the run before the first batch (e.g. the resource sizes compose services
 * state), so a codemod can read them whatever batch a file is in, without the run keeping every parse. Declared by a
 * codemod (`runIndexes`); `entries` must keep nothing of the parse (plain values: names, paths, strings).
 */
export interface RunIndex<T> {
  readonly id: string;
  readonly kinds: readonly FileKind[];
  /** A test on the text: false when the file has no entries for sure (it is then not parsed for the index). */
  mayHave(text: string): boolean;
  entries(file: ParsedFile): readonly T[];
}

/** The parsed file of one kind: `FileOf<'compose'>` is `ParsedCompose`, `FileOf<'dockerfile' | 'compose'>` either. */
export type FileOf<K extends FileKind> = Extract<ParsedFile, { kind: K }>;

/** Codemod options as the engine hands them over: what the codemod's `optionsSchema` allows. */
export type CodemodOptions = Readonly<Record<string, unknown>>;

export interface CodemodContext<F extends ParsedFile = ParsedFile, O extends object = CodemodOptions> {
  file: F;
  /**
   * Codemod options: config `codemods.<id>.options` merged over `defaultOptions`, checked against `optionsSchema`
   * before the run (src/engine/options.ts). Global settings are under `global`.
   */
  options: Readonly<O>;
  global: GlobalSettings;
  answers: Answers;
  project: ProjectView;
  report(report: Report): void;
}

/**
 * Compose hardening presets: `standard` (the default) runs every codemod not restricted to a preset; `strict` adds the
 * codemods whose `presets` list it (network isolation).
 */
export type Preset = 'standard' | 'strict';
export const PRESETS: readonly Preset[] = ['standard', 'strict'];

/** Settings every codemod may read (from CLI flags and config). */
export interface GlobalSettings {
  /** `--platform os/arch[/variant]`, if given. */
  platform?: string;
  /** `--exact-tags` */
  exactTags?: boolean;
  /** `--refresh`: update digests that no longer match their tag. */
  refresh?: boolean;
  /** `--preset` for compose hardening (see `Codemod.presets`). */
  preset?: Preset;
  /** Whether the run will write files (some codemods only say what they would write in dry-run). */
  write?: boolean;
  /** `--apt-snapshot`: a snapshot.debian.org timestamp (20240115T000000Z) for lock-apt-install (over its `snapshot` option). */
  aptSnapshot?: string;
  /** What `harden verify` learned about compose services, by compose file (absolute path) and service name. */
  knowledge?: Record<string, FileKnowledge>;
  /** The Compose version output must work with (`composeVersion`); undefined: the current Compose Specification. */
  composeVersion?: string;
  /** false under `--no-network`: only codemods with `offlineFindings` run among the network ones, and look nothing up. */
  network?: boolean;
  /**
   * Set by `harden verify` on its scratch copy: changes that need evidence of a run are proposed for the run to test
   * (their messages say so, see TRIAL_NOTE in src/compose/knowledge.ts).
   */
  trial?: boolean;
}

export interface Codemod {
  /** kebab-case action: used for --only/--skip, config, `# harden-ignore`, fixtures and docs. */
  id: string;
  fileKinds: readonly FileKind[];
  /** One line for `harden rules`. */
  summary: string;
  /** The most a fix from it can be. Reports with fixes safer than this are a bug (checked in tests). */
  safety: Safety;
  /** Default severity of its findings. */
  severity?: Severity;
  /** Markdown with sections: What it does / Why / Example / Fix safety / Options. */
  docs: string;
  /** e.g. 'hadolint:DL3008', 'seed:001'. */
  sources?: readonly string[];
  /**
   * For rules that find a security weakness (secrets in plaintext, privileged containers, unverified downloads):
   * a CVSS-like score from 0.1 to 10 that code scanning shows as low (< 4), medium, high (≥ 7) or critical (≥ 9),
   * and the `security` tag in SARIF. Absent for reproducibility, reliability and hygiene rules.
   */
  securitySeverity?: number;
  /** True when its lookups go to registries or package indexes (not just local files): skipped by `--offline` benches. */
  network?: boolean;
  /**
   * A network codemod that still runs under `--no-network` (`global.network === false`): it then asks no lookups and
   * reports what the file alone shows (pin-image-digest: untagged, `:latest` and digest-less references).
   */
  offlineFindings?: boolean;
  /**
   * The presets that enable it by default (absent: every preset). A codemod with `presets: ['strict']` runs only with
   * `--preset strict` (or `preset: strict` in the config), unless `--only`, the config's `only:` or
   * `codemods: { <id>: on }` names it.
   */
  presets?: readonly Preset[];
  /**
   * The file roles it acts on (src/engine/roles.ts; absent: every role). Runtime hardening and secret migration say
   * `PRODUCTION_ONLY`: dev, CI and test files get pinning, locking and build hygiene only.
   */
  roles?: readonly FileRole[];
  /** Default options. */
  defaultOptions?: Readonly<Record<string, unknown>>;
  /**
   * JSON Schema (draft-07) of the `options:` mapping a config may give it, normally
   * `{ type: 'object', additionalProperties: false, properties: {…} }`. Absent: the codemod takes no options. The
   * configuration schema (`schema/harden.schema.json`, `.harden.yaml` validation) is built from these.
   */
  optionsSchema?: JsonSchema;
  /** Facts it reads from every file of the run (`ctx.project.indexed`), see `RunIndex`. */
  runIndexes?: readonly RunIndex<unknown>[];
  /**
   * Load heavy dependencies (a shell parser's WASM, ts-morph) before the first run. Called once per process,
   * only when the codemod is enabled and a file of its kind is processed, so `harden --version` stays fast.
   */
  prepare?(): Promise<void>;
  /**
   * Pure: what it needs answered. Called on each pass's parse, and again with the answers so far until it asks
   * nothing new (so a codemod can ask a follow-up question, e.g. digests of candidate tags after the tags list).
   */
  lookups?(
    file: ParsedFile,
    options: Readonly<Record<string, unknown>>,
    global: GlobalSettings,
    answers: Answers,
  ): Iterable<LookupKey>;
  run(ctx: CodemodContext): void;
}

/** Something that answers lookups: the network resolvers, or fixtures' answers.json. */
export interface Resolver {
  resolveAll(keys: readonly LookupKey[], ctx: ResolveContext): Promise<void>;
  answers: Answers;
}
export interface ResolveContext {
  /** Directory the run is rooted at (for relative config). */
  cwd: string;
  /** Told of each key that needs an answer ('asked', keys already answered are not) and when it has one. */
  onLookup?: (key: LookupKey, state: 'asked' | 'answered') => void;
}
