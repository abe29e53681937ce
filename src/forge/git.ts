/**
 * Git through the `git` binary (see docs/bot.md for why not simple-git): every call is `execFile('git', args)`
 * with no shell, prompts disabled, and its error text scrubbed of the token and URL credentials.
 *
 * Authentication for push/fetch is given through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`
 * environment variables as an `http.<remote-origin>/.extraheader`, so the token is sent only to the remote's
 * host, never appears in a URL, in argv (visible in `ps`), or in `.git/config`.
 */
import { execFile } from 'node:child_process';
import { basicAuthHeader, scrub } from './scrub.js';
import { ForgeError } from './errors.js';

export const TRAILER_KEY = 'Harden-Bot';
export const TRAILER_VALUE = 'v1';

export interface GitOptions {
  cwd: string;
  /** Token for https remotes (sent as a Basic Authorization header to the remote's origin only). */
  token?: string;
  /** Extra environment (author/committer identity). */
  env?: Record<string, string>;
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

export class Git {
  private authEnv: Record<string, string> = {};
  constructor(private readonly opts: GitOptions) {}

  get cwd(): string {
    return this.opts.cwd;
  }

  /** A Git for another directory (a worktree) with the same credentials and identity. */
  at(cwd: string): Git {
    const g = new Git({ ...this.opts, cwd });
    g.authEnv = this.authEnv;
    return g;
  }

  /** Send the token to this remote URL's origin, if it is http(s). Other remotes (ssh, file) get nothing. */
  authorizeFor(remoteUrl: string): void {
    this.authEnv = {};
    if (!this.opts.token) return;
    let origin: string;
    try {
      const u = new URL(remoteUrl);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return;
      origin = `${u.protocol}//${u.host}/`;
    } catch {
      return; // scp-like ssh syntax or a path
    }
    const base = Number(process.env.GIT_CONFIG_COUNT ?? '0') || 0;
    const key = `http.${origin}.extraheader`;
    // An empty value first resets headers configured earlier for the same key (e.g. by actions/checkout), so
    // the remote does not receive two Authorization headers.
    this.authEnv = {
      GIT_CONFIG_COUNT: String(base + 2),
      [`GIT_CONFIG_KEY_${base}`]: key,
      [`GIT_CONFIG_VALUE_${base}`]: '',
      [`GIT_CONFIG_KEY_${base + 1}`]: key,
      [`GIT_CONFIG_VALUE_${base + 1}`]: basicAuthHeader(this.opts.token),
    };
  }

  scrub(text: string): string {
    return scrub(text, [this.opts.token]);
  }

