import { beforeAll, describe, expect, it } from 'vitest';
import { loadShell, mayHitLimit, mayMention, parseScript, walk, ShellLimitError } from '../../src/shell/index.js';
import { MAX_SHELL_SCRIPT_CHARS } from '../../src/engine/limits.js';

beforeAll(async () => {
  await loadShell();
});

/** Every word value of the parsed script (command names, arguments, heredoc bodies). */
function values(script: string): string[] {
  const out: string[] = [];
  walk(parseScript(script).root, (n) => {
    if (n.kind === 'word' && n.value !== null) out.push(n.value);
    if (n.kind === 'redirect' && n.heredoc) out.push(n.heredoc.body);
  });
  return out;
}

describe('mayMention: a text test that never misses a word the parse would give', () => {
  const spelled = [
    'npm install',
    'cd app && "npm" ci',
    "n'p'm install",
    'n\\pm install',
    'n"p"m install',
    'x=$(n"pm" bin)',
    'n$"pm" install',
    'cat <<EOF\nnpm\nEOF',
    '/usr/bin/npm install',
  ];
  for (const s of spelled) {
    it(`finds npm in ${JSON.stringify(s)} (and the parse has it too)`, () => {
      expect(values(s).some((v) => v.includes('npm'))).toBe(true);
      expect(mayMention(s, ['npm'])).toBe(true);
    });
  }

  it('joins a line continuation inside a word, as the shell does', () => {
    expect(mayMention('n\\\npm install', ['npm'])).toBe(true);
  });

  it("answers maybe for $'…' (escapes spell what the text does not show)", () => {
    const s = "$'\\x6e'pm install";
    expect(values(s)).toContain('npm');
    expect(mayMention(s, ['npm'])).toBe(true);
  });

  it('answers no for scripts that never spell the word, in any quoting', () => {
    expect(mayMention('apt-get update && apt-get install -y curl', ['npm', 'yarn'])).toBe(false);
    expect(mayMention('echo "n p m" \'n\' pm', ['npm'])).toBe(false);
    expect(mayMention('pip install flask', ['sudo'])).toBe(false);
  });

  it('is case-sensitive, like command names', () => {
    expect(mayMention('NPM install', ['npm'])).toBe(false);
  });

  it('answers maybe for any script whose parse may hit a limit, so the limit is still reported', () => {
    const deep = `echo ${'"$('.repeat(60)}echo 1${')"'.repeat(60)}`;
    expect(() => parseScript(deep)).toThrow(ShellLimitError);
    expect(mayHitLimit(deep)).toBe(true);
    expect(mayMention(deep, ['npm'])).toBe(true);
    const ifs = `${'if true; then '.repeat(200)}echo${'; fi'.repeat(200)}`;
    expect(mayMention(ifs, ['npm'])).toBe(true);
    const long = `echo ${'x '.repeat(MAX_SHELL_SCRIPT_CHARS / 2)}`;
    expect(mayMention(long, ['npm'])).toBe(true);
    expect(mayHitLimit('echo $(date) && (cd x && make)')).toBe(false);
  });

  it('a script with fewer openers than it counts stays inside the depth limit, whatever the shape of its nesting', () => {
    // The shapes that cost the most tree levels per opener; just below the count, each still parses.
    const n = 24;
    for (const s of [
      `echo ${'"$('.repeat(n)}echo 1${')"'.repeat(n)}`,
      `cat <<EOF\n${'$(cat <<EOF\n'.repeat(n)}x\n${'EOF\n)\n'.repeat(n)}EOF\n`,
      `${'while true; do '.repeat(n)}echo${'; done'.repeat(n)}`,
      `cat ${'<('.repeat(n)}echo${')'.repeat(n)}`,
    ]) {
      expect(mayHitLimit(s)).toBe(false);
      expect(() => parseScript(s)).not.toThrow();
    }
  });
});
