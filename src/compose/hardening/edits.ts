/**
 * How the runtime-hardening codemods write their settings: several pairs as one insertion, list additions that respect
 * anchors and `extends`, the gate for services that are aliases of an anchored mapping, and merged insertions.
 */
import { isScalar, isSeq, type YAMLMap } from 'yaml';
import type { CodemodContext, Edit, ParsedCompose } from '../../engine/types.js';
import { withHint } from '../../engine/edits.js';
import { appendItems, fillEmpty, flowText, insertPair, type NewValue } from '../insert.js';
import { rangeOf, scalarText } from '../scalars.js';
import { resolveNode, servicesUsing, sharedWhere, stringItems, type ComposeService, type Lookup } from '../services.js';

/**
 * The gate for fixing a service whose value is an alias of an anchored mapping (`web: *base`): its keys go into the
 * anchor, so the anchor is edited once, and only when every service using it needs the same (`sameNeeds`). Returns the
 * note for the finding ('' when the service is not an alias), or undefined when the service is not to be edited: the
 * anchor was already edited in this run, or other services need something else (reported, after `message`).
 */
export function aliasAnchorNote(
  ctx: CodemodContext,
  svc: ComposeService,
  all: readonly ComposeService[],
  sameNeeds: (user: ComposeService) => boolean,
  message: string,
  done: Set<unknown>,
): string | undefined {
  if (!svc.alias) return '';
  if (done.has(svc.node)) return undefined;
  if (!servicesUsing(all, svc.node).every(sameNeeds)) {
    ctx.report({ range: rangeOf(svc.keyNode), message: `${message} Not changed: it is an alias of \`&${svc.alias.source}\`, which other services use with different needs; give it its own mapping.` });
    return undefined;
  }
  done.add(svc.node);
  return ` Added to the anchor \`&${svc.alias.source}\` it is an alias of.`;
}

/** Insert several `key: value` pairs at the end of a service's mapping as ONE edit (they share an offset). */
export function insertPairs(file: ParsedCompose, svc: ComposeService, map: YAMLMap, pairs: readonly [string, NewValue][]): Edit {
  const edits = pairs.map(([k, v]) => insertPair(file, svc.doc, map, k, v));
  const first = edits[0] as Edit;
  const sep = map.items.length === 0 ? ', ' : '';
  const joined: Edit = { start: first.start, end: first.end, text: edits.map((e) => e.text).join(sep) };
  return first.adds ? { ...joined, adds: { to: first.adds.to, keys: pairs.map(([k]) => k) } } : joined;
}

/**
 * How to add `items` to the list `key` of a service, given where the list is now (`l`, from lookup()):
 * - no list: a new `key:` pair for the service's mapping (returned in `pairs`, so several keys share one edit);
 * - the service's own list (or a scalar): items appended (a scalar becomes a flow list);
 * - a list from an anchor (merge key): appended to the anchor once when `anchorOk(owner)` says every service using it
 *   needs the same, else the service gets its own list with the anchor's entries plus the new ones (YAML merge keys
 *   override, they do not merge);
 * - a list from an `extends`ed service: compose merges these lists, so the service gets its own list of the new items.
 */
