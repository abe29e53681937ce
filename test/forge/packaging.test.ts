/** The pre-commit hooks select exactly the names harden discovers; the action's inputs are wired; small forge helpers. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { kindFromName } from '../../src/engine/discover.js';
import { scrub } from '../../src/forge/scrub.js';
import { parseRepo } from '../../src/forge/github.js';
import { Git, parseTrailers } from '../../src/forge/git.js';
import { repos } from './support/repos.js';
import { PACKAGE_NAME, version } from '../../src/version.js';
import { prBody } from '../../src/forge/body.js';

const ROOT = resolve(import.meta.dirname, '../..');
const pyRegex = (s: string) => (s.startsWith('(?i)') ? new RegExp(s.slice(4), 'i') : new RegExp(s));

const NAMES = [
  'Dockerfile', 'dockerfile', 'Dockerfile.prod', 'Dockerfile.dev.arm64', 'api.Dockerfile', 'Containerfile', 'Containerfile.ci', 'x.containerfile',
  'compose.yaml', 'compose.yml', 'compose.prod.yaml', 'docker-compose.yml', 'docker-compose.override.yaml', 'Docker-Compose.yml',
  'Dockerfile.md', 'Dockerfile.sh', 'Dockerfile.yaml', 'Dockerfile.prod.bak', 'Dockerfile.dockerignore', 'README.md', 'compose.json',
  'compose.dockerfile.yaml', 'app.Dockerfile.md', 'mycompose.yaml', 'src/Dockerfilex', 'package.json', '.dockerignore',
  'deploy.sh', 'Makefile', 'rules.mk', '.gitlab-ci.yml', 'build.gitlab-ci.yml', '.github/workflows/ci.yml', '.github/labeler.yml', 'notes.txt',
];

describe('npm package name', () => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  it('is the free name everywhere, the command stays `harden`', () => {
    expect(pkg.name).toBe(PACKAGE_NAME);
    expect(pkg.name).not.toBe('harden'); // taken on npm by an unrelated package
    expect(Object.keys(pkg.bin)).toEqual(['harden']);
    expect(version()).not.toBe('0.0.0');
    expect(readme).toContain(`npm install -g ${PACKAGE_NAME}`);
    expect(readme).toContain(`from '${PACKAGE_NAME}'`);
    expect(readme).not.toMatch(/npm install -g harden\s|from 'harden'/);
  });
  it('the pull request body links to the package that is harden', () => {
    const body = prBody({ files: [], problems: [], requests: {}, companions: { files: [], messages: [] } } as unknown as Parameters<typeof prBody>[0], { version: '1.2.3' } as Parameters<typeof prBody>[1]);
    expect(body).toContain(`https://www.npmjs.com/package/${PACKAGE_NAME})`);
    expect(body).not.toContain('npmjs.com/package/harden)');
  });
});

describe('.pre-commit-hooks.yaml', () => {
  const hooks = parse(readFileSync(resolve(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string; entry: string; files: string; exclude?: string }[];
  it('has check and fix hooks', () => {
    expect(hooks.map((h) => h.id)).toEqual(['harden-check', 'harden-fix']);
    expect(hooks[1]!.entry).toBe('harden fix --write');
  });
  for (const h of hooks) {
    it(`${h.id}: files/exclude select what harden discovers`, () => {
      for (const base of NAMES) {
        for (const name of [base, `deploy/svc/${base}`]) {
          const selected = pyRegex(h.files).test(name) && !(h.exclude && pyRegex(h.exclude).test(name));
          expect(selected, name).toBe(kindFromName(name) !== undefined);
        }
      }
    });
  }
});

describe('action.yml', () => {
  const action = parse(readFileSync(resolve(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown>; runs: { using: string; steps: { env?: Record<string, string>; run?: string }[] } };
  it('runs the published package at the version of its own ref, once, leaving the job\'s Node alone', () => {
    const steps = action.runs.steps as { uses?: string; run?: string }[];
    // Inner actions (if any) are pinned by commit SHA; setup-node (which would change Node for later steps) is not used.
    for (const st of steps) if (st.uses) expect(st.uses).toMatch(/@[0-9a-f]{40}$/);
    expect(steps.some((st) => st.uses?.startsWith('actions/setup-node'))).toBe(false);
    const script = steps.map((st) => st.run ?? '').join('\n');
    expect(script).not.toMatch(/npm ci|npm run build|tsc/);
    expect(script).toContain('p.name + "@" + p.version');
    expect(script.match(/npx --yes --package "\$pkg" -- harden/g)).toHaveLength(1);
    expect(script).toContain('args+=(--sarif "$INPUT_SARIF")');
  });
  it('is a composite action whose every input reaches the script through the environment', () => {
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps.find((s) => s.run?.includes('npx'))! as { env?: Record<string, string>; run?: string; 'working-directory'?: string };
    const used = [...Object.values(step.env ?? {}), step['working-directory']].join(' ');
    for (const input of Object.keys(action.inputs)) expect(used, input).toContain(`inputs.${input} }}`);
    expect(step.run).not.toMatch(/\$\{\{/);
    for (const k of ['mode', 'paths', 'only', 'skip', 'unsafe', 'token', 'fail-on']) expect(action.inputs).toHaveProperty(k);
  });
});

describe('forge helpers', () => {
  it('scrubs tokens, their Basic form and URL credentials', () => {
    const t = 'ghs_abcdefghijklmnop';
    const basic = Buffer.from(`x-access-token:${t}`).toString('base64');
    expect(scrub(`a ${t} b ${basic} https://u:p@h.example/x https://${t}@h/x`, [t])).toBe('a *** b *** https://***@h.example/x https://***@h/x');
  });
  it('parses owner/name from --repo and remote URLs', () => {
    expect(parseRepo('acme/app')).toEqual({ owner: 'acme', repo: 'app' });
    expect(parseRepo('https://github.com/acme/app.git')).toEqual({ owner: 'acme', repo: 'app' });
    expect(parseRepo('git@github.com:acme/app.git')).toEqual({ owner: 'acme', repo: 'app' });
    expect(parseRepo('ssh://git@ghe.example.com:2222/acme/app')).toEqual({ owner: 'acme', repo: 'app' });
    expect(parseRepo('https://ghe.example.com/acme/app')).toEqual({ owner: 'acme', repo: 'app' });
    expect(parseRepo('/tmp/remote.git')).toBeUndefined();
  });
  it('reads trailers from the last paragraph only', () => {
    expect(parseTrailers('fix: x\n\nHarden-Bot: v1 in body\n\nHarden-Bot: v1\nSigned-off-by: A <a@b>')).toEqual([['Harden-Bot', 'v1'], ['Signed-off-by', 'A <a@b>']]);
  });
  it('sends the token only to the remote origin, replacing headers configured before', async () => {
    const r = repos({ 'a.txt': 'a\n' });
    r.git('config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic old');
    const git = new Git({ cwd: r.work, token: 'tok123456' });
    git.authorizeFor('https://github.com/acme/app.git');
    const get = async (url: string) => (await git.run(['config', '--get-urlmatch', 'http.extraheader', url], { allowFail: true })).stdout.trim();
    expect(await get('https://github.com/acme/app.git')).toBe(`AUTHORIZATION: basic ${Buffer.from('x-access-token:tok123456').toString('base64')}`);
    expect(await get('https://evil.example.com/acme/app.git')).toBe('');
    git.authorizeFor('git@github.com:acme/app.git');
    expect(await get('https://github.com/acme/app.git')).toBe('AUTHORIZATION: basic old');
  });
});
