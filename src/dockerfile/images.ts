/**
 * Every image reference of a Dockerfile, with its exact range and how its value is built:
 * `FROM` (with `--platform`, `AS`), `COPY --from=<image>`, `RUN --mount=…,from=<image>`, the same inside `ONBUILD`, and
 * the `# syntax=` parser directive.
 *
 * ARG expansion follows BuildKit's scoping: only ARGs declared before the first FROM apply to FROM (a stage-local ARG
 * does not), their values come from `--build-arg`-style overrides, else the last declared default, else a
 * `${VAR:-default}` in the FROM itself. A reference is resolvable when at most ONE variable supplies its tail
 * (`${BASE}`, `node:${TAG}`); the text that would have to change to pin it is then a single editable `region`
 * (the literal in the instruction, the ARG default, or the `:-` default word).
 */
import type { Arg, Copy, Dockerfile, Flag, From, Instruction } from 'dockerfile-ast';
import type { ParsedDockerfile, Range } from '../engine/types.js';
import { findStage, sameStageName, stageAt, stagesOf, toRange, type Stage } from './stages.js';

export type RefSite = 'from' | 'copy-from' | 'mount-from' | 'syntax';

/** Where the text that makes up a reference's tail lives: `ref === prefix + text`, and `text` is `file.text[range]`. */
export interface Region {
  range: Range;
  /** Literal text of the reference before the region (`node:` in `FROM node:${TAG}`), not editable through it. */
  prefix: string;
  text: string;
  /** What the region is ('digest': only the `@sha256:…` after a variable tag, editable to refresh it). */
  kind: 'literal' | 'arg-default' | 'modifier-default' | 'digest';
  /** The ARG whose default it is (kind 'arg-default') or whose `:-` default it is. */
  arg?: string;
}

export type Resolution =
  /** The reference's value is known. `region` is absent when it comes from an override (compose `build.args`). */
  | { kind: 'resolved'; ref: string; region?: Region; args: readonly string[]; overridden?: string }
  /** Not resolvable statically: `reason` says why (several variables, undeclared ARG, no default…). */
  | { kind: 'unresolved'; reason: string; args: readonly string[] };

export interface DockerfileImageRef {
  site: RefSite;
  /** Inside an ONBUILD trigger (runs in child builds: stage names there are the child's). */
  onbuild: boolean;
  /** The reference as written (may contain variables), and its range. */
  raw: string;
  range: Range;
  /** Index of the stage holding it, -1 for the syntax directive. */
  stage: number;
  /** FROM's `--platform=…` as written; `literal` when it has no variables. */
  platform?: { raw: string; range: Range; literal: boolean };
  /** Why this names no image to pin: `scratch`, a build stage (by name or index). */
  skip?: 'scratch' | 'stage' | 'stage-index';
  /** The stage it names, when skip is 'stage' or 'stage-index' (index may be out of range for bad Dockerfiles). */
  stageRef?: number;
  resolution: Resolution;
}

export interface ArgDecl {
  name: string;
  /** Index of the stage it is declared in; -1 before the first FROM (a "global" ARG). */
  stage: number;
  /** The default as BuildKit sees it (quotes removed), undefined for `ARG NAME`. */
  value?: string;
  /** Range of the default without its quotes, when it is plain text (no variables, escapes or line continuations). */
  valueRange?: Range;
  /** Range of the whole `NAME=value` property. */
  range: Range;
}

export interface ImageRefOptions {
  /** `--build-arg` style overrides of global ARGs (e.g. compose `build.args`). */
  buildArgs?: ReadonlyMap<string, string>;
}

type DockerfileLike = Pick<ParsedDockerfile, 'ast' | 'text' | 'lineStarts'>;

/** Variables BuildKit predefines for FROM: they have no static value. */
export const PLATFORM_ARGS = new Set([
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT', 'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT',
  'TARGETSTAGE', 'BUILDKIT_SYNTAX',
]);

// ---- words with variables ------------------------------------------------------------------------------------------

export type Segment =
  | { kind: 'text'; text: string; start: number; end: number }
  | { kind: 'var'; name: string; modifier?: string; word?: string; wordStart?: number; start: number; end: number };

/**
 * Split a word into literal text and `$NAME` / `${NAME}` / `${NAME<mod>word}` variables (offsets relative to `base`).
 * Undefined for what is not handled: escapes, nested variables in a modifier word, unterminated braces.
 */
