/** Authentication against REAL docker-registry 2.8 instances: htpasswd Basic and Bearer token auth. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupId } from '../../src/engine/lookups.js';
import type { Answer, LookupKey } from '../../src/engine/types.js';
import { createImageHandler, type RegistrySettings } from '../../src/resolvers/image.js';
import { startCaptureServer, startFaultProxy } from '../support/registry-proxy.js';
import { seedImage, startRegistry, type SeededImage, type TestRegistry } from '../support/registry.js';

const tmp = mkdtempSync(join(tmpdir(), 'harden-auth-test-'));
const PASSWORD = 's3cret-Pa55';
const users = { alice: PASSWORD };

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function ask(keys: LookupKey[], settings: RegistrySettings) {
  const h = createImageHandler({ noCache: true, retryBaseMs: 1, ...settings });
  const r = await h.resolve(keys);
  await h.close();
  return { answers: keys.map((k) => r.get(lookupId(k)) as Answer), counters: h.counters };
}

const envAuth = (host: string, username: string, password: string) => ({
  HARDEN_REGISTRY_AUTH: JSON.stringify({ [host]: { username, password } }),
});

/** A Docker config dir with the given config.json. */
function dockerConfig(name: string, config: unknown): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

function expectNoSecret(answers: Answer[]) {
  expect(JSON.stringify(answers)).not.toContain(PASSWORD);
  expect(JSON.stringify(answers)).not.toContain(Buffer.from(`alice:${PASSWORD}`).toString('base64'));
}

