/** Runs the real CLI (from source, through tsx) in a child process. */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../src/bin.ts');
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cliEnv(opts: { cwd: string; env?: Record<string, string | undefined> }): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, XDG_CACHE_HOME: resolve(opts.cwd, '.cache-test'), ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env as NodeJS.ProcessEnv;
}

/** Like `harden`, without blocking the event loop (for servers running in the test process). */
export function hardenAsync(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], { cwd: opts.cwd, env: cliEnv(opts), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * A guard against a hung CLI, not a limit on a slow one: just under the test timeout (vitest.config.ts), since a
 * synchronous spawn blocks the event loop and the test's own timeout cannot fire while it waits.
 */
const HANG_GUARD_MS = 170_000;

export function harden(args: string[], opts: { cwd: string; input?: string; env?: Record<string, string | undefined> }): CliResult {
  const env = cliEnv(opts);
  const r = spawnSync(process.execPath, ['--import', TSX, BIN, ...args], {
    cwd: opts.cwd,
    input: opts.input ?? '',
    encoding: 'utf8',
    env: env as NodeJS.ProcessEnv,
    timeout: HANG_GUARD_MS,
  });
  // Killed (the guard) or not started: say so, rather than leave a test to compare an empty output.
  const killed = r.status === null ? `\n[harden ${args.join(' ')} ${r.signal ? `was killed by ${r.signal} (the hang guard is ${HANG_GUARD_MS / 1000} s)` : `failed: ${r.error?.message}`}]` : '';
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + killed };
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the CLI's `main()` in this process with its output captured, for tests of what the CLI prints and returns that
 * need no process of their own: no standard input, no signals. A subprocess (`harden`) starts Node and compiles the
 * sources through tsx each time, seconds on a loaded machine; this costs the run alone. Calls are queued one at a time
 * (each sets the working directory, the environment and process.stdout/stderr, and puts them back).
 */
export function hardenInProcess(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const run = queue.then(() => runInProcess(args, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function runInProcess(args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const { main } = await import('../../src/cli.js');
  const env: Record<string, string | undefined> = { NO_COLOR: undefined, FORCE_COLOR: undefined, XDG_CACHE_HOME: resolve(opts.cwd, '.cache-test'), ...opts.env };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') (done as () => void)();
      return true;
    }) as typeof process.stdout.write;
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const cwd = process.cwd();
  setEnv(env);
  process.chdir(opts.cwd);
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  // Output goes to the captures, not to a terminal (whatever this process's streams are): no colour, no progress.
  const tty = [process.stdout.isTTY, process.stderr.isTTY];
  process.stdout.isTTY = false;
  process.stderr.isTTY = false;
  try {
    const code = await main(['node', 'harden', ...args]);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    [process.stdout.isTTY, process.stderr.isTTY] = tty as [boolean, boolean];
    process.chdir(cwd);
    setEnv(saved);
  }
}
