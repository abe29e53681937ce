/**
 * The real-world suite (test/realworld/): real projects' compose files and Dockerfiles, harden run over each with its
 * network lookups answered from a recorded answers file, every applied fix named by a hunk id that does not depend
 * on line numbers, and a reviewer's verdict per hunk id. Used by test/realworld.test.ts and scripts/realworld.ts.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, parseDocument, type Node } from 'yaml';
import { fix, type HardenResult } from '../../src/api.js';
import { lookupId } from '../../src/engine/lookups.js';
import type { Answer, Finding, LookupKey } from '../../src/engine/types.js';
import { DispatchResolver } from '../../src/resolvers/index.js';
import { localHandler } from '../../src/resolvers/local.js';

export const REALWORLD = resolve(import.meta.dirname, '../realworld');
export const KNOWN_WRONG_FILE = join(REALWORLD, 'known-wrong.txt');

export type Verdict = 'good' | 'noise' | 'wrong' | 'unjudged';
export const VERDICTS: readonly Verdict[] = ['good', 'noise', 'wrong', 'unjudged'];

/** One applied fix: the unit a reviewer judges. */
export interface Hunk {
  id: string;
  file: string;
  codemod: string;
  /** 'safe' when the fix is applied without --unsafe, else 'unsafe' (applied only with --unsafe). */
  safety: 'safe' | 'unsafe';
  line: number;
  message: string;
  /** The lines the fix adds or removes (+/- prefixed), for reviewers; not part of the id. */
  change: string;
}

export interface Expectation {
  verdict: Verdict;
  reason: string;
  /** The hunk's safety when it was judged (a hunk that moves between safe and unsafe is reported). */
  safety?: Hunk['safety'];
}

/** ORIGIN (YAML): where the files came from, and how the project documents running compose. */
export interface Origin {
  repo: string;
  commit: string;
  licence: string;
  paths: string[];
  /** The env file the project documents (copied to `.env` for `docker-compose config`), relative to the project. */
  env?: Record<string, string>;
  /** Files compose reads together (an override with its base), as `-f` lists; others are checked on their own. */
  composeSets?: string[][];
}

export interface Project {
  name: string;
  dir: string;
  origin: Origin;
  answers: { key: LookupKey; answer: Answer }[];
  expectations: Record<string, Expectation>;
}

export function listProjects(): string[] {
  if (!existsSync(REALWORLD)) return [];
  return readdirSync(REALWORLD)
    .filter((n) => statSync(join(REALWORLD, n)).isDirectory() && existsSync(join(REALWORLD, n, 'ORIGIN')))
    .sort();
}

export function loadProject(name: string): Project {
  const dir = join(REALWORLD, name);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const origin = parseDocument(read('ORIGIN')).toJS() as Origin;
  const answers = existsSync(join(dir, 'answers.json')) ? (JSON.parse(read('answers.json')) as Project['answers']) : [];
  const expectations = existsSync(join(dir, 'expectations.json')) ? (JSON.parse(read('expectations.json')) as Record<string, Expectation>) : {};
  return { name, dir, origin, answers, expectations };
}

/** `<project> <hunk id>` lines; `#` starts a comment. */
export function loadKnownWrong(): Set<string> {
  if (!existsSync(KNOWN_WRONG_FILE)) return new Set();
  return new Set(
    readFileSync(KNOWN_WRONG_FILE, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => !l.startsWith('#'))
      .filter(Boolean),
  );
}

const LOCAL_KINDS = new Set(['file', 'dir']);

/**
 * Answers from answers.json. Image and package-index keys are matched as recorded; `file` and `dir` keys are recorded
 * with paths relative to the project folder (listings of the whole checkout, and files not committed here) and
 * otherwise read from the committed files. A key with no recorded answer gets a `not-recorded` error, as an
 * unreachable registry would. `onMiss` lets the import script answer (and record) what is missing.
 */
