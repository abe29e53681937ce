/**
 * A minimal, read-only view of compose image references for pin-image-digest: `services.*.image` (also reached through
 * `<<` merge keys and aliases: the anchored scalar is reported ONCE, so it is edited once), whether the service is
 * built here (`build:`), its literal `platform:`, and `build.args` for the Dockerfiles it builds.
 *
 * Written before src/compose existed; once that layer lands (service iteration with merge keys, quote-preserving
 * scalar replacement) `services()` and `scalarSource()` here should be replaced by it.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { ParsedCompose, ParsedFile, Range } from '../engine/types.js';
import { derived } from '../engine/derive.js';
import { resolveNode } from '../compose/services.js';
import { parseWord, type Segment } from '../dockerfile/images.js';

export type ComposeResolution =
  | { kind: 'resolved'; ref: string; region: { range: Range; prefix: string; text: string; kind: 'literal' | 'modifier-default' | 'digest' } }
  | { kind: 'unresolved'; reason: string };

export interface ComposeImageRef {
  /** The first service using this image scalar (others are in `services`). */
  service: string;
  services: string[];
  /** The image value as YAML reads it. */
  raw: string;
  /** The whole scalar in the text (quotes included). */
  range: Range;
  /** Services that have `build:` (the image is what they BUILD, not pull). */
  builtBy: string[];
  /** Literal `platform:` of the service, if any. */
  platform?: string;
  resolution: ComposeResolution;
}

export interface ComposeBuild {
  service: string;
  /** Absolute paths. */
  context: string;
  dockerfile: string;
  /** `build.args` with literal values (those with `${…}` are left out: their values are not known statically). */
  args: Map<string, string>;
}

type MapLike = YAMLMap<unknown, unknown>;

const isMergeKey = (p: Pair): boolean => {
  const k = p.key as unknown;
  if (k === '<<') return true;
  return isScalar(k) && (k.value === '<<' || typeof k.value === 'symbol');
};

const deref = (doc: Document.Parsed, n: unknown): unknown => resolveNode(doc, n);

