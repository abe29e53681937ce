/**
 * Worker threads (`jobs`): a run with workers gives the results of a one-thread run (same findings, fixes, errors,
 * notes, and the same order of `onFile` calls), asks the registry once per unique reference whatever thread needs
 * it, and a file that throws or ends its worker thread is reported while every other file is still done.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_JOBS_MIN_FILES, check, fix, workerThreads, type HardenOptions, type HardenResult } from '../../src/api.js';
import type { FileResult } from '../../src/engine/run.js';
import { SecretValue } from '../../src/engine/redacted.js';
import { fromWire, toWire } from '../../src/engine/workers.js';
import { REGISTRY_BIN, seedImage, startRegistry, type TestRegistry } from '../support/registry.js';
import { tmpTree } from '../support/tmp.js';
import { codemods as withFault } from '../support/worker-codemods.js';

/** A run and the paths in the order `onFile` was called. */
async function run(f: typeof check, opts: HardenOptions): Promise<{ r: HardenResult; order: string[]; files: FileResult[] }> {
  const files: FileResult[] = [];
  const r = await f({ ...opts, onFile: (x) => void files.push(x) });
  return { r, order: files.map((x) => x.path), files };
}

/** What output is made of (results compared as JSON, as `--format json` prints them). */
const outputOf = (x: Awaited<ReturnType<typeof run>>) => JSON.parse(JSON.stringify({ files: x.files, problems: x.r.problems, notes: x.r.notes, companions: x.r.companions }));

const fillerDockerfile = (i: number) => `FROM debian:12\nRUN apt-get update && apt-get install -y curl${i % 3 === 0 ? ' git' : ''}\nCMD ["sleep", "${i}"]\n`;
const fillerCompose = (i: number) => `services:\n  s${i}:\n    image: redis:7\n    ports:\n      - "${6000 + i}:6379"\n`;

/** Files reading each other: compose building Dockerfiles, a kustomization and its patch, sizes stated in another compose file. */
function crossFileTree(): Record<string, string> {
  const tree: Record<string, string> = {
    // One repository (sizes are lent between files of one repository only; sizes/ and svc/ are siblings).
    '.git/HEAD': 'ref: refs/heads/main\n',
    'sizes/compose.yaml': 'services:\n  api:\n    image: example/api:1\n    mem_limit: 384m\n    cpus: "0.75"\n',
    'svc/compose.yaml': 'services:\n  api:\n    image: example/api:1\n',
    'k8s/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n',
    'k8s/patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          env:\n            - name: A\n              value: "1"\n',
    'overlays/prod/kustomization.yaml': 'resources:\n  - ../../k8s/deployment.yaml\npatches:\n  - path: ../../k8s/patch.yaml\n',
  };
  for (let i = 0; i < 3; i++) {
    tree[`app${i}/compose.yaml`] = `services:\n  web:\n    build:\n      context: .\n      args:\n        BASE: node:20\n    volumes:\n      - data:/var/lib/app\nvolumes:\n  data: {}\n`;
    tree[`app${i}/Dockerfile`] = 'ARG BASE\nFROM ${BASE}\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n';
  }
  // Enough files for several batches of each kind (64 files a batch), so batches go to different threads.
  for (let i = 0; i < 90; i++) tree[`more/c${String(i).padStart(3, '0')}/compose.yaml`] = fillerCompose(i);
  for (let i = 0; i < 140; i++) tree[`more/d${String(i).padStart(3, '0')}/Dockerfile`] = fillerDockerfile(i);
  return tree;
}

