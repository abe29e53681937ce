/** `harden fix` end to end: the patch git applies, colour rules, --exit-code, held-back unsafe fixes, --write idempotence. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harden, hardenInProcess } from './support/cli.js';

const EXAMPLE = resolve(import.meta.dirname, '../examples/orchestrator');
const ONLY = 'compose-secrets,source-read-secret-files';
const ANSI = new RegExp(String.fromCharCode(27) + '\\[');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A git repository holding the orchestrator example under deploy/. */
function repo(): string {
  const root = mkdtempSync(join(tmpdir(), 'harden-cli-'));
  dirs.push(root);
  cpSync(EXAMPLE, join(root, 'deploy'), { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'pipe' });
  git('init', '-q');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'init');
  return root;
}

function snapshot(root: string, files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
}

describe('harden fix', () => {
  it('writes a patch (incl. changes to other files) that git apply accepts from the repository root, equal to --write', async () => {
    const a = repo();
    const b = repo();
    // Run from a subdirectory: patch paths must still be relative to the repository root.
    const dry = await hardenInProcess(['fix', '--unsafe', '--only', ONLY, '--patch', join(a, 'out.patch'), '.'], { cwd: join(a, 'deploy') });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('+++ b/compose.yaml');
    expect(dry.stdout).toContain('+++ b/app/src/llm.ts');
    const patch = readFileSync(join(a, 'out.patch'), 'utf8');
    expect(patch).toContain('+++ b/deploy/compose.yaml');
    execFileSync('git', ['apply', '--check', 'out.patch'], { cwd: a });
    execFileSync('git', ['apply', 'out.patch'], { cwd: a });

    const wrote = await hardenInProcess(['fix', '--unsafe', '--only', ONLY, '--write', 'deploy'], { cwd: b });
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(wrote.stdout).toBe('');
    const files = ['deploy/compose.yaml', 'deploy/app/src/llm.ts', 'deploy/app/src/read-secret-env.ts'];
    expect(snapshot(a, files)).toEqual(snapshot(b, files));

    const again = await hardenInProcess(['fix', '--unsafe', '--only', ONLY, 'deploy'], { cwd: b });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
  });

  it('holds unsafe fixes back without --unsafe and says how many', async () => {
    const root = repo();
    const r = await hardenInProcess(['fix', '--only', ONLY, 'deploy'], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\d+ unsafe fix(es were| was) held back \(apply with --unsafe\)/);
  });

  it('--exit-code exits 1 when a dry-run has changes pending, 0 once applied', async () => {
    const root = repo();
    expect((await hardenInProcess(['fix', '--unsafe', '--only', ONLY, '--exit-code', 'deploy'], { cwd: root })).code).toBe(1);
    await hardenInProcess(['fix', '--unsafe', '--only', ONLY, '--write', 'deploy'], { cwd: root });
    expect((await hardenInProcess(['fix', '--unsafe', '--only', ONLY, '--exit-code', 'deploy'], { cwd: root })).code).toBe(0);
  });

  it('colours only when asked or on a terminal, never with NO_COLOR', async () => {
    const root = repo();
    const args = ['fix', '--unsafe', '--only', ONLY, 'deploy'];
    expect(harden(args, { cwd: root }).stdout).not.toMatch(ANSI); // piped: the process's own stdout
    expect((await hardenInProcess(args, { cwd: root, env: { FORCE_COLOR: '1' } })).stdout).toMatch(ANSI);
    expect((await hardenInProcess(args, { cwd: root, env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await hardenInProcess([...args, '--color'], { cwd: root, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
  });

  it('prints one line per change on stderr and a machine-readable result with --format json', async () => {
    const root = repo();
    const text = await hardenInProcess(['fix', '--unsafe', '--only', ONLY, 'deploy'], { cwd: root });
    expect(text.stderr).toMatch(/^deploy\/compose\.yaml:\d+:\d+ compose-secrets /m);
    const json = await hardenInProcess(['fix', '--unsafe', '--only', ONLY, '--format', 'json', 'deploy'], { cwd: root });
    const out = JSON.parse(json.stdout) as { files: { path: string; changed: boolean; diff: string }[]; companions: { files: { path: string }[] } };
    expect(out.files.find((f) => f.path === 'deploy/compose.yaml')?.changed).toBe(true);
    expect(out.files.find((f) => f.path === 'deploy/compose.yaml')?.diff).toContain('@@');
    expect(out.companions.files.map((f) => f.path)).toContain('deploy/app/src/llm.ts');
  });
});
