import { describe, expect, it } from 'vitest';
import { staged } from '../../src/dockerfile/instructions.js';
import { buildsOn, stageChain } from '../../src/dockerfile/package-installs.js';
import { parseFile } from '../../src/engine/parse.js';
import type { ParsedDockerfile } from '../../src/engine/types.js';

const dockerfile = (text: string) => parseFile('dockerfile', 'Dockerfile', undefined, text) as ParsedDockerfile;

// Stages: 0 base (image), 1 deps FROM base, 2 other (image), 3 build FROM deps (name in another case), 4 final FROM
// build, 5 FROM scratch, 6 `FROM final` before any stage named final: an image, not a stage.
const TEXT = [
  'FROM debian:bookworm AS base',
  'RUN echo base',
  'FROM base AS deps',
  'RUN echo deps',
  'FROM alpine:3.20 AS other',
  'FROM DEPS AS build',
  'RUN echo build',
  'FROM build',
  'USER app',
  'FROM scratch',
  'FROM final',
  '',
].join('\n');

describe('FROM <stage> chains', () => {
  const file = dockerfile(TEXT);
  const sf = staged(file);

  it('stageChain walks from the stage to its root; chainStages reads the same chain root first', () => {
    const expected: Record<number, number[]> = { 0: [0], 1: [1, 0], 2: [2], 3: [3, 1, 0], 4: [4, 3, 1, 0], 5: [5], 6: [6] };
    for (const [stage, chain] of Object.entries(expected)) {
      expect(stageChain(sf.stages, Number(stage))).toEqual(chain);
      expect(sf.chainStages(Number(stage))).toEqual([...chain].reverse());
    }
    expect(stageChain(sf.stages, 9)).toEqual([]);
    expect(sf.chainStages(9)).toEqual([]);
  });

  it('chain() lists the instructions of the chain root first, and buildsOn follows the same chain', () => {
    expect(sf.chain(4).map((i) => `${i.stage}:${i.kw}`)).toEqual(['0:FROM', '0:RUN', '1:FROM', '1:RUN', '3:FROM', '3:RUN', '4:FROM', '4:USER']);
    expect(buildsOn(sf.stages, 4, 0)).toBe(true);
    expect(buildsOn(sf.stages, 4, 2)).toBe(false);
    expect(buildsOn(sf.stages, 2, 2)).toBe(true);
  });
});
