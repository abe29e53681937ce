/**
 * Edit builders (like ESLint's RuleFixer) and the one place edits are applied.
 * Every fix is a set of text splices at exact offsets; nothing re-serialises a whole file.
 */
import type { Edit, Fix, Range, Safety } from './types.js';

export const replace = (range: Range, text: string): Edit => ({ start: range.start, end: range.end, text });
export const insertAt = (offset: number, text: string): Edit => ({ start: offset, end: offset, text });
export const remove = (range: Range): Edit => ({ start: range.start, end: range.end, text: '' });
export const fix = (title: string, safety: Safety, edits: readonly Edit[]): Fix => ({ title, safety, edits });

const SAFETY_RANK: Record<Safety, number> = { manual: 0, unsafe: 1, safe: 2 };

/** The less safe of two safety levels. */
export function minSafety(a: Safety, b: Safety): Safety {
  return SAFETY_RANK[a] <= SAFETY_RANK[b] ? a : b;
}

/** Whether a fix of `safety` applies when the user allows `allowed` ('safe' by default, 'unsafe' with --unsafe). */
export function applies(safety: Safety, allowed: 'safe' | 'unsafe'): boolean {
  return safety !== 'manual' && SAFETY_RANK[safety] >= SAFETY_RANK[allowed];
}

/**
 * Two edits conflict when their ranges overlap or touch: the later one waits for the next pass. Except two
 * insertions of entries at the end of the same mapping (`adds`, same `to`, no key in common): they go in one pass,
 * in fix order (see `applyFixes`).
 */
function conflicts(a: Edit, b: Edit): boolean {
  if (sameMappingEnd(a, b)) return false;
  return a.start <= b.end && b.start <= a.end;
}

function sameMappingEnd(a: Edit, b: Edit): boolean {
  if (!a.adds || !b.adds || a.adds.to !== b.adds.to) return false;
  if (a.start !== a.end || b.start !== b.end || a.start !== b.start) return false;
  const keys = new Set(a.adds.keys);
  return !b.adds.keys.some((k) => keys.has(k));
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
 * already accepted fix, or that shares one of its `claims`, waits for the next pass. Returns the new text and the indexes of applied fixes.
 *
 * Insertions of entries at the end of one mapping (several codemods adding their keys to one compose service,
 * marked by `adds`) are applied together, in the order of the fixes: the text of the earlier fix comes first, as it
 * did when each waited for its own pass and the later one found the mapping ending after the earlier one's entry.
 */
export function applyFixes(text: string, fixes: readonly Fix[]): { output: string; applied: number[]; edits: Edit[] } {
  // Accepted edits, sorted by (start, end). They never overlap (a fix's own edits may touch), so their ends are sorted
  // too: an edit conflicts with some accepted edit iff it conflicts with the last one starting at or before its end.
  // That keeps a file with thousands of fixes linear-logarithmic, not quadratic.
  const accepted: Edit[] = [];
  const applied: number[] = [];
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
  const clashes = (e: Edit): boolean => {
    let i = firstAfter(e.end) - 1;
    const before = accepted[i];
    if (before === undefined) return false;
    if (!sameMappingEnd(before, e)) return conflicts(before, e);
    // Entries already accepted at the end of the same mapping: each must leave room for this one.
    for (; i >= 0 && (accepted[i] as Edit).start === e.start; i--) if (conflicts(accepted[i] as Edit, e)) return true;
    return false;
  };
  const claimed = new Set<string>();
  fixes.forEach((f, i) => {
    if (!validFix(text, f)) return;
    if (f.edits.some(clashes) || f.claims?.some((c) => claimed.has(c))) return;
    for (const c of f.claims ?? []) claimed.add(c);
    const own = new Set<Edit>();
    for (const e of [...f.edits].sort(byStartEnd)) {
      // After the edits of earlier fixes at the same place; before this fix's own equal edits: a fix's edits at the
      // same place come out last-applied first, as applying them one by one would.
      let at = firstAfter(e.start);
      while (at > 0 && own.has(accepted[at - 1] as Edit) && byStartEnd(accepted[at - 1] as Edit, e) >= 0) at--;
      accepted.splice(at, 0, e);
      own.add(e);
    }
    applied.push(i);
  });
  const parts: string[] = [];
  let from = 0;
  for (const e of accepted) {
    parts.push(text.slice(from, e.start), e.text);
    from = e.end;
  }
  parts.push(text.slice(from));
  return { output: parts.join(''), applied, edits: accepted };
}

const byStartEnd = (x: Edit, y: Edit): number => x.start - y.start || x.end - y.end;

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
