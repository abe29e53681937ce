import { symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discover, kindFromName } from '../../src/engine/discover.js';
import { tmpTree } from '../support/tmp.js';

describe('kindFromName', () => {
  it.each([
    ['Dockerfile', 'dockerfile'], ['Dockerfile.prod', 'dockerfile'], ['api.Dockerfile', 'dockerfile'], ['x.dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'], ['Containerfile.dev', 'dockerfile'], ['compose.yaml', 'compose'], ['compose.yml', 'compose'],
    ['compose.prod.yaml', 'compose'], ['docker-compose.yml', 'compose'], ['docker-compose.override.yaml', 'compose'],
    ['docker-compose-dev.yml', 'compose'], ['README.md', 'shell'], ['values.yaml', undefined], ['Dockerfile.md', 'shell'], ['Dockerfile.sh', 'shell'], ['Dockerfile.alpine', 'dockerfile'],
    ['notes.txt', undefined], ['deploy.sh', 'shell'], ['Makefile', 'shell'], ['GNUmakefile', 'shell'], ['rules.mk', 'shell'], ['.gitlab-ci.yml', 'shell'],
    ['ci/build.gitlab-ci.yml', 'shell'], ['.github/workflows/ci.yml', 'shell'], ['/repo/.github/workflows/release.yaml', 'shell'], ['.github/dependabot.yml', undefined],
  ])('%s → %s', (name, kind) => expect(kindFromName(name)).toBe(kind));
});

describe('discover', () => {
  it('walks directories, honours .gitignore (nested too) and --exclude, and sorts', async () => {
    const root = tmpTree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.gitignore': 'build/\n',
      'Dockerfile': 'FROM a\n',
      'svc/compose.yaml': 'services: {}\n',
      'svc/.gitignore': 'Dockerfile.local\n',
      'svc/Dockerfile.local': 'FROM b\n',
      'build/Dockerfile': 'FROM c\n',
      'vendor/x/Dockerfile': 'FROM d\n',
      'node_modules/y/Dockerfile': 'FROM e\n',
      'docs/notes.md': 'FROM f\n',
    });
    const r = await discover({ paths: ['.'], cwd: root, exclude: ['vendor/**'] });
    expect(r.files.map((f) => [f.path, f.kind])).toEqual([
      ['Dockerfile', 'dockerfile'],
      ['svc/compose.yaml', 'compose'],
    ]);
    expect(r.problems).toEqual([]);
  });

  it('finds scripts without an extension by their sh/bash #! line and CI workflows by their directory; shell files only when they mention docker or podman', async () => {
    const root = tmpTree({
      'bin/deploy': '#!/usr/bin/env bash\ndocker run x\n',
      'bin/tool': '#!/usr/bin/env python3\nprint(1)\n',
      'bin/plain': 'docker run x\n',
      'bin/start': '#!/bin/sh -e\nexec podman run x\n',
      'bin/other': '#!/bin/sh\nexec x\n',
      '.github/workflows/ci.yml': 'on: push\njobs:\n  a:\n    steps:\n      - run: docker build .\n',
      '.github/workflows/lint.yml': 'on: push\njobs: {}\n',
      '.github/labeler.yml': 'docker: b\n',
      'docs/docker.md': 'Run `docker run x`.\n',
      'docs/other.md': 'Nothing to see.\n',
    });
    const r = await discover({ paths: ['.'], cwd: root });
    expect(r.files.map((f) => [f.path, f.kind])).toEqual([
      ['.github/workflows/ci.yml', 'shell'],
      ['bin/deploy', 'shell'],
      ['bin/start', 'shell'],
      ['docs/docker.md', 'shell'],
    ]);
  });

  it('applies .gitignore files above the walked directory up to the repository root', async () => {
    const root = tmpTree({ '.git/HEAD': 'x', '.gitignore': 'gen/\n', 'app/gen/Dockerfile': 'FROM a\n', 'app/Dockerfile': 'FROM b\n' });
    const r = await discover({ paths: ['app'], cwd: root });
    expect(r.files.map((f) => f.path)).toEqual(['app/Dockerfile']);
  });

  it('always processes a file named explicitly, by name, content or --kind', async () => {
    const root = tmpTree({ 'build/Dockerfile': 'FROM a\n', 'deploy/stack.yml': 'services:\n  a: {}\n', 'odd.txt': 'hello\n', '.gitignore': 'build/\n' });
    const r = await discover({ paths: ['build/Dockerfile', 'deploy/stack.yml', 'odd.txt'], cwd: root });
    expect(r.files.map((f) => [f.path, f.kind])).toEqual([
      ['build/Dockerfile', 'dockerfile'],
      ['deploy/stack.yml', 'compose'],
    ]);
    expect(r.problems).toEqual([{ path: 'odd.txt', message: expect.stringContaining('--kind') }]);
    const forced = await discover({ paths: ['odd.txt'], cwd: root, kind: 'dockerfile' });
    expect(forced.files[0]?.kind).toBe('dockerfile');
  });

  it('reports paths that do not exist and symlinks pointing outside the target', async () => {
    const outside = tmpTree({ 'Dockerfile': 'FROM z\n' });
    const root = tmpTree({ 'a/real.txt': 'FROM a\n' });
    mkdirSync(join(root, 'b'));
    symlinkSync(join(outside, 'Dockerfile'), join(root, 'b', 'Dockerfile'));
    symlinkSync(join(root, 'a', 'real.txt'), join(root, 'b', 'Dockerfile.inside'));
    const r = await discover({ paths: ['.', 'missing'], cwd: root });
    expect(r.files.map((f) => f.path)).toEqual(['b/Dockerfile.inside']);
    expect(r.problems).toEqual([
      { path: 'b/Dockerfile', message: expect.stringContaining('points outside') },
      { path: 'missing', message: 'no such file or directory' },
    ]);
  });

  it('does not process the same file twice', async () => {
    const root = tmpTree({ 'Dockerfile': 'FROM a\n' });
    const r = await discover({ paths: ['.', 'Dockerfile'], cwd: root });
    expect(r.files).toHaveLength(1);
  });
});
