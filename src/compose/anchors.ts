/**
 * The anchors and aliases of a compose document, read in one walk per parse and shared: what each alias points to
 * (as yaml's `Alias.resolve` finds it: the last node anchored with its name before it, in document order), and the
 * anchored nodes in document order with how many nodes define each name.
 *
 * yaml's `Alias.resolve(doc)` walks the whole document on every call; resolving every alias of a file that way costs
 * one walk per alias and per codemod. Parsed documents are never mutated, so one walk answers them all.
 */
import { isAlias, isCollection, isNode, isPair, type Alias, type Document, type Node } from 'yaml';
import { derived } from '../engine/derive.js';

export interface AnchorView {
  /** Each alias of the document, with the node it resolves to (undefined when no anchor of that name precedes it). */
  targets: ReadonlyMap<Alias, Node | undefined>;
  /** Nodes carrying an anchor (`&name`), in document order. */
  anchored: readonly Node[];
  /** How many nodes of the document define each anchor name. */
  counts: ReadonlyMap<string, number>;
}

export const anchorView: (doc: Document.Parsed) => AnchorView = derived((doc: Document.Parsed): AnchorView => {
  const targets = new Map<Alias, Node | undefined>();
  const anchored: Node[] = [];
  const counts = new Map<string, number>();
  const last = new Map<string, Node>();
  // yaml's visiting order (a pair's key, then its value), without its visitor machinery.
  const walk = (n: unknown): void => {
    if (isAlias(n)) {
      targets.set(n, last.get(n.source));
      return;
    }
    if (!isNode(n)) return;
    if (n.anchor) {
      anchored.push(n);
      last.set(n.anchor, n);
      counts.set(n.anchor, (counts.get(n.anchor) ?? 0) + 1);
    }
    if (isCollection(n)) {
      for (const it of n.items) {
        if (isPair(it)) {
          walk(it.key);
          walk(it.value);
        } else walk(it);
      }
    }
  };
  walk(doc.contents);
  return { targets, anchored, counts };
});

const NO_ANCHORS: AnchorView = { targets: new Map(), anchored: [], counts: new Map() };

/**
 * The anchored nodes and counts of a document of `file` (`anchorView`), without walking it when the file's text has
 * no `&`: an anchor is written `&name`, so no node of such a file carries one. (Not for alias targets: use aliasTarget.)
 */
export function anchorsOf(file: { readonly text: string }, doc: Document.Parsed): Pick<AnchorView, 'anchored' | 'counts'> {
  return file.text.includes('&') ? anchorView(doc) : NO_ANCHORS;
}

/** The node `alias` resolves to in `doc` (yaml's own resolution for an alias that is not part of `doc`). */
export function aliasTarget(doc: Document.Parsed, alias: Alias): Node | undefined {
  const { targets } = anchorView(doc);
  return targets.has(alias) ? targets.get(alias) : (alias.resolve(doc) as Node | undefined);
}