export function recordedResolver(
  dir: string,
  answers: Project['answers'],
  onMiss?: (key: LookupKey) => Answer | undefined,
): DispatchResolver & { missing: LookupKey[]; asked: LookupKey[] } {
  const recorded = new Map(answers.map((a) => [lookupId(a.key), a.answer]));
  const missing: LookupKey[] = [];
  const asked: LookupKey[] = [];
  const relKey = (k: LookupKey): LookupKey => {
    const p = String((k as { path?: unknown }).path);
    const rel = isAbsolute(p) ? relative(dir, p) : p;
    return { ...k, path: rel.split(sep).join('/') };
  };
  const local = {
    kinds: ['file', 'dir'],
    async resolve(keys: readonly LookupKey[]) {
      const res = await localHandler.resolve(keys);
      for (const k of keys) {
        asked.push(relKey(k));
        // A file committed here is read from the checkout: a recorded `exists` without its text must not hide it.
        const own = res.get(lookupId(k));
        if (k.kind === 'file' && own && 'ok' in own && (own.ok as { text?: string }).text !== undefined) continue;
        const a = recorded.get(lookupId(relKey(k))) ?? onMiss?.(relKey(k));
        if (a) res.set(lookupId(k), a);
      }
      return res;
    },
  };
  const rest = {
    kinds: ['*'],
    async resolve(keys: readonly LookupKey[]) {
      const out = new Map<string, Answer>();
      for (const k of keys) {
        if (LOCAL_KINDS.has(k.kind)) continue;
        asked.push(k);
        let a = recorded.get(lookupId(k));
        if (!a) {
          a = onMiss?.(k);
          if (!a) {
            missing.push(k);
            a = { error: { code: 'not-recorded', message: `no recorded answer for this ${k.kind} lookup (test/realworld answers.json)` } };
          }
        }
        out.set(lookupId(k), a);
      }
      return out;
    },
  };
  return Object.assign(new DispatchResolver([local, rest]), { missing, asked });
}

/**
 * The suite judges compose files and Dockerfiles: its own files, and the scripts, docs and CI files harden reads as
 * shell snippets (none are copied, but entrypoint scripts copied as build-context files would be found), stay out.
 */
export const SUITE_EXCLUDE = ['ORIGIN', 'answers.json', 'expectations.json', 'README.md', 'known-wrong.txt', '**/*.sh', '**/*.md', '**/Makefile', '.github/**', '.gitlab-ci.yml'];

/**
 * The Compose the runs target: the written files are checked with docker-compose 1.29 (Debian's, see
 * composeConfigChecks), so harden must write only what it reads (no `secrets: NAME: environment: VAR`).
 */
export const SUITE_COMPOSE_VERSION = '1.29.2';

export interface ProjectRun {
  safe: HardenResult;
  unsafe: HardenResult;
  hunks: Hunk[];
}

export async function runProject(p: Project, onMiss?: (key: LookupKey) => Answer | undefined): Promise<ProjectRun & { resolver: ReturnType<typeof recordedResolver> }> {
  const resolver = recordedResolver(p.dir, p.answers, onMiss);
  const opts = { paths: ['.'], cwd: p.dir, customResolver: resolver, exclude: SUITE_EXCLUDE, composeVersion: SUITE_COMPOSE_VERSION };
  const safe = await fix({ ...opts, unsafe: false });
  const unsafe = await fix({ ...opts, unsafe: true });
  const safeHunks = hunksOf(safe, p.dir, 'safe');
  const safeIds = new Set(safeHunks.map((h) => h.id));
  const unsafeOnly = hunksOf(unsafe, p.dir, 'unsafe').filter((h) => !safeIds.has(h.id));
  const hunks = [...safeHunks, ...unsafeOnly].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { safe, unsafe, hunks, resolver };
}

