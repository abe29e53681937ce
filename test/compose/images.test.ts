import { describe, expect, it } from 'vitest';
import { parseCompose } from '../../src/engine/parse.js';
import { composeBuilds, composeImageRefs, resolveComposeValue } from '../../src/compose/images.js';

const at = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('composeImageRefs', () => {
  it('reports an anchored scalar once, follows merge keys, and marks built services', () => {
    const t = 'x-b: &b\n  image: node:20\nservices:\n  a:\n    <<: *b\n  b:\n    <<: *b\n  c:\n    build: .\n    image: me/app\n  d:\n    image: "redis:7"\n    platform: linux/arm64\n';
    const refs = composeImageRefs(parseCompose('c.yaml', '/p/c.yaml', t));
    expect(refs.map((r) => [r.raw, r.services, r.builtBy, r.platform ?? null])).toEqual([
      ['node:20', ['a', 'b'], [], null],
      ['me/app', ['c'], ['c'], null],
      ['redis:7', ['d'], [], 'linux/arm64'],
    ]);
    const r2 = refs[2]?.resolution;
    expect(r2?.kind === 'resolved' && at(t, r2.region.range)).toBe('redis:7');
  });
  it('follows same-file extends: (the extended image is one scalar; build and platform are inherited)', () => {
    const t = 'services:\n  base:\n    image: node:20\n    platform: linux/amd64\n  web:\n    extends: base\n  job:\n    extends:\n      service: web\n    build: .\n';
    const refs = composeImageRefs(parseCompose('c.yaml', '/p/c.yaml', t));
    expect(refs.map((r) => [r.raw, r.services, r.builtBy, r.platform ?? null])).toEqual([['node:20', ['base', 'web', 'job'], ['job'], 'linux/amd64']]);
    const b = composeBuilds(parseCompose('c.yaml', '/p/c.yaml', 'services:\n  a:\n    build: ./a\n  b:\n    extends: a\n  c:\n    build:\n      dockerfile_inline: FROM x\n'));
    expect(b.map((x) => [x.service, x.context, x.dockerfile])).toEqual([
      ['a', '/p/a', '/p/a/Dockerfile'],
      ['b', '/p/a', '/p/a/Dockerfile'],
    ]);
  });
  it('pins the services a `<<:` merge key under services: brings in (the merge key itself is no service)', () => {
    const t = 'x-s: &s\n  cache:\n    image: redis:7\n  web:\n    image: nginx:1\nservices:\n  <<: *s\n  web:\n    image: nginx:2\n';
    const refs = composeImageRefs(parseCompose('c.yaml', '/p/c.yaml', t));
    // The file's own `web` wins over the merged one, as YAML reads it; the merged `cache` is a service.
    expect(refs.map((r) => [r.raw, r.services])).toEqual([
      ['redis:7', ['cache']],
      ['nginx:2', ['web']],
    ]);
  });
  it('resolves ${VAR:-default} to the default word', () => {
    const v = '${IMG:-nginx:1.25}';
    const r = resolveComposeValue(v, { start: 0, end: v.length });
    expect(r).toMatchObject({ kind: 'resolved', ref: 'nginx:1.25' });
    expect(r.kind === 'resolved' && at(v, r.region.range)).toBe('nginx:1.25');
    expect(resolveComposeValue('${IMG}', { start: 0, end: 6 }).kind).toBe('unresolved');
    expect(resolveComposeValue('$$x', { start: 0, end: 3 }).kind).toBe('unresolved');
  });
  it('composeBuilds: absolute Dockerfile and literal args (map and list)', () => {
    const t = 'services:\n  a:\n    build:\n      context: ./app\n      dockerfile: Dockerfile.dev\n      args:\n        BASE: node:22\n        X: ${Y}\n  b:\n    build:\n      context: .\n      args: ["T=1"]\n';
    const b = composeBuilds(parseCompose('c.yaml', '/p/c.yaml', t));
    expect(b.map((x) => [x.service, x.dockerfile, [...x.args]])).toEqual([
      ['a', '/p/app/Dockerfile.dev', [['BASE', 'node:22']]],
      ['b', '/p/Dockerfile', [['T', '1']]],
    ]);
  });
});
