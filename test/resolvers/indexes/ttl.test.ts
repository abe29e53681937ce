/**
 * Each package-index lookup kind keeps its downloaded index on disk for the TTL it declares in LOOKUP_KINDS
 * (src/engine/lookups.ts), measured by the settings' clock: real-format npm packuments and PyPI simple pages are served
 * by a loopback server and the clock is moved by hand, so nothing here waits.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOOKUP_KINDS, lookupId } from '../../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../../src/engine/types.js';
import { createNpmHandler } from '../../../src/resolvers/npm.js';
import type { PackageIndexSettings } from '../../../src/resolvers/package-types.js';
import { createPypiHandler } from '../../../src/resolvers/pypi.js';
import { useIndexServer } from './static-server.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data');
const npm = useIndexServer(join(DATA, 'npm'), 'npm');
const pypi = useIndexServer(join(DATA, 'pypi'), 'pypi');

type Handler = { resolve(keys: LookupKey[]): Promise<Map<string, Answer>>; close(): Promise<void> };

async function ask(make: (s: PackageIndexSettings) => Handler, key: LookupKey, s: PackageIndexSettings): Promise<Answer> {
  const h = make(s);
  const res = await h.resolve([key]);
  await h.close();
  return res.get(lookupId(key)) as Answer;
}

const sourceOf = (a: Answer): string => ('ok' in a ? (a.source ?? '') : `error ${a.error.code}`);

const cases = [
  { kind: 'npm-version' as const, idx: npm, key: { kind: 'npm-version', name: 'express' } as LookupKey, make: createNpmHandler as (s: PackageIndexSettings) => Handler, at: (url: string) => ({ npmRegistry: url }) },
  { kind: 'pypi-version' as const, idx: pypi, key: { kind: 'pypi-version', name: 'requests' } as LookupKey, make: createPypiHandler as (s: PackageIndexSettings) => Handler, at: (url: string) => ({ pypiIndex: `${url}/simple` }) },
];

describe.each(cases)('$kind: the declared cache TTL', ({ kind, idx, key, make, at }) => {
  it('keeps the index on disk exactly for the TTL LOOKUP_KINDS declares, by the given clock', async () => {
    const ttl = LOOKUP_KINDS[kind].ttlMs;
    expect(ttl).toBeGreaterThan(1000);
    let now = Date.UTC(2026, 0, 1);
    const s: PackageIndexSettings = { ...at(idx.srv.url), cacheDir: await idx.tempCacheDir(), retryBaseMs: 1, now: () => now };
    const first = await ask(make, key, s);
    expect(first).toHaveProperty('ok');
    const downloads = idx.srv.requests.length;
    expect(downloads).toBeGreaterThan(0);

    now += (ttl as number) - 1000;
    const fresh = await ask(make, key, s);
    expect(idx.srv.requests).toHaveLength(downloads);
    expect(sourceOf(fresh)).toMatch(/; cached$/);

    now += 2000;
    const stale = await ask(make, key, s);
    expect(idx.srv.requests.length).toBeGreaterThan(downloads);
    expect(sourceOf(stale)).not.toMatch(/cached/);

    // Offline, an expired index is still used, and says so.
    now += 2 * (ttl as number);
    const offline = await ask(make, key, { ...s, offline: true });
    expect(sourceOf(offline)).toMatch(/; cached, expired$/);
  });

  it('--cache-ttl (indexTtlMs) overrides the declared TTL', async () => {
    let now = Date.UTC(2026, 0, 1);
    const s: PackageIndexSettings = { ...at(idx.srv.url), cacheDir: await idx.tempCacheDir(), retryBaseMs: 1, now: () => now, indexTtlMs: 10_000 };
    await ask(make, key, s);
    const downloads = idx.srv.requests.length;
    now += 9_000;
    await ask(make, key, s);
    expect(idx.srv.requests).toHaveLength(downloads);
    now += 2_000;
    await ask(make, key, s);
    expect(idx.srv.requests.length).toBeGreaterThan(downloads);
  });
});
