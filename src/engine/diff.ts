/** Unified diffs in git's format, so `git apply` accepts them from the repository root. */
import { structuredPatch } from 'diff';

export interface DiffOptions {
  /** Lines of context (default 3). */
  context?: number;
}

/** A git-style unified diff of one file, or '' when nothing changed. `path` uses '/' separators. */
export function unifiedDiff(path: string, before: string, after: string, opts: DiffOptions = {}): string {
  if (before === after) return '';
  const p = structuredPatch(`a/${path}`, `b/${path}`, before, after, '', '', { context: opts.context ?? 3 });
  const out: string[] = [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`];
  for (const h of p.hunks) {
    const range = (start: number, lines: number) => (lines === 1 ? `${start}` : `${lines === 0 ? start : start},${lines}`);
    out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`);
    for (const l of h.lines) out.push(l);
  }
  return `${out.join('\n')}\n`;
}
