/** Failures of registry lookups, carried as exceptions inside the resolvers and turned into Answer errors at the edge. */
import type { LookupError } from '../engine/types.js';

/**
 * Error codes:
 * 'unauthorized' (401), 'forbidden' (403), 'not-found' (unknown repository, tag or platform), 'rate-limited' (429 after
 * retries), 'timeout', 'network', 'tls', 'invalid' (bad reference, malformed manifest), 'digest-mismatch',
 * 'offline-miss', 'unsupported' (e.g. zstd layers), 'registry-error' (other HTTP statuses), 'credentials' (helper failed).
 */
export type LookupErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'rate-limited'
  | 'timeout'
  | 'network'
  | 'tls'
  | 'invalid'
  | 'digest-mismatch'
  | 'offline-miss'
  | 'unsupported'
  | 'registry-error'
  | 'credentials'
  | 'internal';

/** A lookup failure. Messages name the image and the cause and never contain credentials or tokens. */
export class LookupFailure extends Error {
  constructor(
    readonly code: LookupErrorCode,
    message: string,
    /** The HTTP status that caused it, when a server answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LookupFailure';
  }

  /** The same failure with a prefix naming the image (applied once). */
  withSubject(subject: string): LookupFailure {
    if (this.message.startsWith(`${subject}:`)) return this;
    return new LookupFailure(this.code, `${subject}: ${this.message}`, this.status);
  }

  /** The server could not be reached, did not answer in time, or answered 5xx: what a dead mirror looks like. */
  get unreachable(): boolean {
    return this.code === 'network' || this.code === 'timeout' || (this.status !== undefined && this.status >= 500);
  }

  toLookupError(): LookupError {
    return { code: this.code, message: this.message };
  }
}

/** Normalise anything thrown into a LookupFailure (unknown errors become 'internal'). */
export function asLookupFailure(e: unknown): LookupFailure {
  if (e instanceof LookupFailure) return e;
  return new LookupFailure('internal', e instanceof Error ? e.message : String(e));
}
