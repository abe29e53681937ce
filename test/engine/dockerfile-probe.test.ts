/**
 * The cheaper heredoc probe (src/engine/dockerfile-probe.ts) parses every Dockerfile exactly as dockerfile-ast's own
 * parser does: the same instructions, ranges and heredocs, for texts with and without `<<` (escaped, split by line
 * continuations, in comments, inside ONBUILD).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'dockerfile-ast/lib/parser.js';
import type { Dockerfile } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { CORPUS } from '../support/compose-schema.js';
import { fixtureDockerfiles, rng } from '../support/dockerfiles.js';

type Methods = Record<'createInstruction' | 'processHeredocs' | 'processArguments', unknown>;
const proto = Parser.prototype as unknown as Methods;
// Captured before the engine's parse module installs the probe.
const original: Methods = { createInstruction: proto.createInstruction, processHeredocs: proto.processHeredocs, processArguments: proto.processArguments };
await import('../../src/engine/parse.js');
const { DockerfileParser } = await import('dockerfile-ast');
const { NextAngle, twoAngles } = await import('../../src/engine/dockerfile-probe.js');

function shape(d: Dockerfile): unknown {
  return {
    instructions: d.getInstructions().map((i) => ({
      kw: i.getKeyword(),
      range: i.getRange(),
      args: i.getArguments().map((a) => [a.getValue(), a.getRange()]),
      heredocs: (i as unknown as { getHeredocs?(): { getName(): string; getContentRange(): unknown }[] }).getHeredocs?.().map((h) => [h.getName(), h.getContentRange()]),
    })),
    comments: d.getComments().map((c) => c.getRange()),
  };
}

/** The library's parser with its own probe (the original methods shadow the patched ones). */
const unpatched = (text: string): Dockerfile => Object.assign(new Parser(), original).parse(text);
const patched = (text: string): Dockerfile => DockerfileParser.parse(text);

const CASES = [
  'FROM alpine\nRUN echo hi\n',
  'FROM alpine\nRUN <<EOF\necho hi\nEOF\nRUN echo after\n',
  'FROM alpine\nRUN cat <<-EOT > /x\n\tline\n\tEOT\nCOPY <<A <<B /dst/\na\nA\nb\nB\nCMD ["sh"]\n',
  'FROM alpine\nRUN \\<\\<EOF\necho hi\nEOF\nRUN echo after\n',
  'FROM alpine\nRUN <\\\n<EOF\necho hi\nEOF\nRUN echo after\n',
  'FROM alpine\nRUN echo a \\\n# <<EOF\n  && echo b\nEOF\nRUN echo c\n',
  'FROM alpine\nONBUILD RUN <<EOF\necho hi\nEOF\nONBUILD COPY x y\n',
  'FROM alpine\nRUN echo "a < b" < /dev/null\nRUN <<<"here string"\n',
  '# escape=`\nFROM alpine\nRUN <`\n<EOF\necho hi\nEOF\nRUN echo x `\n  && echo y\n',
  'FROM alpine\r\nRUN <<EOF\r\necho hi\r\nEOF\r\nENV A=1 B=<<x\r\nARG <<EOF\n',
  'FROM alpine\nRUN <<EOF',
  'FROM alpine\nRUN echo \\',
];

describe('dockerfile heredoc probe', () => {
  it('is installed by the engine', () => {
    expect(proto.createInstruction).not.toBe(original.createInstruction);
  });

  it('counts two `<` in a range like a search of the range itself', () => {
    const r = rng(11);
    for (let k = 0; k < 300; k++) {
      let t = '';
      const len = Math.floor(r() * 40);
      for (let j = 0; j < len; j++) t += ['a', '<', ' ', '\n'][Math.floor(r() * 4)];
      const angles = new NextAngle(t);
      // Ranges in text order (as a parse asks), then anywhere.
      const ranges: [number, number][] = [];
      for (let from = 0; from <= t.length; from += 1 + Math.floor(r() * 5)) ranges.push([from, from + Math.floor(r() * 10)]);
      for (let q = 0; q < 20; q++) {
        const from = Math.floor(r() * (t.length + 1));
        ranges.push([from, from + Math.floor(r() * 10)]);
      }
      for (const [from, to] of ranges) {
        const inside = [...t.slice(from, to)].filter((c) => c === '<').length;
        expect(twoAngles(angles, from, to), `${JSON.stringify(t)} [${from}, ${to})`).toBe(inside >= 2);
      }
    }
  });

  it('parses like the library on hand-written heredoc cases', () => {
    for (const text of CASES) expect(shape(patched(text)), text).toEqual(shape(unpatched(text)));
  });

  it('parses like the library on every Dockerfile fixture', () => {
    const files = fixtureDockerfiles();
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(shape(patched(text)), f).toEqual(shape(unpatched(text)));
    }
  });

  it.skipIf(!existsSync(join(CORPUS, 'dockerfiles')))('parses like the library on every corpus Dockerfile (when ../shared/corpus is present)', () => {
    const dir = join(CORPUS, 'dockerfiles');
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      expect(shape(patched(text)), name).toEqual(shape(unpatched(text)));
    }
  });
});
