/**
 * The bundled entry modules of dist/ (scripts/bundle-entries.mjs, the last step of `npm run build`): each entry exports
 * what its source module exports, the entries share one instance of each module, a run through the bundles gives the
 * results a run of the sources gives (check and fix, one thread and worker threads), and what the bundled code finds
 * beside its own module (the shell grammar, package.json, the worker entry) is found. Runs after `npm run build`,
 * like test/vendored-deps.test.ts; the dist/ code runs in plain Node, as users run it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as srcApi from '../src/api.js';
import * as srcRegistry from '../codemods/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const ENTRIES = ['src/index', 'src/api', 'src/cli', 'src/worker', 'codemods/index'];

/**
 * Runs an ES module in plain Node with the repository as its directory (from a file, not `--eval`: worker threads
 * inherit the process's flags); its stdout is JSON.
 */
function node(source: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'harden-bundle-test-'));
  const file = join(dir, 'run.mjs');
  writeFileSync(file, source.replaceAll("'./dist/", `'${pathToFileURL(DIST).href}/`));
  const r = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8', timeout: 170_000, maxBuffer: 256 * 1024 * 1024 });
  rmSync(dir, { recursive: true, force: true });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

/** Some of every codemod's fixture inputs (Dockerfiles and compose files) and the examples, as the API's `paths`. */
function inputs(): { dockerfile: string[]; compose: string[] } {
  const out = { dockerfile: [] as string[], compose: [] as string[] };
  let n = 0;
  for (const codemod of readdirSync(join(ROOT, 'fixtures')).sort()) {
    for (const c of readdirSync(join(ROOT, 'fixtures', codemod)).sort()) {
      for (const [file, kind] of [['input.Dockerfile', 'dockerfile'], ['input.compose.yaml', 'compose']] as const) {
        const p = join('fixtures', codemod, c, file);
        if (existsSync(join(ROOT, p)) && n++ % 3 === 0) out[kind].push(p);
      }
    }
  }
  for (const e of readdirSync(join(ROOT, 'examples')).sort()) {
    if (existsSync(join(ROOT, 'examples', e, 'Dockerfile'))) out.dockerfile.push(join('examples', e, 'Dockerfile'));
    if (existsSync(join(ROOT, 'examples', e, 'compose.yaml'))) out.compose.push(join('examples', e, 'compose.yaml'));
  }
  return out;
}

const OFFLINE = { unsafe: true, resolver: { offline: true, noCache: true } };

beforeAll(() => {
  expect(readFileSync(join(DIST, 'src/api.js'), 'utf8'), 'run npm run build first').toMatch(/scripts\/bundle-entries\.mjs/);
});

describe('the bundled entries of dist/', () => {
  it('each entry is a bundle exporting what its source module exports; the entries share their modules', async () => {
    const r = node(`
      const names = {};
      for (const e of ${JSON.stringify(ENTRIES.filter((e) => e !== 'src/worker'))}) names[e] = Object.keys(await import('./dist/' + e + '.js')).sort();
      const index = await import('./dist/src/index.js');
      const api = await import('./dist/src/api.js');
      const registry = await import('./dist/codemods/index.js');
      const shared = index.check === api.check && index.codemods === registry.codemods && index.UsageError === api.UsageError;
      console.log(JSON.stringify({ names, shared }));
    `) as { names: Record<string, string[]>; shared: boolean };
    expect(r.shared).toBe(true);
    for (const e of ENTRIES) expect(readFileSync(join(DIST, `${e}.js`), 'utf8'), e).toMatch(/^\/\*\n \* Bundled by harden's build \(scripts\/bundle-entries\.mjs\)/);
    const sources: Record<string, Record<string, unknown>> = {
      'src/index': await import('../src/index.js'),
      'src/api': srcApi,
      'src/cli': await import('../src/cli.js'),
      'codemods/index': srcRegistry,
    };
    for (const [e, m] of Object.entries(sources)) expect(r.names[e], e).toEqual(Object.keys(m).sort());
  });

  it('check and fix through the bundles give the results of the sources, in one thread and in worker threads', async () => {
    const { dockerfile, compose } = inputs();
    expect(dockerfile.length + compose.length).toBeGreaterThan(100);
    const skip = srcRegistry.codemods.filter((c) => c.network).map((c) => c.id);
    const runs = [
      ['check', 'dockerfile', dockerfile],
      ['check', 'compose', compose],
      ['fix', 'dockerfile', dockerfile],
      ['fix', 'compose', compose],
    ] as const;
    const expected = [];
    for (const [mode, kind, paths] of runs) {
      const r = await srcApi[mode]({ cwd: ROOT, paths, kind, skip, jobs: 1, ...OFFLINE });
      expected.push(JSON.parse(JSON.stringify({ files: r.files, problems: r.problems })));
    }
    const got = node(`
      import { check, fix } from './dist/src/api.js';
      const out = {};
      for (const jobs of [1, 2]) {
        out[jobs] = [];
        for (const [mode, kind, paths] of ${JSON.stringify(runs)}) {
          const r = await (mode === 'check' ? check : fix)({ cwd: ${JSON.stringify(ROOT)}, paths, kind, skip: ${JSON.stringify(skip)}, jobs, ...${JSON.stringify(OFFLINE)} });
          out[jobs].push({ files: r.files, problems: r.problems });
        }
      }
      console.log(JSON.stringify(out));
    `) as Record<string, unknown[]>;
    expect(got[1]).toEqual(expected);
    expect(got[2]).toEqual(expected);
  });

  it('the bundled code finds the grammar in dist/grammars, the package version, and the CLI runs', () => {
    const r = node(`
      import fsp from 'node:fs/promises';
      import { syncBuiltinESMExports } from 'node:module';
      const read = [];
      const readFile = fsp.readFile;
      fsp.readFile = (p, ...a) => { read.push(String(p)); return readFile(p, ...a); };
      syncBuiltinESMExports();
      const { check } = await import('./dist/src/api.js');
      const res = await check({ stdin: { text: 'FROM debian:12\\nRUN apt-get update && apt-get install -y curl\\n', filename: 'Dockerfile' }, network: false });
      console.log(JSON.stringify({ read: read.filter((f) => f.endsWith('.wasm')), findings: res.files[0].findings.length > 0 }));
    `) as { read: string[]; findings: boolean };
    expect(r.read).toContain(`file://${join(DIST, 'grammars/tree-sitter-bash.wasm')}`);
    expect(r.findings).toBe(true);
    const v = spawnSync(process.execPath, [join(DIST, 'src/bin.js'), '--version'], { encoding: 'utf8' });
    expect(v.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
