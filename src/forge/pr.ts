/**
 * `harden pr`: run the codemods in a throw-away worktree of the base branch, commit the result on the bot's
 * branch, push it and open or update a pull request — idempotently, like Renovate:
 *
 *  - nothing to change, or the remote branch already holds exactly this change on this base → no push, no API call;
 *  - new changes, or the base moved → the branch is rebuilt from the base and force-pushed (with a lease),
 *    and the open pull request's title and body are updated instead of opening another;
 *  - the last pull request from the branch was closed without merging → nothing is pushed, unless `reopen`;
 *  - the remote branch's tip lacks the `Harden-Bot: v1` trailer → refusal: harden never touches others' branches.
 *
 * The user's checkout is never modified (no checkout, no writes): the work happens in `git worktree add --detach`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import type { FixOptions, HardenResult } from '../api.js';
import type { Codemod } from '../engine/types.js';
import { displayDiff, unifiedDiff } from '../engine/diff.js';
import { appliedIds, commitText, prBody, shellWord, type TextContext } from './body.js';
import { ForgeError } from './errors.js';
import { Git } from './git.js';
import { GitHubClient, parseRepo, type GitHubOptions, type PullRequest, type RepoRef } from './github.js';

export const DEFAULT_BRANCH = 'harden/fixes';
const BOT_NAME = 'harden-bot';
const BOT_EMAIL = 'harden-bot@users.noreply.github.com';

export interface PrOptions {
  /** Where to run (inside the git checkout); paths in `harden.paths` are relative to it. */
  cwd: string;
  /** What to run: paths, only/skip, unsafe, resolver settings, codemods… (`cwd` and `write` are set here). */
  harden?: Omit<FixOptions, 'cwd' | 'write'>;
  branch?: string;
  /** One branch (and pull request) per codemod: `<branch>/<codemod-id>`. */
  split?: boolean;
  remote?: string;
  /** Base branch (default: the checked-out branch). */
  base?: string;
  /** owner/name (default: from the remote's URL). */
  repo?: string;
  apiUrl?: string;
  token?: string;
  labels?: readonly string[];
  reviewers?: readonly string[];
  teamReviewers?: readonly string[];
  /** "Name <email>" */
  author?: string;
  committer?: string;
  signoff?: boolean;
  reopen?: boolean;
  draft?: boolean;
  /** Check and update the pull request even when the branch is already up to date (one API call more). */
  sync?: boolean;
  dryRun?: boolean;
  docsBaseUrl?: string;
  version: string;
  /** The codemods known, for summaries and docs (default: the registry, or `harden.codemods`). */
  codemods?: readonly Codemod[];
  /** Progress lines (standard error in the CLI). */
  log?: (line: string) => void;
  /** Client settings for tests (sleep, clock, waits). */
  github?: Partial<GitHubOptions>;
}

export type BranchAction = 'nothing-to-do' | 'up-to-date' | 'created' | 'updated' | 'reopened' | 'skipped-closed' | 'dry-run';

export interface BranchOutcome {
  branch: string;
  action: BranchAction;
  codemods: string[];
  commit?: string;
  pr?: { number: number; url: string };
  title?: string;
  message?: string;
  body?: string;
  diff?: string;
  pushed: boolean;
}

export interface PrOutcome {
  base: string;
  branches: BranchOutcome[];
  /** API requests sent. */
  apiRequests: number;
}

function identity(spec: string | undefined, what: string): { name: string; email: string } | undefined {
  if (!spec) return undefined;
  const m = /^\s*(.+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(spec);
  if (!m) throw new ForgeError('usage', `--${what} must look like "Name <email@example.com>"`);
  return { name: m[1] ?? '', email: m[2] ?? '' };
}

async function identityEnv(git: Git, o: PrOptions): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const author = identity(o.author, 'author');
  const committer = identity(o.committer, 'committer') ?? author;
  const configured = (await git.tryOut(['config', 'user.email'])) && (await git.tryOut(['config', 'user.name']));
  const a = author ?? (configured ? undefined : { name: BOT_NAME, email: BOT_EMAIL });
  const c = committer ?? (configured ? undefined : { name: BOT_NAME, email: BOT_EMAIL });
  if (a) Object.assign(env, { GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email });
  if (c) Object.assign(env, { GIT_COMMITTER_NAME: c.name, GIT_COMMITTER_EMAIL: c.email });
  return env;
}

