/**
 * `--concurrency N` is one limit per host, whichever handlers send the requests: image lookups and URL downloads
 * against the same (real) registry, through a proxy that counts the requests it is answering at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LookupKey } from '../../src/engine/types.js';
import { createDefaultResolver } from '../../src/resolvers/default.js';
import { HostLimiter } from '../../src/resolvers/limiter.js';
import { startFaultProxy, type FaultProxy } from '../support/registry-proxy.js';
import { seedImage, startRegistry, type SeededImage, type TestRegistry } from '../support/registry.js';

let reg: TestRegistry;
let proxy: FaultProxy;
let img: SeededImage;
const TAGS = Array.from({ length: 12 }, (_, i) => `1.${i}`);

beforeAll(async () => {
  reg = await startRegistry();
  img = await seedImage(reg, 'team/app', TAGS);
  proxy = await startFaultProxy(reg.url);
});
afterAll(async () => {
  await proxy?.close();
  await reg?.stop();
});

describe('one limit per host', () => {
  it('image lookups and downloads share --concurrency (3 requests at once, not 3 per handler)', async () => {
    // Every request is held back a little, so requests that may run together do.
    proxy.faults.push({ kind: 'delay', ms: 150, times: 1000 });
    proxy.resetInFlight();
    const layer = Object.values(img.platforms)[0]?.layerDigests[0] as string;
    const keys: LookupKey[] = [
      ...TAGS.map((t) => ({ kind: 'image-digest', ref: `${proxy.host}/team/app:${t}` })),
      ...TAGS.map((t) => ({ kind: 'url-sha256', url: `${proxy.url}/v2/team/app/blobs/${layer}?copy=${t}` })),
    ];
    const r = createDefaultResolver({ concurrency: 3, noCache: true });
    try {
      await r.resolveAll(keys);
      for (const k of keys) expect(r.answers.get(k)).toHaveProperty('ok');
    } finally {
      await r.close();
      proxy.faults.length = 0;
    }
    expect(proxy.count((q) => q.method === 'HEAD')).toBeGreaterThanOrEqual(TAGS.length);
    expect(proxy.maxInFlight).toBeLessThanOrEqual(3);
    // The limit is what bounds them: 24 lookups did overlap up to it.
    expect(proxy.maxInFlight).toBeGreaterThanOrEqual(2);
  });
});

describe('HostLimiter', () => {
  it('queues per host, lets other hosts through, and runs nested requests to the same host in their slot', async () => {
    const l = new HostLimiter(1);
    const order: string[] = [];
    let release!: () => void;
    const first = l.run('a', () => new Promise<void>((r) => (release = r)).then(() => void order.push('a1')));
    const second = l.run('a', async () => void order.push('a2'));
    await l.run('b', async () => void order.push('b1'));
    expect([order, l.active('a')]).toEqual([['b1'], 1]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
    // With a limit of 1, a request sent while holding the host's slot must not wait for a second slot.
    const nested = await l.run('a', () => l.run('a', async () => 'inner'));
    expect([nested, l.active('a')]).toEqual(['inner', 0]);
  });
});