describe('htpasswd Basic auth', () => {
  let reg: TestRegistry;
  let img: SeededImage;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'basic', users });
    img = await seedImage(reg, 'team/app', ['1.0']);
  });
  afterAll(() => reg?.stop());

  it('right credentials (HARDEN_REGISTRY_AUTH) → digest', async () => {
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: envAuth(reg.host, 'alice', PASSWORD) });
    expect(answers[0]).toMatchObject({ ok: { digest: img.digest } });
  });

  it('wrong password → unauthorized, no secret in the message', async () => {
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: envAuth(reg.host, 'alice', 'wrong') });
    expect(answers[0]).toMatchObject({ error: { code: 'unauthorized' } });
    expect('error' in answers[0]! && answers[0].error.message).toMatch(/401.*credentials from HARDEN_REGISTRY_AUTH were rejected/);
    expect(JSON.stringify(answers)).not.toContain('wrong');
  });

  it('no credentials → unauthorized naming the host', async () => {
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: {}, dockerConfigDir: join(tmp, 'none') });
    expect(answers[0]).toMatchObject({ error: { code: 'unauthorized' } });
    expect('error' in answers[0]! && answers[0].error.message).toContain(`no credentials found for ${reg.host}`);
  });

  it('credentials from DOCKER_CONFIG auths (base64 user:pass)', async () => {
    const dir = dockerConfig('auths', { auths: { [`http://${reg.host}/`]: { auth: Buffer.from(`alice:${PASSWORD}`).toString('base64') } } });
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }, { kind: 'image-config', ref: `${reg.host}/team/app:1.0` }], {
      env: { DOCKER_CONFIG: dir },
    });
    expect(answers[0]).toMatchObject({ ok: { digest: img.digest } });
    expect(answers[1]).toMatchObject({ ok: { os: 'linux' } });
  });

  it('credentials from a credHelpers entry (docker-credential-harden-test on PATH), preferred over auths', async () => {
    const bin = join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    const log = join(tmp, 'helper.log');
    const script = `#!/bin/sh\nread host\necho "$1 $host" >> ${log}\nprintf '{"ServerURL":"%s","Username":"alice","Secret":"${PASSWORD}"}' "$host"\n`;
    writeFileSync(join(bin, 'docker-credential-harden-test'), script);
    chmodSync(join(bin, 'docker-credential-harden-test'), 0o755);
    const dir = dockerConfig('helpers', {
      auths: { [reg.host]: { auth: Buffer.from('alice:wrong').toString('base64') } },
      credHelpers: { [reg.host]: 'harden-test' },
    });
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: { DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}` } });
    expect(answers[0]).toMatchObject({ ok: { digest: img.digest } });
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(log, 'utf8')).toBe(`get ${reg.host}\n`);
  });

  it('a missing credential helper is a clear error', async () => {
    const dir = dockerConfig('nohelper', { credsStore: 'does-not-exist' });
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: { DOCKER_CONFIG: dir, PATH: '/nonexistent' } });
    expect(answers[0]).toMatchObject({ error: { code: 'credentials' } });
    expect('error' in answers[0]! && answers[0].error.message).toContain('docker-credential-does-not-exist');
  });

  it('a blob redirect to another origin does not carry the Authorization header', async () => {
    const auth = { authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };
    const capture = await startCaptureServer(reg.url, auth);
    const proxy = await startFaultProxy(reg.url);
    proxy.faults.push({ kind: 'redirect', match: (r) => r.path.includes('/blobs/'), to: (r) => `${capture.url}${r.path}` });
    try {
      const { answers } = await ask([{ kind: 'image-config', ref: `${proxy.host}/team/app:1.0` }], { env: envAuth(proxy.host, 'alice', PASSWORD) });
      expect(answers[0]).toMatchObject({ ok: { os: 'linux', architecture: 'amd64' } });
      expect(capture.requests.length).toBe(1);
      expect(capture.requests[0]?.headers.authorization).toBeUndefined();
      expect(proxy.requests.some((r) => r.headers.authorization !== undefined)).toBe(true);
    } finally {
      await capture.close();
      await proxy.close();
    }
  });
});

describe('Bearer token auth', () => {
  let reg: TestRegistry;
  let app: SeededImage;
  let lib: SeededImage;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', users, identityTokens: { 'idtok-123': 'alice' }, anonymousPull: false });
    app = await seedImage(reg, 'team/app', ['1.0', '1.1']);
    lib = await seedImage(reg, 'library/node', ['20'], { platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
  });
  afterAll(() => reg?.stop());

  it('gets one token per repository scope and reuses it', async () => {
    const start = reg.token!.requests.length;
    const keys: LookupKey[] = [
      { kind: 'image-digest', ref: `${reg.host}/team/app:1.0` },
      { kind: 'image-digest', ref: `${reg.host}/team/app:1.1` },
      { kind: 'image-tags', ref: `${reg.host}/team/app` },
      { kind: 'image-config', ref: `${reg.host}/team/app:1.0` },
      { kind: 'image-digest', ref: `${reg.host}/library/node:20` },
      { kind: 'image-digest', ref: `${reg.host}/library/node:20`, platform: 'linux/arm64' },
      { kind: 'image-file', ref: `${reg.host}/library/node:20`, paths: ['etc/os-release'] },
    ];
    const { answers, counters } = await ask(keys, { env: envAuth(reg.host, 'alice', PASSWORD) });
    expect(answers.every((a) => 'ok' in a)).toBe(true);
    expect(answers[0]).toMatchObject({ ok: { digest: app.digest } });
    expect(answers[4]).toMatchObject({ ok: { digest: lib.digest } });
    const reqs = reg.token!.requests.slice(start);
    expect(reqs.map((r) => r.scope).sort()).toEqual(['repository:library/node:pull', 'repository:team/app:pull']);
    expect(reqs.every((r) => r.via === 'basic' && r.authorized && r.account === 'alice')).toBe(true);
    expect(counters.token).toBe(2);
    expectNoSecret(answers);
  });

  it('identity token from config.json is used as a refresh token (POST)', async () => {
    const start = reg.token!.requests.length;
    const dir = dockerConfig('idtoken', { auths: { [reg.host]: { identitytoken: 'idtok-123' } } });
    const { answers } = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: { DOCKER_CONFIG: dir } });
    expect(answers[0]).toMatchObject({ ok: { digest: app.digest } });
    expect(reg.token!.requests.slice(start)).toEqual([
      { method: 'POST', scope: 'repository:team/app:pull', account: 'alice', via: 'refresh-token', authorized: true },
    ]);
  });

  it('wrong password → unauthorized from the token server; anonymous refused → unauthorized', async () => {
    const bad = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: envAuth(reg.host, 'alice', 'nope') });
    expect(bad.answers[0]).toMatchObject({ error: { code: 'unauthorized' } });
    expect('error' in bad.answers[0]! && bad.answers[0].error.message).toMatch(/token server 127\.0\.0\.1:\d+ rejected the credentials/);
    const anon = await ask([{ kind: 'image-digest', ref: `${reg.host}/team/app:1.0` }], { env: {}, dockerConfigDir: join(tmp, 'none') });
    expect(anon.answers[0]).toMatchObject({ error: { code: 'unauthorized' } });
    expect('error' in anon.answers[0]! && anon.answers[0].error.message).toContain('refused an anonymous token');
  });

  /**
   * The registry behind a proxy that points its Bearer challenge at a second proxy in front of the token server; that
   * one answers token requests with a redirect to a capture server on another origin.
   */
  async function redirectedTokenEndpoint(status: number) {
    const tokenOrigin = new URL(reg.token!.realm).origin;
    const capture = await startCaptureServer(tokenOrigin, {});
    const tokenProxy = await startFaultProxy(tokenOrigin);
    tokenProxy.faults.push({ kind: 'redirect', status, match: (r) => r.path.startsWith('/token'), to: (r) => `${capture.url}${r.path}` });
    const regProxy = await startFaultProxy(reg.url);
    regProxy.faults.push({
      kind: 'edit-headers',
      edit: (h) => {
        const v = h['www-authenticate'];
        if (typeof v === 'string') h['www-authenticate'] = v.replace(reg.token!.realm, `${tokenProxy.url}/token`);
      },
    });
    return {
      capture,
      tokenProxy,
      regProxy,
      close: async () => {
        await capture.close();
        await tokenProxy.close();
        await regProxy.close();
      },
    };
  }

  for (const status of [307, 308, 302]) {
    it(`a token POST (identity token) answered by a ${status} to another host is refused: the refresh token stays home`, async () => {
      const t = await redirectedTokenEndpoint(status);
      try {
        const dir = dockerConfig(`idtoken-redirect-${status}`, { auths: { [t.regProxy.host]: { identitytoken: 'idtok-123' } } });
        const { answers } = await ask([{ kind: 'image-digest', ref: `${t.regProxy.host}/team/app:1.0` }], { env: { DOCKER_CONFIG: dir } });
        // The token proxy saw the POST with the refresh token (it is the realm the registry named)…
        expect(t.tokenProxy.requests.some((r) => r.method === 'POST' && r.body?.includes('idtok-123'))).toBe(true);
        // …but nothing reached the other origin.
        expect(t.capture.requests).toEqual([]);
        expect(answers[0]).toMatchObject({ error: { code: 'registry-error' } });
        const message = 'error' in answers[0]! ? answers[0].error.message : '';
        expect(message).toContain(`${t.regProxy.host}/team/app:1.0`);
        expect(message).toMatch(/redirected the token request to another host \(127\.0\.0\.1:\d+\): refused/);
        expect(JSON.stringify(answers)).not.toContain('idtok-123');
      } finally {
        await t.close();
      }
    });
  }

  it('a token GET with Basic credentials redirected to another host is refused (no header credential follows)', async () => {
    const t = await redirectedTokenEndpoint(307);
    try {
      const { answers } = await ask([{ kind: 'image-digest', ref: `${t.regProxy.host}/team/app:1.0` }], { env: envAuth(t.regProxy.host, 'alice', PASSWORD) });
      expect(t.tokenProxy.requests.some((r) => r.headers.authorization?.startsWith('Basic '))).toBe(true);
      expect(t.capture.requests).toEqual([]);
      expect(answers[0]).toMatchObject({ error: { code: 'registry-error' } });
      expect('error' in answers[0]! && answers[0].error.message).toMatch(/redirected the token request to another host/);
      expectNoSecret(answers);
    } finally {
      await t.close();
    }
  });

  it('a token request redirected within the token server\'s own origin is followed', async () => {
    const tokenOrigin = new URL(reg.token!.realm).origin;
    const tokenProxy = await startFaultProxy(tokenOrigin);
    tokenProxy.faults.push({ kind: 'redirect', times: 1, match: (r) => r.path.startsWith('/old-token'), to: (r) => `${tokenProxy.url}${r.path.replace('/old-token', '/token')}` });
    const regProxy = await startFaultProxy(reg.url);
    regProxy.faults.push({
      kind: 'edit-headers',
      edit: (h) => {
        const v = h['www-authenticate'];
        if (typeof v === 'string') h['www-authenticate'] = v.replace(reg.token!.realm, `${tokenProxy.url}/old-token`);
      },
    });
    try {
      const dir = dockerConfig('idtoken-same-origin', { auths: { [regProxy.host]: { identitytoken: 'idtok-123' } } });
      const { answers } = await ask([{ kind: 'image-digest', ref: `${regProxy.host}/team/app:1.0` }], { env: { DOCKER_CONFIG: dir } });
      expect(answers[0]).toMatchObject({ ok: { digest: app.digest } });
      expect(tokenProxy.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['POST /old-token', 'POST /token']);
    } finally {
      await tokenProxy.close();
      await regProxy.close();
    }
  });

  it('credentials for one host are not sent to another registry', async () => {
    const other = await startRegistry({ auth: 'token', users, anonymousPull: true });
    try {
      await seedImage(other, 'team/app', ['1.0']);
      const { answers } = await ask([{ kind: 'image-digest', ref: `${other.host}/team/app:1.0` }], { env: envAuth(reg.host, 'alice', PASSWORD) });
      expect(answers[0]).toMatchObject({ ok: {} });
      expect(other.token!.requests.filter((r) => r.via !== 'anonymous')).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});

describe('anonymous token auth', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token', users, anonymousPull: true });
    await seedImage(reg, 'library/alpine', ['3.19']);
  });
  afterAll(() => reg?.stop());

  it('fetches an anonymous pull token', async () => {
    const { answers, counters } = await ask([{ kind: 'image-digest', ref: `${reg.host}/library/alpine:3.19` }], { env: {}, dockerConfigDir: join(tmp, 'none') });
    expect(answers[0]).toMatchObject({ ok: { mediaType: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(counters).toMatchObject({ token: 1, head: 2 });
    expect(reg.token!.requests.at(-1)).toMatchObject({ via: 'anonymous', scope: 'repository:library/alpine:pull' });
  });
});

describe('a cold run against a token registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token' });
    for (let i = 0; i < 12; i++) await seedImage(reg, `many/app${i}`, ['1', '2']);
  });
  afterAll(() => reg?.stop());

  it('sends one HEAD per unique reference: only the first request to the registry is refused for its challenge', async () => {
    const keys: LookupKey[] = [];
    for (let i = 0; i < 12; i++) for (const tag of ['1', '2']) keys.push({ kind: 'image-digest', ref: `${reg.host}/many/app${i}:${tag}` });
    const { answers, counters } = await ask(keys, {});
    expect(answers.every((a) => 'ok' in a)).toBe(true);
    // 24 unique references, plus the one unauthenticated first request that learns the Bearer challenge.
    expect(counters.head).toBe(keys.length + 1);
    expect(counters.token).toBe(12);
  });
});
