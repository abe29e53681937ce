/**
 * Inline suppression comments, the same in Dockerfiles and compose files:
 *   # harden-ignore ID[,ID…] [reason]      on the line(s) just before what it suppresses (a block of comment lines is fine)
 *   # harden-ignore-file ID[,ID…] [reason] anywhere in the file
 * `all` suppresses every codemod. In compose files and Kubernetes manifests a trailing comment on the same line also works.
 *
 * hadolint's own comments are honoured for the codemods that cite those rules in their `sources`
 * (`hadolint:DL3020` → dockerfile-add-to-copy): `# hadolint ignore=DL3020,DL3008` before an instruction, and
 * `# hadolint global ignore=DL3020` for the file. Unknown harden ids are reported (a typo suppresses nothing), and
 * so are harden directives that suppressed nothing (`--report-unused-ignores`).
 */
import { didYouMean } from './did-you-mean.js';
import { lineIndexAt } from './text.js';
import type { ParsedFile } from './types.js';

const DIRECTIVE = /^#\s*harden-ignore(-file)?(?:\s+([A-Za-z0-9_,-]+))?/;
const HADOLINT = /^#\s*hadolint\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9_,\s]+)/i;

export interface Directive {
  /** 0-based line and column of the `#`. */
  line: number;
  column: number;
  source: 'harden' | 'hadolint';
  /** The ids written (harden ids, or hadolint rule ids). */
  written: string[];
  /** The codemod ids it suppresses (`all` included as is). */
  ids: Set<string>;
  /** Codemod ids it did suppress something for. */
  used: Set<string>;
}

export interface Suppressions {
  isSuppressed(codemodId: string, offset: number): boolean;
  readonly directives: readonly Directive[];
}

/** Which codemods cite each hadolint rule (`sources: ['hadolint:DL3020']`). */
export function hadolintMap(codemods: readonly { id: string; sources?: readonly string[] }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of codemods) {
    for (const s of c.sources ?? []) {
      const m = /^hadolint:(\w+)$/.exec(s);
      if (m?.[1]) out.set(m[1].toUpperCase(), [...(out.get(m[1].toUpperCase()) ?? []), c.id]);
    }
  }
  return out;
}

