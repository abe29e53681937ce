import type { Answer, Answers, LookupKey } from './types.js';

/** A stable id for a lookup key: same question, same id, whatever the property order. */
export function lookupId(key: LookupKey): string {
  return stableStringify(key);
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
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
