/** apk-version against a loopback mirror serving APKINDEX.tar.gz files packed from test/fixtures-data/apk. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lookupId } from '../../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../../src/engine/types.js';
import { createApkHandler } from '../../../src/resolvers/apk.js';
import type { PackageIndexSettings } from '../../../src/resolvers/package-types.js';
import { apkIndexTarGz } from './apkindex.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data/apk');
let root: string;
let srv: StaticServer;
let cacheDir: string;

async function packAll(dir: string, out: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const src = join(dir, e.name);
    if (e.isDirectory()) await packAll(src, join(out, e.name));
    else if (e.name === 'APKINDEX') {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'APKINDEX.tar.gz'), apkIndexTarGz(await readFile(src, 'utf8')));
    }
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'harden-apk-'));
  await packAll(FIXTURES, join(root, 'alpine'));
  srv = await startStaticServer(root);
});
afterAll(async () => {
  await srv?.close();
  await rm(root, { recursive: true, force: true });
});
afterEach(async () => {
  srv.reset();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

async function settings(extra: PackageIndexSettings = {}): Promise<PackageIndexSettings> {
  cacheDir = await mkdtemp(join(tmpdir(), 'harden-apk-cache-'));
  return { apkMirror: `${srv.url}/alpine`, cacheDir, retryBaseMs: 1, ...extra };
}

async function ask(keys: LookupKey[], s: PackageIndexSettings) {
  const h = createApkHandler(s);
  const res = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => res.get(lookupId(k)) as Answer), counters: h.counters };
}

const key = (name: string, extra: Record<string, unknown> = {}): LookupKey => ({ kind: 'apk-version', branch: 'v3.19', arch: 'x86_64', name, ...extra });

describe('apk-version', () => {
  it('resolves packages from main and community with one download per index', async () => {
    const names = ['curl', 'git', 'bash', 'ca-certificates', 'openssl', 'tzdata', 'gosu', 'tini', 'py3-pip', 'nodejs', 'npm', 'su-exec'];
    const { answers, counters } = await ask(names.map((n) => key(n)), await settings());
    expect(answers.map((a) => ('ok' in a ? `${(a.ok as { name: string }).name}=${(a.ok as { version: string }).version}@${(a.ok as { repo: string }).repo}` : a.error.code))).toEqual([
      'curl=8.5.0-r0@main',
      'git=2.43.0-r0@main',
      'bash=5.2.21-r0@main',
      'ca-certificates=20230506-r0@main',
      'openssl=3.1.4-r2@main',
      'tzdata=2023c-r1@main',
      'gosu=1.16-r4@community',
      'tini=0.19.0-r2@community',
      'py3-pip=23.3.1-r0@community',
      'nodejs=20.10.0-r1@community',
      'npm=10.2.5-r0@community',
      'su-exec=0.2-r3@main',
    ]);
    expect(srv.count((p) => p === '/alpine/v3.19/main/x86_64/APKINDEX.tar.gz')).toBe(1);
    expect(srv.count((p) => p === '/alpine/v3.19/community/x86_64/APKINDEX.tar.gz')).toBe(1);
    expect(srv.requests).toHaveLength(2);
    expect(counters).toMatchObject({ index: 2, retries: 0 });
    expect(answers[0]).toMatchObject({ source: `${srv.url}/alpine/v3.19/main/x86_64/APKINDEX.tar.gz` });
  });

  it('selects the architecture and the branch', async () => {
    const s = await settings();
    const { answers } = await ask(
      [key('openssl', { arch: 'aarch64' }), key('openssl'), key('curl', { branch: 'edge', repos: ['main'] }), key('curl', { branch: '3.19' })],
      s,
    );
    expect(answers.map((a) => ('ok' in a ? (a.ok as { version: string }).version : a.error.code))).toEqual(['3.1.4-r3', '3.1.4-r2', '8.11.1-r0', '8.5.0-r0']);
    const { answers: missing } = await ask([key('syslinux', { arch: 'aarch64' })], s);
    expect(missing[0]).toMatchObject({ error: { code: 'not-found' } });
  });

  it('accepts repository URLs as written in /etc/apk/repositories', async () => {
    const { answers } = await ask([key('gosu', { repos: [`${srv.url}/alpine/v3.19/main`, `@community ${srv.url}/alpine/v3.19/community`] })], await settings());
    expect(answers[0]).toMatchObject({ ok: { name: 'gosu', version: '1.16-r4', repo: `${srv.url}/alpine/v3.19/community` } });
  });

  it('resolves provided names to the providing package, by provider priority', async () => {
    const { answers } = await ask([key('cmd:curl'), key('so:libcurl.so.4'), key('/bin/sh'), key('cmd:sh'), key('cmd:pip'), key('cmd:ssh')], await settings());
    expect(answers[0]).toMatchObject({ ok: { name: 'curl', version: '8.5.0-r0', provides: 'cmd:curl' } });
    expect(answers[1]).toMatchObject({ ok: { name: 'libcurl', version: '8.5.0-r0', provides: 'so:libcurl.so.4' } });
    expect(answers[2]).toMatchObject({ ok: { name: 'busybox-binsh', provides: '/bin/sh' } });
    expect(answers[3]).toMatchObject({ ok: { name: 'busybox-binsh', version: '1.36.1-r15' } });
    expect(answers[4]).toMatchObject({ ok: { name: 'py3-pip', repo: 'community' } });
    // openssh-client-default and -krb5 both provide cmd:ssh with no priority: apk would not choose either.
    expect(answers[5]).toMatchObject({ error: { code: 'invalid', message: expect.stringContaining('openssh-client-default, openssh-client-krb5') } });
  });

  it('reports packages missing from every index, naming them', async () => {
    const { answers } = await ask([key('no-such-package')], await settings());
    expect(answers[0]).toEqual({ error: { code: 'not-found', message: 'apk package no-such-package not found in Alpine v3.19 (main, community) for x86_64' } });
  });

  it('reports a missing branch as not-found', async () => {
    const { answers } = await ask([key('curl', { branch: 'v2.0' })], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'not-found', message: expect.stringContaining('APKINDEX for v2.0/main/x86_64') } });
  });

  it('retries a 429 and a 503', async () => {
    srv.faults.push({ kind: 'status', status: 429, retryAfter: '0', match: (p) => p.includes('/main/') });
    srv.faults.push({ kind: 'status', status: 503, match: (p) => p.includes('/community/') });
    const { answers, counters } = await ask([key('curl'), key('gosu')], await settings());
    expect(answers.map((a) => 'ok' in a)).toEqual([true, true]);
    expect(srv.requests).toHaveLength(4);
    expect(counters).toMatchObject({ index: 2, retries: 2 });
  });

  it('gives up with rate-limited after the retries', async () => {
    srv.faults.push({ kind: 'status', status: 429, retryAfter: '0', times: 10 });
    const { answers } = await ask([key('curl', { repos: ['main'] })], await settings({ retries: 2 }));
    expect(answers[0]).toMatchObject({ error: { code: 'rate-limited' } });
    expect(srv.requests).toHaveLength(3);
  });

  it('times out', async () => {
    srv.faults.push({ kind: 'hang', times: 5 });
    const { answers } = await ask([key('curl', { repos: ['main'] })], await settings({ retries: 0, timeoutMs: 200 }));
    expect(answers[0]).toMatchObject({ error: { code: 'timeout' } });
  });

  it('reports a corrupt index as invalid', async () => {
    srv.faults.push({ kind: 'body', body: 'not gzip at all' });
    const { answers } = await ask([key('curl', { repos: ['main'] })], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'invalid' } });
  });

  it('answers a second run from the disk cache without requests', async () => {
    const s = await settings();
    const first = await ask([key('curl'), key('gosu')], s);
    expect(srv.requests).toHaveLength(2);
    srv.reset();
    const second = await ask([key('curl'), key('gosu'), key('cmd:sh')], s);
    expect(srv.requests).toHaveLength(0);
    expect(second.answers.slice(0, 2).map((a) => ('ok' in a ? a.ok : a))).toEqual(first.answers.map((a) => ('ok' in a ? a.ok : a)));
    expect(second.answers[2]).toMatchObject({ ok: { name: 'busybox-binsh' } });
    // An expired entry is fetched again.
    const third = await ask([key('curl')], { ...s, indexTtlMs: 0 });
    expect(third.answers[0]).toMatchObject({ ok: { version: '8.5.0-r0' } });
    expect(srv.requests.length).toBeGreaterThan(0);
  });

  it('offline: answers from the cache, misses are offline-miss', async () => {
    const s = await settings();
    await ask([key('curl', { repos: ['main'] })], s);
    srv.reset();
    const { answers } = await ask([key('curl', { repos: ['main'] }), key('gosu', { repos: ['community'] })], { ...s, offline: true });
    expect(answers[0]).toMatchObject({ ok: { version: '8.5.0-r0' } });
    expect(answers[1]).toMatchObject({ error: { code: 'offline-miss' } });
    expect(srv.requests).toHaveLength(0);
  });

  it('bounds the requests in flight', async () => {
    srv.delayMs = 50;
    const keys = ['x86_64', 'aarch64'].flatMap((arch) => [key('curl', { arch }), key('gosu', { arch })]);
    const { answers } = await ask(keys, await settings({ concurrency: 1 }));
    expect(answers.every((a) => 'ok' in a)).toBe(true);
    expect(srv.requests).toHaveLength(4);
    expect(srv.maxInFlight).toBe(1);
    srv.reset();
    srv.delayMs = 50;
    await ask(keys, await settings({ concurrency: 4 }));
    expect(srv.maxInFlight).toBe(4);
  });

  it('rejects keys without a name', async () => {
    const { answers } = await ask([{ kind: 'apk-version', branch: 'v3.19' }], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'invalid' } });
  });
});
