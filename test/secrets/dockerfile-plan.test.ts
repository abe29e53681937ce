/**
 * planDockerfile's text test (an ENV or ARG whose one-line text spells no secret pattern is not split into names)
 * changes no plan: over every Dockerfile of the corpus, and over generated instructions, the plan is the one made by
 * splitting every ENV and ARG, with the built-in names and with extra ones.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../src/engine/parse.js';
import type { ParsedDockerfile } from '../../src/engine/types.js';
import { planDockerfile } from '../../src/secrets/dockerfile.js';
import type { NameOptions } from '../../src/secrets/names.js';
import { CORPUS } from '../support/compose-schema.js';

const OPTIONS: NameOptions[] = [{}, { secretNames: ['*_PIN', 'LICENSE'], ignoreNames: ['DB_PASSWORD'] }, { secretNames: ['*KEY*'] }];

function same(name: string, text: string): void {
  const file = parseFile('dockerfile', name, undefined, text) as ParsedDockerfile;
  for (const names of OPTIONS) {
    const fast = planDockerfile(file.ast, file.text, file.lineStarts, names);
    const all = planDockerfile(file.ast, file.text, file.lineStarts, names, false);
    expect({ name, names, ...fast, mounted: [...fast.mounted] }).toEqual({ name, names, ...all, mounted: [...all.mounted] });
  }
}

describe('planDockerfile', () => {
  it('plans generated ENV and ARG instructions as splitting them all does', () => {
    const lines = [
      'ARG DB_PASSWORD', 'ARG TOKEN=x', 'ARG VERSION=1', 'ARG A B', 'ARG "API_KEY"', 'ARG API\\\n_KEY', 'ARG x_pin', 'ARG LICENSE=1',
      'ENV DB_PASSWORD=secret', 'ENV A=1 B=2', "ENV 'SECRET'=x", 'ENV TOKEN x y', 'ARG mykey', 'ARG ${X}', 'ARG A_PASSWORD B',
    ];
    for (const a of lines) for (const b of lines) same('Dockerfile', `ARG PRE_SECRET\nFROM alpine\n${a}\n${b}\nRUN echo $DB_PASSWORD $TOKEN $A $API_KEY $x_pin $mykey $LICENSE\n`);
  });

  const dir = join(CORPUS, 'dockerfiles');
  it.skipIf(!existsSync(dir))('plans every corpus Dockerfile as splitting every ENV and ARG does', () => {
    let n = 0;
    for (const name of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, name), 'utf8').replace(/^\uFEFF/, '');
      try {
        parseFile('dockerfile', name, undefined, text);
      } catch {
        continue;
      }
      same(name, text);
      n++;
    }
    expect(n).toBeGreaterThan(400);
  });
});
