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

/**
 * Longest RUN script parsed as shell, in characters (1 MiB). Parsing is linear, but a shell tree holds about 400 bytes
 * of memory per byte of script (a 1 MB RUN line peaks near 500 MiB); a longer script makes its file's error instead.
 */
export const MAX_SHELL_SCRIPT_CHARS = 1024 * 1024;

/**
 * Largest file processed, in bytes (10 MiB). Real Dockerfiles and compose files are a few kilobytes (the corpus's
 * largest is under 100 KiB); a compose file with 5,000 services is about 0.5 MiB and takes seconds. A parsed YAML
 * document holds many times its size in memory, so a bigger file is reported instead of being read.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** The message for a file over MAX_FILE_BYTES. */
export function tooLargeMessage(bytes: number): string {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `file too large to process: ${mib(bytes)} is over harden's limit of ${mib(MAX_FILE_BYTES)} for one file; the file was left unchanged`;
}
