/**
 * add-download-checksum end to end through the public API (`fix()`), nothing stubbed: a loopback HTTP server serves
 * a real file (a trimmed Debian Packages.gz from test/fixtures-data) and an installer script; the url-sha256 resolver
 * downloads and hashes them. The rewritten `curl | sh` RUN line is then executed with the machine's real sh, curl and
 * sha256sum: it runs the script when the content matches, and refuses to when the server starts sending other bytes.
 * The same for `sh -c "$(curl …)"` and, when python3 is installed, `curl … | python3 -` and `python3 -c "$(curl …)" args`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { startStaticServer, type StaticServer } from '../resolvers/indexes/static-server.js';

const DATA = join(dirname(fileURLToPath(import.meta.url)), '../fixtures-data');
const PACKAGES = 'debian/debian/dists/bookworm/main/binary-amd64/Packages.gz';
const run$ = promisify(execFile);

let srv: StaticServer;
let tmp: string;
let served: string;
/** Unique, so the rewritten command's /tmp/<name> never collides with another run. */
const SCRIPT = `harden-e2e-${randomBytes(4).toString('hex')}.sh`;
const SCRIPT_TEXT = '#!/bin/sh\necho "installed with $# args: $*"\n';
const PY_SCRIPT = `harden-e2e-${randomBytes(4).toString('hex')}.py`;
const PY_TEXT = 'import sys\nprint("installed by python with", len(sys.argv) - 1, "args")\n';
/** Prints the arguments it gets, to compare `python3 -c PROG args` with `python3 FILE args`. */
const PY_ARGS_SCRIPT = `harden-e2e-${randomBytes(4).toString('hex')}.py`;
const PY_ARGS_TEXT = 'import sys\nprint("python args:", sys.argv[1:])\n';
const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'harden-checksum-e2e-'));
  served = join(tmp, 'www');
  await mkdir(join(served, 'dl'), { recursive: true });
  await writeFile(join(served, 'dl', 'Packages.gz'), await readFile(join(DATA, PACKAGES)));
  await writeFile(join(served, 'dl', SCRIPT), SCRIPT_TEXT);
  await writeFile(join(served, 'dl', PY_SCRIPT), PY_TEXT);
  await writeFile(join(served, 'dl', PY_ARGS_SCRIPT), PY_ARGS_TEXT);
  srv = await startStaticServer(served);
});

afterAll(async () => {
  await srv?.close();
  await rm(tmp, { recursive: true, force: true });
  await rm(join('/tmp', SCRIPT), { force: true });
  await rm(join('/tmp', PY_SCRIPT), { force: true });
  await rm(join('/tmp', PY_ARGS_SCRIPT), { force: true });
});

/** The server sends `evil` instead of `good` under `name`: the rewritten line must fail without running it. */
async function expectRefusedWhenServed(script: string, name: string, evil: string, good: string): Promise<void> {
  await writeFile(join(served, 'dl', name), evil);
  try {
    const bad = await run$('sh', ['-c', script]).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).not.toContain('pwned');
  } finally {
    await writeFile(join(served, 'dl', name), good);
  }
}