function split(list: string | undefined): string[] {
  return (list ?? 'all').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The suppressions of a file without any directive. */
const NONE: Suppressions = { directives: [], isSuppressed: () => false };

/** At a `#`: what every directive has after it (`harden-ignore`, or `hadolint` in any case, after any spaces). */
const DIRECTIVE_AFTER_HASH = /\s*(?:harden-ignore|hadolint)/iy;

/**
 * Whether a text may hold a directive: every directive is a `#` followed by `harden-ignore` or `hadolint`. Only the
 * `#`s are looked at (found by indexOf), not every character as a case-insensitive search of the whole text would.
 */
export function mayHaveDirective(text: string): boolean {
  for (let i = text.indexOf('#'); i >= 0; i = text.indexOf('#', i + 1)) {
    DIRECTIVE_AFTER_HASH.lastIndex = i + 1;
    if (DIRECTIVE_AFTER_HASH.test(text)) return true;
  }
  return false;
}

/**
 * The suppressions of a file. `hadolint` (or a function giving it, asked only when the file has a hadolint comment):
 * which codemods each hadolint rule id stands for (`hadolintMap`).
 */
export function buildSuppressions(
  file: ParsedFile,
  anchorOffset: (offset: number) => number = (o) => o,
  hadolintGiven: ReadonlyMap<string, readonly string[]> | (() => ReadonlyMap<string, readonly string[]>) = new Map(),
): Suppressions {
  const { text, lineStarts } = file;
  // Most files have no directive: reading them line by line for one would cost more than everything else done here.
  if (!mayHaveDirective(text)) return NONE;
  let hadolintMap: ReadonlyMap<string, readonly string[]> | undefined;
  const hadolintIds = (w: string): readonly string[] => {
    hadolintMap ??= typeof hadolintGiven === 'function' ? hadolintGiven() : hadolintGiven;
    return hadolintMap.get(w.toUpperCase()) ?? [];
  };
  const directives: Directive[] = [];
  const lineDirs = new Map<number, Directive>(); // 0-based line -> a full-line directive on it
  const trailingDirs = new Map<number, Directive>(); // compose: trailing directive on that line
  const fileDirs: Directive[] = [];
  const commentLines = new Set<number>();
  const add = (d: Directive, kind: 'line' | 'trailing' | 'file') => {
    directives.push(d);
    if (kind === 'file') fileDirs.push(d);
    else (kind === 'line' ? lineDirs : trailingDirs).set(d.line, d);
  };
  const fromHadolint = (written: string[]) => new Set(written.flatMap((w) => hadolintIds(w)));
  for (let l = 0; l < lineStarts.length; l++) {
    const start = lineStarts[l] ?? 0;
    const end = l + 1 < lineStarts.length ? (lineStarts[l + 1] ?? text.length) : text.length;
    const line = text.slice(start, end).replace(/\r?\n$/, '');
    const trimmed = line.trimStart();
    const column = line.length - trimmed.length;
    if (trimmed.startsWith('#')) {
      commentLines.add(l);
      const m = DIRECTIVE.exec(trimmed);
      if (m) {
        const written = split(m[2]);
        add({ line: l, column, source: 'harden', written, ids: new Set(written), used: new Set() }, m[1] ? 'file' : 'line');
        continue;
      }
      const h = HADOLINT.exec(trimmed);
      if (h) {
        const written = split(h[2]?.replace(/\s+/g, ''));
        add({ line: l, column, source: 'hadolint', written, ids: fromHadolint(written), used: new Set() }, h[1] ? 'file' : 'line');
      }
    } else if (file.kind === 'compose' || file.kind === 'kubernetes') {
      const hash = line.search(/\s#\s*harden-ignore(?!-file)/);
      if (hash >= 0) {
        const at = hash + 1;
        const m = DIRECTIVE.exec(line.slice(at));
        if (m) {
          const written = split(m[2]);
          add({ line: l, column: at, source: 'harden', written, ids: new Set(written), used: new Set() }, 'trailing');
        }
      }
    }
  }
  const hit = (d: Directive | undefined, id: string): boolean => {
    if (!d || !(d.ids.has(id) || d.ids.has('all'))) return false;
    d.used.add(id);
    return true;
  };
  return {
    directives,
    isSuppressed(codemodId, offset) {
      let found = false;
      for (const d of fileDirs) found = hit(d, codemodId) || found;
      if (found) return true;
      const line = lineIndexAt(lineStarts, anchorOffset(offset));
      if (hit(trailingDirs.get(line), codemodId)) return true;
      for (let l = line - 1; l >= 0 && commentLines.has(l); l--) if (hit(lineDirs.get(l), codemodId)) return true;
      return false;
    },
  };
}

/** A problem with an ignore comment: an id that names no codemod, or (when asked) a directive that suppressed nothing. */
export interface IgnoreNote {
  line: number;
  column: number;
  kind: 'unknown-id' | 'unused';
  message: string;
}

/**
 * Notes on the harden directives of a file after its final pass. `known`: every codemod id; `ran`: the codemods that
 * ran on this file (an id of one that did not run cannot be judged unused).
 */
export function ignoreNotes(directives: readonly Directive[], known: readonly string[], ran: ReadonlySet<string>): IgnoreNote[] {
  const out: IgnoreNote[] = [];
  for (const d of directives) {
    if (d.source !== 'harden') continue;
    const at = { line: d.line + 1, column: d.column + 1 };
    for (const id of d.written) {
      if (id === 'all' || known.includes(id)) continue;
      out.push({ ...at, kind: 'unknown-id', message: `harden-ignore names no codemod '${id}'${didYouMean(id, known)}; it suppresses nothing` });
    }
    const judged = d.written.filter((id) => (id === 'all' ? ran.size > 0 : ran.has(id)));
    const unused = judged.filter((id) => (id === 'all' ? d.used.size === 0 : !d.used.has(id)));
    if (unused.length) out.push({ ...at, kind: 'unused', message: `unused harden-ignore for ${unused.join(', ')}: nothing was suppressed` });
  }
  return out;
}
