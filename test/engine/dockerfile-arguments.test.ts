/**
 * The cheaper argument scan (src/engine/dockerfile-arguments.ts) gives exactly what dockerfile-ast's own
 * `getRawArguments` gives: the same arguments, values and ranges, for every instruction of the fixtures, the corpus
 * and generated texts full of escapes, line continuations, comments, CRs and `$`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Instruction, type Dockerfile } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../support/compose-schema.js';
import { fixtureDockerfiles, rng } from '../support/dockerfiles.js';

type Scan = (this: Instruction) => unknown[];
const proto = Instruction.prototype as unknown as { getRawArguments: Scan };
// Captured before the engine's parse module installs the scan (and memoises it) and the line table.
const original = proto.getRawArguments;
type Doc = { getLineOffsets(): number[] };
// The text documents dockerfile-ast itself creates (its own copy of the package, loaded the way it loads it).
const { TextDocument } = createRequire(require.resolve('dockerfile-ast'))('vscode-languageserver-textdocument') as {
  TextDocument: { create(uri: string, language: string, version: number, text: string): Doc };
};
const docProto = Object.getPrototypeOf(TextDocument.create('', '', 0, '')) as Doc;
const originalLineOffsets = docProto.getLineOffsets;
await import('../../src/engine/parse.js');
const { DockerfileParser } = await import('dockerfile-ast');
const { scanArguments, lineOffsets } = await import('../../src/engine/dockerfile-arguments.js');
const fast = scanArguments as unknown as Scan;

/** Every instruction of a parse, ONBUILD triggers included. */
function instructions(d: Dockerfile): Instruction[] {
  const out: Instruction[] = [];
  for (const i of d.getInstructions()) {
    out.push(i);
    const t = (i as unknown as { getTriggerInstruction?(): Instruction | null }).getTriggerInstruction?.();
    if (t) out.push(t);
  }
  return out;
}

function compare(text: string, label: string): number {
  let n = 0;
  for (const i of instructions(DockerfileParser.parse(text))) {
    expect(fast.call(i), `${label}: ${i.getKeyword()} at line ${i.getRange().start.line + 1}`).toStrictEqual(original.call(i));
    n++;
  }
  return n;
}


const PIECES = [' ', ' ', '\t', '\n', '\r\n', '\r', '\\', '\\\n', '\\ \n', '\\\t\r\n', '\\ x', '`', '`\n', '#', '# c\n', '$', '\\$', 'a', 'bc', '"', "'", '<<EOF\nx\nEOF\n', '[', ']', ',', '--mount=type=cache', '='];
const KEYWORDS = ['RUN', 'CMD', 'COPY', 'ENV', 'ARG', 'LABEL', 'FROM', 'ONBUILD RUN', 'HEALTHCHECK CMD', 'SHELL', 'VOLUME', 'USER', 'EXPOSE'];

function generated(seed: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  let text = r() < 0.2 ? '# escape=`\n' : '';
  const lines = 1 + Math.floor(r() * 6);
  for (let l = 0; l < lines; l++) {
    text += `${pick(KEYWORDS)} `;
    const len = Math.floor(r() * 25);
    for (let k = 0; k < len; k++) text += pick(PIECES);
    if (r() < 0.8) text += pick(['\n', '\r\n']);
  }
  return text;
}

const CASES = [
  'FROM alpine\nRUN echo hi\n',
  'FROM alpine\nRUN echo a \\\n  && echo b \\\n# comment\n  && echo c\n',
  'FROM alpine\nRUN a\\ b \\  \n c\\$d \\\r\n e\\',
  '# escape=`\nFROM alpine\nRUN echo x `\n  && echo `$y\n',
  'FROM alpine\nENV A=1 B="two words" \\\n C=3\n',
  'FROM alpine\nRUN ["sh", "-c", "echo \\"x\\""]\nCMD [ "a" , \\\n "b" ]\n',
  'FROM alpine\nRUN \\ \t\nCOPY --chown=a:b x \\\n\n y\n',
  'FROM alpine\nRUN x\\',
  'FROM alpine\nRUN \\\n#c\\\n\\\n  a\n',
];

describe('dockerfile argument scan', () => {
  it('is installed by the engine', () => {
    expect(proto.getRawArguments).not.toBe(original);
  });

  it('computes line tables like the library', () => {
    expect(docProto.getLineOffsets).not.toBe(originalLineOffsets);
    const r = rng(7);
    const texts = ['', 'a', '\n', '\r', '\r\n', '\n\r', 'a\r\r\nb\n\n\rc', 'x\r'];
    for (let k = 0; k < 2000; k++) {
      let t = '';
      const len = Math.floor(r() * 30);
      for (let j = 0; j < len; j++) t += ['a', 'b', ' ', '\n', '\r', '\r\n'][Math.floor(r() * 6)];
      texts.push(t);
    }
    for (const t of texts) {
      expect(lineOffsets(t), JSON.stringify(t)).toEqual(originalLineOffsets.call(TextDocument.create('', '', 0, t)));
      // The patched table is the one documents get.
      expect(TextDocument.create('', '', 0, t).getLineOffsets(), JSON.stringify(t)).toEqual(lineOffsets(t));
    }
  });

  it('scans like the library on hand-written cases', () => {
    for (const text of CASES) compare(text, JSON.stringify(text));
  });

  it('scans like the library on generated texts', () => {
    let n = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const text = generated(seed);
      n += compare(text, JSON.stringify(text));
    }
    expect(n).toBeGreaterThan(5000);
  });

  it('scans like the library on every Dockerfile fixture', () => {
    const files = fixtureDockerfiles();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) compare(readFileSync(f, 'utf8'), f);
  });

  it.skipIf(!existsSync(join(CORPUS, 'dockerfiles')))('scans like the library on every corpus Dockerfile (when ../shared/corpus is present)', () => {
    const dir = join(CORPUS, 'dockerfiles');
    for (const name of readdirSync(dir)) compare(readFileSync(join(dir, name), 'utf8'), name);
  });
});
