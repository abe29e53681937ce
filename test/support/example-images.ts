/**
 * The images examples/ refers to, as seeded into a local registry by scripts/demo.ts and test/examples.test.ts:
 * [repository, tags sharing one digest, which base layer (so distro detection finds /etc/os-release)].
 */
import { ALPINE_LAYER, DEBIAN_LAYER, seedImage, type SeededImage, type TestRegistry } from './registry.js';

export const EXAMPLE_IMAGES: readonly [string, readonly string[], 'alpine' | 'debian'][] = [
  ['library/node', ['20-alpine', '20.11.0-alpine3.19', '20.11-alpine', '20-alpine3.19'], 'alpine'],
  ['library/node', ['20', '20.11.0', '20-bookworm', '20.11.0-bookworm'], 'debian'],
  ['library/python', ['3.11-slim', '3.11.9-slim', '3.11.9-slim-bookworm', '3.11-slim-bookworm'], 'debian'],
  ['library/mongo', ['latest', '7.0.3', '7.0', '7'], 'debian'],
  ['library/redis', ['7-alpine', '7.2.4-alpine', '7.2.4-alpine3.19', '7.2-alpine', '7.0.10-alpine'], 'alpine'],
  ['library/nginx', ['alpine', '1.25.4-alpine', '1.25-alpine'], 'alpine'],
  ['library/postgres', ['16', '16.2', '16.2-bookworm'], 'debian'],
  ['library/alpine', ['3.19', '3.19.1'], 'alpine'],
  ['library/debian', ['bookworm', 'bookworm-20240311', '12'], 'debian'],
  ['library/golang', ['1.22', '1.22.1', '1.22.1-bookworm'], 'debian'],
  ['prom/prometheus', ['latest', 'v2.48.0', 'v2.48'], 'debian'],
  ['grafana/grafana', ['latest', '10.2.2'], 'alpine'],
  ['docker/dockerfile', ['1', '1.7', '1.7.0'], 'alpine'],
  // The orchestrator app of examples/orchestrator as its Kubernetes manifests pull it (built FROM node:20-alpine).
  ['example/orchestrator', ['1.0.0', '1.0'], 'alpine'],
];

/**
 * Image config fields as the official images set them (user, ports, volumes), so findings that read the image
 * config say what the real image would; the title label also keeps every repository's digest distinct.
 */
const CONFIG: Record<string, Record<string, unknown>> = {
  'library/mongo': { ExposedPorts: { '27017/tcp': {} }, Volumes: { '/data/db': {}, '/data/configdb': {} } },
  'library/redis': { ExposedPorts: { '6379/tcp': {} }, Volumes: { '/data': {} }, WorkingDir: '/data' },
  'library/postgres': { ExposedPorts: { '5432/tcp': {} }, Volumes: { '/var/lib/postgresql/data': {} } },
  'library/nginx': { ExposedPorts: { '80/tcp': {} } },
  'prom/prometheus': { User: 'nobody', ExposedPorts: { '9090/tcp': {} }, Volumes: { '/prometheus': {} }, WorkingDir: '/prometheus' },
  'grafana/grafana': { User: '472', ExposedPorts: { '3000/tcp': {} }, WorkingDir: '/usr/share/grafana' },
  // node:20-alpine's entrypoint and the app's own `USER orchestrator` (uid 1001, as seed 001 describes it).
  'example/orchestrator': { User: '1001', Entrypoint: ['docker-entrypoint.sh'], Cmd: ['node', 'dist/index.js'], WorkingDir: '/app', ExposedPorts: { '3000/tcp': {} } },
};

/** Files some images carry on top of their base layer, read by codemods from the layers. */
const EXTRA_LAYER: Record<string, Record<string, string>> = {
  // Busybox's /etc/passwd, where prometheus's `User: nobody` is uid 65534.
  'prom/prometheus': { 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' },
  // node's docker-entrypoint.sh (it runs `node` for arguments that are not commands, then execs).
  'example/orchestrator': {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/ash\nnode:x:1000:1000::/home/node:/bin/sh\norchestrator:x:1001:1001::/app:/sbin/nologin\n',
    'usr/': '',
    'usr/local/': '',
    'usr/local/bin/': '',
    'usr/local/bin/docker-entrypoint.sh': '#!/bin/sh\nset -e\n\nif [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then\n  set -- node "$@"\nfi\n\nexec "$@"\n',
  },
};

const MULTI = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
];

/** Seeds every example image (amd64 + arm64/v8 index); returns the seeded images by `repo:tag`. */
export async function seedExampleImages(reg: TestRegistry): Promise<Map<string, SeededImage>> {
  const byRef = new Map<string, SeededImage>();
  for (const [repo, tags, distro] of EXAMPLE_IMAGES) {
    const base = distro === 'alpine' ? ALPINE_LAYER : DEBIAN_LAYER;
    const extra = EXTRA_LAYER[repo];
    const layer = extra ? { ...base, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, k.endsWith('/') ? { dir: true as const } : v])) } : base;
    const config = { ...CONFIG[repo], Labels: { 'org.opencontainers.image.title': repo, 'org.opencontainers.image.version': tags[0] } };
    const img = await seedImage(reg, repo, tags, { platforms: MULTI.map((p) => ({ ...p, layers: [layer], config })) });
    for (const t of tags) byRef.set(`${repo}:${t}`, img);
  }
  return byRef;
}
