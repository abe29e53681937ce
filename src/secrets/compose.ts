/**
 * What the secrets codemods read of a compose file: each service's environment entries with exact ranges, its image
 * and local build, `${VAR:-default}` parsing, and text insertions that reuse the neighbours' indentation and the
 * file's line ending. The services are src/compose's (`services`, computed once per parse): this module adds its
 * view of each, once per parse too, and walks no `services:` mapping of its own.
 */
import { dirname } from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ParsedCompose, Range } from '../engine/types.js';
import { derived } from '../engine/derive.js';
import { lookup, ownPair, services as composeServices, type ComposeService } from '../compose/services.js';
import { buildSpec } from '../compose/build.js';
import { scalarText } from '../compose/scalars.js';

export type EnvValue =
  | { kind: 'literal'; value: string }
  | { kind: 'variable'; name: string; hasDefault: boolean; default?: string; /** The message of `${VAR:?message}`. */ required?: string }
  /** `KEY` with no value: compose passes the host's variable of the same name. */
  | { kind: 'host' }
  /** A value mixing text and variables, a block scalar, or anything else we do not rewrite. */
  | { kind: 'complex' };

export interface EnvEntry {
  name: string;
  form: 'map' | 'list';
  /** map: the key scalar; list: the whole item scalar. */
  keyNode: Scalar;
  /** map: the value scalar (undefined when there is none). */
  valueNode: Scalar | undefined;
  value: EnvValue;
  /** The whole entry (for the report range). */
  range: Range;
}

export interface ServiceInfo {
  /** The service in the compose model (its merge sources, `extends`, aliases). */
  service: ComposeService;
  name: string;
  keyRange: Range;
  node: YAMLMap;
  /** Its image as written, through merge keys and `extends:` (the compose model's `lookup`). */
  image: string | undefined;
  /**
   * Where it is built, when from a local directory (`buildSpec`): the absolute build context, the Dockerfile when
   * src/compose can follow it (undefined for one named by a variable, or inline), and the node of the `build:` value
   * that defines them: its own, or the anchor's or extended service's it gets it from.
   */
  build: { context: string; dockerfile: string | undefined; node: Node } | undefined;
  /** It has a `build:`, its own or through merge keys and `extends:`. */
  hasBuild: boolean;
  envPair: Pair | undefined;
  env: EnvEntry[];
  /** True when `environment` is not set on the service itself but may come from a `<<` merge key. */
  envFromMerge: boolean;
}

const VAR = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(.*))?\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/s;

export function parseEnvValue(raw: string): EnvValue {
  const m = VAR.exec(raw);
  if (m) {
    const name = (m[1] ?? m[4]) as string;
    const hasDefault = m[2] !== undefined && m[2].endsWith('-');
    const required = m[2] !== undefined && m[2].endsWith('?') ? m[3] ?? '' : undefined;
    return { kind: 'variable', name, hasDefault, ...(hasDefault && m[3] ? { default: m[3] } : {}), ...(required !== undefined ? { required } : {}) };
  }
  // `$$` is a literal dollar; any other `$` is interpolation mixed with text.
  if (raw.replace(/\$\$/g, '').includes('$')) return { kind: 'complex' };
  return { kind: 'literal', value: raw.replace(/\$\$/g, '$') };
}

export const rangeOf = (n: { range?: [number, number, number] | null | undefined }): Range => ({ start: n.range?.[0] ?? 0, end: n.range?.[1] ?? 0 });

function scalarString(s: Scalar): string | undefined {
  if (s.value === null || s.value === undefined) return undefined;
  return typeof s.value === 'object' ? undefined : String(s.value);
}

function isBlock(s: Scalar): boolean {
  return s.type === 'BLOCK_LITERAL' || s.type === 'BLOCK_FOLDED';
}

/** The entries of an `environment:` value (map or list form). Computed once per node and shared (read-only). */
export function envEntries(node: unknown): EnvEntry[] {
  return isMap(node) || isSeq(node) ? envEntriesOf(node) : [];
}

const envEntriesOf = derived(computeEnvEntries);

