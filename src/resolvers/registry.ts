/**
 * An OCI distribution client for lookups: digests (HEAD first), platform selection in indexes/lists, tag lists,
 * image configs and files inside layers.
 *
 * - Manifests: HEAD with all four manifest types in Accept; when `Docker-Content-Digest` is missing, GET with
 *   `Accept-Encoding: identity` and hash the raw bytes. Whenever the bytes are at hand they are verified against the
 *   digest asked for and the digest the registry announced ('digest-mismatch' otherwise).
 * - Immutable content (manifests and configs by digest) is memoised in memory and kept in the disk cache's blob store,
 *   so later runs need only a HEAD per tag.
 * - Auth: requests go out with the Authorization already known for the endpoint; a 401 teaches the challenge and the
 *   request is retried once with fresh authorization (see auth.ts for where credentials may go).
 * - Blobs follow redirects; Authorization is dropped when a redirect leaves the registry's origin (transport.ts).
 * - Layers are streamed through gunzip and a tar reader and abandoned as soon as the file is found; a layer read to its
 *   end is verified against its digest.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import type { ImageConfigAnswer, ImageHealthcheck } from '../engine/types.js';
import { Authenticator, type AuthTarget } from './auth.js';
import type { LookupCache } from './cache.js';
import { CredentialStore } from './credentials.js';
import { endpointFor, v2Url, type Endpoint, type EndpointSettings } from './endpoint.js';
import { LookupFailure } from './errors.js';
import { FileSearch, type FileFound } from './layers.js';
import {
  bareMediaType,
  digestOf,
  isValidDigest,
  MANIFEST_ACCEPT,
  parseManifest,
  verifyDigest,
  type Descriptor,
  type Manifest,
} from './manifest.js';
import { formatPlatform, platformOf, platformSatisfies, selectPlatform, type Platform } from './platform.js';
import { formatRefForLookup, manifestReference, type ImageReference } from './reference.js';
import { readTar } from './tar.js';
import { header, statusFrom, Transport, type Counters, type HttpRequest, type HttpResponse, type TransportOptions } from './transport.js';

export interface RegistryClientOptions extends TransportOptions, EndpointSettings {
  credentials?: CredentialStore;
  /** Disk cache for immutable blobs (manifests, configs); optional. */
  cache?: LookupCache;
  /** Page size asked for in tag lists (`n`). Default 1000. */
  tagsPageSize?: number;
}

export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
const MAX_TAG_PAGES = 200;
const MAX_SEARCH_RESTARTS = 2;

export interface DigestResult {
  digest: string;
  mediaType: string;
  endpoint: Endpoint;
}

/** What a ref resolves to on one endpoint, with everything needed to talk about it. */
interface Target {
  ref: ImageReference;
  ep: Endpoint;
  auth: AuthTarget;
  subject: string;
}

/** A platform-specific image: its manifest and (when already fetched) its config. */
interface PlatformImage {
  manifest: Manifest;
  config?: ImageConfigDocument;
}

interface ImageConfigDocument {
  os?: string;
  architecture?: string;
  variant?: string;
  'os.version'?: string;
  config?: {
    User?: string;
    WorkingDir?: string;
    Volumes?: Record<string, unknown> | null;
    ExposedPorts?: Record<string, unknown> | null;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Healthcheck?: { Test?: string[] | null; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number } | null;
  };
}

export class RegistryClient {
  readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly settings: EndpointSettings;
  private readonly cache: LookupCache | undefined;
  private readonly tagsPageSize: number;
  private readonly blobs = new Map<string, Promise<Buffer>>();
  private readonly heads = new Map<string, Promise<{ digest: string; mediaType: string } | Manifest>>();
  /** Mirrors (base URL) found unreachable in this run: their registries are asked directly from then on. */
  private readonly deadMirrors = new Map<string, string>();

  constructor(opts: RegistryClientOptions = {}) {
    this.transport = new Transport(opts);
    this.auth = new Authenticator(this.transport, opts.credentials ?? new CredentialStore());
    this.settings = { registries: opts.registries ?? {}, insecure: opts.insecure ?? [] };
    this.cache = opts.cache;
    this.tagsPageSize = opts.tagsPageSize ?? 1000;
  }

  get counters(): Counters {
    return this.transport.counters;
  }

  /** The endpoint for `ref`: its mirror, unless that mirror was found unreachable in this run. */
  endpoint(ref: ImageReference): Endpoint {
    const ep = endpointFor(ref, this.settings);
    return ep.mirror && this.deadMirrors.has(ep.base.href) ? endpointFor(ref, this.settings, true) : ep;
  }

