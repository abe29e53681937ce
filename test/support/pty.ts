/**
 * Runs the real CLI (from source, through tsx) on a pseudo-terminal with util-linux `script`: standard error (and
 * standard output unless redirected to a file) is a TTY, as in an interactive shell.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../src/bin.ts');
const TSX = import.meta.resolve('tsx');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface PtyResult {
  code: number;
  /** Everything written to the terminal (stderr, and stdout when not redirected), CRLF as the terminal gives it. */
  tty: string;
  /** Standard output when it was redirected to a file (`stdoutToFile`). */
  stdout?: string;
}

export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
}

type PtyOptions = { cwd: string; env?: Record<string, string | undefined>; stdoutToFile?: boolean };

function ptyCommand(args: string[], opts: PtyOptions): { cmd: string; env: NodeJS.ProcessEnv; out: string } {
  const env: Record<string, string | undefined> = {
    ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined, TERM: 'xterm',
    XDG_CACHE_HOME: resolve(opts.cwd, '.cache-test'), ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const out = join(opts.cwd, '.pty-stdout');
  const cmd = [process.execPath, '--import', TSX, BIN, ...args].map(q).join(' ') + (opts.stdoutToFile ? ` > ${q(out)}` : '') + ' < /dev/null';
  return { cmd, env: env as NodeJS.ProcessEnv, out };
}

export function hardenPty(args: string[], opts: PtyOptions): PtyResult {
  const { cmd, env, out } = ptyCommand(args, opts);
  const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: opts.cwd, encoding: 'utf8', env, timeout: 120_000 });
  return { code: r.status ?? -1, tty: r.stdout, stdout: opts.stdoutToFile && existsSync(out) ? readFileSync(out, 'utf8') : undefined };
}

/** Like `hardenPty`, without blocking the event loop (for servers running in the test process). */
export function hardenPtyAsync(args: string[], opts: PtyOptions): Promise<PtyResult> {
  const { cmd, env, out } = ptyCommand(args, opts);
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let tty = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (tty += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, tty, stdout: opts.stdoutToFile && existsSync(out) ? readFileSync(out, 'utf8') : undefined }));
  });
}