/** Hunks of one run: one per applied fix, and one per companion file a fix changes. */
export function hunksOf(r: HardenResult, dir: string, safety: Hunk['safety']): Hunk[] {
  const out: Hunk[] = [];
  const seen = new Map<string, number>();
  const add = (h: Omit<Hunk, 'id'>, base: string) => {
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.push({ ...h, id: n === 1 ? base : `${base}#${n}` });
  };
  for (const f of r.files) {
    const loci = locator(f.kind, f.before.replace(/^\uFEFF/, ''));
    const applied = [...f.applied].sort((a, b) => a.line - b.line || a.column - b.column || (a.codemodId < b.codemodId ? -1 : 1));
    for (const a of applied) {
      const change = changeOf(a);
      const base = `${f.path}#${loci(a.line, a.column)}#${a.codemodId}#${whatOf(f.kind, a)}`;
      add({ file: f.path, codemod: a.codemodId, safety, line: a.line, message: a.message, change }, base);
      for (const c of a.fix?.files ?? []) {
        const cp = relative(dir, c.absPath).split(sep).join('/');
        add({ file: cp, codemod: a.codemodId, safety, line: 0, message: `companion change of ${f.path}: ${a.message}`, change: c.edits.map((e) => `+${e.text}`).join('\n') }, `${cp}#companion#${a.codemodId}`);
      }
    }
  }
  return out;
}

function changeOf(a: Finding): string {
  return (a.fix?.edits ?? [])
    .map((e) => (e.text ? e.text.replace(/\n$/, '').split('\n').map((l) => `+${l}`).join('\n') : `-(${e.end - e.start} chars)`))
    .join('\n');
}

/**
 * A coarse name of what a fix changes, stable across wording changes: for compose the keys it writes at the top
 * level of its edit (`cap_drop`, `deploy`, …), `digest` for an image pin, else `value`; for Dockerfiles the
 * instructions it adds, or `inline` for an edit inside an instruction.
 */
function whatOf(kind: string, a: Finding): string {
  const texts = (a.fix?.edits ?? []).map((e) => e.text);
  if (texts.some((t) => /@sha256:[0-9a-f]{64}/.test(t))) return 'digest';
  if (kind === 'compose') {
    const keys: { indent: number; key: string }[] = [];
    for (const t of texts) {
      for (const m of t.matchAll(/^( *)(?:- +)?([A-Za-z_][\w.-]*):(?: |$)/gm)) keys.push({ indent: (m[1] as string).length, key: m[2] as string });
    }
    if (!keys.length) return texts.some((t) => /^\s*- /m.test(t)) ? 'item' : 'value';
    const min = Math.min(...keys.map((k) => k.indent));
    return [...new Set(keys.filter((k) => k.indent === min).map((k) => k.key))].sort().join('+');
  }
  if (kind === 'dockerfile') {
    const instr = new Set<string>();
    for (const t of texts) for (const m of t.matchAll(/^\s*([A-Z]{3,11})\s/gm)) instr.add(m[1] as string);
    return instr.size ? [...instr].sort().join('+') : 'inline';
  }
  return 'edit';
}

/** For a file's original text: the locus of a 1-based line/column, independent of line numbers. */
function locator(kind: string, text: string): (line: number, column: number) => string {
  if (kind === 'compose') return composeLocator(text);
  if (kind === 'dockerfile') return dockerfileLocator(text);
  return () => 'file';
}

function composeLocator(text: string): (line: number, column: number) => string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  return (line, column) => {
    const off = (starts[line - 1] ?? 0) + column - 1;
    for (const d of list) {
      if (!d.contents) continue;
      const path = pathAt(d.contents as Node, off, []);
      if (path) {
        if (path[0] === 'services' && path.length >= 2) return `svc=${[path[1], ...path.slice(2)].join('/')}`;
        return `top=${path.join('/')}`;
      }
    }
    return 'doc';
  };
}

