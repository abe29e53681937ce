/**
 * Configuration: `.harden.yaml` / `.harden.yml` (or a `harden` key in package.json), found upward from each
 * target file's directory (the nearest wins; the search stops at a repository root). CLI flags override it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { configSchema } from './config-schema.js';
import { didYouMean } from './did-you-mean.js';
import type { FileRole } from './roles.js';
import type { Codemod, JsonSchema, Preset, Severity } from './types.js';

export interface CodemodSetting {
  enabled?: boolean;
  options?: Record<string, unknown>;
  severity?: Severity;
}
export type CodemodEntry = boolean | 'on' | 'off' | CodemodSetting;

export interface HardenConfig {
  /** Enable/disable codemods and set their options: `{ pin-image-digest: { options: {…} }, compose-read-only: off }`. */
  codemods?: Record<string, CodemodEntry>;
  only?: string[];
  skip?: string[];
  /** Also apply unsafe fixes (like --unsafe). */
  unsafe?: boolean;
  /** Globs (relative to the config file's directory or matched on the base name) never processed. */
  exclude?: string[];
  /**
   * Per-path settings: `[{ files: ['legacy/**'], codemods: { pin-image-digest: off } }]`; `role:` gives the matching
   * files a role (src/engine/roles.ts) whatever their path says.
   */
  overrides?: { files: string | string[]; codemods?: Record<string, CodemodEntry>; role?: FileRole }[];
  /** false: every file is production, whatever its path (like --no-file-roles). Default true. */
  fileRoles?: boolean;
  platform?: string;
  exactTags?: boolean;
  /** false: like --no-network, skip the codemods that need the network. */
  network?: boolean;
  /** Like --follow-symlinks: process symbolic links that lead outside the repository or walked directory. */
  followSymlinks?: boolean;
  /** Like --allow-read-only: `--write` also replaces read-only files. */
  allowReadOnly?: boolean;
  /** Compose hardening preset (like --preset): `strict` adds the network-isolation codemods. */
  preset?: Preset;
  /** Like --apt-snapshot: a snapshot.debian.org timestamp (20240115T000000Z) for lock-apt-install. */
  aptSnapshot?: string;
  /** The Compose version output must work with (e.g. "1.29.2", "2.20"): newer-only syntax is not written. */
  composeVersion?: string;
  /** Registry settings (see the README): mirrors per registry, insecure (plain HTTP) registries, and more. */
  registries?: Record<string, { mirror?: string }>;
  /** Registries reached over plain HTTP. */
  insecure?: string[];
  concurrency?: number;
  /** Like --jobs: threads processing files (1: no worker thread; `auto`, the default, decides on the number of files). */
  jobs?: number | 'auto';
  timeout?: number;
  retries?: number;
  cache?: { dir?: string; ttl?: number };
  /** Package index base URLs (apk, apt, pypi, npm). */
  indexes?: Record<string, string>;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
    /** 1-based line and column of the value at fault, when known. */
    readonly line?: number,
    readonly column?: number,
    /** Further problems in the same file, each already `file:line:col: message`. */
    readonly more: readonly string[] = [],
  ) {
    super([`${file}${line !== undefined ? `:${line}:${column ?? 1}` : ''}: ${message}`, ...more].join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  /** The file it came from, or undefined for the empty default. */
  file?: string;
  dir: string;
  config: HardenConfig;
}

const CONFIG_NAMES = ['.harden.yaml', '.harden.yml'];

interface Issue {
  message: string;
  offset?: number;
}

/** Compiled validators per codemod set (the schema embeds each codemod's options schema). */
const validators = new WeakMap<readonly Codemod[], ValidateFunction>();
let untyped: ValidateFunction | undefined;

async function validatorFor(codemods: readonly Codemod[] | undefined): Promise<ValidateFunction> {
  const cached = codemods ? validators.get(codemods) : untyped;
  if (cached) return cached;
  const { Ajv } = await import('ajv');
  const v = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false }).compile(configSchema(codemods));
  if (codemods) validators.set(codemods, v);
  else untyped = v;
  return v;
}

