/** Errors of `harden pr` and `harden review`: each with a code and a message fit to print as is (secrets scrubbed). */

export type ForgeErrorCode =
  | 'not-a-repo'
  | 'dirty-tree'
  | 'detached-head'
  | 'missing-remote'
  | 'push-rejected'
  | 'foreign-branch'
  | 'auth'
  | 'rate-limited'
  | 'not-found'
  | 'conflict'
  | 'usage'
  | 'git'
  | 'api';

export class ForgeError extends Error {
  constructor(
    readonly code: ForgeErrorCode,
    message: string,
    /** HTTP status, for API errors. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ForgeError';
  }
}
