/** dockerfile-non-root-user and the lock-* codemods read a base image's release through the same lookups (asked once). */
import { describe, expect, it } from 'vitest';
import { dockerfileNonRootUser } from '../../codemods/dockerfile-non-root-user.js';
import { lockApkAdd } from '../../codemods/lock-apk-add.js';
import { lockAptInstall } from '../../codemods/lock-apt-install.js';
import { releaseFromTag } from '../../src/dockerfile/base-release.js';
import { detectDistro, detectDistroFromFile } from '../../src/dockerfile/distro.js';
import { AnswerStore, dedupeKeys } from '../../src/engine/lookups.js';
import { parseFile } from '../../src/engine/parse.js';
import type { Codemod, GlobalSettings, LookupKey } from '../../src/engine/types.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

async function keysOf(codemods: Codemod[], text: string, global: GlobalSettings = {}): Promise<LookupKey[]> {
  for (const c of codemods) await c.prepare?.();
  const file = parseFile('dockerfile', 'Dockerfile', undefined, text);
  const answers = new AnswerStore();
  const ask = () => dedupeKeys(codemods.flatMap((c) => [...(c.lookups?.(file, c.defaultOptions ?? {}, global, answers) ?? [])]));
  const first = ask();
  for (const k of first) if (k.kind === 'image-digest') answers.set(k, { ok: { digest: DIGEST, mediaType: 'application/vnd.oci.image.index.v1+json', registry: 'registry.example.com' } });
  return ask();
}

describe('one release lookup per base image', () => {
  it.each([
    ['lock-apk-add', lockApkAdd, 'RUN apk add curl'],
    ['lock-apt-install', lockAptInstall, 'RUN apt-get update && apt-get install -y curl'],
  ])('dockerfile-non-root-user asks the same image-file key as %s', async (_id, lock, run) => {
    const text = `FROM registry.example.com/platform/base:2024.06\n${run}\nCMD ["app"]\n`;
    const alone = (await keysOf([dockerfileNonRootUser], text)).filter((k) => k.kind === 'image-file');
    const lockAlone = (await keysOf([lock], text)).filter((k) => k.kind === 'image-file');
    const both = (await keysOf([dockerfileNonRootUser, lock], text)).filter((k) => k.kind === 'image-file');
    expect(alone).toEqual([
      { kind: 'image-file', ref: `registry.example.com/platform/base@${DIGEST}`, platform: 'linux/amd64', paths: ['etc/os-release', 'usr/lib/os-release', 'etc/alpine-release', 'etc/debian_version'] },
    ]);
    // lock-apk-add also reads etc/apk/repositories: a key of its own.
    expect(lockAlone).toContainEqual(alone[0]);
    expect(both).toEqual(lockAlone);
  });

  it('follows --platform like the lock codemods', async () => {
    const keys = await keysOf([dockerfileNonRootUser], 'FROM registry.example.com/platform/base:1\nCMD ["app"]\n', { platform: 'linux/arm64' });
    expect(keys.find((k) => k.kind === 'image-file')).toMatchObject({ platform: 'linux/arm64' });
  });
});

describe('tag hints live in base-release.ts', () => {
  it.each(['node:20-alpine3.19', 'alpine:3.20.1', 'alpine:edge', 'debian:12-slim', 'node:20-bookworm-slim', 'ubuntu:22.04', 'ubuntu:mantic', 'ghcr.io/x/y:1.0-jammy'])(
    'detectDistro agrees with releaseFromTag on %s',
    (ref) => {
      const rel = releaseFromTag(ref);
      const d = detectDistro(ref);
      expect(rel).not.toBeNull();
      if (rel?.distro === 'alpine') expect(d.alpineBranch).toBe(rel.release);
      else expect({ id: d.id, codename: d.codename }).toEqual({ id: rel?.distro, codename: rel?.release });
    },
  );

  it('reads /etc/alpine-release and /etc/debian_version answers too', () => {
    expect(detectDistroFromFile('r.example/x:1', 'etc/alpine-release', '3.20.3\n')).toMatchObject({ family: 'alpine', alpineBranch: 'v3.20', source: 'os-release' });
    expect(detectDistroFromFile('r.example/x:1', 'etc/debian_version', '12.7\n')).toMatchObject({ family: 'debian', codename: 'bookworm', version: '12' });
    expect(detectDistroFromFile('r.example/x:1', 'etc/os-release', 'ID=rocky\nVERSION_ID="9.4"\n')).toMatchObject({ family: 'rhel', id: 'rocky' });
    expect(detectDistroFromFile('gcr.io/distroless/static-debian12', 'etc/debian_version', '12.7\n')).toMatchObject({ family: 'distroless' });
  });
});
