/** Reading a base image's distribution and release from its files, or from hints in its tag. */
import { describe, expect, it } from 'vitest';
import { alpineArch, DEB_RELEASES, debianArch, parseOsRelease, releaseFromFile, releaseFromTag } from '../../src/dockerfile/base-release.js';
import { detectDistro } from '../../src/dockerfile/distro.js';

describe('releaseFromFile', () => {
  it('reads Alpine, Debian and Ubuntu os-release files', () => {
    expect(releaseFromFile('etc/os-release', 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n')).toMatchObject({ distro: 'alpine', release: 'v3.19', version: '3.19.1' });
    expect(releaseFromFile('etc/os-release', 'ID=alpine\nVERSION_ID=3.20.0_alpha20240329\nPRETTY_NAME="Alpine Linux edge"\n')).toMatchObject({ release: 'edge' });
    expect(releaseFromFile('./usr/lib/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n')).toEqual({
      distro: 'debian',
      release: 'bookworm',
      version: '12',
      source: '/usr/lib/os-release',
    });
    expect(releaseFromFile('etc/os-release', 'ID=ubuntu\nVERSION_ID="24.04"\nUBUNTU_CODENAME=noble\n')).toMatchObject({ distro: 'ubuntu', release: 'noble' });
    expect(releaseFromFile('etc/os-release', 'ID=debian\nVERSION_ID="11"\n')).toMatchObject({ release: 'bullseye' });
  });
  it('reads /etc/alpine-release and /etc/debian_version', () => {
    expect(releaseFromFile('etc/alpine-release', '3.18.6\n')).toMatchObject({ distro: 'alpine', release: 'v3.18' });
    expect(releaseFromFile('etc/debian_version', '12.5\n')).toMatchObject({ distro: 'debian', release: 'bookworm' });
    expect(releaseFromFile('etc/debian_version', 'trixie/sid\n')).toMatchObject({ distro: 'debian', release: 'trixie' });
  });
  it('says nothing for distributions it does not know', () => {
    expect(releaseFromFile('etc/os-release', 'ID=fedora\nVERSION_ID=40\n')).toBeNull();
    expect(releaseFromFile('etc/os-release', 'ID=debian\n')).toBeNull();
  });
});

describe('releaseFromTag', () => {
  it.each([
    ['node:20-alpine3.19', 'alpine', 'v3.19'],
    ['python:3.12.1-alpine3.18', 'alpine', 'v3.18'],
    ['alpine:3.19.1', 'alpine', 'v3.19'],
    ['alpine:edge', 'alpine', 'edge'],
    ['node:20-bookworm-slim', 'debian', 'bookworm'],
    ['debian:12-slim', 'debian', 'bookworm'],
    ['ghcr.io/x/y:1.0-jammy', 'ubuntu', 'jammy'],
    ['ubuntu:22.04', 'ubuntu', 'jammy'],
  ])('%s → %s %s', (ref, distro, release) => {
    expect(releaseFromTag(ref)).toMatchObject({ distro, release, source: 'tag' });
  });
  it.each(['node:20-alpine', 'python:3.12-slim', 'alpine:latest', 'ubuntu:latest', 'busybox:1.36', 'debian:sid', 'buildpack-deps:sid-curl'])('%s names no release', (ref) => {
    expect(releaseFromTag(ref)).toBeNull();
  });
});

describe('DEB_RELEASES: one codename table for base-release.ts and distro.ts', () => {
  const numbered = (['debian', 'ubuntu'] as const).flatMap((distro) =>
    Object.entries(DEB_RELEASES[distro])
      .filter(([, v]) => /^\d/.test(v))
      .map(([codename, version]) => [distro, codename, version] as const),
  );
  it.each(numbered)('%s %s (%s): tag, version tag, os-release and detectDistro agree', (distro, codename, version) => {
    expect(releaseFromTag(`r.example/x:1-${codename}`)).toMatchObject({ distro, release: codename });
    expect(releaseFromTag(`${distro}:${version}`)).toMatchObject({ distro, release: codename, version });
    expect(releaseFromFile('etc/os-release', `ID=${distro}\nVERSION_ID="${version}"\n`)).toMatchObject({ distro, release: codename });
    expect(detectDistro(`${distro}:${codename}`)).toMatchObject({ id: distro, codename, version });
    expect(detectDistro(`${distro}:${version}`)).toMatchObject({ id: distro, codename, version });
  });
  it('sid has no numbered release: detectDistro names it, releaseFromTag does not pin it', () => {
    expect(DEB_RELEASES.debian.sid).toBe('unstable');
    expect(detectDistro('debian:sid')).toMatchObject({ family: 'debian', id: 'debian', codename: 'sid', version: 'unstable', source: 'tag' });
    expect(detectDistro('debian:sid-slim')).toMatchObject({ id: 'debian', codename: 'sid' });
    expect(releaseFromTag('debian:sid')).toBeNull();
    expect(releaseFromFile('etc/debian_version', 'trixie/sid\n')).toMatchObject({ release: 'trixie' });
  });
});

describe('helpers', () => {
  it('parses os-release quoting', () => {
    expect(parseOsRelease('A="x \\"y\\""\nB=\'z\'\n# c\nC=plain\n')).toEqual({ A: 'x "y"', B: 'z', C: 'plain' });
  });
  it('maps platforms to Alpine and Debian architectures', () => {
    expect(['linux/amd64', 'linux/arm64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/386', 'linux/mips'].map(alpineArch)).toEqual([
      'x86_64', 'aarch64', 'aarch64', 'armv7', 'armhf', 'x86', undefined,
    ]);
    expect(['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v5', 'linux/386', 'linux/ppc64le'].map(debianArch)).toEqual([
      'amd64', 'arm64', 'armhf', 'armel', 'i386', 'ppc64el',
    ]);
  });
});
