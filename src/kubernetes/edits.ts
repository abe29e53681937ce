/**
 * Edits adding keys and list items to Kubernetes manifests, through the compose insert layer (comments, indentation,
 * flow style and line endings kept): `ensure` adds pairs to a mapping that may not exist yet, `extendList` items to a
 * list that may not exist yet. Several additions to one place are merged by `mergeInsertions`.
 */
import { isMap, isScalar, isSeq, type Document, type YAMLMap } from 'yaml';
import type { Edit } from '../engine/types.js';
import { appendItems, fillEmpty, insertPair, type NewValue, type YamlText } from '../compose/insert.js';
import { ownPair, resolveNode } from '../compose/services.js';

/** Several `key: value` pairs appended to one mapping as one edit. */
export function insertAll(file: YamlText, doc: Document.Parsed, map: YAMLMap, pairs: readonly [string, NewValue][]): Edit[] {
  if (pairs.length === 0) return [];
  const edits = pairs.map(([k, v]) => insertPair(file, doc, map, k, v));
  const first = edits[0] as Edit;
  const sep = map.items.length === 0 ? ', ' : '';
  return [{ start: first.start, end: first.end, text: edits.map((e) => e.text).join(sep) }];
}

/** Pairs added under `parent.key` (a mapping), creating `key:` when it is missing or empty. */
export function ensure(file: YamlText, doc: Document.Parsed, parent: YAMLMap, key: string, pairs: readonly [string, NewValue][]): Edit[] {
  if (pairs.length === 0) return [];
  const p = ownPair(parent, key);
  const v = p ? resolveNode(doc, p.value) : undefined;
  if (p && isMap(v)) return insertAll(file, doc, v, pairs);
  const obj: Record<string, NewValue> = Object.fromEntries(pairs);
  if (p && (v === null || (isScalar(v) && v.value === null))) return [fillEmpty(file, doc, p, obj)];
  if (p) throw new Error(`\`${key}\` is not a mapping`);
  return [insertPair(file, doc, parent, key, obj)];
}

/** Items appended to `parent.key` (a list), creating `key:` when it is missing or empty. */
export function extendList(file: YamlText, doc: Document.Parsed, parent: YAMLMap, key: string, items: readonly NewValue[]): Edit[] {
  if (items.length === 0) return [];
  const p = ownPair(parent, key);
  const v = p ? resolveNode(doc, p.value) : undefined;
  if (p && isSeq(v)) return [appendItems(file, doc, v, items)];
  if (p && (v === null || (isScalar(v) && v.value === null))) return [fillEmpty(file, doc, p, [...items])];
  if (p) throw new Error(`\`${key}\` is not a list`);
  return [insertPair(file, doc, parent, key, [...items])];
}
