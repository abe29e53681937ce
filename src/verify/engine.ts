/**
 * Finding the container engine the user has, the way their own `docker`/`docker compose` would: `DOCKER_HOST` (or the
 * default socket) with the docker CLI and Compose v2 (`docker compose`) or v1 (`docker-compose`); podman when no
 * Docker engine answers, through its Docker-compatible API driven by the same Compose (see podman.ts for why not
 * podman-compose).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { podmanEngine } from './podman.js';

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Child processes still running (killed by killChildren() when verify is interrupted). */
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** Run a command without a shell; never rejects (spawn errors become code null with the message on stderr). */
export function exec(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: (e as Error).message });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    children.add(child);
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

export interface Engine {
  /** 'docker' or 'podman' (the CLI run for containers). */
  cli: string;
  /** The compose command: ['docker', 'compose'], ['docker-compose'] or ['podman-compose']. */
  compose: readonly string[];
  /** Compose version, e.g. '1.29.2' or '2.24.0'. */
  composeVersion: string;
  /** Server version. */
  serverVersion: string;
  /** How it was found, for the report: "DOCKER_HOST=unix:///…", "/var/run/docker.sock". */
  where: string;
  env: NodeJS.ProcessEnv;
  /** False when the engine does not run healthchecks itself (podman without systemd): verify runs them. */
  runsHealthchecks?: boolean;
  /**
   * False when a container joining another's network namespace does not share its /etc/hosts (podman): the run file
   * then mounts a hosts file naming the services.
   */
  sharedHosts?: boolean;
  /** Stops what detection started (podman's API service); verify calls it when done. */
  close?: () => Promise<void>;
}

export class NoEngineError extends Error {}

const VERSION = /(\d+\.\d+\.\d+)/;

async function composeFor(cli: string, env: NodeJS.ProcessEnv): Promise<{ compose: string[]; version: string } | undefined> {
  const candidates: string[][] = [[cli, 'compose'], ['docker-compose']];
  for (const c of candidates) {
    const [cmd, ...rest] = c as [string, ...string[]];
    const r = await exec(cmd, [...rest, 'version'], { env, timeoutMs: 20_000 });
    const m = VERSION.exec(r.stdout);
    if (r.code === 0 && m?.[1]) return { compose: c, version: m[1] };
  }
  return undefined;
}

/**
 * The engine to use, or a NoEngineError naming everything that was tried. `cli` forces docker or podman.
 */
export async function detectEngine(opts: { env?: NodeJS.ProcessEnv; cli?: 'docker' | 'podman' } = {}): Promise<Engine> {
  const env = opts.env ?? process.env;
  const tried: string[] = [];
  if (opts.cli !== 'podman') {
    const where = env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : existsSync('/var/run/docker.sock') ? '/var/run/docker.sock' : undefined;
    if (!env.DOCKER_HOST) tried.push('DOCKER_HOST (not set)');
    if (!env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) tried.push('/var/run/docker.sock (no such socket)');
    if (where) {
      const v = await exec('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 20_000 });
      if (v.code === 0 && v.stdout.trim()) {
        const c = await composeFor('docker', env);
        if (c) return { cli: 'docker', compose: c.compose, composeVersion: c.version, serverVersion: v.stdout.trim(), where, env };
        tried.push(`${where}: the engine answers, but neither \`docker compose\` nor \`docker-compose\` is installed`);
      } else {
        const why = v.code === null ? 'the docker CLI is not installed' : (v.stderr.trim().split('\n').pop() ?? `exit ${v.code}`);
        tried.push(`${where} (${why})`);
      }
    }
  }
  if (opts.cli !== 'docker') {
    const p = await podmanEngine(env, tried);
    if (p) return p;
  }
  throw new NoEngineError(`no container engine reachable; looked for ${tried.join(', ')}`);
}

/** Compose v1 (docker-compose 1.x) needs --compatibility to apply deploy.resources. */
export function composeGlobalArgs(engine: Engine): string[] {
  return engine.compose.length === 1 && engine.compose[0] === 'docker-compose' && /^1\./.test(engine.composeVersion) ? ['--compatibility'] : [];
}