export function parseWord(raw: string, base = 0): Segment[] | undefined {
  const out: Segment[] = [];
  let i = 0;
  let textStart = 0;
  const flush = (end: number) => {
    if (end > textStart) out.push({ kind: 'text', text: raw.slice(textStart, end), start: base + textStart, end: base + end });
  };
  while (i < raw.length) {
    const ch = raw[i];
    if (ch === '\\' || ch === '`') return undefined;
    if (ch !== '$') {
      i++;
      continue;
    }
    flush(i);
    const start = i;
    if (raw[i + 1] === '{') {
      const close = raw.indexOf('}', i + 2);
      if (close < 0) return undefined;
      const inner = raw.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(inner);
      if (!m?.[1]) return undefined;
      const word = m[3];
      if (word !== undefined && /[$\\{}]/.test(word)) return undefined;
      const seg: Segment = { kind: 'var', name: m[1], start: base + start, end: base + close + 1 };
      if (m[2] !== undefined) {
        seg.modifier = m[2];
        seg.word = word ?? '';
        seg.wordStart = base + i + 2 + m[1].length + m[2].length;
      }
      out.push(seg);
      i = close + 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(i + 1));
      if (!m) return undefined;
      out.push({ kind: 'var', name: m[0], start: base + start, end: base + i + 1 + m[0].length });
      i += 1 + m[0].length;
    }
    textStart = i;
  }
  flush(raw.length);
  return out;
}

// ---- ARG declarations ---------------------------------------------------------------------------------------------

/**
 * Every ARG property with its stage (-1: before the first FROM). Without `stages` (or with the file's own, stagesOf),
 * the list is made once per parse and shared: read-only.
 */
export function argDecls(file: DockerfileLike, stages?: readonly Stage[]): ArgDecl[] {
  const own = stagesOf(file);
  if (stages !== undefined && stages !== own) return computeArgDecls(file, stages);
  let decls = declCache.get(file.ast);
  if (!decls) declCache.set(file.ast, (decls = computeArgDecls(file, own)));
  return decls;
}

const declCache = new WeakMap<Dockerfile, ArgDecl[]>();