const unescapePointer = (p: string): string[] => (p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')));

/** `codemods.dockerfile-non-root-user.options.uid`, `overrides[0].files`. */
function dotted(path: readonly string[]): string {
  return path.reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}


const TYPE_WORDS: Record<string, string> = { boolean: 'true or false', integer: 'a whole number', number: 'a number', string: 'a string', array: 'a list', object: 'a mapping' };

/** One readable message per ajv error (branch errors of if/anyOf folded into their parent). */
function issuesFrom(errors: readonly ErrorObject[]): { path: string[]; key?: string; message: string }[] {
  const out: { path: string[]; key?: string; message: string }[] = [];
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (e.schemaPath.includes('/anyOf/') && anyOfPaths.has(e.instancePath)) continue;
    const path = unescapePointer(e.instancePath);
    const where = dotted(path);
    const at = where ? `'${where}'` : 'the configuration';
    const inOptions = path.length >= 3 && path[path.length - 1] === 'options' ? path[path.length - 2] : undefined;
    switch (e.keyword) {
      case 'additionalProperty':
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        const known = Object.keys((e.parentSchema as JsonSchema | undefined)?.properties ?? {});
        let message: string;
        if (path.length === 0 && key === 'failOn') {
          message = "unknown key 'failOn': the threshold for exit code 1 is not a configuration setting; pass --fail-on to `harden check` or `harden review`";
        } else if (inOptions) {
          message = known.length
            ? `unknown option '${key}' of ${inOptions}${didYouMean(key, known)}; its options: ${known.join(', ')}`
            : `unknown option '${key}': ${inOptions} takes no options`;
        } else if (path[path.length - 1] === 'codemods' && known.length) {
          message = `unknown codemod '${key}'${didYouMean(key, known)} (see \`harden rules\`)`;
        } else {
          message = `unknown key '${key}'${where ? ` in '${where}'` : ''}${didYouMean(key, known)}`;
        }
        out.push({ path, key, message });
        break;
      }
      case 'type': {
        const t = (e.params as { type: string }).type;
        out.push({ path, message: `${at} must be ${t.split(',').map((x) => TYPE_WORDS[x] ?? x).join(' or ')}, not ${describeValue(e.data)}` });
        break;
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        const list = allowed.length > 12 ? 'a codemod id (see `harden rules`)' : `one of ${allowed.map((a) => String(a)).join(', ')}`;
        const isEntry = allowed.includes('on') && allowed.includes(true);
        out.push({ path, message: isEntry ? `${at} must be on, off, true, false or a mapping, not ${describeValue(e.data)}` : `${at} must be ${list}, not ${describeValue(e.data)}` });
        break;
      }
      case 'anyOf':
        out.push({ path, message: `${at} must be a glob or a list of globs, not ${describeValue(e.data)}` });
        break;
      case 'required':
        out.push({ path, message: `${at} needs '${(e.params as { missingProperty: string }).missingProperty}'` });
        break;
      default: {
        const desc = (e.parentSchema as JsonSchema | undefined)?.description;
        out.push({ path, message: `${at} ${e.message ?? 'is not valid'} (${describeValue(e.data)})${desc ? `: ${desc}` : ''}` });
      }
    }
  }
  return out.filter((x, i) => out.findIndex((y) => y.message === x.message && dotted(y.path) === dotted(x.path)) === i);
}

