import type { Answer, Answers, LookupKey } from './types.js';

/** A stable id for a lookup key: same question, same id, whatever the property order. */
export function lookupId(key: LookupKey): string {
  return stableStringify(key);
}

/**
 * JSON with object keys sorted and undefined members left out. Written as loops (no filter/sort/map/join chains):
 * every answer read and every de-duplication computes one, tens of thousands per run.
 */
function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + stableStringify(v[i]);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    s += `${first ? '' : ','}${JSON.stringify(k)}:${stableStringify(x)}`;
    first = false;
  }
  return `${s}}`;
}

/** A mutable answer store: resolvers fill it, codemods read it through the `Answers` interface. */
export class AnswerStore implements Answers {
  private readonly map = new Map<string, Answer>();
  get<T = unknown>(key: LookupKey): Answer<T> | undefined {
    return this.map.get(lookupId(key)) as Answer<T> | undefined;
  }
  has(key: LookupKey): boolean {
    return this.map.has(lookupId(key));
  }
  set(key: LookupKey, answer: Answer): void {
    this.map.set(lookupId(key), answer);
  }
  get size(): number {
    return this.map.size;
  }
}

/** De-duplicate lookup keys by id, keeping the first occurrence. */
export function dedupeKeys(keys: Iterable<LookupKey>): LookupKey[] {
  const seen = new Map<string, LookupKey>();
  for (const k of keys) {
    const id = lookupId(k);
    if (!seen.has(id)) seen.set(id, k);
  }
  return [...seen.values()];
}

export function isOk<T>(a: Answer<T> | undefined): a is { ok: T; source?: string } {
  return a !== undefined && 'ok' in a;
}
