/**
 * The parser's cheaper scans (src/engine/dockerfile-scan.ts) parse every Dockerfile exactly as dockerfile-ast's own
 * parser does: the whole syntax tree (instructions, their ranges and arguments, comments, heredocs, directives, build
 * stages) is deeply equal, for the fixtures, the corpus and generated texts full of escapes, line continuations,
 * comments inside them, CRs and heredocs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Parser } from 'dockerfile-ast/lib/parser.js';
import type { Dockerfile } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../support/compose-schema.js';
import { fixtureDockerfiles, generatedDockerfile, rng } from '../support/dockerfiles.js';

type Methods = Record<'createInstruction' | 'processHeredocs' | 'processArguments' | 'processComment', (...a: unknown[]) => unknown>;
const proto = Parser.prototype as unknown as Methods;
// Captured before the engine's parse module installs its patches.
const original: Methods = {
  createInstruction: proto.createInstruction,
  processHeredocs: proto.processHeredocs,
  processArguments: proto.processArguments,
  processComment: proto.processComment,
};
await import('../../src/engine/parse.js');
const { DockerfileParser } = await import('dockerfile-ast');
const { patchParserScans, squash, NextChars } = await import('../../src/engine/dockerfile-scan.js');

/** The library's parser as published (the original methods shadow the patched ones). */
const unpatched = (text: string): Dockerfile => Object.assign(new Parser(), original).parse(text);
const patched = (text: string): Dockerfile => DockerfileParser.parse(text);

function compare(text: string, label: string): void {
  const a = patched(text);
  const b = unpatched(text);
  expect(a.getInstructions().length, label).toBe(b.getInstructions().length);
  expect(a.getComments().map((c) => c.getRange()), label).toEqual(b.getComments().map((c) => c.getRange()));
  expect(a, label).toEqual(b);
}

const CASES = [
  '',
  'FROM alpine\nRUN echo hi\n',
  'FROM alpine\nRUN echo a \\\n# comment\n  && echo b \\\n  # indented \\\n  && echo c\n',
  'FROM alpine\r\nRUN echo a \\\r\n# comment\r\n  && echo b\r\n# after\r\n',
  'FROM alpine\rRUN echo a \\\r# comment\r  && b\r',
  'FROM alpine\nRUN a\\ b \\  \n c\\$d \\\r\n e\\',
  '# escape=`\nFROM alpine\nRUN echo x `\n  && echo `$y \\\n# not a comment after backslash\n',
  'FROM alpine\nRUN <<EOF\necho hi\nEOF\nRUN echo after # trailing\n',
  'FROM alpine\nRUN \\ x\nRUN \\ \\\nnext\nRUN \\ \t\n#c\n y\n',
  'FROM alpine\nRUN x\\',
  'FROM alpine\nRUN x \\ ',
  'FROM alpine\nRUN x \\\n',
  'FROM alpine\nRUN x \\\n#',
  '# a comment\n#another\nFROM alpine # not a comment\n',
  'FROM alpine\nRUN \\\n#c\\\n\\\n  a\n',
];

describe('dockerfile parser scans', () => {
  it('are installed by the engine', () => {
    expect(patchParserScans()).toBe(true);
    expect(proto.processComment).not.toBe(original.processComment);
  });

  const bundled = join(import.meta.dirname, '..', '..', 'dist', 'vendor', 'dockerfile-ast__lib__parser.js');
  // Skipped (and reported as skipped) only before a build; the test command builds first.
  it.skipIf(!existsSync(bundled))('match the source of the bundled copy in dist/ too (when built)', () => {
    // Read by plain Node: the test runner would transform the bundle's text when importing it.
    const script = `const { Parser } = await import(${JSON.stringify(pathToFileURL(bundled).href)});
      process.stdout.write(JSON.stringify([Parser.prototype.processArguments.toString(), Parser.prototype.processComment.toString()]));`;
    const [args, comment] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as [string, string];
    expect(squash(args)).toBe(squash(original.processArguments.toString()));
    expect(squash(comment)).toBe(squash(original.processComment.toString()));
  });

  it('find the next line end and escape character like a character loop', () => {
    const r = rng(3);
    for (let k = 0; k < 300; k++) {
      let t = '';
      const len = Math.floor(r() * 40);
      for (let j = 0; j < len; j++) t += ['a', ' ', '\n', '\r', '\\', '`'][Math.floor(r() * 6)];
      const esc = r() < 0.5 ? '\\' : '`';
      const next = new NextChars(t, esc);
      // Forward, then at random positions (backwards too).
      const order = [...Array(t.length + 2).keys(), ...Array.from({ length: 20 }, () => Math.floor(r() * (t.length + 2)))];
      for (const i of order) {
        let e = i;
        while (e < t.length && t[e] !== '\n' && t[e] !== '\r') e++;
        let f = i;
        while (f < t.length && t[f] !== '\n' && t[f] !== '\r' && t[f] !== esc) f++;
        expect(next.lineEnd(i), `${JSON.stringify(t)} at ${i}`).toBe(Math.min(e, t.length));
        expect(next.lineEndOrEscape(i), `${JSON.stringify(t)} at ${i}`).toBe(Math.min(f, t.length));
      }
    }
  });

  it('parse like the library on hand-written cases', () => {
    for (const text of CASES) compare(text, JSON.stringify(text));
  });

  it('parse like the library on generated texts', () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const text = generatedDockerfile(seed);
      compare(text, JSON.stringify(text));
    }
  });

  it('parse like the library on every Dockerfile fixture', () => {
    const files = fixtureDockerfiles();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) compare(readFileSync(f, 'utf8'), f);
  });

  it.skipIf(!existsSync(join(CORPUS, 'dockerfiles')))('parse like the library on every corpus Dockerfile (when ../shared/corpus is present)', () => {
    const dir = join(CORPUS, 'dockerfiles');
    for (const name of readdirSync(dir)) compare(readFileSync(join(dir, name), 'utf8'), name);
  });
});
