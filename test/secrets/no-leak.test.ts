/**
 * No secret value ever appears in what harden prints or produces: findings (text and JSON), fixes and data, SARIF,
 * the added lines of the patch, companion diffs, side-effect messages and error messages.
 * (Lines a patch removes necessarily show the old text, which is the user's own file.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, type HardenResult } from '../../src/api.js';
import { unifiedDiff } from '../../src/engine/diff.js';
import { findingLine } from '../../src/output/text.js';
import { toSarif } from '../../src/output/sarif.js';
import { codemods } from '../../codemods/index.js';
import { fix as fixWithCompanions } from '../../src/api.js';
import type { CompanionOutcome } from '../../src/engine/companions.js';
import { tmpTree } from '../support/tmp.js';
import { harden } from '../support/cli.js';
import { reviewComment } from '../../src/forge/body.js';
import { displayDiff } from '../../src/engine/diff.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ONLY = ['compose-env-file-secrets', 'compose-secrets', 'dockerfile-secret-env', 'source-read-secret-files'];
const MARK = 'S3CR3T-MARKER';

function project(): string {
  return tmpTree({
    'compose.yaml': `services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${MARK}-pg
  mongo:
    image: mongo:7
    environment:
      - "MONGO_INITDB_ROOT_PASSWORD=${MARK}-mongo"
  grafana:
    image: grafana/grafana:10
    environment:
      GF_SECURITY_ADMIN_PASSWORD: \${GRAFANA_PASSWORD:-${MARK}-default}
  custom:
    image: example.com/x:1
    environment:
      X_API_KEY: ${MARK}-custom
  app:
    build: ./app
    env_file: ./app.env
    environment:
      APP_TOKEN: '${MARK}-app'
`,
    '.env': `GRAFANA_PASSWORD=${MARK}-dotenv\n`,
    'app.env': `export STRIPE_SECRET_KEY="${MARK}-stripe"\n`,
    'app/package.json': '{"type":"module"}\n',
    'app/index.js': 'console.log(process.env.APP_TOKEN);\n',
    'app/Dockerfile': `FROM node:20\nENV SESSION_SECRET=${MARK}-env\nARG NPM_TOKEN=${MARK}-arg\nARG GH_TOKEN\nRUN echo $GH_TOKEN\n`,
  });
}

function outputs(r: HardenResult, c?: CompanionOutcome): string {
  const all = r.files.flatMap((f) => [...f.applied, ...f.findings]);
  const parts = [
    ...all.map((f) => findingLine(f, false)),
    JSON.stringify(all),
    JSON.stringify(r.problems),
    JSON.stringify(r.files.map((f) => f.error ?? null)),
    JSON.stringify(toSarif(r, codemods, '0.0.0')),
    // Added lines of the patch (the +++ header names the file).
    ...r.files.flatMap((f) => unifiedDiff(f.path, f.before, f.after).split('\n').filter((l) => l.startsWith('+'))),
  ];
  if (c) parts.push(JSON.stringify(c.messages), JSON.stringify(c.errors), ...c.files.flatMap((f) => f.diff.split('\n').filter((l) => l.startsWith('+'))));
  return parts.join('\n');
}

describe('secret values never leak', () => {
  it('check (text, JSON, SARIF)', async () => {
    const dir = project();
    const r = await check({ cwd: dir, only: ONLY, unsafe: true, resolver: { offline: true } });
    const out = outputs(r);
    expect(r.files.flatMap((f) => f.findings).length).toBeGreaterThan(6);
    expect(out).not.toContain(MARK);
  });

  it('fix: dry run, then --write, then an error writing a secret file', async () => {
    const dir = project();
    const dry = await fixWithCompanions({ cwd: dir, only: ONLY, unsafe: true, resolver: { offline: true } });
    expect(dry.files.find((f) => f.path === 'compose.yaml')?.changed).toBe(true);
    expect(outputs(dry, dry.companions)).not.toContain(MARK);
    expect(String(dry.companions)).not.toContain(MARK);

    // A secret file already there with another value: the error names the path only.
    writeFileSync(join(dir, 'secrets-placeholder'), '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    writeFileSync(join(dir, 'secrets/postgres_password'), 'other\n');
    const wrote = await fixWithCompanions({ cwd: dir, only: ONLY, unsafe: true, write: true, resolver: { offline: true } });
    expect(wrote.companions.errors.map((e) => e.path)).toContain('secrets/postgres_password');
    expect(outputs(wrote, wrote.companions)).not.toContain(MARK);
    // The value object itself never prints.
    const effects = wrote.files.flatMap((f) => f.applied).flatMap((f) => (f.fix as { sideEffects?: unknown[] } | undefined)?.sideEffects ?? []);
    expect(effects.length).toBeGreaterThan(0);
    const { inspect } = await import('node:util');
    expect(inspect(effects, { depth: 5 }) + JSON.stringify(effects) + effects.map((e) => `${(e as { value?: unknown }).value}`).join()).not.toContain(MARK);
  });

  it('the printed diff (stdout, JSON, review comment) shows removed secret values as ****; only --patch keeps them', async () => {
    const dir = project();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const args = ['fix', '--unsafe', '--only', 'compose-secrets,compose-require-secret-vars', 'compose.yaml'];
    const text = harden([...args, '--patch', 'harden.patch'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^-\s+POSTGRES_PASSWORD: \*\*\*\*$/m);
    expect(text.stdout).toMatch(/^-\s+- "MONGO_INITDB_ROOT_PASSWORD=\*\*\*\*"$/m);
    expect(text.stdout).toMatch(/^-\s+GF_SECURITY_ADMIN_PASSWORD: \$\{GRAFANA_PASSWORD:-\*\*\*\*\}$/m);
    expect(text.stdout + text.stderr).not.toContain(MARK);
    // The patch file has the real removed lines, so git apply accepts it.
    const patch = readFileSync(join(dir, 'harden.patch'), 'utf8');
    expect(patch).toContain(`-      POSTGRES_PASSWORD: ${MARK}-pg`);
    execFileSync('git', ['apply', '--check', 'harden.patch'], { cwd: dir });

    const json = harden([...args, '--format', 'json'], { cwd: dir });
    expect(json.stdout).toContain('POSTGRES_PASSWORD: ****');
    expect(json.stdout).not.toContain(MARK);

    const r = await fixWithCompanions({ cwd: dir, paths: ['compose.yaml'], only: ['compose-secrets', 'compose-require-secret-vars'], unsafe: true, resolver: { offline: true } });
    const comment = reviewComment(r, { reproduce: 'harden fix', version: '0.0.0', scope: 'all' });
    expect(comment).toContain('POSTGRES_PASSWORD: ****');
    expect(comment).not.toContain(MARK);
    const f = r.files[0]!;
    expect(displayDiff(f.path, f)).not.toContain(MARK);
  }, 180_000);
});
