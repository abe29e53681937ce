/**
 * Edit builders (like ESLint's RuleFixer) and the one place edits are applied.
 * Every fix is a set of text splices at exact offsets; nothing re-serialises a whole file.
 */
import type { Edit, Fix, Range, Safety } from './types.js';

export const replace = (range: Range, text: string): Edit => ({ start: range.start, end: range.end, text });
export const insertAt = (offset: number, text: string): Edit => ({ start: offset, end: offset, text });
export const remove = (range: Range): Edit => ({ start: range.start, end: range.end, text: '' });
export const fix = (title: string, safety: Safety, edits: readonly Edit[]): Fix => ({ title, safety, edits });

/**
 * `o` with a hint for `applyFixes` (an edit's `shared`, or its `adds` where its fix printed none; a fix's `claims` that
 * only order passes): the hint steers how the engine applies the fix and is no part of it as printed (JSON, SARIF), so
 * it is not enumerable. A copy made by spreading an edit has no hint, and is placed as any touching edit (it waits).
 */
export function withHint<T extends Edit | Fix, K extends keyof T>(o: T, key: K, value: T[K]): T {
  Object.defineProperty(o, key, { value, enumerable: false, configurable: true, writable: true });
  return o;
}

const SAFETY_RANK: Record<Safety, number> = { manual: 0, unsafe: 1, safe: 2 };

/** The less safe of two safety levels. */
export function minSafety(a: Safety, b: Safety): Safety {
  return SAFETY_RANK[a] <= SAFETY_RANK[b] ? a : b;
}

/** Whether a fix of `safety` applies when the user allows `allowed` ('safe' by default, 'unsafe' with --unsafe). */
export function applies(safety: Safety, allowed: 'safe' | 'unsafe'): boolean {
  return safety !== 'manual' && SAFETY_RANK[safety] >= SAFETY_RANK[allowed];
}

/** Two edits conflict when their ranges overlap or touch: the later one waits for the next pass (but see `order`). */
function conflicts(a: Edit, b: Edit): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * Whether insertion `a`, already accepted, and insertion `b` of a later fix at the same offset can share a pass, and how:
 * -1 when `a`'s text goes first, 1 when `b`'s does, 0 when they conflict (`b` waits for the next pass). Both must add
 * entries to collections ending there (`adds`); collections ending at one offset are nested, the one starting later
 * inside the other. The order is the one one pass each gives, whichever is applied first:
 * - the deeper collection's entries first (a mapping's new entries come after the end of a collection nested in it);
 * - in one mapping, entries right after an entry (`after`) before entries at its end;
 * - entries at the end of one mapping in fix order, with no key in common (the later fix found the mapping ending
 *   after the earlier one's entries).
 * Two insertions right after the same entry conflict, and so does a merged insertion (`from`) that would have to put
 * its entries before those an earlier fix adds to the same mapping.
 */
export function order(a: Edit, b: Edit): -1 | 0 | 1 {
  const x = a.adds;
  const y = b.adds;
  if (!x || !y || a.start !== a.end || b.start !== b.end || a.start !== b.start) return 0;
  const xInner = x.from ?? x.to;
  const yInner = y.from ?? y.to;
  const xAfter = x.after === true && x.from === undefined;
  const yAfter = y.after === true && y.from === undefined;
  const disjoint = !y.keys.some((k) => x.keys.includes(k));
  if (x.to > yInner || (x.to === yInner && !yAfter && disjoint)) return -1;
  if (y.to > xInner || (y.to === xInner && yAfter && !xAfter && disjoint)) return 1;
  return 0;
}

/** What is wrong with a fix's edits against `text` (out of range, reversed, overlapping, nothing to do), or undefined. */
export function malformedEdits(text: string, f: Fix): string | undefined {
  const sorted = [...f.edits].sort((x, y) => x.start - y.start || x.end - y.end);
  let last = -1;
  for (const e of sorted) {
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || typeof e.text !== 'string') return `edit ${JSON.stringify(e)} is not {start, end, text}`;
    if (e.start < 0 || e.end > text.length || e.start > e.end) return `edit ${e.start}..${e.end} is outside the text (0..${text.length}) or reversed`;
    if (e.start < last) return `edit ${e.start}..${e.end} overlaps another edit of the same fix`;
    last = e.end;
  }
  if (f.edits.length === 0 && (f.files?.length ?? 0) === 0 && (f.sideEffects?.length ?? 0) === 0) return 'no edits, companion files or side effects';
  return undefined;
}

