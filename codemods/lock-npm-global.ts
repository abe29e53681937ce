/**
 * lock-npm-global: `npm install -g pkg` / `npm i -g pkg@^1` / `yarn global add pkg` / `pnpm add -g pkg` in RUN →
 * `pkg@<exact version>`, the version npm would pick today from the registry the image uses: the command's
 * `--registry`, else a registry set earlier in the stage (`ENV NPM_CONFIG_REGISTRY`, `npm config set registry`, a
 * `.npmrc`/`.yarnrc` copied from the build context, read through a 'file' lookup), else config `indexes: { npm: … }`,
 * else registry.npmjs.org.
 */
import { defineCodemod } from '../src/engine/define.js';
import type { Flag, Instruction } from 'dockerfile-ast';
import { dirname, join, posix } from 'node:path';
import { fix, insertAt, replace } from '../src/engine/edits.js';
import { isOk, type KeyOf } from '../src/engine/lookups.js';
import type { Answers, Edit, LookupKey, ParsedDockerfile, Report } from '../src/engine/types.js';
import {
  commandName, commandRange, commandSites, dockerfileRuns, lookupFailedReport, quoteOffset, stageChain, versionLookups, type ParsedRun,
} from '../src/dockerfile/package-installs.js';
import { stageAt, toRange } from '../src/dockerfile/stages.js';
import type { NpmVersionKey } from '../src/engine/lookups.js';
import { loadShell, type SimpleCommand, type Word } from '../src/shell/index.js';

const NPM_INSTALL = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add']);
/** npm/yarn options that take a value as the next word. */
const VALUE_FLAGS = new Set([
  '--registry', '--prefix', '--cache', '--userconfig', '--globalconfig', '--loglevel', '--omit', '--include', '--tag',
  '--install-strategy', '--network-timeout', '--cache-folder', '--global-folder', '--modules-folder', '--mutex',
  '--network-concurrency', '--use-yarnrc', '--proxy', '--https-proxy', '--cwd', '-C', '--workspace', '-w',
]);
/** pnpm's: `-w`/`--workspace` are switches there, and it has value options of its own. */
const PNPM_VALUE_FLAGS = new Set([
  ...[...VALUE_FLAGS].filter((f) => f !== '-w' && f !== '--workspace'),
  '--dir', '--store-dir', '--global-dir', '--global-bin-dir', '--virtual-store-dir', '--reporter', '--filter', '-F', '--allow-build',
]);
/** `pnpm add`, and `pnpm install`/`i` given packages (they add them). */
const PNPM_ADD = new Set(['add', 'install', 'i']);

interface Spec {
  word: Word;
  name: string;
  /** The range as written ('' for none). */
  range: string;
  /** Offsets inside the word's value: where the `@range` part starts (name end) and the value's length. */
  nameEnd: number;
  valueLength: number;
  /** Offset of the value inside the raw word (1 when wholly quoted). */
  quoteOffset: number;
}

interface Site {
  run: ParsedRun;
  cmd: SimpleCommand;
  tool: 'npm' | 'yarn' | 'pnpm';
  specs: Spec[];
  unresolvable: Word[];
  /** `--registry` of the command. */
  registry?: string;
  /** Why nothing is pinned. */
  skip?: string;
}

const EXACT = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const NAME = /^((?:@[a-z0-9][\w.~-]*\/)?[a-z0-9._~-][\w.~-]*)(?:@(.*))?$/i;

function parseSpec(w: Word): Spec | 'skip' | 'unresolvable' {
  const v = w.value;
  if (v === null) return 'unresolvable';
  // Paths, tarballs, URLs, git and GitHub shorthands, aliases: not registry packages.
  if (/^[./~]/.test(v) || v.includes(':') || /\.(tgz|tar\.gz)$/i.test(v)) return 'skip';
  const m = NAME.exec(v);
  if (!m) return /^[\w@.-]+\/[\w.-]+$/.test(v) ? 'skip' : 'unresolvable';
  const name = m[1] as string;
  const range = m[2] ?? '';
  if (range.includes('/')) return 'skip';
  if (EXACT.test(range.trim()) && !/\s/.test(range)) return 'skip';
  const qo = quoteOffset(w);
  if (qo === undefined) return 'unresolvable';
  return { word: w, name, range, nameEnd: name.length, valueLength: v.length, quoteOffset: qo };
}

