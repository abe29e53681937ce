/**
 * lock-apk-add, lock-apt-install, lock-pip-install (and shell-pipefail, which reads the same release) end to end through the public API (`fix()`), with nothing
 * stubbed: base images served by a REAL docker-registry on 127.0.0.1 (an Alpine-like multi-platform image with
 * /etc/os-release and /etc/apk/repositories, a Debian-like image whose /etc/os-release is a symlink to
 * usr/lib/os-release, an Ubuntu 22.04-like image likewise), and the package indexes served in their published formats
 * by loopback HTTP servers: APKINDEX.tar.gz packed from test/fixtures-data/apk, the trimmed real Debian bookworm and
 * Ubuntu jammy indexes, and PEP 691/503 pages.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { JAMMY_AMD64_REQUESTS, startIndexServers, type IndexServers } from '../support/index-servers.js';
import { ALPINE_LAYER, DEBIAN_LAYER, seedImage, startRegistry, type TestRegistry } from '../support/registry.js';
import type { TarSpec } from '../support/registry-tar.js';

let reg: TestRegistry;
let servers: IndexServers;
let tmp: string;

const ALPINE_WITH_REPOS = {
  ...ALPINE_LAYER,
  'etc/apk/': { dir: true as const },
  'etc/apk/repositories': 'https://dl-cdn.alpinelinux.org/alpine/v3.19/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/community\n',
};

/**
 * Ubuntu 22.04-like, as the ubuntu:22.04 image ships it: etc/os-release a symlink to ../usr/lib/os-release, and
 * etc/debian_version naming Debian's testing ('bookworm/sid'), which must not be taken for Debian bookworm.
 */
const UBUNTU_LAYER: TarSpec = {
  './': { dir: true },
  './etc/': { dir: true },
  './etc/debian_version': 'bookworm/sid\n',
  './etc/os-release': { symlink: '../usr/lib/os-release' },
  './usr/': { dir: true },
  './usr/lib/': { dir: true },
  './usr/lib/os-release': [
    'PRETTY_NAME="Ubuntu 22.04.5 LTS"',
    'NAME="Ubuntu"',
    'VERSION_ID="22.04"',
    'VERSION="22.04.5 LTS (Jammy Jellyfish)"',
    'VERSION_CODENAME=jammy',
    'ID=ubuntu',
    'ID_LIKE=debian',
    'HOME_URL="https://www.ubuntu.com/"',
    'SUPPORT_URL="https://help.ubuntu.com/"',
    'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"',
    'PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"',
    'UBUNTU_CODENAME=jammy',
    '',
  ].join('\n'),
};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'harden-lock-e2e-'));
  reg = await startRegistry();
  await seedImage(reg, 'library/alpine', ['3.19'], {
    platforms: [
      { os: 'linux', architecture: 'amd64', layers: [ALPINE_WITH_REPOS] },
      { os: 'linux', architecture: 'arm64', variant: 'v8', layers: [ALPINE_WITH_REPOS] },
    ],
  });
  await seedImage(reg, 'library/debian', ['bookworm-slim'], { platforms: [{ os: 'linux', architecture: 'amd64', layers: [DEBIAN_LAYER] }] });
  // A name and tag that hint at no distribution: only the layer's os-release can say Ubuntu jammy.
  await seedImage(reg, 'acme/base', ['2026.11'], { platforms: [{ os: 'linux', architecture: 'amd64', layers: [UBUNTU_LAYER] }] });
  // Python images as the official ones set them up: PYTHON_VERSION in the config (what lock-pip-install reads).
  for (const [tag, version] of [['3.12-slim', '3.12.7'], ['3.8-slim', '3.8.18']] as const) {
    await seedImage(reg, 'library/python', [tag], {
      platforms: [{ os: 'linux', architecture: 'amd64', layers: [DEBIAN_LAYER], config: { Env: ['PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8', `PYTHON_VERSION=${version}`] } }],
    });
  }
  // An image whose tag hints at no release and that has no os-release at all.
  await seedImage(reg, 'library/empty', ['1'], { platforms: [{ os: 'linux', architecture: 'amd64', layers: [{ 'etc/hostname': 'x\n' }] }] });
  servers = await startIndexServers(tmp);
}, 60_000);

afterAll(async () => {
  await Promise.all([reg?.stop(), servers?.close()]);
  await rm(tmp, { recursive: true, force: true });
});

async function run(name: string, dockerfile: string, only: string[], extra: { unsafe?: boolean; platform?: string } = {}) {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  const r = await fix({
    cwd: dir,
    paths: [dir],
    only,
    ...extra,
    resolver: {
      cacheDir: join(tmp, `cache-${name}`),
      retries: 0,
      indexes: servers.indexes,
    },
  });
  const file = r.files[0];
  if (!file) throw new Error('no file result');
  return { file, result: r };
}

