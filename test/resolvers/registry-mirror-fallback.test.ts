/**
 * A configured mirror that cannot be reached (connection refused, timeout, 5xx) falls back to the upstream registry,
 * as dockerd does, with one note naming the mirror; each side only ever sees its own credentials. Against the REAL
 * docker-registry (upstream and mirror, both with htpasswd auth, different users) behind recording proxies, and a
 * port nothing listens on.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../../src/api.js';
import { CredentialStore } from '../../src/resolvers/credentials.js';
import { parseReference } from '../../src/resolvers/reference.js';
import { RegistryClient } from '../../src/resolvers/registry.js';
import { startFaultProxy, type FaultProxy } from '../support/registry-proxy.js';
import { REGISTRY_BIN, seedImage, startRegistry, type SeededImage, type TestRegistry } from '../support/registry.js';
import { tmpTree } from '../support/tmp.js';

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.skipIf(!existsSync(REGISTRY_BIN))('dead registry mirror', () => {
  let upstream: TestRegistry;
  let mirror: TestRegistry;
  let up: FaultProxy; // what the client calls the registry: 127.0.0.1:<up port>
  let mir: FaultProxy;
  let img: SeededImage;
  let dead = 0;
  beforeAll(async () => {
    upstream = await startRegistry({ auth: 'basic', users: { upuser: 'uppass' } });
    mirror = await startRegistry({ auth: 'basic', users: { miruser: 'mirpass' } });
    img = await seedImage(upstream, 'library/app', ['1.0']);
    await seedImage(mirror, 'library/app', ['1.0']);
    up = await startFaultProxy(upstream.url);
    mir = await startFaultProxy(mirror.url);
    dead = await deadPort();
  }, 120_000);
  afterAll(async () => {
    await up?.close();
    await mir?.close();
    await upstream?.stop();
    await mirror?.stop();
  });

  const credentials = () =>
    new CredentialStore({
      env: { HARDEN_REGISTRY_AUTH: JSON.stringify({ [up.host]: { username: 'upuser', password: 'uppass' }, [mir.host]: { username: 'miruser', password: 'mirpass' }, [`127.0.0.1:${dead}`]: { username: 'deaduser', password: 'deadpass' } }) },
      dockerConfigDir: '/nonexistent',
    });
  const client = (mirrorUrl: string, extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}) =>
    new RegistryClient({ registries: { [up.host]: { mirror: mirrorUrl } }, credentials: credentials(), retries: 1, retryBaseMs: 10, ...extra });
  const ref = () => parseReference(`${up.host}/library/app:1.0`);

  it('a mirror that refuses connections: the upstream registry answers, with its own credentials, and one note', async () => {
    up.requests.length = 0;
    const c = client(`http://127.0.0.1:${dead}`);
    const r = await c.resolveDigest(ref());
    expect(r.digest).toBe(img.digest);
    expect(r.endpoint).toMatchObject({ mirror: false, registry: up.host });
    const again = await c.imageConfig(ref());
    expect(again.endpoint.mirror).toBe(false);
    expect(c.notes()).toEqual([expect.stringMatching(new RegExp(`^registry mirror http://127\\.0\\.0\\.1:${dead} for ${up.host} is unreachable \\(.*cannot reach 127\\.0\\.0\\.1:${dead}.*\\): its lookups went to ${up.host} itself$`))]);
    const auths = up.requests.map((q) => q.headers.authorization).filter(Boolean);
    expect(auths.length).toBeGreaterThan(0);
    expect(new Set(auths)).toEqual(new Set([basic('upuser', 'uppass')]));
    await c.close();
  });

  it('a mirror answering 503 after its 401 challenge: fallback; the mirror saw only its credentials, upstream only its own', async () => {
    up.requests.length = 0;
    mir.requests.length = 0;
    mir.faults.splice(0, mir.faults.length, { kind: 'status', status: 503, match: (q) => q.headers.authorization !== undefined, times: 1000 });
    const c = client(mir.url);
    const r = await c.resolveDigest(ref());
    expect(r.digest).toBe(img.digest);
    expect(r.endpoint.mirror).toBe(false);
    expect(c.notes()).toHaveLength(1);
    expect(c.notes()[0]).toContain(`registry mirror ${mir.url} for ${up.host} is unreachable`);
    expect(c.notes()[0]).toContain('HTTP 503');
    const mirAuth = new Set(mir.requests.map((q) => q.headers.authorization).filter(Boolean));
    const upAuth = new Set(up.requests.map((q) => q.headers.authorization).filter(Boolean));
    expect(mirAuth).toEqual(new Set([basic('miruser', 'mirpass')]));
    expect(upAuth).toEqual(new Set([basic('upuser', 'uppass')]));
    // given up for the run: the next lookup goes upstream without asking the mirror
    const before = mir.requests.length;
    await c.listTags(ref());
    expect(mir.requests.length).toBe(before);
    await c.close();
    mir.faults.length = 0;
  });

  it('a mirror that does not answer in time falls back; a mirror that answers (even 404) is not second-guessed', async () => {
    mir.faults.splice(0, mir.faults.length, { kind: 'delay', ms: 3000, times: 1000 });
    const slow = client(mir.url, { timeoutMs: 300, retries: 0 });
    const r = await slow.resolveDigest(ref());
    expect(r.endpoint.mirror).toBe(false);
    expect(slow.notes()[0]).toMatch(/did not answer in time/);
    await slow.close();
    mir.faults.length = 0;

    up.requests.length = 0;
    const ok = client(mir.url);
    expect((await ok.resolveDigest(ref())).endpoint).toMatchObject({ mirror: true, host: mir.host });
    const missing = await ok.resolveDigest(parseReference(`${up.host}/library/nothing:1.0`)).catch((e: unknown) => e as Error & { code: string });
    expect(missing).toMatchObject({ code: 'not-found' });
    expect(up.requests).toHaveLength(0);
    expect(ok.notes()).toEqual([]);
    await ok.close();
  }, 60_000);

  it('the note reaches the run (harden check), once', async () => {
    const dir = tmpTree({ 'compose.yaml': `services:\n  a:\n    image: ${up.host}/library/app:1.0\n  b:\n    image: ${up.host}/library/app:1.0-missing\n` });
    mkdirSync(join(dir, '.docker'));
    writeFileSync(join(dir, '.docker/config.json'), JSON.stringify({ auths: { [up.host]: { auth: Buffer.from('upuser:uppass').toString('base64') } } }));
    const saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = join(dir, '.docker');
    try {
      const r = await check({ cwd: dir, paths: ['.'], only: ['pin-image-digest'], resolver: { registries: { [up.host]: { mirror: `http://127.0.0.1:${dead}` } }, noCache: true, retries: 0 } });
      const findings = r.files.flatMap((f) => f.findings);
      expect(findings.some((f) => f.message.includes(img.digest.slice(0, 19)))).toBe(true);
      expect(r.notes?.filter((n) => n.includes('registry mirror'))).toEqual([expect.stringContaining(`registry mirror http://127.0.0.1:${dead} for ${up.host} is unreachable`)]);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
    }
  }, 60_000);
});