/** Offset of the node at `path` (or of the key `key` under it) in a parsed YAML/JSON document. */
function offsetOf(doc: Document | undefined, path: readonly string[], key?: string): number | undefined {
  if (!doc) return undefined;
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as Node | null)?.range?.[0];
  const steps = key === undefined ? path : [...path, key];
  for (const [i, seg] of steps.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      // For an unknown key point at the key itself; otherwise at the value (or its key when the value is empty).
      const target = i === steps.length - 1 && key !== undefined ? pair.key : (pair.value ?? pair.key);
      offset = (target as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      offset = (item as Node | null)?.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/**
 * Validate a configuration against the schema (with every codemod's options when `codemods` is given). `doc` is the
 * parsed document the value came from (for line numbers), `base` the path of the configuration inside it
 * (`['harden']` in package.json).
 */
export async function validateConfig(
  file: string,
  raw: unknown,
  opts: { codemods?: readonly Codemod[]; doc?: Document; base?: readonly string[]; lineCounter?: LineCounter } = {},
): Promise<HardenConfig> {
  if (raw === null || raw === undefined) return {};
  const validate = await validatorFor(opts.codemods);
  if (validate(raw)) return raw as HardenConfig;
  const issues: Issue[] = issuesFrom(validate.errors ?? []).map((i) => ({ message: i.message, offset: offsetOf(opts.doc, [...(opts.base ?? []), ...i.path], i.key) }));
  issues.sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
  const pos = (o: number | undefined) => (o !== undefined && opts.lineCounter ? opts.lineCounter.linePos(o) : undefined);
  const [first, ...rest] = issues.map((i) => ({ ...i, pos: pos(i.offset) }));
  if (!first) throw new ConfigError(file, 'the configuration is not valid');
  throw new ConfigError(
    file,
    first.message,
    first.pos?.line,
    first.pos?.col,
    rest.map((i) => `${file}${i.pos ? `:${i.pos.line}:${i.pos.col}` : ''}: ${i.message}`),
  );
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await readIfExists(path)) !== undefined || (await import('node:fs')).existsSync(path);
}

/** Parse a YAML (or JSON) text keeping node positions; undefined when it is not valid. */
function parseWithPositions(text: string): { doc: Document; lineCounter: LineCounter } | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return doc.errors.length ? undefined : { doc, lineCounter };
}

async function fromPackageJson(file: string, text: string, codemods: readonly Codemod[] | undefined): Promise<HardenConfig | undefined> {
  const pkg = JSON.parse(text) as { harden?: unknown };
  if (pkg.harden === undefined) return undefined;
  return validateConfig(file, pkg.harden, { codemods, base: ['harden'], ...parseWithPositions(text) });
}

/** Load one explicit config file (from --config), validated against the schema of `codemods` (when given). */
export async function loadConfigFile(file: string, codemods?: readonly Codemod[]): Promise<LoadedConfig> {
  const text = await readIfExists(file);
  if (text === undefined) throw new ConfigError(file, 'cannot read the configuration file');
  if (file.endsWith('package.json')) {
    let config: HardenConfig | undefined;
    try {
      config = await fromPackageJson(file, text, codemods);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(file, `invalid JSON: ${(e as Error).message}`);
    }
    return { file, dir: dirname(file), config: config ?? {} };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const p = lineCounter.linePos(err.pos[0]);
    throw new ConfigError(file, `invalid YAML: ${err.message.split('\n')[0]}`, p.line, p.col);
  }
  return { file, dir: dirname(file), config: await validateConfig(file, doc.toJS(), { codemods, doc, lineCounter }) };
}

/** Finds and caches the nearest configuration for directories. */
export class ConfigFinder {
  private readonly cache = new Map<string, Promise<LoadedConfig>>();

  /** `codemods`: the codemod set whose ids and options the configuration is checked against. */
  constructor(private readonly codemods?: readonly Codemod[]) {}

  find(dir: string): Promise<LoadedConfig> {
    let p = this.cache.get(dir);
    if (!p) {
      p = this.search(dir);
      this.cache.set(dir, p);
    }
    return p;
  }

  private async search(dir: string): Promise<LoadedConfig> {
    for (const name of CONFIG_NAMES) {
      const f = join(dir, name);
      if ((await readIfExists(f)) !== undefined) return loadConfigFile(f, this.codemods);
    }
    const pkgFile = join(dir, 'package.json');
    const pkgText = await readIfExists(pkgFile);
    if (pkgText !== undefined) {
      let config: HardenConfig | undefined;
      try {
        config = await fromPackageJson(pkgFile, pkgText, this.codemods);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        // a broken package.json is not ours to report
      }
      if (config) return { file: pkgFile, dir, config };
    }
    const parent = dirname(dir);
    if (parent === dir || (await exists(join(dir, '.git')))) return { dir, config: {} };
    return this.find(parent);
  }
}

export interface CodemodChoice {
  enabled: boolean;
  options: Record<string, unknown>;
  severity?: Severity;
  /**
   * Set when the codemod is off only because the preset does not include it (nothing in the config names it):
   * `--only <id>` turns it on.
   */
  offByPreset?: boolean;
}

