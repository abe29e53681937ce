/** Manifest media types, parsing, and digest computation/verification. */
import { createHash } from 'node:crypto';
import { LookupFailure } from './errors.js';
import type { PlatformFields } from './platform.js';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** All four manifest types in one header: without them distribution answers 404 or down-converts to schema 1. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: PlatformFields;
  urls?: string[];
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; manifests: Descriptor[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** A manifest as fetched: its digest, raw bytes and parsed form. */
export interface Manifest {
  digest: string;
  bytes: Buffer;
  parsed: ParsedManifest;
}

const DIGEST_RE = /^(sha256|sha512):([0-9a-f]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export function isValidDigest(d: string): boolean {
  const m = DIGEST_RE.exec(d);
  return m !== null && m[2]?.length === HEX_LENGTH[m[1] ?? ''];
}

/** Digest of raw bytes with the algorithm of `like` (default sha256). */
export function digestOf(bytes: Buffer, like = 'sha256:'): string {
  const algo = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${algo}:${createHash(algo).update(bytes).digest('hex')}`;
}

/** Throw 'digest-mismatch' unless `bytes` hash to `expected`. `what` names the content in the message. */
export function verifyDigest(bytes: Buffer, expected: string, what: string): void {
  if (!isValidDigest(expected)) throw new LookupFailure('invalid', `${what}: malformed digest "${expected}"`);
  const actual = digestOf(bytes, expected);
  if (actual !== expected) {
    throw new LookupFailure('digest-mismatch', `${what}: content hashes to ${actual}, but the registry said ${expected}`);
  }
}

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (!d || typeof d.digest !== 'string' || !isValidDigest(d.digest) || typeof d.mediaType !== 'string') {
    throw new LookupFailure('invalid', `${what}: malformed descriptor in manifest`);
  }
  return d as Descriptor;
}

/** Parse manifest bytes; the media type comes from the document, else from the Content-Type header. */
export function parseManifest(bytes: Buffer, contentType: string | undefined, what: string): ParsedManifest {
  let doc: { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw new LookupFailure('invalid', `${what}: manifest is not valid JSON`);
  }
  if (!doc || typeof doc !== 'object') throw new LookupFailure('invalid', `${what}: manifest is not a JSON object`);
  if (doc.schemaVersion === 1) throw new LookupFailure('unsupported', `${what}: schema 1 manifests are not supported`);
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : (contentType ?? '');
  if (Array.isArray(doc.manifests)) {
    return { kind: 'index', mediaType: mediaType || MEDIA_TYPES.ociIndex, manifests: doc.manifests.map((m) => descriptor(m, what)) };
  }
  if (doc.config && Array.isArray(doc.layers)) {
    return {
      kind: 'image',
      mediaType: mediaType || MEDIA_TYPES.ociManifest,
      config: descriptor(doc.config, what),
      layers: doc.layers.map((l) => descriptor(l, what)),
    };
  }
  throw new LookupFailure('invalid', `${what}: document is neither an image manifest nor an index`);
}

/** Strip parameters from a Content-Type value. */
export function bareMediaType(v: string | undefined): string | undefined {
  return v?.split(';')[0]?.trim() || undefined;
}
