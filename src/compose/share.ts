/**
 * One block for many services: when a codemod gives the same `key: value` to several services of one compose
 * document, the value is written once, as a top-level `x-` extension with an anchor, and each service gets
 * `key: *anchor`. A PR on a ten-service stack then adds one block and one line per service, not the block ten times.
 *
 * - **Reuse first.** A node of the document that already holds the same content under an anchor (an `x-` extension,
 *   or the value of another service) is referenced, whatever the number of services, when its anchor name is defined
 *   once in the document and the node comes before the service (an alias must follow its anchor).
 * - **A new extension** is written only for at least `SHARE_MIN_SERVICES` services of the same document, when the
 *   document's root is a block mapping with `services:`, and when the file's `version:` allows top-level `x-` keys
 *   (absent: the Compose Specification; 2.1+ or 3.4+ in the legacy formats, as docker-compose v1 and
 *   `docker stack deploy` validate them). It goes right before `services:` (above the comment lines attached to
 *   it), with the document's indentation and line endings, named `x-<key>`/`&<anchor>` unless those are taken.
 * - Anchors never cross files or documents: each document is planned on its own, and an override or `extends` file
 *   gets its own extension or none.
 * - Otherwise (fewer services, a flow-style root, an older format, a service defined before the extension would be),
 *   `share` answers undefined and the codemod writes the block in the service, as before.
 *
 * Every service's fix carries the extension's insertion, the same edit at the same offset, marked `shared`: the engine
 * makes it once and applies every service's fix in the same pass (one pass each used to be needed: the first fix wrote
 * the extension, the others referenced it on the next pass). A service whose value is an alias of the shared block has
 * the key, so a second run changes nothing.
 *
 * **Grouped by safety.** A codemod's fixes for the services of one file need not have the same safety
 * (compose-no-new-privileges is safe for an image the knowledge base knows, unsafe for one it does not). Every fix that
 * may create the extension carries the whole definition, never an alias alone, so no run can apply an alias without the
 * block it names: a run of safe fixes only writes the block from one of them, and a service whose fix is not applied
 * keeps no reference. The threshold is counted within each safety: a new extension is written only for
 * `SHARE_MIN_SERVICES` services whose fixes have the same safety, so a safe run never adds a block for one or two services
 * because unsafe fixes it does not apply would have shared it. Both classes write the same definition at the same offset
 * (same extension and anchor name, one shared edit), so when both reach the threshold the block is written once: one
 * block, whichever run applies it. An extension the file already has is referenced by
 * fixes of any safety (it is there whether or not a fix is applied).
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import type { Edit, ParsedCompose, Safety } from '../engine/types.js';
import { withHint } from '../engine/edits.js';
import { blockBody, columnOf, indentStyle, insertPairText, linesText, type NewValue } from './insert.js';
import { rangeOf, scalarText } from './scalars.js';
import { isMergeKey, ownPair, resolveNode, type ComposeService } from './services.js';
import { anchorsOf } from './anchors.js';

/** From this many services of one document receiving the same block, a new `x-` extension is written. */
export const SHARE_MIN_SERVICES = 3;

export interface ShareSpec {
  /** The service key the block goes under (`logging`). */
  key: string;
  value: NewValue;
  /** Name of the top-level extension to create (`x-logging`). */
  extension: string;
  /** Name of its anchor (`default-logging`). */
  anchor: string;
}

export interface Shared {
  /** The edits giving the service the key: the alias, and the extension when this fix creates it. */
  edits: Edit[];
  anchor: string;
  /** The extension's key when the block is (or will be) a top-level `x-` extension; undefined for another node. */
  extension?: string;
  /** True when this fix carries the extension's definition (a shared edit: the engine writes it once for every fix carrying it). */
  creates: boolean;
}

interface DocPlan {
  anchor: string;
  /** True for an anchored node the document already has; false for a new extension (subject to the threshold). */
  existing: boolean;
  extension?: string;
  /** Aliases must be inserted after this offset. */
  after: number;
  define?: Edit;
}

/** A service map that will receive the block, with its document and the safety of the fix that gives it. */
export interface ShareTarget {
  doc: Document.Parsed;
  map: YAMLMap;
  /** The safety of this service's fix (default `safe`): a new extension is counted per safety (see the module comment). */
  safety?: Safety;
}

