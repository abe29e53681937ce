/**
 * source-read-secret-files end to end on the monorepo fixture: the companion changes are applied to a copy,
 * the rewritten TypeScript type-checks, the rewritten CommonJS runs and reads the values from the _FILE paths.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fix as fixWithCompanions } from '../../src/api.js';
import { tmpTree } from '../support/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'fixtures/source-read-secret-files/monorepo');

function copyFixture(): string {
  const dir = tmpTree();
  cpSync(FIXTURE, dir, { recursive: true });
  execFileSync('mv', [join(dir, 'input.compose.yaml'), join(dir, 'compose.yaml')]);
  // A dependency that reads the variable too: never touched.
  mkdirSync(join(dir, 'services/worker/node_modules/dep'), { recursive: true });
  writeFileSync(join(dir, 'services/worker/node_modules/dep/index.js'), 'module.exports = process.env.DB_PASSWORD;\n');
  return dir;
}

const run = (cwd: string, write: boolean) =>
  fixWithCompanions({ cwd, paths: ['compose.yaml'], write, unsafe: true, only: ['source-read-secret-files'], resolver: { offline: true } });

describe('source-read-secret-files (monorepo)', () => {
  it('previews the source changes in a dry run and writes nothing', async () => {
    const dir = copyFixture();
    const r = await run(dir, false);
    expect(r.companions.errors).toEqual([]);
    const paths = r.companions.files.map((f) => f.path).sort();
    expect(paths).toEqual([
      'services/api/src/index.ts',
      'services/api/src/lib/config.ts',
      'services/api/src/read-secret-env.ts',
      'services/worker/index.js',
      'services/worker/lib/db.js',
      'services/worker/read-secret-env.js',
    ]);
    expect(existsSync(join(dir, 'services/api/src/read-secret-env.ts'))).toBe(false);
    expect(readFileSync(join(dir, 'services/api/src/index.ts'), 'utf8')).toContain('process.env.OPENAI_API_KEY');
    expect(r.files[0]?.applied.map((f) => f.codemodId)).toEqual(['source-read-secret-files', 'source-read-secret-files']);
  });

  it('rewrites only the reads, keeps everything else, type-checks and runs', async () => {
    const dir = copyFixture();
    const r = await run(dir, true);
    expect(r.companions.errors).toEqual([]);
    const api = (p: string) => readFileSync(join(dir, 'services/api/src', p), 'utf8');
    expect(api('index.ts')).toBe(
      readFileSync(join(FIXTURE, 'services/api/src/index.ts'), 'utf8')
        .replace("import { config } from './lib/config.js';", "import { config } from './lib/config.js';\nimport { readSecretEnv } from './read-secret-env.js';")
        .replace('= process.env.OPENAI_API_KEY;', "= readSecretEnv('OPENAI_API_KEY');"),
    );
    expect(api('lib/config.ts')).toBe(
      readFileSync(join(FIXTURE, 'services/api/src/lib/config.ts'), 'utf8')
        .replace("type SecretName", "import { readSecretEnv } from '../read-secret-env.js';\ntype SecretName")
        .replace("process.env['OPENAI_API_KEY']", "readSecretEnv('OPENAI_API_KEY')"),
    );
    expect(api('read-secret-env.ts')).toContain('export function readSecretEnv(name: string): string | undefined');
    const worker = readFileSync(join(dir, 'services/worker/index.js'), 'utf8');
    expect(worker).toContain("const { readSecretEnv } = require('./read-secret-env.js');");
    expect(worker).toContain("const { NODE_ENV = 'production' } = process.env, SESSION_SECRET = readSecretEnv('SESSION_SECRET');");
    expect(readFileSync(join(dir, 'services/worker/lib/db.js'), 'utf8')).toContain("require('../read-secret-env.js')");
    expect(readFileSync(join(dir, 'services/worker/node_modules/dep/index.js'), 'utf8')).toContain('process.env.DB_PASSWORD');
    expect(readFileSync(join(dir, 'services/worker/read-secret-env.js'), 'utf8')).toContain('module.exports = { readSecretEnv };');

    // The TypeScript package type-checks.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'services/api/node_modules'), 'dir');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(dir, 'services/api/tsconfig.json')], { stdio: 'pipe' });

    // The CommonJS package runs and reads the files named by *_FILE (one trailing newline removed).
    writeFileSync(join(dir, 'pw'), 'S3CR3T-MARKER-db\n');
    writeFileSync(join(dir, 'session'), 'S3CR3T-MARKER-session');
    const out = execFileSync(process.execPath, [join(dir, 'services/worker/index.js')], {
      env: { PATH: process.env.PATH, DB_PASSWORD_FILE: join(dir, 'pw'), SESSION_SECRET_FILE: join(dir, 'session') },
    }).toString();
    expect(JSON.parse(out)).toEqual({ session: 'S3CR3T-MARKER-session', db: { password: 'S3CR3T-MARKER-db', name: 'app' }, env: 'production' });
    // …and still works with the plain variable.
    const plain = execFileSync(process.execPath, [join(dir, 'services/worker/index.js')], { env: { PATH: process.env.PATH, DB_PASSWORD: 'p', SESSION_SECRET: 's' } }).toString();
    expect(JSON.parse(plain)).toMatchObject({ session: 's', db: { password: 'p' } });

    // Idempotent: a second run finds nothing to change.
    const again = await run(dir, true);
    expect(again.companions.files).toEqual([]);
    expect(again.files[0]?.applied).toEqual([]);
  });
});
