/**
 * A real npm registry for tests: verdaccio (devDependency) started on 127.0.0.1 with uplinks disabled (`uplinks: {}`
 * and no `proxy:` on any package), storage in a temporary directory, anonymous publish allowed. Packages are
 * published over its HTTP API exactly as `npm publish` does (PUT /<name> with the manifest and the base64 tarball),
 * with real package tarballs, so `npm install` can install them.
 *
 * verdaccio 5.x because 6.x requires Node 22; the package.json `overrides` entry pins verdaccio-audit's
 * `node-fetch@cjs` dependency to 2.7.0 because this machine's npm registry has no `cjs` dist-tag for node-fetch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tarGz } from './registry-tar.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../node_modules/verdaccio/bin/verdaccio');

export interface Verdaccio {
  url: string;
  /** Publish `name@version` (a real tarball holding package/package.json) and tag it (default `latest`). */
  publish(name: string, version: string, opts?: { tag?: string; deprecated?: string }): Promise<void>;
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPing(url: string, child: ChildProcess, logs: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`verdaccio exited with ${exited}:\n${logs.join('')}`);
    try {
      const r = await fetch(`${url}/-/ping`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not start:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startVerdaccio(): Promise<Verdaccio> {
  const dir = await mkdtemp(join(tmpdir(), 'harden-verdaccio-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: -1',
      '# No uplinks: nothing is ever fetched from another registry.',
      'uplinks: {}',
      'packages:',
      "  '@*/*':",
      '    access: $all',
      '    publish: $all',
      "  '**':",
      '    access: $all',
      '    publish: $all',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const child = spawn(process.execPath, [BIN, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  try {
    await waitForPing(url, child, logs);
  } catch (e) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    url,
    log: () => logs.join(''),
    async publish(name, version, opts = {}) {
      const tgz = tarGz({ 'package/': { dir: true }, 'package/package.json': `${JSON.stringify({ name, version, description: 'harden test package' })}\n` });
      const file = `${name.split('/').pop() as string}-${version}.tgz`;
      const manifest: Record<string, unknown> = {
        name,
        version,
        description: 'harden test package',
        dist: {
          tarball: `${url}/${name}/-/${file}`,
          shasum: createHash('sha1').update(tgz).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
        },
      };
      if (opts.deprecated) manifest.deprecated = opts.deprecated;
      const tag = opts.tag ?? 'latest';
      const body = {
        _id: name,
        name,
        'dist-tags': { [tag]: version },
        versions: { [version]: manifest },
        _attachments: { [file]: { content_type: 'application/octet-stream', data: tgz.toString('base64'), length: tgz.length } },
      };
      const res = await fetch(`${url}/${name.replace('/', '%2f')}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 201) throw new Error(`publish ${name}@${version}: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill();
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