describe('jobs', () => {
  it('auto starts no worker below the threshold or on 2 cores, one per core but one above it; 1 starts none', () => {
    expect(workerThreads('auto', AUTO_JOBS_MIN_FILES - 1, 8)).toBe(0);
    expect(workerThreads('auto', AUTO_JOBS_MIN_FILES, 8)).toBe(4);
    expect(workerThreads('auto', AUTO_JOBS_MIN_FILES, 3)).toBe(2);
    expect(workerThreads('auto', AUTO_JOBS_MIN_FILES, 2)).toBe(0);
    expect(workerThreads(1, 10_000)).toBe(0);
    expect(workerThreads(3, 5)).toBe(3);
    expect(() => workerThreads(0, 5)).toThrow(/positive integer/);
  });

  it('gives the same results with 2 worker threads as with one thread, in check and fix, cross-file facts included', async () => {
    const cwd = tmpTree(crossFileTree());
    for (const f of [check, fix]) {
      const one = await run(f, { cwd, network: false, jobs: 1, resolver: { offline: true, noCache: true } });
      const two = await run(f, { cwd, network: false, jobs: 2, resolver: { offline: true, noCache: true } });
      expect(one.files.length).toBe(5 + 6 + 90 + 140);
      expect(two.order).toEqual(one.order);
      expect(outputOf(two)).toEqual(outputOf(one));
      // The cross-file facts were seen: sizes stated in sizes/compose.yaml, the kustomization's patch left alone.
      const svc = one.files.find((x) => x.path === 'svc/compose.yaml') as FileResult;
      expect(JSON.stringify([...svc.findings, ...svc.applied])).toMatch(/384m/);
      const patch = one.files.find((x) => x.path === 'k8s/patch.yaml') as FileResult;
      expect([...patch.findings, ...patch.applied].filter((x) => x.codemodId === 'k8s-security-context')).toEqual([]);
      expect(one.files.some((x) => x.error)).toBe(false);
    }
  });

  it('gives the same results on part of the corpus', async () => {
    const corpus = resolve(__dirname, '../../../shared/corpus');
    if (!existsSync(corpus)) return;
    const { readdirSync } = await import('node:fs');
    for (const [dir, kind] of [['compose', 'compose'], ['dockerfiles', 'dockerfile']] as const) {
      const paths = readdirSync(resolve(corpus, dir)).sort().slice(0, 150).map((n) => resolve(corpus, dir, n));
      // Offline as well: whatever a codemod would look up is answered from nothing, never from the network.
      const opts: HardenOptions = { paths, kind, network: false, unsafe: true, resolver: { offline: true, noCache: true } };
      const one = await run(fix, { ...opts, jobs: 1 });
      const two = await run(fix, { ...opts, jobs: 2 });
      expect(one.files.length).toBe(150);
      expect(two.order).toEqual(one.order);
      expect(outputOf(two)).toEqual(outputOf(one));
    }
  });

  it('reports a file that throws or ends its worker thread, and does every other file', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 150; i++) tree[`d${String(i).padStart(3, '0')}/Dockerfile`] = fillerDockerfile(i);
    tree['d010/Dockerfile'] = `# END-THREAD\n${fillerDockerfile(10)}`;
    tree['d100/Dockerfile'] = `# END-THREAD\n${fillerDockerfile(100)}`;
    tree['d070/Dockerfile'] = `# THROW-HERE\n${fillerDockerfile(70)}`;
    const cwd = tmpTree(tree);
    const codemodsModule = pathToFileURL(resolve(__dirname, '../support/worker-codemods.ts')).href;
    const two = await run(check, { cwd, network: false, jobs: 2, codemods: withFault, codemodsModule });
    expect(two.files.map((x) => x.path).sort()).toEqual(Object.keys(tree).sort());
    const errors = Object.fromEntries(two.files.filter((x) => x.error).map((x) => [x.path, x.error?.message]));
    expect(errors).toEqual({
      'd010/Dockerfile': expect.stringMatching(/worker thread processing it stopped \(exit code 3\)/),
      'd100/Dockerfile': expect.stringMatching(/worker thread processing it stopped \(exit code 3\)/),
      'd070/Dockerfile': expect.stringMatching(/codemod test-worker-fault failed: thrown on purpose/),
    });
    // Every other file has the findings of a one-thread run (without the files that end threads).
    const { 'd010/Dockerfile': _a, 'd100/Dockerfile': _b, ...rest } = tree;
    const one = await run(check, { cwd: tmpTree(rest), network: false, jobs: 1, codemods: withFault });
    const strip = (xs: FileResult[]) => JSON.parse(JSON.stringify(xs.filter((x) => !/d010|d100/.test(x.path)).map((x) => ({ path: x.path, findings: x.findings, error: x.error }))));
    expect(strip(two.files)).toEqual(strip(one.files));
  });

  it('carries secret values of fixes across threads (for --write), printed as [redacted]', () => {
    const back = fromWire(structuredClone(toWire({ fix: { redact: [new SecretValue('s3cr3t')] } }))) as { fix: { redact: SecretValue[] } };
    expect(back.fix.redact[0]).toBeInstanceOf(SecretValue);
    expect(back.fix.redact[0]?.reveal()).toBe('s3cr3t');
    expect(JSON.stringify(back)).not.toMatch(/s3cr3t/);
  });
});

describe.skipIf(!existsSync(REGISTRY_BIN))('jobs against the real registry', () => {
  let reg: TestRegistry;
  const IMAGES = ['alpine', 'nginx', 'redis', 'busybox', 'httpd'];
  beforeAll(async () => {
    reg = await startRegistry();
    for (const i of IMAGES) await seedImage(reg, `library/${i}`, ['1.0']);
  }, 120_000);
  afterAll(() => reg?.stop());

  it('sends one request per unique reference with workers, as with one thread', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 150; i++) tree[`d${String(i).padStart(3, '0')}/Dockerfile`] = `FROM ${reg.host}/library/${IMAGES[i % IMAGES.length]}:1.0\nCMD ["true"]\n`;
    for (let i = 0; i < 70; i++) tree[`c${String(i).padStart(3, '0')}/compose.yaml`] = `services:\n  s:\n    image: ${reg.host}/library/${IMAGES[(i + 2) % IMAGES.length]}:1.0\n`;
    const cwd = tmpTree(tree);
    const opts: HardenOptions = { cwd, only: ['pin-image-digest'], resolver: { noCache: true } };
    const one = await run(check, { ...opts, jobs: 1 });
    const two = await run(check, { ...opts, jobs: 2 });
    expect(one.files.length).toBe(220);
    expect(one.files.every((f) => f.findings.length === 1 && f.findings[0]?.fixStatus === 'fixable')).toBe(true);
    expect(outputOf(two)).toEqual(outputOf(one));
    expect(two.order).toEqual(one.order);
    expect(one.r.requests.head).toBe(IMAGES.length);
    expect(two.r.requests).toEqual(one.r.requests);
  });
});
