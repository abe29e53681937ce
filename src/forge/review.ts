/**
 * `harden review`: for a pull request, run `harden fix` as a dry-run on the files it changed (or on everything),
 * then post or update ONE comment with the diff and findings (found again by its hidden marker), and/or write
 * SARIF for code scanning. The exit code follows `--fail-on`, like `harden check`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { FixOptions, HardenResult } from '../api.js';
import type { Codemod, Severity } from '../engine/types.js';
import { kindFromName, shellFileRelevant } from '../engine/discover.js';
import { REVIEW_MARKER, reviewComment, shellWord } from './body.js';
import { ForgeError } from './errors.js';
import { Git } from './git.js';
import { GitHubClient, parseRepo, type GitHubOptions, type RepoRef } from './github.js';

export interface ReviewOptions {
  cwd: string;
  harden?: Omit<FixOptions, 'cwd' | 'write' | 'paths'>;
  /** Review everything under `paths` (default '.') instead of the files the pull request changed. */
  all?: boolean;
  paths?: readonly string[];
  repo?: string;
  pr?: number;
  /** Base ref or sha to diff against (default: from the event payload). */
  base?: string;
  /** Head ref or sha (default: HEAD). */
  head?: string;
  /** A GitHub Actions event payload file (default: $GITHUB_EVENT_PATH). */
  eventPath?: string;
  /** Post/update the comment (default true when a pull request and a token are known). */
  comment?: boolean;
  sarif?: string;
  failOn?: Severity | 'never';
  apiUrl?: string;
  token?: string;
  version: string;
  codemods?: readonly Codemod[];
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  github?: Partial<GitHubOptions>;
}

export interface ReviewOutcome {
  result: HardenResult;
  /** Paths reviewed (relative to cwd); empty with `all`. */
  files: string[];
  body: string;
  comment?: { id: number; url: string; action: 'created' | 'updated' | 'unchanged' | 'skipped' };
  exitCode: number;
  apiRequests: number;
}

interface EventInfo {
  repo?: string;
  pr?: number;
  base?: string;
  head?: string;
}

