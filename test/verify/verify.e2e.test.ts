/**
 * `harden verify` end to end under a REAL engine: Debian's dockerd started by the test (own data root and socket, no
 * bridge, no iptables), docker-compose 1.29, and a real docker-registry on 127.0.0.1 as Docker Hub's mirror serving
 * REPLICA images (postgres, redis, nginx, mariadb, python, node, prometheus: Debian's packages with the official
 * images' users, paths, VOLUMEs and entrypoint behaviour; mongo and grafana: stand-ins, as Debian has no packages; see
 * test/support/engine.ts). Built once, cached under ~/.cache/harden-test.
 * Root only; skipped (saying why) without dockerd. The no-engine case runs everywhere.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { detectEngine, type Engine } from '../../src/verify/engine.js';
import { verify, type ProjectReport, type ServiceReport } from '../../src/verify/verify.js';
import { verifyText } from '../../src/verify/report.js';
import { engineSkipReason, replicaRegistry, startDockerd, type ReplicaRegistry, type TestEngine } from '../support/engine.js';
import { expectTwoNginxHealthy, TWO_NGINX } from '../support/verify-stacks.js';

const skip = await engineSkipReason();
const EXAMPLE = resolve(import.meta.dirname, '../../examples/orchestrator');
/** HARDEN_E2E_LOG=1 shows verify's progress lines. */
const log = process.env.HARDEN_E2E_LOG ? (l: string) => process.stderr.write(`${l}\n`) : undefined;
const BIN = resolve(import.meta.dirname, '../../src/bin.ts');
const TSX = import.meta.resolve('tsx');

function cli(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; onStderr?: (s: string) => void; timeoutMs?: number }): { done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>; pid: number | undefined } {
  const child = spawn(process.execPath, ['--import', TSX, BIN, ...args], { cwd: opts.cwd, env: { ...opts.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 900_000);
  return {
    pid: child.pid,
    done: new Promise((res) => child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr });
    })),
  };
}

