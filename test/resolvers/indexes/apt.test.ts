/**
 * apt-version against a loopback mirror serving the trimmed REAL Debian bookworm indexes in
 * test/fixtures-data/debian (see SOURCE.md there): bookworm (Release only, Packages.gz listed), bookworm-updates
 * (InRelease, only Packages + Packages.xz listed) and bookworm-security on its own base URL.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lookupId } from '../../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../../src/engine/types.js';
import { createAptHandler } from '../../../src/resolvers/apt.js';
import type { AptVersionAnswer, PackageIndexSettings } from '../../../src/resolvers/package-types.js';
import { useIndexServer } from './static-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data/debian');
const idx = useIndexServer(FIXTURES, 'apt');

async function settings(extra: PackageIndexSettings = {}): Promise<PackageIndexSettings> {
  const cacheDir = await idx.tempCacheDir();
  return { debianMirror: `${idx.srv.url}/debian`, debianSecurityMirror: `${idx.srv.url}/debian-security`, cacheDir, retryBaseMs: 1, ...extra };
}

async function ask(keys: LookupKey[], s: PackageIndexSettings) {
  const h = createAptHandler(s);
  const res = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => res.get(lookupId(k)) as Answer), counters: h.counters };
}

const key = (name: string, extra: Record<string, unknown> = {}): LookupKey => ({ kind: 'apt-version', distro: 'debian', suite: 'bookworm', arch: 'amd64', name, ...extra });
const show = (a: Answer) => ('ok' in a ? `${(a.ok as AptVersionAnswer).version}@${(a.ok as AptVersionAnswer).suite}` : a.error.code);

describe('apt-version (real bookworm indexes)', () => {
  it('picks the highest version across pockets, downloading each index once', async () => {
    const names = ['openssl', 'libssl3', 'curl', 'tzdata', 'ca-certificates', 'git', 'gosu', 'apt', 'unzip', 'sudo', 'openssh-client', 'libc6', 'xz-utils', 'procps', 'vim', 'linux-doc'];
    const { answers, counters } = await ask(names.map((n) => key(n)), await settings());
    expect(Object.fromEntries(names.map((n, i) => [n, show(answers[i] as Answer)]))).toEqual({
      openssl: '3.0.22-1~deb12u2@bookworm-security', // security newer than the point release
      libssl3: '3.0.22-1~deb12u2@bookworm-security',
      curl: '7.88.1-10+deb12u15@bookworm', // main newer than security (deb12u15 > deb12u5)
      tzdata: '2026f-0+deb12u1@bookworm-security', // three pockets, security newest
      'ca-certificates': '20250419~deb12u2@bookworm-security',
      git: '1:2.39.5-0+deb12u3@bookworm', // with epoch
      gosu: '1.14-1+b10@bookworm',
      apt: '2.6.2@bookworm-security',
      unzip: '6.0-28+deb12u1@bookworm-security',
      sudo: '1.9.13p3-1+deb12u4@bookworm',
      'openssh-client': '1:9.2p1-2+deb12u10@bookworm', // updates has deb12u7, security deb12u9
      libc6: '2.36-9+deb12u14@bookworm',
      'xz-utils': '5.4.1-1+deb12u2@bookworm-security',
      procps: '2:4.0.2-3@bookworm',
      vim: '2:9.0.1378-2+deb12u2@bookworm',
      'linux-doc': '6.1.176-1@bookworm', // two stanzas in one Packages file
    });
    expect(answers[0]).toMatchObject({ ok: { name: 'openssl', pocket: '-security', component: 'main', index: `${idx.srv.url}/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz` } });
    expect(idx.srv.requests.map((r) => `${r.status} ${r.path}`).sort()).toEqual([
      '200 /debian-security/dists/bookworm-security/Release',
      '200 /debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz', // no .gz listed: .xz, as the real archive serves
      '200 /debian/dists/bookworm-updates/InRelease',
      '200 /debian/dists/bookworm-updates/main/binary-amd64/Packages.xz',
      '200 /debian/dists/bookworm/Release',
      '200 /debian/dists/bookworm/main/binary-amd64/Packages.gz', // .gz preferred when listed
      '404 /debian-security/dists/bookworm-security/InRelease',
      '404 /debian/dists/bookworm/InRelease',
    ]);
    expect(counters).toMatchObject({ release: 5, index: 3, retries: 0 });
  });

  it('respects the pockets asked for', async () => {
    const s = await settings();
    const { answers } = await ask([key('openssl', { pockets: [''] }), key('openssl', { pockets: ['', '-updates'] }), key('tzdata', { pockets: ['-updates'] })], s);
    expect(answers.map(show)).toEqual(['3.0.20-1~deb12u2@bookworm', '3.0.20-1~deb12u2@bookworm', '2025b-0+deb12u1@bookworm-updates']);
  });

  it('selects the architecture', async () => {
    const { answers } = await ask([key('apg'), key('apg', { arch: 'arm64' }), key('autossh', { arch: 'arm64' }), key('libc6-i386', { arch: 'arm64' }), key('libc6-i386')], await settings());
    expect(answers.map(show)).toEqual(['2.2.3.dfsg.1-5+b2@bookworm', '2.2.3.dfsg.1-5+b1@bookworm', '1.4g-1@bookworm', 'not-found', '2.36-9+deb12u14@bookworm']);
    // bookworm-updates lists no binary-arm64: an empty index for that pocket, not an error.
    expect(idx.srv.count((p) => p.includes('bookworm-updates/main/binary-arm64'))).toBe(0);
  });

  it('reports a package in no pocket as not-found, naming the suites', async () => {
    const { answers } = await ask([key('no-such-package')], await settings());
    expect(answers[0]).toEqual({
      error: { code: 'not-found', message: 'apt package no-such-package not found in debian bookworm, bookworm-updates, bookworm-security (main) for amd64' },
    });
  });

  it('reports a missing suite as not-found and skips missing optional pockets', async () => {
    const { answers } = await ask([key('curl', { suite: 'buster' }), key('curl', { pockets: ['', '-backports'] })], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'not-found', message: expect.stringContaining('suite buster not found') } });
    expect(answers[1]).toMatchObject({ ok: { version: '7.88.1-10+deb12u15' } });
  });

  it('fails with digest-mismatch when a Packages.xz differs from its Release entry (another valid xz file)', async () => {
    const path = '/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz';
    // A mirror serving a stale or wrong file: the arm64 index, valid xz, not the one the Release lists.
    const other = await readFile(join(FIXTURES, '/debian-security/dists/bookworm-security/main/binary-arm64/Packages.xz'));
    idx.srv.faults.push({ kind: 'body', body: other, match: (p) => p === path });
    const { answers } = await ask([key('openssl')], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'digest-mismatch', message: expect.stringContaining('bookworm-security/main/binary-amd64/Packages.xz') } });
  });

  it('fails with digest-mismatch when a Packages.xz is not xz at all', async () => {
    const path = '/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz';
    idx.srv.faults.push({ kind: 'body', body: 'Package: openssl\nVersion: 9.9.9\n', match: (p) => p === path });
    const { answers } = await ask([key('openssl')], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'digest-mismatch' } });
  });

  it('fails with digest-mismatch when a Packages.gz is not the listed one', async () => {
    idx.srv.faults.push({ kind: 'body', body: Buffer.from('garbage'), match: (p) => p.endsWith('/bookworm/main/binary-amd64/Packages.gz') });
    const { answers } = await ask([key('curl', { pockets: [''] })], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'digest-mismatch' } });
  });

  it('retries 429 and 500 answers', async () => {
    idx.srv.faults.push({ kind: 'status', status: 429, retryAfter: '0', match: (p) => p.endsWith('Packages.gz') });
    idx.srv.faults.push({ kind: 'status', status: 500, match: (p) => p.endsWith('/bookworm/Release') });
    const { answers, counters } = await ask([key('curl', { pockets: [''] })], await settings());
    expect(answers[0]).toMatchObject({ ok: { version: '7.88.1-10+deb12u15' } });
    expect(idx.srv.count((p) => p.endsWith('Packages.gz'))).toBe(2);
    expect(idx.srv.count((p) => p.endsWith('/bookworm/Release'))).toBe(2);
    expect(counters).toMatchObject({ retries: 2 });
  });

  it('answers a second run from the disk cache with zero requests', async () => {
    const s = await settings();
    const names = ['openssl', 'curl', 'tzdata'];
    const first = await ask(names.map((n) => key(n)), s);
    expect(idx.srv.requests.length).toBe(8);
    idx.srv.reset();
    const second = await ask([...names, 'git'].map((n) => key(n)), s);
    expect(idx.srv.requests).toHaveLength(0);
    expect(second.answers.slice(0, 3).map(show)).toEqual(first.answers.map(show));
    expect(show(second.answers[3] as Answer)).toBe('1:2.39.5-0+deb12u3@bookworm');
    expect(second.answers[0]).toMatchObject({ source: expect.stringContaining('cached') });
  });

  it('does not use the disk cache with noCache', async () => {
    const s = await settings({ noCache: true });
    await ask([key('curl', { pockets: [''] })], s);
    await ask([key('curl', { pockets: [''] })], s);
    expect(idx.srv.count((p) => p.endsWith('Packages.gz'))).toBe(2);
  });
});
