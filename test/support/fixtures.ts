/** Loading fixture cases: fixtures/<codemod-id>/<case>/input.* [output.*] [options.json] [answers.json] [findings.txt] */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { codemodById } from '../../codemods/index.js';
import { lookupId } from '../../src/engine/lookups.js';
import type { EnabledCodemod, FileResult } from '../../src/engine/run.js';
import type { Answer, FileKind, GlobalSettings, LookupKey } from '../../src/engine/types.js';
import { DispatchResolver } from '../../src/resolvers/index.js';
import { localHandler } from '../../src/resolvers/local.js';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures');

export interface CaseOptions {
  /** Options for the codemod under test. */
  options?: Record<string, unknown>;
  /** Apply unsafe fixes too. */
  unsafe?: boolean;
  global?: GlobalSettings;
  /** Other codemods to run with it (ids). */
  with?: string[];
  /** The case must end in a file error whose message contains this. */
  expectError?: string;
  /** Check mode (no fixes applied). */
  check?: boolean;
}

export interface FixtureCase {
  codemodId: string;
  name: string;
  dir: string;
  inputName: string;
  kind: FileKind;
  input: string;
  output: string | undefined;
  options: CaseOptions;
  answers: { key: LookupKey; answer: Answer }[];
  findings: string | undefined;
  /** Other files of the same run (`project.*`, e.g. `project.compose.yaml`), visible to codemods through ctx.project. */
  project: { name: string; text: string }[];
}

export function kindOfFixture(name: string): FileKind {
  if (/dockerfile|containerfile/i.test(name)) return 'dockerfile';
  // Shell commands in scripts, Makefiles, Markdown and CI files: input.sh, input.mk, input.md, input.gitlab-ci.yml, input.workflow.yml.
  if (/\.(?:sh|bash|mk|md)$|\.(?:gitlab-ci|workflow)\.ya?ml$/i.test(name)) return 'shell';
  if (/(?:^|\.)(?:k8s|kustomization|values)\.ya?ml$/i.test(name)) return 'kubernetes';
  if (/\.ya?ml$/i.test(name)) return 'compose';
  return 'source';
}

export function loadCases(): FixtureCase[] {
  if (!existsSync(FIXTURES)) return [];
  const cases: FixtureCase[] = [];
  for (const id of readdirSync(FIXTURES).sort()) {
    const idDir = join(FIXTURES, id);
    if (!statSync(idDir).isDirectory()) continue;
    for (const name of readdirSync(idDir).sort()) {
      const dir = join(idDir, name);
      if (!statSync(dir).isDirectory()) continue;
      const files = readdirSync(dir);
      const inputName = files.find((f) => f.startsWith('input.'));
      if (!inputName) throw new Error(`fixture ${id}/${name} has no input.* file`);
      const outputName = files.find((f) => f === inputName.replace(/^input\./, 'output.'));
      const read = (f: string) => readFileSync(join(dir, f), 'utf8');
      cases.push({
        codemodId: id,
        name,
        dir,
        inputName,
        kind: kindOfFixture(inputName),
        input: read(inputName),
        output: outputName ? read(outputName) : undefined,
        options: files.includes('options.json') ? (JSON.parse(read('options.json')) as CaseOptions) : {},
        answers: files.includes('answers.json') ? (JSON.parse(read('answers.json')) as FixtureCase['answers']) : [],
        findings: files.includes('findings.txt') ? read('findings.txt') : undefined,
        project: files.filter((f) => f.startsWith('project.')).sort().map((f) => ({ name: f, text: read(f) })),
      });
    }
  }
  return cases;
}

/** Answers from answers.json; local files from the fixture folder; anything else is an error answer. */
export function fixtureResolver(c: FixtureCase): DispatchResolver {
  const fromJson = new Map(c.answers.map((a) => [lookupId(a.key), a.answer]));
  const missing = {
    kinds: ['*'],
    async resolve(keys: readonly LookupKey[]) {
      return new Map<string, Answer>(
        keys.map((k) => [
          lookupId(k),
          fromJson.get(lookupId(k)) ?? { error: { code: 'fixture-missing', message: `answers.json has no answer for ${lookupId(k)}` } },
        ]),
      );
    },
  };
  const local = {
    kinds: localHandler.kinds,
    async resolve(keys: readonly LookupKey[]) {
      const res = await localHandler.resolve(keys);
      for (const k of keys) {
        const a = fromJson.get(lookupId(k));
        if (a) res.set(lookupId(k), a);
      }
      return res;
    },
  };
  return new DispatchResolver([local, missing]);
}

export async function runCase(c: FixtureCase, text: string = c.input): Promise<FileResult> {
  const ids = [c.codemodId, ...(c.options.with ?? [])];
  const enabled: EnabledCodemod[] = ids.map((id) => {
    const codemod = codemodById(id);
    if (!codemod) throw new Error(`fixture ${c.codemodId}/${c.name}: unknown codemod ${id}`);
    return { codemod, options: { ...codemod.defaultOptions, ...(id === c.codemodId ? c.options.options : {}) } };
  });
  for (const e of enabled) await e.codemod.prepare?.();
  const resolver = fixtureResolver(c);
  const global = c.options.global ?? {};
  const absPath = join(c.dir, c.inputName);
  const { parseFile } = await import('../../src/engine/parse.js');
  const { runProject } = await import('../../src/engine/project.js');
  const context = c.project.map((p) => parseFile(kindOfFixture(p.name), p.name, join(c.dir, p.name), p.text));
  const bom = text.startsWith('\uFEFF');
  const body = bom ? text.slice(1) : text;
  const { results } = await runProject([{ path: c.inputName, absPath, kind: c.kind, load: async () => ({ text: body, bom }) }], {
    codemodsFor: () => enabled,
    allowed: c.options.unsafe ? 'unsafe' : 'safe',
    applyFixes: !c.options.check,
    global,
    answers: resolver.answers,
    resolve: (keys) => resolver.resolveAll(keys, { cwd: c.dir }),
    context,
    indexes: enabled.flatMap((e) => e.codemod.runIndexes ?? []),
  });
  const r = results[0];
  if (!r) throw new Error(`fixture ${c.codemodId}/${c.name}: no result`);
  return r;
}

/** One line per finding, as in findings.txt: `line:col id [status] message`. */
export function formatFindings(r: FileResult): string {
  return [...r.applied, ...r.findings]
    .map((f) => `${f.line}:${f.column} ${f.codemodId} [${f.fixStatus}] ${f.message}`)
    .join('\n');
}
