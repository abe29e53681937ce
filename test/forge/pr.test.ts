/** `harden pr` against real git (bare remote + clone) and a loopback GitHub checked against the OpenAPI description. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPr, type PrOptions } from '../../src/forge/pr.js';
import { ForgeError } from '../../src/forge/errors.js';
import { createLocalResolver } from '../../src/resolvers/index.js';
import type { Codemod } from '../../src/engine/types.js';
import { FakeGitHub } from './support/github-fake.js';
import { addUser, DIGEST, pinAlpine, repos, type Repos } from './support/repos.js';

const TOKEN = 'ghs_TESTtoken0123456789abcdefSECRET';
let gh: FakeGitHub;
let r: Repos;
let logs: string[];

beforeEach(async () => {
  gh = await new FakeGitHub(TOKEN, 'acme', 'app').start();
  r = repos({ 'Dockerfile': 'FROM alpine:3.19\nRUN echo hi\n', 'README.md': 'hello\n' });
  logs = [];
});
afterEach(async () => {
  await gh.stop();
  expect(gh.violations).toEqual([]);
});

function opts(codemods: Codemod[] = [pinAlpine], extra: Partial<PrOptions> = {}): PrOptions {
  return {
    cwd: r.work,
    harden: { codemods, customResolver: createLocalResolver() },
    repo: 'acme/app',
    apiUrl: gh.url,
    token: TOKEN,
    version: '9.9.9',
    log: (l) => logs.push(l),
    github: { sleep: async () => {} },
    ...extra,
  };
}

const remoteTip = (branch = 'harden/fixes') => {
  try {
    return r.remoteGit('rev-parse', `refs/heads/${branch}`);
  } catch {
    return undefined;
  }
};

describe('harden pr (real git; GitHub is a stand-in checked against its OpenAPI description, not the real service)', () => {
  it('commits on a new branch, pushes it and opens a pull request with a generated body', async () => {
    const out = await runPr(opts([pinAlpine], { labels: ['security', 'docker'], reviewers: ['octocat'], docsBaseUrl: 'https://example.com/docs/' }));
    expect(out.branches).toHaveLength(1);
    const b = out.branches[0]!;
    expect(b.action).toBe('created');
    expect(b.pushed).toBe(true);
    const tip = remoteTip();
    expect(tip).toBe(b.commit);
    // The branch is one commit on main, with the trailer and a Conventional Commits subject.
    expect(r.remoteGit('rev-parse', `${tip}^`)).toBe(r.remoteGit('rev-parse', 'refs/heads/main'));
    const msg = r.remoteGit('log', '-1', '--format=%B', tip!);
    expect(msg.split('\n')[0]).toBe('fix(docker): pin base images to digests');
    expect(msg).toMatch(/\nHarden-Bot: v1$/);
    expect(r.remoteGit('show', `${tip}:Dockerfile`)).toBe(`FROM alpine:3.19@${DIGEST}\nRUN echo hi`);
    expect(r.remoteGit('log', '-1', '--format=%an <%ae>', tip!)).toBe('Test User <test@example.com>');
    // The user's checkout is untouched.
    expect(readFileSync(join(r.work, 'Dockerfile'), 'utf8')).toBe('FROM alpine:3.19\nRUN echo hi\n');
    expect(r.git('status', '--porcelain')).toBe('');
    expect(r.git('worktree', 'list').split('\n')).toHaveLength(1);

    expect(gh.pulls).toHaveLength(1);
    const pr = gh.pulls[0]!;
    expect(pr).toMatchObject({ head: 'harden/fixes', base: 'main', title: 'fix(docker): pin base images to digests', labels: ['security', 'docker'], reviewers: ['octocat'] });
    expect(pr.body).toContain('<!-- harden-pr -->');
    expect(pr.body).toContain('| `Dockerfile:1` | `pin-alpine` | pin alpine:3.19 to its digest | safe |');
    expect(pr.body).toContain('### `pin-alpine`');
    expect(pr.body).toContain('[docs](https://example.com/docs/pin-alpine.md)');
    expect(pr.body).toContain(`| \`Dockerfile:1\` | pin-alpine | alpine:3.19 | \`${DIGEST}\` | registry-1.docker.io |`);
    expect(pr.body).toContain('harden fix --write --only pin-alpine');
    expect(b.pr).toEqual({ number: 1, url: 'https://github.com/acme/app/pull/1' });
  });

  it('is idempotent: a second run with nothing new pushes nothing and calls no API', async () => {
    await runPr(opts());
    const tip = remoteTip();
    const calls = gh.log.length;
    const out = await runPr(opts());
    expect(out.branches[0]).toMatchObject({ action: 'up-to-date', pushed: false, commit: tip });
    expect(out.apiRequests).toBe(0);
    expect(gh.log.length).toBe(calls);
    expect(remoteTip()).toBe(tip);
  });

  it('with new changes, force-updates its branch and edits the open pull request instead of opening another', async () => {
    await runPr(opts());
    const first = remoteTip();
    const out = await runPr(opts([addUser, pinAlpine]));
    expect(out.branches[0]).toMatchObject({ action: 'updated', pushed: true });
    const tip = remoteTip();
    expect(tip).not.toBe(first);
    expect(r.remoteGit('rev-parse', `${tip}^`)).toBe(r.remoteGit('rev-parse', 'refs/heads/main'));
    expect(r.remoteGit('show', `${tip}:Dockerfile`)).toBe(`FROM alpine:3.19@${DIGEST}\nRUN echo hi\nUSER 65532`);
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0]!.title).toBe('fix(docker): apply 2 hardening codemods');
    expect(gh.pulls[0]!.body).toContain('`add-user`');
    expect(gh.log.filter((l) => l.method === 'POST' && l.template === '/repos/{owner}/{repo}/pulls')).toHaveLength(1);
    expect(gh.log.some((l) => l.method === 'PATCH' && l.template === '/repos/{owner}/{repo}/pulls/{pull_number}')).toBe(true);
  });

  it('rebuilds the branch from the base when the base moved', async () => {
    await runPr(opts());
    r.write({ 'README.md': 'hello again\n' });
    const newBase = r.commitAndPush('docs: update readme');
    const out = await runPr(opts());
    expect(out.branches[0]).toMatchObject({ action: 'updated', pushed: true });
    const tip = remoteTip()!;
    expect(r.remoteGit('rev-parse', `${tip}^`)).toBe(newBase);
    expect(r.remoteGit('rev-list', '--count', `${newBase}..${tip}`)).toBe('1');
    expect(gh.pulls).toHaveLength(1);
  });

  it('does not reopen a pull request closed without merging, unless --reopen', async () => {
    await runPr(opts());
    gh.pulls[0]!.state = 'closed';
    const tip = remoteTip();
    const out = await runPr(opts([addUser, pinAlpine]));
    expect(out.branches[0]).toMatchObject({ action: 'skipped-closed', pushed: false, pr: { number: 1 } });
    expect(remoteTip()).toBe(tip);
    expect(gh.pulls[0]!.state).toBe('closed');

    const again = await runPr(opts([addUser, pinAlpine], { reopen: true }));
    expect(again.branches[0]).toMatchObject({ action: 'reopened', pushed: true });
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0]!.state).toBe('open');
  });

  it('opens a new pull request when the previous one was merged', async () => {
    await runPr(opts());
    Object.assign(gh.pulls[0]!, { state: 'closed', merged: true });
    const out = await runPr(opts([addUser, pinAlpine]));
    expect(out.branches[0]!.action).toBe('created');
    expect(gh.pulls.map((p) => p.state)).toEqual(['closed', 'open']);
  });

  it('does nothing (no push, no API call) when nothing changes', async () => {
    const out = await runPr(opts([addUser].map((c) => ({ ...c, run() {} }))));
    expect(out.branches[0]!.action).toBe('nothing-to-do');
    expect(remoteTip()).toBeUndefined();
    expect(gh.log).toHaveLength(0);
  });

  it('refuses a dirty tree', async () => {
    r.write({ 'README.md': 'changed\n' });
    await expect(runPr(opts())).rejects.toMatchObject({ code: 'dirty-tree' });
    expect(remoteTip()).toBeUndefined();
  });

  it('refuses to force-push a branch it did not create', async () => {
    r.git('checkout', '--quiet', '-b', 'harden/fixes');
    r.write({ 'notes.txt': 'mine\n' });
    r.git('add', '-A');
    r.git('commit', '--quiet', '-m', 'someone else');
    r.git('push', '--quiet', 'origin', 'harden/fixes');
    r.git('checkout', '--quiet', 'main');
    const theirs = remoteTip();
    const err = await runPr(opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForgeError);
    expect(err).toMatchObject({ code: 'foreign-branch' });
    expect(remoteTip()).toBe(theirs);
    expect(gh.log).toHaveLength(0);
  });

  it('explains a detached HEAD and a missing remote', async () => {
    r.git('checkout', '--quiet', '--detach');
    await expect(runPr(opts())).rejects.toMatchObject({ code: 'detached-head' });
    r.git('checkout', '--quiet', 'main');
    await expect(runPr(opts([pinAlpine], { remote: 'upstream' }))).rejects.toMatchObject({ code: 'missing-remote' });
  });

  it('reports a rejected push', async () => {
    r.remoteGit('config', 'receive.denyNonFastForwards', 'true');
    await runPr(opts());
    await expect(runPr(opts([addUser, pinAlpine]))).rejects.toMatchObject({ code: 'push-rejected' });
  });

  it('--split opens one branch and pull request per codemod', async () => {
    const out = await runPr(opts([addUser, pinAlpine], { split: true }));
    expect(out.branches.map((b) => [b.branch, b.action])).toEqual([
      ['harden/fixes/add-user', 'created'],
      ['harden/fixes/pin-alpine', 'created'],
    ]);
    expect(r.remoteGit('show', 'refs/heads/harden/fixes/add-user:Dockerfile')).toBe('FROM alpine:3.19\nRUN echo hi\nUSER 65532');
    expect(gh.pulls.map((p) => p.head)).toEqual(['harden/fixes/add-user', 'harden/fixes/pin-alpine']);
  });

  it('uses the configured author, committer and sign-off', async () => {
    await runPr(opts([pinAlpine], { author: 'Bot <bot@example.com>', committer: 'CI <ci@example.com>', signoff: true }));
    const tip = remoteTip()!;
    expect(r.remoteGit('log', '-1', '--format=%an <%ae>|%cn <%ce>', tip)).toBe('Bot <bot@example.com>|CI <ci@example.com>');
    const msg = r.remoteGit('log', '-1', '--format=%B', tip);
    expect(msg).toContain('Harden-Bot: v1\nSigned-off-by: CI <ci@example.com>');
  });

  it('--dry-run pushes nothing and calls no API', async () => {
    const out = await runPr(opts([pinAlpine], { dryRun: true }));
    expect(out.branches[0]).toMatchObject({ action: 'dry-run', branch: 'harden/fixes', title: 'fix(docker): pin base images to digests' });
    expect(out.branches[0]!.diff).toContain(`+FROM alpine:3.19@${DIGEST}`);
    expect(out.branches[0]!.body).toContain('<!-- harden-pr -->');
    expect(remoteTip()).toBeUndefined();
    expect(gh.log).toHaveLength(0);
  });
});

describe('harden pr against API failures (GitHub stand-in checked against its OpenAPI description)', () => {
  it('finds and updates the existing pull request when creation answers 422 "already exists"', async () => {
    gh.pulls.push({ number: 7, state: 'open', merged: false, title: 'old', body: 'old', head: 'harden/fixes', base: 'main', labels: [], reviewers: [] });
    // The first search misses it (eventual consistency): creation then conflicts.
    gh.faults.push({ method: 'GET', template: '/repos/{owner}/{repo}/pulls', status: 200, body: [] });
    const out = await runPr(opts());
    expect(out.branches[0]).toMatchObject({ action: 'updated', pr: { number: 7 } });
    expect(gh.pulls).toHaveLength(1);
    expect(gh.pulls[0]!.title).toBe('fix(docker): pin base images to digests');
  });

  it('401: a clear error that does not contain the token', async () => {
    const err = (await runPr(opts([pinAlpine], { token: `${TOKEN}-wrong` })).catch((e: unknown) => e)) as ForgeError;
    expect(err).toMatchObject({ code: 'auth', status: 401 });
    expect(err.message).toContain('401');
    expect(`${err.message}${err.stack}`).not.toContain(TOKEN);
    expect(gh.log[0]!.headers.authorization).toBe(`Bearer ${TOKEN}-wrong`);
  });

  it('404: names the repository problem', async () => {
    const err = (await runPr(opts([pinAlpine], { repo: 'acme/missing' })).catch((e: unknown) => e)) as ForgeError;
    expect(err).toMatchObject({ code: 'not-found', status: 404 });
    expect(err.message).toMatch(/repository/);
  });

  it('403 rate-limited: waits for x-ratelimit-reset when it is near, then goes on', async () => {
    const waits: number[] = [];
    const now = Date.UTC(2024, 0, 1);
    gh.faults.push({ template: '/repos/{owner}/{repo}/pulls', method: 'GET', status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 5) }, body: { message: 'API rate limit exceeded for installation.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' } });
    const out = await runPr(opts([pinAlpine], { github: { now: () => now, sleep: async (ms) => void waits.push(ms) } }));
    expect(out.branches[0]!.action).toBe('created');
    expect(waits).toEqual([6000]);
  });

  it('403 rate-limited with a distant reset: a bounded wait, then a clear error', async () => {
    const waits: number[] = [];
    const now = Date.UTC(2024, 0, 1);
    gh.faults.push({ template: '/repos/{owner}/{repo}/pulls', method: 'GET', status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 3600) }, body: { message: 'API rate limit exceeded for installation.' } });
    const err = (await runPr(opts([pinAlpine], { github: { now: () => now, sleep: async (ms) => void waits.push(ms), maxWaitMs: 60_000 } })).catch((e: unknown) => e)) as ForgeError;
    expect(err).toMatchObject({ code: 'rate-limited', status: 403 });
    expect(err.message).toContain('resets at 2024-01-01T01:00:00.000Z');
    expect(waits).toEqual([]);
    expect(err.message).not.toContain(TOKEN);
  });

  it('secondary rate limit: respects retry-after, and gives up after the retries', async () => {
    const waits: number[] = [];
    gh.faults.push({ template: '/repos/{owner}/{repo}/pulls', method: 'GET', status: 403, times: 10, headers: { 'retry-after': '7' }, body: { message: 'You have exceeded a secondary rate limit.' } });
    const err = (await runPr(opts([pinAlpine], { github: { sleep: async (ms) => void waits.push(ms), maxRetries: 2 } })).catch((e: unknown) => e)) as ForgeError;
    expect(err).toMatchObject({ code: 'rate-limited' });
    expect(err.message).toContain('retry after 7 s');
    expect(waits).toEqual([7000, 7000]);
  });

  it('scrubs credentials from git errors (token in the remote URL)', async () => {
    r.git('remote', 'set-url', 'origin', `https://x-access-token:${TOKEN}@127.0.0.1:9/acme/app.git`);
    const err = (await runPr(opts()).catch((e: unknown) => e)) as ForgeError;
    expect(err).toBeInstanceOf(ForgeError);
    expect(`${err.message}\n${err.stack}\n${logs.join('\n')}`).not.toContain(TOKEN);
    expect(err.message).toContain('127.0.0.1:9/acme/app.git');
  });
});
