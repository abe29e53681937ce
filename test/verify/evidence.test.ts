/**
 * The parts of `harden verify` that need no engine: reading evidence lines, probes and their ports, the run file
 * (loopback pod), required variables, the Compose target, and the knowledge a run leaves for `harden fix`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { mergeServiceKnowledge, parseKnowledge, KnowledgeError } from '../../src/compose/knowledge.js';
import { composeAtLeast } from '../../src/compose/target.js';
import { commandPort, factsOf, learn, pathsIn, portClash, probeOnPort, probePort } from '../../src/verify/evidence.js';
import { declaredPorts, podName, podPlan, runFile, seconds, subnetHost, type ServiceState } from '../../src/verify/stack.js';
import { missingRequired } from '../../src/verify/verify.js';
import { verifyText } from '../../src/verify/report.js';

const state = (over: Partial<ServiceState>): ServiceState => ({ service: 's', status: 'exited', ok: false, health: [], logs: [], ...over });

describe('evidence', () => {
  it('finds the paths a line names', () => {
    expect(pathsIn("touch: cannot touch '/app/cache/x': Read-only file system")).toEqual(['/app/cache/x']);
    expect(pathsIn('OSError: [Errno 30] Read-only file system: \'/var/cache/writer/state\'')).toEqual(['/var/cache/writer/state']);
    expect(pathsIn('mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)')).toEqual(['/var/cache/nginx/client_temp']);
  });

  it('knows the port of a probe and rewrites it', () => {
    expect(probePort(['CMD', 'redis-cli', 'ping'])).toBe(6379);
    expect(probePort(['CMD', 'redis-cli', '-p', '6380', 'ping'])).toBe(6380);
    expect(probePort(['CMD-SHELL', 'curl -s -o /dev/null http://127.0.0.1:80/ || exit 1'])).toBe(80);
    expect(probePort(['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U "$${POSTGRES_USER:-postgres}"'])).toBe(5432);
    expect(probeOnPort(['CMD', 'redis-cli', 'ping'], 6379, 6380)).toEqual(['CMD', 'redis-cli', '-p', '6380', 'ping']);
    expect(probeOnPort(['CMD-SHELL', 'curl -s -o /dev/null http://127.0.0.1:80/ || exit 1'], 80, 8081)).toEqual(['CMD-SHELL', 'curl -s -o /dev/null http://127.0.0.1:8081/ || exit 1']);
    expect(probeOnPort(['CMD-SHELL', 'pg_isready -h 127.0.0.1'], 5432, 5433)).toEqual(['CMD-SHELL', 'pg_isready -p 5433 -h 127.0.0.1']);
    expect(probeOnPort(['CMD', 'mariadb-admin', 'ping', '-h', '127.0.0.1', '--silent'], 3306, 3307)).toEqual(['CMD', 'mariadb-admin', '-P', '3307', 'ping', '-h', '127.0.0.1', '--silent']);
  });

  it('reads the port a command asks for', () => {
    expect(commandPort(['redis-server', '--port', '6380'])).toBe(6380);
    expect(commandPort(['app', '--port=9000'])).toBe(9000);
    expect(commandPort(['redis-server', '/etc/redis.conf'])).toBeUndefined();
  });

  const facts = factsOf({ read_only: true, tmpfs: ['/tmp'], cap_drop: ['ALL'], cap_add: ['CHOWN'], healthcheck: { test: ['CMD', 'redis-cli', 'ping'] }, command: 'redis-server --port 6380' }, {});
  const input = (st: ServiceState, files: 'missing' | 'empty' | 'files' = 'empty') => ({
    state: st, facts, baselineLogs: ['a line the baseline logs too: Operation not permitted'],
    pathHasFiles: async (p: string) => (p === '/var/cache/app' ? 'empty' : p === '/srv' ? 'files' : files),
    listening: async () => [6380],
  });

  it('a write to the read-only root becomes a tmpfs at the directory, unless the directory holds the image\'s files', async () => {
    expect(await learn(input(state({ logs: ["OSError: [Errno 30] Read-only file system: '/var/cache/app/state'"] }), 'missing'))).toEqual([
      { change: { kind: 'writable', path: '/var/cache/app' }, evidence: "OSError: [Errno 30] Read-only file system: '/var/cache/app/state'" },
    ]);
    const l = await learn(input(state({ logs: ["OSError: [Errno 30] Read-only file system: '/srv/app.pid'"] }), 'missing'));
    expect(l[0]?.change).toMatchObject({ kind: 'backOff', codemod: 'compose-read-only' });
    const sys = await learn(input(state({ logs: ["touch: cannot touch '/etc/x': Read-only file system"] }), 'missing'));
    expect(sys[0]?.change).toMatchObject({ kind: 'backOff', codemod: 'compose-read-only' });
  });

  it('an operation the entrypoint is not permitted becomes the capability; lines the baseline logs too are not evidence', async () => {
    expect((await learn(input(state({ logs: ["chmod: changing permissions of '/data/own': Operation not permitted"] })))).map((l) => l.change)).toEqual([{ kind: 'capAdd', cap: 'FOWNER' }]);
    expect((await learn(input(state({ logs: ['error: failed switching to "redis": operation not permitted'] })))).map((l) => l.change)).toEqual([
      { kind: 'capAdd', cap: 'SETGID' }, { kind: 'capAdd', cap: 'SETUID' },
    ]);
    expect((await learn(input(state({ logs: ['nginx: [emerg] bind() to 0.0.0.0:80 failed (13: Permission denied)'] })))).map((l) => l.change)).toEqual([{ kind: 'capAdd', cap: 'NET_BIND_SERVICE' }]);
    expect(await learn(input(state({ logs: ['a line the baseline logs too: Operation not permitted'] })))).toEqual([]);
  });

  it('a secret its user cannot read backs off compose-secrets; an OOM kill backs off the limits', async () => {
    const l = await learn(input(state({ logs: ['/usr/local/bin/docker-entrypoint.sh: line 14: /run/secrets/db_password: Permission denied'] })));
    expect(l[0]?.change).toMatchObject({ kind: 'backOff', codemod: 'compose-secrets' });
    expect((await learn(input(state({ oomKilled: true, exitCode: 137 }))))[0]?.change).toMatchObject({ kind: 'backOff', codemod: 'compose-resource-limits' });
  });

  it('a probe harden added that fails while the service listens elsewhere gets the port it listens on', async () => {
    const l = await learn(input(state({ status: 'unhealthy', health: ['exit 1: Could not connect to Redis at 127.0.0.1:6379: Connection refused'] })));
    expect(l.map((x) => x.change)).toEqual([{ kind: 'healthcheck', test: ['CMD', 'redis-cli', '-p', '6380', 'ping'] }]);
  });
});

describe('the run file', () => {
  it('puts every service in the loopback pod, drops what cannot go with it, keeps host networking, builds with the host network', () => {
    const rf = runFile(
      'name: mine\nservices:\n  web:\n    image: nginx\n    container_name: mine-web\n    ports: ["80:80"]\n    networks: [front]\n  app:\n    build: ./app\n  h:\n    image: redis\n    network_mode: host\nnetworks:\n  front: {}\n',
      'hvX-pod',
    );
    const doc = parse(rf.text) as { name?: string; networks?: unknown; services: Record<string, Record<string, unknown>> };
    expect(doc.name).toBeUndefined();
    expect(doc.networks).toBeUndefined();
    expect(doc.services.web).toEqual({ image: 'nginx', network_mode: 'container:hvX-pod' });
    expect(doc.services.app).toEqual({ build: { context: './app', network: 'host' }, network_mode: 'container:hvX-pod' });
    expect(doc.services.h?.network_mode).toBe('host');
    expect(rf.notes.web).toContain('ports not published (the verify pod is loopback-only)');
    expect(rf.notes.h?.[0]).toMatch(/network_mode: host kept/);
    const build = parse(rf.buildText) as { services: Record<string, Record<string, unknown>> };
    expect(build.services.web?.network_mode).toBeUndefined();
  });

  it('reads the ports a service listens on from the file: ports (container side), expose, PORT, --port', () => {
    expect(declaredPorts({ ports: ['3000:3000', '127.0.0.1:8080:80/tcp', '53:53/udp', 9090, { target: 443, published: 8443 }, '${P:-7000}:7001'] })).toEqual({ ports: [80, 443, 3000, 7001, 9090], explicit: false });
    expect(declaredPorts({ expose: ['5000-5002'], environment: { PORT: '3001' } })).toEqual({ ports: [3001, 5000, 5001, 5002], explicit: true });
    expect(declaredPorts({ environment: ['NODE_ENV=production', 'PORT=4000'] })).toEqual({ ports: [4000], explicit: true });
    expect(declaredPorts({ command: ['redis-server', '--port', '6380'] })).toEqual({ ports: [6380], explicit: true });
    expect(declaredPorts({ image: 'redis' })).toEqual({ ports: [], explicit: false });
  });

  it('gives services that listen on the same port pods of their own; the others share the first', () => {
    const rf = runFile(
      'services:\n  app:\n    build: ./app\n    ports: ["3000:3000"]\n  db:\n    image: mongo:7.0.3\n  grafana:\n    image: grafana/grafana:10.2.2\n  other:\n    image: grafana/grafana:10.2.2\n    environment:\n      GF_SERVER_HTTP_PORT: "3100"\n      PORT: "3100"\n  h:\n    image: nginx\n    network_mode: host\n',
      'hvX-pod',
    );
    // The image's EXPOSE as the engine reports it; mongo's and grafana's default ports come from the knowledge base too.
    const plan = podPlan(rf, { grafana: [3000], db: [] });
    expect(plan.pods).toEqual([['app', 'db', 'other'], ['grafana']]);
    expect(plan.ports.db).toEqual([27017]);
    // PORT names the port: the image's default (3000) is not assumed.
    expect(plan.ports.other).toEqual([3100]);
    expect(plan.moved).toEqual({ grafana: { port: 3000, with: 'app' } });
    expect(podPlan(runFile('services:\n  a:\n    image: redis\n  b:\n    image: postgres\n', 'p'), {}).pods).toEqual([['a', 'b']]);
    const split = runFile('services:\n  a:\n    image: redis\n  b:\n    image: redis\n', (s) => (s === 'b' ? 'p-pod2' : 'p-pod'));
    expect((parse(split.text) as { services: Record<string, { network_mode?: string }> }).services.b?.network_mode).toBe('container:p-pod2');
    expect((parse(split.buildText) as { services: Record<string, { network_mode?: string }> }).services.b?.network_mode).toBeUndefined();
    expect(podName('hv1b', 0)).toBe('hv1b-pod');
    expect(podName('hv1b', 1)).toBe('hv1b-pod2');
    expect(subnetHost('172.18.0.0/16', 2)).toBe('172.18.0.2');
    expect(subnetHost('10.0.5.128/25', 3)).toBe('10.0.5.131');
    expect(subnetHost('fd00::/64', 2)).toBeUndefined();
  });

  it('reads a port another process holds from the line a server logs (Address already in use, EADDRINUSE), not from a time of day', () => {
    const port = (lines: string[]) => portClash(lines)?.port;
    expect(port(['2026/12/03 06:12:01 [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)'])).toBe(80);
    expect(port(['nginx: [emerg] bind() to [::]:8080 failed (98: Address already in use)'])).toBe(8080);
    expect(port(['Error: listen EADDRINUSE: address already in use :::3000'])).toBe(3000);
    expect(port(['1:M 03 Dec 2026 06:12:01.123 # Warning: Could not create server TCP listening socket *:6379: bind: Address already in use'])).toBe(6379);
    expect(port(['2026/12/03 06:12:01 listen tcp :9090: bind: address already in use'])).toBe(9090);
    // postgres names the port in the hint after the line.
    expect(port(['LOG:  could not bind IPv4 address "0.0.0.0": Address already in use', 'HINT:  Is another postmaster already running on port 5432? If not, wait a few seconds and retry.'])).toBe(5432);
    // Python's http.server names none.
    expect(portClash(['Traceback (most recent call last):', 'OSError: [Errno 98] Address already in use'])).toEqual({ line: 'OSError: [Errno 98] Address already in use' });
    expect(portClash(['listening on 0.0.0.0:80'])).toBeUndefined();
  });

  it('a service that could not bind a port in a shared pod gets a pod of its own, which nobody joins', () => {
    const rf = runFile('services:\n  a:\n    build: ./a\n  b:\n    build: ./b\n  c:\n    image: redis\n  d:\n    image: postgres\n', 'p');
    expect(podPlan(rf, {}).pods).toEqual([['a', 'b', 'c', 'd']]);
    const plan = podPlan(rf, {}, new Set(['b']));
    expect(plan.pods).toEqual([['a', 'c', 'd'], ['b']]);
    expect(plan.moved).toEqual({});
    // Alone first: the first pod still exists for the others.
    expect(podPlan(rf, {}, new Set(['a'])).pods).toEqual([['b', 'c', 'd'], ['a']]);
  });

  it('the text report names a port clash verify could not get around (network_mode: host) instead of an unhealthy verdict', () => {
    const text = verifyText({
      engine: { cli: 'docker', compose: 'docker-compose', composeVersion: '1.29.2', serverVersion: '20.10.24', where: 'DOCKER_HOST=unix:///x' },
      knowledge: {},
      projects: [{
        file: 'compose.yaml', absPath: '/x/compose.yaml', rounds: 1, exercised: [], notes: [], knowledge: {},
        services: [{
          service: 'web', baseline: 'exited', hardened: 'exited', final: 'exited', ok: false, adjusted: [], backedOff: [],
          portClash: 'bind() to 0.0.0.0:80 failed (98: Address already in use)',
          notes: ['port clash in the baseline, not a hardening failure: it runs with network_mode: host, so it needs port 80 free on this machine, and something here holds it (bind() to 0.0.0.0:80 failed (98: Address already in use))'],
        }],
      }],
    });
    expect(text).toMatch(/web +exited +exited +exited +port clash \(address already in use\)\n/);
    expect(text).toMatch(/note: port clash in the baseline, not a hardening failure: it runs with network_mode: host/);
  });

  it('reads compose durations', () => {
    expect(seconds('1m30s')).toBe(90);
    expect(seconds('10s')).toBe(10);
    expect(seconds('500ms')).toBe(0.5);
    expect(seconds('x')).toBeUndefined();
  });

  it('names the variables a stack requires that nothing sets', () => {
    expect(missingRequired('a: ${A:?set A}\nb: ${B?}\nc: ${C:-x}\nd: ${D:?}', { B: '', D: 'x' })).toEqual(['A']);
  });
});

describe('the Compose target and the knowledge file', () => {
  it('compares versions; no target means the current specification', () => {
    expect(composeAtLeast({}, '2.23')).toBe(true);
    expect(composeAtLeast({ composeVersion: '1.29.2' }, '2.23')).toBe(false);
    expect(composeAtLeast({ composeVersion: '2.23.0' }, '2.23')).toBe(true);
    expect(composeAtLeast({ composeVersion: '2.3' }, '2.23')).toBe(false);
  });

  it('validates the knowledge file', () => {
    expect(parseKnowledge({ version: 1, 'compose.yaml': { web: { capAdd: ['cap_fowner'], writable: ['/x'] } } }, 'k')).toEqual({ 'compose.yaml': { web: { capAdd: ['FOWNER'], writable: ['/x'] } } });
    expect(() => parseKnowledge({ 'compose.yaml': { web: { writable: '/x' } } }, 'k')).toThrow(KnowledgeError);
  });

  it('harden fix applies .harden/knowledge.yaml: tmpfs paths, capabilities, the probe, and back-offs for that service only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'harden-knowledge-'));
    try {
      await writeFile(join(dir, 'compose.yaml'), 'services:\n  cache:\n    image: redis:7.0\n    command: ["redis-server", "--port", "6380"]\n  other:\n    image: redis:7.0\n  app:\n    image: nginx:1.22\n');
      await mkdir(join(dir, '.harden'));
      await writeFile(join(dir, '.harden', 'knowledge.yaml'), [
        'version: 1', 'compose.yaml:', '  cache:', '    capAdd: [FOWNER]', '    healthcheck: [CMD, redis-cli, -p, "6380", ping]', '  app:', '    writable: [/var/cache/app]',
        '  other:', '    backOff:', '    ', '      compose-read-only: "writes to /srv, which holds the image\'s own files"', '',
      ].join('\n'));
      const r = await fix({ paths: [dir], cwd: dir, unsafe: true, only: ['compose-read-only', 'compose-drop-capabilities', 'compose-healthcheck'], resolver: { offline: true } });
      const after = r.files.find((f) => f.path.endsWith('compose.yaml'))?.after ?? '';
      const doc = parse(after) as { services: Record<string, Record<string, unknown>> };
      expect(doc.services.cache?.cap_add).toEqual(expect.arrayContaining(['CHOWN', 'FOWNER', 'SETGID', 'SETUID']));
      expect((doc.services.cache?.healthcheck as { test: unknown }).test).toEqual(['CMD', 'redis-cli', '-p', '6380', 'ping']);
      expect(doc.services.app?.tmpfs).toEqual(expect.arrayContaining(['/tmp', '/var/cache/app']));
      expect(doc.services.other?.read_only).toBeUndefined();
      expect(doc.services.cache?.read_only).toBe(true);
      const msgs = r.files.flatMap((f) => f.applied.map((a) => a.message)).join('\n');
      expect(msgs).toMatch(/a verified run \(\.harden\/knowledge\.yaml\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('verified entries are the evidence for images harden does not know: read-only and dropped capabilities, said so; without them, manual', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'harden-knowledge-'));
    try {
      const compose = 'services:\n  app:\n    image: example.test/acme/app:1\n  other:\n    image: example.test/acme/app:1\n';
      await writeFile(join(dir, 'compose.yaml'), compose);
      const only = ['compose-read-only', 'compose-drop-capabilities'];
      const opts = { paths: [dir], cwd: dir, unsafe: true, only, resolver: { offline: true } };
      const before = await fix(opts);
      expect(before.files[0]?.changed).toBe(false);
      expect(before.files[0]?.findings.filter((f) => f.fix?.safety === 'manual').length).toBe(4);

      await mkdir(join(dir, '.harden'));
      await writeFile(join(dir, '.harden', 'knowledge.yaml'), [
        'version: 1', 'compose.yaml:', '  app:', '    writable: [/var/cache/app]', '    capAdd: [NET_BIND_SERVICE]',
        '    verified: [compose-read-only, compose-drop-capabilities]', '',
      ].join('\n'));
      const r = await fix(opts);
      const doc = parse(r.files[0]?.after ?? '') as { services: Record<string, Record<string, unknown>> };
      expect(doc.services.app?.read_only).toBe(true);
      expect(doc.services.app?.tmpfs).toEqual(['/tmp', '/var/cache/app']);
      expect(doc.services.app?.cap_drop).toEqual(['ALL']);
      expect(doc.services.app?.cap_add).toEqual(['NET_BIND_SERVICE']);
      // Only the service the run verified.
      expect(doc.services.other).toEqual({ image: 'example.test/acme/app:1' });
      const msgs = r.files[0]?.applied.map((a) => a.message).join('\n') ?? '';
      expect(msgs).toMatch(/Verified by a run \(\.harden\/knowledge\.yaml\): it stayed healthy read-only with tmpfs at \/tmp, \/var\/cache\/app/);
      expect(msgs).toMatch(/verified by a run \(\.harden\/knowledge\.yaml\): it stayed healthy with only NET_BIND_SERVICE added back/);

      // A verify run's own copy (trial) proposes the change for the run to test, and says so.
      await rm(join(dir, '.harden'), { recursive: true });
      const t = await fix({ ...opts, trial: true });
      const tdoc = parse(t.files[0]?.after ?? '') as { services: Record<string, Record<string, unknown>> };
      expect(tdoc.services.other?.read_only).toBe(true);
      expect(tdoc.services.other?.cap_drop).toEqual(['ALL']);
      expect(t.files[0]?.applied.every((a) => a.message.includes('to be verified by this run'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a back-off removes the codemod from verified when knowledge is merged', () => {
    expect(mergeServiceKnowledge({ verified: ['compose-read-only', 'compose-drop-capabilities'] }, { backOff: { 'compose-read-only': 'x' } })).toEqual({
      backOff: { 'compose-read-only': 'x' },
      verified: ['compose-drop-capabilities'],
    });
  });
});
