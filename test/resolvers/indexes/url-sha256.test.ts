/** url-sha256 against a loopback server. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lookupId } from '../../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../../src/engine/types.js';
import type { PackageIndexSettings } from '../../../src/resolvers/package-types.js';
import { createUrlSha256Handler } from '../../../src/resolvers/url-sha256.js';
import { useIndexServer } from './static-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data');
const FILE = 'debian/debian/dists/bookworm/main/binary-amd64/Packages.gz';
const idx = useIndexServer(FIXTURES, 'url');

async function settings(extra: PackageIndexSettings = {}): Promise<PackageIndexSettings> {
  const cacheDir = await idx.tempCacheDir();
  return { cacheDir, retryBaseMs: 1, ...extra };
}

async function ask(keys: LookupKey[], s: PackageIndexSettings) {
  const h = createUrlSha256Handler(s);
  const res = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => res.get(lookupId(k)) as Answer), counters: h.counters };
}

describe('url-sha256', () => {
  it('hashes what the URL serves, once for duplicate keys, and caches it', async () => {
    const bytes = await readFile(join(FIXTURES, FILE));
    const expected = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const k = { kind: 'url-sha256', url: `${idx.srv.url}/${FILE}` };
    const s = await settings();
    const { answers, counters } = await ask([k, { ...k }], s);
    expect(answers[0]).toEqual({ ok: { sha256: expected, size: bytes.length }, source: `${idx.srv.url}/${FILE}` });
    expect(idx.srv.requests).toHaveLength(1);
    expect(counters).toMatchObject({ download: 1 });
    idx.srv.reset();
    const again = await ask([k], s);
    expect(again.answers[0]).toMatchObject({ ok: { sha256: expected } });
    expect(idx.srv.requests).toHaveLength(0);
  });

  it('refuses plain http to non-loopback hosts', async () => {
    const { answers } = await ask([{ kind: 'url-sha256', url: 'http://example.com/file.tar.gz' }, { kind: 'url-sha256', url: 'ftp://x/y' }, { kind: 'url-sha256', url: 'nope' }], await settings());
    expect(answers.map((a) => ('error' in a ? a.error.code : 'ok'))).toEqual(['invalid', 'invalid', 'invalid']);
  });

  it('reports 404 as not-found', async () => {
    const { answers } = await ask([{ kind: 'url-sha256', url: `${idx.srv.url}/missing.tar.gz` }], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'not-found' } });
  });
});
