/** Distribution detection from image references and os-release (src/dockerfile/distro.ts). */
import { describe, expect, it } from 'vitest';
import { detectDistro, parseOsRelease } from '../../src/dockerfile/distro.js';
import { shellErrexit } from '../../src/dockerfile/instructions.js';

describe('detectDistro', () => {
  it.each([
    ['python:3.11-slim', 'debian', 'debian', undefined, 'name'],
    ['node:20-bookworm-slim', 'debian', 'debian', 'bookworm', 'tag'],
    ['node:20-alpine3.19', 'alpine', 'alpine', undefined, 'tag'],
    ['ubuntu:jammy', 'debian', 'ubuntu', 'jammy', 'tag'],
    ['ubuntu:24.04', 'debian', 'ubuntu', 'noble', 'name'],
    ['debian:12-slim', 'debian', 'debian', 'bookworm', 'name'],
    ['debian:sid', 'debian', 'debian', 'sid', 'tag'],
    ['buildpack-deps:sid-curl', 'debian', 'debian', 'sid', 'tag'],
    ['eclipse-temurin:21-jre', 'debian', 'ubuntu', undefined, 'name'],
    ['mysql:8.0-debian', 'debian', 'debian', undefined, 'tag'],
    ['docker.io/library/golang:1.22@sha256:0123456789abcdef0123456789abcdef', 'debian', 'debian', undefined, 'name'],
  ])('%s → %s (%s, %s) from %s', (ref, family, id, codename, source) => {
    const d = detectDistro(ref);
    expect(d.family).toBe(family);
    expect(d.id).toBe(id);
    expect(d.codename).toBe(codename);
    expect(d.source).toBe(source);
  });

  it('gives versions and apk branches', () => {
    expect(detectDistro('alpine:3.20.1')).toMatchObject({ version: '3.20', alpineBranch: 'v3.20', packageManager: 'apk' });
    expect(detectDistro('python:3.12-alpine3.19')).toMatchObject({ version: '3.19', alpineBranch: 'v3.19' });
    expect(detectDistro('alpine:edge')).toMatchObject({ alpineBranch: 'edge' });
    expect(detectDistro('debian:bookworm')).toMatchObject({ version: '12', packageManager: 'apt' });
  });

  it('knows images without a distribution', () => {
    expect(detectDistro('scratch')).toMatchObject({ family: 'scratch', hasShell: false });
    expect(detectDistro('gcr.io/distroless/static-debian12:nonroot')).toMatchObject({ family: 'distroless', hasShell: false });
    expect(detectDistro('mcr.microsoft.com/windows/servercore:ltsc2022')).toMatchObject({ family: 'windows' });
    expect(detectDistro('mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022')).toMatchObject({ family: 'windows' });
    expect(detectDistro('cgr.dev/chainguard/python:latest')).toMatchObject({ family: 'distroless', hasShell: false });
    expect(detectDistro('cgr.dev/chainguard/python:latest-dev')).toMatchObject({ family: 'wolfi', hasShell: true });
  });

  it('RHEL family, minimal variants', () => {
    expect(detectDistro('registry.access.redhat.com/ubi9/ubi-minimal:9.4')).toMatchObject({ family: 'rhel', minimal: true, packageManager: 'microdnf', version: '9' });
    expect(detectDistro('registry.access.redhat.com/ubi9/ubi:9.4')).toMatchObject({ family: 'rhel', packageManager: 'dnf' });
    expect(detectDistro('rockylinux:9')).toMatchObject({ family: 'rhel', id: 'rocky' });
    expect(detectDistro('eclipse-temurin:21-ubi9-minimal')).toMatchObject({ family: 'rhel', minimal: true });
  });

  it('says when nothing names a distribution', () => {
    expect(detectDistro('registry.example.com/team/base:1.2')).toMatchObject({ family: 'unknown', source: 'none' });
  });

  it('prefers os-release, except for names meaning "no distribution"', () => {
    const alpine = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.1\n';
    expect(detectDistro('registry.example.com/team/base:1.2', alpine)).toMatchObject({ family: 'alpine', version: '3.20', alpineBranch: 'v3.20', source: 'os-release' });
    const bookworm = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
    expect(detectDistro('python:3.11-slim', bookworm)).toMatchObject({ family: 'debian', codename: 'bookworm', version: '12', source: 'os-release' });
    expect(detectDistro('gcr.io/distroless/base-debian12', bookworm)).toMatchObject({ family: 'distroless', version: '12', hasShell: false });
    const rocky = 'ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n';
    expect(detectDistro('x/y', rocky)).toMatchObject({ family: 'rhel', id: 'rocky', packageManager: 'dnf' });
    const mint = 'ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_CODENAME=wilma\n';
    expect(detectDistro('x/y', mint)).toMatchObject({ family: 'debian', id: 'linuxmint', codename: 'wilma' });
  });

  it('parses os-release quoting', () => {
    expect(parseOsRelease('A="x y"\nB=\'z\'\n# c\nC=plain\n')).toEqual({ A: 'x y', B: 'z', C: 'plain' });
  });
});

describe('shellErrexit', () => {
  it.each([
    [['/bin/bash', '-c'], false],
    [['/bin/bash', '-e', '-c'], true],
    [['/bin/bash', '-eo', 'pipefail', '-c'], true],
    [['/bin/bash', '-o', 'pipefail', '-c'], false],
    [['/bin/bash', '-o', 'errexit', '-c'], true],
    [['/bin/sh', '-ec'], true],
    [['/bin/sh', '-e', '+e', '-c'], false],
    [['cmd', '/S', '/C'], false],
  ])('%j → %s', (argv, on) => expect(shellErrexit(argv)).toBe(on));
});
