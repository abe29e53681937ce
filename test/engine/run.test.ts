import { describe, expect, it } from 'vitest';
import { applyFixes, offsetBefore, order } from '../../src/engine/edits.js';
import { processText, type EnabledCodemod } from '../../src/engine/run.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import { isMap } from 'yaml';
import { insertPair } from '../../src/compose/insert.js';
import { rangeOf } from '../../src/compose/scalars.js';
import { services } from '../../src/compose/services.js';
import { fix } from '../../src/engine/edits.js';
import type { Codemod, FileKind, ParsedCompose } from '../../src/engine/types.js';
import { insertOnce, replaceAll, reportOnly, throwing } from '../support/test-codemods.js';
import { mergeInsertions } from '../../src/compose/hardening.js';
import { composeDropCapabilities } from '../../codemods/compose-drop-capabilities.js';
import { composeLogLimits } from '../../codemods/compose-log-limits.js';
import { composeNoNewPrivileges } from '../../codemods/compose-no-new-privileges.js';
import { composeReadOnly } from '../../codemods/compose-read-only.js';
import { composeResourceLimits } from '../../codemods/compose-resource-limits.js';
import { loadCases, runCase } from '../support/fixtures.js';

function run(kind: FileKind, text: string, codemods: Codemod[], opts: { unsafe?: boolean; check?: boolean } = {}) {
  const enabled: EnabledCodemod[] = codemods.map((codemod) => ({ codemod, options: {} }));
  return processText(kind, kind === 'dockerfile' ? 'Dockerfile' : 'compose.yaml', text, {
    codemods: enabled,
    allowed: opts.unsafe ? 'unsafe' : 'safe',
    applyFixes: !opts.check,
    global: {},
    answers: new AnswerStore(),
  });
}

describe('applyFixes', () => {
  it('applies non-overlapping fixes and defers touching or overlapping ones', () => {
    const text = 'abcdef';
    const r = applyFixes(text, [
      { title: 'a', safety: 'safe', edits: [{ start: 0, end: 1, text: 'A' }] },
      { title: 'b', safety: 'safe', edits: [{ start: 1, end: 2, text: 'B' }] }, // touches the first: deferred
      { title: 'e', safety: 'safe', edits: [{ start: 4, end: 5, text: 'E' }] },
    ]);
    expect(r.output).toBe('AbcdEf');
    expect(r.applied).toEqual([0, 2]);
  });
  it('applies a multi-edit fix whole or not at all', () => {
    const r = applyFixes('0123456789', [
      { title: 'x', safety: 'safe', edits: [{ start: 5, end: 6, text: 'X' }] },
      { title: 'pair', safety: 'safe', edits: [{ start: 0, end: 1, text: 'P' }, { start: 5, end: 5, text: '!' }] },
    ]);
    expect(r.output).toBe('01234X6789');
    expect(r.applied).toEqual([0]);
  });
  it('ignores malformed fixes (out of range, self-overlapping)', () => {
    const r = applyFixes('abc', [
      { title: 'bad', safety: 'safe', edits: [{ start: 2, end: 9, text: 'x' }] },
      { title: 'self', safety: 'safe', edits: [{ start: 0, end: 2, text: 'x' }, { start: 1, end: 2, text: 'y' }] },
    ]);
    expect(r.output).toBe('abc');
    expect(r.applied).toEqual([]);
  });
});

