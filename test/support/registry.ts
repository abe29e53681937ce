/**
 * Test harness around the REAL docker-registry (distribution 2.8, /usr/bin/docker-registry) on 127.0.0.1:
 * start one per test file (anonymous, htpasswd Basic, or token auth backed by registry-token.ts), and seed it over its
 * own HTTP API with tiny deterministic images (single-platform OCI / Docker v2, OCI index, Docker manifest list).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { tarGz, type TarSpec } from './registry-tar.js';
import { startTokenServer, type TokenServer } from './registry-token.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface StartOptions {
  auth?: 'none' | 'basic' | 'token';
  /** Users for basic/token auth. Default { testuser: 'testpass' }. */
  users?: Record<string, string>;
  /** Token auth: identity tokens accepted by the token server (refresh_token grant) → user. */
  identityTokens?: Record<string, string>;
  /** Token auth: whether anonymous tokens (pull only) are handed out. Default true. */
  anonymousPull?: boolean;
  /** Storage root to serve (kept on stop); default a fresh directory removed on stop. */
  dataDir?: string;
}

export interface TestRegistry {
  /** '127.0.0.1:PORT' */
  host: string;
  port: number;
  url: string;
  dir: string;
  auth: 'none' | 'basic' | 'token';
  users: Record<string, string>;
  token?: TokenServer;
  /** Authorization headers for seeding `repo` (push+pull) as the first user. */
  seedHeaders(repo: string): Promise<Record<string, string>>;
  log(): string;
  stop(): Promise<void>;
}