function applyEntry(choice: CodemodChoice, e: CodemodEntry): void {
  delete choice.offByPreset;
  if (e === true || e === 'on') choice.enabled = true;
  else if (e === false || e === 'off') choice.enabled = false;
  else {
    if (e.enabled !== undefined) choice.enabled = e.enabled;
    else choice.enabled = true;
    if (e.options) Object.assign(choice.options, e.options);
    if (e.severity) choice.severity = e.severity;
  }
}

/**
 * Which codemods run on a file, with what options, from its config (overrides applied in order). `byDefault` says
 * whether a codemod runs when the config does not name it (false for codemods outside the preset in force); a
 * `codemods:` entry or the config's `only:` naming it turns it on.
 */
export function codemodChoices(
  ids: readonly string[],
  loaded: LoadedConfig,
  absPath: string | undefined,
  byDefault: (id: string) => boolean = () => true,
): Map<string, CodemodChoice> {
  const out = new Map<string, CodemodChoice>(
    ids.map((id) => [id, byDefault(id) ? { enabled: true, options: {} } : { enabled: false, options: {}, offByPreset: true }]),
  );
  const { config } = loaded;
  const apply = (entries: Record<string, CodemodEntry> | undefined) => {
    for (const [id, e] of Object.entries(entries ?? {})) {
      const c = out.get(id);
      if (c) applyEntry(c, e);
    }
  };
  apply(config.codemods);
  if (absPath) for (const o of matchingOverrides(loaded, absPath)) apply(o.codemods);
  if (config.only) {
    for (const [id, c] of out) {
      if (!config.only.includes(id)) c.enabled = false;
      else if (c.offByPreset) c.enabled = true;
      delete c.offByPreset;
    }
  }
  for (const id of config.skip ?? []) {
    const c = out.get(id);
    if (c) {
      c.enabled = false;
      delete c.offByPreset;
    }
  }
  return out;
}

/** Compiled `overrides:` globs, by glob: a run asks them of every file (its role, then its codemods). */
const globMatchers = new Map<string, (path: string) => boolean>();

function globMatches(glob: string, rel: string): boolean {
  let m = globMatchers.get(glob);
  if (!m) {
    m = picomatch(glob, { dot: true });
    globMatchers.set(glob, m);
  }
  return m(rel);
}

/** The `overrides:` entries whose globs (relative to the config's directory) match a file, in order. */
function matchingOverrides(loaded: LoadedConfig, absPath: string): NonNullable<HardenConfig['overrides']> {
  const overrides = loaded.config.overrides;
  if (!overrides?.length) return [];
  const rel = relative(loaded.dir, absPath).split(sep).join('/');
  return overrides.filter((o) => (typeof o.files === 'string' ? [o.files] : o.files).some((g) => globMatches(g, rel)));
}

/**
 * What of a file's path its codemod choices depend on: the `overrides:` entries setting codemods that match it (their
 * indexes). Files of one configuration with the same key get the same `codemodChoices`.
 */
export function codemodOverridesKey(loaded: LoadedConfig, absPath: string | undefined): string {
  const overrides = loaded.config.overrides;
  if (!absPath || !overrides?.some((o) => o.codemods)) return '';
  const matching = new Set(matchingOverrides(loaded, absPath));
  let key = '';
  overrides.forEach((o, i) => {
    if (o.codemods && matching.has(o)) key += `${i},`;
  });
  return key;
}

/** The role the last matching `overrides:` entry with a `role:` gives a file, if any. */
export function configuredRole(loaded: LoadedConfig, absPath: string): { role: FileRole; glob: string } | undefined {
  const o = matchingOverrides(loaded, absPath).filter((x) => x.role !== undefined).pop();
  if (!o?.role) return undefined;
  return { role: o.role, glob: typeof o.files === 'string' ? o.files : o.files.join(', ') };
}

/** Every codemod id a config mentions (to report unknown ones). */
export function mentionedCodemodIds(config: HardenConfig): string[] {
  const ids = new Set<string>([...Object.keys(config.codemods ?? {}), ...(config.only ?? []), ...(config.skip ?? [])]);
  for (const o of config.overrides ?? []) for (const id of Object.keys(o.codemods ?? {})) ids.add(id);
  return [...ids];
}
