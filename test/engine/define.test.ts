import { describe, expect, it } from 'vitest';
import { codemods } from '../../codemods/index.js';
import { defineCodemod } from '../../src/engine/define.js';
import { fix, insertAt } from '../../src/engine/edits.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import { checkOptions, OPTION_SCHEMA_KEYWORDS, OptionsError, schemaProblems } from '../../src/engine/options.js';
import { parseFile } from '../../src/engine/parse.js';
import { runProject } from '../../src/engine/project.js';
import { processText } from '../../src/engine/run.js';
import type { JsonSchema } from '../../src/engine/types.js';

const composeOnly = defineCodemod({
  id: 'compose-only',
  fileKinds: ['compose'],
  summary: 'test',
  safety: 'safe',
  docs: '',
  run(ctx) {
    // A compose codemod reads the compose document without a cast…
    const docs: number = ctx.file.docs.length;
    // @ts-expect-error …and cannot read a Dockerfile-only member: ctx.file is ParsedCompose.
    void ctx.file.ast;
    // @ts-expect-error nor compare its kind with another kind (the comparison has no overlap).
    if (ctx.file.kind === 'dockerfile') return;
    ctx.report({ range: { start: 0, end: 0 }, message: `${docs} document(s)` });
  },
});

interface LabelOptions {
  label?: string;
}
const labelled = defineCodemod<'dockerfile', LabelOptions>({
  id: 'labelled',
  fileKinds: ['dockerfile'],
  summary: 'test',
  safety: 'safe',
  docs: '',
  defaultOptions: { label: 'x' },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { label: { type: 'string' } } },
  lookups(file, options) {
    // The file of lookups is narrowed too, and options have the stated type.
    const instructions: number = file.ast.getInstructions().length;
    const label: string | undefined = options.label;
    return instructions && label ? [] : [];
  },
  run(ctx) {
    // @ts-expect-error an option the codemod does not state is not there.
    void ctx.options.other;
    const label: string = ctx.options.label ?? 'none';
    ctx.report({ range: { start: 0, end: 0 }, message: label, fix: fix('Label', 'safe', [insertAt(0, `LABEL l=${label}\n`)]) });
  },
});

describe('defineCodemod', () => {
  it('hands the codemod the parsed file of its kind, and refuses a file of another kind', async () => {
    const r = await processText('compose', 'compose.yaml', 'services:\n  a:\n    image: x\n', { codemods: [{ codemod: composeOnly, options: {} }], allowed: 'safe', applyFixes: false, global: {}, answers: new AnswerStore() });
    expect(r.findings.map((f) => f.message)).toEqual(['1 document(s)']);
    const dockerfile = parseFile('dockerfile', 'Dockerfile', undefined, 'FROM x\n');
    expect(() => composeOnly.run({ file: dockerfile, options: {}, global: {}, answers: new AnswerStore(), project: { files: [], byAbsPath: () => undefined, indexed: () => [] }, report: () => {} })).toThrow(
      /codemod compose-only handles compose files, not dockerfile/,
    );
  });

  it('rejects default options its schema does not declare', () => {
    expect(() =>
      defineCodemod({
        id: 'bad-defaults',
        fileKinds: ['shell'],
        summary: 'test',
        safety: 'safe',
        docs: '',
        defaultOptions: { colour: 'red' },
        optionsSchema: { type: 'object', additionalProperties: false, properties: { color: { type: 'string' } } },
        run() {},
      }),
    ).toThrow(/codemod bad-defaults: its defaultOptions do not match its optionsSchema: unknown option 'colour' \(did you mean 'color'\?\)/);
  });
});

describe('codemod options against the codemod schema', () => {
  it('an unknown key fails the run, naming the codemod and the key', async () => {
    const file = { path: 'Dockerfile', absPath: undefined, kind: 'dockerfile' as const, load: async () => ({ text: 'FROM x\n', bom: false }) };
    const run = runProject([file], {
      codemodsFor: () => [{ codemod: labelled, options: { label: 'a', lable: 'b' } }],
      allowed: 'safe',
      applyFixes: true,
      global: {},
      answers: new AnswerStore(),
      resolve: async () => {},
    });
    await expect(run).rejects.toThrow(OptionsError);
    await expect(run).rejects.toThrow("options of codemod labelled: unknown option 'lable' (did you mean 'label'?); its options: label");
  });

  it('checks types, nested keys and codemods that take no options', () => {
    expect(() => checkOptions(labelled, { label: 3 })).toThrow("options of codemod labelled: 'options.label' must be string, not number");
    expect(() => checkOptions(composeOnly, { any: true })).toThrow("options of codemod compose-only: unknown option 'any': it takes no options");
    const nested: JsonSchema = { type: 'object', additionalProperties: false, properties: { images: { type: 'object', additionalProperties: { type: 'object', additionalProperties: false, properties: { memory: { type: 'string' } } } } } };
    expect(schemaProblems(nested, { images: { redis: { memroy: '1g' } } })).toEqual(["unknown option 'memroy' in 'options.images.redis' (did you mean 'memory'?); its options: memory"]);
    expect(schemaProblems(nested, { images: { redis: { memory: '1g' } } })).toEqual([]);
  });

  it('every codemod declares its defaults in its schema, with keywords the check understands', () => {
    const keywords = new Set<string>();
    const walk = (s: JsonSchema): void => {
      for (const [k, v] of Object.entries(s)) {
        keywords.add(k);
        if (k === 'properties') for (const p of Object.values(v as Record<string, JsonSchema>)) walk(p);
        else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) walk(v as JsonSchema);
        else if (k === 'anyOf') for (const p of v as JsonSchema[]) walk(p);
      }
    };
    for (const c of codemods) {
      if (c.optionsSchema) walk(c.optionsSchema);
      expect(schemaProblems(c.optionsSchema, c.defaultOptions ?? {}), c.id).toEqual([]);
    }
    expect([...keywords].filter((k) => !OPTION_SCHEMA_KEYWORDS.has(k))).toEqual([]);
  });
});
