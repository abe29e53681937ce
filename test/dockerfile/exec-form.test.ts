/** src/dockerfile/instructions.ts execForm: exec-form words are read as JSON, spaces inside a word kept. */
import { describe, expect, it } from 'vitest';
import { execForm } from '../../src/dockerfile/instructions.js';
import { parseFile } from '../../src/engine/parse.js';
import type { ParsedDockerfile } from '../../src/engine/types.js';

const forms = (text: string) => {
  const f = parseFile('dockerfile', 'Dockerfile', undefined, text) as ParsedDockerfile;
  return f.ast.getInstructions().slice(1).map((i) => execForm(f, i));
};

describe('execForm', () => {
  it('keeps the spaces inside exec-form words (CMD scripts, VOLUME paths, ENTRYPOINT programs)', () => {
    expect(forms('FROM x\nCMD ["sh", "-c", "nginx -g \'daemon off;\'"]\nVOLUME ["/data dir", "/x"]\nENTRYPOINT ["/opt/my app/run"]\n')).toEqual([
      ['sh', '-c', "nginx -g 'daemon off;'"],
      ['/data dir', '/x'],
      ['/opt/my app/run'],
    ]);
  });

  it('reads an array continued over lines, and answers null for the shell form', () => {
    expect(forms('FROM x\nCMD ["sh", \\\n    "-c", "a && b"]\nCMD sh -c "a b"\n')).toEqual([['sh', '-c', 'a && b'], null]);
  });
});