function waitForListening(child: ChildProcess, logs: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${logs.join('')}`)), 10_000);
    const onData = (d: Buffer) => {
      logs.push(d.toString());
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(logs.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}:\n${logs.join('')}`));
    });
  });
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** Start a real registry on 127.0.0.1 with a random port. */
export async function startRegistry(opts: StartOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const users = opts.users ?? { testuser: 'testpass' };
  const dir = mkdtempSync(join(tmpdir(), 'harden-reg-'));
  let authYaml = '';
  let token: TokenServer | undefined;
  if (auth === 'basic') {
    const lines = Object.entries(users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    token = await startTokenServer({
      dir,
      users,
      identityTokens: opts.identityTokens ?? {},
      anonymousPull: opts.anonymousPull ?? true,
    });
    authYaml =
      `auth:\n  token:\n    realm: ${token.realm}\n    service: ${token.service}\n    issuer: ${token.issuer}\n` +
      `    rootcertbundle: ${token.certPath}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${opts.dataDir ?? join(dir, 'data')}\n` +
    `  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n  secret: test-secret\n${authYaml}`;
  writeFileSync(join(dir, 'config.yml'), config);
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const port = await waitForListening(child, logs);
  const [firstUser, firstPass] = Object.entries(users)[0] ?? ['', ''];
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    auth,
    users,
    token,
    async seedHeaders(repo): Promise<Record<string, string>> {
      if (auth === 'basic') return { authorization: basic(firstUser, firstPass) };
      if (auth === 'token' && token) return { authorization: `Bearer ${token.mint(firstUser, [`repository:${repo}:pull,push`])}` };
      return {};
    },
    log: () => logs.join(''),
    async stop() {
      child.kill('SIGKILL');
      await token?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------------------------- seeding

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function expectStatus(res: { statusCode: number; body: { text(): Promise<string> } }, want: number, what: string) {
  if (res.statusCode !== want) throw new Error(`${what}: HTTP ${res.statusCode} ${await res.body.text()}`);
}

/** Upload a blob (POST then PUT with the digest). Returns its digest. */
export async function pushBlob(reg: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const headers = await reg.seedHeaders(repo);
  const start = await request(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  await expectStatus(start, 202, `start upload to ${repo}`);
  await start.body.dump();
  const location = new URL(String(start.headers.location), reg.url);
  location.searchParams.set('digest', digest);
  const put = await request(location, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
    body: bytes,
  });
  await expectStatus(put, 201, `upload blob to ${repo}`);
  await put.body.dump();
  return digest;
}

/** PUT a manifest under a tag or its digest. Returns the registry's Docker-Content-Digest. */
export async function pushManifest(reg: TestRegistry, repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
  const headers = await reg.seedHeaders(repo);
  const res = await request(`${reg.url}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': mediaType },
    body: bytes,
  });
  await expectStatus(res, 201, `put manifest ${repo}:${reference}`);
  await res.body.dump();
  return String(res.headers['docker-content-digest']);
}

export interface PlatformSeed {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  /** Layers, oldest first. Default: an Alpine-like layer with etc/os-release and etc/alpine-release. */
  layers?: TarSpec[];
  /** Extra `config` fields of the image config (Env, Cmd, User, …). */
  config?: Record<string, unknown>;
}

export interface SeedOptions {
  /** 'oci' (OCI manifest/index) or 'docker' (Docker v2 manifest / manifest list). Default 'oci'. */
  format?: 'oci' | 'docker';
  /** Default [linux/amd64]. More than one (or index: true) makes an index/list. */
  platforms?: PlatformSeed[];
  index?: boolean;
}

export interface SeededPlatform {
  digest: string;
  mediaType: string;
  configDigest: string;
  layerDigests: string[];
  bytes: Buffer;
}

export interface SeededImage {
  /** Digest of what the tags point to (index/list, or the single manifest). */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** By platform string: 'linux/amd64', 'linux/arm64/v8', 'windows/amd64:10.0.20348.2113'. */
  platforms: Record<string, SeededPlatform>;
}

export const ALPINE_LAYER: TarSpec = {
  'etc/': { dir: true },
  'etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n',
  'etc/alpine-release': '3.19.1\n',
  // As alpine:3.19 ships it: no bash.
  'etc/shells': '# valid login shells\n/bin/sh\n/bin/ash\n',
};

/** Debian-like: etc/os-release is a symlink to ../usr/lib/os-release (GNU-tar style './' names). */
export const DEBIAN_LAYER: TarSpec = {
  './': { dir: true },
  './etc/': { dir: true },
  './etc/debian_version': '12.5\n',
  // As debian:bookworm ships it (bash's postinst adds its two lines).
  './etc/shells': '# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/usr/bin/dash\n',
  './etc/os-release': { symlink: '../usr/lib/os-release' },
  './usr/': { dir: true },
  './usr/lib/': { dir: true },
  './usr/lib/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
};

export function platformKey(p: { os: string; architecture: string; variant?: string; osVersion?: string }): string {
  const base = [p.os, p.architecture, p.variant].filter(Boolean).join('/');
  return p.osVersion ? `${base}:${p.osVersion}` : base;
}

async function seedPlatform(reg: TestRegistry, repo: string, p: PlatformSeed, format: 'oci' | 'docker'): Promise<SeededPlatform> {
  const layers = (p.layers ?? [ALPINE_LAYER]).map((spec) => tarGz(spec));
  const layerDigests: string[] = [];
  for (const l of layers) layerDigests.push(await pushBlob(reg, repo, l));
  const config: Record<string, unknown> = {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    ...(p.osVersion ? { 'os.version': p.osVersion } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], ...p.config },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(gunzipSync(l))) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await pushBlob(reg, repo, configBytes);
  const mediaType = format === 'oci' ? MT.ociManifest : MT.dockerManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: format === 'oci' ? MT.ociConfig : MT.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: layers.map((l, i) => ({ mediaType: format === 'oci' ? MT.ociLayer : MT.dockerLayer, digest: layerDigests[i], size: l.length })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await pushManifest(reg, repo, sha256(bytes), bytes, mediaType);
  return { digest, mediaType, configDigest, layerDigests, bytes };
}

/** Seed an image under all `tags` (byte-identical manifests, so one digest). */
export async function seedImage(reg: TestRegistry, repo: string, tags: readonly string[], opts: SeedOptions = {}): Promise<SeededImage> {
  const format = opts.format ?? 'oci';
  const platforms = opts.platforms ?? [{ os: 'linux', architecture: 'amd64' }];
  const seeded: Record<string, SeededPlatform> = {};
  for (const p of platforms) seeded[platformKey(p)] = await seedPlatform(reg, repo, p, format);
  let bytes: Buffer;
  let mediaType: string;
  if (platforms.length > 1 || opts.index) {
    mediaType = format === 'oci' ? MT.ociIndex : MT.dockerList;
    const manifests = platforms.map((p) => {
      const s = seeded[platformKey(p)] as SeededPlatform;
      const platform: Record<string, string> = { architecture: p.architecture, os: p.os };
      if (p.variant) platform.variant = p.variant;
      if (p.osVersion) platform['os.version'] = p.osVersion;
      return { mediaType: s.mediaType, digest: s.digest, size: s.bytes.length, platform };
    });
    bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }));
  } else {
    const only = Object.values(seeded)[0] as SeededPlatform;
    bytes = only.bytes;
    mediaType = only.mediaType;
  }
  let digest = sha256(bytes);
  for (const tag of tags) digest = await pushManifest(reg, repo, tag, bytes, mediaType);
  return { digest, mediaType, bytes, platforms: seeded };
}
