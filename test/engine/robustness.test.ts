/**
 * Pathological input: one file over a limit, or one that makes a codemod throw (a stack overflow included), is that
 * file's error, named, while every other file of the run is processed. Sizes are modest so this stays quick; the
 * assertions are about behaviour (it completes, it reports), never about time.
 */
import { describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { MAX_SHELL_SCRIPT_CHARS, MAX_SHELL_TREE_DEPTH } from '../../src/engine/limits.js';
import { fix as mkFix, replace } from '../../src/engine/edits.js';
import type { Codemod } from '../../src/engine/types.js';
import { loadShell, parseScript, ShellLimitError } from '../../src/shell/index.js';
import { harden } from '../support/cli.js';
import { replaceAll } from '../support/test-codemods.js';
import { tmpTree } from '../support/tmp.js';

const nested = (n: number) => `echo ${'$('.repeat(n)}echo 1${')'.repeat(n)}`;
const deepIf = (n: number) => `${'if true; then '.repeat(n)}echo${'; fi'.repeat(n)}`;
const deepSubshell = (n: number) => `${'('.repeat(n)}echo${')'.repeat(n)}`;

describe('shell parser limits', () => {
  it('refuses nesting beyond the limit with ShellLimitError (not a stack overflow), at any depth', async () => {
    await loadShell();
    for (const n of [MAX_SHELL_TREE_DEPTH + 1, 1000, 5000]) {
      for (const script of [nested(n), deepIf(n), deepSubshell(n)]) {
        expect(() => parseScript(script)).toThrow(ShellLimitError);
      }
    }
  });

  it('still parses ordinary nesting, and walks it without recursion', async () => {
    await loadShell();
    const s = parseScript(nested(20));
    expect(s.commands).toHaveLength(21);
    expect(parseScript(deepIf(60)).commands).toHaveLength(61);
  });
});

/** A codemod that reports a fix on every file and throws on the one containing `poison`. */
function crashesOn(poison: string, how: 'run' | 'lookups', error: () => Error): Codemod {
  return {
    id: `test-crash-${how}`,
    fileKinds: ['dockerfile', 'compose'],
    summary: 'crashes on one file',
    safety: 'safe',
    docs: 'test',
    lookups(file) {
      if (how === 'lookups' && file.text.includes(poison)) throw error();
      return [];
    },
    run(ctx) {
      if (how === 'run' && ctx.file.text.includes(poison)) throw error();
      const i = ctx.file.text.indexOf('latest');
      if (i >= 0) ctx.report({ range: { start: i, end: i + 6 }, message: 'latest', fix: mkFix('pin', 'safe', [replace({ start: i, end: i + 6 }, '3.19')]) });
    },
  };
}

const overflow = () => {
  const f = (n: number): number => f(n + 1) + 1;
  try {
    f(0);
  } catch (e) {
    return e as Error;
  }
  return new Error('no overflow');
};

describe('one pathological file does not stop the run', () => {
  for (const how of ['run', 'lookups'] as const) {
    it(`a RangeError thrown by a codemod's ${how}() is that file's error; the other files are fixed`, async () => {
      const dir = tmpTree({ 'a/Dockerfile': 'FROM alpine:latest\n# POISON\n', 'b/Dockerfile': 'FROM alpine:latest\n', 'c/Dockerfile': 'FROM alpine:latest\n' });
      const r = await fix({ cwd: dir, paths: ['.'], codemods: [crashesOn('POISON', how, overflow)] });
      expect(r.files.map((f) => [f.path, f.changed, f.error?.message])).toEqual([
        ['a/Dockerfile', false, expect.stringMatching(/^codemod test-crash-\w+ failed: RangeError/)],
        ['b/Dockerfile', true, undefined],
        ['c/Dockerfile', true, undefined],
      ]);
      expect(r.files[0]?.error?.message).toContain('Maximum call stack size exceeded');
    });
  }

  it('a 1,000-level $( ) RUN line: that file fails with a clear message, JSON is printed, the other file is written, exit 2', () => {
    const dir = tmpTree({
      'deep/Dockerfile': `FROM alpine:3.19\nRUN ${nested(1000)}\n`,
      'ok/Dockerfile': 'FROM alpine:3.19\nRUN apt-get update\nRUN apt-get install -y curl\n',
    });
    const r = harden(['fix', '--write', '--format', 'json', '--only', 'dockerfile-apt-hygiene,dockerfile-set-e-exit-capture,add-download-checksum', '.'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).toMatch(/^deep\/Dockerfile: error: a RUN script nests more than \d+ levels deep/m);
    const json = JSON.parse(r.stdout) as { files: { path: string; changed: boolean; error?: { message: string } }[] };
    expect(json.files.map((f) => [f.path, f.changed, Boolean(f.error)])).toEqual([
      ['deep/Dockerfile', false, true],
      ['ok/Dockerfile', true, false],
    ]);
  }, 180_000);

  it('fuzz-ish: deep nesting and very long lines of every shape complete and report per file', async () => {
    const long = Array.from({ length: 4000 }, (_, i) => `pkg${i}`).join(' ');
    // The larger sizes (1 MB and 3 MB lines, 5,000 services, 50 MB) are measured by `npm run bench` (bench/long-input.ts).
    const mixed = 'echo a\\ b "c d" && apt-get install -y pkg-x '.repeat(2300);
    const files: Record<string, string> = {
      'subst/Dockerfile': `FROM alpine:3.19\nRUN ${nested(3000)}\n`,
      'ifs/Dockerfile': `FROM alpine:3.19\nRUN ${deepIf(3000)}\n`,
      'parens/Dockerfile': `FROM alpine:3.19\nRUN ${deepSubshell(3000)}\n`,
      'unbalanced/Dockerfile': `FROM alpine:3.19\nRUN ${'$('.repeat(3000)}\n`,
      'long/Dockerfile': `FROM debian:12\nRUN apt-get update && apt-get install -y ${long}\n`,
      'mixed/Dockerfile': `FROM debian:12\nRUN ${mixed}true\n`,
      'continued/Dockerfile': `FROM debian:12\nRUN true \\\n${Array.from({ length: 10000 }, (_, i) => `  && echo ${i} \\\n`).join('')}  && true\n`,
      'escapes/Dockerfile': `FROM debian:12\nRUN echo ${'a\\ '.repeat(20000)}\n`,
      'toolong/Dockerfile': `FROM debian:12\nRUN echo ${'x '.repeat(MAX_SHELL_SCRIPT_CHARS / 2)}\n`,
      'yaml/compose.yaml': `services:\n  a:\n    image: alpine:latest\n    x: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
      'many/compose.yaml': `services:\n${Array.from({ length: 1000 }, (_, i) => `  s${i}:\n    image: alpine:latest\n`).join('')}`,
      'fine/Dockerfile': 'FROM alpine:latest\n',
    };
    const dir = tmpTree(files);
    const r = await fix({ cwd: dir, paths: ['.'], resolver: { offline: true, cacheDir: `${dir}/.cache` }, codemods: [replaceAll('test-latest', 'alpine:latest', 'alpine:3.19'), ...(await shellCodemods())] });
    const byPath = new Map(r.files.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual(Object.keys(files).sort());
    for (const p of ['subst/Dockerfile', 'ifs/Dockerfile', 'parens/Dockerfile']) expect(byPath.get(p)?.error?.message).toMatch(/nests more than \d+ levels deep/);
    expect(byPath.get('fine/Dockerfile')?.error).toBeUndefined();
    expect(byPath.get('fine/Dockerfile')?.changed).toBe(true);
    // Long and flat is not deep: a 10,000-command `&&` chain and a 100 KB line are processed, not refused.
    for (const p of ['long/Dockerfile', 'mixed/Dockerfile', 'continued/Dockerfile', 'escapes/Dockerfile']) expect(byPath.get(p)?.error, p).toBeUndefined();
    expect(byPath.get('continued/Dockerfile')?.findings.map((f) => f.codemodId)).toEqual([]);
    expect(byPath.get('unbalanced/Dockerfile')?.error?.message ?? '').not.toMatch(/internal error|call stack/);
    expect(byPath.get('toolong/Dockerfile')?.error?.message).toMatch(/^a RUN script of 1,048,5\d\d characters is longer than harden's limit of 1,048,576/);
    expect(byPath.get('yaml/compose.yaml')?.error?.message).toMatch(/^YAML nested too deeply for the parser/);
    const many = byPath.get('many/compose.yaml');
    expect(many?.applied).toHaveLength(1000);
    expect(many?.after?.match(/alpine:3\.19/g)).toHaveLength(1000);
  }, 180_000);
});

/** The registered codemods that parse RUN scripts and need no network. */
async function shellCodemods(): Promise<Codemod[]> {
  const { codemods } = await import('../../codemods/index.js');
  const ids = ['dockerfile-apt-hygiene', 'dockerfile-set-e-exit-capture', 'dockerfile-sudo-nopasswd', 'dockerfile-cache-bust-arg', 'npm-install-to-ci'];
  return codemods.filter((c) => ids.includes(c.id));
}
