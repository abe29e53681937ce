/** Seed 001's orchestrator stack (examples/orchestrator) migrated end to end: compose, app sources, secret files. */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fix as fixWithCompanions } from '../../src/api.js';
import { tmpTree } from '../support/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/orchestrator');
const ONLY = ['compose-env-file-secrets', 'compose-secrets', 'dockerfile-secret-env', 'source-read-secret-files'];

export const AFTER_COMPOSE = `# Seed 001's orchestrator stack, before harden (see test/secrets/orchestrator.test.ts for the after).
services:
  orchestrator:
    build: ./app
    ports:
      - "3000:3000"
    environment:
      NODE_ENV: production
      MONGO_URL: mongodb://mongo:27017/orchestrator
      OPENAI_API_KEY_FILE: /run/secrets/openai_api_key
    secrets:
      - openai_api_key
    depends_on:
      - mongo
      - redis
    restart: unless-stopped

  mongo:
    image: mongo:7.0.3
    environment:
      MONGO_INITDB_ROOT_USERNAME: root
      MONGO_INITDB_ROOT_PASSWORD_FILE: /run/secrets/mongo_initdb_root_password
    secrets:
      - mongo_initdb_root_password

  redis:
    image: redis:7.0.10-alpine

  prometheus:
    image: prom/prometheus:v2.48.0
    ports:
      - "9090:9090"

  grafana:
    image: grafana/grafana:10.2.2
    environment:
      GF_SECURITY_ADMIN_PASSWORD: \${GRAFANA_PASSWORD:-admin}
secrets:
  openai_api_key:
    environment: OPENAI_API_KEY
  mongo_initdb_root_password:
    file: ./secrets/mongo_initdb_root_password
`;

describe('examples/orchestrator (seed 001)', () => {
  it('dry run: shows the changes and what it would write, writes nothing, never shows the value', async () => {
    const dir = tmpTree();
    cpSync(EXAMPLE, dir, { recursive: true });
    const r = await fixWithCompanions({ cwd: dir, write: false, unsafe: true, only: ONLY, resolver: { offline: true } });
    const compose = r.files.find((f) => f.path === 'compose.yaml');
    expect(compose?.after).toBe(AFTER_COMPOSE);
    expect(readFileSync(join(dir, 'compose.yaml'), 'utf8')).toBe(readFileSync(join(EXAMPLE, 'compose.yaml'), 'utf8'));
    expect(r.companions.messages).toContain('would write the secret value to secrets/mongo_initdb_root_password (mode 0644, directory 0700)');
    expect(r.companions.messages).toContain('would add secrets/ to .gitignore');
    expect(r.companions.files.map((f) => f.path).sort()).toEqual(['app/src/llm.ts', 'app/src/read-secret-env.ts']);
    expect(JSON.stringify(r.companions) + JSON.stringify(r.files.map((f) => [f.applied, f.findings]))).not.toContain('S3CR3T-MARKER');
  });

  it('--write: migrates compose, writes the secret file 0644 in a 0700 directory, rewrites the app, which type-checks', async () => {
    const dir = tmpTree();
    cpSync(EXAMPLE, dir, { recursive: true });
    const r = await fixWithCompanions({ cwd: dir, write: true, unsafe: true, only: ONLY, resolver: { offline: true } });
    expect(r.companions.errors).toEqual([]);
    expect(readFileSync(join(dir, 'compose.yaml'), 'utf8')).toBe(AFTER_COMPOSE);
    const secret = join(dir, 'secrets/mongo_initdb_root_password');
    expect(readFileSync(secret, 'utf8')).toBe('example-S3CR3T-MARKER-mongo\n');
    expect(statSync(secret).mode & 0o777).toBe(0o644);
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('secrets/\n');
    const llm = readFileSync(join(dir, 'app/src/llm.ts'), 'utf8');
    expect(llm).toBe(
      readFileSync(join(EXAMPLE, 'app/src/llm.ts'), 'utf8')
        .replace('// Calls the OpenAI API; OPENAI_API_KEY must be set.\n', "// Calls the OpenAI API; OPENAI_API_KEY must be set.\nimport { readSecretEnv } from './read-secret-env.js';\n")
        .replace('process.env.OPENAI_API_KEY', "readSecretEnv('OPENAI_API_KEY')"),
    );
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'app/node_modules'), 'dir');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(dir, 'app/tsconfig.json')], { stdio: 'pipe' });

    // A second run changes nothing.
    const again = await fixWithCompanions({ cwd: dir, write: true, unsafe: true, only: ONLY, resolver: { offline: true } });
    expect(again.files.every((f) => !f.changed)).toBe(true);
    expect(again.companions.files).toEqual([]);
  });
});
