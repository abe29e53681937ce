/**
 * Registry credentials, read the way the Docker CLI reads them.
 *
 * Sources, first match wins:
 * 1. `HARDEN_REGISTRY_AUTH`: a JSON object keyed by registry host, e.g.
 *    `{"ghcr.io": {"username": "u", "password": "p"}, "docker.io": {"identitytoken": "…"}}`
 *    (for CI, where writing a Docker config is awkward; keys are normalised like config.json keys).
 * 2. `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`, or settings.dockerConfigDir):
 *    - `credHelpers[host]`: run `docker-credential-<helper> get` (takes precedence over everything in the file);
 *    - `credsStore`: the same with the default helper (a "not found" answer falls through to `auths`);
 *    - `auths[host]`: `auth` is base64 `user:password`, `identitytoken` is an OAuth2 refresh token.
 * A helper answering Username `<token>` hands out an identity token in `Secret`.
 * Docker Hub is looked up under all its historical keys (`https://index.docker.io/v1/`, `index.docker.io`, `docker.io`,
 * `registry-1.docker.io`); other keys are compared after stripping `http(s)://` and any path.
 *
 * Where credentials may go (enforced by the registry client, see `mayReceiveCredentials`): only to the host they belong to,
 * and to the Bearer token realm that host names, provided the realm is HTTPS or loopback. Redirects to another host never
 * carry them.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LookupFailure } from './errors.js';
import { DOCKER_HUB } from './reference.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token for the Bearer flow (Docker's `identitytoken`). */
  identityToken?: string;
  /** Where these came from, for messages (never the secret itself). */
  origin: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
const HELPER_TIMEOUT_MS = 15_000;

/** Normalise a config key ('https://index.docker.io/v1/', 'http://host:5000/') to a host, Hub aliases to 'docker.io'. */
export function normaliseCredentialKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return HUB_KEYS.includes(host) || host === 'index.docker.io' ? DOCKER_HUB : host;
}

/** The server URL a credential helper is asked about (Docker passes the Hub's legacy v1 URL). */
function helperServerUrl(host: string): string {
  return host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host;
}

export interface CredentialOptions {
  /** Directory holding config.json; defaults to $DOCKER_CONFIG or ~/.docker. */
  dockerConfigDir?: string;
  /** Environment to read HARDEN_REGISTRY_AUTH, DOCKER_CONFIG and PATH from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Looks up credentials per registry host; each host is resolved once per store (helpers run at most once). */
export class CredentialStore {
  private readonly env: NodeJS.ProcessEnv;
  private readonly configDir: string;
  private config: Promise<DockerConfigFile> | undefined;
  private readonly byHost = new Map<string, Promise<Credentials | undefined>>();

  constructor(opts: CredentialOptions = {}) {
    this.env = opts.env ?? process.env;
    this.configDir = opts.dockerConfigDir ?? this.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  }

  /** Credentials for a registry host ('docker.io', 'ghcr.io', '127.0.0.1:5000'), or undefined for anonymous access. */
  get(host: string): Promise<Credentials | undefined> {
    const key = normaliseCredentialKey(host);
    let p = this.byHost.get(key);
    if (!p) {
      p = this.lookup(key);
      this.byHost.set(key, p);
    }
    return p;
  }

  private async lookup(host: string): Promise<Credentials | undefined> {
    const fromEnv = this.fromEnv(host);
    if (fromEnv) return fromEnv;
    const config = await this.loadConfig();
    const helper = findByHost(config.credHelpers ?? {}, host);
    if (helper) return runHelper(helper, host, this.env);
    if (config.credsStore) {
      const c = await runHelper(config.credsStore, host, this.env);
      if (c) return c;
    }
    const entry = findByHost(config.auths ?? {}, host);
    return entry ? fromAuthEntry(entry, `${this.configDir}/config.json`) : undefined;
  }

  private fromEnv(host: string): Credentials | undefined {
    const raw = this.env.HARDEN_REGISTRY_AUTH;
    if (!raw) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new LookupFailure('credentials', 'HARDEN_REGISTRY_AUTH is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object') return undefined;
    const entry = findByHost(parsed as Record<string, Record<string, unknown>>, host);
    if (!entry) return undefined;
    const c: Credentials = { origin: 'HARDEN_REGISTRY_AUTH' };
    if (typeof entry.username === 'string') c.username = entry.username;
    if (typeof entry.password === 'string') c.password = entry.password;
    if (typeof entry.identitytoken === 'string') c.identityToken = entry.identitytoken;
    return c;
  }

  private loadConfig(): Promise<DockerConfigFile> {
    this.config ??= readConfig(join(this.configDir, 'config.json'));
    return this.config;
  }
}

async function readConfig(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as DockerConfigFile) : {};
  } catch {
    throw new LookupFailure('credentials', `${path} is not valid JSON`);
  }
}

function findByHost<T>(map: Record<string, T>, host: string): T | undefined {
  for (const [k, v] of Object.entries(map)) if (normaliseCredentialKey(k) === host) return v;
  return undefined;
}

function fromAuthEntry(
  entry: NonNullable<DockerConfigFile['auths']>[string],
  origin: string,
): Credentials | undefined {
  const c: Credentials = { origin };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) throw new LookupFailure('credentials', `an "auth" entry in ${origin} is not base64 user:password`);
    c.username = decoded.slice(0, i);
    c.password = decoded.slice(i + 1);
  } else {
    if (entry.username) c.username = entry.username;
    if (entry.password) c.password = entry.password;
  }
  if (entry.identitytoken) c.identityToken = entry.identitytoken;
  return c.username !== undefined || c.identityToken !== undefined ? c : undefined;
}

/** Run `docker-credential-<name> get`. Returns undefined when the helper has no credentials for the host. */
function runHelper(name: string, host: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { env, timeout: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') {
          reject(new LookupFailure('credentials', `credential helper ${program} (for ${host}) not found on PATH`));
        } else if (/not found/i.test(`${stdout}${stderr}`)) {
          resolve(undefined);
        } else {
          const why = e.killed ? 'timed out' : `exited with ${String(e.code ?? 'an error')}`;
          reject(new LookupFailure('credentials', `credential helper ${program} ${why} for ${host}`));
        }
        return;
      }
      try {
        resolve(parseHelperOutput(stdout, program, host));
      } catch (parseError) {
        reject(parseError as Error);
      }
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(helperServerUrl(host));
  });
}

function parseHelperOutput(stdout: string, program: string, host: string): Credentials | undefined {
  let out: { Username?: unknown; Secret?: unknown };
  try {
    out = JSON.parse(stdout) as typeof out;
  } catch {
    throw new LookupFailure('credentials', `credential helper ${program} printed invalid JSON for ${host}`);
  }
  if (typeof out.Secret !== 'string' || out.Secret === '') return undefined;
  const origin = `credential helper ${program}`;
  if (out.Username === '<token>') return { identityToken: out.Secret, origin };
  return { username: typeof out.Username === 'string' ? out.Username : '', password: out.Secret, origin };
}