/** Key path of the innermost pair whose key or value holds `off` (keys only: list items are not numbered). */
function pathAt(n: Node, off: number, path: string[]): string[] | undefined {
  if (isMap(n)) {
    for (const p of n.items) {
      if (!isPair(p)) continue;
      const k = p.key as Node | null;
      const v = p.value as Node | null;
      const ks = k && isScalar(k) ? String(k.value) : '?';
      const kr = k?.range;
      const vr = v?.range;
      const start = kr?.[0] ?? vr?.[0];
      const end = vr?.[2] ?? kr?.[2];
      if (start === undefined || end === undefined || off < start || off >= end) continue;
      if (v && vr && off >= vr[0]) return pathAt(v, off, [...path, ks]) ?? [...path, ks];
      return [...path, ks];
    }
    return undefined;
  }
  if (isSeq(n)) {
    for (const it of n.items) {
      const r = (it as Node | null)?.range;
      if (r && off >= r[0] && off < r[2]) return pathAt(it as Node, off, path) ?? path;
    }
  }
  return undefined;
}

function dockerfileLocator(text: string): (line: number, column: number) => string {
  const df = DockerfileParser.parse(text);
  const ins = df.getInstructions();
  return (line) => {
    let stage = -1;
    let stageName = '';
    let best: string | undefined;
    const counts = new Map<string, number>();
    for (const i of ins) {
      const kw = i.getKeyword();
      const r = i.getRange();
      if (kw === 'FROM') {
        stage++;
        counts.clear();
        const args = i.getArguments().map((a) => a.getValue());
        const as = args.findIndex((a) => a.toLowerCase() === 'as');
        stageName = as >= 0 && args[as + 1] ? args[as + 1] as string : '';
      }
      const n = (counts.get(kw) ?? 0) + 1;
      counts.set(kw, n);
      if (r.start.line + 1 <= line) best = `stage=${stage < 0 ? 'pre' : stageName || stage}/${kw}[${n}]`;
      if (r.start.line + 1 <= line && line <= r.end.line + 1) return best as string;
    }
    return best ?? 'file';
  };
}

// ---- docker-compose config -q over the written files ----

const run = promisify(execFile);
export const COMPOSE_BIN = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));

export interface ConfigCheck {
  files: string[];
  /** Whether docker-compose accepted the original files (if not, the written ones are not checked). */
  originalOk: boolean;
  writtenOk: boolean;
  stderr: string;
  /** Variables the written files' check set because a fix's message says to set them (`variablesToSet`). */
  required: string[];
}

/**
 * The variables an applied fix makes required and tells the operator to set (compose-require-secret-vars turns
 * `\${VAR:-default}` into `\${VAR:?…}`: "set VAR to the value they use before upgrading"). A written file rejected only
 * for them is the fix working as its message says; `composeConfigChecks` sets them for the written files' check.
 */
export function variablesToSet(r: HardenResult): string[] {
  const out = new Set<string>();
  for (const f of r.files) {
    for (const a of f.applied) if (a.codemodId === 'compose-require-secret-vars' && typeof a.data?.variable === 'string') out.add(a.data.variable);
  }
  return [...out].sort();
}

/**
 * For every compose file a run changes: `docker-compose config -q` on the original and on the written files (with
 * their composeSets partners), in a copy of the project with the documented env file as `.env`. The written files are
 * checked with the variables the run's fixes say to set (`variablesToSet`) given a value, so a rejection is something
 * else breaking; `required` lists those variables. Originals are checked once per project (`cache`), and two checks
 * run at a time.
 */
