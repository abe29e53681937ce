/**
 * RUN, CMD, ENTRYPOINT, SHELL and VOLUME built without their JSON form (src/engine/dockerfile-lazy.ts) are the library's instructions once
 * asked: after every getter is called on both, the syntax tree (ONBUILD triggers included) is deeply equal to the one
 * the library's own createInstruction builds, for the fixtures, the corpus and generated texts (exec and shell form,
 * flags, escapes, line continuations, heredocs).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Parser } from 'dockerfile-ast/lib/parser.js';
import type { Dockerfile, Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../support/compose-schema.js';
import { fixtureDockerfiles, generatedDockerfile } from '../support/dockerfiles.js';

type Static = { createInstruction: (...a: unknown[]) => unknown };
// Captured before the engine's parse module installs the lazy instructions.
const libraryCreate = (Parser as unknown as Static).createInstruction;
await import('../../src/engine/parse.js');
const { DockerfileParser, JSONInstruction, Run, Volume } = await import('dockerfile-ast');
const { patchLazyJSON, fingerprint, constructorSource, JSON_CONSTRUCTOR, CREATE_INSTRUCTION } = await import('../../src/engine/dockerfile-lazy.js');
const { squash } = await import('../../src/engine/dockerfile-scan.js');

type Any = Record<string, (() => unknown) | undefined>;

/** Every getter harden or the library may ask of an instruction, so that nothing computed lazily is left out. */
function ask(i: Instruction): unknown {
  const x = i as unknown as Any;
  const out: unknown[] = [];
  for (const m of ['getOpeningBracket', 'getClosingBracket', 'getJSONStrings', 'getFlags', 'getArguments', 'getArgumentsContent', 'getRawArgumentsContent', 'getArgumentsRanges', 'getKeyword', 'getHeredocs', 'getProperties']) {
    const f = x[m];
    if (typeof f !== 'function') continue;
    // Some getters throw on some texts (getHeredocs on an unterminated one): the same error either way.
    try {
      out.push(f.call(i));
    } catch (e) {
      out.push(String(e));
    }
  }
  const t = x.getTriggerInstruction?.call(i) as Instruction | null | undefined;
  if (t) out.push(ask(t), t);
  return out;
}

/** The parse and everything asked of its instructions (with the parser's createInstruction as given). */
function parseAndAsk(text: string, create?: unknown): { tree: Dockerfile; asked: unknown[] } {
  const P = Parser as unknown as Static;
  const installed = P.createInstruction;
  if (create) P.createInstruction = create as Static['createInstruction'];
  try {
    const tree = DockerfileParser.parse(text);
    return { tree, asked: tree.getInstructions().map(ask) };
  } finally {
    P.createInstruction = installed;
  }
}

function compare(text: string, label: string): void {
  const lazy = parseAndAsk(text);
  const library = parseAndAsk(text, libraryCreate);
  expect(lazy.asked, label).toEqual(library.asked);
  expect(lazy.tree, label).toEqual(library.tree);
}

const CASES = [
  '',
  'FROM alpine\nRUN echo hi\n',
  'FROM alpine\nRUN ["sh", "-c", "echo \\"x\\""]\nRUN [ "a" , \\\n "b" ]\nRUN []\nRUN [ ]\nRUN ["x"\n',
  'FROM alpine\nRUN --mount=type=cache,target=/root/.cache --network=none pip install x\nrun echo lower\n',
  'FROM alpine\nONBUILD RUN ["a", "b"]\nONBUILD RUN echo x\n',
  'FROM alpine\nRUN <<EOF\necho hi\nEOF\nRUN cat <<-A <<B\n\tx\n\tA\ny\nB\n',
  '# escape=`\nFROM alpine\nRUN ["a", `\n "b"]\nRUN echo `\n  x\n',
  'FROM alpine\nRUN\nRUN \\\n\nRUN x\\',
  'FROM a\nCMD ["nginx", "-g", "daemon off;"]\nENTRYPOINT [ "a" ]\nSHELL ["pwsh", "-c"]\nVOLUME /a /b\nVOLUME ["/c"]\ncmd echo\nONBUILD CMD ["x"]\n',
];

describe('instructions built without their JSON form', () => {
  it('is installed by the engine', () => {
    expect(patchLazyJSON()).toBe(true);
    expect((Parser as unknown as Static).createInstruction).not.toBe(libraryCreate);
    expect(fingerprint(squash(libraryCreate.toString()))).toBe(CREATE_INSTRUCTION);
    expect(fingerprint(squash(constructorSource(JSONInstruction) ?? ''))).toBe(JSON_CONSTRUCTOR);
    const [run, volume, copy] = DockerfileParser.parse('RUN ["a"]\nVOLUME ["/v"]\nCOPY ["x", "y"]').getInstructions() as unknown as Record<string, unknown>[];
    expect(run).toBeInstanceOf(Run);
    expect(run).toBeInstanceOf(JSONInstruction);
    expect(volume).toBeInstanceOf(Volume);
    // Built lazily: nothing read yet, then the library's reading when asked.
    expect(Object.hasOwn(run as object, 'jsonStrings')).toBe(false);
    expect(Object.hasOwn(volume as object, 'jsonStrings')).toBe(false);
    expect((run as unknown as { getJSONStrings(): { getValue(): string }[] }).getJSONStrings().map((s) => s.getValue())).toEqual(['"a"']);
    // COPY is built by the library's constructor.
    expect(Object.hasOwn(copy as object, 'jsonStrings')).toBe(true);
  });

  const vendor = join(import.meta.dirname, '..', '..', 'dist', 'vendor');
  // Skipped (and reported as skipped) only before a build; the test command builds first.
  it.skipIf(!existsSync(join(vendor, 'dockerfile-ast.js')))('matches the source of the bundled copy in dist/ too (when built)', () => {
    // Read by plain Node: the test runner would transform the bundle's text when importing it.
    const script = `const { JSONInstruction } = await import(${JSON.stringify(pathToFileURL(join(vendor, 'dockerfile-ast.js')).href)});
      const { Parser } = await import(${JSON.stringify(pathToFileURL(join(vendor, 'dockerfile-ast__lib__parser.js')).href)});
      process.stdout.write(JSON.stringify([JSONInstruction.toString(), Parser.createInstruction.toString()]));`;
    const [json, create] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as [string, string];
    expect(fingerprint(squash(constructorSource({ toString: () => json }) ?? ''))).toBe(JSON_CONSTRUCTOR);
    expect(fingerprint(squash(create))).toBe(CREATE_INSTRUCTION);
  });

  it('gives the library tree on hand-written cases', () => {
    for (const text of CASES) compare(text, JSON.stringify(text));
  });

  it('gives the library tree on generated texts', () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const text = generatedDockerfile(seed);
      compare(text, JSON.stringify(text));
    }
  });

  it('gives the library tree on every Dockerfile fixture', () => {
    const files = fixtureDockerfiles();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) compare(readFileSync(f, 'utf8'), f);
  });

  it.skipIf(!existsSync(join(CORPUS, 'dockerfiles')))('gives the library tree on every corpus Dockerfile (when ../shared/corpus is present)', () => {
    const dir = join(CORPUS, 'dockerfiles');
    for (const name of readdirSync(dir)) compare(readFileSync(join(dir, name), 'utf8'), name);
  });
});