/**
 * Plans sharing `spec` among `targets` (the service maps that will receive it, with their documents and their fixes'
 * safety). The returned function gives a target's edits, or undefined when that target gets the block written out in
 * full.
 */
export function sharer(file: ParsedCompose, spec: ShareSpec, targets: readonly ShareTarget[]): (doc: Document.Parsed, map: YAMLMap) => Shared | undefined {
  const plans = new Map<Document.Parsed, DocPlan | undefined>();
  // Every target asks for its safety and its class's count: both are read from one pass over the targets (made on
  // the first ask), not from a scan of every target per target. The first target of a map gives its safety, as a
  // search in order finds it; a count is the number of distinct maps of a document whose fixes have that safety.
  let index: { safety: Map<Document.Parsed, Map<YAMLMap, Safety>>; maps: Map<Document.Parsed, Map<Safety, Set<YAMLMap>>> } | undefined;
  const indexed = () => {
    if (index) return index;
    index = { safety: new Map(), maps: new Map() };
    for (const t of targets) {
      let bySafety = index.safety.get(t.doc);
      if (!bySafety) index.safety.set(t.doc, (bySafety = new Map()));
      if (!bySafety.has(t.map)) bySafety.set(t.map, t.safety ?? 'safe');
      let classes = index.maps.get(t.doc);
      if (!classes) index.maps.set(t.doc, (classes = new Map()));
      const safety = t.safety ?? 'safe';
      let maps = classes.get(safety);
      if (!maps) classes.set(safety, (maps = new Set()));
      maps.add(t.map);
    }
    return index;
  };
  const safetyOf = (doc: Document.Parsed, map: YAMLMap): Safety => indexed().safety.get(doc)?.get(map) ?? 'safe';
  const count = (doc: Document.Parsed, safety: Safety): number => indexed().maps.get(doc)?.get(safety)?.size ?? 0;
  return (doc, map) => {
    if (!plans.has(doc)) {
      // Below the threshold only a node the document already anchors is shared: a file without `&` has none, so
      // there is nothing to plan (the new extension's text is not written out for nothing).
      if (!file.text.includes('&') && count(doc, safetyOf(doc, map)) < SHARE_MIN_SERVICES) return undefined;
      plans.set(doc, planDoc(file, doc, spec));
    }
    const plan = plans.get(doc);
    if (!plan || rangeOf(map).start < plan.after) return undefined;
    if (!plan.existing && count(doc, safetyOf(doc, map)) < SHARE_MIN_SERVICES) return undefined;
    const alias = insertPairText(file, map, spec.key, `*${plan.anchor}`);
    return {
      edits: plan.define ? [plan.define, alias] : [alias],
      anchor: plan.anchor,
      ...(plan.extension ? { extension: plan.extension } : {}),
      creates: plan.define !== undefined,
    };
  };
}

/** A sentence for a finding's message about how the block is written. */
export function sharedNote(s: Shared | undefined, key: string): string {
  if (!s) return '';
  if (s.creates) return ` Written once as \`${s.extension}: &${s.anchor}\` and referenced (\`${key}: *${s.anchor}\`) by every service that gets it.`;
  return s.extension ? ` References the shared \`${s.extension}: &${s.anchor}\`.` : ` References the anchor \`&${s.anchor}\`, which holds the same value.`;
}

function planDoc(file: ParsedCompose, doc: Document.Parsed, spec: ShareSpec): DocPlan | undefined {
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const anchors = anchorsOf(file, doc).counts;
  const existing = findSame(file, doc, spec.value);
  if (existing) {
    const ext = root.items.find((p) => isPair(p) && resolveNode(doc, p.value) === existing && isScalar(p.key) && String(p.key.value).startsWith('x-'));
    return {
      anchor: existing.anchor as string,
      existing: true,
      ...(ext && isPair(ext) && isScalar(ext.key) ? { extension: String(ext.key.value) } : {}),
      after: rangeOf(existing).end,
    };
  }
  if (root.flow || !extensionsAllowed(doc)) return undefined;
  const services = ownPair(root, 'services');
  if (!services || !isScalar(services.key)) return undefined;
  const { text, eol } = file;
  const keyStart = rangeOf(services.key).start;
  const col = columnOf(text, keyStart);
  if (col !== 0 && text.slice(text.lastIndexOf('\n', keyStart - 1) + 1, keyStart).trim() !== '') return undefined;
  const at = insertionPoint(text, keyStart - col, rangeOf(root).start);
  const extension = freeName(spec.extension, (n) => ownPair(root, n) !== undefined);
  const anchor = freeName(spec.anchor, (n) => anchors.has(n));
  const pad = ' '.repeat(col);
  const lines = [`${pad}${extension}: &${anchor}`, ...blockBody(spec.value, col, indentStyle(text, doc)), ''];
  const prev = text.slice(text.lastIndexOf('\n', at - 2) + 1, Math.max(at - 1, 0)).replace(/\r$/, '');
  if (at > 0 && prev.trim() !== '' && !prev.startsWith('---')) lines.unshift('');
  return { anchor, extension, existing: false, after: at, define: withHint<Edit, 'shared'>({ start: at, end: at, text: linesText(text, at, lines, eol) }, 'shared', true) };
}