/** The paths a run changed on disk (files, companion files, .gitignore entries); never secret files. */
function touchedPaths(r: HardenResult): string[] {
  const out = new Set<string>();
  for (const f of r.files) if (f.changed && !f.error && f.absPath) out.add(f.absPath);
  for (const c of r.companions.files) out.add(c.absPath);
  for (const f of r.files) for (const a of f.applied) for (const s of a.fix?.sideEffects ?? []) if (s.kind === 'gitignore-entry') out.add(s.absPath);
  return [...out];
}

function hasChanges(r: HardenResult): boolean {
  return r.files.some((f) => f.changed && !f.error) || r.companions.files.length > 0;
}

function diffOf(r: HardenResult, root: string): string {
  const rel = (abs: string | undefined, p: string) => (abs ? relative(root, abs).split(sep).join('/') : p);
  return [...r.files.map((f) => displayDiff(rel(f.absPath, f.path), f)), ...r.companions.files.map((c) => unifiedDiff(rel(c.absPath, c.path), c.before, c.after))].join('');
}

/** The command that reproduces the change from the repository root. */
export function reproduceCommand(o: PrOptions, rootRel: string, ids: readonly string[]): string {
  const h = o.harden ?? {};
  const paths = (h.paths?.length ? h.paths : ['.']).map((p) => (rootRel ? join(rootRel, p) : p).split(sep).join('/'));
  const words = ['harden', 'fix', '--write'];
  if (h.unsafe) words.push('--unsafe');
  if (ids.length) words.push('--only', ids.join(','));
  if (h.platform) words.push('--platform', h.platform);
  if (h.exactTags) words.push('--exact-tags');
  if (h.refresh) words.push('--refresh');
  if (h.preset) words.push('--preset', h.preset);
  for (const e of h.exclude ?? []) words.push('--exclude', e);
  if (h.configFile) words.push('--config', h.configFile);
  if (!(paths.length === 1 && paths[0] === '.')) words.push(...paths);
  return words.map(shellWord).join(' ');
}

export async function runPr(o: PrOptions): Promise<PrOutcome> {
  const log = o.log ?? (() => {});
  const api = await import('../api.js');
  const registry = o.codemods ?? o.harden?.codemods ?? (await import('../../codemods/index.js')).codemods;
  const cwd = resolve(o.cwd);
  const probe = new Git({ cwd, token: o.token });
  const root = await probe.root();
  const git = new Git({ cwd: root, token: o.token, env: await identityEnv(probe, o) });
  const rootRel = relative(root, cwd);
  const remote = o.remote ?? 'origin';
  const branchBase = o.branch ?? DEFAULT_BRANCH;
  if (!/^[A-Za-z0-9._/-]+$/.test(branchBase) || branchBase.includes('..')) throw new ForgeError('usage', `invalid branch name '${branchBase}'`);

  let base = o.base;
  if (!base) {
    try {
      base = await git.currentBranch();
    } catch (e) {
      if (!o.dryRun) throw e;
      base = 'HEAD';
    }
  }
  const baseSha = (await git.revParse(base)) ?? (await git.revParse(`${remote}/${base}`));
  if (!baseSha) throw new ForgeError('usage', `base '${base}' is not a branch or commit here`);

  const textCtx = (ids: string[]): TextContext => ({ codemods: registry, docsBaseUrl: o.docsBaseUrl, reproduce: reproduceCommand(o, rootRel, ids), version: o.version });

  // What would change (in the user's tree, without writing): decides the groups, and is the dry-run's answer.
  const preview = async (only: readonly string[] | undefined) => api.fix({ ...o.harden, only: only ?? o.harden?.only, cwd, write: false });

  let groups: (string[] | undefined)[] = [undefined];
  if (o.split) {
    const ids = appliedIds(await preview(undefined)).sort();
    groups = ids.map((id) => [id]);
  }
  const outcomes: BranchOutcome[] = [];

  if (o.dryRun) {
    for (const g of groups) {
      const branch = g ? `${branchBase}/${g[0]}` : branchBase;
      const r = await preview(g);
      if (!hasChanges(r)) {
        outcomes.push({ branch, action: 'nothing-to-do', codemods: [], pushed: false });
        continue;
      }
      const ids = appliedIds(r);
      const ctx = textCtx(ids);
      const msg = commitText(r, ctx);
      outcomes.push({ branch, action: 'dry-run', codemods: ids, title: msg.subject, message: msg.message + (o.signoff ? '(+ Signed-off-by)\n' : ''), body: prBody(r, ctx), diff: diffOf(r, root), pushed: false });
    }
    return { base, branches: outcomes, apiRequests: 0 };
  }

  const dirty = await git.dirtyFiles();
  if (dirty.length) throw new ForgeError('dirty-tree', `the working tree has uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}): commit or stash them first`);
  const remoteUrl = await git.remoteUrl(remote);
  const repoSpec = o.repo ?? remoteUrl;
  const repo = parseRepo(repoSpec);
  if (!repo) throw new ForgeError('usage', `cannot tell the GitHub repository from '${git.scrub(repoSpec)}': pass --repo owner/name`);
  git.authorizeFor(remoteUrl);
  let client: GitHubClient | undefined;
  const gh = () => (client ??= new GitHubClient({ apiUrl: o.apiUrl, token: o.token ?? '', userAgent: `harden/${o.version}`, ...o.github }));

  for (const g of groups) {
    const branch = g ? `${branchBase}/${g[0]}` : branchBase;
    outcomes.push(await oneBranch({ o, api, git, root, rootRel, remote, repo, base, baseSha, branch, only: g, textCtx, gh, log }));
  }
  return { base, branches: outcomes, apiRequests: client?.requests ?? 0 };
}

