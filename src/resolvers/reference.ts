/**
 * Image references for LOOKUP: the normalising side of the one reference parser (src/images/reference.ts), with its
 * failures as LookupFailures (code 'invalid'). The user's spelling is never rewritten.
 */
import { normaliseRef, type ImageReference } from '../images/reference.js';
import { LookupFailure } from './errors.js';

export { DOCKER_HUB, DOCKER_HUB_API_HOST, formatRefForLookup, manifestReference, type ImageReference } from '../images/reference.js';

/** Parse and normalise an image reference. Throws a LookupFailure with code 'invalid' on malformed input. */
export function parseReference(s: string): ImageReference {
  const r = normaliseRef(s);
  if ('error' in r) throw new LookupFailure('invalid', `invalid image reference "${s}": ${r.error}`);
  return r.ok;
}

/** Like parseReference, but returns the failure instead of throwing. */
export function tryParseReference(s: string): { ok: ImageReference } | { error: LookupFailure } {
  const r = normaliseRef(s);
  return 'error' in r ? { error: new LookupFailure('invalid', `invalid image reference "${s}": ${r.error}`) } : r;
}
