import { describe, expect, it } from 'vitest';
import { exactTagCandidates, mostSpecific, tagShape } from '../../src/images/exact-tags.js';
import { formatRefForLookup, joinRef, minimalDiff, normaliseRef, shortDigest, shortRepository, splitRef } from '../../src/images/reference.js';
import { detectDistro } from '../../src/dockerfile/distro.js';
import { imageRepository } from '../../src/compose/image-kb.js';
import { repositoryOf } from '../../src/secrets/images.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('splitRef', () => {
  it.each([
    ['node', { name: 'node' }],
    ['node:20-alpine', { name: 'node', tag: '20-alpine' }],
    [`node:20@${D}`, { name: 'node', tag: '20', digest: D }],
    [`node@${D}`, { name: 'node', digest: D }],
    ['localhost:5000/x', { name: 'localhost:5000/x' }],
    ['localhost:5000/x:1', { name: 'localhost:5000/x', tag: '1' }],
    ['[::1]:5000/app:1.0', { name: '[::1]:5000/app', tag: '1.0' }],
    ['docker.io/library/node:20', { name: 'docker.io/library/node', tag: '20' }],
  ])('%s', (ref, parts) => {
    expect(splitRef(ref)).toEqual(parts);
    expect(joinRef(parts)).toBe(ref);
  });
  it.each(['', '$BASE', 'Node:20', 'a b', 'node:', 'node@sha256:xyz'])('rejects %j', (ref) => expect(splitRef(ref)).toBeUndefined());
});

describe('one parser, two uses', () => {
  it.each([
    ['node:20', 'docker.io/library/node:20'],
    ['docker.io/library/node:20', 'docker.io/library/node:20'],
    ['index.docker.io/bitnami/redis', 'docker.io/bitnami/redis'],
    ['localhost:5000/x:1', 'localhost:5000/x:1'],
    ['[::1]:5000/app:1.0', '[::1]:5000/app:1.0'],
    [`ghcr.io/o/app:2@${D}`, `ghcr.io/o/app:2@${D}`],
  ])('%s splits as written and normalises to %s', (ref, canonical) => {
    const parts = splitRef(ref);
    expect(parts && joinRef(parts)).toBe(ref);
    const n = normaliseRef(ref);
    expect('ok' in n && formatRefForLookup(n.ok)).toBe(canonical);
    expect('ok' in n && n.ok.original).toBe(ref);
  });
  it.each(['', '$BASE', 'Node:20', 'a b', 'node:', 'node@sha256:xyz', `node@sha256:${'A'.repeat(64)}`, 'a-.b/x', 'host:port/x', 'a//b'])(
    'rejects %j on both sides, saying why when normalising',
    (ref) => {
      expect(splitRef(ref)).toBeUndefined();
      const n = normaliseRef(ref);
      expect('error' in n && n.error.length > 0).toBe(true);
    },
  );
});

describe('helpers', () => {
  it('minimalDiff is an insertion for a pin', () => {
    expect(minimalDiff('node:20', `node:20@${D}`)).toEqual({ start: 7, end: 7, text: `@${D}` });
    expect(minimalDiff('20', `20.1@${D}`)).toEqual({ start: 2, end: 2, text: `.1@${D}` });
  });
  it('shortDigest', () => expect(shortDigest(D)).toBe(`sha256:${'a'.repeat(12)}…`));
});

describe('exact tags', () => {
  it('tagShape', () => {
    expect(tagShape('20-alpine')).toEqual({ prefix: '', version: [20], suffix: 'alpine' });
    expect(tagShape('v1.2.3')).toEqual({ prefix: 'v', version: [1, 2, 3], suffix: '' });
    expect(tagShape('latest')).toEqual({ prefix: '', version: [], suffix: '' });
    expect(tagShape('bookworm')).toEqual({ prefix: '', version: [], suffix: 'bookworm' });
  });
  it('candidates keep the shape, most specific and newest first, bounded', () => {
    const tags = ['20', '20-alpine', '20.11-alpine', '20.11.0-alpine3.19', '20.11.0-alpine3.18', '20.11.1-alpine3.19', '20.11.0', '20.11.0-bookworm', '21.0.0-alpine', '20.11.0-alpine3.19-rc', 'latest'];
    expect(exactTagCandidates('20-alpine', tags)).toEqual(['20.11.1-alpine3.19', '20.11.0-alpine3.19', '20.11.0-alpine3.18', '20.11-alpine']);
    expect(exactTagCandidates('20-alpine', tags, 2)).toHaveLength(2);
    expect(exactTagCandidates('20', tags)).toEqual(['20.11.0']);
    expect(exactTagCandidates('latest', ['7', '7.0.3', '7.0.3-jammy', '8.0.0-rc1', 'latest'])).toEqual(['7.0.3', '7']);
    expect(exactTagCandidates('alpine3', ['1-alpine3.19', '1-alpine3', '1-alpine'])).toEqual(['1-alpine3.19', '1-alpine3']);
  });
  it('`latest` may become a v-prefixed version; a versioned tag keeps its spelling', () => {
    expect(exactTagCandidates('latest', ['v2.48.0', 'v2.48', 'main'])).toEqual(['v2.48.0', 'v2.48']);
    expect(exactTagCandidates('v2', ['v2.48.0', '2.48.1'])).toEqual(['v2.48.0']);
    expect(exactTagCandidates('2', ['v2.48.0', '2.48.1'])).toEqual(['2.48.1']);
  });
  it('mostSpecific', () => {
    expect(mostSpecific(['20.11-alpine', '20.11.0-alpine3.19', '20.11.0-alpine'])).toBe('20.11.0-alpine3.19');
    expect(mostSpecific([])).toBeUndefined();
  });
});