function classify(cmd: SimpleCommand, run: ParsedRun): Site | null {
  const tool = commandName(cmd);
  if (tool !== 'npm' && tool !== 'yarn' && tool !== 'pnpm') return null;
  const valueFlags = tool === 'pnpm' ? PNPM_VALUE_FLAGS : VALUE_FLAGS;
  const args = cmd.args;
  const site: Site = { run, cmd, tool, specs: [], unresolvable: [] };
  let global = false;
  const positional: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const v = w.value;
    if (v !== null && v.startsWith('-') && v !== '-') {
      const eq = v.indexOf('=');
      const flag = eq > 0 ? v.slice(0, eq) : v;
      let value: string | null | undefined = eq > 0 ? v.slice(eq + 1) : undefined;
      if (valueFlags.has(flag) && eq < 0) {
        value = args[i + 1]?.value;
        i++;
      }
      if (flag === '-g' || flag === '--global' || (flag === '--location' && value === 'global')) global = true;
      if (flag === '--registry') {
        if (value == null) site.skip ??= 'its --registry is not a literal';
        else site.registry = value;
      }
      if (/^--@[^:]+:registry$/.test(flag)) site.skip ??= 'it sets a scope registry on the command line';
      if (flag === '--tag') site.skip ??= '--tag chooses the dist-tag';
      continue;
    }
    positional.push(w);
  }
  if (tool === 'npm') {
    const [s, ...rest] = positional;
    if (!s || s.value === null || !NPM_INSTALL.has(s.value) || !global) return null;
    for (const w of rest) addSpec(site, w);
  } else if (tool === 'pnpm') {
    const [s, ...rest] = positional;
    if (!s || s.value === null || !PNPM_ADD.has(s.value) || !global) return null;
    for (const w of rest) addSpec(site, w);
  } else {
    const [g, a, ...rest] = positional;
    if (g?.value !== 'global' || a?.value !== 'add') return null;
    for (const w of rest) addSpec(site, w);
  }
  return site;
}

function addSpec(site: Site, w: Word): void {
  const s = parseSpec(w);
  if (s === 'skip') return;
  if (s === 'unresolvable') site.unresolvable.push(w);
  else site.specs.push(s);
}

function sites(file: ParsedDockerfile): Site[] {
  return commandSites(file, classify).filter((s) => s.specs.length || s.unresolvable.length);
}

// ---------------------------------------------------------------------------------------------------------------------
// Which registry the image uses

type RegistryState =
  | { kind: 'ok'; registry?: string; scopes: Record<string, string>; source?: string }
  | { kind: 'pending' }
  | { kind: 'unknown'; reason: string };

interface ConfigFile {
  /** Absolute path in the build context. */
  path: string;
  /** The file as named in the Dockerfile, for messages. */
  shown: string;
  yarnrc: boolean;
}

