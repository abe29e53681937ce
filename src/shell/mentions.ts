/**
 * A text test run before parsing a script: can its tree hold a word whose value contains one of some strings?
 *
 * Parsing a RUN script (tree-sitter, then the tree builder) is most of what a Dockerfile costs, and a codemod looking
 * for `npm`, `apt-get` or `sudo` commands has nothing to find in the scripts that never spell them. A word's value is
 * its text as written minus quoting (quotes, `$` of `$"…"`, backslashes, line continuations), so a script whose text,
 * quoting removed, does not contain the string cannot hold such a word. The answer is "maybe" (parse it) whenever the text
 * alone cannot tell:
 * - the script uses `$'…'` (its escapes, `$'\x6e'pm`, spell characters the text does not show);
 * - the script is longer than the parser accepts, or has enough nesting openers (`(`, `{`, `[`, `` ` ``, `!`, `if`,
 *   `while`…) that its tree could be deeper than the parser accepts: parsing it reports that limit as the file's
 *   error, and skipping the parse must not hide it. A tree-sitter-bash nesting level costs at most 4 tree levels per
 *   opener (`"$(`, heredocs inside `$(`: measured), so fewer than MAX_SHELL_TREE_DEPTH / 8 openers stay well inside
 *   the depth limit whatever their shape.
 * So skipping the parse when `mayMention` is false changes no result: the codemod would have found nothing, and the
 * parse would have thrown nothing.
 */
import { MAX_SHELL_SCRIPT_CHARS, MAX_SHELL_TREE_DEPTH } from '../engine/limits.js';

const OPENERS = /[({[`!]|\b(?:if|elif|while|until|for|select|case|function)\b/g;
const MAX_OPENERS = Math.floor(MAX_SHELL_TREE_DEPTH / 8);

/**
 * Per script text: its text with quoting removed (backslash-newline continuations, the `$` of `$"…"`, quotes,
 * backslashes), or null when the text alone cannot tell (`$'…'`, or a parse that may hit a limit).
 */
const literals = new Map<string, string | null>();
function literal(script: string): string | null {
  let l = literals.get(script);
  if (l === undefined) {
    l = script.includes("$'") || mayHitLimit(script) ? null : script.replace(/\\\r?\n/g, '').replace(/\$(?=")/g, '').replace(/["'\\]/g, '');
    // The most recent scripts only: codemods ask about the same RUN one after another.
    if (literals.size >= 64) literals.delete(literals.keys().next().value as string);
    literals.set(script, l);
  }
  return l;
}

/** Whether parsing the text may throw a limit error (then it must be parsed, so the limit is reported). */
export function mayHitLimit(script: string): boolean {
  if (script.length > MAX_SHELL_SCRIPT_CHARS) return true;
  OPENERS.lastIndex = 0;
  let n = 0;
  while (OPENERS.exec(script) !== null) if (++n >= MAX_OPENERS) return true;
  return false;
}

/**
 * false: parsing `script` cannot give a word (command name or argument, heredoc body included) whose value contains
 * any of `needles`, and cannot throw a limit error; true: it may (parse it to know). Needles are case-sensitive.
 */
export function mayMention(script: string, needles: readonly string[]): boolean {
  const l = literal(script);
  return l === null || needles.some((n) => l.includes(n));
}
