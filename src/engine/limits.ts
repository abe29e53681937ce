/**
 * Limits on pathological input. Work on input is linear where it can be; where a parser or walker must hold one frame
 * per level of nesting, nesting is capped so that a hostile or generated file cannot exhaust the stack. A file over a
 * limit is that file's error (named, exit 2), never a crash of the run.
 */

/** The input goes beyond a documented limit: the file is reported with this message and left unchanged. */
export class InputLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputLimitError';
  }
}

/** Deepest syntax tree of one RUN script accepted (tree-sitter nodes: `$( )`, `( )`, `if`… each add one or more). */
export const MAX_SHELL_TREE_DEPTH = 200;