interface BranchJob {
  o: PrOptions;
  api: typeof import('../api.js');
  git: Git;
  root: string;
  rootRel: string;
  remote: string;
  repo: RepoRef;
  base: string;
  baseSha: string;
  branch: string;
  only: string[] | undefined;
  textCtx: (ids: string[]) => TextContext;
  gh: () => GitHubClient;
  log: (line: string) => void;
}

async function oneBranch(j: BranchJob): Promise<BranchOutcome> {
  const { o, git, remote, repo, branch, log } = j;
  const wt = await mkdtemp(join(tmpdir(), 'harden-pr-'));
  await git.run(['worktree', 'add', '--detach', '--quiet', wt, j.baseSha]);
  try {
    const w = git.at(wt);
    const r = await j.api.fix({ ...o.harden, only: j.only ?? o.harden?.only, cwd: join(wt, j.rootRel), write: true });
    if (r.files.some((f) => f.error) || r.problems.length || r.companions.errors.length) {
      const first = r.problems[0]?.message ?? r.companions.errors[0]?.message ?? r.files.find((f) => f.error)?.error?.message;
      log(`warning: some files could not be processed (${first}); committing the rest`);
    }
    const paths = touchedPaths(r);
    if (!hasChanges(r) || !paths.length) {
      log(`${branch}: nothing to change`);
      return { branch, action: 'nothing-to-do', codemods: [], pushed: false };
    }
    await w.run(['add', '--', ...paths]);
    const staged = await w.run(['diff', '--cached', '--quiet'], { allowFail: true });
    if (staged.code === 0) return { branch, action: 'nothing-to-do', codemods: [], pushed: false };
    const ids = appliedIds(r);
    const ctx = j.textCtx(ids);
    const msg = commitText(r, ctx);
    const body = prBody(r, ctx);
    await w.run(['commit', '--quiet', '--no-verify', '--no-gpg-sign', ...(o.signoff ? ['--signoff'] : []), '-F', '-'], { input: msg.message });
    const sha = await w.out(['rev-parse', 'HEAD']);
    const mine = await w.commitInfo(sha);
    const diff = diffOf(r, wt);
    const out: BranchOutcome = { branch, action: 'up-to-date', codemods: ids, commit: sha, title: msg.subject, message: msg.message, body, diff, pushed: false };

    // The remote branch: absent, ours and current, ours and stale, or someone else's.
    const remoteSha = await git.remoteBranchSha(remote, branch);
    let upToDate = false;
    if (remoteSha) {
      await git.fetchBranch(remote, branch);
      if (!(await git.hasBotTrailer(remoteSha))) {
        throw new ForgeError('foreign-branch', `branch '${branch}' on '${remote}' was not created by harden (its tip ${remoteSha.slice(0, 12)} lacks the Harden-Bot trailer): refusing to overwrite it; choose another --branch`);
      }
      const theirs = await git.commitInfo(remoteSha);
      upToDate = theirs.tree === mine.tree && theirs.parents[0] === j.baseSha;
      out.commit = upToDate ? remoteSha : sha;
    }
    if (upToDate && !o.sync) {
      log(`${branch}: already up to date on ${remote}; nothing to do`);
      return out;
    }

    const pulls = await j.gh().findPulls(repo, branch, 'all');
    const open = pulls.find((p) => p.state === 'open');
    const last = pulls[0];
    const closedUnmerged = !open && last && last.state === 'closed' && !last.merged_at ? last : undefined;
    if (closedUnmerged && !o.reopen) {
      log(`${branch}: pull request #${closedUnmerged.number} was closed without merging; not reopening it (pass --reopen to)`);
      return { ...out, action: 'skipped-closed', pr: { number: closedUnmerged.number, url: closedUnmerged.html_url } };
    }
    if (!upToDate) {
      await git.forcePush(remote, sha, branch, remoteSha);
      out.pushed = true;
      log(`${branch}: pushed ${sha.slice(0, 12)} to ${remote}${remoteSha ? ` (was ${remoteSha.slice(0, 12)})` : ''}`);
    }
    const title = msg.subject;
    const update = async (p: PullRequest, extra: { state?: 'open' } = {}): Promise<PullRequest> =>
      p.title === title && (p.body ?? '') === body && !extra.state && p.base.ref === j.base ? p : j.gh().updatePull(repo, p.number, { title, body, base: j.base, ...extra });

    let pr: PullRequest;
    let action: BranchAction;
    if (open) {
      pr = await update(open);
      action = 'updated';
    } else if (closedUnmerged) {
      try {
        pr = await update(closedUnmerged, { state: 'open' });
        action = 'reopened';
      } catch (e) {
        if (!(e instanceof ForgeError && e.code === 'conflict')) throw e;
        ({ pr, action } = await create(j, title, body));
      }
    } else {
      ({ pr, action } = await create(j, title, body));
    }
    log(`${branch}: pull request #${pr.number} ${action}: ${pr.html_url}`);
    return { ...out, action, pr: { number: pr.number, url: pr.html_url } };
  } finally {
    await git.run(['worktree', 'remove', '--force', wt], { allowFail: true });
    await rm(wt, { recursive: true, force: true });
    await git.run(['worktree', 'prune'], { allowFail: true });
  }
}