function computeArgDecls(file: DockerfileLike, stages: readonly Stage[]): ArgDecl[] {
  const out: ArgDecl[] = [];
  for (const ins of file.ast.getInstructions()) {
    if (ins.getKeyword().toUpperCase() !== 'ARG') continue;
    const range = toRange(file.lineStarts, ins.getRange());
    const stage = stageAt(stages, range.start);
    for (const p of (ins as Arg).getProperties()) {
      const decl: ArgDecl = { name: p.getName(), stage, range: toRange(file.lineStarts, p.getRange()) };
      const v = p.getValue();
      const vr = p.getValueRange();
      if (v !== null) {
        decl.value = v;
        if (vr) {
          const r = toRange(file.lineStarts, vr);
          const rawValue = file.text.slice(r.start, r.end);
          const q = rawValue[0];
          if ((q === '"' || q === "'") && rawValue.length >= 2 && rawValue.endsWith(q) && rawValue.slice(1, -1) === v && !/["'\\$]/.test(v)) {
            decl.valueRange = { start: r.start + 1, end: r.end - 1 };
          } else if (rawValue === v && !/["'\\$\s]/.test(v)) decl.valueRange = r;
        } else if (v === '') decl.valueRange = { start: decl.range.end, end: decl.range.end };
      }
      out.push(decl);
    }
  }
  return out;
}

/** The global ARG `name` as FROM sees it: the last declaration before the first FROM that has a default (else the last one). */
export function globalArg(decls: readonly ArgDecl[], name: string): ArgDecl | undefined {
  const g = decls.filter((d) => d.stage === -1 && d.name === name);
  return [...g].reverse().find((d) => d.value !== undefined) ?? g[g.length - 1];
}

// ---- references ---------------------------------------------------------------------------------------------------

function flagRaw(file: DockerfileLike, flag: Flag): { raw: string; range: Range } | undefined {
  const vr = flag.getValueRange();
  if (!vr) return undefined;
  const range = toRange(file.lineStarts, vr);
  return { raw: file.text.slice(range.start, range.end), range };
}

function literalResolution(raw: string, range: Range, value: string | null): Resolution {
  if (value !== null && value !== raw) return { kind: 'unresolved', reason: 'it is split across lines or quoted', args: [] };
  if (raw.includes('$')) return { kind: 'unresolved', reason: 'variables are only expanded in FROM', args: [] };
  return { kind: 'resolved', ref: raw, region: { range, prefix: '', text: raw, kind: 'literal' }, args: [] };
}

/** Expand a FROM image word with the global ARGs. */
export function resolveFromWord(
  raw: string,
  range: Range,
  decls: readonly ArgDecl[],
  opts: ImageRefOptions = {},
): Resolution {
  const segs = parseWord(raw, range.start);
  if (!segs) return { kind: 'unresolved', reason: 'it uses escapes or variable syntax that is not supported', args: [] };
  const vars = segs.filter((s): s is Extract<Segment, { kind: 'var' }> => s.kind === 'var');
  const args = [...new Set(vars.map((v) => v.name))];
  if (vars.length === 0) return { kind: 'resolved', ref: raw, region: { range, prefix: '', text: raw, kind: 'literal' }, args };
  if (vars.length > 1) return { kind: 'unresolved', reason: `it is composed of several variables (${args.join(', ')})`, args };
  const v = vars[0] as Extract<Segment, { kind: 'var' }>;
  const last = segs[segs.length - 1];
  if (last !== v) {
    // `name:${TAG}@sha256:…`: the digest wins over whatever TAG becomes, so it is verified against the tag TAG names
    // (a bumped ARG with a stale digest silently builds the old image) and, with --refresh, updated in place.
    const digest = last?.kind === 'text' && segs[segs.length - 2] === v ? /^@sha256:[0-9a-f]{64}$/.exec(last.text)?.[0] : undefined;
    if (!digest || !last) return { kind: 'unresolved', reason: `it has literal text after \${${v.name}}`, args };
    const tagged = resolveFromWord(raw.slice(0, raw.length - digest.length), { start: range.start, end: range.end - digest.length }, decls, opts);
    if (tagged.kind !== 'resolved' || tagged.ref.includes('@')) return tagged;
    const at = range.end - digest.length;
    return {
      kind: 'resolved',
      ref: tagged.ref + digest,
      region: { range: { start: at, end: range.end }, prefix: tagged.ref, text: digest, kind: 'digest', arg: v.name },
      args,
      ...(tagged.overridden !== undefined ? { overridden: tagged.overridden } : {}),
    };
  }
  const prefix = segs.filter((s) => s.kind === 'text').map((s) => (s as { text: string }).text).join('');
  if (v.modifier !== undefined && v.modifier !== '-' && v.modifier !== ':-') {
    return { kind: 'unresolved', reason: `\${${v.name}${v.modifier}…} is not supported`, args };
  }
  const override = opts.buildArgs?.get(v.name);
  const decl = globalArg(decls, v.name);
  if (PLATFORM_ARGS.has(v.name) && !decl) return { kind: 'unresolved', reason: `${v.name} is set by the builder`, args };
  if (!decl && v.modifier !== undefined && v.word !== undefined && v.wordStart !== undefined) {
    // An ARG not declared before FROM expands to nothing there (BuildKit warns UndefinedArgInFrom): the default applies.
    const r = { start: v.wordStart, end: v.wordStart + v.word.length };
    return { kind: 'resolved', ref: prefix + v.word, region: { range: r, prefix, text: v.word, kind: 'modifier-default', arg: v.name }, args };
  }
  if (!decl) {
    const local = decls.some((d) => d.name === v.name);
    return {
      kind: 'unresolved',
      reason: local ? `ARG ${v.name} is declared inside a stage, which does not apply to FROM` : `ARG ${v.name} is not declared before the first FROM`,
      args,
    };
  }
  const useDefaultWord = (value: string | undefined) =>
    v.modifier !== undefined && (value === undefined || (v.modifier === ':-' && value === ''));
  if (override !== undefined) {
    if (useDefaultWord(override)) {
      // the override is empty: the `:-` default applies
    } else return { kind: 'resolved', ref: prefix + override, args, overridden: override };
  }
  const value = override === undefined ? decl.value : undefined;
  if (!useDefaultWord(value) && value !== undefined) {
    if (/[$\\]/.test(value)) return { kind: 'unresolved', reason: `the default of ARG ${v.name} uses variables`, args };
    if (value === '' && v.modifier === undefined) return { kind: 'unresolved', reason: `ARG ${v.name} has an empty default`, args };
    const inherited = decls.find((d) => d.stage >= 0 && d.name === v.name && d.value === undefined);
    if (prefix !== '' && inherited) {
      return {
        kind: 'unresolved',
        reason: `ARG ${v.name} is also used inside stage ${inherited.stage} (its default flows there), so a digest cannot be added to it`,
        args,
      };
    }
    const res: Resolution = { kind: 'resolved', ref: prefix + value, args };
    if (decl.valueRange) res.region = { range: decl.valueRange, prefix, text: value, kind: 'arg-default', arg: v.name };
    return res;
  }
  if (v.modifier !== undefined && v.word !== undefined && v.wordStart !== undefined) {
    const r = { start: v.wordStart, end: v.wordStart + v.word.length };
    return { kind: 'resolved', ref: prefix + v.word, region: { range: r, prefix, text: v.word, kind: 'modifier-default', arg: v.name }, args };
  }
  return { kind: 'unresolved', reason: `ARG ${v.name} has no default value`, args };
}

/** Values of `--from`/`from=` that name no image: a stage index, or a stage name of this file (any position). */
function classifyFrom(value: string, stages: readonly Stage[], onbuild: boolean): Pick<DockerfileImageRef, 'skip' | 'stageRef'> {
  if (/^\d+$/.test(value)) return { skip: 'stage-index', stageRef: Number(value) };
  if (value.toLowerCase() === 'scratch') return { skip: 'scratch' };
  if (onbuild) {
    // Stage names in a trigger are the CHILD build's: only something that cannot be a stage name is an image.
    return /[:/@]/.test(value) ? {} : { skip: 'stage' };
  }
  const s = stages.find((x) => x.name !== undefined && sameStageName(x.name, value));
  return s ? { skip: 'stage', stageRef: s.index } : {};
}

function copyAndMountRefs(
  file: DockerfileLike,
  ins: Instruction,
  stages: readonly Stage[],
  stage: number,
  onbuild: boolean,
): DockerfileImageRef[] {
  const out: DockerfileImageRef[] = [];
  const kw = ins.getKeyword().toUpperCase();
  const flags = (ins as unknown as { getFlags?(): Flag[] }).getFlags?.() ?? [];
  if (kw === 'COPY') {
    // Copy.getFromFlag() only looks at the first flag: `COPY --chown=1 --from=img` needs the scan.
    const f = (ins as Copy).getFromFlag() ?? flags.find((x) => x.getName().toLowerCase() === 'from') ?? null;
    const fr = f && flagRaw(file, f);
    if (f && fr) {
      out.push({
        site: 'copy-from', onbuild, raw: fr.raw, range: fr.range, stage,
        ...classifyFrom(f.getValue() ?? fr.raw, stages, onbuild),
        resolution: literalResolution(fr.raw, fr.range, f.getValue()),
      });
    }
  }
  if (kw === 'RUN') {
    for (const f of flags) {
      if (f.getName().toLowerCase() !== 'mount') continue;
      for (const o of f.getOptions()) {
        if (o.getName().toLowerCase() !== 'from') continue;
        const vr = o.getValueRange();
        if (!vr) continue;
        const range = toRange(file.lineStarts, vr);
        const raw = file.text.slice(range.start, range.end);
        out.push({
          site: 'mount-from', onbuild, raw, range, stage,
          ...classifyFrom(o.getValue() ?? raw, stages, onbuild),
          resolution: literalResolution(raw, range, o.getValue()),
        });
      }
    }
  }
  return out;
}

/** All image references of a Dockerfile, in text order. */
export function imageRefs(file: DockerfileLike, opts: ImageRefOptions = {}): DockerfileImageRef[] {
  const stages = stagesOf(file);
  const decls = argDecls(file, stages);
  const out: DockerfileImageRef[] = [];
  const syntax = file.ast.getDirectives().find((d) => d.getName().toLowerCase() === 'syntax');
  if (syntax) {
    const range = toRange(file.lineStarts, syntax.getValueRange());
    const raw = file.text.slice(range.start, range.end);
    if (raw !== '') out.push({ site: 'syntax', onbuild: false, raw, range, stage: -1, resolution: literalResolution(raw, range, syntax.getValue()) });
  }
  for (const ins of file.ast.getInstructions()) {
    const kw = ins.getKeyword().toUpperCase();
    const at = toRange(file.lineStarts, ins.getRange()).start;
    const stage = stageAt(stages, at);
    if (kw === 'FROM') {
      const s = stages[stage];
      if (!s?.image) continue;
      const ref: DockerfileImageRef = {
        site: 'from', onbuild: false, raw: s.image.raw, range: s.image.range, stage,
        resolution: resolveFromWord(s.image.raw, s.image.range, decls, opts),
      };
      if (s.platform) ref.platform = { ...s.platform, literal: !s.platform.raw.includes('$') };
      if (s.base.kind === 'stage') Object.assign(ref, { skip: 'stage', stageRef: s.base.stage });
      else if (s.base.kind === 'scratch') ref.skip = 'scratch';
      else if (ref.resolution.kind === 'resolved' && ref.resolution.args.length > 0) {
        // An ARG may expand to `scratch` or to an earlier stage's name.
        const named = findStage(stages, ref.resolution.ref, stage);
        if (named) Object.assign(ref, { skip: 'stage', stageRef: named.index });
        else if (ref.resolution.ref.toLowerCase() === 'scratch') ref.skip = 'scratch';
      }
      out.push(ref);
    } else if (kw === 'COPY' || kw === 'RUN') {
      out.push(...copyAndMountRefs(file, ins, stages, stage, false));
    } else if (kw === 'ONBUILD') {
      const trig = (ins as unknown as { getTriggerInstruction(): Instruction | null }).getTriggerInstruction();
      if (trig) out.push(...copyAndMountRefs(file, trig, stages, stage, true));
    }
  }
  return out;
}

/**
 * The image a stage starts from, following `FROM <stage>` chains, with ARGs expanded: for codemods asking
 * "which base image / distro does this stage have". 'scratch', or 'unknown' with the reason.
 */
export function stageBaseImage(file: DockerfileLike, stageIndex: number, opts: ImageRefOptions = {}): StageBase {
  // Without overrides the answer depends on the parse alone: kept per parse and stage (shared, read-only).
  if (opts.buildArgs !== undefined) return computeStageBaseImage(file, stageIndex, opts);
  let byStage = baseCache.get(file.ast);
  if (!byStage) baseCache.set(file.ast, (byStage = new Map()));
  let base = byStage.get(stageIndex);
  if (!base) byStage.set(stageIndex, (base = computeStageBaseImage(file, stageIndex, opts)));
  return base;
}

export type StageBase = { kind: 'image'; ref: string; stage: number } | { kind: 'scratch' } | { kind: 'unknown'; reason: string };

const baseCache = new WeakMap<Dockerfile, Map<number, StageBase>>();

function computeStageBaseImage(file: DockerfileLike, stageIndex: number, opts: ImageRefOptions): StageBase {
  const stages = stagesOf(file);
  const decls = argDecls(file, stages);
  const seen = new Set<number>();
  let s = stages[stageIndex];
  while (s && !seen.has(s.index)) {
    seen.add(s.index);
    if (s.base.kind === 'stage') {
      s = stages[s.base.stage];
      continue;
    }
    if (s.base.kind === 'scratch') return { kind: 'scratch' };
    if (s.base.kind === 'none' || !s.image) return { kind: 'unknown', reason: 'FROM has no image' };
    const r = resolveFromWord(s.image.raw, s.image.range, decls, opts);
    // Reading (not editing) needs only the value: `python:${PY}-slim` expands even though no one ARG holds it whole.
    const ref = r.kind === 'resolved' ? r.ref : expandFromWord(s.image.raw, decls, opts);
    if (ref === undefined) return { kind: 'unknown', reason: r.kind === 'unresolved' ? r.reason : 'unresolved' };
    // An ARG may expand to a stage name or scratch.
    if (ref.toLowerCase() === 'scratch') return { kind: 'scratch' };
    const named = findStage(stages, ref, s.index);
    if (named) {
      s = named;
      continue;
    }
    return { kind: 'image', ref, stage: s.index };
  }
  return { kind: 'unknown', reason: 'no such stage' };
}

/**
 * The value of a FROM word with every variable expanded from the global ARGs (overrides first, then defaults, then a
 * `${VAR:-word}` default), or undefined when one has no static value. For reading the base image only: the result
 * names no single editable place.
 */
export function expandFromWord(raw: string, decls: readonly ArgDecl[], opts: ImageRefOptions = {}): string | undefined {
  const segs = parseWord(raw, 0);
  if (!segs) return undefined;
  let out = '';
  for (const seg of segs) {
    if (seg.kind === 'text') {
      out += seg.text;
      continue;
    }
    if (PLATFORM_ARGS.has(seg.name)) return undefined;
    if (seg.modifier !== undefined && seg.modifier !== '-' && seg.modifier !== ':-') return undefined;
    const value = opts.buildArgs?.get(seg.name) ?? globalArg(decls, seg.name)?.value;
    const useDefault = value === undefined || (seg.modifier === ':-' && value === '');
    const v = useDefault ? (seg.modifier !== undefined ? seg.word : undefined) : value;
    if (v === undefined || /[$\\]/.test(v)) return undefined;
    out += v;
  }
  return out === '' ? undefined : out;
}

export type { Dockerfile, From };
