/** Pure units: reference normalisation, platforms, challenges, the tar reader and the layer search (no network). */
import { describe, expect, it } from 'vitest';
import { parseChallenges, mayReceiveCredentials } from '../../src/resolvers/auth.js';
import { endpointFor, isLoopbackHost } from '../../src/resolvers/endpoint.js';
import { FileSearch } from '../../src/resolvers/layers.js';
import { parsePlatform, platformOf, selectPlatform } from '../../src/resolvers/platform.js';
import { formatRefForLookup, parseReference, tryParseReference } from '../../src/resolvers/reference.js';
import { readTar } from '../../src/resolvers/tar.js';
import { tar, type TarSpec } from '../support/registry-tar.js';

describe('parseReference', () => {
  const D = `sha256:${'a'.repeat(64)}`;
  it.each([
    ['node', 'docker.io', 'registry-1.docker.io', 'library/node', undefined, undefined],
    ['node:20-alpine', 'docker.io', 'registry-1.docker.io', 'library/node', '20-alpine', undefined],
    ['docker.io/node', 'docker.io', 'registry-1.docker.io', 'library/node', undefined, undefined],
    ['index.docker.io/library/node:1', 'docker.io', 'registry-1.docker.io', 'library/node', '1', undefined],
    ['registry-1.docker.io/bitnami/redis:7', 'docker.io', 'registry-1.docker.io', 'bitnami/redis', '7', undefined],
    ['bitnami/redis', 'docker.io', 'registry-1.docker.io', 'bitnami/redis', undefined, undefined],
    ['localhost/x', 'localhost', 'localhost', 'x', undefined, undefined],
    ['localhost:5000/x:1', 'localhost:5000', 'localhost:5000', 'x', '1', undefined],
    ['127.0.0.1:5000/library/node:20', '127.0.0.1:5000', '127.0.0.1:5000', 'library/node', '20', undefined],
    ['[::1]:5000/x:2', '[::1]:5000', '[::1]:5000', 'x', '2', undefined],
    ['[::1]/x', '[::1]', '[::1]', 'x', undefined, undefined],
    ['ghcr.io/owner/app', 'ghcr.io', 'ghcr.io', 'owner/app', undefined, undefined],
    ['Registry/x', 'Registry', 'Registry', 'x', undefined, undefined],
    ['quay.io:443/a/b/c:v1.2', 'quay.io:443', 'quay.io:443', 'a/b/c', 'v1.2', undefined],
    [`node@${D}`, 'docker.io', 'registry-1.docker.io', 'library/node', undefined, D],
    [`node:20@${D}`, 'docker.io', 'registry-1.docker.io', 'library/node', '20', D],
    ['my_org/my-app__x', 'docker.io', 'registry-1.docker.io', 'my_org/my-app__x', undefined, undefined],
  ])('%s', (input, registry, apiHost, repository, tag, digest) => {
    const r = parseReference(input);
    expect(r).toEqual({ registry, apiHost, repository, original: input, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) });
  });

  it.each([
    ['', 'empty'],
    ['Node:20', 'lowercase'],
    ['docker.io/Library/node', 'lowercase'],
    ['ghcr.io/Owner/app', 'lowercase'],
    ['node:bad tag', 'whitespace'],
    ['node:-x', 'bad tag'],
    ['node@sha256:abc', 'bad digest'],
    [`node@sha256:${'A'.repeat(64)}`, 'lowercase hex'],
    ['host:port/x', 'bad registry port'],
    ['a//b', 'bad repository path component'],
    ['x-/y', 'bad repository path component'],
  ])('rejects %j', (input, why) => {
    const r = tryParseReference(input);
    expect('error' in r && r.error.code).toBe('invalid');
    expect('error' in r && r.error.message).toContain(why);
  });

  it('formats the canonical lookup spelling without touching the original', () => {
    const r = parseReference('node:20');
    expect(formatRefForLookup(r)).toBe('docker.io/library/node:20');
    expect(r.original).toBe('node:20');
  });
});