export async function composeConfigChecks(p: Project, r: HardenResult, cache = new Map<string, Promise<{ ok: boolean; stderr: string }>>()): Promise<ConfigCheck[]> {
  const required = variablesToSet(r);
  if (!COMPOSE_BIN) return [];
  const changed = r.files.filter((f) => f.kind === 'compose' && f.changed && !f.error);
  if (!changed.length) return [];
  const work = mkdtempSync(join(tmpdir(), `harden-realworld-${p.name}-`));
  try {
    const copy = (d: string) => {
      cpSync(p.dir, d, { recursive: true });
      for (const [to, from] of Object.entries(p.origin.env ?? {})) cpSync(join(p.dir, from), join(d, to));
    };
    const orig = join(work, 'orig');
    const written = join(work, 'written');
    copy(orig);
    copy(written);
    for (const f of r.files) if (f.changed && !f.error) writeFileSync(join(written, f.path), f.after);
    const check = async (root: string, set: readonly string[], extra: Record<string, string> = {}) => {
      const args = ['-p', 'harden-realworld', ...set.flatMap((s) => ['-f', s]), 'config', '-q'];
      try {
        const x = await run(COMPOSE_BIN as string, args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extra }, timeout: 120_000 });
        return { ok: true, stderr: x.stderr };
      } catch (e) {
        return { ok: false, stderr: (e as { stderr?: string }).stderr ?? String(e) };
      }
    };
    const sets = [...new Map(changed.map((f) => {
      const set = p.origin.composeSets?.find((s) => s.includes(f.path)) ?? [f.path];
      return [set.join('+'), set] as const;
    })).values()];
    const one = async (set: readonly string[]): Promise<ConfigCheck> => {
      const key = set.join('+');
      if (!cache.has(key)) cache.set(key, check(orig, set));
      const a = await (cache.get(key) as Promise<{ ok: boolean; stderr: string }>);
      const b = a.ok ? await check(written, set, Object.fromEntries(required.map((v) => [v, 'set-by-the-operator']))) : { ok: false, stderr: '' };
      return { files: [...set], originalOk: a.ok, writtenOk: b.ok, stderr: b.stderr.replace(/^WARNING: .*\n?/gm, ''), required };
    };
    const out: ConfigCheck[] = [];
    for (let i = 0; i < sets.length; i += 2) out.push(...(await Promise.all(sets.slice(i, i + 2).map(one))));
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every written compose file still parses as YAML without errors. */
export function yamlErrors(r: HardenResult): string[] {
  const errs: string[] = [];
  for (const f of r.files) {
    if (f.kind !== 'compose' || !f.changed) continue;
    for (const d of parseAllDocuments(f.after.replace(/^\uFEFF/, ''))) {
      for (const e of (d as { errors?: { message: string }[] }).errors ?? []) errs.push(`${f.path}: ${e.message}`);
    }
  }
  return errs;
}

// ---- verdict tables ----

export interface Tally {
  safe: Record<Verdict, number>;
  unsafe: Record<Verdict, number>;
}

export function emptyTally(): Tally {
  const z = () => ({ good: 0, noise: 0, wrong: 0, unjudged: 0 });
  return { safe: z(), unsafe: z() };
}

export function verdictOf(p: Project, h: Hunk): Verdict {
  return p.expectations[h.id]?.verdict ?? 'unjudged';
}

export function formatTally(rows: { name: string; tally: Tally }[]): string {
  const head = ['project', 'safe good', 'safe noise', 'safe wrong', 'unsafe good', 'unsafe noise', 'unsafe wrong', 'unjudged'];
  const total = emptyTally();
  const lines = rows.map(({ name, tally }) => {
    for (const s of ['safe', 'unsafe'] as const) for (const v of VERDICTS) total[s][v] += tally[s][v];
    return [name, tally.safe.good, tally.safe.noise, tally.safe.wrong, tally.unsafe.good, tally.unsafe.noise, tally.unsafe.wrong, tally.safe.unjudged + tally.unsafe.unjudged];
  });
  lines.push(['total', total.safe.good, total.safe.noise, total.safe.wrong, total.unsafe.good, total.unsafe.noise, total.unsafe.wrong, total.safe.unjudged + total.unsafe.unjudged]);
  const all = [head, ...lines.map((l) => l.map(String))];
  const w = head.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i] as number) : String(c).padStart(w[i] as number))).join('  ')).join('\n');
}