/** The value of `key` in a map, following `<<` merge keys (own keys first, then merged maps in order). */
export function lookupKey(doc: Document.Parsed, map: MapLike, key: string, depth = 0): Pair | undefined {
  const own = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (own || depth > 10) return own as Pair | undefined;
  for (const p of map.items) {
    if (!isMergeKey(p)) continue;
    const v = deref(doc, p.value);
    const sources = isSeq(v) ? v.items.map((i) => deref(doc, i)) : [v];
    for (const s of sources) {
      if (!isMap(s)) continue;
      const found = lookupKey(doc, s, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

export function services(doc: Document.Parsed): { name: string; node: MapLike; keyRange: Range }[] {
  if (!isMap(doc.contents)) return [];
  const sp = lookupKey(doc, doc.contents, 'services');
  const svcs = deref(doc, sp?.value);
  if (!isMap(svcs)) return [];
  const out: { name: string; node: MapLike; keyRange: Range }[] = [];
  for (const p of svcs.items) {
    if (!isScalar(p.key) || isMergeKey(p)) continue;
    const node = deref(doc, p.value);
    if (!isMap(node)) continue;
    out.push({ name: String(p.key.value), node, keyRange: { start: p.key.range?.[0] ?? 0, end: p.key.range?.[1] ?? 0 } });
  }
  return out;
}

/** The editable source of a scalar: the text between its quotes, when it spells the value without escapes. */
export function scalarSource(text: string, s: Scalar): { range: Range; quoted: boolean } | undefined {
  const [start, valueEnd] = s.range ?? [0, 0];
  const src = text.slice(start, valueEnd);
  const value = typeof s.value === 'string' ? s.value : undefined;
  if (value === undefined) return undefined;
  if (s.type === 'PLAIN') return src === value ? { range: { start, end: valueEnd }, quoted: false } : undefined;
  if (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE') {
    return src.length >= 2 && src.slice(1, -1) === value && !/["'\\]/.test(value)
      ? { range: { start: start + 1, end: valueEnd - 1 }, quoted: true }
      : undefined;
  }
  return undefined;
}

/** `${IMAGE:-nginx:1.25}`, `nginx:${TAG:-1.25}`, `nginx:1.25`: where the pinnable text is. */
export function resolveComposeValue(value: string, range: Range | undefined): ComposeResolution {
  if (!range) return { kind: 'unresolved', reason: 'the value is a block scalar or uses YAML escapes' };
  const segs = parseWord(value, range.start);
  if (!segs) return { kind: 'unresolved', reason: 'it uses `$$` or variable syntax that is not supported' };
  const vars = segs.filter((s): s is Extract<Segment, { kind: 'var' }> => s.kind === 'var');
  if (vars.length === 0) return { kind: 'resolved', ref: value, region: { range, prefix: '', text: value, kind: 'literal' } };
  const names = [...new Set(vars.map((v) => v.name))];
  if (vars.length > 1) return { kind: 'unresolved', reason: `it is composed of several variables (${names.join(', ')})` };
  const v = vars[0] as Extract<Segment, { kind: 'var' }>;
  const last = segs[segs.length - 1];
  if (last !== v) {
    // `nginx:${TAG:-1.25}@sha256:…`: verified against the tag the default names, refreshed in place (as in Dockerfiles).
    const digest = last?.kind === 'text' && segs[segs.length - 2] === v ? /^@sha256:[0-9a-f]{64}$/.exec(last.text)?.[0] : undefined;
    if (!digest) return { kind: 'unresolved', reason: `it has literal text after \${${v.name}}` };
    const tagged = resolveComposeValue(value.slice(0, value.length - digest.length), { start: range.start, end: range.end - digest.length });
    if (tagged.kind !== 'resolved' || tagged.ref.includes('@')) return tagged;
    const at = range.end - digest.length;
    return { kind: 'resolved', ref: tagged.ref + digest, region: { range: { start: at, end: range.end }, prefix: tagged.ref, text: digest, kind: 'digest' } };
  }
  if ((v.modifier !== '-' && v.modifier !== ':-') || v.word === undefined || v.wordStart === undefined || v.word === '') {
    return { kind: 'unresolved', reason: `it comes from \${${v.name}}, which has no default` };
  }
  const prefix = segs.filter((s) => s.kind === 'text').map((s) => (s as { text: string }).text).join('');
  return {
    kind: 'resolved',
    ref: prefix + v.word,
    region: { range: { start: v.wordStart, end: v.wordStart + v.word.length }, prefix, text: v.word, kind: 'modifier-default' },
  };
}

/**
 * Image references of a compose file, one per distinct image scalar (an anchored scalar shared by aliases counts once).
 * Computed once per parse and shared (read-only).
 */
export const composeImageRefs: (file: ParsedCompose) => ComposeImageRef[] = derived(computeImageRefs);

function computeImageRefs(file: ParsedCompose): ComposeImageRef[] {
  const byNode = new Map<Node, ComposeImageRef>();
  for (const doc of file.docs) {
    for (const svc of services(doc)) {
      const ip = lookupKey(doc, svc.node, 'image');
      if (!ip) continue;
      const node = deref(doc, ip.value);
      if (!isScalar(node) || node.value === null || node.value === undefined) continue;
      const hasBuild = lookupKey(doc, svc.node, 'build') !== undefined;
      const pp = lookupKey(doc, svc.node, 'platform');
      const pn = deref(doc, pp?.value);
      const platform = isScalar(pn) && typeof pn.value === 'string' && !pn.value.includes('$') ? pn.value : undefined;
      const prev = byNode.get(node);
      if (prev) {
        prev.services.push(svc.name);
        if (hasBuild) prev.builtBy.push(svc.name);
        if (prev.platform !== platform) delete prev.platform;
        continue;
      }
      const raw = String(node.value);
      const src = scalarSource(file.text, node);
      const ref: ComposeImageRef = {
        service: svc.name,
        services: [svc.name],
        raw,
        range: { start: node.range?.[0] ?? 0, end: node.range?.[1] ?? 0 },
        builtBy: hasBuild ? [svc.name] : [],
        resolution: resolveComposeValue(raw, src?.range),
      };
      if (platform !== undefined) ref.platform = platform;
      byNode.set(node, ref);
    }
  }
  return [...byNode.values()].sort((a, b) => a.range.start - b.range.start);
}

function scalarString(doc: Document.Parsed, n: unknown): string | undefined {
  const v = deref(doc, n);
  return isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number') ? String(v.value) : undefined;
}

/**
 * Services built from a local directory, with their absolute Dockerfile path and literal `build.args`.
 * Computed once per parse and shared (read-only).
 */
export const composeBuilds: (file: ParsedCompose) => ComposeBuild[] = derived(computeBuilds);

/**
 * The compose files among `files` (a run's files) with a service building the Dockerfile at `dockerfile` (absolute),
 * through an index built once per file list: asking for each Dockerfile costs the same whatever the run's size.
 */
export function composeFilesBuilding(files: readonly ParsedFile[], dockerfile: string): readonly ParsedCompose[] {
  return buildIndex(files).get(dockerfile) ?? [];
}

const buildIndex = derived((files: readonly ParsedFile[]): Map<string, ParsedCompose[]> => {
  const index = new Map<string, ParsedCompose[]>();
  for (const f of files) {
    if (f.kind !== 'compose') continue;
    for (const d of new Set(composeBuilds(f).map((b) => b.dockerfile))) {
      const list = index.get(d);
      if (list) list.push(f);
      else index.set(d, [f]);
    }
  }
  return index;
});

function computeBuilds(file: ParsedCompose): ComposeBuild[] {
  if (!file.absPath) return [];
  const dir = dirname(file.absPath);
  const out: ComposeBuild[] = [];
  for (const doc of file.docs) {
    for (const svc of services(doc)) {
      const bp = lookupKey(doc, svc.node, 'build');
      if (!bp) continue;
      const b = deref(doc, bp.value);
      let ctx: string | undefined;
      let dockerfile = 'Dockerfile';
      const args = new Map<string, string>();
      if (isScalar(b)) ctx = scalarString(doc, b);
      else if (isMap(b)) {
        ctx = scalarString(doc, lookupKey(doc, b, 'context')?.value) ?? '.';
        dockerfile = scalarString(doc, lookupKey(doc, b, 'dockerfile')?.value) ?? dockerfile;
        const a = deref(doc, lookupKey(doc, b, 'args')?.value);
        if (isMap(a)) {
          for (const p of a.items) {
            const k = isScalar(p.key) ? String(p.key.value) : undefined;
            const v = scalarString(doc, p.value);
            if (k !== undefined && v !== undefined && !v.includes('$')) args.set(k, v);
          }
        } else if (isSeq(a)) {
          for (const i of a.items) {
            const s = scalarString(doc, i);
            const eq = s?.indexOf('=') ?? -1;
            if (s !== undefined && eq > 0 && !s.includes('$')) args.set(s.slice(0, eq), s.slice(eq + 1));
          }
        }
      }
      if (ctx === undefined || /^[a-z]+:\/\/|^git@|\.git(#|$)|\$/.test(ctx)) continue;
      const context = resolve(dir, ctx);
      out.push({ service: svc.name, context, dockerfile: isAbsolute(dockerfile) ? dockerfile : resolve(context, dockerfile), args });
    }
  }
  return out;
}