async function harden(name: string, dockerfile: string) {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  const r = await fix({ cwd: dir, paths: [dir], only: ['add-download-checksum'], unsafe: true, resolver: { cacheDir: join(tmp, `cache-${name}`), retries: 0 } });
  const file = r.files[0];
  if (!file) throw new Error('no file result');
  return file;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('add-download-checksum against a loopback server serving real files', () => {
  it('ADD gets the SHA-256 of the served bytes and a # syntax directive below none of the existing directives', async () => {
    const bytes = await readFile(join(DATA, PACKAGES));
    const url = `${srv.url}/dl/Packages.gz`;
    const file = await harden('add', `# escape=\`\nFROM debian:bookworm-slim\nADD ${url} /var/cache/Packages.gz\nADD ${url} /again/\n`);
    expect(file.error).toBeUndefined();
    expect(file.after).toBe(
      `# syntax=docker/dockerfile:1\n# escape=\`\nFROM debian:bookworm-slim\nADD --checksum=sha256:${sha256(bytes)} ${url} /var/cache/Packages.gz\nADD --checksum=sha256:${sha256(bytes)} ${url} /again/\n`,
    );
    // Downloaded once for both ADDs.
    expect(srv.count((p) => p === '/dl/Packages.gz')).toBe(1);
  });

  it('curl | sh becomes download, sha256sum -c, run: the real shell runs it, and refuses changed content', async () => {
    const url = `${srv.url}/dl/${SCRIPT}`;
    const file = await harden('pipe', `FROM debian:bookworm-slim\nRUN curl -fsSL ${url} | sh -s -- --yes now\n`);
    expect(file.error).toBeUndefined();
    const runLine = file.after.split('\n')[1] as string;
    expect(runLine).toBe(`RUN curl -fsSL ${url} -o /tmp/${SCRIPT} && echo "${sha256(SCRIPT_TEXT)}  /tmp/${SCRIPT}" | sha256sum -c - && sh /tmp/${SCRIPT} --yes now`);
    const script = runLine.slice('RUN '.length);
    const ok = await run$('sh', ['-c', script]);
    expect(ok.stdout).toBe(`/tmp/${SCRIPT}: OK\ninstalled with 2 args: --yes now\n`);

    // The server now sends something else: the check fails and the script does not run.
    await expectRefusedWhenServed(script, SCRIPT, '#!/bin/sh\necho pwned\n', SCRIPT_TEXT);
  });

  it('sh -c "$(curl …)" "" args becomes download, sha256sum -c, run with the same arguments', async () => {
    const url = `${srv.url}/dl/${SCRIPT}`;
    const file = await harden('subst', `FROM debian:bookworm-slim\nRUN sh -c "$(curl -fsSL ${url})" "" --yes now\n`);
    expect(file.error).toBeUndefined();
    const runLine = file.after.split('\n')[1] as string;
    expect(runLine).toBe(`RUN curl -fsSL ${url} -o /tmp/${SCRIPT} && echo "${sha256(SCRIPT_TEXT)}  /tmp/${SCRIPT}" | sha256sum -c - && sh /tmp/${SCRIPT} --yes now`);
    const script = runLine.slice('RUN '.length);
    // What the original line ran, and what the rewrite runs: the same script with the same arguments.
    const before = await run$('sh', ['-c', `sh -c "$(curl -fsSL ${url})" "" --yes now`]);
    const ok = await run$('sh', ['-c', script]);
    expect(ok.stdout).toBe(`/tmp/${SCRIPT}: OK\n${before.stdout}`);
    expect(before.stdout).toBe('installed with 2 args: --yes now\n');

    await expectRefusedWhenServed(script, SCRIPT, '#!/bin/sh\necho pwned\n', SCRIPT_TEXT);
  });

  it.skipIf(!hasPython)('curl | python3 - becomes download, sha256sum -c, python3 <file>: real python3 runs it', async () => {
    const url = `${srv.url}/dl/${PY_SCRIPT}`;
    const file = await harden('python', `FROM python:3.12-slim\nRUN curl -fsSL ${url} | python3 -\n`);
    expect(file.error).toBeUndefined();
    const runLine = file.after.split('\n')[1] as string;
    expect(runLine).toBe(`RUN curl -fsSL ${url} -o /tmp/${PY_SCRIPT} && echo "${sha256(PY_TEXT)}  /tmp/${PY_SCRIPT}" | sha256sum -c - && python3 /tmp/${PY_SCRIPT}`);
    const ok = await run$('sh', ['-c', runLine.slice('RUN '.length)]);
    expect(ok.stdout).toBe(`/tmp/${PY_SCRIPT}: OK\ninstalled by python with 0 args\n`);
  });

  it.skipIf(!hasPython)(
    `python3 -c "$(curl …)" args becomes download, sha256sum -c, python3 <file> args: real python3 gets the same arguments${hasPython ? '' : ' (skipped: no python3 on this machine)'}`,
    async () => {
      const url = `${srv.url}/dl/${PY_ARGS_SCRIPT}`;
      const original = `python3 -c "$(curl -fsSL ${url})" --yes -- now`;
      const file = await harden('python-c', `FROM python:3.12-slim\nRUN ${original}\n`);
      expect(file.error).toBeUndefined();
      const runLine = file.after.split('\n')[1] as string;
      expect(runLine).toBe(
        `RUN curl -fsSL ${url} -o /tmp/${PY_ARGS_SCRIPT} && echo "${sha256(PY_ARGS_TEXT)}  /tmp/${PY_ARGS_SCRIPT}" | sha256sum -c - && python3 /tmp/${PY_ARGS_SCRIPT} --yes -- now`,
      );
      const script = runLine.slice('RUN '.length);
      const before = await run$('sh', ['-c', original]);
      expect(before.stdout).toBe("python args: ['--yes', '--', 'now']\n");
      const ok = await run$('sh', ['-c', script]);
      expect(ok.stdout).toBe(`/tmp/${PY_ARGS_SCRIPT}: OK\n${before.stdout}`);

      // Other bytes from the server: the check fails and python3 does not run them.
      await expectRefusedWhenServed(script, PY_ARGS_SCRIPT, 'print("pwned")\n', PY_ARGS_TEXT);
    },
  );

  it('a URL the server does not have: a finding, nothing changed', async () => {
    const file = await harden('missing', `FROM debian:bookworm-slim\nADD ${srv.url}/dl/missing.tar.gz /x/\n`);
    expect(file.changed).toBe(false);
    expect(file.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^ADD http:\/\/127\.0\.0\.1:\d+\/dl\/missing\.tar\.gz: checksum not added: the URL answers not found/)]);
  });
});
