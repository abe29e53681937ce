import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, fix } from '../../src/api.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import { runProject, type ProjectFile, type RunProjectOptions } from '../../src/engine/project.js';
import type { EnabledCodemod } from '../../src/engine/run.js';
import type { Codemod, FileKind, LookupKey, ParsedCompose, ParsedFile, RunIndex } from '../../src/engine/types.js';
import { parseCompose } from '../../src/engine/parse.js';
import { services } from '../../src/compose/services.js';
import { services as envServices, envEntries } from '../../src/secrets/compose.js';
import { derived } from '../../src/engine/derive.js';
import { processFile } from '../../src/engine/run.js';
import { walkScalars } from '../../src/compose/walk.js';
import { indentStyle } from '../../src/compose/insert.js';
import { codemods as allCodemods } from '../../codemods/index.js';
import { isMap, type Scalar } from 'yaml';
import { scalarInFlow } from '../../src/compose/scalars.js';
import { anchorView } from '../../src/compose/anchors.js';

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

async function go(files: ProjectFile[], r: ReturnType<typeof recorder>, extra: Partial<Pick<RunProjectOptions, 'batchFiles' | 'keep' | 'together' | 'shared' | 'indexes'>> = {}) {
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
    // Its lookups read no answer, so once their keys are resolved they are not asked again.
    expect(r.seen.map((s) => s.phase)).toEqual(['lookups', 'run']);
    expect(objs.size).toBe(1);
  });

  it('asks lookups again only of files whose lookups read an answer that was not there yet', async () => {
    const asks: string[] = [];
    const follower: Codemod = {
      id: 'follower',
      fileKinds: ['dockerfile'],
      summary: 'asks for a second file once the first is answered',
      safety: 'safe',
      docs: '',
      lookups(f, _options, _global, answers) {
        asks.push(f.path);
        const first = { kind: 'file', path: `${f.absPath}.first` } as LookupKey;
        if (!f.path.includes('follows')) return [first];
        return answers.get(first) === undefined ? [first] : [first, { kind: 'file', path: `${f.absPath}.second` } as LookupKey];
      },
      run() {},
    };
    const r = { seen: [], enabled: [{ codemod: follower, options: {} }] as EnabledCodemod[] };
    const out = await go([file('/p/Dockerfile', 'dockerfile', 'FROM alpine\n'), file('/p/follows.Dockerfile', 'dockerfile', 'FROM alpine\n')], r);
    expect(asks).toEqual(['p/Dockerfile', 'p/follows.Dockerfile', 'p/follows.Dockerfile']);
    expect(out.asked.map((ks) => ks.map((k) => (k as { path: string }).path))).toEqual([
      ['/p/Dockerfile.first', '/p/follows.Dockerfile.first'],
      ['/p/follows.Dockerfile.second'],
    ]);
  });

  it('processes in bounded batches, compose files first, files kept together never apart, resolving each batch in one request', async () => {
    const r = recorder();
    const files = [
      file('/a/Dockerfile', 'dockerfile', 'FROM alpine\n'),
      file('/a/compose.yaml', 'compose', 'services:\n  web:\n    build: ../b\n'),
      file('/b/Dockerfile', 'dockerfile', 'FROM alpine\n'),
      file('/c/compose.yaml', 'compose', 'services:\n  x:\n    image: alpine\n'),
      file('/c/compose.override.yaml', 'compose', 'services:\n  x:\n    read_only: true\n'),
    ];
    const out = await go(files, r, { batchFiles: 1, keep: (f) => f.path === 'a/compose.yaml', together: (f) => (f.path.startsWith('c/') ? 'family' : undefined) });
    expect(out.results.map((x) => x.path)).toEqual(['a/compose.yaml', 'c/compose.yaml', 'c/compose.override.yaml', 'a/Dockerfile', 'b/Dockerfile']);
    // One resolver call per batch: /a compose, /c (both files of the directory together), /a Dockerfile, /b Dockerfile.
    expect(out.asked.map((keys) => keys.length)).toEqual([1, 2, 1, 1]);
    const projectOf = (p: string) => r.seen.find((s) => s.phase === 'run' && s.path === p)?.project;
    expect(projectOf('c/compose.override.yaml')).toEqual(['c/compose.yaml', 'c/compose.override.yaml', 'a/compose.yaml']);
    // A kept file stays visible to later batches; the others are dropped once processed.
    expect(projectOf('b/Dockerfile')).toEqual(['b/Dockerfile', 'a/compose.yaml']);
  });

  it('cuts a large directory into batches of at most batchFiles files, a together group where its first file is', async () => {
    const r = recorder();
    const files = [
      ...['1', '2', '3', '4', '5'].map((n) => file(`/d/Dockerfile.${n}`, 'dockerfile', 'FROM alpine\n')),
      file('/d/compose.yaml', 'compose', 'services:\n  x:\n    image: alpine\n'),
      file('/d/other.yaml', 'compose', 'services:\n  y:\n    image: alpine\n'),
      file('/d/compose.prod.yaml', 'compose', 'services:\n  x:\n    read_only: true\n'),
    ];
    const out = await go(files, r, { batchFiles: 2, together: (f) => (/compose/.test(f.path) ? 'family' : undefined) });
    // compose.yaml and compose.prod.yaml together (at compose.yaml's place), other.yaml alone; Dockerfiles two by two.
    expect(out.asked.map((keys) => keys.map((k) => (k as { path: string }).path.replace(/^\/d\/|\.other$/g, '')))).toEqual([
      ['compose.yaml', 'compose.prod.yaml'],
      ['other.yaml'],
      ['Dockerfile.1', 'Dockerfile.2'],
      ['Dockerfile.3', 'Dockerfile.4'],
      ['Dockerfile.5'],
    ]);
    expect(out.results.map((x) => x.path)).toEqual(['d/compose.yaml', 'd/compose.prod.yaml', 'd/other.yaml', 'd/Dockerfile.1', 'd/Dockerfile.2', 'd/Dockerfile.3', 'd/Dockerfile.4', 'd/Dockerfile.5']);
    const projectOf = (p: string) => r.seen.find((s) => s.phase === 'run' && s.path === p)?.project;
    expect(projectOf('d/Dockerfile.3')).toEqual(['d/Dockerfile.3', 'd/Dockerfile.4']);
  });

  it('gives every batch the run index entries of every file and the shared files, each parsed once', async () => {
    const parsedFor = new Map<string, ParsedFile[]>();
    const names: RunIndex<string> = {
      id: 'names',
      kinds: ['compose'],
      mayHave: (text) => text.includes('image:'),
      entries(f) {
        parsedFor.set(f.path, [...(parsedFor.get(f.path) ?? []), f]);
        return services(f as never).map((s) => `${f.path}:${s.name}`);
      },
    };
    const seen: Record<string, { indexed: readonly string[]; files: string[] }> = {};
    const codemod: Codemod = {
      id: 'reader',
      fileKinds: ['compose', 'kubernetes'],
      summary: 'reads the index',
      safety: 'safe',
      docs: '',
      run(ctx) {
        seen[ctx.file.path] = { indexed: ctx.project.indexed(names), files: ctx.project.files.map((f) => f.path) };
        parsedFor.set(`run ${ctx.file.path}`, [ctx.file]);
      },
    };
    const files = [
      file('/a/compose.yaml', 'compose', 'services:\n  web:\n    image: nginx\n'),
      file('/b/compose.yaml', 'compose', 'services:\n  partial:\n    read_only: true\n'),
      file('/c/compose.yaml', 'compose', 'services:\n  db:\n    image: postgres\n'),
      file('/k/kustomization.yaml', 'kubernetes', 'resources:\n  - ../a\n'),
    ];
    await go(files, { seen: [], enabled: [{ codemod, options: {} }] }, { batchFiles: 1, indexes: [names as RunIndex<unknown>], shared: { kubernetes: (t) => t.startsWith('resources:') } });
    // Every file, the first batch's included, sees the entries of files processed later, in the order given.
    for (const p of ['a/compose.yaml', 'b/compose.yaml', 'c/compose.yaml']) expect(seen[p]?.indexed).toEqual(['a/compose.yaml:web', 'c/compose.yaml:db']);
    // b/compose.yaml has no `image:`: not parsed for the index.
    expect(parsedFor.has('b/compose.yaml')).toBe(false);
    // The index's parse is the one the run uses (parsed once).
    expect(parsedFor.get('a/compose.yaml')).toEqual([parsedFor.get('run a/compose.yaml')?.[0]]);
    expect(parsedFor.get('a/compose.yaml')?.[0]).toBe(parsedFor.get('run a/compose.yaml')?.[0]);
    // The shared kustomization is visible to every batch, before its own.
    expect(seen['a/compose.yaml']?.files).toEqual(['a/compose.yaml', 'k/kustomization.yaml']);
    expect(seen['k/kustomization.yaml']?.files).toEqual(['k/kustomization.yaml']);
  });

  it('reads each file once: a file read before the first batch (for a run index) is not read again in its batch', async () => {
    const loads: string[] = [];
    const counted = (absPath: string, text: string): ProjectFile => {
      const f = file(absPath, 'compose', text);
      return { ...f, load: () => (loads.push(f.path), f.load()) };
    };
    const names: RunIndex<string> = { id: 'names', kinds: ['compose'], mayHave: (text) => text.includes('image:'), entries: () => ['x'] };
    const r = recorder();
    const files = [
      counted('/a/compose.yaml', 'services:\n  web:\n    image: nginx\n'),
      counted('/b/compose.yaml', 'services:\n  partial:\n    read_only: true\n'),
      counted('/c/compose.yaml', 'services: [\n'),
    ];
    const out = await go(files, r, { batchFiles: 1, indexes: [names as RunIndex<unknown>] });
    expect(loads).toEqual(['a/compose.yaml', 'b/compose.yaml', 'c/compose.yaml']);
    expect(out.results.map((x) => [x.path, x.error?.message.startsWith('invalid YAML') ?? false])).toEqual([
      ['a/compose.yaml', false],
      ['b/compose.yaml', false],
      ['c/compose.yaml', true],
    ]);
    expect(r.seen.filter((s) => s.phase === 'run').map((s) => s.path)).toEqual(['a/compose.yaml', 'b/compose.yaml']);
  });

  it('reports unreadable files as problems, in the order given, and parse errors as file errors', async () => {
    const r = recorder();
    const bad: ProjectFile = { path: 'x/Dockerfile', absPath: '/x/Dockerfile', kind: 'dockerfile', load: async () => ({ problem: 'not valid UTF-8 text' }) };
    const out = await go([bad, file('/y/compose.yaml', 'compose', 'services: [\n')], r);
    expect(out.problems).toEqual([{ path: 'x/Dockerfile', message: 'not valid UTF-8 text' }]);
    expect(out.results[0]?.error?.message).toMatch(/invalid YAML/);
  });
});