describe('processFile passes', () => {
  it('runs fixes that insert at the same offset in later passes, in codemod order', async () => {
    const a = insertOnce('a-insert', (t) => t.length, 'LABEL a=1\n');
    const b = insertOnce('b-insert', (t) => t.length, 'LABEL b=2\n');
    const r = await run('dockerfile', 'FROM x\n', [a, b]);
    expect(r.error).toBeUndefined();
    expect(r.after).toBe('FROM x\nLABEL a=1\nLABEL b=2\n');
    expect(r.applied.map((f) => f.codemodId)).toEqual(['a-insert', 'b-insert']);
  });

  it('detects a cycle, reports it and leaves the file unchanged', async () => {
    const r = await run('dockerfile', 'FROM x\nLABEL v=1\n', [replaceAll('one-two', 'v=1', 'v=2'), replaceAll('two-one', 'v=2', 'v=1')]);
    expect(r.error?.message).toMatch(/circular fixes/);
    expect(r.after).toBe(r.before);
  });

  it('reverts a file whose fixed output no longer parses and names the codemod', async () => {
    const r = await run('compose', 'services:\n  web:\n    image: nginx\n', [replaceAll('breaks-yaml', 'image: nginx', 'image: [nginx')]);
    expect(r.error?.message).toMatch(/breaks-yaml produced output that no longer parses/);
    expect(r.after).toBe(r.before);
  });

  it('turns a crashing codemod into a file error naming it', async () => {
    const r = await run('dockerfile', 'FROM x\n', [throwing('explodes')]);
    expect(r.error).toMatchObject({ codemodId: 'explodes' });
    expect(r.error?.message).toContain('boom');
    expect(r.after).toBe(r.before);
  });

  it('fails the file loudly, naming the codemod, when a fix has malformed edits (never reported as applied)', async () => {
    const bad = (id: string, edits: { start: number; end: number; text: string }[]): Codemod => ({
      id,
      fileKinds: ['dockerfile'],
      summary: 'bad edits',
      safety: 'safe',
      docs: 'test',
      run(ctx) {
        ctx.report({ range: { start: 0, end: 4 }, message: 'x', fix: { title: 'broken', safety: 'safe', edits } });
      },
    });
    for (const [edits, why] of [
      [[{ start: 0, end: 99, text: 'y' }], /outside the text \(0\.\.7\)/],
      [[{ start: 0, end: 3, text: 'a' }, { start: 2, end: 4, text: 'b' }], /overlaps another edit/],
      [[], /no edits/],
    ] as const) {
      for (const check of [false, true]) {
        const r = await run('dockerfile', 'FROM x\n', [bad('bad-edits', [...edits])], { check });
        expect(r.error).toMatchObject({ codemodId: 'bad-edits' });
        expect(r.error?.message).toMatch(/codemod bad-edits failed: its fix 'broken' has malformed edits/);
        expect(r.error?.message).toMatch(why);
        expect(r.applied).toEqual([]);
        expect(r.after).toBe(r.before);
      }
    }
  });

  it('holds unsafe fixes back unless allowed, and counts them', async () => {
    const unsafe = replaceAll('risky', 'FROM x', 'FROM y', { safety: 'unsafe' });
    const held = await run('dockerfile', 'FROM x\n', [unsafe]);
    expect(held.after).toBe('FROM x\n');
    expect(held.heldBack).toBe(1);
    expect(held.findings[0]?.fixStatus).toBe('held-back');
    const applied = await run('dockerfile', 'FROM x\n', [unsafe], { unsafe: true });
    expect(applied.after).toBe('FROM y\n');
    expect(applied.heldBack).toBe(0);
  });

  it('never lets a fix claim to be safer than its codemod', async () => {
    const lying: Codemod = { ...replaceAll('liar', 'FROM x', 'FROM y', { safety: 'safe' }), safety: 'unsafe' };
    const r = await run('dockerfile', 'FROM x\n', [lying]);
    expect(r.after).toBe('FROM x\n');
    expect(r.findings[0]?.fix?.safety).toBe('unsafe');
  });

  it('never applies manual advice; check mode applies nothing and marks fixable findings', async () => {
    const r = await run('dockerfile', 'FROM x\n', [reportOnly('advice', 'FROM'), replaceAll('fixer', 'FROM x', 'FROM y')], { check: true });
    expect(r.after).toBe('FROM x\n');
    expect(r.findings.map((f) => [f.codemodId, f.fixStatus, f.line, f.column])).toEqual([
      ['advice', 'none', 1, 1],
      ['fixer', 'fixable', 1, 1],
    ]);
  });

  it('reports findings left after fixing from the final pass only', async () => {
    const r = await run('dockerfile', 'FROM x\n', [reportOnly('advice', 'FROM'), replaceAll('fixer', 'FROM x', 'FROM y')]);
    expect(r.applied).toHaveLength(1);
    expect(r.findings.map((f) => f.codemodId)).toEqual(['advice']);
  });
});

