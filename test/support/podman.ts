/**
 * A real podman for tests (rootful, Debian's podman 4.3.1), with everything private to the test and nothing written
 * under /etc: its own storage (graphroot/runroot in a temporary directory) and configuration through the
 * CONTAINERS_CONF / CONTAINERS_STORAGE_CONF / CONTAINERS_REGISTRIES_CONF files it names:
 * - runc with cgroupfs, and explicit ulimits: crun fails on a cgroup v1 hybrid machine, and the default rlimits ask
 *   for more than the hard limit a process without CAP_SYS_RESOURCE may set (see
 *   ../shared/notes/registry-and-containers.md §5);
 * - docker.io mirrored by the test registry on 127.0.0.1 (marked insecure, plain HTTP on loopback, that registry only),
 *   so `redis:7.0` pulls the replica image as if from Docker Hub;
 * - events in a file (no journald here); its own tmp_dir and network configuration directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand, run, type RunResult } from './debian-build.js';
import { REGISTRY_BIN } from './registry.js';

/** Why the podman tests cannot run here (undefined when they can). */
export async function podmanSkipReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'the test runs podman rootful (needs root)';
  for (const cmd of ['podman', 'runc', 'docker-compose', REGISTRY_BIN]) if (!(await hasCommand(cmd))) return `${cmd} is not installed`;
  return undefined;
}

export interface TestPodman {
  dir: string;
  /** process.env with the CONTAINERS_* files set (and DOCKER_HOST removed). */
  env: NodeJS.ProcessEnv;
  podman(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Remove every container, volume and image of this private storage, then the directory. */
  stop(): Promise<void>;
}

export async function startPodman(opts: { mirror: string }): Promise<TestPodman> {
  const dir = await mkdtemp(join(tmpdir(), 'harden-podman-'));
  const conf = join(dir, 'containers.conf');
  const storage = join(dir, 'storage.conf');
  const registries = join(dir, 'registries.conf');
  await writeFile(conf, `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=10000:10000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${join(dir, 'events.log')}"
tmp_dir = "${join(dir, 'tmp')}"
[network]
network_config_dir = "${join(dir, 'networks')}"
`);
  await writeFile(storage, `[storage]\ndriver = "overlay"\ngraphroot = "${join(dir, 'root')}"\nrunroot = "${join(dir, 'run')}"\n`);
  await writeFile(registries, `unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "${opts.mirror}"
insecure = true
`);
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage, CONTAINERS_REGISTRIES_CONF: registries };
  delete env.DOCKER_HOST;
  delete env.CONTAINER_HOST;
  const podman = (a: readonly string[], timeoutMs = 300_000) => run('podman', a, { env, timeoutMs });
  await podman(['info', '--format', '{{.Host.OCIRuntime.Name}}'], 60_000);
  const stop = async () => {
    // Twice: containers joined to another's network namespace must go before it.
    for (let i = 0; i < 2; i++) await podman(['rm', '-a', '-f', '-v', '--time', '0']).catch(() => undefined);
    await podman(['volume', 'prune', '-f']).catch(() => undefined);
    await podman(['image', 'rm', '-a', '-f']).catch(() => undefined);
    // The overlay driver may keep its own mounts under the graphroot: unmount before removing.
    const mounts = existsSync('/proc/mounts') ? readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir)) : [];
    for (const m of mounts.reverse()) await run('umount', ['-l', m]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  return { dir, env, podman, stop };
}