/**
 * Where the extension goes: the start of the `services:` line, moved above the comment lines directly over it
 * (they describe `services`), unless those comments open the document (a file header stays first).
 */
function insertionPoint(text: string, servicesLine: number, docStart: number): number {
  let at = servicesLine;
  while (at > docStart) {
    const prevStart = text.lastIndexOf('\n', at - 2) + 1;
    const line = text.slice(prevStart, at - 1).replace(/\r$/, '');
    if (!/^\s*#/.test(line)) return at;
    at = prevStart;
  }
  return servicesLine;
}

function freeName(base: string, taken: (n: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

/** Whether the file's `version:` allows top-level `x-` keys (compose file format 2.1+ / 3.4+, or no version). */
export function extensionsAllowed(doc: Document.Parsed): boolean {
  const root = doc.contents;
  if (!isMap(root)) return false;
  const v = ownPair(root, 'version');
  if (!v) return true;
  const s = scalarText(resolveNode(doc, v.value));
  const m = s === undefined ? null : /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(s);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return (major === 2 && minor >= 1) || (major === 3 && minor >= 4);
}

/** An anchored node (its anchor defined once) holding exactly `value`: the first in document order. */
function findSame(file: ParsedCompose, doc: Document.Parsed, value: NewValue): Node | undefined {
  const { anchored, counts } = anchorsOf(file, doc);
  return anchored.find((n) => counts.get(n.anchor as string) === 1 && same(doc, n, value));
}

/** Whether a node holds exactly `v` (mapping key order aside; scalars compared as text). */
export function same(doc: Document.Parsed, node: unknown, v: NewValue): boolean {
  const n = resolveNode(doc, node);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    return isScalar(n) && n.value !== null && typeof n.value !== 'object' && String(n.value) === String(v);
  }
  if (Array.isArray(v)) {
    const items = v as readonly NewValue[];
    return isSeq(n) && n.items.length === items.length && items.every((x, i) => same(doc, n.items[i], x));
  }
  if (!isMap(n)) return false;
  const entries = Object.entries(v as Record<string, NewValue>);
  if (n.items.length !== entries.length) return false;
  return entries.every(([k, x]) => {
    const p = n.items.find((q) => isPair(q) && !isMergeKey(q.key) && isScalar(q.key) && String(q.key.value) === k);
    return p !== undefined && isPair(p) && same(doc, p.value, x);
  });
}

/**
 * The `claims` of the fixes giving `what` (`logging`) to the services that have none (`bare`): each claims its own
 * service's and those of the bare services it inherits from (`extends:`, or `<<:` of that service's anchor). A service
 * inheriting from one whose fix is applied waits for the next pass, where it has the key through what it inherits and
 * gets no fix, as when every service's fix waited for the shared block to be written; a second copy would be redundant.
 */
export function inheritanceClaims(what: string, bare: readonly ComposeService[]): (svc: ComposeService) => string[] {
  const claimOf = new Map<YAMLMap, string>();
  for (const svc of bare) if (!claimOf.has(svc.node)) claimOf.set(svc.node, `${what} of service ${svc.name}${svc.docIndex > 0 ? ` (document ${svc.docIndex + 1})` : ''}`);
  return (svc) => [...new Set(svc.sources.map((s) => claimOf.get(s.map)).filter((c): c is string => c !== undefined))];
}