describe('preservation (engine splices only the edited bytes)', () => {
  const swap = replaceAll('swap', 'nginx:1', 'nginx:2');
  it.each([
    ['BOM', '\uFEFFservices:\n  web:\n    image: nginx:1\n'],
    ['CRLF', 'services:\r\n  web:\r\n    # keep me\r\n    image: nginx:1\r\n'],
    ['no trailing newline', 'services:\n  web:\n    image: nginx:1'],
    ['anchors and merge keys', 'x-base: &base\n  image: nginx:1\nservices:\n  a:\n    <<: *base\n  b: *base\n'],
    ['flow style and quoting', "services: { web: { image: 'nginx:1', ports: [\"80:80\"] } }\n"],
  ])('compose with %s', async (_name, input) => {
    const r = await run('compose', input, [swap]);
    expect(r.after).toBe(input.replace('nginx:1', 'nginx:2'));
    const again = await run('compose', r.after, [swap]);
    expect(again.after).toBe(r.after);
  });
  it.each([
    ['escape directive and continuations', '# escape=`\nFROM nginx:1\nRUN echo a `\n  && echo b\n'],
    ['CRLF and comments', '# syntax=docker/dockerfile:1\r\n# comment\r\nFROM nginx:1 AS base\r\n\r\nRUN true\r\n'],
    ['BOM', '\uFEFFFROM nginx:1\n'],
  ])('Dockerfile with %s', async (_name, input) => {
    const r = await run('dockerfile', input, [swap]);
    expect(r.after).toBe(input.replace('nginx:1', 'nginx:2'));
  });
});

describe('suppression comments', () => {
  const fixer = replaceAll('swap', 'nginx:1', 'nginx:2');
  it('honours # harden-ignore on the line before (and through a comment block), by id or all', async () => {
    const input = 'FROM nginx:1\n# harden-ignore swap reason: vendor pin\nFROM nginx:1 AS b\n# harden-ignore all\n# another comment\nFROM nginx:1 AS c\n';
    const r = await run('dockerfile', input, [fixer]);
    expect(r.after).toBe(input.replace('nginx:1', 'nginx:2'));
    expect(r.suppressed).toBe(2);
  });
  it('anchors Dockerfile suppressions on the instruction, even for findings on continuation lines', async () => {
    const input = '# harden-ignore swap\nRUN echo \\\n  nginx:1\n';
    expect((await run('dockerfile', input, [fixer])).after).toBe(input);
  });
  it('ignores comments for other ids', async () => {
    const input = '# harden-ignore other-id\nFROM nginx:1\n';
    expect((await run('dockerfile', input, [fixer])).after).toBe('# harden-ignore other-id\nFROM nginx:2\n');
  });
  it('honours # harden-ignore-file anywhere, and trailing comments in compose', async () => {
    expect((await run('dockerfile', 'FROM nginx:1\n# harden-ignore-file swap\n', [fixer])).after).toBe('FROM nginx:1\n# harden-ignore-file swap\n');
    const compose = 'services:\n  a:\n    image: nginx:1 # harden-ignore swap\n  b:\n    image: nginx:1\n';
    expect((await run('compose', compose, [fixer])).after).toBe(
      'services:\n  a:\n    image: nginx:1 # harden-ignore swap\n  b:\n    image: nginx:2\n',
    );
  });
});