/** What a GitHub Actions event payload says about the pull request. */
export async function readEvent(path: string | undefined, env: NodeJS.ProcessEnv): Promise<EventInfo> {
  const info: EventInfo = { repo: env.GITHUB_REPOSITORY };
  if (!path) return info;
  let payload: { pull_request?: { number?: number; base?: { sha?: string; ref?: string }; head?: { sha?: string } }; number?: number; repository?: { full_name?: string } };
  try {
    payload = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ForgeError('usage', `cannot read the event payload ${path}: ${(e as Error).message}`);
  }
  const pr = payload.pull_request;
  return {
    repo: info.repo ?? payload.repository?.full_name,
    pr: pr?.number ?? payload.number,
    base: pr?.base?.sha ?? pr?.base?.ref,
    head: pr?.head?.sha,
  };
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export async function runReview(o: ReviewOptions): Promise<ReviewOutcome> {
  const env = o.env ?? process.env;
  const log = o.log ?? (() => {});
  const cwd = resolve(o.cwd);
  const ev = await readEvent(o.eventPath ?? env.GITHUB_EVENT_PATH, env);
  const repoSpec = o.repo ?? ev.repo;
  const prNumber = o.pr ?? ev.pr;
  const base = o.base ?? ev.base;
  const head = o.head ?? ev.head ?? 'HEAD';

  let files: string[] = [];
  let paths: readonly string[] = o.paths?.length ? o.paths : ['.'];
  let scope = 'the repository';
  if (!o.all) {
    if (!base) throw new ForgeError('usage', 'no base to diff against: pass --base REF (or --all), or run on a pull_request event');
    const git = new Git({ cwd });
    const root = await git.root();
    const resolveRev = async (rev: string) => (await git.revParse(rev)) ?? (await git.revParse(`origin/${rev}`));
    const b = await resolveRev(base);
    const h = await resolveRev(head);
    if (!b) throw new ForgeError('usage', `base '${base}' is not known here (fetch it: actions/checkout with fetch-depth: 0)`);
    if (!h) throw new ForgeError('usage', `head '${head}' is not known here`);
    const out = await git.out(['diff', '--name-only', '--diff-filter=d', '-z', `${b}...${h}`]);
    const within = (p: string) => o.paths?.length ? o.paths.some((q) => { const r = relative(resolve(cwd, q), resolve(root, p)); return !r.startsWith('..'); }) : true;
    const relevant = async (p: string): Promise<boolean> => {
      const kind = kindFromName(p);
      if (!kind || !within(p)) return false;
      if (kind !== 'shell') return true;
      // Scripts, Makefiles, Markdown and CI files count only when they mention docker or podman (as when walking).
      return shellFileRelevant(await readFile(resolve(root, p), 'utf8').catch(() => 'docker'));
    };
    const changed = out.split('\0').filter(Boolean);
    const keep = await Promise.all(changed.map(relevant));
    files = changed.filter((_, i) => keep[i]).map((p) => relative(cwd, resolve(root, p)).split(sep).join('/'));
    paths = files;
    scope = `the ${files.length} Dockerfile${files.length === 1 ? '' : 's'} and compose file${files.length === 1 ? '' : 's'} this pull request changes`;
  }

  const api = await import('../api.js');
  const registry = o.codemods ?? o.harden?.codemods ?? (await import('../../codemods/index.js')).codemods;
  const empty: HardenResult = { files: [], problems: [], requests: {}, notes: [], companions: { files: [], messages: [], errors: [] } };
  const result = paths.length ? await api.fix({ ...o.harden, paths, cwd, write: false }) : empty;

  const words = ['harden', 'fix', '--write', ...(o.harden?.unsafe ? ['--unsafe'] : []), ...(o.harden?.preset ? ['--preset', o.harden.preset] : []), ...(o.harden?.only?.length ? ['--only', o.harden.only.join(',')] : []), ...(o.harden?.skip?.length ? ['--skip', o.harden.skip.join(',')] : []), ...(o.all ? (o.paths ?? []) : files)];
  const body = reviewComment(result, { reproduce: words.map(shellWord).join(' '), version: o.version, scope });

  if (o.sarif) {
    const { toSarif } = await import('../output/sarif.js');
    // Findings whose fixes `fix` would apply count too: code scanning shows both.
    const forSarif: HardenResult = { ...result, files: result.files.map((f) => ({ ...f, findings: [...f.applied.map((a) => ({ ...a, fixStatus: 'fixable' as const })), ...f.findings] })) };
    await writeFile(resolve(cwd, o.sarif), `${JSON.stringify(toSarif(forSarif, registry, o.version, { cwd }), null, 2)}\n`);
  }

  let comment: ReviewOutcome['comment'];
  let client: GitHubClient | undefined;
  const wantComment = o.comment ?? true;
  if (wantComment) {
    if (!repoSpec || !prNumber) {
      if (o.comment) throw new ForgeError('usage', 'to comment, harden needs the pull request: pass --repo owner/name --pr N, or run on a pull_request event');
      log('no pull request known: not commenting');
    } else if (!o.token) {
      if (o.comment) throw new ForgeError('auth', 'no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or pass --token');
      log('no token: not commenting');
    } else {
      const repo = parseRepo(repoSpec);
      if (!repo) throw new ForgeError('usage', `--repo must be owner/name, not '${repoSpec}'`);
      client = new GitHubClient({ apiUrl: o.apiUrl ?? env.GITHUB_API_URL, token: o.token, userAgent: `harden/${o.version}`, ...o.github });
      comment = await upsertComment(client, repo, prNumber, body, result);
      log(`comment ${comment.action}${comment.url ? `: ${comment.url}` : ''}`);
    }
  }

  const all = result.files.flatMap((f) => [...f.applied, ...f.findings]);
  const failOn = o.failOn ?? 'info';
  const exitCode = api.hasProcessingErrors(result) ? 2 : failOn !== 'never' && all.some((x) => RANK[x.severity] >= RANK[failOn]) ? 1 : 0;
  return { result, files, body, comment, exitCode, apiRequests: client?.requests ?? 0 };
}

async function upsertComment(gh: GitHubClient, repo: RepoRef, n: number, body: string, r: HardenResult): Promise<NonNullable<ReviewOutcome['comment']>> {
  const existing = (await gh.listComments(repo, n)).filter((c) => c.body?.includes(REVIEW_MARKER));
  const mine = existing[0];
  if (mine) {
    if (mine.body === body) return { id: mine.id, url: mine.html_url, action: 'unchanged' };
    const c = await gh.updateComment(repo, mine.id, body);
    return { id: c.id, url: c.html_url, action: 'updated' };
  }
  // Nothing to say and nothing said before: stay quiet.
  const nothing = !r.files.some((f) => f.applied.length || f.findings.length || f.error) && !r.problems.length;
  if (nothing) return { id: 0, url: '', action: 'skipped' };
  const c = await gh.createComment(repo, n, body);
  return { id: c.id, url: c.html_url, action: 'created' };
}
