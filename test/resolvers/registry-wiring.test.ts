/** The image handler plugged into the engine's DispatchResolver (lazily, as default.ts does), against the REAL registry. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DispatchResolver, lazyHandler } from '../../src/resolvers/index.js';
import { localHandler } from '../../src/resolvers/local.js';
import { IMAGE_KINDS } from '../../src/resolvers/image.js';
import { seedImage, startRegistry, type SeededImage, type TestRegistry } from '../support/registry.js';

let reg: TestRegistry;
let img: SeededImage;
beforeAll(async () => {
  reg = await startRegistry();
  img = await seedImage(reg, 'library/alpine', ['3.19']);
});
afterAll(() => reg?.stop());

it('answers image lookups through DispatchResolver, skipping keys already answered', async () => {
  const resolver = new DispatchResolver([
    localHandler,
    lazyHandler(IMAGE_KINDS, async () => (await import('../../src/resolvers/image.js')).createImageHandler({ noCache: true })),
  ]);
  const key = { kind: 'image-digest', ref: `${reg.host}/library/alpine:3.19` };
  await resolver.resolveAll([key, { kind: 'dir', path: '/nonexistent-dir' }], { cwd: '/' });
  expect(resolver.answers.get(key)).toMatchObject({ ok: { digest: img.digest } });
  await resolver.resolveAll([key], { cwd: '/' });
  expect(resolver.counters()).toMatchObject({ head: 1 });
});
