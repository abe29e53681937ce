/**
 * The per-file path shortcuts give what the general `node:path` route gives: `relativeWithin` (display paths, role
 * paths, ignore layers) against `relative`, and `detectRole` against the array-chained reading it replaced, over
 * generated paths (odd segments, `.`/`..`, doubled and trailing slashes, relative paths, the root).
 */
import { relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath } from '../../src/engine/discover.js';
import { relativeWithin } from '../../src/engine/paths.js';
import { detectRole, type FileRole, type RoleDecision } from '../../src/engine/roles.js';

/** A small deterministic generator (the same paths on every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SEGMENTS = ['a', 'b', 'ab', 'src', '.', '..', '', '..a', '.git', 'tests', 'dev', 'examples', 'x.y', 'compose.dev.yml', 'Dockerfile', 'e2e_tests', 'constructor', 'toString', '__proto__', 'CI', 'Sample-dev'];

function path(r: () => number, absolute: boolean): string {
  const n = Math.floor(r() * 5);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(SEGMENTS[Math.floor(r() * SEGMENTS.length)] as string);
  const p = parts.join('/');
  const trailing = r() < 0.1 ? '/' : '';
  return (absolute ? `/${p}` : p) + trailing;
}

describe('relativeWithin', () => {
  const general = (from: string, to: string): string | undefined => {
    const rel = relative(from, to);
    return rel.startsWith('..') ? undefined : rel;
  };

  it('gives what relative gives, undefined where that starts with ..', () => {
    const r = rng(13);
    const pairs: [string, string][] = [
      ['/', '/'],
      ['/', '/a'],
      ['/a', '/a'],
      ['/a', '/ab'],
      ['/a', '/a/b'],
      ['/a', '/a/..b/c'],
      ['/a/b', '/a'],
      ['/a', '/b'],
      ['/a/', '/a/b'],
      ['/a//b', '/a/b/c'],
      ['/a/./b', '/a/b/c'],
    ];
    for (let i = 0; i < 5000; i++) {
      const from = path(r, r() < 0.9);
      // Often below `from`, as in a run.
      const to = r() < 0.6 ? `${from}/${path(r, false)}` : path(r, r() < 0.9);
      pairs.push([from, to]);
    }
    for (const [from, to] of pairs) expect(relativeWithin(from, to), `${from} -> ${to}`).toBe(general(from, to));
  });

  it('makes the display paths relative to cwd, absolute outside it', () => {
    const general = (cwd: string, abs: string): string => {
      const rel = relative(cwd, abs);
      const p = rel === '' ? '.' : rel.startsWith('..') ? abs : rel;
      return p.split(sep).join('/');
    };
    const r = rng(7);
    for (let i = 0; i < 3000; i++) {
      const cwd = path(r, true);
      const abs = r() < 0.7 ? `${cwd}/${path(r, false)}` : path(r, true);
      expect(displayPath(cwd, abs), `${cwd} : ${abs}`).toBe(general(cwd, abs));
    }
  });
});

describe('detectRole reads words through a map', () => {
  // The reading it replaced (an object of words, read through map/find): the reference for every other path.
  const WORDS: Record<string, Exclude<FileRole, 'production'>> = {
    test: 'test', tests: 'test', testing: 'test', testdata: 'test', e2e: 'test', integration: 'test', cypress: 'test',
    playwright: 'test', fixture: 'test', fixtures: 'test', bench: 'test', benchmark: 'test', benchmarks: 'test',
    ci: 'ci', circleci: 'ci', github: 'ci', gitlab: 'ci', buildkite: 'ci',
    dev: 'dev', devel: 'dev', development: 'dev', devcontainer: 'dev', devenv: 'dev', tools: 'dev', tooling: 'dev',
  };
  const EXAMPLES = new Set(['example', 'examples', 'sample', 'samples']);
  const words = (segment: string): string[] => segment.toLowerCase().split(/[._-]+/).filter(Boolean);
  const own = (w: string) => (Object.prototype.hasOwnProperty.call(WORDS, w) ? WORDS[w] : undefined);
  function reference(path: string): RoleDecision {
    const segments = path.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
    const name = segments.pop();
    if (name !== undefined) {
      const role = words(name).map(own).find((r) => r !== undefined);
      if (role) return { role, why: `file name \`${name}\`` };
    }
    let inExamples = false;
    for (const seg of segments.reverse()) {
      const ws = words(seg);
      if (ws.some((w) => EXAMPLES.has(w))) inExamples = true;
      const role = ws.map(own).find((r) => r !== undefined && !(r === 'dev' && inExamples));
      if (role) return { role, why: `path segment \`${seg}/\`` };
    }
    return { role: 'production', why: 'default' };
  }

  it('gives the same decision on generated paths', () => {
    const r = rng(29);
    for (let i = 0; i < 5000; i++) {
      const p = path(r, r() < 0.3);
      expect(detectRole(p), p).toEqual(reference(p));
    }
  });

  it('takes no role from words that are properties of every object', () => {
    for (const p of ['constructor/compose.yaml', 'x/toString/Dockerfile', 'Dockerfile.constructor', '__proto__/valueOf.yml', 'hasOwnProperty-dev/compose.yaml']) {
      expect(detectRole(p).role, p).toBe(p.includes('-dev') ? 'dev' : 'production');
    }
  });
});