/** COPY/ADD sources and whether they come from the build context. */
function copyWords(ins: Instruction): { sources: string[]; fromContext: boolean } | null {
  const args = ins.getArguments().map((a) => a.getValue());
  const flags = (ins as unknown as { getFlags?(): Flag[] }).getFlags?.() ?? [];
  const fromContext = !flags.some((f) => f.getName().toLowerCase() === 'from') && !args.some((a) => /^--from(=|$)/i.test(a));
  const json = (ins as unknown as { getJSONStrings?(): { getJSONValue(): string }[] }).getJSONStrings?.() ?? [];
  const content = ins.getArgumentsContent()?.trim() ?? '';
  const words = json.length && /^(--\S+\s+)*\[/.test(content) ? json.map((j) => j.getJSONValue()) : args.filter((a) => !a.startsWith('--'));
  if (words.length < 2) return null;
  return { sources: words.slice(0, -1), fromContext };
}

/** Registry settings of an npmrc (`registry=`, `@scope:registry=`) or a yarn v1 .yarnrc (`registry "…"`). */
export function parseNpmrc(text: string, yarnrc = false): { registry?: string; scopes: Record<string, string>; variable?: string } {
  const out: { registry?: string; scopes: Record<string, string>; variable?: string } = { scopes: {} };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const m = yarnrc ? /^(registry|"@[^"]+:registry"|@\S+:registry)\s+"?([^"\s]+)"?$/.exec(line) : /^(registry|@[^:=\s]+:registry)\s*=\s*"?([^"\s]*)"?$/.exec(line);
    if (!m) continue;
    const key = (m[1] as string).replace(/"/g, '');
    const value = m[2] as string;
    if (value.includes('${') || value.includes('$')) {
      out.variable = `${key}=${value}`;
      continue;
    }
    if (key === 'registry') out.registry = value;
    else out.scopes[key.slice(0, key.indexOf(':'))] = value;
  }
  return out;
}

/** Registry settings made before the site in its stage chain, as far as they can be known. */
function registryState(file: ParsedDockerfile, site: Site, answers: Answers, keys?: LookupKey[]): RegistryState {
  if (site.registry) return { kind: 'ok', registry: site.registry, scopes: {}, source: '--registry' };
  const { stages } = dockerfileRuns(file);
  const chain = stageChain(stages, site.run.stage);
  let state: { registry?: string; scopes: Record<string, string>; source?: string } = { scopes: {} };
  let unknown: string | undefined;
  let pending = false;
  const contextDir = file.absPath ? dirname(file.absPath) : undefined;
  const envRegistry = (text: string) => /\b(?:NPM_CONFIG_REGISTRY|npm_config_registry|YARN_REGISTRY|yarn_registry)\b/.test(text);

  for (const ins of file.ast.getInstructions()) {
    const r = toRange(file.lineStarts, ins.getRange());
    if (r.start >= site.run.rs.range.start) break;
    const st = stageAt(stages, r.start);
    if (st < 0 || !chain.includes(st)) continue;
    const kw = ins.getKeyword().toUpperCase();
    if (kw === 'ENV' || kw === 'ARG') {
      const props = (ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties();
      for (const p of props) {
        if (!/^(npm_config_registry|yarn_registry)$/i.test(p.getName())) continue;
        const v = p.getValue();
        if (kw === 'ARG' && v === null) continue;
        if (v === null || v.includes('$')) unknown = `${p.getName()} is set from a variable`;
        else state = { ...state, registry: v.replace(/^["']|["']$/g, ''), source: `${kw} ${p.getName()}` };
      }
    } else if (kw === 'RUN') {
      const text = file.text.slice(r.start, r.end);
      const m = /\b(?:npm|yarn|pnpm) config set (registry|@[^\s:]+:registry)(?:\s+|=)(\S+)/.exec(text);
      if (m) {
        const v = (m[2] as string).replace(/^["']|["']$/g, '');
        if (v.includes('$')) unknown = `the registry is set from a variable (${m[0]})`;
        else if (m[1] === 'registry') state = { ...state, registry: v, source: `${m[0].split(' ')[0]} config set` };
        else state = { ...state, scopes: { ...state.scopes, [(m[1] as string).split(':')[0] as string]: v } };
      }
      if (/\.npmrc|\.yarnrc/.test(text) && !m) unknown = 'an earlier RUN writes an .npmrc/.yarnrc';
      if (envRegistry(text) && !m) unknown = 'an earlier RUN sets the registry in the environment';
    } else if (kw === 'COPY' || kw === 'ADD') {
      const c = copyWords(ins);
      if (!c) continue;
      for (const src of c.sources) {
        const base = posix.basename(src.replace(/\/+$/, ''));
        if (base !== '.npmrc' && base !== 'npmrc' && base !== '.yarnrc') continue;
        if (!c.fromContext || src.includes('$') || /[*?[]/.test(src)) {
          unknown = `${src} is copied into the image from somewhere harden cannot read`;
          continue;
        }
        if (!contextDir) {
          unknown = `${src} is copied from the build context, which is unknown for standard input`;
          continue;
        }
        const cf: ConfigFile = { path: join(contextDir, src.replace(/^\/+/, '')), shown: src, yarnrc: base === '.yarnrc' };
        const key: KeyOf<'file'> = { kind: 'file', path: cf.path };
        keys?.push(key);
        const a = answers.get(key);
        if (!a) {
          pending = true;
          continue;
        }
        if (!isOk(a) || !a.ok.exists || a.ok.text === undefined) {
          unknown = `${src} is copied into the image but cannot be read from the build context`;
          continue;
        }
        if (cf.yarnrc && site.tool !== 'yarn') continue;
        const parsed = parseNpmrc(a.ok.text, cf.yarnrc);
        if (parsed.variable) unknown = `${src} sets ${parsed.variable} from the environment`;
        if (parsed.registry) state = { ...state, registry: parsed.registry, source: src };
        state = { ...state, scopes: { ...state.scopes, ...parsed.scopes } };
      }
    }
  }
  // The RUN itself: --mount=type=secret… onto an .npmrc, or environment set before the command.
  for (const f of site.run.rs.flags) {
    if (f.name === 'mount' && /\.npmrc|\.yarnrc/.test(f.value)) unknown = 'the RUN mounts an .npmrc whose registry harden cannot read';
  }
  const before = site.run.rs.script.slice(0, site.cmd.range.end);
  if (envRegistry(before) || site.cmd.assigns.some((a) => /^(npm_config_registry|yarn_registry)$/i.test(a.name))) {
    unknown = 'the registry is set in the environment of the command';
  }
  if (/\b(?:npm|yarn|pnpm) config set (?:registry|@\S+:registry)/.test(site.run.rs.script.slice(0, site.cmd.range.start))) unknown = 'the same RUN sets the registry first';
  if (pending) return { kind: 'pending' };
  if (unknown) return { kind: 'unknown', reason: unknown };
  return { kind: 'ok', ...state };
}

function versionKey(reg: Extract<RegistryState, { kind: 'ok' }>, spec: Spec): NpmVersionKey {
  const key: NpmVersionKey = { kind: 'npm-version', name: spec.name };
  if (spec.range.trim() !== '') key.range = spec.range.trim();
  const scope = spec.name.startsWith('@') ? spec.name.slice(0, spec.name.indexOf('/')) : undefined;
  const registry = (scope && reg.scopes[scope]) || reg.registry;
  if (registry) key.registry = registry.replace(/\/+$/, '');
  return key;
}

function pinReport(file: ParsedDockerfile, site: Site, answers: Answers): Report | undefined {
  const range = commandRange(site.run.rs, site.cmd);
  const what = site.tool === 'npm' ? 'npm install -g' : site.tool === 'pnpm' ? 'pnpm add -g' : 'yarn global add';
  if (site.skip) return { range, severity: 'info', message: `${what} not pinned: ${site.skip}` };
  if (site.unresolvable.length) {
    return {
      range,
      severity: 'warning',
      message: `${what} not pinned: ${site.unresolvable.map((w) => w.raw).join(', ')} ${site.unresolvable.length > 1 ? 'are' : 'is'} not a literal package harden can rewrite; pin it where the variable is set`,
    };
  }
  const reg = registryState(file, site, answers);
  if (reg.kind === 'pending') return undefined;
  if (reg.kind === 'unknown') return { range, severity: 'warning', message: `${what} not pinned: cannot tell which registry it uses: ${reg.reason}` };
  const looked = versionLookups(
    site.specs,
    answers,
    (spec) => versionKey(reg, spec),
    (spec) => spec.name,
    (spec) => (spec.range ? `${spec.name}@${spec.range}` : spec.name),
  );
  if (!looked) return undefined;
  const { versions, missing } = looked;
  const where = reg.registry ? ` from ${reg.registry}${reg.source ? ` (${reg.source})` : ''}` : '';
  if (looked.failed.length) return lookupFailedReport(range, what, looked);
  if (missing.length) return { range, severity: 'warning', message: `${what} not pinned: nothing matches ${missing.join(', ')}${where || ' on the npm registry'}`, data: { missing } };
  const edits: Edit[] = versions.map(([spec, ans]) => {
    const base = spec.word.range.start + spec.quoteOffset;
    const text = `@${ans.version}`;
    if (spec.valueLength > spec.nameEnd) return replace(site.run.rs.toFileRange({ start: base + spec.nameEnd, end: base + spec.valueLength }), text);
    return insertAt(site.run.rs.toFileOffset(base + spec.nameEnd, 'end'), text);
  });
  return {
    range,
    message: `${what}: pinned ${versions.map(([spec, ans]) => `${spec.name}@${ans.version}`).join(', ')}${where}`,
    fix: fix('Pin global npm packages', 'safe', edits),
    data: { packages: Object.fromEntries(versions.map(([spec, ans]) => [spec.name, ans.version])) },
  };
}

export const lockNpmGlobal = defineCodemod({
  id: 'lock-npm-global',
  fileKinds: ['dockerfile'],
  summary: 'Pin `npm install -g` / `yarn global add` / `pnpm add -g` packages to the exact version the npm registry serves today.',
  safety: 'safe',
  severity: 'warning',
  network: true,
  sources: ['hadolint:DL3016', 'seed:001'],
  docs: `## What it does
Pins every package of \`npm install -g\` (\`npm i -g\`, \`--global\`, \`--location=global\`), \`yarn global add\` and
\`pnpm add -g\` (\`--global\`; \`pnpm install -g\`/\`pnpm i -g\` given packages) in RUN to the version npm would install
today: \`typescript\` → \`typescript@5.6.3\`, \`pnpm@^9\` → \`pnpm@9.15.0\`, \`npm@latest\` → \`npm@10.9.2\`. pnpm's are
pinned like npm's, from the same registry settings (pnpm reads \`.npmrc\` and \`npm_config_registry\` too).

- Versions come from the registry's package metadata (abbreviated packument): \`dist-tags.latest\` when it satisfies
  the range, else the highest satisfying version that is not deprecated; a dist-tag (\`next\`) resolves to its version.
- The registry is the one the build would use: the command's \`--registry\`; else one set earlier in the stage
  (or the stages it is built on): \`ENV NPM_CONFIG_REGISTRY=…\`, \`RUN npm config set registry …\` (or \`yarn\`/\`pnpm
  config set\`), or an \`.npmrc\` (\`registry=\`, \`@scope:registry=\` for scoped packages) or, for yarn, a \`.yarnrc\`
  (\`registry "…"\`) COPY'd from the build context, which harden reads from disk; else config
  \`indexes: { npm: … }\`; else https://registry.npmjs.org. npm reads only the user and global npmrc in global mode;
  harden honours a copied \`.npmrc\` wherever it lands.
- Quoting is kept (\`"@scope/cli@^2"\` → \`"@scope/cli@2.4.1"\`).
- Left alone: exact versions (\`typescript@5.6.3\`), paths, tarballs, git/GitHub/URL specs and aliases (\`npm:\`), and
  non-global installs (npm-install-to-ci's business).

Nothing is pinned, and a finding says why, when nothing on the registry matches, a package word is a variable
(\`npm i -g $TOOLS\`), the registry cannot be known (a variable, an \`.npmrc\` from another stage or a secret mount),
or a lookup fails. A command is pinned whole or not at all.

## Why
\`npm install -g typescript\` installs whatever is newest on the day of the build (hadolint DL3016): two builds of the
same commit differ, and a compromised new release goes straight in. Exact pins make it reproducible and reviewable.

## Example
\`\`\`dockerfile
RUN npm install -g typescript pnpm@^9 && yarn global add serve && pnpm add -g zx@^8
\`\`\`
becomes
\`\`\`dockerfile
RUN npm install -g typescript@5.6.3 pnpm@9.15.0 && yarn global add serve@14.2.4 && pnpm add -g zx@8.2.4
\`\`\`

## Fix safety
Safe: the pins are the versions the same build installs today from the same registry, and npm versions are immutable
(a published version can be deprecated, but not replaced). Only the named packages are pinned; their dependencies
still float (a global install reads no lockfile).
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, _global, answers) {
    const keys: LookupKey[] = [];
    for (const site of sites(file)) {
      if (site.skip || site.unresolvable.length || site.specs.length === 0) continue;
      const reg = registryState(file, site, answers, keys);
      if (reg.kind !== 'ok') continue;
      for (const s of site.specs) keys.push(versionKey(reg, s));
    }
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    for (const site of sites(file)) {
      const r = pinReport(file, site, ctx.answers);
      if (r) ctx.report(r);
    }
  },
});
