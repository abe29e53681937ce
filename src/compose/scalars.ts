/**
 * Scalars of compose files: reading their string value, mapping value offsets to source offsets,
 * formatting new values as YAML text, and replacing a scalar's text while keeping its quoting style.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Scalar } from 'yaml';
import type { Edit, ParsedCompose, Range } from '../engine/types.js';

export type ScalarStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

/** A node's source range [start, end) without trailing comments (0,0 when it has none). */
export function rangeOf(node: { range?: readonly [number, number, number] | null } | null | undefined): Range {
  return { start: node?.range?.[0] ?? 0, end: node?.range?.[1] ?? 0 };
}

/** The scalar's value as a string (numbers and booleans as written in the source), or undefined for null/blocks of other kinds. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    // Keep the user's spelling of numbers (e.g. `0755`, `1_000`): read the plain source.
    return typeof node.source === 'string' ? node.source : String(v);
  }
  return undefined;
}

/**
 * The editable source of a string scalar: its text (between the quotes for a quoted one) when that spells the value
 * exactly, without escapes or folding; undefined otherwise (block scalars, escapes, multi-line plain scalars).
 */
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

export function isBlockScalar(node: Scalar): boolean {
  return node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
}

function styleOf(node: Scalar): ScalarStyle | 'BLOCK' {
  if (isBlockScalar(node)) return 'BLOCK';
  if (node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE') return node.type;
  return 'PLAIN';
}

const cache = new Map<string, boolean>();

/** Letters, digits and `_ . / -`, starting with a letter: plain in block and flow context, never an indicator. */
const WORD = /^[A-Za-z][\w./-]*$/;
/**
 * Words of that shape left to the parse: booleans and null in some spelling, and `e1`, `E-5`… (the library's YAML 1.1
 * float pattern takes an exponent without digits before it).
 */
const WORD_TO_PARSE = /^(?:y|n|yes|no|true|false|on|off|null)$|^[eE][-+\d]/i;
/** Digits with one unit letter (`10m`, `512M`, `2G`): no YAML 1.1 or 1.2 number or timestamp has that shape. */
const SIZE = /^\d+[A-Za-z]$/;
/** Digits, or digits with one dot between digits: an integer or a float under both versions. */
const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * plainIsSafe without parsing, for the shapes that settle it (most keys, sizes, numbers): undefined for any other
 * value. test/compose/plain-scalars.test.ts checks it against plainIsSafeByParsing.
 */
export function plainIsSafeByShape(value: string): boolean | undefined {
  if (WORD.test(value)) return WORD_TO_PARSE.test(value) ? undefined : true;
  if (SIZE.test(value)) return true;
  if (NUMBER.test(value)) return false;
  return undefined;
}

/**
 * Whether `value` can be written as a plain scalar and still read back as exactly that string, in block or flow
 * context, under both YAML 1.2 (the `yaml` library, compose-go) and YAML 1.1 (PyYAML, docker-compose v1: `8080:80`
 * there is a base-60 number, `yes`/`on` are booleans).
 */
export function plainIsSafe(value: string, flow = false): boolean {
  const shaped = plainIsSafeByShape(value);
  if (shaped !== undefined) return shaped;
  const k = `${flow ? 'f' : 'b'}${value}`;
  const hit = cache.get(k);
  if (hit !== undefined) return hit;
  const ok = plainIsSafeByParsing(value, flow);
  if (cache.size > 5000) cache.clear();
  cache.set(k, ok);
  return ok;
}

/** plainIsSafe by writing the value as plain YAML and reading it back with both versions (no cache, no shortcut). */
export function plainIsSafeByParsing(value: string, flow = false): boolean {
  if (value === '' || value !== value.trim() || /[\r\n\t]/.test(value) || /^[-?:](\s|$)/.test(value)) return false;
  for (const version of ['1.2', '1.1'] as const) {
    const src = flow ? `[${value}]` : `k: ${value}\n`;
    const doc = parseDocument(src, { version, logLevel: 'silent' });
    if (doc.errors.length > 0 || doc.warnings.length > 0) return false;
    let js: unknown;
    try {
      js = doc.toJS();
    } catch {
      // An alias of an anchor the probe lacks (`*.example.com`) throws when read: such text is no plain string.
      return false;
    }
    const got = flow ? (Array.isArray(js) && js.length === 1 ? js[0] : undefined) : (js as Record<string, unknown> | null)?.k;
    if (got !== value) return false;
  }
  return true;
}

/** A YAML double-quoted scalar for `value` (escapes `\`, `"` and control characters). */
export function doubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f || c === 0x85 || c === 0x2028 || c === 0x2029 || c === 0xfeff) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** A YAML single-quoted scalar for `value`, or undefined when it holds characters single quotes cannot carry. */
export function singleQuoted(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(value)) return undefined;
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * `value` as YAML scalar text in the preferred style. Plain falls back to double quotes when the plain form would not
 * read back as the same string (see plainIsSafe); single quotes fall back to double quotes for control characters.
 */
