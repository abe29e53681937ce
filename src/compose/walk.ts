/** Visiting every scalar value of a compose document, with its key path and (for environment-like maps) its variable name. */
import { isMap, isPair, isScalar, isSeq, type Document, type Scalar } from 'yaml';
import { isMergeKey } from './services.js';
import { derived } from '../engine/derive.js';

export interface ScalarVisit {
  node: Scalar;
  /** Keys (strings) and sequence indexes from the document root. Merge-key values are skipped (they are aliases). */
  path: readonly (string | number)[];
  /**
   * For scalars in `environment:` / build `args:` (map form `KEY: value` or list form `- KEY=value`): the variable
   * name, and where the value part starts in the scalar's string (0 for the map form, after `=` for the list form).
   */
  env?: { name: string; valueStart: number };
}

const ENV_KEYS = new Set(['environment', 'args']);

/**
 * Every scalar value (not keys) of the document, depth first, in document order. Aliases are not followed. The
 * document is walked once per parse; later calls replay the same visits.
 */
export function walkScalars(doc: Document.Parsed, cb: (v: ScalarVisit) => void): void {
  const visits = scalarVisits(doc);
  for (let i = 0; i < visits.length; i++) cb(visits[i] as ScalarVisit);
}

const scalarVisits = derived((doc: Document.Parsed): readonly ScalarVisit[] => {
  const out: ScalarVisit[] = [];
  // Each visit keeps its own path (a copy of the parent's plus one key): slice + push, no spread (iterator) per node.
  const child = (path: readonly (string | number)[], k: string | number): (string | number)[] => {
    const p = path.slice();
    p.push(k);
    return p;
  };
  const walk = (n: unknown, path: readonly (string | number)[]): void => {
    if (isScalar(n)) {
      const parent = path[path.length - 2];
      if (typeof parent === 'string' && ENV_KEYS.has(parent)) {
        const last = path[path.length - 1];
        if (typeof last === 'string') {
          out.push({ node: n, path, env: { name: last, valueStart: 0 } });
          return;
        }
        if (typeof n.value === 'string') {
          const eq = n.value.indexOf('=');
          if (eq > 0) {
            out.push({ node: n, path, env: { name: n.value.slice(0, eq), valueStart: eq + 1 } });
            return;
          }
        }
      }
      out.push({ node: n, path });
      return;
    }
    // A path is made only for a value the walk visits (a scalar or a collection: not an alias, not an empty value).
    if (isMap(n)) {
      for (const p of n.items) {
        if (!isPair(p) || isMergeKey(p.key)) continue;
        const v = p.value;
        if (!isScalar(v) && !isMap(v) && !isSeq(v)) continue;
        const k = isScalar(p.key) ? String(p.key.value) : '?';
        walk(v, child(path, k));
      }
    } else if (isSeq(n)) {
      const items = n.items;
      for (let i = 0; i < items.length; i++) {
        const v = items[i];
        if (isScalar(v) || isMap(v) || isSeq(v)) walk(v, child(path, i));
      }
    }
  };
  walk(doc.contents, []);
  return out;
});
