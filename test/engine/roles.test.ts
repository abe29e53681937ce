/**
 * File roles: compose files, Dockerfiles, manifests and scripts under test/CI/dev paths or names get pinning, locking
 * and build hygiene but no runtime hardening or secret migration, with one note per file; `overrides: [{ role }]`,
 * `fileRoles: false` and --no-file-roles change that.
 */
import { describe, expect, it } from 'vitest';
import { codemods } from '../../codemods/index.js';
import { fix, type HardenOptions } from '../../src/api.js';
import { configSchema } from '../../src/engine/config-schema.js';
import { validateConfig } from '../../src/engine/config.js';
import { detectRole, PRODUCTION_ONLY, rolePath } from '../../src/engine/roles.js';
import { createLocalResolver } from '../../src/resolvers/index.js';
import { harden } from '../support/cli.js';
import { tmpTree } from '../support/tmp.js';

describe('detectRole', () => {
  it.each([
    ['cypress/docker-compose.yml', 'test', 'path segment `cypress/`'],
    ['packages/e2e_tests/docker-compose.yml', 'test', 'path segment `e2e_tests/`'],
    ['tests/compose/api/docker-compose.yml', 'test', 'path segment `tests/`'],
    ['test/test-radius.dockerfile', 'test', 'file name `test-radius.dockerfile`'],
    ['packages/plugins/ratelimit-redis/src/tests/docker-compose.yml', 'test', 'path segment `tests/`'],
    ['packages/benchmarks/docker-compose.yml', 'test', 'path segment `benchmarks/`'],
    ['tests/examples/compose.yaml', 'test', 'path segment `tests/`'],
    ['charts/app/templates/tests/pod.yaml', 'test', 'path segment `tests/`'],
    ['docker/docker-compose.ci.postgres.yml', 'ci', 'file name `docker-compose.ci.postgres.yml`'],
    ['ci/docker-compose.yml', 'ci', 'path segment `ci/`'],
    ['.ci/Dockerfile', 'ci', 'path segment `.ci/`'],
    ['.github/workflows/build.yml', 'ci', 'path segment `.github/`'],
    ['charts/app/ci/values.yaml', 'ci', 'path segment `ci/`'],
    ['docker-compose.dev.yml', 'dev', 'file name `docker-compose.dev.yml`'],
    ['docker-compose.dev-azure.yml', 'dev', 'file name `docker-compose.dev-azure.yml`'],
    ['docker/docker-compose-dev.yml', 'dev', 'file name `docker-compose-dev.yml`'],
    ['docker/Dockerfile.dev', 'dev', 'file name `Dockerfile.dev`'],
    ['.devcontainer/Dockerfile', 'dev', 'path segment `.devcontainer/`'],
    ['dev/containers/docker-compose.yml', 'dev', 'path segment `dev/`'],
    ['docker/dev/Dockerfile', 'dev', 'path segment `dev/`'],
    ['tools/seed-snapshot/docker-compose.yml', 'dev', 'path segment `tools/`'],
    ['tooling/docker-compose.yml', 'dev', 'path segment `tooling/`'],
    ['docker-compose.tools.yml', 'dev', 'file name `docker-compose.tools.yml`'],
  ])('%s is a %s file (%s)', (path, role, why) => {
    expect(detectRole(path)).toEqual({ role, why });
  });

  it.each([
    'docker-compose.yml',
    'docker-compose.override.yml',
    'docker-compose.prod.yml',
    'docker-compose.latest.yml',
    'docker-compose.build.yml',
    'compose.testnet.yaml',
    'examples/mvar-openai/DEPLOY.md',
    'dev/examples/docker-compose.yml',
    'docs/compose/docker-compose.yml',
    'contest/Dockerfile',
    'latest/Dockerfile',
    'deploy/k8s/deployment.yaml',
    '../other/docker-compose.yml',
  ])('%s is a production file', (path) => {
    expect(detectRole(path).role).toBe('production');
  });

  it('reads the path inside the directory harden runs in, or inside the repository of a file outside it', () => {
    const root = tmpTree({ 'repo/.git/HEAD': 'x', 'repo/test/compose.yaml': '' });
    expect(rolePath(`${root}/repo/test/compose.yaml`, `${root}/repo`)).toBe('test/compose.yaml');
    expect(rolePath(`${root}/repo/test/compose.yaml`, `${root}/repo/test`)).toBe('compose.yaml');
    expect(rolePath(`${root}/repo/test/compose.yaml`, `${root}/elsewhere`)).toBe('test/compose.yaml');
  });

  it('a run remembers the repository root of each directory above files outside the directory it runs in', () => {
    const root = tmpTree({ 'repo/.git/HEAD': 'x', 'repo/test/a/compose.yaml': '', 'repo/test/b/compose.yaml': '', 'loose/ci/compose.yaml': '' });
    const roots = new Map<string, string | null>();
    expect(rolePath(`${root}/repo/test/a/compose.yaml`, `${root}/elsewhere`, roots)).toBe('test/a/compose.yaml');
    expect(roots.get(`${root}/repo/test`)).toBe(`${root}/repo`);
    expect(rolePath(`${root}/repo/test/b/compose.yaml`, `${root}/elsewhere`, roots)).toBe('test/b/compose.yaml');
    // No repository above: the file's name, as without the map.
    expect(rolePath(`${root}/loose/ci/compose.yaml`, `${root}/elsewhere`, roots)).toBe('compose.yaml');
    expect(roots.get(`${root}/loose`)).toBe(null);
  });
});