describe('shortRepository (the one name tables match on)', () => {
  it.each([
    ['postgres', { name: 'postgres' }],
    [`docker.io/library/postgres:16@${D}`, { name: 'postgres', tag: '16' }],
    ['index.docker.io/bitnami/redis:7', { name: 'bitnami/redis', tag: '7' }],
    ['registry-1.docker.io/library/ubuntu:22.04', { name: 'ubuntu', tag: '22.04' }],
    ['library/node', { name: 'node' }],
    ['ghcr.io/x/y:1', { name: 'ghcr.io/x/y', tag: '1' }],
    ['ghcr.io/library/y', { name: 'ghcr.io/library/y' }],
    ['localhost:5000/app', { name: 'localhost:5000/app' }],
    ['[::1]:5000/app:2', { name: '[::1]:5000/app', tag: '2' }],
    ['postgres:${TAG}', { name: 'postgres', tag: '${TAG}' }],
    ['postgres:$TAG', { name: 'postgres', tag: '$TAG' }],
    ['postgres:${POSTGRES_VERSION:-17.10-alpine}', { name: 'postgres', tag: '${POSTGRES_VERSION:-17.10-alpine}' }],
    ['Postgres:${TAG:-16}@sha256:abc', { name: 'postgres', tag: '${TAG:-16}' }],
    ['${REGISTRY}/Team/App:1', { name: '${REGISTRY}/team/app', tag: '1' }],
    ['${REGISTRY:-docker.io}/library/app', { name: '${REGISTRY:-docker.io}/library/app' }],
    ['${IMAGE:-nginx:1.25}', { name: '${IMAGE:-nginx:1.25}' }],
    ['${IMAGE:-ghcr.io/x/${NAME}:1}:${TAG}', { name: '${IMAGE:-ghcr.io/x/${NAME}:1}', tag: '${TAG}' }],
  ])('%s', (ref, want) => {
    expect(shortRepository(ref)).toEqual(want);
  });

  it('is the name the secrets table, the knowledge base and distribution hints all match on', () => {
    for (const ref of ['docker.io/library/nginx:1.27', 'index.docker.io/library/nginx:1.27', 'registry-1.docker.io/library/nginx:1.27', 'library/nginx:1.27']) {
      expect(repositoryOf(ref)).toBe('nginx');
      expect(imageRepository(ref)).toEqual({ repository: 'nginx', tag: '1.27' });
    }
    // Knowledge-base matching stays on real references only.
    expect(imageRepository('nginx:${TAG}')).toBeUndefined();
    expect(imageRepository('mirror.gcr.io/library/nginx')).toEqual({ repository: 'nginx', tag: undefined });
  });

  it('fixes distribution hints for Docker Hub spelled as registry-1.docker.io (it was taken for another registry)', () => {
    expect(detectDistro('registry-1.docker.io/library/ubuntu:22.04')).toMatchObject({ family: 'debian', id: 'ubuntu', version: '22.04' });
    expect(detectDistro('registry-1.docker.io/library/alpine:3.20')).toMatchObject({ family: 'alpine', version: '3.20' });
  });
});

describe('references read once', () => {
  it('give every caller the same answer in its own object, whatever an earlier caller did with its copy', () => {
    const refs = ['node', 'node:20-alpine', `ghcr.io/owner/app:1.2.3@${D}`, 'localhost:5000/team/app', 'Bad Ref', '[::1]:5000/x:y', `x@sha256:${'A'.repeat(64)}`];
    const first = refs.map((r) => [splitRef(r), normaliseRef(r)] as const);
    for (const [s, n] of first) {
      if (s) s.name = 'changed';
      if ('ok' in n) n.ok.repository = 'changed';
    }
    // Read again (from what was kept): as on a first reading, unaffected by the changes above.
    for (const [k, r] of refs.entries()) {
      const again = [splitRef(r), normaliseRef(r)] as const;
      expect(again[0]?.name).not.toBe('changed');
      expect(again).toEqual([splitRef(`${r}`), normaliseRef(r)]);
      expect(again[1]).toEqual(normaliseRef(r));
      if (k === 1) expect(again[0]).toEqual({ name: 'node', tag: '20-alpine' });
    }
  });
});