describe('finding positions after earlier passes', () => {
  it('offsetBefore maps offsets after edits back to the text before them', () => {
    const edits = [
      { start: 2, end: 2, text: 'XYZ' }, // insertion
      { start: 5, end: 7, text: 'q' }, // replacement shrinking by one
    ];
    // before: 0123456789 → after: 01XYZ234q789
    expect(offsetBefore(edits, 1)).toBe(1);
    expect(offsetBefore(edits, 2)).toBe(2);
    expect(offsetBefore(edits, 3)).toBe(2); // inside the insertion
    expect(offsetBefore(edits, 5)).toBe(2);
    expect(offsetBefore(edits, 7)).toBe(4);
    expect(offsetBefore(edits, 9, 'end')).toBe(7); // after the replacement
    expect(offsetBefore(edits, 8)).toBe(5); // the start of the replacement
    expect(offsetBefore(edits, 3, 'end')).toBe(2); // inside an insertion, either side is its point
    expect(offsetBefore(edits, 11)).toBe(9);
  });

  it('reports line and column in the file as read, not in the text an earlier pass produced', async () => {
    // pass 1 inserts two lines at the top; the manual finding on `# marker` comes from the final pass.
    const header = insertOnce('add-header', () => 0, '# one\n# two\n', '# one');
    const finder = reportOnly('see-marker', '# marker');
    const r = await run('dockerfile', 'FROM a\nRUN b\n# marker here\n', [header, finder]);
    expect(r.after).toBe('# one\n# two\nFROM a\nRUN b\n# marker here\n');
    const f = r.findings.find((x) => x.codemodId === 'see-marker');
    expect(f).toMatchObject({ line: 3, column: 1, endLine: 3, endColumn: 9 });
    const applied = r.applied.find((x) => x.codemodId === 'add-header');
    expect(applied).toMatchObject({ line: 1, column: 1 });
  });
});