/** Whether a fix's own edits are well formed (in range, non-overlapping). */
export function validFix(text: string, f: Fix): boolean {
  const sorted = [...f.edits].sort((x, y) => x.start - y.start || x.end - y.end);
  let last = -1;
  for (const e of sorted) {
    if (e.start < 0 || e.end > text.length || e.start > e.end) return false;
    if (e.start < last) return false;
    last = e.end;
  }
  return f.edits.length > 0 || (f.files?.length ?? 0) > 0 || (f.sideEffects?.length ?? 0) > 0;
}

/** A fix whose only changes are to other files or side effects: it changes nothing in the processed text. */
export function companionOnly(f: Fix): boolean {
  return f.edits.length === 0 && ((f.files?.length ?? 0) > 0 || (f.sideEffects?.length ?? 0) > 0);
}

/**
 * Apply as many fixes as possible in one pass, in the given order: a fix whose edits conflict with an
 * already accepted fix, or that shares one of its `claims`, waits for the next pass. Returns the new text, the indexes of
 * applied fixes, the edits applied (sorted) and, per applied fix, the edits it made (its shared edits an earlier fix made
 * left out).
 *
 * Two exceptions to "touching edits conflict", both giving the text one pass each would give:
 * - an edit marked `shared` identical to one an earlier fix made (same range, same text: the `x-logging` block every
 *   service's fix carries) is that edit, made once; the fix's other edits are checked as usual;
 * - insertions of entries at one offset that all say which collection they add to (`adds`) are applied together, in
 *   the order `order` gives: deeper collections first, then entries after an entry, then entries at a mapping's end
 *   in fix order (the earlier fix's text first, as when each waited for its own pass and the later one found the
 *   mapping ending after the earlier one's entry).
 */