export function listAddition(
  file: ParsedCompose,
  svc: ComposeService,
  key: string,
  l: Lookup | undefined,
  items: readonly string[],
  anchorOk: (owner: YAMLMap) => boolean,
  done: Set<unknown>,
): { edits: Edit[]; pairs: [string, NewValue][]; note: string } | { error: string } {
  const out = { edits: [] as Edit[], pairs: [] as [string, NewValue][], note: '' };
  if (items.length === 0) return out;
  if (!l || l.via === 'extends') {
    out.pairs.push([key, [...items]]);
    return out;
  }
  const v = resolveNode(svc.doc, l.value);
  if (!l.shared || l.owner === svc.node) {
    if (isSeq(v)) out.edits.push(appendItems(file, svc.doc, v, items));
    else if (isScalar(v) && scalarText(v) !== undefined) {
      const r = { start: v.range?.[0] ?? 0, end: v.range?.[1] ?? 0 };
      out.edits.push({ start: r.start, end: r.end, text: flowText([scalarText(v) as string, ...items]) });
    } else if (v === null || (isScalar(v) && v.value === null)) out.edits.push(fillEmpty(file, svc.doc, l.pair, [...items]));
    else return { error: `its \`${key}\` is neither a list nor a single value` };
    return out;
  }
  if (isSeq(v) && anchorOk(l.owner)) {
    if (!done.has(v)) {
      done.add(v);
      out.edits.push(appendItems(file, svc.doc, v, items));
      out.note = ` The \`${key}\` list of ${sharedWhere(l) ?? 'the shared definition'} was extended: every service using it needs the same.`;
    }
    return out;
  }
  const existing = isSeq(v) ? stringItems(svc.doc, v).map((e) => e.value) : scalarText(v) !== undefined ? [scalarText(v) as string] : [];
  out.pairs.push([key, [...existing, ...items]]);
  return out;
}

/**
 * Insertions at the same offset merged into one edit (the engine's order for them is unspecified). Whole-line block
 * insertions are ordered deepest indentation first, so entries for a nested mapping stay inside it when its parent gets
 * entries at the same place; others keep the given order. When every merged insertion adds entries at the end of the
 * same mapping (`adds`, different keys), or of nested mappings ending there, deepest first, the merged edit says so
 * (`sameMappingAdds`), so the engine still applies it in the same pass as other fixes' entries at that place.
 */
export function mergeInsertions(edits: readonly Edit[]): Edit[] {
  const depth = (t: string): number => /^(?:\r?\n)?( *)/.exec(t)?.[1]?.length ?? 0;
  const groups = new Map<number, Edit[]>();
  const out: Edit[] = [];
  for (const e of edits) {
    if (e.start !== e.end) {
      out.push({ ...e });
      continue;
    }
    const g = groups.get(e.start);
    if (g) g.push(e);
    else groups.set(e.start, [e]);
  }
  for (const [at, g] of groups) {
    const block = g.every((e) => /^(?:\r?\n)? /.test(e.text) || /^[^\s,]/.test(e.text) === false);
    const sorted = block ? [...g].sort((a, b) => depth(b.text) - depth(a.text)) : g;
    const merged: Edit = { start: at, end: at, text: sorted.map((e) => e.text).join('') };
    const adds = sameMappingAdds(sorted);
    // Entries of nested mappings (`from`) are a hint only: such a merged edit printed no `adds` (see withHint).
    out.push(adds ? (adds.from === undefined ? { ...merged, adds } : withHint(merged, 'adds', adds)) : merged);
  }
  return out;
}

/**
 * The `adds` of merged insertions that each add entries at the end of a mapping, in order (deepest first): the keys of
 * the last (outermost) mapping, and `from`, the first mapping, when they differ (the engine then knows the merged text
 * starts inside it). Undefined when one is no such insertion, the mappings are not nested deepest first, or a key
 * repeats in one mapping.
 */
function sameMappingAdds(edits: readonly Edit[]): Edit['adds'] {
  const adds = edits.map((e) => e.adds);
  if (adds.length === 0 || adds.some((a) => a === undefined || a.after || a.from !== undefined)) return undefined;
  const all = adds as NonNullable<Edit['adds']>[];
  for (let i = 1; i < all.length; i++) if ((all[i] as NonNullable<Edit['adds']>).to > (all[i - 1] as NonNullable<Edit['adds']>).to) return undefined;
  const to = (all[all.length - 1] as NonNullable<Edit['adds']>).to;
  const from = (all[0] as NonNullable<Edit['adds']>).to;
  const byMap = new Map<number, string[]>();
  for (const a of all) byMap.set(a.to, [...(byMap.get(a.to) ?? []), ...a.keys]);
  if ([...byMap.values()].some((keys) => new Set(keys).size !== keys.length)) return undefined;
  return { to, keys: byMap.get(to) ?? [], ...(from !== to ? { from } : {}) };
}
