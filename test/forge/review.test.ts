/** `harden review`: changed files only, one comment found again by its marker (paginated), SARIF, exit codes, the CLI. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runReview, type ReviewOptions } from '../../src/forge/review.js';
import { createLocalResolver } from '../../src/resolvers/index.js';
import { FakeGitHub } from './support/github-fake.js';
import { addUser, pinAlpine, repos, type Repos } from './support/repos.js';

const TOKEN = 'ghp_REVIEWtoken9876543210zyxwvuSECRET';
let gh: FakeGitHub;
let r: Repos;

beforeEach(async () => {
  gh = await new FakeGitHub(TOKEN, 'acme', 'app').start();
  r = repos({ 'Dockerfile': 'FROM alpine:3.19\n', 'README.md': 'hello\n' });
  // The pull request: adds svc/Dockerfile and edits the README; the root Dockerfile is not part of it.
  r.git('checkout', '--quiet', '-b', 'feature');
  r.write({ 'svc/Dockerfile': 'FROM alpine:3.19\nRUN true\n', 'README.md': 'changed\n' });
  r.git('add', '-A');
  r.git('commit', '--quiet', '-m', 'add svc');
});
afterEach(async () => {
  await gh.stop();
  expect(gh.violations).toEqual([]);
});

function opts(extra: Partial<ReviewOptions> = {}): ReviewOptions {
  return {
    cwd: r.work,
    harden: { codemods: [pinAlpine, addUser], customResolver: createLocalResolver() },
    repo: 'acme/app',
    pr: 5,
    base: 'main',
    apiUrl: gh.url,
    token: TOKEN,
    version: '9.9.9',
    env: {},
    github: { sleep: async () => {} },
    ...extra,
  };
}

describe('harden review (GitHub stand-in checked against its OpenAPI description, not the real service)', () => {
  it('reviews only the files the pull request changes and posts one comment with the diff and findings', async () => {
    const out = await runReview(opts());
    expect(out.files).toEqual(['svc/Dockerfile']);
    expect(out.comment?.action).toBe('created');
    expect(gh.comments).toHaveLength(1);
    const body = gh.comments[0]!.body;
    expect(body.startsWith('<!-- harden-review -->')).toBe(true);
    expect(body).toContain('+++ b/svc/Dockerfile');
    expect(body).toContain('+USER 65532');
    expect(body).toContain('`svc/Dockerfile:1:1` **warning** `pin-alpine`');
    expect(body).not.toContain('b/Dockerfile');
    expect(body).toContain('harden fix --write svc/Dockerfile');
    expect(out.exitCode).toBe(1);
  });

  it('updates its comment instead of adding another, finding it across pages', async () => {
    gh.commentPageSize = 2;
    for (let i = 0; i < 3; i++) gh.comments.push({ id: 100 + i, issue: 5, body: `human comment ${i}` });
    gh.comments.push({ id: 200, issue: 5, body: '<!-- harden-review -->\nold text' });
    gh.comments.push({ id: 201, issue: 5, body: 'later human comment' });
    gh.comments.push({ id: 300, issue: 6, body: '<!-- harden-review -->\nanother PR' });
    const out = await runReview(opts());
    expect(out.comment).toMatchObject({ id: 200, action: 'updated' });
    expect(gh.comments.filter((c) => c.issue === 5 && c.body.includes('<!-- harden-review -->'))).toHaveLength(1);
    expect(gh.comments.find((c) => c.id === 200)!.body).toContain('+++ b/svc/Dockerfile');
    expect(gh.comments.find((c) => c.id === 300)!.body).toContain('another PR');
    expect(gh.log.filter((l) => l.method === 'GET').length).toBe(3);
    // Nothing new: the comment is left alone.
    const again = await runReview(opts());
    expect(again.comment?.action).toBe('unchanged');
    expect(gh.log.filter((l) => l.method !== 'GET').length).toBe(1);
  });

  it('reads the pull request from a GitHub Actions event payload', async () => {
    const event = join(r.work, '..', 'event.json');
    const base = r.git('rev-parse', 'main');
    const head = r.git('rev-parse', 'HEAD');
    writeFileSync(event, JSON.stringify({ action: 'synchronize', number: 5, pull_request: { number: 5, base: { ref: 'main', sha: base }, head: { ref: 'feature', sha: head } } }));
    const out = await runReview(opts({ repo: undefined, pr: undefined, base: undefined, env: { GITHUB_EVENT_PATH: event, GITHUB_REPOSITORY: 'acme/app' } }));
    expect(out.files).toEqual(['svc/Dockerfile']);
    expect(gh.comments.map((c) => c.issue)).toEqual([5]);
  });

  it('writes SARIF without commenting, and exits by --fail-on', async () => {
    const sarif = join(r.work, '..', 'out.sarif');
    const out = await runReview(opts({ comment: false, sarif, failOn: 'error' }));
    expect(out.exitCode).toBe(0);
    expect(gh.log).toHaveLength(0);
    const log = JSON.parse(readFileSync(sarif, 'utf8'));
    expect(log.runs[0].results.map((x: { ruleId: string }) => x.ruleId).sort()).toEqual(['add-user', 'pin-alpine']);
    expect((await runReview(opts({ comment: false, failOn: 'warning' }))).exitCode).toBe(1);
    expect((await runReview(opts({ comment: false, failOn: 'never' }))).exitCode).toBe(0);
  });

  it('--all reviews every file; a clean pull request gets no comment', async () => {
    const all = await runReview(opts({ all: true, comment: false }));
    expect(all.result.files.map((f) => f.path)).toEqual(['Dockerfile', 'svc/Dockerfile']);
    r.git('checkout', '--quiet', 'main');
    r.git('checkout', '--quiet', '-b', 'docs-only');
    r.write({ 'README.md': 'docs\n' });
    r.git('commit', '--quiet', '-am', 'docs');
    const clean = await runReview(opts());
    expect(clean.files).toEqual([]);
    expect(clean.comment?.action).toBe('skipped');
    expect(clean.exitCode).toBe(0);
    expect(gh.comments).toHaveLength(0);
  });
});

describe('harden review / pr from the command line (GitHub stand-in checked against its OpenAPI description)', () => {
  const BIN = resolve(import.meta.dirname, '../../src/bin.ts');
  const TSX = import.meta.resolve('tsx');
  /** Async (the fake GitHub answers from this process). */
  function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((res) => {
      const e: NodeJS.ProcessEnv = { ...process.env, ...env, XDG_CACHE_HOME: join(r.work, '..', 'cache') };
      for (const k of ['GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_EVENT_PATH', 'GITHUB_REPOSITORY', 'GITHUB_API_URL']) if (!(k in env)) delete e[k];
      const p = spawn(process.execPath, ['--import', TSX, BIN, ...args], { cwd: r.work, env: e });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
    });
  }

  it('a rejected token gives a clear error, exit 2, and the token appears nowhere', async () => {
    const bad = `${TOKEN}X`;
    const out = await cli(['review', '--offline', '--repo', 'acme/app', '--pr', '5', '--base', 'main', '--api-url', gh.url], { GITHUB_TOKEN: bad });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('harden: error: GitHub rejected the token (401)');
    expect(out.stdout + out.stderr).not.toContain(bad);
    expect(out.stdout + out.stderr).not.toContain(TOKEN);
  });

  it('pr --dry-run prints the plan without pushing or calling the API', async () => {
    r.git('checkout', '--quiet', 'main');
    const out = await cli(['pr', '--dry-run', '--offline', '--api-url', gh.url], { GITHUB_TOKEN: TOKEN });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('branch: harden/fixes');
    expect(gh.log).toHaveLength(0);
  });

  it('pr refuses a dirty tree with a clear message', async () => {
    r.write({ 'README.md': 'dirty\n' });
    const out = await cli(['pr', '--offline', '--repo', 'acme/app', '--api-url', gh.url], { GITHUB_TOKEN: TOKEN });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/harden: error: the working tree has uncommitted changes \(README.md\)/);
  });
});