describe('lock codemods against a real registry and loopback package indexes', () => {
  it('lock-apk-add: reads Alpine v3.19 and /etc/apk/repositories from the image, per platform (x86_64 and aarch64)', async () => {
    const host = reg.host;
    const { file } = await run(
      'apk',
      `FROM --platform=linux/arm64 ${host}/library/alpine:3.19 AS build\nRUN apk add curl git\nFROM ${host}/library/alpine:3.19\nRUN apk add --no-cache tini bash\n`,
      ['lock-apk-add'],
    );
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(
      `FROM --platform=linux/arm64 ${host}/library/alpine:3.19 AS build\nRUN apk add --no-cache curl=8.5.0-r0 git=2.43.0-r0\nFROM ${host}/library/alpine:3.19\nRUN apk add --no-cache tini=0.19.0-r2 bash=5.2.21-r0\n`,
    );
    const paths = servers.apk.requests.map((r) => r.path).sort();
    expect(paths).toEqual([
      '/alpine/v3.19/community/aarch64/APKINDEX.tar.gz',
      '/alpine/v3.19/community/x86_64/APKINDEX.tar.gz',
      '/alpine/v3.19/main/aarch64/APKINDEX.tar.gz',
      '/alpine/v3.19/main/x86_64/APKINDEX.tar.gz',
    ]);
    expect(file.applied.map((f) => f.message)).toEqual([
      'apk add: pinned curl=8.5.0-r0, git=2.43.0-r0 from Alpine v3.19 (aarch64), --no-cache added',
      'apk add: pinned tini=0.19.0-r2, bash=5.2.21-r0 from Alpine v3.19 (x86_64)',
    ]);
  });

  it('lock-apt-install: follows the Debian os-release symlink to bookworm and picks across pockets (real Packages files)', async () => {
    const host = reg.host;
    const { file } = await run(
      'apt',
      `FROM ${host}/library/debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl openssl git\n`,
      ['lock-apt-install'],
      { unsafe: true },
    );
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(
      `FROM ${host}/library/debian:bookworm-slim\nRUN apt-get update && apt-get install --no-install-recommends -y curl=7.88.1-10+deb12u15 openssl=3.0.22-1~deb12u2 git=1:2.39.5-0+deb12u3 && rm -rf /var/lib/apt/lists/*\n`,
    );
    expect(servers.deb.requests.some((r) => r.path.startsWith('/debian-security/dists/bookworm-security/'))).toBe(true);
  });

  it('lock-apt-install: reads Ubuntu jammy from the image and picks across jammy, jammy-updates and jammy-security (real Packages files)', async () => {
    const host = reg.host;
    servers.ubuntu.reset();
    const { file } = await run('apt-ubuntu', `FROM ${host}/acme/base:2026.11\nRUN apt-get update && apt-get install -y curl git\n`, ['lock-apt-install'], { unsafe: true });
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(
      `FROM ${host}/acme/base:2026.11\nRUN apt-get update && apt-get install --no-install-recommends -y curl=7.81.0-1ubuntu1.30 git=1:2.34.1-1ubuntu1.18 && rm -rf /var/lib/apt/lists/*\n`,
    );
    expect(file.applied.map((f) => f.message)).toContain('apt-get install: pinned curl=7.81.0-1ubuntu1.30, git=1:2.34.1-1ubuntu1.18 from ubuntu jammy (amd64): jammy-updates');
    // Each suite's InRelease and Packages.gz once; jammy-security from the ubuntu-security base, not the archive's.
    expect(servers.ubuntu.requests.map((r) => `${r.status} ${r.path}`).sort()).toEqual(JAMMY_AMD64_REQUESTS);
  });

  it('lock-pip-install: resolves from the PEP 691 JSON page and the PEP 503 HTML fallback', async () => {
    const host = reg.host;
    servers.pypi.reset();
    const { file } = await run('pip', `FROM ${host}/library/python:3.12-slim\nRUN pip install requests "Django>=5.0,<5.1"\n`, ['lock-pip-install']);
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(`FROM ${host}/library/python:3.12-slim\nRUN pip install requests==2.32.3 "Django==5.0.9"\n`);
    expect(servers.pypi.requests.map((r) => r.path).sort()).toEqual(['/simple/django/', '/simple/requests/']);
  });

  it("lock-pip-install: honours Requires-Python for the image config's PYTHON_VERSION (Django on 3.8 → 4.2.x)", async () => {
    const host = reg.host;
    const { file } = await run('pip-py38', `FROM ${host}/library/python:3.8-slim\nRUN pip install requests Django\n`, ['lock-pip-install']);
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(`FROM ${host}/library/python:3.8-slim\nRUN pip install requests==2.32.3 Django==4.2.16\n`);
    expect(file.applied.map((f) => f.message)).toEqual([
      `pip install: pinned requests==2.32.3, Django==4.2.16 for Python 3.8.18 (from PYTHON_VERSION in the image config of ${host}/library/python:3.8-slim)`,
    ]);
  });

  it('shell-pipefail: bash from the Debian image read through the registry; the Alpine stage gets a manual finding', async () => {
    const host = reg.host;
    const { file } = await run(
      'pipefail',
      `FROM ${host}/library/debian:bookworm-slim\nRUN echo a | tr a b\nFROM ${host}/library/alpine:3.19\nRUN echo a | tr a b\n`,
      ['shell-pipefail'],
      { unsafe: true },
    );
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(`FROM ${host}/library/debian:bookworm-slim\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN echo a | tr a b\nFROM ${host}/library/alpine:3.19\nRUN echo a | tr a b\n`);
    // Both decisions come from each image's own /etc/shells, read through the registry.
    expect(file.applied.map((f) => f.message)).toEqual([expect.stringContaining('library/debian:bookworm-slim lists /bin/bash in /etc/shells)')]);
    expect(file.findings.map((f) => [f.line, f.fixStatus])).toEqual([[4, 'manual']]);
    expect(file.findings[0]?.message).toContain('library/alpine:3.19 has no bash (its /etc/shells does not list it)');
  });

  it('an image without a release file and without tag hints: a finding, nothing pinned, no index asked', async () => {
    servers.apk.reset();
    const { file } = await run('empty', `FROM ${reg.host}/library/empty:1\nRUN apk add curl\n`, ['lock-apk-add']);
    expect(file.changed).toBe(false);
    expect(file.findings.map((f) => f.message)).toEqual([
      `apk add not pinned: cannot tell the release of ${reg.host}/library/empty:1: the image has no /etc/os-release, /etc/alpine-release or /etc/debian_version naming a known release, and its tag names no release`,
    ]);
    expect(servers.apk.requests).toHaveLength(0);
  });
});
