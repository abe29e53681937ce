/** Unified diffs in git's format, so `git apply` accepts them from the repository root. */
import { structuredPatch } from 'diff';
import type { Finding } from './types.js';

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

export const REDACTED_VALUE = '****';

/** The secret values the applied fixes remove: their `redact` list and the values of secret files they write. */
export function removedSecrets(applied: readonly Finding[]): string[] {
  const out = new Set<string>();
  for (const a of applied) {
    for (const r of a.fix?.redact ?? []) out.add(r.reveal());
    for (const s of a.fix?.sideEffects ?? []) if (s.kind === 'write-secret-file') out.add(s.value.reveal());
  }
  return [...out].filter((v) => v !== '').sort((x, y) => y.length - x.length);
}

/** `diff` with every occurrence of these values in its hunks replaced by `****` (file headers are kept). */
export function redactDiff(diff: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || diff === '') return diff;
  let inHunk = false;
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('diff --git ')) inHunk = false;
      else if (line.startsWith('@@ ')) inHunk = true;
      if (!inHunk || line.startsWith('@@ ')) return line;
      let out = line;
      for (const s of secrets) out = out.split(s).join(REDACTED_VALUE);
      return out;
    })
    .join('\n');
}

/**
 * The diff to print or post for one file: removed secret values redacted (`-  POSTGRES_PASSWORD: ****`). Patch
 * files for `git apply` use unifiedDiff() itself, which needs the real text.
 */
export function displayDiff(path: string, f: { before: string; after: string; applied: readonly Finding[] }): string {
  return redactDiff(unifiedDiff(path, f.before, f.after), removedSecrets(f.applied));
}
