/**
 * npm-version (static packument server): a loopback server serves real-format abbreviated packuments from
 * test/fixtures-data/npm and injects faults. The real-registry test is test/lock/lock-npm-global.verdaccio.e2e.test.ts
 * (verdaccio, see test/fixtures-data/README.md).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lookupId } from '../../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../../src/engine/types.js';
import { createNpmHandler } from '../../../src/resolvers/npm.js';
import type { PackageIndexSettings } from '../../../src/resolvers/package-types.js';
import { useIndexServer } from './static-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data/npm');
const idx = useIndexServer(FIXTURES, 'npm');

async function settings(extra: PackageIndexSettings = {}): Promise<PackageIndexSettings> {
  const cacheDir = await idx.tempCacheDir();
  return { npmRegistry: idx.srv.url, cacheDir, retryBaseMs: 1, ...extra };
}

async function ask(keys: LookupKey[], s: PackageIndexSettings) {
  const h = createNpmHandler(s);
  const res = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => res.get(lookupId(k)) as Answer), counters: h.counters };
}

const key = (name: string, range?: string, extra: Record<string, unknown> = {}): LookupKey => ({ kind: 'npm-version', name, ...(range !== undefined ? { range } : {}), ...extra });
const show = (a: Answer) => ('ok' in a ? (a.ok as { version: string }).version : a.error.code);

describe('npm-version (static packument server)', () => {
  it('resolves ranges against one packument per package', async () => {
    const keys = [
      key('express'),
      key('express', '^4.17.0'),
      key('express', '~4.19.0'),
      key('express', '4.18.x'),
      key('express', '>=4.18 <4.20'),
      key('express', '4.17.1 - 4.18'),
      key('express', '^5.0.0-beta.1'),
      key('express', '5.0.0-beta.2'),
      key('express', 'next'),
      key('express', 'latest-4'),
      key('express', '<4 || ^6'),
      key('express', '*'),
    ];
    const { answers, counters } = await ask(keys, await settings());
    expect(answers.map(show)).toEqual(['5.1.0', '4.21.2', '4.19.2', '4.18.2', '4.19.2', '4.18.2', '5.1.0', '5.0.0-beta.2', '5.0.0-beta.3', '4.21.2', 'not-found', '5.1.0']);
    expect(idx.srv.requests).toHaveLength(1);
    expect(idx.srv.requests[0]).toMatchObject({ rawPath: '/express', accept: expect.stringMatching(/^application\/vnd\.npm\.install-v1\+json/) });
    expect(counters).toMatchObject({ packument: 1 });
    expect(answers[0]).toEqual({ ok: { name: 'express', version: '5.1.0', registry: `${idx.srv.url}/express` }, source: `${idx.srv.url}/express` });
  });

  it('sends scoped names URL-encoded', async () => {
    const { answers } = await ask([key('@types/node', '^20'), key('@types/node'), key('@types/node', '18')], await settings());
    expect(answers.map(show)).toEqual(['20.17.10', '22.10.2', '18.19.67']);
    expect(idx.srv.requests.map((r) => r.rawPath)).toEqual(['/@types%2Fnode']);
  });

  it('avoids deprecated versions unless nothing else matches', async () => {
    const { answers } = await ask([key('uuid', '^3'), key('uuid', '^11.0.0'), key('uuid', '11.0.0'), key('uuid', '>=10')], await settings());
    expect(answers.map(show)).toEqual(['3.4.0', '11.0.3', '11.0.0', '11.0.3']);
  });

  it('honours a per-key registry with a path', async () => {
    const { answers } = await ask([key('express', '^4', { registry: `${idx.srv.url}/` })], await settings({ npmRegistry: 'http://127.0.0.1:1' }));
    expect(answers.map(show)).toEqual(['4.21.2']);
  });

  it('reports unknown packages and unparseable ranges', async () => {
    const { answers } = await ask([key('no-such-package'), key('express', 'github:expressjs/express'), key('../x')], await settings());
    expect(answers[0]).toEqual({ error: { code: 'not-found', message: `npm package no-such-package not found on ${idx.srv.url}/` } });
    expect(answers[1]).toMatchObject({ error: { code: 'invalid' } });
    expect(answers[2]).toMatchObject({ error: { code: 'invalid' } });
  });

  it('retries 500 and 429, then answers', async () => {
    idx.srv.faults.push({ kind: 'status', status: 500 }, { kind: 'status', status: 429, retryAfter: '0' });
    const { answers, counters } = await ask([key('express', '^4')], await settings());
    expect(answers.map(show)).toEqual(['4.21.2']);
    expect(idx.srv.requests).toHaveLength(3);
    expect(counters).toMatchObject({ packument: 1, retries: 2 });
  });

  it('maps persistent 5xx to network', async () => {
    idx.srv.faults.push({ kind: 'status', status: 502, times: 5 });
    const { answers } = await ask([key('express')], await settings({ retries: 1 }));
    expect(answers[0]).toMatchObject({ error: { code: 'network', message: expect.stringContaining('HTTP 502') } });
  });

  it('answers a second run from the disk cache with zero requests', async () => {
    const s = await settings();
    await ask([key('express'), key('@types/node')], s);
    idx.srv.reset();
    const { answers } = await ask([key('express', '^4'), key('@types/node', '^22')], s);
    expect(answers.map(show)).toEqual(['4.21.2', '22.10.2']);
    expect(idx.srv.requests).toHaveLength(0);
  });
});