const STACK = [
  'services:',
  '  db:',
  '    image: postgres:16',
  '    environment:',
  '      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-umami}',
  '    ports:',
  '      - "5432:5432"',
  '',
].join('\n');
const DOCKERFILE = 'FROM node:22\nRUN npm install -g pnpm\nCMD ["node", "server.js"]\n';

function tree(extra: Record<string, string> = {}): string {
  return tmpTree({
    '.git/HEAD': 'x',
    'docker-compose.yml': STACK,
    'cypress/docker-compose.yml': STACK,
    'cypress/Dockerfile': DOCKERFILE,
    'docker-compose.dev.yml': STACK,
    ...extra,
  });
}

async function run(cwd: string, opts: HardenOptions = {}) {
  const r = await fix({ cwd, unsafe: true, customResolver: createLocalResolver(), ...opts });
  const ids = (path: string) => {
    const f = r.files.find((x) => x.path === path);
    return [...new Set([...(f?.applied ?? []), ...(f?.findings ?? [])].map((x) => x.codemodId))].sort();
  };
  return { r, ids };
}

describe('file roles in a run', () => {
  it('a test or dev stack gets pinning and locking only, with one note per file; the production stack everything', async () => {
    const { r, ids } = await run(tree());
    const production = ids('docker-compose.yml');
    expect(production).toEqual(expect.arrayContaining(['compose-log-limits', 'compose-no-new-privileges', 'compose-require-secret-vars', 'pin-image-digest']));
    for (const path of ['cypress/docker-compose.yml', 'docker-compose.dev.yml']) {
      // pin-image-digest runs (its lookup fails here: the local resolver reaches no registry); nothing else does.
      expect(ids(path)).toEqual(['pin-image-digest']);
      expect(r.files.find((f) => f.path === path)?.after).toBe(STACK);
    }
    expect(ids('cypress/Dockerfile')).toEqual(expect.arrayContaining(['lock-npm-global', 'pin-image-digest']));
    expect(ids('cypress/Dockerfile')).not.toContain('dockerfile-non-root-user');
    expect(ids('cypress/Dockerfile')).not.toContain('dockerfile-healthcheck');
    expect(r.files.find((f) => f.path === 'cypress/docker-compose.yml')?.role).toEqual({ role: 'test', why: 'path segment `cypress/`' });
    expect(r.files.find((f) => f.path === 'docker-compose.yml')?.role).toBeUndefined();
    const notes = (r.notes ?? []).filter((n) => n.includes(' file ('));
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(/^cypress\/Dockerfile: test file \(path segment `cypress\/`\): pinning and locking only, \d+ runtime-hardening and secret codemods skipped/);
    expect(notes[1]).toMatch(/^cypress\/docker-compose\.yml: test file \(path segment `cypress\/`\)/);
    expect(notes[2]).toMatch(/^docker-compose\.dev\.yml: dev file \(file name `docker-compose\.dev\.yml`\)/);
    expect(notes[2]).toContain('`role: production` in an `overrides:` entry of .harden.yaml, or pass --no-file-roles');
  });

  it('an overrides: role wins over the path, both ways', async () => {
    const cwd = tree({
      '.harden.yaml': 'overrides:\n  - files: ["cypress/**"]\n    role: production\n  - files: docker-compose.yml\n    role: ci\n',
    });
    const { r, ids } = await run(cwd);
    expect(ids('cypress/docker-compose.yml')).toContain('compose-log-limits');
    expect(ids('docker-compose.yml')).toEqual(['pin-image-digest']);
    expect(r.files.find((f) => f.path === 'docker-compose.yml')?.role?.why).toBe('`role: ci` for `docker-compose.yml` in .harden.yaml');
    expect((r.notes ?? []).filter((n) => n.includes(' file ('))).toHaveLength(2);
  });

  it('fileRoles: false (or the fileRoles option) hardens every file and says nothing', async () => {
    for (const [files, opts] of [[{ '.harden.yaml': 'fileRoles: false\n' }, {}], [{}, { fileRoles: false }]] as const) {
      const { r, ids } = await run(tree(files), opts);
      expect(ids('cypress/docker-compose.yml')).toContain('compose-log-limits');
      expect(ids('docker-compose.dev.yml')).toContain('compose-require-secret-vars');
      expect((r.notes ?? []).filter((n) => n.includes(' file ('))).toEqual([]);
    }
  });

  it('--no-file-roles on the command line; the note on standard error without it', () => {
    const cwd = tree();
    const roles = harden(['fix', '--no-network', 'cypress/docker-compose.yml'], { cwd });
    expect(roles.stdout).toBe('');
    expect(roles.stderr).toContain('note: cypress/docker-compose.yml: test file (path segment `cypress/`)');
    const all = harden(['fix', '--no-network', '--no-file-roles', 'cypress/docker-compose.yml'], { cwd });
    expect(all.stdout).toContain('+    security_opt:');
    expect(all.stderr).not.toContain('test file');
  });

  it('the schema takes a role per override and rejects an unknown one', async () => {
    await expect(validateConfig('.harden.yaml', { overrides: [{ files: 'qa/**', role: 'test' }], fileRoles: true }, { codemods })).resolves.toBeDefined();
    await expect(validateConfig('.harden.yaml', { overrides: [{ files: 'qa/**', role: 'staging' }] }, { codemods })).rejects.toThrow(
      "'overrides[0].role' must be one of production, dev, ci, test",
    );
    expect(JSON.stringify(configSchema(codemods))).toContain('"fileRoles"');
  });

  it('runtime hardening and secret codemods act on production files only; pinning, locking and build hygiene on every file', () => {
    const production = codemods.filter((c) => c.roles === PRODUCTION_ONLY).map((c) => c.id);
    for (const id of ['compose-secrets', 'source-read-secret-files', 'compose-read-only', 'k8s-security-context', 'docker-run-read-only', 'dockerfile-non-root-user']) {
      expect(production).toContain(id);
    }
    for (const id of ['pin-image-digest', 'lock-apt-install', 'lock-npm-global', 'add-download-checksum', 'shell-pipefail', 'dockerfile-apt-hygiene']) {
      expect(codemods.find((c) => c.id === id)?.roles).toBeUndefined();
    }
  });
});
