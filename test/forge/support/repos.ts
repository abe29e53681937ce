/** Real git for forge tests: a bare repository as the remote and a clone as the working copy. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { fix, insertAt, replace } from '../../../src/engine/edits.js';
import type { Codemod } from '../../../src/engine/types.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export interface Repos {
  remote: string;
  work: string;
  git(...args: string[]): string;
  /** Run git in the remote (bare) repository. */
  remoteGit(...args: string[]): string;
  write(files: Record<string, string>): void;
  /** Commit everything and push the base branch. */
  commitAndPush(message: string): string;
}

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

export function repos(files: Record<string, string>): Repos {
  const root = mkdtempSync(join(tmpdir(), 'harden-forge-'));
  made.push(root);
  const remote = join(root, 'remote.git');
  const work = join(root, 'work');
  const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  run(root, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  run(root, ['clone', '--quiet', remote, work]);
  run(work, ['config', 'user.name', 'Test User']);
  run(work, ['config', 'user.email', 'test@example.com']);
  run(work, ['config', 'commit.gpgsign', 'false']);
  run(work, ['checkout', '--quiet', '-B', 'main']);
  const r: Repos = {
    remote,
    work,
    git: (...a) => run(work, a),
    remoteGit: (...a) => run(remote, a),
    write(f) {
      for (const [rel, text] of Object.entries(f)) {
        mkdirSync(dirname(join(work, rel)), { recursive: true });
        writeFileSync(join(work, rel), text);
      }
    },
    commitAndPush(message) {
      run(work, ['add', '-A']);
      run(work, ['commit', '--quiet', '-m', message]);
      run(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
      return run(work, ['rev-parse', 'HEAD']);
    },
  };
  r.write(files);
  r.commitAndPush('initial');
  return r;
}

export const DIGEST = `sha256:${'a'.repeat(64)}`;

/** Pins `FROM alpine:3.19` to a fixed digest, reporting where the digest came from. */
export const pinAlpine: Codemod = {
  id: 'pin-alpine',
  fileKinds: ['dockerfile'],
  summary: 'Pin base images to digests.',
  safety: 'safe',
  docs: 'test',
  run(ctx) {
    const m = /^FROM alpine:3\.19$/m.exec(ctx.file.text);
    if (!m) return;
    const range = { start: m.index, end: m.index + m[0].length };
    ctx.report({
      range,
      message: 'alpine:3.19 is not pinned',
      fix: fix('pin alpine:3.19 to its digest', 'safe', [replace(range, `FROM alpine:3.19@${DIGEST}`)]),
      data: { ref: 'alpine:3.19', digest: DIGEST, source: 'registry-1.docker.io' },
    });
  },
};

/** Adds `USER 65532` at the end of a Dockerfile that has no USER. */
export const addUser: Codemod = {
  id: 'add-user',
  fileKinds: ['dockerfile'],
  summary: 'Run as a non-root user.',
  safety: 'safe',
  docs: 'test',
  run(ctx) {
    if (/^USER /m.test(ctx.file.text)) return;
    const t = ctx.file.text;
    ctx.report({ range: { start: t.length, end: t.length }, message: 'no USER', severity: 'warning', fix: fix('add USER 65532', 'safe', [insertAt(t.length, `${t.endsWith('\n') ? '' : '\n'}USER 65532\n`)]) });
  },
};
