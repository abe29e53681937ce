/**
 * On-disk cache of lookup answers, in `$XDG_CACHE_HOME/harden` (else `~/.cache/harden`; settings.cacheDir overrides).
 *
 * - `lookups/<sha256 of lookup id>.json`: successful answers only, with an expiry. Default TTLs by kind: image-digest 1 h,
 *   image-tags 1 h, image-config 7 d, image-file 7 d; any lookup of an image pinned by digest alone is immutable and
 *   never expires.
 * - `blobs/sha256/<hex>`: content-addressed manifests and config blobs (immutable, verified again when read).
 * - `noCache`: neither read nor write. `offline`: read only (expired entries are still used, and say so), a miss is an
 *   'offline-miss' error; nothing is written.
 * Writes are atomic (temporary file + rename). Only answers and public registry content are stored: never
 * credentials, tokens or request headers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { LOOKUP_KINDS } from '../engine/lookups.js';
import type { Answer } from '../engine/types.js';

export type CacheTtl = Partial<Record<'image-digest' | 'image-tags' | 'image-config' | 'image-file', number>>;

const HOUR = 3_600_000;
/** From the lookup declarations (src/engine/lookups.ts). */
export const DEFAULT_TTL_MS: Required<CacheTtl> = {
  'image-digest': LOOKUP_KINDS['image-digest'].ttlMs ?? 0,
  'image-tags': LOOKUP_KINDS['image-tags'].ttlMs ?? 0,
  'image-config': LOOKUP_KINDS['image-config'].ttlMs ?? 0,
  'image-file': LOOKUP_KINDS['image-file'].ttlMs ?? 0,
};

export interface CacheOptions {
  cacheDir?: string;
  cacheTtl?: CacheTtl;
  noCache?: boolean;
  offline?: boolean;
  env?: NodeJS.ProcessEnv;
}

interface StoredAnswer {
  v: 1;
  id: string;
  storedAt: number;
  /** null = never expires */
  expiresAt: number | null;
  answer: { ok: unknown; source?: string };
}

export interface CacheHit {
  answer: Answer;
  stale: boolean;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'harden');
}

const sha256Hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** Write a file atomically: a unique temporary file in the same directory, then rename over the target. */
async function atomicWrite(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export class LookupCache {
  readonly dir: string;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly offline: boolean;
  private readonly ttl: Required<CacheTtl>;

  constructor(opts: CacheOptions = {}) {
    this.dir = opts.cacheDir ?? defaultCacheDir(opts.env);
    this.offline = opts.offline === true;
    this.readable = opts.noCache !== true;
    this.writable = opts.noCache !== true && !this.offline;
    this.ttl = { ...DEFAULT_TTL_MS, ...opts.cacheTtl };
  }

  private answerPath(id: string): string {
    return join(this.dir, 'lookups', `${sha256Hex(id)}.json`);
  }

  private blobPath(digest: string): string | undefined {
    const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
    return m ? join(this.dir, 'blobs', 'sha256', m[1] as string) : undefined;
  }

  /** A cached answer for this lookup id. Expired entries are returned (as stale) only when offline. */
  async get(id: string): Promise<CacheHit | undefined> {
    if (!this.readable) return undefined;
    let stored: StoredAnswer;
    try {
      stored = JSON.parse(await readFile(this.answerPath(id), 'utf8')) as StoredAnswer;
    } catch {
      return undefined;
    }
    if (stored.v !== 1 || stored.id !== id || !stored.answer || !('ok' in stored.answer)) return undefined;
    const stale = stored.expiresAt !== null && stored.expiresAt <= Date.now();
    if (stale && !this.offline) return undefined;
    const source = [stored.answer.source, stale ? 'cached, expired' : 'cached'].filter(Boolean).join('; ');
    return { answer: { ok: stored.answer.ok, source }, stale };
  }

  /** Store a successful answer. `immutable` answers never expire. Errors are never cached. */
  async set(id: string, kind: string, answer: Answer, immutable: boolean): Promise<void> {
    if (!this.writable || !('ok' in answer)) return;
    const ttl = this.ttl[kind as keyof CacheTtl] ?? HOUR;
    const stored: StoredAnswer = {
      v: 1,
      id,
      storedAt: Date.now(),
      expiresAt: immutable ? null : Date.now() + ttl,
      answer: answer.source === undefined ? { ok: answer.ok } : { ok: answer.ok, source: answer.source },
    };
    await atomicWrite(this.answerPath(id), JSON.stringify(stored)).catch(() => undefined);
  }

  /** Content-addressed bytes (manifests, configs); verified against the digest, undefined when absent or corrupt. */
  async getBlob(digest: string): Promise<Buffer | undefined> {
    const path = this.readable ? this.blobPath(digest) : undefined;
    if (!path) return undefined;
    try {
      const bytes = await readFile(path);
      return `sha256:${sha256Hex(bytes)}` === digest ? bytes : undefined;
    } catch {
      return undefined;
    }
  }

  async setBlob(digest: string, bytes: Buffer): Promise<void> {
    const path = this.writable ? this.blobPath(digest) : undefined;
    if (path) await atomicWrite(path, bytes).catch(() => undefined);
  }
}
