/**
 * Proof that lock-apt-install's pins really install: a Debian bookworm base (debootstrap minbase, with the apt sources
 * of the official debian:bookworm image: bookworm, bookworm-updates and bookworm-security) is pushed to a REAL
 * docker-registry on 127.0.0.1; `fix()` pins a Dockerfile FROM that image against the real Debian mirrors (the ones this
 * machine's apt uses); buildah (vfs, chroot isolation, host network) builds it, and dpkg-query in the built image must
 * report exactly the pinned versions. Root only; skipped, saying why, without buildah/debootstrap or the mirror.
 * The debootstrap tarball is cached per day under ~/.cache/harden-test (or $XDG_CACHE_HOME/harden-test).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { bookwormMinbaseTar, Buildah, debianMirrors, hasCommand, mirrorProblem, removeTree } from '../support/debian-build.js';
import { REGISTRY_BIN, startRegistry, type TestRegistry } from '../support/registry.js';

const mirrors = debianMirrors();

async function skipReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'debootstrap and buildah need root';
  for (const cmd of ['buildah', 'debootstrap', REGISTRY_BIN]) if (!(await hasCommand(cmd))) return `${cmd} is not installed`;
  return mirrorProblem(mirrors);
}
const skip = await skipReason();

const PACKAGES = ['curl', 'ca-certificates'];

let reg: TestRegistry;
let buildah: Buildah;
let tmp: string;
let baseSeconds = 0;
let baseCached = false;

describe.skipIf(skip !== undefined)(
  skip ? `apt pins install in a real build: skipped, ${skip}` : 'apt pins install in a real build (debootstrap base, local registry, buildah)',
  () => {
    beforeAll(async () => {
      const t0 = Date.now();
      tmp = await mkdtemp(join(tmpdir(), 'harden-apt-build-'));
      reg = await startRegistry();
      buildah = new Buildah(join(tmp, 'buildah'));
      const { tar, cached } = await bookwormMinbaseTar(mirrors, tmp);
      await buildah.pushRootfs(tar, `docker://${reg.host}/library/debian:bookworm`);
      baseCached = cached;
      baseSeconds = (Date.now() - t0) / 1000;
    }, 600_000);

    afterAll(async () => {
      await buildah?.destroy();
      await reg?.stop();
      if (tmp) await removeTree(tmp).catch(() => rm(tmp, { recursive: true, force: true }));
    }, 120_000);

    it('pins curl and ca-certificates from the image\'s pockets, and the build installs exactly those versions', async () => {
      const ctx = join(tmp, 'ctx');
      const dockerfile = join(ctx, 'Dockerfile');
      await mkdir(ctx, { recursive: true });
      await writeFile(dockerfile, `FROM ${reg.host}/library/debian:bookworm\nRUN apt-get update && apt-get install -y ${PACKAGES.join(' ')}\n`);

      const r = await fix({
        cwd: ctx,
        paths: [ctx],
        only: ['lock-apt-install'],
        unsafe: true,
        write: true,
        resolver: {
          cacheDir: join(tmp, 'harden-cache'),
          retries: 2,
          // The mirrors this machine's apt (and so the image's sources) uses: pins and build read the same archive.
          indexes: { debian: mirrors.debian, 'debian-security': mirrors.security },
        },
      });
      const file = r.files[0];
      expect(file?.error).toBeUndefined();
      const after = await readFile(dockerfile, 'utf8');
      expect(after).toBe(file?.after);
      const m = /^RUN apt-get update && apt-get install --no-install-recommends -y curl=(\S+) ca-certificates=(\S+) && rm -rf \/var\/lib\/apt\/lists\/\*$/m.exec(after);
      expect(m, after).not.toBeNull();
      const pinned = { curl: m?.[1], 'ca-certificates': m?.[2] };
      // The release was read from the image in the registry (no "guessed from the tag" note), for amd64.
      const pinMessage = file?.applied.map((f) => f.message).find((msg) => msg.includes(': pinned '));
      expect(pinMessage).toMatch(/ from debian bookworm \(amd64\): [a-z, -]+$/);

      const t0 = Date.now();
      const log = await buildah.build(ctx, 'localhost/harden-apt-pins:test');
      const buildSeconds = (Date.now() - t0) / 1000;
      expect(log).toContain('localhost/harden-apt-pins:test');

      const out = await buildah.runIn('localhost/harden-apt-pins:test', ['dpkg-query', '-W', ...PACKAGES]);
      const installed = Object.fromEntries(out.split('\n').map((l) => l.split('\t') as [string, string]));
      expect(installed).toEqual(pinned);
      console.info(`apt-pins build: base ${baseSeconds.toFixed(1)} s (${baseCached ? 'cached tarball' : 'debootstrap'}), build ${buildSeconds.toFixed(1)} s, ${out.replace(/\n/g, ', ')}`);
    }, 600_000);
  },
);
