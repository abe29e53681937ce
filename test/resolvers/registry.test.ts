/** The image handler against a REAL anonymous docker-registry 2.8 on 127.0.0.1. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupId } from '../../src/engine/lookups.js';
import type { Answer, ImageConfigAnswer, LookupKey } from '../../src/engine/types.js';
import { LookupCache } from '../../src/resolvers/cache.js';
import { cacheIdOf, createImageHandler, type RegistrySettings } from '../../src/resolvers/image.js';
import { ALPINE_LAYER, DEBIAN_LAYER, MT, seedImage, sha256, startRegistry, type SeededImage, type TestRegistry } from '../support/registry.js';

let reg: TestRegistry;
let multi: SeededImage;
let list: SeededImage;
let single: SeededImage;
let singleDocker: SeededImage;
let win: SeededImage;
const tmp = mkdtempSync(join(tmpdir(), 'harden-reg-test-'));

const WINDOWS = [
  { os: 'windows', architecture: 'amd64', osVersion: '10.0.17763.5458', layers: [{ 'Files/': { dir: true } as const }] },
  { os: 'windows', architecture: 'amd64', osVersion: '10.0.20348.2113', layers: [{ 'Files/x': 'y' }] },
];

beforeAll(async () => {
  reg = await startRegistry();
  const platforms = [
    { os: 'linux', architecture: 'amd64', layers: [ALPINE_LAYER], config: { User: 'node', WorkingDir: '/app', ExposedPorts: { '3000/tcp': {} }, Volumes: { '/data': {} }, Entrypoint: ['docker-entrypoint.sh'], Cmd: ['node'] } },
    { os: 'linux', architecture: 'arm64', variant: 'v8', layers: [{ 'etc/os-release': 'ID=alpine\nARCH=arm64\n' }] },
  ];
  multi = await seedImage(reg, 'library/node', ['20-alpine', '20.11-alpine', '20.11.0-alpine3.19'], { platforms });
  list = await seedImage(reg, 'library/mongo', ['7'], { format: 'docker', platforms });
  single = await seedImage(reg, 'library/busybox', ['1.36'], {});
  singleDocker = await seedImage(reg, 'library/redis', ['7'], { format: 'docker' });
  await seedImage(reg, 'library/debian', ['bookworm'], {
    platforms: [{ os: 'linux', architecture: 'amd64', layers: [DEBIAN_LAYER, { './etc/motd': 'hi\n', './etc/.wh.issue': '' }] }],
  });
  win = await seedImage(reg, 'windows/servercore', ['ltsc'], { platforms: [...WINDOWS, { os: 'linux', architecture: 'amd64' }] });
  for (let i = 0; i < 5; i++) await seedImage(reg, 'library/paged', [`t${i}`], {});
});

afterAll(async () => {
  await reg?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function handler(extra: RegistrySettings = {}) {
  return createImageHandler({ noCache: true, retryBaseMs: 1, ...extra });
}

async function ask<T = unknown>(key: LookupKey, settings: RegistrySettings = {}): Promise<Answer<T>> {
  const h = handler(settings);
  const out = (await h.resolve([key])).get(lookupId(key)) as Answer<T>;
  await h.close();
  return out;
}

const ok = <T>(a: Answer<T>): T => {
  if (!('ok' in a)) throw new Error(`expected ok, got ${JSON.stringify(a)}`);
  return a.ok;
};

describe('image-digest', () => {
  it('HEAD gives the digest of the stored bytes (OCI index), one HEAD and nothing else', async () => {
    const h = handler();
    const key = { kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine` };
    const a = (await h.resolve([key])).get(lookupId(key)) as Answer;
    expect(ok(a)).toEqual({ digest: sha256(multi.bytes), mediaType: MT.ociIndex, registry: reg.host });
    expect('ok' in a && a.source).toBe(`registry ${reg.host}`);
    expect(h.counters).toEqual({ token: 0, head: 1, get: 0, blob: 0, tags: 0 });
  });

  it('several tags on one digest agree', async () => {
    for (const tag of ['20.11-alpine', '20.11.0-alpine3.19']) {
      expect(ok(await ask<{ digest: string }>({ kind: 'image-digest', ref: `${reg.host}/library/node:${tag}` })).digest).toBe(multi.digest);
    }
  });

  it('Docker manifest list and single-platform OCI / Docker v2 manifests', async () => {
    expect(ok(await ask({ kind: 'image-digest', ref: `${reg.host}/library/mongo:7` }))).toMatchObject({ digest: list.digest, mediaType: MT.dockerList });
    expect(ok(await ask({ kind: 'image-digest', ref: `${reg.host}/library/busybox:1.36` }))).toMatchObject({ digest: single.digest, mediaType: MT.ociManifest });
    expect(ok(await ask({ kind: 'image-digest', ref: `${reg.host}/library/redis:7` }))).toMatchObject({ digest: singleDocker.digest, mediaType: MT.dockerManifest });
  });

  it.each([
    ['linux/amd64', 'linux/amd64'],
    ['linux/arm64/v8', 'linux/arm64/v8'],
    ['linux/arm64', 'linux/arm64/v8'],
    ['linux/aarch64', 'linux/arm64/v8'],
  ])('platform %s picks the %s child of the index and of the list', async (platform, seeded) => {
    const a = ok(await ask<{ digest: string; mediaType: string }>({ kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine`, platform }));
    expect(a.digest).toBe(multi.platforms[seeded]?.digest);
    expect(a.digest).not.toBe(multi.digest);
    const b = ok(await ask<{ digest: string }>({ kind: 'image-digest', ref: `${reg.host}/library/mongo:7`, platform }));
    expect(b.digest).toBe(list.platforms[seeded]?.digest);
  });

  it('Windows entries are chosen by os.version', async () => {
    const ref = `${reg.host}/windows/servercore:ltsc`;
    const d = async (platform: string) => ok(await ask<{ digest: string }>({ kind: 'image-digest', ref, platform })).digest;
    expect(await d('windows/amd64:10.0.20348')).toBe(win.platforms['windows/amd64:10.0.20348.2113']?.digest);
    expect(await d('windows(10.0.17763)/amd64')).toBe(win.platforms['windows/amd64:10.0.17763.5458']?.digest);
    expect(await d('linux/amd64')).toBe(win.platforms['linux/amd64']?.digest);
    const miss = await ask({ kind: 'image-digest', ref, platform: 'windows/amd64:10.0.14393' });
    expect(miss).toMatchObject({ error: { code: 'not-found' } });
    expect('error' in miss && miss.error.message).toContain('windows/amd64:10.0.14393');
  });

  it('single-platform images: matching platform gives the manifest digest, another platform is not-found', async () => {
    const ref = `${reg.host}/library/busybox:1.36`;
    expect(ok(await ask<{ digest: string }>({ kind: 'image-digest', ref, platform: 'linux/amd64' })).digest).toBe(single.digest);
    const a = await ask({ kind: 'image-digest', ref, platform: 'linux/arm64' });
    expect(a).toMatchObject({ error: { code: 'not-found' } });
    expect('error' in a && a.error.message).toMatch(/single-platform linux\/amd64 image, not linux\/arm64\/v8/);
  });

  it('a digest-only reference is verified by HEAD; a tag+digest reference is resolved by its tag', async () => {
    const byDigest = ok(await ask<{ digest: string }>({ kind: 'image-digest', ref: `${reg.host}/library/node@${multi.digest}` }));
    expect(byDigest.digest).toBe(multi.digest);
    const stale = `sha256:${'1'.repeat(64)}`;
    const both = ok(await ask<{ digest: string }>({ kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine@${stale}` }));
    expect(both.digest).toBe(multi.digest);
  });

  it('404: says whether the tag or the repository is missing', async () => {
    const tag = await ask({ kind: 'image-digest', ref: `${reg.host}/library/node:nope` });
    expect(tag).toEqual({ error: { code: 'not-found', message: `${reg.host}/library/node:nope: tag "nope" not found in ${reg.host}/library/node` } });
    const repo = await ask({ kind: 'image-digest', ref: `${reg.host}/library/missing:1` });
    expect(repo).toEqual({ error: { code: 'not-found', message: `${reg.host}/library/missing:1: repository ${reg.host}/library/missing not found` } });
  });

  it('bad references and platforms are invalid without any request', async () => {
    const h = handler();
    const keys = [
      { kind: 'image-digest', ref: `${reg.host}/Library/node:1` },
      { kind: 'image-digest', ref: `${reg.host}/library/node:1`, platform: 'linux' },
    ];
    const r = await h.resolve(keys);
    for (const k of keys) expect(r.get(lookupId(k))).toMatchObject({ error: { code: 'invalid' } });
    expect(h.counters.head).toBe(0);
  });

  it('a mirror serves docker.io lookups (library/ kept)', async () => {
    const key = { kind: 'image-digest', ref: 'node:20-alpine' };
    const a = await ask(key, { registries: { 'docker.io': { mirror: reg.url } } });
    expect(a).toEqual({
      ok: { digest: multi.digest, mediaType: MT.ociIndex, registry: reg.host },
      source: `registry ${reg.host} (mirror of docker.io)`,
    });
  });

  it('20 identical lookups (one batch and concurrent batches) cost one HEAD', async () => {
    const h = handler();
    const key = { kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine` };
    const keys = Array.from({ length: 20 }, () => ({ ...key }));
    const [a, b] = await Promise.all([h.resolve(keys), h.resolve(keys.slice(0, 10))]);
    expect(ok(a.get(lookupId(key)) as Answer<{ digest: string }>).digest).toBe(multi.digest);
    expect(ok(b.get(lookupId(key)) as Answer<{ digest: string }>).digest).toBe(multi.digest);
    expect(h.counters.head).toBe(1);
  });

  it('respects the concurrency limit', async () => {
    const h = handler({ concurrency: 2 });
    const keys = ['20-alpine', '20.11-alpine', '20.11.0-alpine3.19'].map((t) => ({ kind: 'image-digest', ref: `${reg.host}/library/node:${t}` }));
    const r = await h.resolve(keys);
    expect([...r.values()].every((x) => 'ok' in x)).toBe(true);
    expect(h.counters.head).toBe(3);
  });
});

describe('image-tags', () => {
  it('lists all tags (distribution 2.8 ignores `n` and answers in one page; paging is tested on a fake server)', async () => {
    const h = handler({ tagsPageSize: 2 });
    const key = { kind: 'image-tags', ref: `${reg.host}/library/paged` };
    const a = (await h.resolve([key])).get(lookupId(key)) as Answer<{ tags: string[] }>;
    expect([...ok(a).tags].sort()).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(h.counters.tags).toBe(1);
  });
  it('unknown repository → not-found', async () => {
    expect(await ask({ kind: 'image-tags', ref: `${reg.host}/library/missing` })).toMatchObject({ error: { code: 'not-found' } });
  });
});

describe('image-config', () => {
  it('reads the linux/amd64 config of an index by default', async () => {
    const a = ok(await ask({ kind: 'image-config', ref: `${reg.host}/library/node:20-alpine` }));
    expect(a).toEqual({
      user: 'node',
      workingDir: '/app',
      volumes: ['/data'],
      exposedPorts: ['3000/tcp'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      entrypoint: ['docker-entrypoint.sh'],
      cmd: ['node'],
      os: 'linux',
      architecture: 'amd64',
    });
  });
  it('reads the image HEALTHCHECK (config.Healthcheck), durations in nanoseconds; NONE and an empty Test', async () => {
    await seedImage(reg, 'acme/healthy', ['1'], {
      format: 'docker',
      platforms: [{
        os: 'linux', architecture: 'amd64',
        config: { Healthcheck: { Test: ['CMD-SHELL', 'wget -q --spider http://127.0.0.1:8080/health || exit 1'], Interval: 30_000_000_000, Timeout: 0, Retries: 3 } },
      }],
    });
    await seedImage(reg, 'acme/unhealthy', ['1'], { platforms: [{ os: 'linux', architecture: 'amd64', config: { Healthcheck: { Test: ['NONE'] } } }] });
    await seedImage(reg, 'acme/inherits', ['1'], { platforms: [{ os: 'linux', architecture: 'amd64', config: { Healthcheck: { Test: [] } } }] });
    const a = ok(await ask<ImageConfigAnswer>({ kind: 'image-config', ref: `${reg.host}/acme/healthy:1` }));
    expect(a.healthcheck).toEqual({ test: ['CMD-SHELL', 'wget -q --spider http://127.0.0.1:8080/health || exit 1'], interval: 30_000_000_000, retries: 3 });
    expect(ok(await ask<ImageConfigAnswer>({ kind: 'image-config', ref: `${reg.host}/acme/unhealthy:1` })).healthcheck).toEqual({ test: ['NONE'] });
    expect(ok(await ask<ImageConfigAnswer>({ kind: 'image-config', ref: `${reg.host}/acme/inherits:1` })).healthcheck).toBeUndefined();
    // Images without one (node:20-alpine above) have no healthcheck field.
    expect(ok(await ask<ImageConfigAnswer>({ kind: 'image-config', ref: `${reg.host}/library/busybox:1.36` })).healthcheck).toBeUndefined();
  });
  it('does not serve image-config answers cached before the healthcheck field (versioned cache entries)', async () => {
    const cacheDir = join(tmp, 'config-version');
    const key = { kind: 'image-config', ref: `${reg.host}/library/node:20-alpine` };
    // An answer cached under the unversioned id, as earlier versions stored it, with a made-up user.
    await new LookupCache({ cacheDir }).set(lookupId(key), 'image-config', { ok: { user: 'stale' } }, false);
    const h = createImageHandler({ cacheDir, retryBaseMs: 1 });
    const a = ok((await h.resolve([key])).get(lookupId(key)) as Answer<ImageConfigAnswer>);
    await h.close();
    expect(a.user).toBe('node');
    expect(cacheIdOf(key)).not.toBe(lookupId(key));
  });
  it('reads the arm64 config when asked, from a Docker manifest list', async () => {
    expect(ok(await ask({ kind: 'image-config', ref: `${reg.host}/library/mongo:7`, platform: 'linux/arm64' }))).toMatchObject({ architecture: 'arm64', os: 'linux' });
  });
});

describe('image-file', () => {
  it('finds etc/os-release in an Alpine layer', async () => {
    const a = ok(await ask({ kind: 'image-file', ref: `${reg.host}/library/node:20-alpine`, paths: ['etc/os-release', 'usr/lib/os-release'] }));
    expect(a).toEqual({ path: 'etc/os-release', content: ALPINE_LAYER['etc/os-release'] });
  });
  it('follows etc/os-release → ../usr/lib/os-release (./-prefixed names) through an upper layer', async () => {
    const h = handler();
    const key = { kind: 'image-file', ref: `${reg.host}/library/debian:bookworm`, paths: ['./etc/os-release'] };
    const a = ok((await h.resolve([key])).get(lookupId(key)) as Answer);
    expect(a).toEqual({ path: './etc/os-release', content: DEBIAN_LAYER['./usr/lib/os-release'] });
    expect(h.counters.blob).toBe(2);
  });
  it('arm64 variant and a missing file', async () => {
    expect(ok(await ask({ kind: 'image-file', ref: `${reg.host}/library/node:20-alpine`, platform: 'linux/arm64', paths: ['etc/os-release'] }))).toEqual({
      path: 'etc/os-release',
      content: 'ID=alpine\nARCH=arm64\n',
    });
    expect(ok(await ask({ kind: 'image-file', ref: `${reg.host}/library/debian:bookworm`, paths: ['etc/issue', 'etc/alpine-release'] }))).toEqual({ path: null, content: null });
  });
});

describe('cache', () => {
  it('a second run makes zero requests; offline reads it; offline misses are errors; noCache bypasses it', async () => {
    const cacheDir = join(tmp, 'cache1');
    const keys: LookupKey[] = [
      { kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine` },
      { kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine`, platform: 'linux/arm64' },
      { kind: 'image-tags', ref: `${reg.host}/library/node` },
      { kind: 'image-config', ref: `${reg.host}/library/node:20-alpine` },
      { kind: 'image-file', ref: `${reg.host}/library/debian:bookworm`, paths: ['etc/os-release'] },
    ];
    const first = createImageHandler({ cacheDir });
    const a1 = await first.resolve(keys);
    expect([...a1.values()].every((a) => 'ok' in a)).toBe(true);
    expect(first.counters.head).toBeGreaterThan(0);

    const second = createImageHandler({ cacheDir });
    const a2 = await second.resolve(keys);
    expect(second.counters).toEqual({ token: 0, head: 0, get: 0, blob: 0, tags: 0 });
    for (const k of keys) {
      const x = a2.get(lookupId(k)) as Answer;
      expect('ok' in x && x.ok).toEqual('ok' in (a1.get(lookupId(k)) as Answer) && (a1.get(lookupId(k)) as { ok: unknown }).ok);
      expect('ok' in x && x.source).toMatch(/cached/);
    }

    const offline = createImageHandler({ cacheDir, offline: true });
    const miss = { kind: 'image-digest', ref: `${reg.host}/library/redis:7` };
    const a3 = await offline.resolve([...keys, miss]);
    expect('ok' in (a3.get(lookupId(keys[0] as LookupKey)) as Answer)).toBe(true);
    expect(a3.get(lookupId(miss))).toEqual({
      error: { code: 'offline-miss', message: `${reg.host}/library/redis:7: no cached answer for image-digest of ${reg.host}/library/redis:7 (offline mode)` },
    });
    expect(offline.counters.head).toBe(0);

    const fresh = createImageHandler({ cacheDir, noCache: true });
    await fresh.resolve([keys[0] as LookupKey]);
    expect(fresh.counters.head).toBe(1);
  });

  it('an expired digest is asked again, but immutable manifests come from the blob cache (HEAD only)', async () => {
    const cacheDir = join(tmp, 'cache2');
    const key = { kind: 'image-digest', ref: `${reg.host}/library/node:20-alpine`, platform: 'linux/amd64' };
    const first = createImageHandler({ cacheDir, cacheTtl: { 'image-digest': -1 } });
    await first.resolve([key]);
    expect(first.counters).toMatchObject({ head: 1, get: 1 });
    const second = createImageHandler({ cacheDir, cacheTtl: { 'image-digest': -1 } });
    const a = (await second.resolve([key])).get(lookupId(key)) as Answer<{ digest: string }>;
    expect(ok(a).digest).toBe(multi.platforms['linux/amd64']?.digest);
    expect(second.counters).toMatchObject({ head: 1, get: 0 });
  });
});
