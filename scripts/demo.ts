/**
 * The demo behind scripts/demo.sh: start a real registry on 127.0.0.1 seeded with the images examples/ uses, and
 * loopback package indexes (Alpine, Debian, PyPI, npm: the test fixtures, in their published formats), point harden
 * at them through its mirror settings, and run `harden fix` (dry-run, or with the arguments given) on examples/.
 *
 * This machine reaches no other host, so `add-download-checksum` (which downloads `curl | sh` scripts to hash them)
 * is skipped unless arguments are given; packages missing from the trimmed fixture indexes are reported, not pinned.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXAMPLE_IMAGES, seedExampleImages } from '../test/support/example-images.js';
import { startIndexServers } from '../test/support/index-servers.js';
import { startRegistry } from '../test/support/registry.js';

const ROOT = resolve(import.meta.dirname, '..');
const reg = await startRegistry();
const dir = mkdtempSync(join(tmpdir(), 'harden-demo-'));
try {
  await seedExampleImages(reg);
  const servers = await startIndexServers(dir);
  const config = join(dir, 'harden.yaml');
  const indexes = Object.entries(servers.indexes).map(([k, v]) => `  ${k}: "${v}"\n`).join('');
  writeFileSync(config, `registries:\n  docker.io: { mirror: "${reg.url}" }\nindexes:\n${indexes}cache: { dir: ${join(dir, 'cache')} }\n`);
  console.error(`demo: registry ${reg.url} seeded with ${EXAMPLE_IMAGES.length} images (a docker.io mirror for this run)`);
  console.error(`demo: package indexes on 127.0.0.1 (Alpine, Debian, PyPI, npm), trimmed: missing packages are reported\n`);
  const given = process.argv.slice(2);
  const args = given.length ? given : ['--skip', 'add-download-checksum', 'examples'];
  // Asynchronous: the registry and index servers of this process must keep answering while harden runs.
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/bin.js'), 'fix', '--config', config, ...args], { cwd: ROOT, stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  process.exitCode = code ?? 2;
  await servers.close();
} finally {
  await reg.stop();
  rmSync(dir, { recursive: true, force: true });
}