async function create(j: BranchJob, title: string, body: string): Promise<{ pr: PullRequest; action: BranchAction }> {
  const { o, repo, branch } = j;
  try {
    const pr = await j.gh().createPull(repo, { title, head: branch, base: j.base, body, draft: o.draft || undefined });
    if (o.labels?.length) await j.gh().addLabels(repo, pr.number, o.labels);
    if (o.reviewers?.length || o.teamReviewers?.length) await j.gh().requestReviewers(repo, pr.number, o.reviewers ?? [], o.teamReviewers ?? []);
    return { pr, action: 'created' };
  } catch (e) {
    // Created concurrently (or the list was stale): find it and update it.
    if (e instanceof ForgeError && e.code === 'conflict' && /already exists/i.test(e.message)) {
      const existing = (await j.gh().findPulls(repo, branch, 'open'))[0];
      if (existing) return { pr: await j.gh().updatePull(repo, existing.number, { title, body }), action: 'updated' };
    }
    throw e;
  }
}

/** Human-readable text for a dry run: branch, commit message, title, body, diff. */
export function formatDryRun(out: PrOutcome): string {
  const parts: string[] = [];
  for (const b of out.branches) {
    if (b.action === 'nothing-to-do') {
      parts.push(`branch: ${b.branch}\nnothing to change\n`);
      continue;
    }
    parts.push(
      `branch: ${b.branch} (base: ${out.base})\n\n--- commit message ---\n${b.message ?? ''}\n--- pull request title ---\n${b.title ?? ''}\n\n--- pull request body ---\n${b.body ?? ''}\n--- diff ---\n${b.diff ?? ''}`,
    );
  }
  return parts.join('\n');
}
