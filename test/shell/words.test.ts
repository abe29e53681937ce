/**
 * unquote's shortcut for words without quoting characters, and isQuoted, against the general character-by-character
 * quote removal (unquoteWord): the same answer for every word of every RUN script of the corpus, and for generated words.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../../src/dockerfile/run-script.js';
import { parseDockerfile } from '../../src/engine/parse.js';
import { loadShell, tryParseScript, walk } from '../../src/shell/index.js';
import { isQuoted, unquote, unquoteWord } from '../../src/shell/words.js';
import { CORPUS } from '../support/compose-schema.js';

const DOCKERFILES = join(CORPUS, 'dockerfiles');
const present = existsSync(DOCKERFILES);

beforeAll(async () => {
  await loadShell();
});

/** The text of every word (command names, arguments, assignment values, redirect targets) of the corpus RUN scripts. */
function corpusWords(): string[] {
  const out: string[] = [];
  for (const name of readdirSync(DOCKERFILES).sort()) {
    let file;
    try {
      file = parseDockerfile(name, undefined, readFileSync(join(DOCKERFILES, name), 'utf8'));
    } catch {
      continue;
    }
    for (const ins of file.ast.getInstructions()) {
      const rs = runScript(file, ins);
      const s = rs && tryParseScript(rs.script);
      if (!s) continue;
      walk(s.root, (n) => {
        if (n.kind === 'word') out.push(n.raw);
      });
    }
  }
  return out;
}

/** Words drawn from characters and pieces quote removal treats specially, and plain ones. */
function generatedWords(count: number): string[] {
  const pieces = ['a', 'Z', '0', '-', '/', '.', '=', ':', '~', ' ', '\n', '\\', '\\\n', "'", '"', '$', '`', '$(', ')', '${', '}', "$'", '$"', '\\x41', '\\n', '\\t', '\\0', '\\c', 'é', '🐳', '*', '?', '#', '@', '{', '!'];
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const out: string[] = [''];
  for (let i = 0; i < count; i++) {
    let w = '';
    const n = 1 + next(8);
    for (let k = 0; k < n; k++) w += pieces[next(pieces.length)] as string;
    out.push(w);
  }
  return out;
}

function same(w: string): boolean {
  const a = unquote(w);
  const b = unquoteWord(w);
  return a.value === b.value && a.quoted === b.quoted && isQuoted(w) === b.quoted;
}

describe('unquote', () => {
  it('gives the general quote removal answer for generated words', () => {
    const differ = generatedWords(20000).filter((w) => !same(w));
    expect(differ).toEqual([]);
  });

  it.skipIf(!present)('gives the general quote removal answer for every word of the corpus RUN scripts', () => {
    const words = corpusWords();
    expect(words.length).toBeGreaterThan(10000);
    expect(words.filter((w) => !same(w))).toEqual([]);
    const plain = words.filter((w) => !/[\\'"$`]/.test(w)).length;
    // The shortcut is the common case (what makes it worth having).
    expect(plain / words.length).toBeGreaterThan(0.5);
  });

  it('keeps the value of plain words and drops it after a leading ~', () => {
    expect(unquote('apt-get')).toEqual({ value: 'apt-get', quoted: false });
    expect(unquote('~/x')).toEqual({ value: null, quoted: false });
    expect(unquote('')).toEqual({ value: '', quoted: false });
  });
});
