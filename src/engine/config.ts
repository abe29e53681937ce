/**
 * Configuration: `.harden.yaml` / `.harden.yml` (or a `harden` key in package.json), found upward from each
 * target file's directory (the nearest wins; the search stops at a repository root). CLI flags override it.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import type { Preset, Severity } from './types.js';

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
  /** Per-path settings: `[{ files: ['legacy/**'], codemods: { pin-image-digest: off } }]`. */
  overrides?: { files: string | string[]; codemods?: Record<string, CodemodEntry> }[];
  platform?: string;
  exactTags?: boolean;
  /** Compose hardening preset (like --preset): `strict` adds the network-isolation codemods. */
  preset?: Preset;
  /** Like --apt-snapshot: a snapshot.debian.org timestamp (20240115T000000Z) for lock-apt-install. */
  aptSnapshot?: string;
  failOn?: Severity | 'never';
  /** Registry settings (see the README): mirrors per registry, insecure (plain HTTP) registries, and more. */
  registries?: Record<string, { mirror?: string }>;
  insecure?: string[];
  concurrency?: number;
  timeout?: number;
  retries?: number;
  cache?: { dir?: string; ttl?: number };
  /** Package index base URLs (apk, apt, pypi, npm). */
  indexes?: Record<string, string>;
}

const KNOWN_KEYS = new Set([
  'codemods', 'only', 'skip', 'unsafe', 'exclude', 'overrides', 'platform', 'exactTags', 'preset', 'aptSnapshot', 'failOn',
  'registries', 'insecure', 'concurrency', 'timeout', 'retries', 'cache', 'indexes',
]);

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
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

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export function validateConfig(file: string, raw: unknown): HardenConfig {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, 'the configuration must be a mapping');
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!KNOWN_KEYS.has(k)) throw new ConfigError(file, `unknown key '${k}'`);
  for (const k of ['only', 'skip', 'exclude', 'insecure'] as const) {
    if (c[k] !== undefined && !isStringArray(c[k])) throw new ConfigError(file, `'${k}' must be a list of strings`);
  }
  const checkCodemods = (where: string, v: unknown) => {
    if (v === undefined) return;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(file, `'${where}' must be a mapping of codemod ids`);
    for (const [id, e] of Object.entries(v)) {
      const ok = typeof e === 'boolean' || e === 'on' || e === 'off' || (typeof e === 'object' && e !== null && !Array.isArray(e));
      if (!ok) throw new ConfigError(file, `'${where}.${id}' must be true, false, on, off or a mapping`);
    }
  };
  checkCodemods('codemods', c.codemods);
  if (c.overrides !== undefined) {
    if (!Array.isArray(c.overrides)) throw new ConfigError(file, "'overrides' must be a list");
    c.overrides.forEach((o, i) => {
      const files = (o as { files?: unknown })?.files;
      if (typeof files !== 'string' && !isStringArray(files)) throw new ConfigError(file, `'overrides[${i}].files' must be a glob or a list of globs`);
      checkCodemods(`overrides[${i}].codemods`, (o as { codemods?: unknown }).codemods);
    });
  }
  if (c.preset !== undefined && c.preset !== 'standard' && c.preset !== 'strict') throw new ConfigError(file, "'preset' must be standard or strict");
  if (c.aptSnapshot !== undefined && (typeof c.aptSnapshot !== 'string' || !/^\d{8}T\d{6}Z$/.test(c.aptSnapshot))) {
    throw new ConfigError(file, "'aptSnapshot' must be a snapshot.debian.org timestamp like 20240115T000000Z");
  }
  for (const k of ['concurrency', 'timeout', 'retries'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'number' || (c[k] as number) < 0)) throw new ConfigError(file, `'${k}' must be a non-negative number`);
  }
  return c as HardenConfig;
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

/** Load one explicit config file (from --config). */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const text = await readIfExists(file);
  if (text === undefined) throw new ConfigError(file, 'cannot read the configuration file');
  if (file.endsWith('package.json')) {
    const pkg = JSON.parse(text) as { harden?: unknown };
    return { file, dir: dirname(file), config: validateConfig(file, pkg.harden) };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(file, `invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return { file, dir: dirname(file), config: validateConfig(file, raw) };
}

/** Finds and caches the nearest configuration for directories. */
export class ConfigFinder {
  private readonly cache = new Map<string, Promise<LoadedConfig>>();

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
      if ((await readIfExists(f)) !== undefined) return loadConfigFile(f);
    }
    const pkgText = await readIfExists(join(dir, 'package.json'));
    if (pkgText !== undefined) {
      try {
        const pkg = JSON.parse(pkgText) as { harden?: unknown };
        if (pkg.harden !== undefined) return { file: join(dir, 'package.json'), dir, config: validateConfig(join(dir, 'package.json'), pkg.harden) };
      } catch {
        // a broken package.json is not ours to report
      }
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
  if (absPath) {
    const rel = relative(loaded.dir, absPath).split(sep).join('/');
    for (const o of config.overrides ?? []) {
      const globs = typeof o.files === 'string' ? [o.files] : o.files;
      if (globs.some((g) => picomatch(g, { dot: true })(rel))) apply(o.codemods);
    }
  }
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

/** Every codemod id a config mentions (to report unknown ones). */
export function mentionedCodemodIds(config: HardenConfig): string[] {
  const ids = new Set<string>([...Object.keys(config.codemods ?? {}), ...(config.only ?? []), ...(config.skip ?? [])]);
  for (const o of config.overrides ?? []) for (const id of Object.keys(o.codemods ?? {})) ids.add(id);
  return [...ids];
}
