/**
 * Inserting text into compose mappings and sequences, as Edits (the Document is never mutated or re-serialised).
 *
 * The rule for block mappings and sequences, every time: the new entry goes **at the end**, on the line right after
 * the last line of the last entry's content. Comment lines directly after it that are indented deeper than the
 * entries stay with the last entry (they are above the insertion); blank lines and comment lines at or left of the
 * entries' column are taken to belong to what follows, so the new entry goes before them. Indentation is copied from
 * the sibling entries, lines end with the file's EOL, and a file without a final newline keeps having none.
 * Flow collections (`{ a: 1 }`, `[a, b]`) get `, new` after their last item.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Edit, ParsedCompose } from '../engine/types.js';
import { formatScalar, isBlockScalar, rangeOf } from './scalars.js';

/** What the inserts read of a parsed YAML file (a compose file or a Kubernetes manifest): its text and line ending. */
export type YamlText = Pick<ParsedCompose, 'text' | 'eol'>;

/** A value to write: strings are formatted as scalars (plain when safe), objects keep their key order. */
export type NewValue = string | number | boolean | readonly NewValue[] | { readonly [k: string]: NewValue };

/** 0-based column of an offset. */
export function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i;
}

/** Offset just after the last character of real content of a node (not its trailing comments or blank lines). */
export function contentEnd(text: string, node: unknown): number {
  if (isMap(node) || isSeq(node)) {
    if (node.flow) return rangeOf(node as Node).end;
    const last = node.items[node.items.length - 1];
    if (last === undefined) return rangeOf(node as Node).end;
    if (isPair(last)) return last.value !== null && last.value !== undefined && rangeOf(last.value as Node).end > 0
      ? contentEnd(text, last.value)
      : contentEnd(text, last.key);
    return contentEnd(text, last);
  }
  let end = rangeOf(node as Node).end;
  if (isScalar(node) && isBlockScalar(node)) {
    // Block scalars end after their trailing newline(s); stop at the last non-blank character.
    while (end > 0 && /\s/.test(text[end - 1] as string)) end--;
  }
  return end;
}

/**
 * The line start where a new last entry of a block collection goes (see the module comment), and the column of its
 * entries. `entryColumn` is the column of keys (maps) or dashes (sequences).
 */
