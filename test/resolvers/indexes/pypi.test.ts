/** pypi-version against a loopback simple index serving PEP 691 JSON and PEP 503 HTML pages (test/fixtures-data/pypi). */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lookupId } from '../../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../../src/engine/types.js';
import type { PackageIndexSettings } from '../../../src/resolvers/package-types.js';
import { createPypiHandler } from '../../../src/resolvers/pypi.js';
import { useIndexServer } from './static-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data/pypi');
const idx = useIndexServer(FIXTURES, 'pypi');

async function settings(extra: PackageIndexSettings = {}): Promise<PackageIndexSettings> {
  const cacheDir = await idx.tempCacheDir();
  return { pypiIndex: `${idx.srv.url}/simple`, cacheDir, retryBaseMs: 1, ...extra };
}

async function ask(keys: LookupKey[], s: PackageIndexSettings) {
  const h = createPypiHandler(s);
  const res = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => res.get(lookupId(k)) as Answer), counters: h.counters };
}

const key = (name: string, specifier?: string, extra: Record<string, unknown> = {}): LookupKey => ({ kind: 'pypi-version', name, ...(specifier !== undefined ? { specifier } : {}), ...extra });
const show = (a: Answer) => ('ok' in a ? (a.ok as { version: string }).version : a.error.code);