describe('entries added to one mapping by different codemods', () => {
  /** Adds `key: value` at the end of every service (or of its `deploy:` with `nested`) that lacks it, through insertPair. */
  const adder = (id: string, key: string, value: string | boolean, nested = false): Codemod => ({
    id,
    fileKinds: ['compose'],
    summary: 'test',
    safety: 'safe',
    docs: 'test',
    run(ctx) {
      const file = ctx.file as ParsedCompose;
      for (const svc of services(file)) {
        const deploy = svc.node.get('deploy', true);
        const map = nested ? deploy : svc.node;
        if (!isMap(map) || map.has(key)) continue;
        ctx.report({ range: rangeOf(svc.keyNode), message: `${svc.name}: ${key}`, fix: fix(`add ${key}`, 'safe', [insertPair(file, svc.doc, map, key, value)]) });
      }
    },
  });
  const compose = 'services:\n  web:\n    image: nginx\n  db:\n    image: postgres\n    deploy:\n      replicas: 1\n';
  const passes = (r: { applied: { pass?: number }[] }) => Math.max(...r.applied.map((a) => a.pass ?? 0));

  it('go in one pass, in codemod order, with the output of one pass each', async () => {
    const r = await run('compose', compose, [adder('a-read-only', 'read_only', true), adder('b-init', 'init', true), adder('c-user', 'user', '1000')]);
    expect(r.error).toBeUndefined();
    expect(passes(r)).toBe(1); // it took 3 passes when touching insertions waited for the next pass
    expect(r.after).toBe(
      'services:\n  web:\n    image: nginx\n    read_only: true\n    init: true\n    user: "1000"\n  db:\n    image: postgres\n    deploy:\n      replicas: 1\n    read_only: true\n    init: true\n    user: "1000"\n',
    );
  });

  it('the same key twice still waits for the next pass', async () => {
    const same = await run('compose', compose, [adder('a-init', 'init', true), adder('b-init', 'init', false)]);
    expect(same.applied.map((a) => a.codemodId)).toEqual(['a-init', 'a-init']);
    expect(same.after).not.toContain('init: false');
  });

  it('entries of a nested mapping ending at the same place go first, in the same pass, whichever codemod comes first', async () => {
    const nested = await run('compose', compose, [adder('a-read-only', 'read_only', true), adder('b-resources', 'resources', 'x', true)]);
    expect(passes(nested)).toBe(1); // 2 passes when the nested mapping's entry waited
    const reversed = await run('compose', compose, [adder('a-resources', 'resources', 'x', true), adder('b-read-only', 'read_only', true)]);
    expect(passes(reversed)).toBe(1);
    expect(reversed.after).toBe(nested.after);
    expect(nested.after).toBe(
      'services:\n  web:\n    image: nginx\n    read_only: true\n  db:\n    image: postgres\n    deploy:\n      replicas: 1\n      resources: x\n    read_only: true\n',
    );
  });

  it('mergeInsertions keeps `adds` when every insertion it merges adds other keys to the same mapping', () => {
    const at = (text: string, adds?: { to: number; keys: string[] }) => ({ start: 9, end: 9, text, ...(adds ? { adds } : {}) });
    expect(mergeInsertions([at('    a: 1\n', { to: 3, keys: ['a'] }), at('    b: 2\n', { to: 3, keys: ['b'] })])).toEqual([
      { start: 9, end: 9, text: '    a: 1\n    b: 2\n', adds: { to: 3, keys: ['a', 'b'] } },
    ]);
    expect(mergeInsertions([at('    a: 1\n', { to: 3, keys: ['a'] })])[0]?.adds).toEqual({ to: 3, keys: ['a'] });
    // Entries of a nested mapping ending there first: `from` names it, `keys` are the outer mapping's.
    // (a hint, not printed: such a merged edit printed no `adds`)
    const nested = mergeInsertions([at('    a: 1\n', { to: 3, keys: ['a'] }), at('      b: 2\n', { to: 5, keys: ['b'] })])[0];
    expect(nested).toEqual({ start: 9, end: 9, text: '      b: 2\n    a: 1\n' });
    expect(nested?.adds).toEqual({ to: 3, keys: ['a'], from: 5 });
    // An insertion that is no entry, or the same key twice: no `adds`.
    expect(mergeInsertions([at('    a: 1\n', { to: 3, keys: ['a'] }), at('      - x\n')])[0]?.adds).toBeUndefined();
    expect(mergeInsertions([at('    a: 1\n', { to: 3, keys: ['a'] }), at('    a: 2\n', { to: 3, keys: ['a'] })])[0]?.adds).toBeUndefined();
  });

  it('the compose hardening codemods add their keys to a service in one pass, as one pass each would', async () => {
    const all = [composeDropCapabilities, composeLogLimits, composeNoNewPrivileges, composeReadOnly, composeResourceLimits];
    const text = 'services:\n  db:\n    image: postgres:16\n  cache:\n    image: redis:7\n';
    const together = await run('compose', text, all, { unsafe: true });
    expect(together.error).toBeUndefined();
    expect(new Set(together.applied.map((a) => a.codemodId))).toEqual(new Set(all.map((c) => c.id)));
    expect(passes(together)).toBe(1); // 4 passes when merged insertions lost their `adds`
    let oneByOne = text;
    for (const c of all) oneByOne = (await run('compose', oneByOne, [c], { unsafe: true })).after;
    expect(together.after).toBe(oneByOne);
  });
});

