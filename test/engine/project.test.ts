import { describe, expect, it } from 'vitest';
import { AnswerStore } from '../../src/engine/lookups.js';
import { runProject, type ProjectFile } from '../../src/engine/project.js';
import type { EnabledCodemod } from '../../src/engine/run.js';
import type { Codemod, FileKind, LookupKey, ParsedFile } from '../../src/engine/types.js';
import { parseCompose } from '../../src/engine/parse.js';
import { services } from '../../src/compose/services.js';
import { services as envServices, envEntries } from '../../src/secrets/compose.js';
import { derived } from '../../src/engine/derive.js';

const file = (absPath: string, kind: FileKind, text: string): ProjectFile => ({
  path: absPath.slice(1),
  absPath,
  kind,
  load: async () => ({ text, bom: false }),
});

/** A codemod recording what it was given: the parsed objects of its lookups and runs, and the project it saw. */
function recorder() {
  const seen: { phase: 'lookups' | 'run'; path: string; parsed: ParsedFile; project?: string[] }[] = [];
  const codemod: Codemod = {
    id: 'recorder',
    fileKinds: ['dockerfile', 'compose'],
    summary: 'records',
    safety: 'safe',
    docs: '',
    lookups(f) {
      seen.push({ phase: 'lookups', path: f.path, parsed: f });
      return [{ kind: 'file', path: `${f.absPath}.other` } as LookupKey];
    },
    run(ctx) {
      seen.push({ phase: 'run', path: ctx.file.path, parsed: ctx.file, project: ctx.project.files.map((f) => f.path) });
    },
  };
  return { seen, enabled: [{ codemod, options: {} }] as EnabledCodemod[] };
}

async function go(files: ProjectFile[], r: ReturnType<typeof recorder>, extra: { batchFiles?: number; keep?: (f: ParsedFile) => boolean } = {}) {
  const answers = new AnswerStore();
  const asked: LookupKey[][] = [];
  const out = await runProject(files, {
    codemodsFor: () => r.enabled,
    allowed: 'safe',
    applyFixes: false,
    global: {},
    answers,
    resolve: async (keys) => {
      asked.push([...keys]);
      for (const k of keys) answers.set(k, { ok: { exists: false } });
    },
    ...extra,
  });
  return { ...out, asked };
}

describe('runProject', () => {
  it('hands codemods the parse made when the file was read, in lookups and in the run', async () => {
    const r = recorder();
    await go([file('/p/Dockerfile', 'dockerfile', 'FROM alpine\n')], r);
    const objs = new Set(r.seen.map((s) => s.parsed));
    expect(r.seen.map((s) => s.phase)).toEqual(['lookups', 'lookups', 'run']);
    expect(objs.size).toBe(1);
  });

  it('processes in batches of whole directories, compose files first, resolving each batch in one request', async () => {
    const r = recorder();
    const files = [
      file('/a/Dockerfile', 'dockerfile', 'FROM alpine\n'),
      file('/a/compose.yaml', 'compose', 'services:\n  web:\n    build: ../b\n'),
      file('/b/Dockerfile', 'dockerfile', 'FROM alpine\n'),
      file('/c/compose.yaml', 'compose', 'services:\n  x:\n    image: alpine\n'),
      file('/c/compose.override.yaml', 'compose', 'services:\n  x:\n    read_only: true\n'),
    ];
    const out = await go(files, r, { batchFiles: 1, keep: (f) => f.path === 'a/compose.yaml' });
    expect(out.results.map((x) => x.path)).toEqual(['a/compose.yaml', 'c/compose.yaml', 'c/compose.override.yaml', 'a/Dockerfile', 'b/Dockerfile']);
    // One resolver call per batch: /a compose, /c (both files of the directory together), /a Dockerfile, /b Dockerfile.
    expect(out.asked.map((keys) => keys.length)).toEqual([1, 2, 1, 1]);
    const projectOf = (p: string) => r.seen.find((s) => s.phase === 'run' && s.path === p)?.project;
    expect(projectOf('c/compose.override.yaml')).toEqual(['c/compose.yaml', 'c/compose.override.yaml', 'a/compose.yaml']);
    // A kept file stays visible to later batches; the others are dropped once processed.
    expect(projectOf('b/Dockerfile')).toEqual(['b/Dockerfile', 'a/compose.yaml']);
  });

  it('reports unreadable files as problems, in the order given, and parse errors as file errors', async () => {
    const r = recorder();
    const bad: ProjectFile = { path: 'x/Dockerfile', absPath: '/x/Dockerfile', kind: 'dockerfile', load: async () => ({ problem: 'not valid UTF-8 text' }) };
    const out = await go([bad, file('/y/compose.yaml', 'compose', 'services: [\n')], r);
    expect(out.problems).toEqual([{ path: 'x/Dockerfile', message: 'not valid UTF-8 text' }]);
    expect(out.results[0]?.error?.message).toMatch(/invalid YAML/);
  });
});

describe('derived views', () => {
  it('are computed once per parse and recomputed for a new parse', () => {
    const text = 'services:\n  web:\n    image: nginx\n    environment:\n      A: "1"\n';
    const a = parseCompose('compose.yaml', '/p/compose.yaml', text);
    const b = parseCompose('compose.yaml', '/p/compose.yaml', text);
    expect(services(a)).toBe(services(a));
    expect(services(b)).not.toBe(services(a));
    expect(services(b)).toHaveLength(1);
    const doc = a.docs[0];
    if (!doc) throw new Error('no document');
    expect(envServices(a, doc)).toBe(envServices(a, doc));
    const env = envServices(a, doc)[0]?.envPair?.value;
    expect(envEntries(env)).toBe(envEntries(env));
    expect(envEntries(env).map((e) => e.name)).toEqual(['A']);
  });

  it('derived() calls the function once per object', () => {
    let calls = 0;
    const f = derived((o: { n: number }) => {
      calls++;
      return o.n * 2;
    });
    const o = { n: 2 };
    expect([f(o), f(o), f({ n: 3 })]).toEqual([4, 4, 6]);
    expect(calls).toBe(2);
  });
});
