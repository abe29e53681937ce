/**
 * Registry benchmark (part of `npm run bench`): a real docker-registry on 127.0.0.1 with token auth, seeded with
 * 200 repositories × 3 tags, and 150 Dockerfiles + 50 compose files referencing them (many references repeated
 * across files) through a docker.io mirror setting. Prints wall time cold and warm, requests by kind and references
 * pinned. Target cold: one HEAD per unique (repository, tag) plus the one first request that learns the registry's
 * Bearer challenge, and one token per repository; zero requests warm.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fix } from '../src/api.js';
import { seedImage, startRegistry } from '../test/support/registry.js';

const REPOS = 200;
const TAGS = ['1', '1.2', 'latest'];

async function main(): Promise<void> {
  const reg = await startRegistry({ auth: 'token' });
  const dir = mkdtempSync(join(tmpdir(), 'harden-bench-'));
  try {
    const t0 = performance.now();
    for (let i = 0; i < REPOS; i++) await seedImage(reg, `benchorg/app${i}`, TAGS);
    const seedMs = performance.now() - t0;

    // 150 Dockerfiles with 4 references each, 50 compose files with 6 services each: 900 references; `unique` counts
    // the distinct (repository, tag) among them (they repeat across files).
    const unique = new Set<string>();
    const ref = (n: number) => {
      const r = `benchorg/app${n % REPOS}:${TAGS[Math.floor(n / REPOS) % TAGS.length]}`;
      unique.add(r);
      return r;
    };
    let n = 0;
    for (let f = 0; f < 150; f++) {
      const refs = [ref(n++), ref(n++), ref(n++), ref((f * 7) % 600)];
      mkdirSync(join(dir, `svc${f}`));
      writeFileSync(
        join(dir, `svc${f}`, 'Dockerfile'),
        `FROM ${refs[0]} AS build\nRUN make\nFROM ${refs[1]} AS test\nCOPY --from=${refs[2]} /x /x\nFROM ${refs[3]}\nCOPY --from=build /app /app\n`,
      );
    }
    for (let f = 0; f < 50; f++) {
      const services = Array.from({ length: 6 }, (_, i) => `  s${i}:\n    image: ${ref((f * 6 + i) * 3)}\n`).join('');
      mkdirSync(join(dir, `stack${f}`));
      writeFileSync(join(dir, `stack${f}`, 'compose.yaml'), `services:\n${services}`);
    }
    const config = join(dir, '.harden.yaml');
    writeFileSync(config, `registries:\n  docker.io: { mirror: "${reg.url}" }\ncache: { dir: ${join(dir, '.cache')} }\n`);

    const run = async () => {
      const t = performance.now();
      const r = await fix({ cwd: dir, paths: ['.'], only: ['pin-image-digest'], configFile: config });
      const pinned = r.files.flatMap((f) => f.applied).length;
      const failed = r.files.flatMap((f) => f.findings).filter((x) => x.data?.lookupFailed).length;
      return { ms: performance.now() - t, requests: r.requests, pinned, failed };
    };
    const cold = await run();
    const warm = await run();
    const fmt = (x: Record<string, number>) => Object.entries(x).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    console.log(`registry: seeded ${REPOS} repositories × ${TAGS.length} tags in ${(seedMs / 1000).toFixed(1)} s; 200 files, 900 references, ${unique.size} unique (repository, tag): cold target ${unique.size + 1} HEAD (one per unique reference + the first, challenge-learning request), ${REPOS} tokens`);
    console.log(`registry cold: ${(cold.ms / 1000).toFixed(2)} s, ${cold.pinned} references pinned, ${cold.failed} failed, requests: ${fmt(cold.requests)}`);
    console.log(`registry warm: ${(warm.ms / 1000).toFixed(2)} s, ${warm.pinned} references pinned, requests: ${fmt(warm.requests)}`);
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
