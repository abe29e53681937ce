/**
 * Services of a compose file, with what each one gets through YAML merge keys (`<<: *a`, `<<: [*a, *b]`) and
 * same-file `extends:`, and where each value physically lives (the anchor's node, not the alias), so a fix edits
 * shared text once.
 *
 * Lookup order (first found wins for `lookup`): the service's own keys; then its merge sources in order (for
 * `<<: [*a, *b]`, `a` before `b`), each followed by its own merge sources; then the `extends:` service (same rules,
 * recursively). This is YAML's merge-key precedence; note that compose's `extends` merges some keys (sequences such as
 * `ports`, `security_opt`, mappings such as `environment`) instead of overriding them: use `lookupAll` for those.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { ParsedCompose } from '../engine/types.js';
import { scalarText } from './scalars.js';
import { derived, derivedBy } from '../engine/derive.js';
import { aliasTarget } from './anchors.js';

export type Via = 'own' | 'merge' | 'extends';

export interface ServiceSource {
  map: YAMLMap;
  via: Via;
  /** For `extends` sources: the extended service's name. */
  service?: string;
}

export interface ComposeService {
  name: string;
  doc: Document.Parsed;
  docIndex: number;
  /** The key under `services:`. */
  keyNode: Scalar;
  /** The service's mapping (when the service is itself an alias `web: *base`, the anchored map). */
  node: YAMLMap;
  /** Set when the service's value is an alias: its node is shared with whatever else uses that anchor. */
  alias?: Alias;
  /** Own map first, then merge sources, then extended services (see the module comment). */
  sources: readonly ServiceSource[];
  /** Set when `extends:` points to another file or to a service we cannot find: what it inherits is unknown. */
  extendsUnknown?: string;
  /** Set when the service is not written under `services:` but comes from a mapping merged into it (`<<: *shared`). */
  fromMerge?: true;
}

export interface Lookup {
  key: string;
  pair: Pair;
  keyNode: Scalar;
  /** The value with aliases resolved (the anchor's node): edit this one. Null for an empty value (`key:`). */
  value: Node | null;
  /** Set when the value was written as an alias (`ports: *ports`). */
  alias?: Alias;
  /** The mapping that holds the pair: the service's own map, a merge source (an anchor), or an extended service. */
  owner: YAMLMap;
  via: Via;
  /** True when the value's node is not only this service's (it lives in an anchor, is an alias, or comes from another service). */
  shared: boolean;
}

export const isMergeKey = (k: unknown): boolean =>
  (isScalar(k) && (typeof k.value === 'symbol' || k.value === '<<')) || k === '<<';

/** The node an alias points to (or the node itself). Aliases are resolved through the document's anchor view (one walk per parse). */
export function resolveNode(doc: Document.Parsed, node: unknown): Node | null {
  let n = node;
  for (let i = 0; i < 20 && isAlias(n); i++) n = aliasTarget(doc, n);
  return (n ?? null) as Node | null;
}

/**
 * The pair of a plain (non-merge) key in one mapping, ignoring merges (the first one, as a search in order finds).
 * A small mapping is searched; a larger one (a service's, `services:` itself) is indexed once per parse: every
 * codemod asks it for its own keys.
 */
export function ownPair(map: YAMLMap, key: string): Pair | undefined {
  const items = map.items;
  if (items.length > SEARCHED_PAIRS) return pairIndex(map).get(key);
  for (let i = 0; i < items.length; i++) {
    const p = items[i];
    if (isPair(p) && isScalar(p.key) && p.key.value === key) return p as Pair;
  }
  return undefined;
}

const SEARCHED_PAIRS = 8;

/** A mapping's pairs by key value (the first pair of each; a string key only finds a string value, as `===` does). */
const pairIndex = derived((map: YAMLMap): Map<unknown, Pair> => {
  const m = new Map<unknown, Pair>();
  for (const p of map.items) if (isPair(p) && isScalar(p.key) && !m.has(p.key.value)) m.set(p.key.value, p as Pair);
  return m;
});

/** The maps a mapping merges in with `<<`, in precedence order, recursively (depth first), without duplicates. */
export function mergeSources(doc: Document.Parsed, map: YAMLMap, seen: Set<YAMLMap> = new Set([map])): YAMLMap[] {
  const out: YAMLMap[] = [];
  for (const p of map.items) {
    if (!isPair(p) || !isMergeKey(p.key)) continue;
    const v = isAlias(p.value) || isMap(p.value) ? [p.value] : isSeq(p.value) ? p.value.items : [];
    for (const item of v) {
      const m = resolveNode(doc, item);
      if (!isMap(m) || seen.has(m)) continue;
      seen.add(m);
      out.push(m, ...mergeSources(doc, m, seen));
    }
  }
  return out;
}

