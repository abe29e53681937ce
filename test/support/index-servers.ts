/**
 * Loopback package indexes in their published formats, for end-to-end tests and the demo: APKINDEX.tar.gz packed
 * from test/fixtures-data/apk, the trimmed real Debian bookworm and Ubuntu jammy indexes, PEP 691/503 pages and npm
 * packuments.
 * `indexes` is the `indexes:` setting that points harden at them.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { apkIndexTarGz } from '../resolvers/indexes/apkindex.js';
import { startStaticServer, type StaticServer } from '../resolvers/indexes/static-server.js';

export const FIXTURES_DATA = resolve(import.meta.dirname, '../fixtures-data');

/** What reading jammy's three pockets for amd64 asks the trimmed Ubuntu fixtures: each InRelease and Packages.gz once. */
export const JAMMY_AMD64_REQUESTS = [
  '200 /ubuntu-security/dists/jammy-security/InRelease',
  '200 /ubuntu-security/dists/jammy-security/main/binary-amd64/Packages.gz',
  '200 /ubuntu/dists/jammy-updates/InRelease',
  '200 /ubuntu/dists/jammy-updates/main/binary-amd64/Packages.gz',
  '200 /ubuntu/dists/jammy/InRelease',
  '200 /ubuntu/dists/jammy/main/binary-amd64/Packages.gz',
];

export interface IndexServers {
  apk: StaticServer;
  deb: StaticServer;
  /** test/fixtures-data/ubuntu: `/ubuntu` (jammy, jammy-updates) and `/ubuntu-security` (jammy-security). */
  ubuntu: StaticServer;
  pypi: StaticServer;
  npm: StaticServer;
  indexes: Record<string, string>;
  close(): Promise<void>;
}

/** Packs every `APKINDEX` under `dir` into `APKINDEX.tar.gz` under `out`, keeping the directory layout. */
export async function packApk(dir: string, out: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const src = join(dir, e.name);
    if (e.isDirectory()) await packApk(src, join(out, e.name));
    else if (e.name === 'APKINDEX') {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, 'APKINDEX.tar.gz'), apkIndexTarGz(await readFile(src, 'utf8')));
    }
  }
}

/** Starts the five servers; `workDir` receives the packed Alpine tree. */
export async function startIndexServers(workDir: string): Promise<IndexServers> {
  const apkRoot = join(workDir, 'apk-root');
  await packApk(join(FIXTURES_DATA, 'apk'), join(apkRoot, 'alpine'));
  const [apk, deb, ubuntu, pypi, npm] = await Promise.all([
    startStaticServer(apkRoot),
    startStaticServer(join(FIXTURES_DATA, 'debian')),
    startStaticServer(join(FIXTURES_DATA, 'ubuntu')),
    startStaticServer(join(FIXTURES_DATA, 'pypi')),
    startStaticServer(join(FIXTURES_DATA, 'npm')),
  ]);
  return {
    apk,
    deb,
    ubuntu,
    pypi,
    npm,
    indexes: {
      apk: `${apk.url}/alpine`,
      debian: `${deb.url}/debian`,
      'debian-security': `${deb.url}/debian-security`,
      ubuntu: `${ubuntu.url}/ubuntu`,
      'ubuntu-security': `${ubuntu.url}/ubuntu-security`,
      pypi: `${pypi.url}/simple`,
      npm: npm.url,
    },
    async close() {
      await Promise.all([apk.close(), deb.close(), ubuntu.close(), pypi.close(), npm.close()]);
    },
  };
}