export function blockInsertionPoint(text: string, node: YAMLMap | YAMLSeq, entryColumn: number): number {
  let end = contentEnd(text, node);
  while (end > 0 && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
  // Move to the start of the next line (past a trailing comment on the same line).
  let at: number;
  if (end > 0 && text[end - 1] === '\n') at = end;
  else {
    const nl = text.indexOf('\n', end);
    if (nl < 0) return text.length;
    at = nl + 1;
  }
  // Comment lines indented deeper than the entries belong to the last entry.
  // (A comment line: blanks, then `#`; read in place, no copy of the line.)
  for (;;) {
    const le = lineEnd(text, at);
    let k = at;
    while (k < le && (text[k] === ' ' || text[k] === '\t')) k++;
    if (k >= le || text[k] !== '#' || k - at <= entryColumn) break;
    if (le >= text.length) return text.length;
    at = le + 1;
  }
  return at;
}

/** Text for whole lines inserted at `offset` (a line start, or the end of a file without a final newline). */
export function linesText(text: string, offset: number, lines: readonly string[], eol: string): string {
  if (offset >= text.length && text.length > 0 && !text.endsWith('\n')) return lines.map((l) => eol + l).join('');
  return lines.map((l) => l + eol).join('');
}

/** Column of the first key of a block map. */
export function keyColumn(text: string, map: YAMLMap): number {
  const first = map.items[0];
  return columnOf(text, rangeOf((isPair(first) ? first.key : first) as Node).start);
}

/** Column of the `-` of a block sequence's items. */
export function dashColumn(text: string, seq: YAMLSeq): number {
  return columnOf(text, rangeOf(seq).start);
}

/**
 * Indentation conventions of a document: `unit` = how far nested mapping keys are indented (from the first nested
 * map found, default 2); `seqIndent` = how far `- ` items sit right of their parent key (0 for the compact style
 * `key:\n- a`, default 2).
 */
export function indentStyle(text: string, doc: Document.Parsed): { unit: number; seqIndent: number } {
  // Once per document and text: every insert of every codemod asks, and a parsed document never changes.
  const hit = styles.get(doc);
  if (hit && hit.text === text) return hit.style;
  const style = computeIndentStyle(text, doc);
  styles.set(doc, { text, style });
  return style;
}

const styles = new WeakMap<Document.Parsed, { text: string; style: { unit: number; seqIndent: number } }>();

function computeIndentStyle(text: string, doc: Document.Parsed): { unit: number; seqIndent: number } {
  let unit: number | undefined;
  let seqIndent: number | undefined;
  const visit = (n: unknown, depth: number): void => {
    if ((unit !== undefined && seqIndent !== undefined) || depth > 8) return;
    if (!isMap(n) || n.flow) {
      if (isSeq(n) && !n.flow) for (const it of n.items) visit(it, depth + 1);
      return;
    }
    for (const p of n.items) {
      if (!isPair(p) || !isScalar(p.key)) continue;
      const v = p.value;
      // Only a block collection under the key tells anything: the key's column is read for those alone.
      if (isMap(v) && !v.flow && v.items.length > 0 && unit === undefined) {
        const d = keyColumn(text, v) - columnOf(text, rangeOf(p.key).start);
        if (d > 0 && text.lastIndexOf('\n', rangeOf(v).start) > rangeOf(p.key).start) unit = d;
      }
      if (isSeq(v) && !v.flow && v.items.length > 0 && seqIndent === undefined) {
        const d = dashColumn(text, v) - columnOf(text, rangeOf(p.key).start);
        if (d >= 0 && text.lastIndexOf('\n', rangeOf(v).start) > rangeOf(p.key).start) seqIndent = d;
      }
      if (isMap(v) || isSeq(v)) visit(v, depth + 1);
    }
  };
  visit(doc.contents, 0);
  return { unit: unit ?? 2, seqIndent: seqIndent ?? unit ?? 2 };
}

/** A value as flow YAML text: `{ a: 1, b: [x, y] }`. */
export function flowText(v: NewValue): string {
  if (typeof v === 'string') return formatScalar(v, 'PLAIN', true);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${(v as readonly NewValue[]).map(flowText).join(', ')}]`;
  const entries = Object.entries(v as Record<string, NewValue>);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${formatScalar(k, 'PLAIN', true)}: ${flowText(x)}`).join(', ')} }`;
}

function scalarText(v: NewValue): string | undefined {
  if (typeof v === 'string') return formatScalar(v, 'PLAIN');
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (!Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

/** Block lines for `key: value` at `indent` (columns), with the document's indentation style. */
export function blockLines(key: string, value: NewValue, indent: number, style: { unit: number; seqIndent: number }): string[] {
  const pad = ' '.repeat(indent);
  const k = formatScalar(key, 'PLAIN');
  const s = scalarText(value);
  if (s !== undefined) return [`${pad}${k}: ${s}`];
  return [`${pad}${k}:`, ...blockBody(value, indent, style)];
}

/** The lines under a key for a non-scalar value (a sequence's `- ` items or a mapping's entries). */
export function blockBody(value: NewValue, keyIndent: number, style: { unit: number; seqIndent: number }): string[] {
  if (Array.isArray(value)) return seqItemLines(value as readonly NewValue[], keyIndent + style.seqIndent, style);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, NewValue>).flatMap(([k, v]) => blockLines(k, v, keyIndent + style.unit, style));
  }
  return [];
}

/** `- item` lines at dash column `dashCol`. Mapping items are written `- a: 1` with further keys aligned under `a`. */
export function seqItemLines(items: readonly NewValue[], dashCol: number, style: { unit: number; seqIndent: number }): string[] {
  const pad = ' '.repeat(dashCol);
  return items.flatMap((it) => {
    const s = scalarText(it);
    if (s !== undefined) return [`${pad}- ${s}`];
    if (Array.isArray(it)) return [`${pad}- ${flowText(it)}`];
    const lines = Object.entries(it as Record<string, NewValue>).flatMap(([k, v]) => blockLines(k, v, dashCol + 2, style));
    return lines.map((l, i) => (i === 0 ? `${pad}- ${l.slice(dashCol + 2)}` : l));
  });
}

/**
 * Edit adding `key: value` as the last entry of `map` (block or flow). `doc` gives the indentation style for nested
 * values. The caller makes sure the key is not already there (including through merges, if that matters).
 */
export function insertPair(file: YamlText, doc: Document.Parsed, map: YAMLMap, key: string, value: NewValue): Edit {
  const { text, eol } = file;
  if (map.flow || map.items.length === 0) return flowAppend(text, map, `${formatScalar(key, 'PLAIN', true)}: ${flowText(value)}`);
  const col = keyColumn(text, map);
  const at = blockInsertionPoint(text, map, col);
  return { start: at, end: at, text: linesText(text, at, blockLines(key, value, col, indentStyle(text, doc)), eol), adds: { to: rangeOf(map).start, keys: [key] } };
}

/** Like `insertPair`, with the value written as given (`*anchor`: YAML that fits on the key's line). */
export function insertPairText(file: YamlText, map: YAMLMap, key: string, valueText: string): Edit {
  const { text, eol } = file;
  if (map.flow || map.items.length === 0) return flowAppend(text, map, `${formatScalar(key, 'PLAIN', true)}: ${valueText}`);
  const col = keyColumn(text, map);
  const at = blockInsertionPoint(text, map, col);
  return { start: at, end: at, text: linesText(text, at, [`${' '.repeat(col)}${formatScalar(key, 'PLAIN')}: ${valueText}`], eol), adds: { to: rangeOf(map).start, keys: [key] } };
}

/** Edit appending items to a sequence (block `- x` or flow `[a, b]`). */
export function appendItems(file: YamlText, doc: Document.Parsed, seq: YAMLSeq, items: readonly NewValue[]): Edit {
  const { text, eol } = file;
  if (seq.flow || seq.items.length === 0) return flowAppend(text, seq, items.map(flowText).join(', '));
  const col = dashColumn(text, seq);
  const at = blockInsertionPoint(text, seq, col);
  return { start: at, end: at, text: linesText(text, at, seqItemLines(items, col, indentStyle(text, doc)), eol) };
}

/**
 * Edit giving an empty value (`key:` or `key: ~`/`null`) a block value: the lines go under the key.
 * `pair` must be a block-map pair whose value is null.
 */
export function fillEmpty(file: YamlText, doc: Document.Parsed, pair: Pair, value: NewValue): Edit {
  const { text, eol } = file;
  const key = pair.key as Node;
  const keyCol = columnOf(text, rangeOf(key).start);
  const style = indentStyle(text, doc);
  const nul = pair.value as Node | null;
  const inline = scalarText(value);
  if (nul && isScalar(nul) && rangeOf(nul).end > rangeOf(nul).start) {
    // `key: null` / `key: ~`: replace the null itself.
    const r = rangeOf(nul);
    if (inline !== undefined) return { start: r.start, end: r.end, text: inline };
    return { start: r.start, end: r.end, text: flowText(value) };
  }
  if (inline !== undefined) {
    const at = text.indexOf(':', rangeOf(key).end) + 1;
    return { start: at, end: at, text: ` ${inline}` };
  }
  const at = lineEnd(text, rangeOf(key).end);
  const end = at > 0 && text[at - 1] === '\r' ? at - 1 : at;
  return { start: end, end, text: blockBody(value, keyCol, style).map((l) => eol + l).join('') };
}

/** Insert `entry` text as the last entry of a flow collection (or the first, when it is empty). */
function flowAppend(text: string, coll: YAMLMap | YAMLSeq, entry: string): Edit {
  const r = rangeOf(coll);
  const last = coll.items[coll.items.length - 1];
  if (last === undefined) {
    const open = text.indexOf(isSeq(coll) ? '[' : '{', r.start);
    return { start: open + 1, end: open + 1, text: entry };
  }
  const end = isPair(last) ? contentEnd(text, last.value ?? last.key) : contentEnd(text, last);
  return { start: end, end, text: `, ${entry}` };
}
