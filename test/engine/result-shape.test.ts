/**
 * Results and findings are built field by field (not by spreading the report into a literal): their fields, values and
 * order are still those of the spread they replace: the report's own fields first (a field the engine sets that the
 * report already has keeps its place), then the engine's. JSON output and the SARIF built from it depend on the order.
 */
import { describe, expect, it } from 'vitest';
import { AnswerStore } from '../../src/engine/lookups.js';
import { processText, type EnabledCodemod } from '../../src/engine/run.js';
import { fix, replace } from '../../src/engine/edits.js';
import type { Codemod, FileKind, Finding, Report } from '../../src/engine/types.js';

const docs = '## What it does\ntest\n## Why\ntest\n## Example\ntest\n## Fix safety\ntest\n';

/** Reports every `x` with the report made by `make` (the range filled in). */
function reporting(id: string, make: (range: { start: number; end: number }) => Omit<Report, 'range'>, safety: Codemod['safety'] = 'safe'): Codemod {
  return {
    id,
    fileKinds: ['dockerfile', 'compose'],
    summary: id,
    safety,
    docs,
    run(ctx) {
      for (let i = ctx.file.text.indexOf('x'); i >= 0; i = ctx.file.text.indexOf('x', i + 1)) {
        const range = { start: i, end: i + 1 };
        ctx.report({ range, ...make(range) } as Report);
      }
    },
  };
}

function run(kind: FileKind, text: string, codemods: Codemod[], opts: { unsafe?: boolean; check?: boolean; role?: boolean } = {}) {
  const enabled: EnabledCodemod[] = codemods.map((codemod) => ({ codemod, options: {} }));
  return processText(kind, kind === 'dockerfile' ? 'Dockerfile' : 'compose.yaml', text, {
    codemods: enabled,
    allowed: opts.unsafe ? 'unsafe' : 'safe',
    applyFixes: !opts.check,
    global: {},
    answers: new AnswerStore(),
  });
}

/** The finding as the spread built it. */
function spreadFinding(report: Report, extra: Omit<Finding, keyof Report> & Partial<Pick<Finding, 'fix' | 'severity'>>): Finding {
  const { fix: fixed, ...rest } = extra;
  return { ...report, ...(fixed ? { fix: fixed } : {}), ...rest } as Finding;
}

describe('result and finding fields', () => {
  it('a finding: the report’s fields first, severity and fix in the report’s place when it has them', async () => {
    const cm = [
      reporting('a-plain', () => ({ message: 'plain' })),
      reporting('b-severity', () => ({ severity: 'error', message: 'sev', data: { n: 1 } })),
      reporting('c-fix', (range) => ({ fix: fix('t', 'unsafe', [replace(range, 'y')]), message: 'fixable' }), 'safe'),
    ];
    const r = await run('dockerfile', 'FROM x\n', cm, { check: true });
    expect(r.findings).toHaveLength(3);
    const [a, b, c] = r.findings as [Finding, Finding, Finding];
    const range = { start: 5, end: 6 };
    const engine = { codemodId: 'a-plain', path: 'Dockerfile', severity: 'warning', line: 1, column: 6, endLine: 1, endColumn: 7, fixStatus: 'none' } as const;
    expect(JSON.stringify(a)).toBe(JSON.stringify(spreadFinding({ range, message: 'plain' }, engine)));
    expect(Object.keys(b)).toEqual(['range', 'severity', 'message', 'data', 'codemodId', 'path', 'line', 'column', 'endLine', 'endColumn', 'fixStatus']);
    expect(b.severity).toBe('error');
    expect(Object.keys(c)).toEqual(['range', 'fix', 'message', 'codemodId', 'path', 'severity', 'line', 'column', 'endLine', 'endColumn', 'fixStatus']);
    expect(c.fix?.safety).toBe('unsafe');
    expect(c.fixStatus).toBe('held-back');
  });

  it('a result: path, absPath, kind, before, after, changed, applied, findings, heldBack, suppressed, ignoreNotes', async () => {
    const r = await run('dockerfile', 'FROM x\n', [reporting('a-fix', (range) => ({ message: 'm', fix: fix('t', 'safe', [replace(range, 'y')]) }))]);
    expect(Object.keys(r)).toEqual(['path', 'absPath', 'kind', 'before', 'after', 'changed', 'applied', 'findings', 'heldBack', 'suppressed', 'ignoreNotes']);
    expect(r.after).toBe('FROM y\n');
    expect(r.changed).toBe(true);
    expect(Object.keys(r.applied[0] as Finding)).toEqual(['range', 'message', 'fix', 'codemodId', 'path', 'severity', 'line', 'column', 'endLine', 'endColumn', 'fixStatus', 'pass']);
    expect(r.applied[0]?.pass).toBe(1);
  });

  it('a failed file: the same fields with error last, no ignoreNotes', async () => {
    const boom: Codemod = { id: 'boom', fileKinds: ['dockerfile'], summary: 'b', safety: 'safe', docs, run: () => { throw new Error('no'); } };
    const r = await run('dockerfile', 'FROM x\n', [boom]);
    expect(Object.keys(r)).toEqual(['path', 'absPath', 'kind', 'before', 'after', 'changed', 'applied', 'findings', 'heldBack', 'suppressed', 'error']);
    expect(r.changed).toBe(false);
    expect(r.after).toBe(r.before);
  });
});