describe('batches through the API', () => {
  it('compose-resource-limits takes sizes stated in a file of a later batch (a directory of 70 compose files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harden-batches-'));
    try {
      const paths: string[] = [];
      for (let i = 0; i < 70; i++) {
        const p = join(dir, `stack${String(i).padStart(2, '0')}.yml`);
        writeFileSync(p, `services:\n  warehouse:\n    image: example/columnstore:24.3\n${i === 69 ? '    mem_limit: 6g\n' : ''}`);
        paths.push(p);
      }
      const r = await check({ paths, kind: 'compose', only: ['compose-resource-limits'], unsafe: true, resolver: { offline: true, noCache: true } });
      const first = r.files.find((f) => f.path.endsWith('stack00.yml'));
      expect(first?.findings.map((f) => f.message).join('\n')).toMatch(/stack69\.yml \(line 4\), where the repository states its sizes/);
      // The file stating them does not take them from itself.
      expect(r.files.find((f) => f.path.endsWith('stack69.yml'))?.findings.map((f) => f.message).join('\n') ?? '').not.toMatch(/stack69\.yml, where/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compose-resource-limits over two runs', () => {
  it('a second run does not read the defaults the first wrote as sizes the repository states', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harden-stated-'));
    try {
      // a.yml: a known image, so the first run writes the monitoring defaults; b.yml: a built service of the same name,
      // outside the knowledge base, which only takes sizes a repository states.
      const a = join(dir, 'a.yml');
      const b = join(dir, 'b.yml');
      writeFileSync(a, 'services:\n  grafana:\n    image: grafana/grafana:10.4.2\n');
      writeFileSync(b, 'services:\n  grafana:\n    build: ./grafana\n    image: example/dashboards:1\n');
      const run = () => fix({ paths: [a, b], kind: 'compose', only: ['compose-resource-limits'], unsafe: true, write: true, resolver: { offline: true, noCache: true } });
      const first = await run();
      expect(readFileSync(a, 'utf8')).toMatch(/pids_limit: 256/);
      expect(first.files.find((f) => f.path.endsWith('b.yml'))?.applied ?? []).toEqual([]);
      const bAfterFirst = readFileSync(b, 'utf8');
      const second = await run();
      expect(second.files.flatMap((f) => f.applied)).toEqual([]);
      expect(readFileSync(b, 'utf8')).toBe(bAfterFirst);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const CORPUS_COMPOSE = join(__dirname, '..', '..', '..', 'shared', 'corpus', 'compose');
  it.skipIf(!existsSync(CORPUS_COMPOSE))('a second run over the corpus compose files changes none (one directory: every size may be lent)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harden-stated-corpus-'));
    try {
      const names = readdirSync(CORPUS_COMPOSE).filter((n) => /\.ya?ml$/.test(n));
      for (const n of names) {
        copyFileSync(join(CORPUS_COMPOSE, n), join(dir, n));
        chmodSync(join(dir, n), 0o644);
      }
      const paths = names.map((n) => join(dir, n));
      const run = () => fix({ paths, kind: 'compose', only: ['compose-resource-limits'], unsafe: true, write: true, resolver: { offline: true, noCache: true } });
      const first = await run();
      // The first run lends sizes across files (the corpus is one directory), mixing them with defaults.
      expect(first.files.filter((f) => f.changed).length).toBeGreaterThan(150);
      expect(first.files.flatMap((f) => f.applied.map((a) => a.message)).filter((m) => m.includes('where the repository states its sizes')).length).toBeGreaterThan(40);
      const second = await run();
      expect(second.files.filter((f) => f.changed).map((f) => f.path)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('compose-resource-limits: sizes stay in their repository', () => {
  const warehouse = 'services:\n  warehouse:\n    image: example/columnstore:24.3\n';
  const stating = 'services:\n  warehouse:\n    image: example/columnstore:24.3\n    mem_limit: 6g\n';
  const messages = (r: Awaited<ReturnType<typeof check>>, end: string) => r.files.find((f) => f.path.endsWith(end))?.findings.map((f) => f.message).join('\n') ?? '';

  it('borrows sizes within one git work tree, never from another one run alongside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harden-repos-'));
    try {
      for (const repo of ['one', 'two']) mkdirSync(join(dir, repo, '.git'), { recursive: true });
      mkdirSync(join(dir, 'one', 'ci'));
      writeFileSync(join(dir, 'one', 'compose.yaml'), warehouse);
      writeFileSync(join(dir, 'one', 'ci', 'compose.yaml'), stating);
      writeFileSync(join(dir, 'two', 'compose.yaml'), warehouse);
      const paths = [join(dir, 'one', 'compose.yaml'), join(dir, 'one', 'ci', 'compose.yaml'), join(dir, 'two', 'compose.yaml')];
      const r = await check({ paths, kind: 'compose', only: ['compose-resource-limits'], unsafe: true, resolver: { offline: true, noCache: true } });
      // Within `one`: the size its CI file states, named with its line.
      expect(messages(r, join('one', 'compose.yaml'))).toMatch(/Added limits memory 6g \(from service `warehouse` of \S*one\/ci\/compose\.yaml \(line 4\), where the repository states its sizes\)/);
      // `two` is another repository: nothing is lent, the service gets the finding of a service with no evidence.
      expect(messages(r, join('two', 'compose.yaml'))).toMatch(/harden does not know what it needs/);
      expect(messages(r, join('two', 'compose.yaml'))).not.toMatch(/states its sizes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('outside any git work tree, borrows within one directory tree only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harden-trees-'));
    try {
      for (const d of ['app/ci', 'other']) mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, 'app', 'compose.yaml'), warehouse);
      writeFileSync(join(dir, 'app', 'ci', 'compose.yaml'), stating);
      writeFileSync(join(dir, 'other', 'compose.yaml'), warehouse);
      const paths = [join(dir, 'app', 'compose.yaml'), join(dir, 'app', 'ci', 'compose.yaml'), join(dir, 'other', 'compose.yaml')];
      const r = await check({ paths, kind: 'compose', only: ['compose-resource-limits'], unsafe: true, resolver: { offline: true, noCache: true } });
      expect(messages(r, join('app', 'compose.yaml'))).toMatch(/app\/ci\/compose\.yaml \(line 4\), where the repository states its sizes/);
      expect(messages(r, join('other', 'compose.yaml'))).not.toMatch(/states its sizes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lends a maintainer\'s size equal to a default, but not a block harden wrote from defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'harden-origin-'));
    try {
      // a.yml: the maintainer states one size, 1G (the queue and monitoring limit): harden would have written every
      // size it lacked, so this one is the maintainer's. b.yml: the whole monitoring block harden writes.
      writeFileSync(join(dir, 'a.yml'), 'services:\n  search:\n    build: ./search\n    deploy:\n      resources:\n        limits:\n          memory: 1G\n');
      writeFileSync(join(dir, 'b.yml'), 'services:\n  grafana:\n    image: grafana/grafana:10.4.2\n    deploy:\n      resources:\n        limits:\n          cpus: "1"\n          memory: 1G\n        reservations:\n          cpus: "0.25"\n          memory: 128M\n    pids_limit: 256\n');
      writeFileSync(join(dir, 'c.yml'), 'services:\n  search:\n    image: example/search:1\n  grafana:\n    image: example/dashboards:1\n');
      const paths = ['a.yml', 'b.yml', 'c.yml'].map((n) => join(dir, n));
      const r = await check({ paths, kind: 'compose', only: ['compose-resource-limits'], unsafe: true, resolver: { offline: true, noCache: true } });
      const c = messages(r, 'c.yml');
      expect(c).toMatch(/Service `search` has incomplete resource limits\. Added limits memory 1G \(from service `search` of \S*a\.yml \(line 7\)/);
      expect(c).toMatch(/Service `grafana` has no resource limits, and harden does not know what it needs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

  it("every compose codemod together walks a file's services once per parse, through the shared views", async () => {
    const text = [
      'services:',
      '  web:',
      '    build: .',
      '    image: nginx:1.25',
      '    ports: ["8080:80"]',
      '    environment:',
      '      DB_PASSWORD: hunter2',
      '    depends_on: [db]',
      '  db:',
      '    image: postgres:16',
      '    environment:',
      '      - POSTGRES_PASSWORD=${PG_PASSWORD:-postgres}',
      '',
    ].join('\n');
    /** Counts every iteration of the `services:` mapping's entries (for…of, find, some, map…). */
    const counted = (parsed: ParsedCompose): (() => number) => {
      const root = parsed.docs[0]?.contents;
      const sm = isMap(root) ? root.get('services', true) : undefined;
      if (!isMap(sm)) throw new Error('no services mapping');
      let walks = 0;
      const iterating = new Set<string | symbol>([Symbol.iterator, 'forEach', 'find', 'findIndex', 'some', 'every', 'map', 'flatMap', 'filter', 'reduce', 'indexOf', 'includes']);
      sm.items = new Proxy(sm.items, {
        get(target, key, receiver) {
          if (iterating.has(key)) walks++;
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      return () => walks;
    };
    const a = parseCompose('compose.yaml', '/p/compose.yaml', text);
    const walks = counted(a);
    const doc = a.docs[0];
    if (!doc) throw new Error('no document');
    // The services view walks it once; four whole-document views (every scalar, the indentation style, the scalars
    // inside flow collections, the anchors and aliases) pass through it once each. All five are kept per parse.
    services(a);
    expect(walks()).toBe(1);
    let first: Scalar | undefined;
    walkScalars(doc, (v) => (first ??= v.node));
    indentStyle(a.text, doc);
    if (first) scalarInFlow(a, first);
    anchorView(doc);
    expect(walks()).toBe(5);
    // Every compose codemod, lookups and fixes included, walks it no more: each reads those views.
    const compose = allCodemods.filter((c) => c.fileKinds.includes('compose'));
    expect(compose.length).toBeGreaterThan(10);
    const project = { files: [], byAbsPath: () => undefined, indexed: () => [] };
    for (const allowed of ['safe', 'unsafe'] as const) {
      const r = await processFile(
        { kind: 'compose', path: 'compose.yaml', absPath: '/p/compose.yaml', text, bom: false, parsed: a },
        { codemods: compose.map((codemod) => ({ codemod, options: codemod.defaultOptions ?? {} })), allowed, applyFixes: false, global: {}, answers: new AnswerStore(), project },
      );
      expect(r.error).toBeUndefined();
      expect(r.findings.length).toBeGreaterThan(5);
    }
    expect(walks()).toBe(5);
    // A new parse (a later pass's) gets its own views.
    const b = parseCompose('compose.yaml', '/p/compose.yaml', text);
    const walksB = counted(b);
    services(b);
    expect(walksB()).toBe(1);
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