export function applyFixes(text: string, fixes: readonly Fix[]): { output: string; applied: number[]; edits: Edit[]; made: Edit[][] } {
  // Accepted edits, sorted by (start, end). They never overlap (a fix's own edits may touch), so their ends are sorted
  // too: an edit conflicts with some accepted edit iff it conflicts with the last one starting at or before its end.
  // That keeps a file with thousands of fixes linear-logarithmic, not quadratic.
  const accepted: Edit[] = [];
  const applied: number[] = [];
  const made: Edit[][] = [];
  const firstAfter = (offset: number): number => {
    let lo = 0;
    let hi = accepted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((accepted[mid] as Edit).start <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // The accepted insertions at `offset`, as indexes [lo, hi) of `accepted` (replacements starting there come after).
  const insertionsAt = (offset: number): [number, number] => {
    let hi = firstAfter(offset);
    while (hi > 0 && (accepted[hi - 1] as Edit).start === offset && (accepted[hi - 1] as Edit).end > offset) hi--;
    let lo = hi;
    while (lo > 0 && (accepted[lo - 1] as Edit).start === offset && (accepted[lo - 1] as Edit).end === offset) lo--;
    return [lo, hi];
  };
  const clashes = (e: Edit): boolean => {
    const before = accepted[firstAfter(e.end) - 1];
    return before !== undefined && conflicts(before, e);
  };
  // A shared edit identical to one an earlier fix already made (same range, same text): that edit is the one both want.
  const madeBefore = (e: Edit): boolean => {
    for (let i = firstAfter(e.start) - 1; i >= 0 && (accepted[i] as Edit).start === e.start; i--) if (sameEdit(accepted[i] as Edit, e)) return true;
    return false;
  };
  /**
   * The insertions at `offset` once this fix's `news` (insertions with `adds`) join the accepted ones there, in the
   * order `order` gives; undefined when they cannot share the pass (a conflict, an edit around them touching the
   * offset), or `own` when only this fix inserts there and its edits have no such order (then they go as before).
   */
  const joined = (offset: number, news: readonly Edit[]): Edit[] | undefined | 'own' => {
    const [lo, hi] = insertionsAt(offset);
    const around = accepted[lo - 1];
    const next = accepted[hi];
    if ((around !== undefined && conflicts(around, news[0] as Edit)) || (next !== undefined && next.start === offset)) return undefined;
    const seq = accepted.slice(lo, hi);
    if (seq.some((a) => !isEntryInsertion(a))) return undefined;
    for (const e of news) {
      const at = slotIn(seq, e);
      if (at < 0) return lo === hi ? 'own' : undefined;
      seq.splice(at, 0, e);
    }
    return seq;
  };
  const claimed = new Set<string>();
  fixes.forEach((f, i) => {
    if (!validFix(text, f)) return;
    const fresh = f.edits.filter((e) => !madeBefore(e));
    // Insertions of entries, by offset: placed in order among the accepted ones there; the other edits must touch none.
    const entries = new Map<number, Edit[]>();
    const others: Edit[] = [];
    for (const e of fresh) {
      if (isEntryInsertion(e)) {
        const list = entries.get(e.start);
        if (list) list.push(e);
        else entries.set(e.start, [e]);
      } else others.push(e);
    }
    for (const [offset, list] of [...entries]) {
      // A plain edit of this fix touching its entry insertions: all of them go the way they always went.
      if (!others.some((e) => e.start === offset || e.end === offset)) continue;
      others.push(...list);
      entries.delete(offset);
    }
    const plans = new Map<number, Edit[]>();
    for (const [offset, news] of entries) {
      const seq = joined(offset, news);
      if (seq === undefined) return;
      if (seq === 'own') others.push(...news);
      else plans.set(offset, seq);
    }
    if (others.some(clashes) || f.claims?.some((c) => claimed.has(c))) return;
    for (const c of f.claims ?? []) claimed.add(c);
    for (const [offset, seq] of plans) {
      const [lo, hi] = insertionsAt(offset);
      accepted.splice(lo, hi - lo, ...seq);
    }
    const own = new Set<Edit>();
    for (const e of others.sort(byStartEnd)) {
      // After the edits of earlier fixes at the same place; before this fix's own equal edits: a fix's edits at the
      // same place come out last-applied first, as applying them one by one would.
      let at = firstAfter(e.start);
      while (at > 0 && own.has(accepted[at - 1] as Edit) && byStartEnd(accepted[at - 1] as Edit, e) >= 0) at--;
      accepted.splice(at, 0, e);
      own.add(e);
    }
    applied.push(i);
    made.push(fresh);
  });
  const parts: string[] = [];
  let from = 0;
  for (const e of accepted) {
    parts.push(text.slice(from, e.start), e.text);
    from = e.end;
  }
  parts.push(text.slice(from));
  return { output: parts.join(''), applied, edits: accepted, made };
}

/** An insertion that says which collection's entries it adds (`adds`). */
const isEntryInsertion = (e: Edit): boolean => e.adds !== undefined && e.start === e.end;

/** Where `e` goes among insertions at one offset (in text order), by `order`; -1 when no place suits every one. */
function slotIn(seq: readonly Edit[], e: Edit): number {
  let at = 0;
  for (let i = 0; i < seq.length; i++) {
    const o = order(seq[i] as Edit, e);
    if (o === 0) return -1;
    if (o === -1) {
      if (at !== i) return -1; // one that must come after `e` is before one that must come before it
      at = i + 1;
    }
  }
  return at;
}

const byStartEnd = (x: Edit, y: Edit): number => x.start - y.start || x.end - y.end;

const sameEdit = (x: Edit, y: Edit): boolean => x.shared === true && y.shared === true && x.start === y.start && x.end === y.end && x.text === y.text;

/**
 * Maps an offset in the text after `edits` (sorted, non-overlapping, as applied) back to the text before them.
 * An offset inside inserted or replaced text maps to the start of what it replaced (`bias: 'start'`) or its end.
 */
export function offsetBefore(edits: readonly Edit[], offset: number, bias: 'start' | 'end' = 'start'): number {
  const t = shifts(edits);
  // The last edit whose start in the new text is before `offset` (new starts are sorted).
  let lo = 0;
  let hi = edits.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t.newStart[mid] as number) < offset) lo = mid + 1;
    else hi = mid;
  }
  const k = lo - 1;
  if (k < 0) return offset;
  const e = edits[k] as Edit;
  if (offset < (t.newStart[k] as number) + e.text.length) return bias === 'start' ? e.start : e.end;
  return offset - (t.deltaAfter[k] as number);
}

/** Per edit: where it starts in the new text, and the length change up to and including it (computed once per list). */
function shifts(edits: readonly Edit[]): { newStart: number[]; deltaAfter: number[] } {
  const known = shiftCache.get(edits);
  if (known && known.newStart.length === edits.length) return known;
  const newStart: number[] = [];
  const deltaAfter: number[] = [];
  let delta = 0;
  for (const e of edits) {
    newStart.push(e.start + delta);
    delta += e.text.length - (e.end - e.start);
    deltaAfter.push(delta);
  }
  const t = { newStart, deltaAfter };
  shiftCache.set(edits, t);
  return t;
}

const shiftCache = new WeakMap<readonly Edit[], { newStart: number[]; deltaAfter: number[] }>();
