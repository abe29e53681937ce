/**
 * Robustness: a fault-injecting proxy in front of the REAL registry (429 + Retry-After, 5xx, slow answers, dropped
 * connections, missing or corrupted Docker-Content-Digest). Tag-list paging uses a fake server, because
 * distribution 2.8 ignores `n` and never paginates.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lookupId } from '../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../src/engine/types.js';
import { createImageHandler, type RegistrySettings } from '../../src/resolvers/image.js';
import { startFaultProxy, type FaultProxy, type ProxyRequest } from '../support/registry-proxy.js';
import { seedImage, sha256, startRegistry, type SeededImage, type TestRegistry } from '../support/registry.js';

let reg: TestRegistry;
let proxy: FaultProxy;
let img: SeededImage;

beforeAll(async () => {
  reg = await startRegistry();
  img = await seedImage(reg, 'library/node', ['20'], { platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
  proxy = await startFaultProxy(reg.url);
});
afterAll(async () => {
  await proxy?.close();
  await reg?.stop();
});
afterEach(() => {
  proxy.faults.length = 0;
  proxy.requests.length = 0;
});

const isHead = (r: ProxyRequest) => r.method === 'HEAD';
const isManifestGet = (r: ProxyRequest) => r.method === 'GET' && r.path.includes('/manifests/');

async function ask(key: LookupKey, settings: RegistrySettings = {}) {
  const h = createImageHandler({ noCache: true, retryBaseMs: 1, ...settings });
  const started = Date.now();
  const answer = (await h.resolve([key])).get(lookupId(key)) as Answer;
  const elapsed = Date.now() - started;
  await h.close();
  return { answer, counters: h.counters, elapsed };
}

const digestKey = () => ({ kind: 'image-digest', ref: `${proxy.host}/library/node:20` });

describe('retries', () => {
  it('429 with Retry-After (seconds), then ok', async () => {
    proxy.faults.push({ kind: 'status', status: 429, retryAfter: '1', times: 1, match: isHead });
    const { answer, counters, elapsed } = await ask(digestKey());
    expect(answer).toMatchObject({ ok: { digest: img.digest } });
    expect(counters.head).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(950);
  });

  it('429 with Retry-After as an HTTP date, then ok', async () => {
    proxy.faults.push({ kind: 'status', status: 429, retryAfter: new Date(Date.now() + 1000).toUTCString(), times: 1, match: isHead });
    const { answer, counters } = await ask(digestKey());
    expect(answer).toMatchObject({ ok: { digest: img.digest } });
    expect(counters.head).toBe(2);
  });

  it('429 until retries are exhausted → rate-limited', async () => {
    proxy.faults.push({ kind: 'status', status: 429, match: isHead });
    const { answer, counters } = await ask(digestKey(), { retries: 2 });
    expect(answer).toMatchObject({ error: { code: 'rate-limited' } });
    expect('error' in answer && answer.error.message).toContain(`${proxy.host}/library/node:20`);
    expect(counters.head).toBe(3);
  });

  it('a Retry-After beyond the cap fails at once', async () => {
    proxy.faults.push({ kind: 'status', status: 429, retryAfter: '3600', match: isHead });
    const { answer, counters, elapsed } = await ask(digestKey(), { retryMaxDelayMs: 1000 });
    expect(answer).toMatchObject({ error: { code: 'rate-limited' } });
    expect(counters.head).toBe(1);
    expect(elapsed).toBeLessThan(1000);
  });

  it('500 twice, then ok; 503 forever → registry-error', async () => {
    proxy.faults.push({ kind: 'status', status: 500, times: 2, match: isHead });
    const first = await ask(digestKey());
    expect(first.answer).toMatchObject({ ok: { digest: img.digest } });
    expect(first.counters.head).toBe(3);
    proxy.faults.push({ kind: 'status', status: 503, match: isHead });
    const second = await ask(digestKey(), { retries: 1 });
    expect(second.answer).toMatchObject({ error: { code: 'registry-error' } });
    expect(second.counters.head).toBe(2);
  });

  it('slow answers time out (retried, then timeout)', async () => {
    proxy.faults.push({ kind: 'delay', ms: 400, match: isHead });
    const { answer, counters } = await ask(digestKey(), { timeoutMs: 100, retries: 1 });
    expect(answer).toMatchObject({ error: { code: 'timeout' } });
    expect('error' in answer && answer.error.message).toMatch(/did not answer in time/);
    expect(counters.head).toBe(2);
  });

  it('one slow answer, then ok', async () => {
    proxy.faults.push({ kind: 'delay', ms: 400, times: 1, match: isHead });
    const { answer } = await ask(digestKey(), { timeoutMs: 150 });
    expect(answer).toMatchObject({ ok: { digest: img.digest } });
  });

  it('a dropped connection is retried; always dropped → network', async () => {
    proxy.faults.push({ kind: 'drop', times: 1, match: isHead });
    expect((await ask(digestKey())).answer).toMatchObject({ ok: { digest: img.digest } });
    proxy.faults.push({ kind: 'drop', match: isHead });
    const { answer, counters } = await ask(digestKey(), { retries: 2 });
    expect(answer).toMatchObject({ error: { code: 'network' } });
    expect(counters.head).toBe(3);
  });

  it('an unreachable registry → network', async () => {
    const { answer } = await ask({ kind: 'image-digest', ref: '127.0.0.1:1/x:1' }, { retries: 0 });
    expect(answer).toMatchObject({ error: { code: 'network' } });
    expect('error' in answer && answer.error.message).toContain('cannot reach 127.0.0.1:1');
  });
});

describe('digests', () => {
  it('missing Docker-Content-Digest on HEAD → GET with identity encoding, sha256 of the raw bytes', async () => {
    proxy.faults.push({ kind: 'strip-digest', match: (r) => r.path.includes('/manifests/') });
    const { answer, counters } = await ask(digestKey());
    expect(answer).toMatchObject({ ok: { digest: sha256(img.bytes), mediaType: 'application/vnd.oci.image.index.v1+json' } });
    expect(counters).toMatchObject({ head: 1, get: 1 });
    const get = proxy.requests.find(isManifestGet);
    expect(get?.headers['accept-encoding']).toBe('identity');
    expect(String(get?.headers.accept)).toContain('application/vnd.docker.distribution.manifest.list.v2+json');
  });

  it('missing digest, platform asked → the GET bytes are reused for the index', async () => {
    proxy.faults.push({ kind: 'strip-digest', match: (r) => r.path.includes('/manifests/') });
    const { answer, counters } = await ask({ ...digestKey(), platform: 'linux/arm64' });
    expect(answer).toMatchObject({ ok: { digest: img.platforms['linux/arm64']?.digest } });
    expect(counters).toMatchObject({ head: 1, get: 1 });
  });

  it('a corrupted Docker-Content-Digest on a manifest GET → digest-mismatch', async () => {
    proxy.faults.push({ kind: 'corrupt-digest', match: isManifestGet });
    const { answer } = await ask({ ...digestKey(), platform: 'linux/amd64' });
    expect(answer).toMatchObject({ error: { code: 'digest-mismatch' } });
    expect('error' in answer && answer.error.message).toContain(`content hashes to ${img.digest}`);
  });

  it('a corrupted Docker-Content-Digest on the GET fallback → digest-mismatch', async () => {
    proxy.faults.push({ kind: 'strip-digest', match: isHead });
    proxy.faults.push({ kind: 'corrupt-digest', match: isManifestGet });
    const { answer } = await ask(digestKey());
    expect(answer).toMatchObject({ error: { code: 'digest-mismatch' } });
  });
});

describe('tag list paging (fake server)', () => {
  it('follows Link rel="next" until the last page', async () => {
    const all = ['a', 'b', 'c', 'd', 'e'];
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url.search);
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const start = last ? all.indexOf(last) + 1 : 0;
      const tags = all.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < all.length) headers.link = `</v2/x/tags/list?n=${n}&last=${tags.at(-1)}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ name: 'x', tags }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { answer, counters } = await ask({ kind: 'image-tags', ref: `${host}/x` }, { tagsPageSize: 2 });
      expect(answer).toEqual({ ok: { tags: all }, source: `registry ${host}` });
      expect(counters.tags).toBe(3);
      expect(seen).toEqual(['?n=2', '?n=2&last=b', '?n=2&last=d']);
    } finally {
      server.close();
    }
  });
});
