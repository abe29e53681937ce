/** The package handlers behind the engine's DispatchResolver: keys dispatched by kind, answers stored by lookup id. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DispatchResolver, lazyHandler } from '../../../src/resolvers/index.js';
import { APT_KINDS } from '../../../src/resolvers/apt.js';
import { NPM_KINDS } from '../../../src/resolvers/npm.js';
import { PACKAGE_KINDS } from '../../../src/resolvers/package-types.js';
import { startStaticServer, type StaticServer } from './static-server.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures-data');
let srv: StaticServer;
let cacheDir: string;

beforeAll(async () => {
  srv = await startStaticServer(FIXTURES);
  cacheDir = await mkdtemp(join(tmpdir(), 'harden-wiring-'));
});
afterAll(async () => {
  await srv?.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('package handlers in a DispatchResolver', () => {
  it('answers apt and npm keys through lazily loaded handlers', async () => {
    const settings = { debianMirror: `${srv.url}/debian/debian`, debianSecurityMirror: `${srv.url}/debian/debian-security`, npmRegistry: `${srv.url}/npm`, cacheDir };
    const resolver = new DispatchResolver([
      lazyHandler(APT_KINDS, async () => (await import('../../../src/resolvers/apt.js')).createAptHandler(settings)),
      lazyHandler(NPM_KINDS, async () => (await import('../../../src/resolvers/npm.js')).createNpmHandler(settings)),
    ]);
    const apt = { kind: 'apt-version', distro: 'debian', suite: 'bookworm', arch: 'amd64', name: 'openssl' };
    const npm = { kind: 'npm-version', name: '@types/node', range: '^20' };
    await resolver.resolveAll([apt, npm, { ...apt }]);
    expect(resolver.answers.get(apt)).toMatchObject({ ok: { version: '3.0.22-1~deb12u2', suite: 'bookworm-security' } });
    expect(resolver.answers.get(npm)).toMatchObject({ ok: { version: '20.17.10' } });
    expect(resolver.counters()).toMatchObject({ packument: 1, index: 3 });
    await resolver.close();
    expect(PACKAGE_KINDS).toEqual(['apk-version', 'apt-version', 'pypi-version', 'npm-version', 'url-sha256']);
  });
});
