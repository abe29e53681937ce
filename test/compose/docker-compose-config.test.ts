/**
 * Every output of the compose hardening codemods' fixtures passes `docker-compose config -q` (docker-compose v1, the
 * Debian package scripts/test.sh installs; no engine needed): the files the codemods write are files compose accepts,
 * not only files that match the JSON schema. Variables the files interpolate are set (to `x`) so `${VAR:?…}` passes;
 * an override file is validated together with its base file (`project.compose.yaml`), as compose reads them. Fixtures of
 * any codemod whose options target Compose 1.x (`"global": {"composeVersion": "1.29.2"}`) are checked too: what harden
 * writes for that target must be what docker-compose 1.x reads.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../support/fixtures.js';

const run = promisify(execFile);
const BIN = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));

const IDS = [
  'compose-drop-capabilities', 'compose-healthcheck', 'compose-log-limits', 'compose-network-isolation', 'compose-no-new-privileges', 'compose-read-only',
  'compose-resource-limits',
];

interface Target {
  name: string;
  dir: string;
  files: string[];
}

/** Whether a fixture case's options.json targets docker-compose 1.x. */
function targetsCompose1(cdir: string): boolean {
  const f = join(cdir, 'options.json');
  if (!existsSync(f)) return false;
  const o = JSON.parse(readFileSync(f, 'utf8')) as { global?: { composeVersion?: string } };
  return /^1\./.test(o.global?.composeVersion ?? '');
}

const targets: Target[] = readdirSync(FIXTURES).sort().flatMap((id) => {
  const dir = join(FIXTURES, id);
  if (!statSync(dir).isDirectory()) return [];
  return readdirSync(dir).sort().flatMap((c): Target[] => {
    const cdir = join(dir, c);
    if (!statSync(cdir).isDirectory() || !(IDS.includes(id) || targetsCompose1(cdir))) return [];
    const out = readdirSync(cdir).find((f) => f.startsWith('output.') && /\.ya?ml$/.test(f));
    if (!out) return [];
    const base = readdirSync(cdir).filter((f) => /^project\..*compose\.ya?ml$/.test(f) && !f.includes('override'));
    return [{ name: `${id}/${c}`, dir: cdir, files: out.includes('override') ? [...base, out] : [out] }];
  });
});

function envFor(texts: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const t of texts) for (const m of t.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) env[m[1] as string] = 'x';
  return env;
}

describe.skipIf(!BIN)('compose hardening fixture outputs pass docker-compose config -q (skipped: docker-compose not installed)', () => {
  it('has outputs to check', () => {
    expect(targets.length).toBeGreaterThan(30);
  });
  it.each(targets)('$name', async (t) => {
    const args = ['-p', 'harden-fixture', ...t.files.flatMap((f) => ['-f', f]), 'config', '-q'];
    const env = envFor(t.files.map((f) => readFileSync(join(t.dir, f), 'utf8')));
    const check = (a: string[]) => run(BIN as string, a, { cwd: t.dir, env, timeout: 30_000 }).then(
      (x) => ({ code: 0, stderr: x.stderr }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? 1, stderr: e.stderr ?? '' }),
    );
    const r = await check(args);
    if (r.code !== 0) {
      // Some fixtures are deliberately not complete projects (a missing `extends` file, a seccomp profile, several
      // documents): the claim is that the codemods never make compose reject a file it accepted.
      const input = await check(args.map((a) => a.replace(/^output\./, 'input.')));
      if (input.code !== 0) return;
    }
    expect(r.stderr.replace(/^WARNING: .*\n?/gm, ''), `docker-compose ${args.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
  }, 30_000);
});