  /** One note per mirror given up in this run (for the run's notes). */
  notes(): string[] {
    return [...this.deadMirrors.values()];
  }

  /**
   * Run a lookup on the ref's endpoint; when that is a mirror which cannot be reached (refused, timeout, 5xx), give the
   * mirror up and run it on the upstream registry. Each endpoint keeps its own credentials and tokens (auth.ts keys
   * them by origin and credential host), so the mirror's never go upstream nor the registry's to the mirror.
   */
  private async withFallback<T>(ref: ImageReference, lookup: (t: Target) => Promise<T>): Promise<T> {
    const t = this.target(ref);
    try {
      return await lookup(t);
    } catch (e) {
      if (!t.ep.mirror || !(e instanceof LookupFailure) || !e.unreachable) throw e;
      if (!this.deadMirrors.has(t.ep.base.href)) {
        const why = e.message.startsWith(`${t.subject}: `) ? e.message.slice(t.subject.length + 2) : e.message;
        this.deadMirrors.set(t.ep.base.href, `registry mirror ${t.ep.base.origin}${t.ep.base.pathname.replace(/\/$/, '')} for ${ref.registry} is unreachable (${why}): its lookups went to ${ref.registry} itself`);
      }
      return lookup(this.target(ref));
    }
  }

  private target(ref: ImageReference): Target {
    const ep = this.endpoint(ref);
    const subject = formatRefForLookup(ref);
    return { ref, ep, subject, auth: { origin: ep.base.origin, credentialHost: ep.host, scope: `repository:${ref.repository}:pull`, subject } };
  }

  // ---------------------------------------------------------------------------------------------- public lookups

  /** The digest the ref points to (index/list digest), or, with a platform, the digest of that platform's manifest. */
  resolveDigest(ref: ImageReference, platform?: Platform): Promise<DigestResult> {
    return this.withFallback(ref, (t) => this.resolveDigestOn(t, platform));
  }

  private async resolveDigestOn(t: Target, platform?: Platform): Promise<DigestResult> {
    const top = await this.headOrGet(t);
    if (!platform) return { digest: top.digest, mediaType: mediaTypeOf(top), endpoint: t.ep };
    const manifest = 'bytes' in top ? top : await this.manifestByDigest(t, top.digest);
    if (manifest.parsed.kind === 'index') {
      const child = this.pickChild(t, manifest, platform);
      return { digest: child.digest, mediaType: child.mediaType, endpoint: t.ep };
    }
    await this.checkSinglePlatform(t, manifest, platform);
    return { digest: manifest.digest, mediaType: manifest.parsed.mediaType, endpoint: t.ep };
  }

  /** All tags of the repository, following `Link` pagination. */
  listTags(ref: ImageReference): Promise<{ tags: string[]; endpoint: Endpoint }> {
    return this.withFallback(ref, (t) => this.listTagsOn(t));
  }

  private async listTagsOn(t: Target): Promise<{ tags: string[]; endpoint: Endpoint }> {
    const ref = t.ref;
    const tags: string[] = [];
    let url: URL | undefined = v2Url(t.ep, `${ref.repository}/tags/list?n=${this.tagsPageSize}`);
    for (let page = 0; url && page < MAX_TAG_PAGES; page++) {
      const pageUrl: URL = url;
      const r: { tags: string[]; next: URL | undefined } = await this.call(t, { method: 'GET', url: pageUrl, kind: 'tags' }, 'tags list', async (res) => {
        if (res.status === 404) throw new LookupFailure('not-found', `repository ${ref.registry}/${ref.repository} not found`);
        await this.expectOk(t, res, 'tags list');
        return { tags: parseTagsPage(await res.body.text()), next: nextLink(res, pageUrl) };
      });
      tags.push(...r.tags);
      url = r.next;
    }
    return { tags, endpoint: t.ep };
  }

  /** The image config of the ref (for an index: of `platform`, default linux/amd64). */
  imageConfig(ref: ImageReference, platform?: Platform): Promise<{ config: ImageConfigAnswer; endpoint: Endpoint }> {
    return this.withFallback(ref, async (t) => {
      const image = await this.platformImage(t, platform);
      const doc = image.config ?? (await this.configOf(t, image.manifest));
      return { config: toConfigAnswer(doc), endpoint: t.ep };
    });
  }