function servicesMap(doc: Document.Parsed): YAMLMap | undefined {
  if (!isMap(doc.contents)) return undefined;
  const p = ownPair(doc.contents, 'services');
  const v = p ? resolveNode(doc, p.value) : null;
  return isMap(v) ? v : undefined;
}

/**
 * The service pairs of a `services:` mapping as YAML reads it: its own keys, then the keys of the mappings it merges
 * with `<<:` (`services: {<<: *shared, web: …}`) that it does not set itself, in merge-precedence order (marked
 * `merged`). The merge key itself is no service. The mapping is read once (twice when it has a merge key).
 */
function serviceEntries(doc: Document.Parsed, sm: YAMLMap): { pair: Pair & { key: Scalar }; merged: boolean }[] {
  const out: { pair: Pair & { key: Scalar }; merged: boolean }[] = [];
  const seen = new Set<string>();
  let merges = false;
  const add = (p: unknown, merged: boolean): void => {
    if (!isPair(p) || !isScalar(p.key)) return;
    const name = String(p.key.value);
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ pair: p as Pair & { key: Scalar }, merged });
  };
  for (const p of sm.items) {
    if (isPair(p) && isMergeKey(p.key)) merges = true;
    else add(p, false);
  }
  if (merges) for (const map of mergeSources(doc, sm)) for (const p of map.items) if (!(isPair(p) && isMergeKey(p.key))) add(p, true);
  return out;
}

/** First value of `key` among these sources. */
function firstIn(doc: Document.Parsed, sources: readonly ServiceSource[], key: string): Lookup | undefined {
  for (const src of sources) {
    const pair = ownPair(src.map, key);
    if (pair) return lookupOf(doc, src, key, pair);
  }
  return undefined;
}

function allIn(doc: Document.Parsed, sources: readonly ServiceSource[], key: string): Lookup[] {
  const out: Lookup[] = [];
  for (const src of sources) {
    const pair = ownPair(src.map, key);
    if (pair) out.push(lookupOf(doc, src, key, pair));
  }
  return out;
}

function lookupOf(doc: Document.Parsed, src: ServiceSource, key: string, pair: Pair): Lookup {
  const keyNode = pair.key as Scalar;
  const owner = src.map;
  const via = src.via;
  // Two literals rather than a spread of `{ alias }` (one object less per lookup); the same keys in the same order.
  if (isAlias(pair.value)) {
    const alias = pair.value;
    return { key, pair, keyNode, value: resolveNode(doc, alias), alias, owner, via, shared: true };
  }
  return { key, pair, keyNode, value: resolveNode(doc, pair.value), owner, via, shared: via !== 'own' };
}

/**
 * Every service of every document of the file, in order. Services whose value is not a mapping are skipped.
 * Computed once per parse and shared (treat the result as read-only).
 */
export const services: (file: ParsedCompose) => ComposeService[] = derived(computeServices);

function computeServices(file: ParsedCompose): ComposeService[] {
  const out: ComposeService[] = [];
  file.docs.forEach((doc, docIndex) => {
    const sm = servicesMap(doc);
    if (!sm) return;
    const entries = serviceEntries(doc, sm);
    const byName = new Map<string, YAMLMap>();
    for (const { pair: p } of entries) {
      const v = resolveNode(doc, p.value);
      if (isMap(v)) byName.set(String(p.key.value), v);
    }
    const chain = (name: string, seen: Set<string>): { sources: ServiceSource[]; unknown?: string } => {
      const node = byName.get(name);
      if (!node) return { sources: [], unknown: `extends a service '${name}' not found in this file` };
      seen.add(name);
      const own: ServiceSource[] = [
        { map: node, via: seen.size === 1 ? 'own' : 'extends', ...(seen.size === 1 ? {} : { service: name }) },
        ...mergeSources(doc, node).map((m): ServiceSource => ({ map: m, via: seen.size === 1 ? 'merge' : 'extends', ...(seen.size === 1 ? {} : { service: name }) })),
      ];
      const ext = firstIn(doc, own, 'extends');
      if (!ext) return { sources: own };
      let target: string | undefined;
      let otherFile: string | undefined;
      if (isScalar(ext.value)) target = scalarText(ext.value);
      else if (isMap(ext.value)) {
        const s = ownPair(ext.value, 'service');
        const f = ownPair(ext.value, 'file');
        target = s ? scalarText(resolveNode(doc, s.value)) : undefined;
        otherFile = f ? scalarText(resolveNode(doc, f.value)) : undefined;
      }
      if (otherFile !== undefined) return { sources: own, unknown: `extends '${target ?? '?'}' from another file (${otherFile})` };
      if (target === undefined) return { sources: own, unknown: 'extends: could not be read' };
      if (seen.has(target)) return { sources: own, unknown: `extends cycle through '${target}'` };
      const rest = chain(target, seen);
      return { sources: [...own, ...rest.sources], ...(rest.unknown ? { unknown: rest.unknown } : {}) };
    };
    for (const { pair: p, merged } of entries) {
      const node = resolveNode(doc, p.value);
      if (!isMap(node)) continue;
      const name = String(p.key.value);
      const { sources, unknown } = chain(name, new Set());
      out.push({
        name,
        doc,
        docIndex,
        keyNode: p.key,
        node,
        ...(isAlias(p.value) ? { alias: p.value } : {}),
        sources,
        ...(unknown ? { extendsUnknown: unknown } : {}),
        ...(merged ? { fromMerge: true as const } : {}),
      });
    }
  });
  return out;
}

