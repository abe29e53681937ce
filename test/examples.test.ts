/**
 * The bundled examples, end to end: `harden fix --write` pins every image reference in examples/ through a real
 * docker-registry on 127.0.0.1 configured as the docker.io mirror, and a second run has nothing left to do.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fix, hasProcessingErrors } from '../src/api.js';
import { parseFile } from '../src/engine/parse.js';
import { harden } from './support/cli.js';
import { seedExampleImages } from './support/example-images.js';
import { composeValidates, schemaAvailable } from './support/compose-schema.js';
import { startIndexServers, type IndexServers } from './support/index-servers.js';
import { k8sProblems } from './support/k8s-schema.js';
import { parseAllDocuments } from 'yaml';
import { REGISTRY_BIN, startRegistry, type SeededImage, type TestRegistry } from './support/registry.js';

const EXAMPLES = resolve(import.meta.dirname, '../examples');
const hasRegistry = existsSync(REGISTRY_BIN);
/** The Kubernetes manifests of examples/ (kustomization.yaml lists them; it has no images of its own). */
const K8S_MANIFEST = /\/k8s\/(?!kustomization)[^/]+\.yaml$/;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? (n === 'node_modules' ? [] : walk(p)) : [p];
  });
}

/** Every image reference of a Dockerfile (FROM, # syntax=) or compose file (image:), as written. */
function references(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (/compose\.ya?ml$/.test(file) || K8S_MANIFEST.test(file)) return [...text.matchAll(/^\s+image:\s*["']?([^\s"'#]+)/gm)].map((m) => m[1] as string);
  const out = [...text.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)/gim)].map((m) => m[1] as string);
  const syntax = /^#\s*syntax=(\S+)/m.exec(text);
  return syntax ? [...out, syntax[1] as string] : out;
}

describe.skipIf(!hasRegistry)('examples/ against a seeded local registry', () => {
  let reg: TestRegistry;
  let seeded: Map<string, SeededImage>;
  let dir: string;
  beforeAll(async () => {
    reg = await startRegistry();
    seeded = await seedExampleImages(reg);
    dir = mkdtempSync(join(tmpdir(), 'harden-examples-'));
    cpSync(EXAMPLES, join(dir, 'examples'), { recursive: true });
    writeFileSync(join(dir, '.harden.yaml'), `registries:\n  docker.io: { mirror: "${reg.url}" }\n`);
  });
  afterAll(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('harden fix --write pins every image reference to the digest its tag has in the registry; a second run changes nothing', () => {
    const files = walk(join(dir, 'examples')).filter((f) => /(Dockerfile|compose\.ya?ml)$/.test(f) || K8S_MANIFEST.test(f));
    const before = files.flatMap(references).filter((r) => !r.includes('@'));
    expect(before.length).toBeGreaterThan(8);

    const r = harden(['fix', '--write', '--only', 'pin-image-digest', 'examples'], { cwd: dir });
    expect(r.stderr).not.toMatch(/could not|error/i);
    expect(r.code).toBe(0);

    const stageNames = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bAS\s+(\S+)/gi)].map((m) => m[1])));
    const after = files.flatMap(references).filter((ref) => ref !== 'scratch' && !stageNames.has(ref));
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    for (const ref of after) {
      const m = /^([^@]+):([^:@]+)@(sha256:[0-9a-f]{64})$/.exec(ref);
      expect(m, `${ref} is pinned as name:tag@digest`).not.toBeNull();
      const [, name, tag, digest] = m as unknown as [string, string, string, string];
      const repo = name.includes('/') ? name : `library/${name}`;
      expect(digest, ref).toBe(seeded.get(`${repo}:${tag}`)?.digest);
    }

    const again = harden(['fix', '--exit-code', '--only', 'pin-image-digest', 'examples'], { cwd: dir });
    expect(again.stdout).toBe('');
    expect(again.code).toBe(0);
  });

  it('every codemod (--unsafe) over examples/ through the registry and local indexes: no errors, valid output, and a second run has nothing left to apply', async () => {
    const work = mkdtempSync(join(tmpdir(), 'harden-examples-all-'));
    let servers: IndexServers | undefined;
    try {
      cpSync(EXAMPLES, join(work, 'examples'), { recursive: true });
      servers = await startIndexServers(work);
      const opts = {
        cwd: work,
        paths: ['examples'],
        unsafe: true,
        // It downloads `curl | bash` scripts from the internet to hash them; this machine reaches no such host.
        skip: ['add-download-checksum'],
        resolver: { registries: { 'docker.io': { mirror: reg.url } }, indexes: servers.indexes, cacheDir: join(work, '.cache'), retries: 0 },
      };
      const first = await fix({ ...opts, write: true });
      expect(hasProcessingErrors(first), JSON.stringify(first.files.filter((f) => f.error).map((f) => [f.path, f.error]))).toBe(false);
      const changed = first.files.filter((f) => f.changed).map((f) => f.path.replace(/\\/g, '/')).sort();
      expect(changed).toEqual([
        'examples/agent-runtime/Dockerfile',
        'examples/basic/Dockerfile',
        'examples/basic/compose.yaml',
        'examples/mvar-openai/DEPLOY.md',
        'examples/mvar-openai/examples/deployment/openai_docker/Dockerfile',
        'examples/orchestrator/app/Dockerfile',
        'examples/orchestrator/compose.yaml',
        'examples/orchestrator/k8s/grafana.yaml',
        'examples/orchestrator/k8s/mongo.yaml',
        'examples/orchestrator/k8s/orchestrator.yaml',
        'examples/orchestrator/k8s/prometheus.yaml',
        'examples/orchestrator/k8s/redis.yaml',
      ]);
      // The Kubernetes manifests still validate against the Kubernetes schemas, and the orchestrator's container has
      // the securityContext seed 001's audit asks for.
      for (const f of first.files.filter((x) => x.kind === 'kubernetes' && K8S_MANIFEST.test(`/${x.path}`))) {
        expect(k8sProblems(readFileSync(join(work, f.path), 'utf8')), f.path).toEqual([]);
      }
      const orch = parseAllDocuments(readFileSync(join(work, 'examples/orchestrator/k8s/orchestrator.yaml'), 'utf8'))[0]?.toJS() as {
        spec: { template: { spec: { containers: { securityContext: unknown; resources: unknown; image: string }[]; securityContext: unknown } } };
      };
      const pod = orch.spec.template.spec;
      expect(pod.containers[0]?.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        runAsUser: 1001,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.containers[0]?.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } });
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0]?.image).toBe(`example/orchestrator:1.0.0@${seeded.get('example/orchestrator:1.0.0')?.digest ?? ''}`);
      // Seed 000's cookbook: the `docker run` it documents is hardened as its audit asks (read-only root, dropped
      // capabilities, the secret out of the command), from the Dockerfile its `docker build` line names.
      expect(readFileSync(join(work, 'examples/mvar-openai/DEPLOY.md'), 'utf8')).toContain([
        'docker run --rm \\',
        '  -e MVAR_REQUIRE_EXECUTION_TOKEN=1 \\',
        '  -e MVAR_EXEC_TOKEN_SECRET \\',
        '  -e MVAR_FAIL_CLOSED=1 \\',
        '  --cap-drop ALL \\',
        '  --security-opt no-new-privileges \\',
        '  --read-only \\',
        '  --tmpfs /tmp \\',
        '  --memory 512M \\',
        '  --pids-limit 256 \\',
        '  mvar-openai-runtime:local',
      ].join('\n'));
      // What was written parses, and the compose files still conform to the Compose Specification schema.
      for (const f of first.files) parseFile(f.kind, f.path, undefined, readFileSync(join(work, f.path), 'utf8'));
      if (schemaAvailable()) {
        for (const f of first.files.filter((x) => x.kind === 'compose')) {
          expect(composeValidates(readFileSync(join(work, f.path), 'utf8')), `${f.path} validates`).toBe(true);
        }
      }
      // docker-compose 1.x, where installed, accepts everything but `secrets: {x: {environment: VAR}}` (Compose v2.23+
      // syntax it predates): checked on the orchestrator with that one construct turned into a file secret.
      const compose = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));
      if (compose) {
        for (const f of first.files.filter((x) => x.kind === 'compose')) {
          const legacy = readFileSync(join(work, f.path), 'utf8').replace(/^(\s+)environment: ([A-Z_]+)$/gm, (m, ind: string, v: string) =>
            /^\s{4}$/.test(ind) ? `${ind}file: ./secrets/${v.toLowerCase()}` : m,
          );
          const copy = join(work, f.path.replace(/compose\.yaml$/, 'compose.legacy.yaml'));
          writeFileSync(copy, legacy);
          // A variable compose-require-secret-vars made required is one its message tells the user to set: set it.
          const required = Object.fromEntries([...legacy.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):\?/g)].map((m) => [m[1], 'set-by-test']));
          execFileSync(compose, ['-f', copy, 'config', '-q'], { cwd: join(copy, '..'), stdio: 'pipe', env: { ...process.env, ...required } });
          rmSync(copy);
        }
      }
      // A compose service built here is judged by its Dockerfile, which the first run may change (a USER added by
      // dockerfile-non-root-user is evidence for compose-drop-capabilities): such follow-ups, and only those, may
      // apply on a second run; a third has nothing left.
      const second = await fix({ ...opts, write: true });
      const followUps = second.files.flatMap((f) => f.applied);
      for (const a of followUps) expect(`${a.codemodId}: ${a.message}`).toMatch(/^compose-[a-z-]+: .*the USER of \.\/Dockerfile/);
      const third = await fix({ ...opts, write: false });
      expect(third.files.filter((f) => f.changed).map((f) => f.path)).toEqual([]);
      expect(third.files.flatMap((f) => f.applied)).toEqual([]);
    } finally {
      await servers?.close();
      rmSync(work, { recursive: true, force: true });
    }
  }, 180_000);
});