  /** Run git; on failure throw a ForgeError('git') with git's (scrubbed) message. */
  async run(args: readonly string[], extra: { env?: Record<string, string>; input?: string; allowFail?: boolean } = {}): Promise<GitResult & { code: number }> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: process.env.GIT_ASKPASS ?? 'echo',
      LC_ALL: 'C',
      ...this.opts.env,
      ...this.authEnv,
      ...extra.env,
    };
    return new Promise((resolvePromise, reject) => {
      const child = execFile('git', [...args], { cwd: this.opts.cwd, env, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 1) : 0;
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new ForgeError('git', 'git is not installed or not on PATH'));
          return;
        }
        if (err && !extra.allowFail) {
          const msg = this.scrub((stderr || err.message).trim());
          reject(new ForgeError('git', `git ${this.scrub(args[0] ?? '')} failed: ${msg}`));
          return;
        }
        resolvePromise({ stdout, stderr: this.scrub(stderr), code });
      });
      if (extra.input !== undefined) child.stdin?.end(extra.input);
    });
  }

  async out(args: readonly string[], env?: Record<string, string>): Promise<string> {
    return (await this.run(args, { env })).stdout.trim();
  }

  async tryOut(args: readonly string[]): Promise<string | undefined> {
    const r = await this.run(args, { allowFail: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  // ---- queries -------------------------------------------------------------------------------------------

  async root(): Promise<string> {
    const r = await this.tryOut(['rev-parse', '--show-toplevel']);
    if (r === undefined) throw new ForgeError('not-a-repo', `${this.opts.cwd} is not inside a git checkout`);
    return r;
  }

  /** The checked-out branch, or a ForgeError('detached-head'). */
  async currentBranch(): Promise<string> {
    const r = await this.tryOut(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    if (!r) throw new ForgeError('detached-head', 'HEAD is detached: check out the base branch (or pass --base)');
    return r;
  }

  /** Tracked files with uncommitted changes (staged or not). */
  async dirtyFiles(): Promise<string[]> {
    const { stdout } = await this.run(['status', '--porcelain=v1', '--untracked-files=no']);
    return stdout.split('\n').filter((l) => l.length > 3).map((l) => l.slice(3));
  }

  async remoteUrl(remote: string): Promise<string> {
    const url = await this.tryOut(['remote', 'get-url', remote]);
    if (!url) throw new ForgeError('missing-remote', `no git remote named '${remote}' (add one, or pass --remote)`);
    return url;
  }

  async revParse(rev: string): Promise<string | undefined> {
    return this.tryOut(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  }

  /** The sha of a branch on the remote, or undefined when it does not exist there. */
  async remoteBranchSha(remote: string, branch: string): Promise<string | undefined> {
    const r = await this.run(['ls-remote', '--heads', remote, `refs/heads/${branch}`], { allowFail: true });
    if (r.code !== 0) throw classifyRemoteError(this.scrub(r.stderr), remote);
    const line = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
    return line?.split('\t')[0];
  }

  /** Fetch one branch of the remote (its objects) and return its sha. */
  async fetchBranch(remote: string, branch: string): Promise<string> {
    const r = await this.run(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`], { allowFail: true });
    if (r.code !== 0) throw classifyRemoteError(this.scrub(r.stderr), remote);
    return this.out(['rev-parse', `refs/remotes/${remote}/${branch}`]);
  }

  /** Whether a commit message carries the bot trailer. */
  async hasBotTrailer(sha: string): Promise<boolean> {
    const msg = await this.out(['log', '-1', '--format=%B', sha]);
    return parseTrailers(msg).some(([k, v]) => k.toLowerCase() === TRAILER_KEY.toLowerCase() && v === TRAILER_VALUE);
  }

  async commitInfo(sha: string): Promise<{ tree: string; parents: string[] }> {
    const [tree = '', ...parents] = (await this.out(['log', '-1', '--format=%T %P', sha])).split(/\s+/).filter(Boolean);
    return { tree, parents };
  }

  /** Force-push `sha` to the remote branch, only if it still is at `expected` (undefined: must not exist). */
  async forcePush(remote: string, sha: string, branch: string, expected: string | undefined): Promise<void> {
    const lease = `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`;
    const r = await this.run(['push', '--porcelain', lease, remote, `${sha}:refs/heads/${branch}`], { allowFail: true });
    if (r.code !== 0) throw classifyRemoteError(this.scrub(`${r.stderr}\n${r.stdout}`), remote, branch);
  }
}

/** `Key: value` trailers of the last paragraph of a commit message. */
export function parseTrailers(message: string): [string, string][] {
  const paras = message.trim().split(/\n\s*\n/);
  const last = paras[paras.length - 1] ?? '';
  const out: [string, string][] = [];
  for (const l of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(l.trim());
    if (m) out.push([m[1] ?? '', (m[2] ?? '').trim()]);
  }
  return out;
}

function classifyRemoteError(text: string, remote: string, branch?: string): ForgeError {
  const t = text.trim();
  if (/authentication failed|could not read username|terminal prompts disabled|permission denied|403|401|invalid username or password|access denied/i.test(t)) {
    return new ForgeError('auth', `authentication to remote '${remote}' failed: check the token and its permissions (contents: write)\n${t}`);
  }
  if (/\[rejected\]|stale info|non-fast-forward|failed to push|\[remote rejected\]|protected branch/i.test(t)) {
    return new ForgeError('push-rejected', `push of ${branch ?? 'the branch'} to '${remote}' was rejected (someone else pushed to it, or it is protected)\n${t}`);
  }
  if (/does not appear to be a git repository|repository .* not found|could not read from remote/i.test(t)) {
    return new ForgeError('missing-remote', `remote '${remote}' is not reachable or not a repository\n${t}`);
  }
  return new ForgeError('git', t || `git failed talking to '${remote}'`);
}
