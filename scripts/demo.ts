/**
 * The demo behind scripts/demo.sh: start a real registry on 127.0.0.1 seeded with the images examples/ uses,
 * point harden at it as a docker.io mirror, and run `harden fix` (dry-run, or with the arguments given) on examples/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXAMPLE_IMAGES, seedExampleImages } from '../test/support/example-images.js';
import { startRegistry } from '../test/support/registry.js';

const ROOT = resolve(import.meta.dirname, '..');
const reg = await startRegistry();
const dir = mkdtempSync(join(tmpdir(), 'harden-demo-'));
try {
  await seedExampleImages(reg);
  const config = join(dir, 'harden.yaml');
  writeFileSync(config, `registries:\n  docker.io: { mirror: "${reg.url}" }\ncache: { dir: ${join(dir, 'cache')} }\n`);
  console.error(`demo: registry ${reg.url} seeded with ${EXAMPLE_IMAGES.length} images (a docker.io mirror for this run)\n`);
  const args = process.argv.slice(2);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/src/bin.js'), 'fix', '--config', config, ...(args.length ? args : ['examples'])], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 2;
} finally {
  await reg.stop();
  rmSync(dir, { recursive: true, force: true });
}