  /** The first of `paths` present in the image (for an index: of `platform`, default linux/amd64). */
  findFile(ref: ImageReference, platform: Platform | undefined, paths: readonly string[]): Promise<FileFound & { endpoint: Endpoint }> {
    return this.withFallback(ref, (t) => this.findFileOn(t, platform, paths));
  }

  private async findFileOn(t: Target, platform: Platform | undefined, paths: readonly string[]): Promise<FileFound & { endpoint: Endpoint }> {
    const { manifest } = await this.platformImage(t, platform);
    if (manifest.parsed.kind !== 'image') throw new LookupFailure('invalid', 'expected an image manifest');
    const layers = [...manifest.parsed.layers].reverse();
    const extra: string[] = [];
    for (let restart = 0; ; restart++) {
      const search = new FileSearch(paths, extra);
      const result = await this.searchLayers(t, layers, search);
      if (!('restartWith' in result)) return { ...result, endpoint: t.ep };
      if (restart >= MAX_SEARCH_RESTARTS) return { path: null, content: null, endpoint: t.ep };
      extra.push(result.restartWith);
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  // ------------------------------------------------------------------------------------------------- manifests

  /**
   * HEAD the tag (or digest). Falls back to GET + hash when the registry sends no Docker-Content-Digest; then the
   * manifest itself is returned. Identical concurrent calls share one request.
   */
  private headOrGet(t: Target): Promise<{ digest: string; mediaType: string } | Manifest> {
    const reference = manifestReference(t.ref);
    const key = `${t.ep.base.href} ${t.ref.repository} ${reference}`;
    let p = this.heads.get(key);
    if (!p) {
      p = this.headManifest(t, reference).finally(() => this.heads.delete(key));
      this.heads.set(key, p);
    }
    return p;
  }

  private async headManifest(t: Target, reference: string): Promise<{ digest: string; mediaType: string } | Manifest> {
    const url = v2Url(t.ep, `${t.ref.repository}/manifests/${reference}`);
    const head = await this.call(t, { method: 'HEAD', url, kind: 'head', headers: { accept: MANIFEST_ACCEPT } }, 'manifest', async (res) => {
      if (res.status === 404) throw await this.notFound(t, reference);
      if (res.status === 405 || res.status === 501) return undefined;
      await this.expectOk(t, res, 'manifest');
      const digest = header(res, 'docker-content-digest');
      if (digest === undefined || digest === '') return undefined;
      if (!isValidDigest(digest)) throw new LookupFailure('invalid', `registry sent a malformed digest "${digest}"`);
      if (isValidDigest(reference) && digest !== reference) {
        throw new LookupFailure('digest-mismatch', `asked for ${reference}, registry answered ${digest}`);
      }
      return { digest, mediaType: bareMediaType(header(res, 'content-type')) ?? '' };
    });
    return head ?? this.getManifest(t, reference);
  }

  /** GET a manifest by tag or digest and verify it against the announced and/or requested digest. */
  private async getManifest(t: Target, reference: string): Promise<Manifest> {
    const url = v2Url(t.ep, `${t.ref.repository}/manifests/${reference}`);
    const req: HttpRequest = { method: 'GET', url, kind: 'get', headers: { accept: MANIFEST_ACCEPT, 'accept-encoding': 'identity' } };
    const manifest = await this.call(t, req, 'manifest', async (res) => {
      if (res.status === 404) throw await this.notFound(t, reference);
      await this.expectOk(t, res, 'manifest');
      const bytes = await readCapped(res, MAX_MANIFEST_BYTES, 'manifest');
      const announced = header(res, 'docker-content-digest');
      if (announced) verifyDigest(bytes, announced, `manifest ${reference}`);
      if (isValidDigest(reference)) verifyDigest(bytes, reference, `manifest ${reference}`);
      const digest = announced || (isValidDigest(reference) ? reference : digestOf(bytes));
      return { digest, bytes, parsed: parseManifest(bytes, bareMediaType(header(res, 'content-type')), `manifest ${reference}`) };
    });
    this.remember(t, manifest.digest, manifest.bytes);
    return manifest;
  }

  /** A manifest by digest: memory, then disk cache, then the registry. */
  private async manifestByDigest(t: Target, digest: string): Promise<Manifest> {
    const bytes = await this.immutable(t, digest, async () => (await this.getManifest(t, digest)).bytes);
    return { digest, bytes, parsed: parseManifest(bytes, undefined, `manifest ${digest}`) };
  }

  private remember(t: Target, digest: string, bytes: Buffer): void {
    const key = `${t.ep.base.href} ${t.ref.repository} ${digest}`;
    if (!this.blobs.has(key)) this.blobs.set(key, Promise.resolve(bytes));
    void this.cache?.setBlob(digest, bytes);
  }

  /** Content by digest, fetched at most once per client and kept in the disk cache. */
  private immutable(t: Target, digest: string, fetch: () => Promise<Buffer>): Promise<Buffer> {
    const key = `${t.ep.base.href} ${t.ref.repository} ${digest}`;
    let p = this.blobs.get(key);
    if (!p) {
      p = (async () => {
        const cached = await this.cache?.getBlob(digest);
        if (cached) return cached;
        const bytes = await fetch();
        await this.cache?.setBlob(digest, bytes);
        return bytes;
      })();
      p.catch(() => this.blobs.delete(key));
      this.blobs.set(key, p);
    }
    return p;
  }

  // -------------------------------------------------------------------------------------------------- platforms

  private pickChild(t: Target, index: Manifest, platform: Platform): Descriptor {
    if (index.parsed.kind !== 'index') throw new LookupFailure('invalid', 'expected an index');
    const entries = index.parsed.manifests;
    const i = selectPlatform(platform, entries.map((e) => platformOf(e.platform)));
    const child = entries[i];
    if (!child) {
      const available = entries.map((e) => formatPlatform(platformOf(e.platform))).filter((p) => !p.startsWith('unknown'));
      throw new LookupFailure(
        'not-found',
        `no ${formatPlatform(platform)} image in ${t.subject} (platforms: ${available.join(', ') || 'none'})`,
      );
    }
    return child;
  }

  /** Single-platform image: its config must match the requested platform. */
  private async checkSinglePlatform(t: Target, manifest: Manifest, platform: Platform): Promise<ImageConfigDocument> {
    const config = await this.configOf(t, manifest);
    const have = platformOf(config);
    if (!platformSatisfies(platform, have)) {
      throw new LookupFailure('not-found', `${t.subject} is a single-platform ${formatPlatform(have)} image, not ${formatPlatform(platform)}`);
    }
    return config;
  }

  /** The platform-specific manifest for config/file lookups (default platform linux/amd64 for indexes). */
  private async platformImage(t: Target, platform: Platform | undefined): Promise<PlatformImage> {
    const top = await this.headOrGet(t);
    const manifest = 'bytes' in top ? top : await this.manifestByDigest(t, top.digest);
    if (manifest.parsed.kind === 'index') {
      const child = this.pickChild(t, manifest, platform ?? DEFAULT_PLATFORM);
      const childManifest = await this.manifestByDigest(t, child.digest);
      if (childManifest.parsed.kind !== 'image') throw new LookupFailure('invalid', `nested index ${child.digest} in ${t.subject}`);
      return { manifest: childManifest };
    }
    if (platform) return { manifest, config: await this.checkSinglePlatform(t, manifest, platform) };
    return { manifest };
  }

  // ------------------------------------------------------------------------------------------------------ blobs

  private async configOf(t: Target, manifest: Manifest): Promise<ImageConfigDocument> {
    if (manifest.parsed.kind !== 'image') throw new LookupFailure('invalid', 'expected an image manifest');
    const desc = manifest.parsed.config;
    const bytes = await this.immutable(t, desc.digest, () => this.getBlob(t, desc.digest, MAX_CONFIG_BYTES));
    try {
      return JSON.parse(bytes.toString('utf8')) as ImageConfigDocument;
    } catch {
      throw new LookupFailure('invalid', `image config ${desc.digest} is not valid JSON`);
    }
  }

  private blobRequest(t: Target, digest: string): HttpRequest {
    const url = v2Url(t.ep, `${t.ref.repository}/blobs/${digest}`);
    return { method: 'GET', url, kind: 'blob', headers: { 'accept-encoding': 'identity' }, followRedirects: true };
  }

  private async getBlob(t: Target, digest: string, max: number): Promise<Buffer> {
    return this.call(t, this.blobRequest(t, digest), `blob ${digest}`, async (res) => {
      if (res.status === 404) throw new LookupFailure('not-found', `blob ${digest} not found in ${t.ref.registry}/${t.ref.repository}`);
      await this.expectOk(t, res, `blob ${digest}`);
      const bytes = await readCapped(res, max, `blob ${digest}`);
      verifyDigest(bytes, digest, `blob ${digest}`);
      return bytes;
    });
  }

  private async searchLayers(t: Target, layers: readonly Descriptor[], search: FileSearch) {
    for (const [i, layer] of layers.entries()) {
      if (layer.urls?.length || /nondistributable|foreign/.test(layer.mediaType)) continue;
      if (/zstd/.test(layer.mediaType)) throw new LookupFailure('unsupported', `layer ${layer.digest} is zstd-compressed (not supported)`);
      const found = await this.call(t, this.blobRequest(t, layer.digest), `layer ${layer.digest}`, async (res) => {
        if (res.status === 404) throw new LookupFailure('not-found', `layer ${layer.digest} not found`);
        await this.expectOk(t, res, `layer ${layer.digest}`);
        return scanLayerStream(res, layer, i, search);
      });
      if (found) return found;
    }
    return search.finish();
  }

  // ------------------------------------------------------------------------------------------- requests & errors

  /** Send with authorization; on a 401 learn the challenge and retry once with fresh authorization. */
  private async call<T>(t: Target, req: HttpRequest, what: string, consume: (res: HttpResponse) => Promise<T>): Promise<T> {
    const retry = Symbol('retry');
    let rejected: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const answered = attempt === 0 ? await this.auth.firstContact(t.auth.origin) : undefined;
      try {
        const authorization = await this.auth.authorization(t.auth, attempt > 0 ? (rejected ?? '') : undefined);
        rejected = authorization;
        const headers = { ...req.headers, ...(authorization ? { authorization } : {}) };
        const out = await this.transport.exchange({ ...req, headers }, `${t.subject}: ${what}`, async (res) => {
          const unauthorized = res.status === 401 && attempt === 0 && (await this.auth.onUnauthorized(t.auth, res));
          answered?.();
          return unauthorized ? retry : consume(res);
        });
        if (out !== retry) return out as T;
      } finally {
        answered?.();
      }
    }
  }

  /** Throw the LookupFailure for a non-2xx status. */
  private async expectOk(t: Target, res: HttpResponse, what: string): Promise<void> {
    if (res.status >= 200 && res.status < 300) return;
    const detail = await errorDetail(res);
    const host = t.ep.host;
    switch (res.status) {
      case 401:
        throw new LookupFailure('unauthorized', `${what}: ${host} answered 401 unauthorized (${await this.auth.describeCredentials(t.auth)})${detail}`);
      case 403:
        throw new LookupFailure('forbidden', `${what}: ${host} answered 403 forbidden${detail}`);
      case 404:
        throw new LookupFailure('not-found', `${what}: not found on ${host}${detail}`);
      case 429:
        throw new LookupFailure('rate-limited', `${what}: ${host} is rate-limiting requests (HTTP 429, retries exhausted)${detail}`);
      default:
        throw new LookupFailure('registry-error', `${what}: ${statusFrom(res.url, host, res.status)}${detail}`, res.status);
    }
  }

  /** Say whether the repository or the tag/digest is missing (a HEAD 404 has no body; ask the tag list). */
  private async notFound(t: Target, reference: string): Promise<LookupFailure> {
    const repo = `${t.ref.registry}/${t.ref.repository}`;
    const what = isValidDigest(reference) ? `manifest ${reference}` : `tag "${reference}"`;
    try {
      const url = v2Url(t.ep, `${t.ref.repository}/tags/list?n=1`);
      const status = await this.call(t, { method: 'GET', url, kind: 'tags' }, 'tags list', async (res) => res.status);
      if (status === 404) return new LookupFailure('not-found', `repository ${repo} not found`);
      if (status === 200) return new LookupFailure('not-found', `${what} not found in ${repo}`);
    } catch {
      // fall through to the unspecific message
    }
    return new LookupFailure('not-found', `${what} or repository ${repo} not found`);
  }
}

// ---------------------------------------------------------------------------------------------------- helpers

function mediaTypeOf(x: { mediaType: string } | Manifest): string {
  return 'parsed' in x ? x.parsed.mediaType : x.mediaType;
}

/** Read a body up to `max` bytes ('invalid' beyond). */
async function readCapped(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const declared = Number(header(res, 'content-length') ?? NaN);
  if (declared > max) throw new LookupFailure('invalid', `${what} is too large (${declared} bytes)`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > max) throw new LookupFailure('invalid', `${what} is too large (over ${max} bytes)`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** ' (CODE: message)' from a registry error body, if any. Registry error bodies never carry credentials. */
async function errorDetail(res: HttpResponse): Promise<string> {
  try {
    const text = await res.body.text();
    const first = (JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
    if (first && typeof first.code === 'string') return ` (${first.code}${typeof first.message === 'string' ? `: ${first.message}` : ''})`;
  } catch {
    // not JSON, or no body (HEAD)
  }
  return '';
}

function parseTagsPage(text: string): string[] {
  try {
    const doc = JSON.parse(text) as { tags?: unknown };
    if (doc.tags === null || doc.tags === undefined) return [];
    if (Array.isArray(doc.tags)) return doc.tags.filter((x): x is string => typeof x === 'string');
  } catch {
    // fall through
  }
  throw new LookupFailure('invalid', 'tags list is not valid JSON');
}

/** The `rel="next"` URL of a Link header, resolved against the request URL. */
function nextLink(res: HttpResponse, base: URL): URL | undefined {
  const link = header(res, 'link');
  const m = link ? /<([^>]+)>\s*;[^,]*rel="?next"?/.exec(link) : null;
  if (!m?.[1]) return undefined;
  const next = new URL(m[1], base);
  return next.origin === base.origin ? next : undefined;
}

function toConfigAnswer(doc: ImageConfigDocument): ImageConfigAnswer {
  const c = doc.config ?? {};
  const out: ImageConfigAnswer = {};
  if (c.User) out.user = c.User;
  if (c.WorkingDir) out.workingDir = c.WorkingDir;
  if (c.Volumes) out.volumes = Object.keys(c.Volumes);
  if (c.ExposedPorts) out.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.Env) out.env = c.Env;
  if (c.Entrypoint) out.entrypoint = c.Entrypoint;
  if (c.Cmd) out.cmd = c.Cmd;
  const h = c.Healthcheck;
  if (h && Array.isArray(h.Test) && h.Test.length > 0 && h.Test.every((x) => typeof x === 'string')) {
    const hc: ImageHealthcheck = { test: h.Test };
    for (const [k, v] of [['interval', h.Interval], ['timeout', h.Timeout], ['startPeriod', h.StartPeriod], ['startInterval', h.StartInterval], ['retries', h.Retries]] as const) {
      if (typeof v === 'number' && v > 0) hc[k] = v;
    }
    out.healthcheck = hc;
  }
  if (doc.os) out.os = doc.os;
  if (doc.architecture) out.architecture = doc.architecture;
  return out;
}

/**
 * Stream one layer through (gunzip and) the tar reader into the search. Returns the search's answer if certain.
 * A layer read to the end is verified against its digest.
 */
async function scanLayerStream(res: HttpResponse, layer: Descriptor, index: number, search: FileSearch) {
  const hash = createHash(layer.digest.startsWith('sha512:') ? 'sha512' : 'sha256');
  let complete = false;
  async function* hashed() {
    for await (const chunk of res.body) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
    complete = true;
  }
  const source = Readable.from(hashed());
  let tarStream: Readable = source;
  let piped: Promise<unknown> = Promise.resolve(undefined);
  if (/gzip/.test(layer.mediaType)) {
    const gunzip = createGunzip();
    piped = pipeline(source, gunzip).catch((e: unknown) => e);
    tarStream = gunzip;
  }
  const it = tarStream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let result;
  let readToEnd = false;
  try {
    result = await search.scanLayer(index, readTar({ [Symbol.asyncIterator]: () => it }));
    if (result === undefined) {
      while (!(await it.next()).done) {
        // drain the tar padding so the whole blob is hashed
      }
      readToEnd = true;
    }
  } catch (e) {
    throw asLayerError(e, layer.digest);
  } finally {
    if (!readToEnd) {
      source.destroy();
      tarStream.destroy();
    }
  }
  const pipeError = await piped;
  if (readToEnd && pipeError) throw asLayerError(pipeError, layer.digest);
  if (readToEnd && complete) {
    const actual = `${layer.digest.split(':')[0]}:${hash.digest('hex')}`;
    if (actual !== layer.digest) throw new LookupFailure('digest-mismatch', `layer ${layer.digest} hashes to ${actual}`);
  }
  return result;
}

function asLayerError(e: unknown, digest: string): unknown {
  const code = (e as { code?: string }).code ?? '';
  if (code.startsWith('Z_') || code === 'ERR_ZLIB') return new LookupFailure('invalid', `layer ${digest} is not valid gzip`);
  return e;
}
