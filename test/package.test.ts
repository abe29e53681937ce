/**
 * The package as users get it: `npm pack` (of the built dist/), the file list (only the grammar's .wasm from
 * tree-sitter-bash, no source maps, the schema, docs and LICENSE), then `npm install -g --prefix <fresh dir>
 * <tarball>` — its dependencies come from the npm registry this machine reaches (or npm's cache) — and the installed
 * `harden` run on a sample outside the repository: the README's install section, for real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tmpTree } from './support/tmp.js';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let tarball = '';
let files: string[] = [];
let prefix = '';

beforeAll(() => {
  // The suite runs after `npm run build`; pack what it built (no prepare script: dist/ is not rebuilt under other tests).
  expect(existsSync(join(ROOT, 'dist/grammars/tree-sitter-bash.wasm')), 'run npm run build first').toBe(true);
  const out = mkdtempSync(join(tmpdir(), 'harden-pack-'));
  const json = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', out], { cwd: ROOT, encoding: 'utf8' });
  const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  tarball = join(out, info!.filename);
  files = info!.files.map((f) => f.path);
  prefix = mkdtempSync(join(tmpdir(), 'harden-prefix-'));
  const r = spawnSync(npm, ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: tmpdir(),
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  expect(r.status, `npm install -g failed:\n${r.stderr}`).toBe(0);
}, 900_000);

const bin = () => join(prefix, 'bin', 'harden');
const run = (args: string[], cwd: string) => spawnSync(bin(), args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(cwd, '.cache') }, timeout: 120_000 });

describe('the published package', () => {
  it('ships the grammar .wasm but not tree-sitter-bash, the bundled dependencies with their licenses, no source maps, and the schema, docs and LICENSE', () => {
    expect(files).toContain('dist/grammars/tree-sitter-bash.wasm');
    expect(files).toContain('dist/grammars/tree-sitter-bash.LICENSE');
    expect(files).toContain('dist/vendor/yaml.js');
    expect(files).toContain('dist/vendor/licenses/yaml.LICENSE');
    expect(files).toContain('dist/vendor/licenses/dockerfile-ast.LICENSE');
    expect(files).toContain('schema/harden.schema.json');
    expect(files).toContain('LICENSE');
    expect(files).toContain('docs/codemods/pin-image-digest.md');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    expect(pkg.dependencies).not.toHaveProperty('tree-sitter-bash');
    expect(statSync(tarball).size).toBeLessThan(2_000_000);
    expect(existsSync(join(prefix, 'lib/node_modules', pkg.name, 'node_modules/tree-sitter-bash'))).toBe(false);
    expect(existsSync(join(prefix, 'lib/node_modules/tree-sitter-bash'))).toBe(false);
  });

  it('installs the `harden` command, which fixes a sample outside the repository (shell parser and docs load)', () => {
    expect(run(['--version'], tmpdir()).stdout.trim()).toBe(pkg.version);
    const sample = tmpTree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      Dockerfile: 'FROM node:20.11.0\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm install\n',
      'package.json': '{"name":"app","version":"1.0.0"}\n',
      'package-lock.json': '{"name":"app","lockfileVersion":3,"packages":{}}\n',
      'compose.yaml': 'services:\n  web:\n    image: nginx:1.25.3\n    ports: ["8080:80"]\n',
    });
    const dry = run(['fix', '--offline', '--only', 'npm-install-to-ci,compose-no-new-privileges', '.'], sample);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('+RUN npm ci');
    expect(dry.stdout).toContain('+      - no-new-privileges:true');
    const wrote = run(['fix', '--write', '--offline', '--only', 'npm-install-to-ci', '.'], sample);
    expect(wrote.status, wrote.stderr).toBe(0);
    expect(readFileSync(join(sample, 'Dockerfile'), 'utf8')).toContain('RUN npm ci\n');
    const explain = run(['explain', 'pin-image-digest'], sample);
    expect(explain.stdout).toMatch(/^# pin-image-digest/m);
    writeFileSync(join(sample, '.harden.yaml'), 'unsafe: "false"\n');
    const bad = run(['check', '--offline', '.'], sample);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(".harden.yaml:1:9: 'unsafe' must be true or false");
  }, 600_000);
});

describe('the README\'s other ways in', () => {
  it('in a project: npm install --save-dev, then npx harden; and npx --package runs it without installing (as the Action does)', () => {
    const proj = tmpTree({ 'package.json': '{"name":"app","version":"1.0.0","private":true}\n', Dockerfile: 'FROM node:20.11.0\nRUN npm install\n' });
    const env = { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: join(proj, '.cache'), npm_config_update_notifier: 'false' };
    const i = spawnSync(npm, ['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: proj, encoding: 'utf8', timeout: 600_000, env });
    expect(i.status, i.stderr).toBe(0);
    const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
    expect(spawnSync(npx, ['harden', '--version'], { cwd: proj, encoding: 'utf8', env }).stdout.trim()).toBe(pkg.version);
    const c = spawnSync(npx, ['harden', 'check', '--offline', '--only', 'npm-install-to-ci', '.'], { cwd: proj, encoding: 'utf8', env, timeout: 120_000 });
    expect(c.status, c.stderr).toBe(1);
    expect(c.stdout).toMatch(/^Dockerfile:2:5 npm-install-to-ci /m);
    const elsewhere = tmpTree({ Dockerfile: 'FROM node:20.11.0\nRUN npm install\n' });
    const x = spawnSync(npx, ['--yes', '--prefer-offline', '--package', tarball, '--', 'harden', 'check', '--offline', '--only', 'npm-install-to-ci', '.'], { cwd: elsewhere, encoding: 'utf8', env: { ...env, XDG_CACHE_HOME: join(elsewhere, '.cache') }, timeout: 600_000 });
    expect(x.status, x.stderr).toBe(1);
    expect(x.stdout).toMatch(/^Dockerfile:2:5 npm-install-to-ci /m);
  }, 900_000);
});

describe('action.yml, run', () => {
  // The composite step's script, run as GitHub runs a bash step (bash --noprofile --norc -eo pipefail), with the
  // inputs in the environment as the step's `env:` sets them. `npx` on PATH swaps the package spec the script builds
  // (harden-containers@<version>, not on npm before the first release) for the packed tarball and logs each call.
  const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    runs: { steps: { id?: string; run?: string; env?: Record<string, string> }[] };
  };
  const step = action.runs.steps.find((s) => s.id === 'run')!;
  const runAction = (cwd: string, inputs: Record<string, string>) => {
    const shim = mkdtempSync(join(tmpdir(), 'harden-npx-'));
    const realNpx = execFileSync('bash', ['-c', 'command -v npx'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(shim, 'npx'),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> "${shim}/calls"\nargs=()\nfor a in "$@"; do if [ "$a" = "${pkg.name}@${pkg.version}" ]; then args+=("${tarball}"); else args+=("$a"); fi; done\nexec "${realNpx}" --prefer-offline "\${args[@]}"\n`,
      { mode: 0o755 },
    );
    const output = join(shim, 'github-output');
    writeFileSync(output, '');
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PATH: `${shim}:${process.env.PATH}`, GITHUB_OUTPUT: output, NO_COLOR: '1', npm_config_update_notifier: 'false' };
    for (const [k, v] of Object.entries(step.env ?? {})) {
      const m = /^\$\{\{ inputs\.([\w-]+) \}\}$/.exec(v);
      if (m) env[k] = inputs[m[1]!] ?? action.inputs[m[1]!]?.default ?? '';
    }
    env.ACTION_PATH = ROOT;
    env.XDG_CACHE_HOME = join(shim, 'cache');
    env.GITHUB_TOKEN = '';
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], { cwd, encoding: 'utf8', env, timeout: 600_000 });
    return { ...r, calls: existsSync(join(shim, 'calls')) ? readFileSync(join(shim, 'calls'), 'utf8').trim().split('\n') : [], output: readFileSync(output, 'utf8') };
  };

  it('check mode: one harden run prints the findings, writes the SARIF file and sets exit-code', () => {
    const repo = tmpTree({ Dockerfile: 'FROM node:20.11.0\nRUN npm install\n' });
    const r = runAction(repo, { only: 'npm-install-to-ci', sarif: 'harden.sarif', args: '--offline' });
    expect(r.status, r.stderr).toBe(1);
    expect(r.output).toBe('exit-code=1\n');
    expect(r.calls).toEqual([`--yes --package ${pkg.name}@${pkg.version} -- harden check --only npm-install-to-ci --fail-on warning --sarif harden.sarif --offline -- .`]);
    expect(r.stdout).toMatch(/^Dockerfile:2:5 npm-install-to-ci /m);
    const sarif = JSON.parse(readFileSync(join(repo, 'harden.sarif'), 'utf8')) as { runs: { results: { ruleId: string }[] }[] };
    expect(sarif.runs[0]!.results.map((x) => x.ruleId)).toEqual(['npm-install-to-ci']);
  }, 900_000);

  it('a clean tree exits 0; an unknown mode is refused with exit 2 before anything runs', () => {
    const clean = tmpTree({ 'compose.yaml': 'services: {}\n' });
    const ok = runAction(clean, { args: '--offline' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.output).toBe('exit-code=0\n');
    const bad = runAction(clean, { mode: 'fix' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain("::error::mode must be check, review or pr (got 'fix')");
    expect(bad.calls).toEqual([]);
  }, 900_000);
});

describe('npm run build', () => {
  it('starts from an empty dist/: a file an older build left there is not packed', () => {
    // A copy of the sources (node_modules linked), so the dist/ other tests use is not touched.
    const copy = mkdtempSync(join(tmpdir(), 'harden-build-'));
    for (const f of ['src', 'codemods', 'scripts', 'schema', 'docs', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
      cpSync(join(ROOT, f), join(copy, f), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    mkdirSync(join(copy, 'dist/src/old'), { recursive: true });
    writeFileSync(join(copy, 'dist/src/old/removed-module.js'), 'export {};\n');
    writeFileSync(join(copy, 'dist/src/cli.js.map'), '{}\n');
    const b = spawnSync(npm, ['run', 'build'], { cwd: copy, encoding: 'utf8', timeout: 600_000 });
    expect(b.status, b.stderr).toBe(0);
    expect(existsSync(join(copy, 'dist/src/cli.js'))).toBe(true);
    expect(existsSync(join(copy, 'dist/grammars/tree-sitter-bash.wasm'))).toBe(true);
    expect(existsSync(join(copy, 'dist/src/old/removed-module.js'))).toBe(false);
    const json = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: copy, encoding: 'utf8' });
    const packed = (JSON.parse(json) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(packed).toContain('dist/src/cli.js');
    expect(packed.filter((f) => f.includes('removed-module') || f.endsWith('.map'))).toEqual([]);
    rmSync(copy, { recursive: true, force: true });
  }, 900_000);
});