describe('insertions at one place from different fixes', () => {
  /** An insertion at offset 20 adding `keys` to the mapping starting at `to`. */
  const entry = (to: number, keys: string[], more: { from?: number; after?: true } = {}, text = keys.join('')) => ({ start: 20, end: 20, text, adds: { to, keys, ...more } });

  it('orders them deeper collection first, then entries after an entry, then entries at the end in fix order', () => {
    // A mapping nested in another (starting later, ending at the same place): its entries first, whichever fix is first.
    expect(order(entry(5, ['a']), entry(10, ['b']))).toBe(1);
    expect(order(entry(10, ['b']), entry(5, ['a']))).toBe(-1);
    // One mapping: fix order, unless the later one goes right after an entry (`secrets:` after `environment:`).
    expect(order(entry(5, ['a']), entry(5, ['b']))).toBe(-1);
    expect(order(entry(5, ['a']), entry(5, ['b'], { after: true }))).toBe(1);
    expect(order(entry(5, ['b'], { after: true }), entry(5, ['a']))).toBe(-1);
    // A merged insertion (entries of the nested mapping, then of the outer one) goes before an outer-only one of a
    // later fix, not before one of an earlier fix (that would turn the outer mapping's fix order around).
    expect(order(entry(5, ['b'], { from: 10 }), entry(5, ['a']))).toBe(-1);
    expect(order(entry(5, ['a']), entry(5, ['b'], { from: 10 }))).toBe(0);
    expect(order(entry(10, ['c']), entry(5, ['b'], { from: 10 }))).toBe(-1);
  });

  it('still sends truly conflicting ones to the next pass', () => {
    expect(order(entry(5, ['a']), entry(5, ['a']))).toBe(0); // the same key twice
    expect(order(entry(5, ['a'], { after: true }), entry(5, ['b'], { after: true }))).toBe(0); // both right after one entry
    expect(order({ start: 20, end: 20, text: 'x' }, entry(5, ['a']))).toBe(0); // one does not say where it adds
    expect(order(entry(5, ['a']), { ...entry(5, ['b']), end: 21 })).toBe(0); // a replacement
    const r = applyFixes('0123456789012345678901234', [
      { title: 'a', safety: 'safe', edits: [entry(5, ['a'], {}, 'A')] },
      { title: 'b', safety: 'safe', edits: [entry(5, ['a'], {}, 'B')] }, // same key: waits
      { title: 'c', safety: 'safe', edits: [{ start: 18, end: 20, text: 'C' }] }, // touches: waits
      { title: 'd', safety: 'safe', edits: [entry(10, ['d'], {}, 'D')] }, // nested: first
      { title: 'e', safety: 'safe', edits: [entry(5, ['e'], { after: true }, 'E')] }, // after an entry: before `a`
    ]);
    expect(r.applied).toEqual([0, 3, 4]);
    expect(r.output).toBe('01234567890123456789DEA01234');
  });

  it('makes a shared edit once, and applies every fix carrying it in the same pass', () => {
    const block = { start: 0, end: 0, text: 'X', shared: true as const };
    const r = applyFixes('abcdef', [
      { title: 'a', safety: 'safe', edits: [block, { start: 2, end: 2, text: '1' }] },
      { title: 'b', safety: 'safe', edits: [{ ...block }, { start: 4, end: 4, text: '2' }] },
      { title: 'c', safety: 'safe', edits: [{ start: 0, end: 0, text: 'X' }] }, // the same text, not shared: waits
    ]);
    expect(r.applied).toEqual([0, 1]);
    expect(r.output).toBe('Xab1cd2ef');
  });

  const fixture = (codemod: string, name: string) => {
    const c = loadCases().find((x) => x.codemodId === codemod && x.name === name);
    if (!c) throw new Error(`no fixture ${codemod}/${name}`);
    return c;
  };
  const lastPass = (r: { applied: { pass?: number }[] }) => Math.max(...r.applied.map((a) => a.pass ?? 0));

  it('a shared x-logging block, each service\'s keys and a moved secret land in one pass (fixture compose-secrets/with-hardening-one-pass)', async () => {
    const c = fixture('compose-secrets', 'with-hardening-one-pass');
    const r = await runCase(c);
    expect(r.after).toBe(c.output);
    expect(new Set(r.applied.map((a) => a.codemodId))).toEqual(new Set(['compose-secrets', 'compose-log-limits', 'compose-resource-limits']));
    expect(lastPass(r)).toBe(1); // more when every service but the first waited for the shared block to be written
  });

  it('a service extending one that gets the shared block gets nothing of its own (fixture compose-log-limits/shared-extends)', async () => {
    const c = fixture('compose-log-limits', 'shared-extends');
    const r = await runCase(c);
    expect(r.after).toBe(c.output);
    expect(r.applied.map((a) => a.message.match(/`(\w+)`/)?.[1])).toEqual(['base', 'cache']);
    expect(lastPass(r)).toBe(1);
  });
});
