/**
 * The Compose v2 (`docker compose`) path of `harden verify`, NOT run against a real Compose v2: Debian 12 does not
 * package it and the test machine has no way to fetch it. A stand-in `docker` executable records every command line
 * verify's engine layer sends and answers as Docker 24 / Compose v2.24 do; the test compares the recorded lines with
 * the ones the Compose v2 CLI reference documents (config --quiet, pull --ignore-pull-failures --quiet, build,
 * up -d --no-build, down -v --remove-orphans --rmi local --timeout). Also the podman detection without a podman.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngine, NoEngineError, type Engine } from '../../src/verify/engine.js';
import { HOSTS_FILE, hostsText, runFile, Stack } from '../../src/verify/stack.js';
import { HealthRunner } from '../../src/verify/podman.js';

let dir: string;
let logFile: string;
let env: NodeJS.ProcessEnv;

const INSPECT = JSON.stringify([{
  Id: 'c1',
  Config: { Labels: { 'com.docker.compose.project': 'hvtest', 'com.docker.compose.service': 'cache' } },
  State: { Status: 'running', Running: true, ExitCode: 0, OOMKilled: false, StartedAt: '2020-01-01T00:00:00Z', Health: { Status: 'healthy', Log: [{ ExitCode: 0, Output: 'PONG' }] } },
  RestartCount: 0,
  HostConfig: { RestartPolicy: { Name: 'no' } },
}]);

// Answers like Docker 24.0.7 with Compose v2.24.0 for the commands verify sends; logs each command line.
const FAKE = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_LOG"
case "$*" in
  "version --format {{.Server.Version}}") echo 24.0.7 ;;
  "compose version") echo "Docker Compose version v2.24.0" ;;
  compose*" config") printf 'services:\\n  cache:\\n    image: redis:7.0\\n' ;;
  compose*) ;;
  "image inspect"*) echo sha256:1 ;;
  "run -d"*) echo podid ;;
  "inspect -f {{.State.Running}}"*) echo true ;;
  "ps -aq"*) if [ -e "$FAKE_DOWN" ]; then :; else echo c1; fi ;;
  "inspect c1") cat "$FAKE_INSPECT" ;;
  *) ;;
esac
case "$*" in compose*" down "*) : > "$FAKE_DOWN" ;; esac
exit 0
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'harden-compose-v2-'));
  logFile = join(dir, 'log');
  await writeFile(join(dir, 'docker'), FAKE);
  await chmod(join(dir, 'docker'), 0o755);
  await writeFile(join(dir, 'inspect.json'), INSPECT);
  env = { PATH: `${dir}:/usr/bin:/bin`, DOCKER_HOST: 'unix:///nonexistent/docker.sock', FAKE_LOG: logFile, FAKE_INSPECT: join(dir, 'inspect.json'), FAKE_DOWN: join(dir, 'down') };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verify with Compose v2 (recorded command lines from a stand-in docker; not run against a real Compose v2)', () => {
  it('detects `docker compose` v2 before docker-compose and sends the documented v2 command lines (no --compatibility)', async () => {
    const engine: Engine = await detectEngine({ env, cli: 'docker' });
    expect(engine.compose).toEqual(['docker', 'compose']);
    expect(engine.composeVersion).toBe('2.24.0');
    expect(engine.serverVersion).toBe('24.0.7');
    await writeFile(logFile, '');
    const stack = new Stack({ engine, dir, file: 'run.yaml', project: 'hvtest', stableSeconds: 1, timeoutSeconds: 30 });
    expect(await stack.validate()).toBeUndefined();
    expect(await stack.prepare('build.yaml')).toBeUndefined();
    const images = await stack.serviceImages('build.yaml');
    expect(images).toEqual({ cache: 'redis:7.0' });
    expect(await stack.exposedPorts(images)).toEqual({ cache: [] });
    expect(await stack.startPods({ pods: [['cache']], ports: { cache: [6379] }, moved: {} }, Object.values(images))).toBeUndefined();
    expect(await stack.up()).toBeUndefined();
    const states = await stack.wait(['cache'], { cache: { healthcheck: { test: ['CMD', 'redis-cli', 'ping'] } } });
    expect(states.map((s) => [s.service, s.status, s.ok])).toEqual([['cache', 'healthy', true]]);
    await stack.down();
    const lines = (await readFile(logFile, 'utf8')).trim().split('\n');
    expect(lines).toEqual([
      'compose -p hvtest -f run.yaml config -q',
      'compose -p hvtest -f build.yaml pull --ignore-pull-failures --quiet',
      'compose -p hvtest -f build.yaml build',
      'compose -p hvtest -f build.yaml config',
      'image inspect --format {{.Id}} redis:7.0',
      'image inspect --format {{json .Config.ExposedPorts}} redis:7.0',
      'run -d --name hvtest-pod --network none --label harden.verify=hvtest --add-host cache:127.0.0.1 --entrypoint sleep redis:7.0 infinity',
      'inspect -f {{.State.Running}} hvtest-pod',
      'compose -p hvtest -f run.yaml up -d --no-build',
      'ps -aq --filter label=com.docker.compose.project=hvtest',
      'inspect c1',
      'logs --tail 200 c1',
      'compose -p hvtest -f run.yaml down -v --remove-orphans --rmi local --timeout 5',
      'ps -aq --filter label=com.docker.compose.project=hvtest',
      'ps -aq --filter label=harden.verify=hvtest',
      'rm -f -v hvtest-pod',
      'volume ls -q --filter label=com.docker.compose.project=hvtest',
      'network ls -q --filter label=com.docker.compose.project=hvtest',
      'network ls -q --filter label=harden.verify=hvtest',
    ]);
    expect(lines.join('\n')).not.toContain('--compatibility');
  });
});

describe('podman detection and its driver pieces (no engine started)', () => {
  it('without podman: the no-engine error names DOCKER_HOST and podman', async () => {
    const e = await detectEngine({ env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent/docker.sock' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NoEngineError);
    expect((e as Error).message).toMatch(/DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock .*podman \(not installed\)/);
  });

  it('the run file mounts a hosts file naming every service when the engine does not share the pod\'s (podman)', () => {
    const rf = runFile('services:\n  db:\n    image: postgres:15\n    volumes: [data:/var/lib/postgresql/data]\n  agent:\n    image: x\n    network_mode: host\nvolumes:\n  data: {}\n', 'p-pod', { hostsFile: true });
    expect(rf.defs.db?.volumes).toEqual(['data:/var/lib/postgresql/data', `./${HOSTS_FILE}:/etc/hosts:ro`]);
    expect(rf.defs.agent?.volumes).toBeUndefined();
    expect(hostsText(rf.services)).toBe('127.0.0.1\tlocalhost db agent\n::1\tlocalhost\n');
    expect(runFile('services:\n  db:\n    image: postgres:15\n', 'p-pod').defs.db?.volumes).toBeUndefined();
  });

  it('runs each healthcheck one interval after the start, then at every interval, and none for containers without one', async () => {
    const calls: string[] = [];
    const fake = join(dir, 'podman-hc');
    await writeFile(fake, `#!/bin/sh\nprintf '%s\\n' "$*" >> "${join(dir, 'hc.log')}"\n`);
    await chmod(fake, 0o755);
    const runner = new HealthRunner({ cli: fake, compose: ['docker-compose'], composeVersion: '1.29.2', serverVersion: '4.3.1', where: 'podman', env: {}, runsHealthchecks: false });
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const c = (id: string, test?: string[]) => ({ Id: id, State: { Running: true, StartedAt: '2026-01-01T00:00:00Z' }, Config: { Healthcheck: test ? { Test: test, Interval: 2e9 } : undefined } });
    const all = [c('a', ['CMD', 'true']), c('b'), c('n', ['NONE'])];
    for (const ms of [0, 1000, 2000, 3000, 4100]) await runner.tick(all, t0 + ms);
    calls.push(...(await readFile(join(dir, 'hc.log'), 'utf8')).trim().split('\n'));
    expect(calls).toEqual(['healthcheck run a', 'healthcheck run a']);
    expect(runner.runs).toBe(2);
  });
});