describe('harden verify without an engine', () => {
  it('exits 2 and names what it looked for (DOCKER_HOST, the socket, podman)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'harden-verify-none-'));
    try {
      await writeFile(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.22\n');
      const r = await cli(['verify', '.'], { cwd: dir, env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'no-such.sock')}`, PATH: '/nonexistent' }, timeoutMs: 60_000 }).done;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no container engine reachable/);
      expect(r.stderr).toContain(`DOCKER_HOST=unix://${join(dir, 'no-such.sock')}`);
      expect(r.stderr).toMatch(/podman \(not installed\)/);
      expect(r.stdout).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

let replicas: ReplicaRegistry;
let dockerd: TestEngine;
let engine: Engine;
let work: string;

async function stack(name: string, files: Readonly<Record<string, string>>): Promise<string> {
  const dir = join(work, name);
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), text);
  }
  // pin-image-digest resolves the replicas through the same mirror the engine pulls from.
  await writeFile(join(dir, '.harden.yaml'), `registries:\n  docker.io: { mirror: "${replicas.registry.url}" }\n`);
  return dir;
}

const svc = (p: ProjectReport, name: string): ServiceReport => {
  const s = p.services.find((x) => x.service === name);
  if (!s) throw new Error(`no service ${name} in ${JSON.stringify(p)}`);
  return s;
};

/** Nothing of a verify run is left in the engine: containers, volumes, networks, images of hv* projects, pods. */
async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  const ps = await dockerd.docker(['ps', '-a', '--format', '{{.Names}} {{.Label "com.docker.compose.project"}}']);
  out.push(...ps.stdout.split('\n').filter((l) => /(?:^| )hv[0-9a-f]{8}/.test(l)).map((l) => `container ${l}`));
  const vols = await dockerd.docker(['volume', 'ls', '--format', '{{.Name}}']);
  out.push(...vols.stdout.split('\n').filter((l) => /^hv[0-9a-f]{8}/.test(l)).map((l) => `volume ${l}`));
  const nets = await dockerd.docker(['network', 'ls', '--format', '{{.Name}}']);
  out.push(...nets.stdout.split('\n').filter((l) => /^hv[0-9a-f]{8}/.test(l)).map((l) => `network ${l}`));
  const imgs = await dockerd.docker(['images', '--format', '{{.Repository}}']);
  out.push(...imgs.stdout.split('\n').filter((l) => /^hv[0-9a-f]{8}/.test(l)).map((l) => `image ${l}`));
  return out;
}

describe.skipIf(skip !== undefined)(
  skip ? `harden verify under a real dockerd with replica images: skipped, ${skip}` : 'harden verify under a real dockerd with replica images (postgres, redis, nginx, mariadb, python, node, prometheus replicas; mongo and grafana stand-in replicas)',
  () => {
    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'harden-verify-e2e-'));
      replicas = await replicaRegistry();
      dockerd = await startDockerd({ mirror: replicas.registry.url, insecure: [replicas.registry.host] });
      engine = await detectEngine({ env: dockerd.env });
    }, 1_800_000);

    afterAll(async () => {
      await dockerd?.stop();
      await replicas?.registry.stop();
      if (work) await rm(work, { recursive: true, force: true });
      // Removing the engine's data directory (image layers) is slow on a loaded machine: a hang guard, not a budget.
    }, 900_000);

    it('a stack of replicas every codemod keeps healthy: postgres, redis, nginx and mariadb replicas run read-only, without capabilities, with limits', async () => {
      const dir = await stack('healthy', {
        'compose.yaml': `services:
  db:
    image: postgres:15
    environment:
      POSTGRES_PASSWORD: example-db-S3CR3T
  cache:
    image: redis:7.0
  web:
    image: nginx:1.22
    ports:
      - "8080:80"
    depends_on:
      - db
      - cache
  sql:
    image: mariadb:10.11
    environment:
      MARIADB_ROOT_PASSWORD: example-sql-S3CR3T
`,
      });
      const r = await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 8, resolver: { noCache: true }, log });
      const p = r.projects[0] as ProjectReport;
      expect(p.error).toBeUndefined();
      for (const name of ['db', 'cache', 'web', 'sql']) {
        const s = svc(p, name);
        expect(s.baseline, name).toMatch(/running|healthy/);
        expect(s.ok, `${name}: ${JSON.stringify(s)}`).toBe(true);
        // The knowledge base's probes are added and pass.
        expect(s.final, name).toBe('healthy');
        expect(s.adjusted, name).toEqual([]);
        expect(s.backedOff, name).toEqual([]);
      }
      expect(p.rounds).toBe(1);
      expect(r.knowledge).toEqual({});
      // Secrets never reach the report.
      expect(JSON.stringify(r)).not.toContain('S3CR3T');
      expect(await leftovers()).toEqual([]);
      // The file itself was not touched.
      expect(await readFile(join(dir, 'compose.yaml'), 'utf8')).toContain('POSTGRES_PASSWORD: example-db-S3CR3T');
    }, 1_200_000);

    it('reads the evidence and adjusts: a command writing outside the tmpfs paths, a capability the entrypoint needs, a probe on another port, an image that cannot be read-only, nginx templates', async () => {
      const dir = await stack('evidence', {
        'compose.yaml': `services:
  writer:
    build: ./writer
  chmodder:
    image: redis:7.0
    entrypoint: ["sh", "-c", "mkdir -p /data/own && chown nobody /data/own && chmod 700 /data/own && exec docker-entrypoint.sh redis-server"]
  porty:
    image: redis:7.0
    command: ["redis-server", "--port", "6380"]
  inplace:
    build: ./inplace
  proxy:
    image: nginx:1.22
    volumes:
      - ./templates:/etc/nginx/templates:ro
    environment:
      APP_PORT: "8081"
`,
        // Writes state under /var/cache/writer (an empty directory in the image): a tmpfs there is enough.
        'writer/Dockerfile': 'FROM python:3.11-slim\nRUN mkdir -p /var/cache/writer\nCOPY app.py /srv/app.py\nCMD ["python3", "/srv/app.py"]\n',
        'writer/app.py': `import time, os
with open('/var/cache/writer/state', 'w') as f:
    f.write('ok')
print('state written', flush=True)
while True:
    time.sleep(1)
`,
        // Writes next to its own code in /srv: no tmpfs can cover that without hiding the code.
        'inplace/Dockerfile': 'FROM python:3.11-slim\nCOPY app.py /srv/app.py\nCMD ["python3", "/srv/app.py"]\n',
        'inplace/app.py': `import time
open('/srv/app.pid', 'w').write('1')
print('pid written', flush=True)
while True:
    time.sleep(1)
`,
        'templates/app.conf.template': 'server {\n    listen ${APP_PORT};\n    location / { return 200 "app\\n"; }\n}\n',
      });
      const r = await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 8, resolver: { noCache: true }, log, only: ['compose-read-only', 'compose-drop-capabilities', 'compose-no-new-privileges', 'compose-healthcheck', 'compose-resource-limits'] });
      const p = r.projects[0] as ProjectReport;
      expect(p.error).toBeUndefined();
      for (const s of p.services) expect(s.ok, `${s.service}: ${JSON.stringify(s)}`).toBe(true);

      const writer = svc(p, 'writer');
      expect(writer.adjusted.map((a) => a.change)).toContain('tmpfs /var/cache/writer');
      expect(writer.adjusted.find((a) => a.change === 'tmpfs /var/cache/writer')?.evidence).toMatch(/Read-only file system/);

      const chmodder = svc(p, 'chmodder');
      expect(chmodder.adjusted.map((a) => a.change)).toContain('cap_add FOWNER');
      expect(chmodder.adjusted.find((a) => a.change === 'cap_add FOWNER')?.evidence).toMatch(/chmod.*Operation not permitted/);

      const porty = svc(p, 'porty');
      const probe = porty.adjusted.find((a) => a.change.startsWith('healthcheck'));
      expect(probe?.change).toContain('6380');
      expect(porty.final).toBe('healthy');

      const inplace = svc(p, 'inplace');
      expect(inplace.backedOff.map((b) => b.codemod)).toEqual(['compose-read-only']);
      expect(inplace.backedOff[0]?.reason).toMatch(/writes to \/srv, which holds the image's own files/);
      expect(inplace.backedOff[0]?.evidence).toMatch(/Read-only file system/);

      const proxy = svc(p, 'proxy');
      expect(proxy.backedOff.map((b) => b.codemod)).toEqual(['compose-read-only']);
      expect(proxy.backedOff[0]?.evidence).toMatch(/\/etc\/nginx\/conf.d is not writable/);

      // What was learned, as knowledge that `harden fix` applies.
      const k = r.knowledge[join(dir, 'compose.yaml')] ?? {};
      expect(k.writer?.writable).toEqual(['/var/cache/writer']);
      expect(k.chmodder?.capAdd).toContain('FOWNER');
      expect(k.inplace?.backOff?.['compose-read-only']).toBeDefined();
      // Read-only and dropped capabilities on images harden does not know were tried by the run and held: verified.
      expect(k.writer?.verified).toEqual(expect.arrayContaining(['compose-read-only', 'compose-drop-capabilities']));
      expect(k.inplace?.verified ?? []).not.toContain('compose-read-only');
      const fixed = await fix({ paths: [join(dir, 'compose.yaml')], cwd: dir, unsafe: true, knowledge: r.knowledge, only: ['compose-read-only', 'compose-drop-capabilities', 'compose-healthcheck'] });
      const after = fixed.files[0]?.after ?? '';
      expect(after).toMatch(/writer:[\s\S]*?- \/var\/cache\/writer/);
      expect(after).toMatch(/chmodder:[\s\S]*?- FOWNER/);
      expect(after).toMatch(/porty:[\s\S]*?6380/);
      expect(after).not.toMatch(/inplace:\n {4}build: \.\/inplace\n {4}read_only/);
      const writerFix = fixed.files[0]?.applied.find((a) => a.codemodId === 'compose-read-only' && a.message.includes('`writer`'));
      expect(writerFix?.message).toMatch(/Verified by a run \(\.harden\/knowledge\.yaml\): it stayed healthy read-only with tmpfs at \/tmp, \/var\/cache\/writer/);
      const writerCaps = fixed.files[0]?.applied.find((a) => a.codemodId === 'compose-drop-capabilities' && a.message.includes('`writer`'));
      expect(writerCaps?.message).toMatch(/verified by a run/);
      // Without the run's knowledge, the same services get no guessed fix (no evidence, no fix).
      const plain = await fix({ paths: [join(dir, 'compose.yaml')], cwd: dir, unsafe: true, only: ['compose-read-only'] });
      expect(plain.files[0]?.after ?? '').not.toMatch(/writer:[\s\S]*?- \/var\/cache\/writer/);
      expect(await leftovers()).toEqual([]);
    }, 1_800_000);

    it('fix --verify --write writes only what the run kept (not a Dockerfile no service builds), and --save leaves the knowledge file later fix runs read', async () => {
      const dir = await stack('fixverify', {
        'compose.yaml': 'services:\n  cache:\n    image: redis:7.0\n  inplace:\n    build: ./inplace\n',
        'inplace/Dockerfile': 'FROM python:3.11-slim\nADD app.py /srv/app.py\nCMD ["python3", "/srv/app.py"]\n',
        // Built by no service: the run never exercises its changes.
        'tools/Dockerfile': 'FROM python:3.11-slim\nADD tool.py /tool.py\n',
        'tools/tool.py': 'print(1)\n',
        'inplace/app.py': "import time\nopen('/srv/app.pid', 'w').write('1')\nwhile True:\n    time.sleep(1)\n",
      });
      const r = await cli(['fix', '--verify', '--write', '--save', '--unsafe', '--only', 'compose-read-only,compose-no-new-privileges,dockerfile-add-to-copy', '--stable', '8', '--no-cache', '.'], { cwd: dir, env: dockerd.env }).done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/backed off compose-read-only/);
      // The Dockerfile the hardened run built is written; the one no service builds is named, not written.
      expect(await readFile(join(dir, 'inplace', 'Dockerfile'), 'utf8')).toContain('COPY app.py /srv/app.py');
      expect(await readFile(join(dir, 'tools', 'Dockerfile'), 'utf8')).toContain('ADD tool.py /tool.py');
      expect(r.stderr).toMatch(/tools\/Dockerfile: not written \(1 change the verify run did not exercise/);
      const text = await readFile(join(dir, 'compose.yaml'), 'utf8');
      expect(text).toMatch(/cache:\n {4}image: redis:7\.0\n(?: {4}.*\n)*? {4}read_only: true\n[\s\S]*inplace:/);
      expect(text).not.toMatch(/inplace:[\s\S]*read_only/);
      expect(text).toMatch(/inplace:[\s\S]*no-new-privileges/);
      expect(existsSync(join(dir, '.harden', 'knowledge.yaml'))).toBe(true);
      const knowledge = await readFile(join(dir, '.harden', 'knowledge.yaml'), 'utf8');
      expect(knowledge).toMatch(/compose.yaml:\n {2}inplace:\n {4}backOff:\n {6}compose-read-only: /);
      // A later plain `harden fix` (no engine) reads the knowledge file and backs off the same change.
      await writeFile(join(dir, 'compose.yaml'), 'services:\n  cache:\n    image: redis:7.0\n  inplace:\n    build: ./inplace\n');
      const again = await fix({ paths: [dir], cwd: dir, unsafe: true, only: ['compose-read-only'] });
      const out = again.files.find((f) => f.path.endsWith('compose.yaml'))?.after ?? '';
      expect(out).toMatch(/cache:[\s\S]*read_only: true/);
      expect(out).not.toMatch(/inplace:[\s\S]*read_only/);
      expect(await leftovers()).toEqual([]);
    }, 1_200_000);

    it("the mariadb replica's healthcheck.sh denied its login (a data directory from before the healthcheck user): verify backs the probe off with the line", async () => {
      const dir = await stack('denied', {
        'compose.yaml': `services:
  olddb:
    image: mariadb:10.11
    environment:
      MARIADB_ROOT_PASSWORD: example-old-S3CR3T
      # The replica then initialises without the healthcheck user, as a data directory of an older image has none.
      HARDEN_REPLICA_NO_HEALTHCHECK_USER: "1"
`,
      });
      const r = await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 8, resolver: { noCache: true }, log, only: ['compose-healthcheck'] });
      const p = r.projects[0] as ProjectReport;
      expect(p.error).toBeUndefined();
      const s = svc(p, 'olddb');
      expect(s.baseline).toBe('running');
      expect(s.hardened).toBe('unhealthy');
      expect(s.ok, JSON.stringify(s)).toBe(true);
      expect(s.backedOff.map((b) => b.codemod)).toEqual(['compose-healthcheck']);
      expect(s.backedOff[0]?.reason).toMatch(/denies the login/);
      expect(s.backedOff[0]?.evidence).toMatch(/Access denied for user 'root'/);
      expect(JSON.stringify(r)).not.toContain('S3CR3T');
      expect(r.knowledge[join(dir, 'compose.yaml')]?.olddb?.backOff?.['compose-healthcheck']).toBeDefined();
      expect(await leftovers()).toEqual([]);
    }, 1_200_000);

    // The example exactly as it is in the repository: its own Dockerfile (`npm ci` from its lockfile, `tsc`, a final
    // stage on node:20-alpine) built on the node replica, which carries this machine's CA certificates as a company's
    // base image would (test/support/engine.ts); the app and grafana both listen on 3000, so verify runs grafana in a
    // pod of its own.
    it("seed 001's stack (examples/orchestrator as it is: its Dockerfile built on the node replica; mongo and grafana stand-in replicas, redis and prometheus replicas) is healthy hardened, grafana and the app in separate pods", async () => {
      const dir = join(work, 'orchestrator');
      await cp(EXAMPLE, dir, { recursive: true });
      await writeFile(join(dir, '.harden.yaml'), `registries:\n  docker.io: { mirror: "${replicas.registry.url}" }\n`);
      expect(await readFile(join(dir, 'compose.yaml'), 'utf8')).toBe(await readFile(join(EXAMPLE, 'compose.yaml'), 'utf8'));
      // Hardened, GRAFANA_PASSWORD is required (compose-require-secret-vars drops its `admin` default): given, as a user would.
      await writeFile(join(work, 'orchestrator.env'), 'GRAFANA_PASSWORD=example-grafana-S3CR3T\nOPENAI_API_KEY=example-openai-S3CR3T\n');
      const r = await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 10, resolver: { noCache: true }, log, envFile: join(work, 'orchestrator.env') });
      if (log) log(verifyText(r));
      const p = r.projects[0] as ProjectReport;
      expect(p.error).toBeUndefined();
      expect(p.services.map((s) => s.service)).toEqual(['grafana', 'mongo', 'orchestrator', 'prometheus', 'redis']);
      for (const s of p.services) {
        expect(s.baseline, s.service).toMatch(/running|healthy/);
        expect(s.ok, `${s.service}: ${JSON.stringify(s)}`).toBe(true);
        expect(s.final, s.service).toMatch(/running|healthy/);
      }
      // The knowledge base's probes (mongosh, redis-cli, prometheus's /-/healthy, grafana's /api/health) pass.
      for (const name of ['mongo', 'redis', 'prometheus', 'grafana']) expect(svc(p, name).final, name).toBe('healthy');
      // Port 3000 twice: grafana (image EXPOSE, knowledge base) runs in a second pod; the app keeps 3000 in the first.
      expect(svc(p, 'grafana').notes.join('\n')).toMatch(/network namespace of its own \(hv[0-9a-f]{8}h\d-pod2\): it listens on port 3000, as orchestrator does/);
      expect(svc(p, 'orchestrator').notes.join('\n')).not.toMatch(/network namespace of its own/);
      expect(JSON.stringify(r)).not.toContain('S3CR3T');
      expect(p.exercised.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['app/Dockerfile', 'compose.yaml']);
      expect(p.notes.join('\n')).not.toMatch(/build failed/);
      expect(await leftovers()).toEqual([]);
    }, 1_800_000);

    it('two nginx replicas on port 80 in separate pods reach each other by service name (each probe fetches a file only the other serves), baseline and hardened', async () => {
      const dir = await stack('twoweb', TWO_NGINX);
      const r = await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 8, resolver: { noCache: true }, log });
      expectTwoNginxHealthy(r.projects[0] as ProjectReport, verifyText(r));
      expect(await leftovers()).toEqual([]);
    }, 1_200_000);

    // Port 8000 is hard-coded in the app and declared nowhere (no ports, expose, PORT, --port or EXPOSE), so the first
    // baseline puts both in one pod and whichever binds second logs `Address already in use`.
    it('two servers on the python replica with a port declared nowhere: the one that could not bind is moved to a pod of its own and the baseline runs again; both healthy, reaching each other by name', async () => {
      const service = (self: string, other: string) => `  ${self}:
    image: python:3.11-slim
    command: ["python3", "/app/serve.py", "/app/${self}.txt"]
    volumes:
      - ./app:/app:ro
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://${other}:8000/ | grep -qx ${other}-ok"]
      interval: 3s
      timeout: 5s
      retries: 5
`;
      const dir = await stack('hardcoded', {
        'compose.yaml': `services:\n${service('left', 'right')}${service('right', 'left')}`,
        // The replica has python3-minimal (no http.server): a plain socket server answering every request with one file.
        'app/serve.py': `import socket, sys
body = open(sys.argv[1], 'rb').read()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('0.0.0.0', 8000))
s.listen(16)
print('listening on 8000', flush=True)
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n' % len(body) + body)
    finally:
        c.close()
`,
        'app/left.txt': 'left-ok\n',
        'app/right.txt': 'right-ok\n',
      });
      const lines: string[] = [];
      const r = await verify({ paths: [dir], cwd: dir, unsafe: true, engine, stableSeconds: 8, resolver: { noCache: true }, log: (l) => (lines.push(l), log?.(l)) });
      const text = verifyText(r);
      const p = r.projects[0] as ProjectReport;
      expect(p.error, text).toBeUndefined();
      expect(lines.join('\n')).toMatch(/address already in use: (?:left|right) could not bind in the shared pod; the baseline runs again with it in a pod of its own/);
      expect(lines.join('\n')).toMatch(/baseline \(project hv[0-9a-f]{8}b2\)/);
      for (const name of ['left', 'right']) {
        const s = svc(p, name);
        expect(s.baseline, `${name}\n${text}`).toBe('healthy');
        expect(s.ok, `${name}\n${text}`).toBe(true);
        expect(s.final, `${name}\n${text}`).toBe('healthy');
        expect(s.portClash, name).toBeUndefined();
      }
      const moved = p.services.filter((s) => s.notes.some((n) => /network namespace of its own \(hv[0-9a-f]{8}h1-pod2\): in the shared pod it could not bind its port \(OSError: \[Errno 98\] Address already in use\)/.test(n)));
      expect(moved.map((s) => s.service), text).toHaveLength(1);
      expect(await leftovers()).toEqual([]);
    }, 1_200_000);

    it('removes everything it created when interrupted with SIGINT', async () => {
      const dir = await stack('sigint', { 'compose.yaml': 'services:\n  db:\n    image: postgres:15\n    environment:\n      POSTGRES_PASSWORD: example\n  cache:\n    image: redis:7.0\n' });
      let sent = false;
      const run = cli(['verify', '--unsafe', '--no-cache', '.'], { cwd: dir, env: dockerd.env });
      // Interrupt once the baseline's containers exist.
      const t0 = Date.now();
      while (!sent && Date.now() - t0 < 300_000) {
        const ps = await dockerd.docker(['ps', '-a', '--filter', 'label=com.docker.compose.service=cache', '--format', '{{.Names}}']);
        if (ps.stdout.trim()) {
          process.kill(run.pid as number, 'SIGINT');
          sent = true;
        } else await new Promise((res) => setTimeout(res, 500));
      }
      expect(sent).toBe(true);
      const r = await run.done;
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(/SIGINT: removing/);
      expect(await leftovers()).toEqual([]);
      const scratch = await dockerd.docker(['ps', '-aq']);
      expect(scratch.stdout.trim()).toBe('');
    }, 600_000);
  },
);
