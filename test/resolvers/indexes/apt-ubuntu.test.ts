/**
 * apt-version for Ubuntu against a loopback mirror serving the trimmed REAL jammy indexes in test/fixtures-data/ubuntu
 * (see SOURCE.md there): jammy and jammy-updates under /ubuntu (ubuntuMirror), jammy-security under /ubuntu-security
 * (ubuntuSecurityMirror). As on archive.ubuntu.com, every suite has InRelease and Release, and each Release lists
 * Packages, Packages.gz and Packages.xz while the plain Packages is not served.
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
import { JAMMY_AMD64_REQUESTS } from '../../support/index-servers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data/ubuntu');
const idx = useIndexServer(FIXTURES, 'apt-ubuntu');

async function settings(extra: PackageIndexSettings = {}): Promise<PackageIndexSettings> {
  const cacheDir = await idx.tempCacheDir();
  return { ubuntuMirror: `${idx.srv.url}/ubuntu`, ubuntuSecurityMirror: `${idx.srv.url}/ubuntu-security`, cacheDir, retryBaseMs: 1, ...extra };
}

async function ask(keys: LookupKey[], s: PackageIndexSettings) {
  const h = createAptHandler(s);
  const res = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => res.get(lookupId(k)) as Answer), counters: h.counters };
}

const key = (name: string, extra: Record<string, unknown> = {}): LookupKey => ({ kind: 'apt-version', distro: 'ubuntu', suite: 'jammy', arch: 'amd64', name, ...extra });
const show = (a: Answer) => ('ok' in a ? `${(a.ok as AptVersionAnswer).version}@${(a.ok as AptVersionAnswer).suite}` : a.error.code);
const byName = (names: string[], answers: Answer[]) => Object.fromEntries(names.map((n, i) => [n, show(answers[i] as Answer)]));

describe('apt-version (real Ubuntu jammy indexes)', () => {
  it('picks the highest version across jammy, jammy-updates and jammy-security, downloading each index once', async () => {
    const names = ['curl', 'git', 'openssl', 'libssl3', 'ca-certificates', 'tzdata', 'sudo', 'python3', 'unzip', 'nano', 'zip', 'ncurses-base', 'procps'];
    const { answers, counters } = await ask(names.map((n) => key(n)), await settings());
    expect(byName(names, answers)).toEqual({
      // -updates and -security carry the same version: the tie goes to the earlier pocket.
      curl: '7.81.0-1ubuntu1.30@jammy-updates',
      git: '1:2.34.1-1ubuntu1.18@jammy-updates', // with epoch
      openssl: '3.0.2-0ubuntu1.30@jammy-updates',
      libssl3: '3.0.2-0ubuntu1.30@jammy-updates',
      'ca-certificates': '20260816ubuntu0.22.04.2@jammy-updates',
      tzdata: '2026f-0ubuntu0.22.04.1@jammy-updates',
      sudo: '1.9.9-1ubuntu2.7@jammy-updates',
      // -updates newer than -security ('~22.04.1' > '~22.04', 'ubuntu3.2' > 'ubuntu3.1'): not a tie.
      python3: '3.10.6-1~22.04.1@jammy-updates',
      unzip: '6.0-26ubuntu3.2@jammy-updates',
      nano: '6.2-1ubuntu0.3@jammy-updates',
      zip: '3.0-12build2@jammy', // never updated: only the release pocket has it
      'ncurses-base': '6.3-2ubuntu0.3@jammy-updates', // two stanzas in one Packages file: the higher one
      procps: '2:3.3.17-6ubuntu2.1@jammy-updates',
    });
    expect(answers[0]).toMatchObject({
      ok: { name: 'curl', pocket: '-updates', component: 'main', index: `${idx.srv.url}/ubuntu/dists/jammy-updates/main/binary-amd64/Packages.gz` },
    });
    // InRelease exists for every suite (no Release fallback); .gz is preferred; the listed but unserved plain Packages
    // is never asked for. jammy-security comes from its own base URL, not from the archive's.
    expect(idx.srv.requests.map((r) => `${r.status} ${r.path}`).sort()).toEqual(JAMMY_AMD64_REQUESTS);
    expect(counters).toMatchObject({ release: 3, index: 3, retries: 0 });
  });

  it('answers from jammy-security on the security base URL when -updates is not asked', async () => {
    const names = ['curl', 'python3', 'unzip', 'zip'];
    const { answers } = await ask(names.map((n) => key(n, { pockets: ['', '-security'] })), await settings());
    expect(byName(names, answers)).toEqual({
      curl: '7.81.0-1ubuntu1.30@jammy-security',
      python3: '3.10.6-1~22.04@jammy-security',
      unzip: '6.0-26ubuntu3.1@jammy-security',
      zip: '3.0-12build2@jammy',
    });
    expect(answers[0]).toMatchObject({
      ok: { pocket: '-security', index: `${idx.srv.url}/ubuntu-security/dists/jammy-security/main/binary-amd64/Packages.gz` },
    });
    expect(idx.srv.count((p) => p.includes('jammy-updates'))).toBe(0);
  });

  it('asks ubuntuSecurityMirror, not ubuntuMirror, for the security pocket', async () => {
    // Security pointed at the archive base, which has no jammy-security: the optional pocket is skipped there.
    const { answers } = await ask([key('curl', { pockets: ['', '-security'] })], await settings({ ubuntuSecurityMirror: `${idx.srv.url}/ubuntu` }));
    expect(show(answers[0] as Answer)).toBe('7.81.0-1@jammy');
    expect(idx.srv.requests.map((r) => `${r.status} ${r.path}`).sort()).toEqual([
      '200 /ubuntu/dists/jammy/InRelease',
      '200 /ubuntu/dists/jammy/main/binary-amd64/Packages.gz',
      '404 /ubuntu/dists/jammy-security/InRelease',
      '404 /ubuntu/dists/jammy-security/Release',
    ]);
  });

  it('asks ubuntuPortsMirror for architectures other than amd64 and i386', async () => {
    const { answers } = await ask([key('curl', { arch: 'arm64', pockets: [''] })], await settings({ ubuntuPortsMirror: `${idx.srv.url}/ubuntu-ports` }));
    expect(answers[0]).toMatchObject({ error: { code: 'not-found', message: expect.stringContaining('suite jammy not found') } });
    expect(idx.srv.requests.map((r) => r.path)).toEqual(['/ubuntu-ports/dists/jammy/InRelease', '/ubuntu-ports/dists/jammy/Release']);
  });

  it('reports a package in no pocket as not-found, naming the suites', async () => {
    const { answers } = await ask([key('no-such-package')], await settings());
    expect(answers[0]).toEqual({
      error: { code: 'not-found', message: 'apt package no-such-package not found in ubuntu jammy, jammy-updates, jammy-security (main) for amd64' },
    });
  });

  it('fails with digest-mismatch when a Packages.gz differs from its Release entry (another valid gzip index)', async () => {
    const path = '/ubuntu/dists/jammy-updates/main/binary-amd64/Packages.gz';
    // A mirror serving a stale or wrong file: the security index, valid gzip with the same package names.
    const other = await readFile(join(FIXTURES, 'ubuntu-security/dists/jammy-security/main/binary-amd64/Packages.gz'));
    idx.srv.faults.push({ kind: 'body', body: other, match: (p) => p === path });
    const { answers } = await ask([key('curl')], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'digest-mismatch', message: expect.stringContaining('jammy-updates/main/binary-amd64/Packages.gz') } });
  });
});