function computeEnvEntries(node: unknown): EnvEntry[] {
  const out: EnvEntry[] = [];
  if (isMap(node)) {
    for (const p of node.items) {
      if (!isScalar(p.key)) continue;
      const name = String(p.key.value);
      const v = p.value;
      const valueNode = isScalar(v) ? v : undefined;
      let value: EnvValue;
      if (v === null || v === undefined || (valueNode && valueNode.value === null)) value = { kind: 'host' };
      else if (!valueNode || isBlock(valueNode)) value = { kind: 'complex' };
      else value = parseEnvValue(scalarString(valueNode) ?? '');
      const end = valueNode && valueNode.range ? valueNode.range[1] : p.key.range?.[1] ?? 0;
      out.push({ name, form: 'map', keyNode: p.key, valueNode, value, range: { start: p.key.range?.[0] ?? 0, end } });
    }
  } else if (isSeq(node)) {
    for (const item of node.items) {
      if (!isScalar(item) || typeof item.value !== 'string' || isBlock(item)) continue;
      const s = item.value;
      const eq = s.indexOf('=');
      const name = eq < 0 ? s : s.slice(0, eq);
      const value: EnvValue = eq < 0 ? { kind: 'host' } : parseEnvValue(s.slice(eq + 1));
      out.push({ name, form: 'list', keyNode: item, valueNode: undefined, value, range: rangeOf(item) });
    }
  }
  return out;
}

export function getPair(map: YAMLMap, key: string): Pair | undefined {
  // A parsed mapping's items are all pairs: the first pair with that key, as ownPair finds it (indexed when large).
  return ownPair(map, key);
}

function hasMergeKey(map: YAMLMap): boolean {
  return map.items.some((p) => (isScalar(p.key) && (p.key.value === '<<' || typeof p.key.value === 'symbol')) || (p.key as unknown) === '<<');
}

/** The compose file's directory (its cwd for relative paths). */
export function composeDir(file: ParsedCompose): string | undefined {
  return file.absPath ? dirname(file.absPath) : undefined;
}

/**
 * The services of one document written under its `services:` (not an alias of an anchored mapping, nor merged in with
 * `<<`: their mappings are shared, so these codemods leave them alone), in order. Computed once per parse from the
 * compose model's services and shared (treat the result as read-only).
 */
export const services: (file: ParsedCompose, doc: Document.Parsed) => ServiceInfo[] = (file, doc) => servicesByDoc(file).get(doc) ?? [];

const servicesByDoc = derived((file: ParsedCompose): Map<Document.Parsed, ServiceInfo[]> => {
  const out = new Map<Document.Parsed, ServiceInfo[]>();
  for (const svc of composeServices(file)) {
    if (svc.alias || svc.fromMerge) continue;
    const infos = out.get(svc.doc) ?? [];
    if (infos.length === 0) out.set(svc.doc, infos);
    infos.push(serviceInfo(svc, file));
  }
  return out;
});

/**
 * A service's image and build as the compose model reads them (its own keys, then merge keys, then `extends:`): the
 * image its text names, and where its Dockerfile is (`buildSpec`). The build's node is the mapping that defines it:
 * the service's own `build:` when it has one, else the anchor or extended service it comes from (every service using
 * that mapping builds the same Dockerfile).
 */
function serviceInfo(svc: ComposeService, file: ParsedCompose): ServiceInfo {
  const node = svc.node;
  const image = scalarText(lookup(svc, 'image')?.value);
  const b = lookup(svc, 'build');
  const spec = b ? buildSpec(svc, file) : undefined;
  const place = spec && 'spec' in spec ? { context: spec.spec.context, dockerfile: spec.spec.dockerfile } : spec?.context !== undefined ? { context: spec.context, dockerfile: undefined } : undefined;
  const build: ServiceInfo['build'] = b?.value && place ? { ...place, node: b.value } : undefined;
  const envPair = getPair(node, 'environment');
  return {
    service: svc,
    name: svc.name,
    keyRange: rangeOf(svc.keyNode),
    node,
    image,
    build,
    hasBuild: b !== undefined,
    envPair,
    env: envPair ? envEntries(envPair.value) : [],
    envFromMerge: !envPair && hasMergeKey(node),
  };
}