describe('endpoints', () => {
  it('uses http for loopback, https otherwise, http for insecure hosts, and mirrors', () => {
    expect(endpointFor(parseReference('127.0.0.1:5000/x'), {}).base.href).toBe('http://127.0.0.1:5000/');
    expect(endpointFor(parseReference('localhost:5000/x'), {}).base.href).toBe('http://localhost:5000/');
    expect(endpointFor(parseReference('[::1]:5000/x'), {}).base.href).toBe('http://[::1]:5000/');
    expect(endpointFor(parseReference('ghcr.io/x'), {}).base.href).toBe('https://ghcr.io/');
    expect(endpointFor(parseReference('node'), {}).base.href).toBe('https://registry-1.docker.io/');
    expect(endpointFor(parseReference('reg.lan:5000/x'), { insecure: ['reg.lan:5000'] }).base.href).toBe('http://reg.lan:5000/');
    const m = endpointFor(parseReference('node'), { registries: { 'index.docker.io': { mirror: 'http://127.0.0.1:5999' } } });
    expect([m.base.href, m.mirror, m.registry]).toEqual(['http://127.0.0.1:5999/', true, 'docker.io']);
    expect(isLoopbackHost('127.1.2.3:80')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('sends credentials to a token realm only over https or to loopback', () => {
    expect(mayReceiveCredentials(new URL('https://auth.example.com/token'))).toBe(true);
    expect(mayReceiveCredentials(new URL('http://127.0.0.1:9/token'))).toBe(true);
    expect(mayReceiveCredentials(new URL('http://auth.example.com/token'))).toBe(false);
  });
});

describe('parseChallenges', () => {
  it('reads Bearer and Basic parameters', () => {
    const c = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull", Basic realm="x"');
    expect(c).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/node:pull' } },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
  });
});

describe('platforms', () => {
  const entries = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'linux', architecture: 'arm', variant: 'v7' },
    { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.5458' },
    { os: 'windows', architecture: 'amd64', 'os.version': '10.0.20348.2113' },
    { os: 'unknown', architecture: 'unknown' },
  ].map(platformOf);
  it.each([
    ['linux/amd64', 0],
    ['linux/x86_64', 0],
    ['linux/arm64', 1],
    ['linux/arm64/v8', 1],
    ['linux/aarch64', 1],
    ['linux/arm', 2],
    ['linux/arm/v6', -1],
    ['windows/amd64:10.0.20348', 4],
    ['windows(10.0.17763)/amd64', 3],
    ['windows/amd64:10.0.20348.2113', 4],
    ['windows/amd64:10.0.14393', -1],
    ['windows/amd64', 3],
    ['linux/s390x', -1],
  ])('%s → entry %i', (p, want) => {
    expect(selectPlatform(parsePlatform(p), entries)).toBe(want);
  });
  it('rejects malformed platforms', () => {
    expect(() => parsePlatform('linux')).toThrow(/invalid platform/);
  });
});

async function* chunks(b: Buffer, size = 7): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('readTar', () => {
  it('reads names, links and bodies from small chunks, skipping unread bodies', async () => {
    const t = tar({ './etc/': { dir: true }, './etc/a': 'x'.repeat(1000), 'etc/b': 'bee', 'etc/l': { symlink: '../usr/b' }, 'etc/h': { hardlink: './etc/b' } });
    const seen: string[] = [];
    for await (const e of readTar(chunks(t))) {
      seen.push(`${e.type}:${e.path}:${e.linkname}`);
      if (e.path === 'etc/b') expect((await e.read(100)).toString()).toBe('bee');
    }
    expect(seen).toEqual(['directory:etc:', 'file:etc/a:', 'file:etc/b:', 'symlink:etc/l:../usr/b', 'hardlink:etc/h:etc/b']);
  });

  it('rejects a corrupt header', async () => {
    const t = tar({ a: 'x' });
    t[10] = 0x41;
    await expect(async () => {
      for await (const _ of readTar(chunks(t))) void _;
    }).rejects.toThrow(/corrupt header/);
  });
});

describe('FileSearch (layers newest first)', () => {
  async function search(paths: string[], layers: TarSpec[]) {
    const s = new FileSearch(paths);
    for (const [i, l] of [...layers].reverse().entries()) {
      const r = await s.scanLayer(i, readTar(chunks(tar(l), 512)));
      if (r) return r;
    }
    return s.finish();
  }
  it('follows a symlink into an older layer', async () => {
    const r = await search(['etc/os-release'], [{ 'usr/lib/os-release': 'ID=debian\n' }, { 'etc/os-release': { symlink: '../usr/lib/os-release' } }]);
    expect(r).toEqual({ path: 'etc/os-release', content: 'ID=debian\n' });
  });
  it('follows a directory symlink and an absolute link', async () => {
    const r = await search(['/lib/os-release'], [{ 'usr/lib/os-release': 'ID=x\n', lib: { symlink: 'usr/lib' } }]);
    expect(r).toEqual({ path: '/lib/os-release', content: 'ID=x\n' });
  });
  it('respects whiteouts and opaque directories', async () => {
    expect(await search(['etc/os-release'], [{ 'etc/os-release': 'old' }, { 'etc/.wh.os-release': '' }])).toEqual({ path: null, content: null });
    expect(await search(['etc/os-release'], [{ 'etc/os-release': 'old' }, { 'etc/.wh..wh..opq': '', 'etc/other': 'y' }])).toEqual({ path: null, content: null });
    expect(await search(['etc/os-release'], [{ 'etc/os-release': 'old' }, { 'etc/.wh..wh..opq': '', 'etc/os-release': 'new' }])).toEqual({ path: 'etc/os-release', content: 'new' });
  });
  it('prefers the newest version and the first requested path', async () => {
    expect(await search(['etc/os-release'], [{ 'etc/os-release': 'old' }, { 'etc/os-release': 'new' }])).toEqual({ path: 'etc/os-release', content: 'new' });
    expect(await search(['etc/os-release', 'usr/lib/os-release'], [{ 'etc/os-release': 'a' }, { 'usr/lib/os-release': 'b' }])).toEqual({ path: 'etc/os-release', content: 'a' });
  });
  it('asks for a restart when a link points to an uninteresting basename', async () => {
    expect(await search(['etc/os-release'], [{ 'etc/real': 'x', 'etc/os-release': { symlink: 'real' } }])).toEqual({ restartWith: 'real' });
  });
});
