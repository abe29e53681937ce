/**
 * Inline suppression comments, the same in Dockerfiles and compose files:
 *   # harden-ignore ID[,ID…] [reason]      on the line(s) just before what it suppresses (a block of comment lines is fine)
 *   # harden-ignore-file ID[,ID…] [reason] anywhere in the file
 * `all` suppresses every codemod. In compose files and Kubernetes manifests a trailing comment on the same line also works.
 */
import { lineIndexAt } from './text.js';
import type { ParsedFile } from './types.js';

const DIRECTIVE = /^#\s*harden-ignore(-file)?(?:\s+([A-Za-z0-9_,-]+))?/;

export interface Suppressions {
  isSuppressed(codemodId: string, offset: number): boolean;
}

function ids(list: string | undefined): Set<string> {
  return new Set((list ?? 'all').split(',').map((s) => s.trim()).filter(Boolean));
}

export function buildSuppressions(file: ParsedFile, anchorOffset: (offset: number) => number = (o) => o): Suppressions {
  const { text, lineStarts } = file;
  const lineIds = new Map<number, Set<string>>(); // 0-based line -> ids of a full-line directive on it
  const trailingIds = new Map<number, Set<string>>(); // compose: trailing directive on that line
  const commentLines = new Set<number>();
  const fileIds = new Set<string>();
  for (let l = 0; l < lineStarts.length; l++) {
    const start = lineStarts[l] ?? 0;
    const end = l + 1 < lineStarts.length ? (lineStarts[l + 1] ?? text.length) : text.length;
    const line = text.slice(start, end).replace(/\r?\n$/, '');
    const trimmed = line.trimStart();
    if (trimmed.startsWith('#')) {
      commentLines.add(l);
      const m = DIRECTIVE.exec(trimmed);
      if (m) {
        if (m[1]) for (const id of ids(m[2])) fileIds.add(id);
        else lineIds.set(l, ids(m[2]));
      }
    } else if (file.kind === 'compose' || file.kind === 'kubernetes') {
      const hash = line.search(/\s#\s*harden-ignore(?!-file)/);
      if (hash >= 0) {
        const m = DIRECTIVE.exec(line.slice(hash).trimStart());
        if (m) trailingIds.set(l, ids(m[2]));
      }
    }
  }
  const has = (set: Set<string> | undefined, id: string) => !!set && (set.has(id) || set.has('all'));
  return {
    isSuppressed(codemodId, offset) {
      if (has(fileIds, codemodId)) return true;
      const line = lineIndexAt(lineStarts, anchorOffset(offset));
      if (has(trailingIds.get(line), codemodId)) return true;
      for (let l = line - 1; l >= 0 && commentLines.has(l); l--) if (has(lineIds.get(l), codemodId)) return true;
      return false;
    },
  };
}
