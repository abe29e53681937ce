/**
 * The image references of a compose file, for pinning (pin-image-digest) and for the image-based codemods: each
 * service's effective `image:` (its own key, a `<<` merge source or a same-file `extends:` service, through the
 * compose model in ./services.ts), whether the service is built here (`build:`), its literal `platform:`, and the
 * services built from a local Dockerfile with their literal `build.args` (through ./build.ts).
 *
 * An image scalar shared by several services (an anchor, an alias, an extended service) is reported ONCE, so a pin
 * edits the shared text once.
 */
import type { Node } from 'yaml';
import { isScalar } from 'yaml';
import type { ParsedCompose, ParsedFile, Range } from '../engine/types.js';
import { derived } from '../engine/derive.js';
import { parseWord, type Segment } from '../dockerfile/images.js';
import { buildSpec } from './build.js';
import { rangeOf, scalarSource } from './scalars.js';
import { lookup, services } from './services.js';

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
 * Image references of a compose file, one per distinct image scalar (an anchored scalar shared by aliases, merge keys
 * or `extends:` counts once), in text order. Computed once per parse and shared (read-only).
 */
export const composeImageRefs: (file: ParsedCompose) => readonly ComposeImageRef[] = derived(computeImageRefs);

function computeImageRefs(file: ParsedCompose): ComposeImageRef[] {
  const byNode = new Map<Node, ComposeImageRef>();
  for (const svc of services(file)) {
    const node = lookup(svc, 'image')?.value;
    if (!isScalar(node) || node.value === null || node.value === undefined) continue;
    const hasBuild = lookup(svc, 'build') !== undefined;
    const pn = lookup(svc, 'platform')?.value;
    const platform = isScalar(pn) && typeof pn.value === 'string' && !pn.value.includes('$') ? pn.value : undefined;
    const prev = byNode.get(node);
    if (prev) {
      prev.services.push(svc.name);
      if (hasBuild) prev.builtBy.push(svc.name);
      if (prev.platform !== platform) delete prev.platform;
      continue;
    }
    const raw = String(node.value);
    const ref: ComposeImageRef = {
      service: svc.name,
      services: [svc.name],
      raw,
      range: rangeOf(node),
      builtBy: hasBuild ? [svc.name] : [],
      resolution: resolveComposeValue(raw, scalarSource(file.text, node)?.range),
    };
    if (platform !== undefined) ref.platform = platform;
    byNode.set(node, ref);
  }
  return [...byNode.values()].sort((a, b) => a.range.start - b.range.start);
}

/**
 * Services built from a local directory, with their absolute Dockerfile path and literal `build.args` (the build
 * settings as ./build.ts reads them: contexts that are URLs or use variables, and inline Dockerfiles, are left out).
 * Computed once per parse and shared (read-only).
 */
export const composeBuilds: (file: ParsedCompose) => readonly ComposeBuild[] = derived(computeBuilds);

function computeBuilds(file: ParsedCompose): ComposeBuild[] {
  if (!file.absPath) return [];
  const out: ComposeBuild[] = [];
  for (const svc of services(file)) {
    const s = buildSpec(svc, file);
    if (!s || !('spec' in s)) continue;
    out.push({ service: svc.name, context: s.spec.context, dockerfile: s.spec.dockerfile, args: s.spec.args });
  }
  return out;
}

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
