/**
 * A small GitHub REST client over undici: the handful of endpoints `harden pr` and `harden review` need,
 * with the documented headers, Link-header pagination, bounded waits on rate limits and clear errors.
 * The token is sent only to the API origin and never appears in an error message.
 */
import { request, type Dispatcher } from 'undici';
import { ForgeError } from './errors.js';
import { scrub } from './scrub.js';
import { userAgent } from '../version.js';

export const DEFAULT_API_URL = 'https://api.github.com';
export const API_VERSION = '2022-11-28';

export interface GitHubOptions {
  /** e.g. https://api.github.com or https://ghe.example.com/api/v3 */
  apiUrl?: string;
  token: string;
  userAgent?: string;
  /** Longest single wait for a rate limit to reset before giving up (default 60 s). */
  maxWaitMs?: number;
  /** Retries after rate limiting (default 3). */
  maxRetries?: number;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
}

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface PullRequest {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  html_url: string;
  merged_at: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
}

export interface IssueComment {
  id: number;
  body?: string;
  html_url: string;
}

export interface Repository {
  default_branch: string;
  full_name: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export class GitHubClient {
  readonly apiUrl: string;
  /** Requests sent, for reporting and tests. */
  requests = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly opts: GitHubOptions) {
    if (!opts.token) throw new ForgeError('auth', 'no GitHub token: set GITHUB_TOKEN or GH_TOKEN, or pass --token');
    this.apiUrl = (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
  }

  private url(path: string, query?: Record<string, string | number | undefined>): string {
    const u = new URL(this.apiUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** One API call with rate-limit handling; returns the parsed body and the Link `next` URL. */
  async call<T>(method: Method, pathOrUrl: string, body?: unknown, query?: Record<string, string | number | undefined>): Promise<{ data: T; next?: string; status: number }> {
    const target = pathOrUrl.startsWith('http') ? pathOrUrl : this.url(pathOrUrl, query);
    if (new URL(target).origin !== new URL(this.apiUrl).origin) throw new ForgeError('api', `refusing to send the token to ${new URL(target).origin}`);
    const maxRetries = this.opts.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = {
        accept: 'application/vnd.github+json',
        'x-github-api-version': API_VERSION,
        authorization: `Bearer ${this.opts.token}`,
        'user-agent': this.opts.userAgent ?? userAgent(),
      };
      if (body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
      this.requests++;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(target, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          dispatcher: this.opts.dispatcher,
          headersTimeout: this.opts.timeoutMs ?? 30_000,
          bodyTimeout: this.opts.timeoutMs ?? 30_000,
        });
      } catch (e) {
        throw new ForgeError('api', `${method} ${this.describe(target)}: ${this.clean((e as Error).message)}`);
      }
      const text = await res.body.text();
      const h = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        return { data: json as T, next: nextLink(h('link')), status };
      }
      const message = this.clean(typeof (json as { message?: unknown })?.message === 'string' ? (json as { message: string }).message : text.slice(0, 300));
      const where = `${method} ${this.describe(target)}`;

      // Rate limits: primary (remaining 0 + reset), secondary (retry-after), both as 403 or 429.
      if (status === 403 || status === 429) {
        const retryAfter = h('retry-after');
        const remaining = h('x-ratelimit-remaining');
        const reset = h('x-ratelimit-reset');
        let waitMs: number | undefined;
        if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) waitMs = Number(retryAfter) * 1000;
        else if (remaining === '0' && reset !== undefined && /^\d+$/.test(reset)) waitMs = Math.max(0, Number(reset) * 1000 - this.now()) + 1000;
        else if (status === 429 || /secondary rate limit/i.test(message)) waitMs = 60_000;
        if (waitMs !== undefined) {
          const max = this.opts.maxWaitMs ?? 60_000;
          if (attempt < maxRetries && waitMs <= max) {
            await this.sleep(waitMs);
            continue;
          }
          const when = reset && /^\d+$/.test(reset) ? ` (resets at ${new Date(Number(reset) * 1000).toISOString()})` : retryAfter ? ` (retry after ${retryAfter} s)` : '';
          throw new ForgeError('rate-limited', `GitHub API rate limit exceeded for ${where}${when}: ${message}`, status);
        }
      }
      if (status === 401) throw new ForgeError('auth', `GitHub rejected the token (401) for ${where}: ${message}`, status);
      if (status === 403) throw new ForgeError('auth', `the token may not do ${where} (403): ${message} — it needs contents, pull-requests and issues write permissions`, status);
      if (status === 404) throw new ForgeError('not-found', `${where}: not found (404) — check the repository name, --api-url, and that the token can see it`, status);
      if (status === 422) {
        const details = (json as { errors?: { message?: string; code?: string; field?: string }[] })?.errors ?? [];
        const all = [message, ...details.map((d) => d.message ?? [d.field, d.code].filter(Boolean).join(' '))].filter(Boolean).join('; ');
        throw new ForgeError('conflict', `${where}: ${this.clean(all)} (422)`, status);
      }
      throw new ForgeError('api', `${where}: HTTP ${status}: ${message}`, status);
    }
  }

  private describe(url: string): string {
    const u = new URL(url);
    return u.pathname.slice(new URL(this.apiUrl).pathname.replace(/\/$/, '').length) + u.search;
  }

  private clean(s: string): string {
    return scrub(s, [this.opts.token]);
  }

  /** Every page of a list endpoint (Link rel="next"). */
  async paginate<T>(path: string, query: Record<string, string | number | undefined> = {}, maxPages = 50): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = this.url(path, { per_page: 100, ...query });
    for (let i = 0; next && i < maxPages; i++) {
      const r: { data: T[]; next?: string } = await this.call<T[]>('GET', next);
      out.push(...(r.data ?? []));
      next = r.next;
    }
    return out;
  }

  // ---- endpoints -----------------------------------------------------------------------------------------

  async getRepo(r: RepoRef): Promise<Repository> {
    return (await this.call<Repository>('GET', `/repos/${enc(r.owner)}/${enc(r.repo)}`)).data;
  }

  /** Pull requests whose head is `owner:branch` (any state, newest first). */
  async findPulls(r: RepoRef, branch: string, state: 'open' | 'closed' | 'all' = 'all'): Promise<PullRequest[]> {
    return this.paginate<PullRequest>(`/repos/${enc(r.owner)}/${enc(r.repo)}/pulls`, { head: `${r.owner}:${branch}`, state, sort: 'created', direction: 'desc' }, 5);
  }

  async createPull(r: RepoRef, p: { title: string; head: string; base: string; body: string; draft?: boolean }): Promise<PullRequest> {
    return (await this.call<PullRequest>('POST', `/repos/${enc(r.owner)}/${enc(r.repo)}/pulls`, { ...p, maintainer_can_modify: true })).data;
  }

  async updatePull(r: RepoRef, n: number, p: { title?: string; body?: string; state?: 'open' | 'closed'; base?: string }): Promise<PullRequest> {
    return (await this.call<PullRequest>('PATCH', `/repos/${enc(r.owner)}/${enc(r.repo)}/pulls/${n}`, p)).data;
  }

  async addLabels(r: RepoRef, n: number, labels: readonly string[]): Promise<void> {
    await this.call('POST', `/repos/${enc(r.owner)}/${enc(r.repo)}/issues/${n}/labels`, { labels });
  }

  async requestReviewers(r: RepoRef, n: number, reviewers: readonly string[], teamReviewers: readonly string[]): Promise<void> {
    await this.call('POST', `/repos/${enc(r.owner)}/${enc(r.repo)}/pulls/${n}/requested_reviewers`, { reviewers, team_reviewers: teamReviewers });
  }

  async listComments(r: RepoRef, n: number): Promise<IssueComment[]> {
    return this.paginate<IssueComment>(`/repos/${enc(r.owner)}/${enc(r.repo)}/issues/${n}/comments`);
  }

  async createComment(r: RepoRef, n: number, body: string): Promise<IssueComment> {
    return (await this.call<IssueComment>('POST', `/repos/${enc(r.owner)}/${enc(r.repo)}/issues/${n}/comments`, { body })).data;
  }

  async updateComment(r: RepoRef, id: number, body: string): Promise<IssueComment> {
    return (await this.call<IssueComment>('PATCH', `/repos/${enc(r.owner)}/${enc(r.repo)}/issues/comments/${id}`, { body })).data;
  }
}

const enc = encodeURIComponent;

function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** owner/name from `--repo`, or from a GitHub remote URL (https, ssh, scp-like). */
export function parseRepo(spec: string): RepoRef | undefined {
  const m = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+?)(?:\.git)?$/.exec(spec.trim());
  if (m) return { owner: m[1] ?? '', repo: m[2] ?? '' };
  const url = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?[^/:]+(?::\d+)?[:/](?:.*\/)?([^/]+)\/([^/]+?)(?:\.git)?\/?$/i.exec(spec.trim());
  if (url && !spec.startsWith('/') && !spec.startsWith('file:')) return { owner: url[1] ?? '', repo: url[2] ?? '' };
  return undefined;
}