export function formatScalar(value: string, style: ScalarStyle = 'PLAIN', flow = false): string {
  if (style === 'PLAIN') return plainIsSafe(value, flow) ? value : doubleQuoted(value);
  if (style === 'QUOTE_SINGLE') return singleQuoted(value) ?? doubleQuoted(value);
  return doubleQuoted(value);
}

/**
 * Replace a scalar's value, keeping its quoting style (plain stays plain when that still reads back as the string,
 * otherwise it becomes double-quoted). Anchors, tags and trailing comments are untouched: only the scalar's own
 * source range is replaced. Returns undefined for block scalars (`|`, `>`), which we do not rewrite.
 */
export function replaceScalar(file: ParsedCompose, node: Scalar, value: string, flow?: boolean): Edit | undefined {
  const style = styleOf(node);
  if (style === 'BLOCK') return undefined;
  const r = rangeOf(node);
  const isFlow = flow ?? scalarInFlow(file, node);
  return { start: r.start, end: r.end, text: formatScalar(value, style, isFlow) };
}

const flowScalars = new WeakMap<ParsedCompose, WeakSet<object>>();

/** Whether a scalar is inside a flow collection (`[…]` / `{…}`), where plain scalars are more restricted. */
export function scalarInFlow(file: ParsedCompose, node: Scalar): boolean {
  let set = flowScalars.get(file);
  if (!set) {
    const s = new WeakSet<object>();
    const walk = (n: unknown, flow: boolean): void => {
      if (isScalar(n)) {
        if (flow) s.add(n);
      } else if (isMap(n) || isSeq(n)) {
        const f = flow || n.flow === true;
        for (const it of n.items as unknown[]) {
          if (isPair(it)) {
            walk(it.key, f);
            walk(it.value, f);
          } else walk(it, f);
        }
      }
    };
    for (const d of file.docs) walk(d.contents, false);
    flowScalars.set(file, s);
    set = s;
  }
  return set.has(node);
}

/**
 * Map from offsets in the scalar's string value to offsets in the file, when that mapping is exact and simple:
 * single-line plain scalars, single-quoted scalars (`''` counts as one character) and double-quoted scalars without
 * escapes. Index `value.length` maps to the end of the value (before a closing quote). Undefined otherwise.
 */
export function valueOffsets(file: ParsedCompose, node: Scalar): ((i: number) => number) | undefined {
  const value = scalarText(node);
  if (value === undefined) return undefined;
  const r = rangeOf(node);
  const src = file.text.slice(r.start, r.end);
  if (src.includes('\n')) return undefined;
  const style = styleOf(node);
  if (style === 'PLAIN') return src === value ? (i) => r.start + i : undefined;
  if (style === 'QUOTE_DOUBLE') {
    if (src.includes('\\') || src.slice(1, -1) !== value) return undefined;
    return (i) => r.start + 1 + i;
  }
  if (style === 'QUOTE_SINGLE') {
    const map: number[] = [];
    let j = 1;
    while (j < src.length - 1) {
      map.push(r.start + j);
      j += src[j] === "'" ? 2 : 1;
    }
    map.push(r.start + src.length - 1);
    if (map.length !== value.length + 1) return undefined;
    return (i) => map[i] ?? r.start + src.length - 1;
  }
  return undefined;
}

/**
 * Edit replacing value[start, end) of a scalar by `insert`, as a splice of only those characters when the scalar maps
 * exactly (see valueOffsets) and the new text needs no extra quoting; otherwise the whole scalar is rewritten in
 * its own style (plain becoming double-quoted when needed). Undefined for block scalars.
 */
export function spliceScalar(
  file: ParsedCompose,
  node: Scalar,
  start: number,
  end: number,
  insert: string,
): Edit | undefined {
  const value = scalarText(node);
  if (value === undefined || isBlockScalar(node)) return undefined;
  const next = value.slice(0, start) + insert + value.slice(end);
  const map = valueOffsets(file, node);
  const style = styleOf(node);
  const flow = scalarInFlow(file, node);
  const verbatim =
    style === 'PLAIN'
      ? plainIsSafe(next, flow)
      : style === 'QUOTE_SINGLE'
        ? !insert.includes("'") && singleQuoted(insert) !== undefined
        : doubleQuoted(insert) === `"${insert}"`;
  if (map && verbatim) return { start: map(start), end: map(end), text: insert };
  return replaceScalar(file, node, next, flow);
}