/*
 * The lookups of a service are kept per service and key (a service's sources never change; every codemod asks for
 * the same keys): callers share the answers and must not change them.
 */

/** The effective value of `key` for a service: the first source that sets it (own, merges, extends). */
export const lookup: (svc: ComposeService, key: string) => Lookup | undefined = derivedBy((svc: ComposeService, key: string) => firstIn(svc.doc, svc.sources, key));

/** Every source's value of `key`, in lookup order (for keys compose merges across `extends`). Read-only. */
export const lookupAll: (svc: ComposeService, key: string) => readonly Lookup[] = derivedBy((svc: ComposeService, key: string) => allIn(svc.doc, svc.sources, key));

/** The services among `all` that get keys from `map` (their own mapping, an anchor they merge or alias, a service they extend). */
export function servicesUsing(all: readonly ComposeService[], map: YAMLMap): ComposeService[] {
  return all.filter((s) => s.sources.some((src) => src.map === map));
}

/** A stable identity of a node for de-duplicating edits of shared (anchored) text within one codemod run. */
export function nodeKey(node: { range?: readonly [number, number, number] | null } | null | undefined): string {
  return `${node?.range?.[0] ?? -1}:${node?.range?.[1] ?? -1}`;
}

/** A small "once" guard: `once(node)` is true the first time a node (by range) is seen. */
export function onceGuard(): (node: { range?: readonly [number, number, number] | null } | null | undefined) => boolean {
  const seen = new Set<string>();
  return (node) => {
    const k = nodeKey(node);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  };
}

/** The string items of a sequence (aliases resolved), with their nodes. Non-scalar items are skipped. */
export function stringItems(doc: Document.Parsed, seq: unknown): { value: string; node: Scalar }[] {
  const s = resolveNode(doc, seq);
  if (!isSeq(s)) return [];
  const out: { value: string; node: Scalar }[] = [];
  for (const it of s.items) {
    const n = resolveNode(doc, it);
    const v = scalarText(n);
    if (v !== undefined && isScalar(n)) out.push({ value: v, node: n });
  }
  return out;
}

/**
 * What compose applies for a key it merges across `extends` (sequences like `ports`, `security_opt`, mappings like
 * `environment`, `logging`): one value per service of the extends chain, the first of each service's own keys and
 * merge sources (YAML merge keys override, they do not merge).
 */
export const lookupMerged: (svc: ComposeService, key: string) => readonly Lookup[] = derivedBy(computeLookupMerged);

function computeLookupMerged(svc: ComposeService, key: string): Lookup[] {
  const out: Lookup[] = [];
  for (const g of sourceGroups(svc)) {
    const l = firstIn(svc.doc, g, key);
    if (l) out.push(l);
  }
  return out;
}

/** A service's sources by service of its extends chain (its own map and merges first), in lookup order. */
const sourceGroups = derived((svc: ComposeService): readonly (readonly ServiceSource[])[] => {
  const groups = new Map<string, ServiceSource[]>();
  for (const s of svc.sources) {
    const g = s.via === 'extends' ? `extends:${s.service ?? ''}` : 'own';
    const list = groups.get(g);
    if (list) list.push(s);
    else groups.set(g, [s]);
  }
  return [...groups.values()];
});

/**
 * Where a looked-up value physically lives when it is not the service's own text, for messages:
 * "the anchor `&ports`", "service `base` (extends)", or undefined for the service's own value.
 */
export function sharedWhere(l: Lookup): string | undefined {
  const anchor = (l.value as { anchor?: string } | null)?.anchor;
  if (anchor) return `the anchor \`&${anchor}\``;
  if (l.via === 'extends') return `the extended service's definition`;
  const ownerAnchor = (l.owner as { anchor?: string }).anchor;
  if (ownerAnchor) return `the anchor \`&${ownerAnchor}\``;
  return l.shared ? 'a shared definition' : undefined;
}