describe('pypi-version', () => {
  it('reads PEP 691 JSON pages and picks per specifier, one request per project', async () => {
    const keys = [key('requests'), key('requests', '<2.32'), key('requests', '==2.32.0'), key('requests', '~=2.31.0'), key('requests', '>=2.30,!=2.32.3'), key('requests', '>=3')];
    const { answers, counters } = await ask(keys, await settings());
    // 2.32.0 is yanked on the index: never picked.
    expect(answers.map(show)).toEqual(['2.32.3', '2.31.0', 'not-found', '2.31.0', '2.32.2', 'not-found']);
    expect(idx.srv.requests).toHaveLength(1);
    expect(idx.srv.requests[0]).toMatchObject({ path: '/simple/requests/', status: 200, accept: expect.stringMatching(/^application\/vnd\.pypi\.simple\.v1\+json/) });
    expect(counters).toMatchObject({ page: 1 });
    expect(answers[0]).toMatchObject({ ok: { name: 'requests', index: `${idx.srv.url}/simple/requests/` } });
    expect(answers[5]).toMatchObject({ error: { message: expect.stringContaining("no usable release matching '>=3'") } });
  });

  it('falls back to PEP 503 HTML when the index has no JSON page', async () => {
    const { answers } = await ask([key('Django'), key('django', '>=5.2a1'), key('django', '<5.1'), key('django', '==5.1.*'), key('django', '>5.1.4')], await settings());
    // Pre-releases (5.2a1, 5.2b1, 5.2rc1) only when asked for, or when nothing else matches.
    expect(answers.map(show)).toEqual(['5.1.4', '5.2rc1', '5.0.9', '5.1.4', '5.2rc1']);
    expect(idx.srv.requests.map((r) => r.path)).toEqual(['/simple/django/']);
  });

  it('reads HTML pages with data-yanked (an index that ignores the JSON Accept)', async () => {
    const html = await readFile(join(FIXTURES, 'simple/requests/index.html'), 'utf8');
    idx.srv.faults.push({ kind: 'body', body: html, contentType: 'text/html; charset=utf-8' });
    const { answers } = await ask([key('requests', '==2.32.0'), key('requests'), key('requests', '>2.32.0,<2.32.2')], await settings());
    expect(answers.map(show)).toEqual(['not-found', '2.32.3', '2.32.1']);
    expect(idx.srv.requests).toHaveLength(1);
  });

  it('normalises names, and handles post-releases, legacy sdists and eggs', async () => {
    const { answers } = await ask(
      [key('Python_Dateutil'), key('python-dateutil', '>2.9.0'), key('python-dateutil', '<2'), key('zope.interface'), key('zope.interface', '<7'), key('zope-interface', '==7.0')],
      await settings(),
    );
    // >2.9.0 excludes 2.9.0.post0 (PEP 440); 7.0's sdist is yanked but its wheel is not.
    expect(answers.map(show)).toEqual(['2.9.0.post0', 'not-found', '1.5', '7.2', '6.1', '7.0']);
    expect(answers[0]).toMatchObject({ ok: { name: 'python-dateutil' } });
    expect(idx.srv.requests.map((r) => r.path).sort()).toEqual(['/simple/python-dateutil/', '/simple/zope-interface/']);
  });

  it('reports unknown projects as not-found', async () => {
    const { answers } = await ask([key('no-such-project')], await settings());
    expect(answers[0]).toEqual({ error: { code: 'not-found', message: `PyPI project no-such-project not found on ${idx.srv.url}/simple/` } });
  });

  it('reports a bad specifier as invalid without a request', async () => {
    const { answers } = await ask([key('requests', '>>2')], await settings());
    expect(answers[0]).toMatchObject({ error: { code: 'invalid' } });
    expect(idx.srv.requests).toHaveLength(0);
  });

  it('retries a 429 and honours a per-key index', async () => {
    idx.srv.faults.push({ kind: 'status', status: 429, retryAfter: '0' });
    const { answers, counters } = await ask([key('requests', undefined, { index: `${idx.srv.url}/simple/` })], await settings({ pypiIndex: 'http://127.0.0.1:1/unused' }));
    expect(answers.map(show)).toEqual(['2.32.3']);
    expect(idx.srv.requests).toHaveLength(2);
    expect(counters).toMatchObject({ page: 1, retries: 1 });
  });

  it('answers a second run from the disk cache with zero requests', async () => {
    const s = await settings();
    await ask([key('requests'), key('django')], s);
    idx.srv.reset();
    const { answers } = await ask([key('requests', '<2.32'), key('django')], s);
    expect(answers.map(show)).toEqual(['2.31.0', '5.1.4']);
    expect(idx.srv.requests).toHaveLength(0);
  });

  describe('Requires-Python (key python)', () => {
    it('skips versions whose files all exclude the interpreter (HTML data-requires-python, entity-decoded)', async () => {
      const py = (python: string, specifier?: string) => key('django', specifier, { python });
      const { answers } = await ask([py('3.8'), py('3.8.18'), py('3.9', '<5'), py('3.10'), py('3.12', '>=5.2a1'), py('3.8', '>=5'), key('django')], await settings());
      // Django 4.2.16 requires >=3.8, everything from 5.0 on >=3.10.
      expect(answers.map(show)).toEqual(['4.2.16', '4.2.16', '4.2.16', '5.1.4', '5.2rc1', 'not-found', '5.1.4']);
      expect(answers[5]).toMatchObject({ error: { message: expect.stringContaining("no usable release matching '>=5' for Python 3.8 (Requires-Python)") } });
      expect(idx.srv.requests.map((r) => r.path)).toEqual(['/simple/django/']);
    });

    it('reads PEP 691 requires-python (null, absent, != clauses) and one page serves every interpreter', async () => {
      const { answers, counters } = await ask(
        [
          key('requests', undefined, { python: '3.7' }),
          key('requests', undefined, { python: '3.7.17' }),
          key('requests', undefined, { python: '3.8' }),
          key('requests', '>=2.32', { python: '3.7' }),
          key('python-dateutil', undefined, { python: '3.2' }),
          key('python-dateutil', undefined, { python: '2.7' }),
          key('zope.interface', undefined, { python: '3.7' }),
          key('zope.interface', undefined, { python: '3.6' }),
          key('zope.interface', '==7.0', { python: '3.8' }),
        ],
        await settings(),
      );
      // requests 2.32.x needs >=3.8; python-dateutil 2.8+ excludes 3.2 (1.5 states nothing); zope.interface 6.1 needs
      // >=3.7 and 3.6.1 states nothing; 7.0's sdist is yanked but its wheel (>=3.8) is not.
      expect(answers.map(show)).toEqual(['2.31.0', '2.31.0', '2.32.3', 'not-found', '1.5', '2.9.0.post0', '6.1', '3.6.1', '7.0']);
      expect(counters).toMatchObject({ page: 3 }); // one per project, whatever the interpreters
    });

    it('applies data-requires-python on HTML pages of a JSON-less index', async () => {
      const html = await readFile(join(FIXTURES, 'simple/requests/index.html'), 'utf8');
      idx.srv.faults.push({ kind: 'body', body: html, contentType: 'text/html; charset=utf-8' });
      const { answers } = await ask([key('requests', undefined, { python: '3.7' }), key('requests')], await settings());
      expect(answers.map(show)).toEqual(['2.31.0', '2.32.3']);
    });

    it('rejects a python that is not X.Y or X.Y.Z without a request', async () => {
      const { answers } = await ask([key('requests', undefined, { python: '3' }), key('requests', undefined, { python: 'py3.8' })], await settings());
      expect(answers.map(show)).toEqual(['invalid', 'invalid']);
      expect(idx.srv.requests).toHaveLength(0);
    });

    it('caches the page once for keys with and without python (disk cache answers the next run)', async () => {
      const s = await settings();
      await ask([key('django')], s);
      idx.srv.reset();
      const { answers } = await ask([key('django', undefined, { python: '3.8' }), key('django')], s);
      expect(answers.map(show)).toEqual(['4.2.16', '5.1.4']);
      expect(idx.srv.requests).toHaveLength(0);
    });
  });
});
