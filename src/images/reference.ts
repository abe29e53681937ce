/**
 * Splitting an image reference AS WRITTEN into name / tag / digest, for editing. Nothing here normalises: the user's
 * spelling (`node`, `docker.io/library/node`, `localhost:5000/x`, `[::1]:5000/x`) is what gets written back; the
 * registry client normalises for lookup only.
 *
 * The tag is split on the last ':' after the last '/', so registry ports (`localhost:5000/x`) are never taken for tags.
 */

export interface RefParts {
  /** The name as written, registry and port included: `localhost:5000/team/app`. */
  name: string;
  tag?: string;
  /** 'sha256:…' */
  digest?: string;
}

const NAME = /^(?:\[[0-9A-Fa-f:.%]+\](?::\d+)?\/|[A-Za-z0-9][A-Za-z0-9.-]*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/** Split a literal reference; undefined when it is not a well-formed reference (variables, spaces, bad characters). */
export function splitRef(ref: string): RefParts | undefined {
  if (ref === '' || /[\s$"'`\\]/.test(ref)) return undefined;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/') && !rest.slice(colon).includes(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (!NAME.test(rest)) return undefined;
  const out: RefParts = { name: rest };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

export function joinRef(p: RefParts): string {
  return `${p.name}${p.tag !== undefined ? `:${p.tag}` : ''}${p.digest !== undefined ? `@${p.digest}` : ''}`;
}

/** `scratch` is no image (BuildKit: case-insensitive). */
export function isScratch(ref: string): boolean {
  return ref.toLowerCase() === 'scratch';
}

/** 'sha256:0123456789abcdef…' → 'sha256:0123456789ab…' for messages. */
export function shortDigest(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 && digest.length > i + 13 ? `${digest.slice(0, i + 13)}…` : digest;
}

/**
 * The smallest edit turning `before` into `after`: the common prefix and suffix are kept. Offsets are relative to
 * `before`. Pinning `node:20` → `node:20@sha256:…` is thus a pure insertion at the end.
 */
export function minimalDiff(before: string, after: string): { start: number; end: number; text: string } {
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  return { start: p, end: before.length - s, text: after.slice(p, after.length - s) };
}
