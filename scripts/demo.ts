/**
 * The demo behind scripts/demo.sh: start a real registry on 127.0.0.1 seeded with the images examples/ uses,
 * point harden at it as a docker.io mirror, and run `harden fix` (dry-run, or with the arguments given) on examples/.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ALPINE_LAYER, DEBIAN_LAYER, seedImage, startRegistry } from '../test/support/registry.js';

const ROOT = resolve(import.meta.dirname, '..');
const multi = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }];

/** repository → [tags (sharing one digest), distro] */
const IMAGES: [string, string[], 'alpine' | 'debian'][] = [
  ['library/node', ['20-alpine', '20.11.0-alpine3.19', '20.11-alpine', '20-alpine3.19'], 'alpine'],
  ['library/node', ['20', '20.11.0', '20-bookworm', '20.11.0-bookworm'], 'debian'],
  ['library/python', ['3.11-slim', '3.11.9-slim', '3.11.9-slim-bookworm', '3.11-slim-bookworm'], 'debian'],
  ['library/mongo', ['latest', '7.0.3', '7.0', '7'], 'debian'],
  ['library/redis', ['7-alpine', '7.2.4-alpine', '7.2.4-alpine3.19', '7.2-alpine'], 'alpine'],
  ['library/nginx', ['alpine', '1.25.4-alpine', '1.25-alpine'], 'alpine'],
  ['library/postgres', ['16', '16.2', '16.2-bookworm'], 'debian'],
  ['library/alpine', ['3.19', '3.19.1'], 'alpine'],
  ['library/debian', ['bookworm', 'bookworm-20240311', '12'], 'debian'],
  ['library/golang', ['1.22', '1.22.1', '1.22.1-bookworm'], 'debian'],
  ['prom/prometheus', ['latest', 'v2.48.0', 'v2.48'], 'debian'],
  ['grafana/grafana', ['latest', '10.2.2'], 'alpine'],
  ['docker/dockerfile', ['1', '1.7', '1.7.0'], 'alpine'],
];

const reg = await startRegistry();
const dir = mkdtempSync(join(tmpdir(), 'harden-demo-'));
try {
  for (const [repo, tags, distro] of IMAGES) {
    await seedImage(reg, repo, tags, { platforms: multi.map((p) => ({ ...p, layers: [distro === 'alpine' ? ALPINE_LAYER : DEBIAN_LAYER] })) });
  }
  const config = join(dir, 'harden.yaml');
  writeFileSync(config, `registries:\n  docker.io: { mirror: "${reg.url}" }\ncache: { dir: ${join(dir, 'cache')} }\n`);
  console.error(`demo: registry ${reg.url} seeded with ${IMAGES.length} images (a docker.io mirror for this run)\n`);
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