/** A top-level secret's source: its `environment` variable or `file` path (as written), or inline `content`. */
export interface TopLevelSecret {
  environment?: string;
  file?: string;
  content?: true;
}

/** Top-level `secrets:` definitions: name → `environment` variable or `file` path (as written), or inline content. */
export function topLevelSecrets(doc: Document.Parsed): Map<string, TopLevelSecret> {
  const out = new Map<string, TopLevelSecret>();
  if (!isMap(doc.contents)) return out;
  const sp = getPair(doc.contents, 'secrets');
  if (!sp || !isMap(sp.value)) return out;
  for (const p of sp.value.items) {
    if (!isScalar(p.key)) continue;
    const def: TopLevelSecret = {};
    if (isMap(p.value)) {
      const e = getPair(p.value, 'environment');
      const f = getPair(p.value, 'file');
      if (e && isScalar(e.value)) def.environment = String(e.value.value);
      if (f && isScalar(f.value)) def.file = String(f.value.value);
      if (getPair(p.value, 'content')) def.content = true;
    }
    out.set(String(p.key.value), def);
  }
  return out;
}

/** Names listed in a `secrets:` sequence (short or long syntax). */
export function listedSecrets(seq: unknown): string[] {
  if (!isSeq(seq)) return [];
  return seq.items.flatMap((i) => {
    if (isScalar(i)) return [String(i.value)];
    if (isMap(i)) {
      const s = getPair(i, 'source');
      return s && isScalar(s.value) ? [String(s.value.value)] : [];
    }
    return [];
  });
}

/**
 * Of the secrets a service's `secrets:` lists, those Compose copies into the container when it creates it (defined
 * with `environment:` or `content:`): a read-only root filesystem refuses the copy (`container rootfs is marked
 * read-only`, docker/compose#12303). A `file:` secret is bind-mounted and works on a read-only root.
 */
export function copiedSecrets(doc: Document.Parsed, list: unknown): string[] {
  const defs = topLevelSecrets(doc);
  return listedSecrets(list).filter((name) => {
    const def = defs.get(name);
    return def?.environment !== undefined || def?.content === true;
  });
}

/**
 * The claim (Fix.claims) of a fix deciding whether a service's root filesystem can be read-only: compose-read-only's,
 * and compose-secrets' when it writes a secret Compose copies in. Never both in one pass; each refuses after the other.
 */
export const readOnlyRootClaim = (service: string): string => `read-only root of service ${service}`;

// ---- text helpers ----------------------------------------------------------------------------------------

/** Column (0-based) of `offset` in its line. */
export function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** The start of the line after the one holding `end - 1` (a node's end): where to insert lines after a block. */
export function lineAfter(text: string, end: number): number {
  if (end > 0 && text[end - 1] === '\n') return end;
  const nl = text.indexOf('\n', end);
  return nl < 0 ? text.length : nl + 1;
}

/** Text for inserting whole lines at `offset` (a line start, or the end of a file without a final newline). */
export function linesAt(text: string, offset: number, lines: readonly string[], eol: string): string {
  const pre = offset === text.length && text.length > 0 && !text.endsWith('\n') ? eol : '';
  return pre + lines.map((l) => l + eol).join('');
}

/** Quote a replacement like the scalar it replaces (plain stays plain). */
export function quoteLike(node: Scalar, value: string): string {
  if (node.type === 'QUOTE_DOUBLE') return JSON.stringify(value);
  if (node.type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  return value;
}

/** The indentation unit of a block map: column of its first key minus its parent's column. */
export function childIndent(text: string, map: YAMLMap | YAMLSeq, fallback: string): string {
  const first = map.items[0];
  const start = isPair(first) ? (first.key as Node | null)?.range?.[0] : (first as Node | undefined)?.range?.[0];
  return start === undefined ? fallback : ' '.repeat(columnOf(text, start));
}
