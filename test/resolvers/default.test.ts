import { describe, expect, it } from 'vitest';
import { LAZY_KINDS, createDefaultResolver, packageIndexSettings } from '../../src/resolvers/default.js';
import { IMAGE_KINDS } from '../../src/resolvers/image.js';
import { APK_KINDS } from '../../src/resolvers/apk.js';
import { APT_KINDS } from '../../src/resolvers/apt.js';
import { PYPI_KINDS } from '../../src/resolvers/pypi.js';
import { NPM_KINDS } from '../../src/resolvers/npm.js';
import { URL_SHA256_KINDS } from '../../src/resolvers/url-sha256.js';

describe('default resolver', () => {
  it('lists the same lookup kinds as the handlers it loads lazily', () => {
    expect(LAZY_KINDS.image).toEqual(IMAGE_KINDS);
    expect(LAZY_KINDS.apk).toEqual(APK_KINDS);
    expect(LAZY_KINDS.apt).toEqual(APT_KINDS);
    expect(LAZY_KINDS.pypi).toEqual(PYPI_KINDS);
    expect(LAZY_KINDS.npm).toEqual(NPM_KINDS);
    expect(LAZY_KINDS.url).toEqual(URL_SHA256_KINDS);
  });

  it('maps `indexes:` names to the package-index mirrors and ignores unknown names', () => {
    const s = packageIndexSettings({
      timeoutMs: 5000,
      indexes: { pypi: 'http://127.0.0.1:1/simple', debian: 'http://127.0.0.1:2/debian', bogus: 'x' },
    });
    expect(s).toEqual({ timeoutMs: 5000, pypiIndex: 'http://127.0.0.1:1/simple', debianMirror: 'http://127.0.0.1:2/debian' });
  });

  it('answers package-index lookups through the lazily loaded handler (offline: a cache miss is an error, not a crash)', async () => {
    const r = createDefaultResolver({ offline: true, cacheDir: '/nonexistent/harden-test-cache' });
    const key = { kind: 'pypi-version', name: 'requests' } as const;
    await r.resolveAll([key]);
    const a = r.answers.get(key) as { error?: { code: string } };
    expect(a.error?.code).toBe('offline-miss');
    await r.close();
  });
});
