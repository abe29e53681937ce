/**
 * "Did you mean" for every misspelt name harden reports: configuration keys and codemod options, codemod ids in
 * --only/--skip, the configuration and `harden explain`, and harden-ignore comments. (Flags are commander's.)
 */

/** Levenshtein distance, ignoring case. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (x[i - 1] === y[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[y.length]!;
}

/**
 * The known name closest to `word`: within max(2, a third of its length) edits, else one it is a prefix of (or
 * that is a prefix of it: `pin-image` → `pin-image-digest`), at least 4 characters long. Ties go to the first known.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best !== undefined && bestD > 0 && bestD <= Math.max(2, Math.floor(word.length / 3))) return best;
  const w = word.toLowerCase();
  if (w.length < 4) return undefined;
  return known.find((k) => k.toLowerCase() !== w && (k.toLowerCase().startsWith(w) || (k.length >= 4 && w.startsWith(k.toLowerCase()))));
}

/** ` (did you mean 'x'?)`, or '' when nothing is close. */
export function didYouMean(word: string, known: readonly string[]): string {
  const near = closest(word, known);
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}
