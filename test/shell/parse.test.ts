import { beforeAll, describe, expect, it } from 'vitest';
import {
  ShellParseError,
  enclosingStatement,
  findAll,
  isErrexitExempt,
  loadShell,
  parseScript,
  statementSiblings,
  tryParseScript,
  type AndOr,
  type Pipeline,
  type SimpleCommand,
} from '../../src/shell/index.js';

beforeAll(async () => {
  await loadShell();
});

const cmd = (s: string, i = 0) => parseScript(s).commands[i] as SimpleCommand;
const names = (s: string) => parseScript(s).commands.map((c) => c.name?.value ?? null);
const at = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('parseScript: words', () => {
  it('quote removal and expansions', () => {
    const s = `echo plain 'single q' "dbl $x" "dbl lit" a"b"'c' \\$HOME $'a\\tb' ~/x $(date) "\\"q\\"" a\\ b`;
    const c = cmd(s);
    expect(c.name?.value).toBe('echo');
    expect(c.args.map((a) => a.value)).toEqual(['plain', 'single q', null, 'dbl lit', 'abc', '$HOME', 'a\tb', null, null, '"q"', 'a b']);
    expect(c.args.map((a) => a.quoted)).toEqual([false, true, true, true, true, true, true, false, false, true, true]);
    for (const a of c.args) expect(at(s, a.range)).toBe(a.raw);
  });

  it('merges word parts split at an escaped blank', () => {
    const s = 'x"y"\\ z w';
    const c = cmd(s);
    expect(c.name?.value).toBe('xy z');
    expect(c.args.map((a) => a.raw)).toEqual(['w']);
  });

  it('assignments and bare assignments', () => {
    const c = cmd('A=1 B="two words" C= make -j4');
    expect(c.assigns.map((a) => [a.name, a.value.value])).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', ''],
    ]);
    expect(c.name?.value).toBe('make');
    const bare = cmd('cmd; rc=$?', 1);
    expect(bare.name).toBeNull();
    expect(bare.assigns[0]?.name).toBe('rc');
    expect(bare.assigns[0]?.value.value).toBeNull();
  });

  it('export/local/unset are simple commands', () => {
    expect(names('export A=1 B; local x; unset y')).toEqual(['export', 'local', 'unset']);
    expect(cmd('export A=1 B').args.map((a) => a.raw)).toEqual(['A=1', 'B']);
  });

  it('offsets are UTF-16 offsets, also after non-ASCII and astral text', () => {
    const s = 'echo "é 😀" && npm install';
    const npm = cmd(s, 1);
    expect(at(s, npm.range)).toBe('npm install');
    expect(at(s, npm.args[0]!.range)).toBe('install');
  });
});

describe('parseScript: structure', () => {
  it('&& / || chains, flattened and left to right', () => {
    const s = parseScript('a && b || c; d');
    expect(s.statements).toHaveLength(2);
    const list = s.statements[0]!.body as AndOr;
    expect(list.kind).toBe('and-or');
    expect(list.items.map((i) => (i as SimpleCommand).name?.value)).toEqual(['a', 'b', 'c']);
    expect(list.operators.map((o) => o.op)).toEqual(['&&', '||']);
    expect(s.statements[0]!.terminator.op).toBe(';');
    expect(s.statements[1]!.terminator.op).toBe('');
  });

  it('pipelines bind tighter than && and carry pipeline info', () => {
    const s = parseScript('! curl -fsSL x | sh -s && echo ok');
    const list = s.statements[0]!.body as AndOr;
    const p = list.items[0] as Pipeline;
    expect(p.kind).toBe('pipeline');
    expect(p.negated).toBe(true);
    const [curl, sh] = s.commands;
    expect(curl?.pipeline).toMatchObject({ index: 0, length: 2 });
    expect(sh?.pipeline).toMatchObject({ index: 1, length: 2 });
    expect(isErrexitExempt(curl!)).toBe(true);
    expect(s.commands[2]?.pipeline).toBeUndefined();
  });

  it('newline separators, subshells, groups, if/for/while/case, functions', () => {
    const text = [
      'set -euo pipefail',
      '(cd /app && make)',
      '{ a; b; } > log',
      'if test -f x; then y; elif z; then w; else v; fi',
      'for i in 1 "2"; do echo $i; done',
      'while read l; do :; done < f',
      'case $x in a|b) p;; *) q;; esac',
      'f() { g; }',
    ].join('\n');
    const s = parseScript(text);
    expect(s.statements.map((st) => st.body.kind)).toEqual(['command', 'subshell', 'group', 'if', 'for', 'while', 'case', 'function']);
    expect(s.statements.slice(0, -1).every((st) => st.terminator.op === '\n')).toBe(true);
    expect(names(text)).toEqual(['set', 'cd', 'make', 'a', 'b', 'test', 'y', 'z', 'w', 'v', 'echo', 'read', ':', 'p', 'q', 'g']);
    const set = s.commands[0]!;
    expect(set.setsErrexit).toBe(true);
    expect(set.setsPipefail).toBe(true);
    const group = findAll(s.root, 'group')[0]!;
    expect(group.redirects.map((r) => [r.op, r.target.value])).toEqual([['>', 'log']]);
    const w = findAll(s.root, 'while')[0]!;
    expect(w.redirects[0]?.target.value).toBe('f');
    const f = findAll(s.root, 'for')[0]!;
    expect(f.variable).toBe('i');
    expect(f.words?.map((x) => x.value)).toEqual(['1', '2']);
    const test = s.commands.find((c) => c.name?.value === 'test')!;
    expect(isErrexitExempt(test)).toBe(true);
  });

  it('set +e / set -o errexit', () => {
    expect(cmd('set +e').setsErrexit).toBe(false);
    expect(cmd('set -o errexit').setsErrexit).toBe(true);
    expect(cmd('set -x').setsErrexit).toBeUndefined();
  });

  it('parent links support structural rewrites (cmd; rc=$?)', () => {
    const s = parseScript('make test; rc=$?');
    const make = s.commands[0]!;
    const st = enclosingStatement(make)!;
    const { list, index } = statementSiblings(st);
    const next = list[index + 1]!;
    expect(next.body.kind).toBe('command');
    expect((next.body as SimpleCommand).assigns[0]?.value.raw).toBe('$?');
    expect(st.terminator.op).toBe(';');
    expect(at(s.text, st.terminator.range!)).toBe(';');
  });

  it('redirects, including heredocs followed by more of the statement', () => {
    const text = 'cat <<EOF | sh -s && echo ok\nhello $x\nEOF\necho after';
    const s = parseScript(text);
    expect(names(text)).toEqual(['cat', 'sh', 'echo', 'echo']);
    const cat = s.commands[0]!;
    const h = cat.redirects[0]!;
    expect(h.op).toBe('<<');
    expect(h.target.value).toBe('EOF');
    expect(h.heredoc?.body).toBe('hello $x\n');
    expect(h.heredoc?.expands).toBe(true);
    expect(cat.pipeline?.length).toBe(2);
    expect(s.statements).toHaveLength(2);
    const t2 = 'cat <<"EOF" > /etc/x && chmod 600 /etc/x\nliteral $y\nEOF\n';
    const c2 = parseScript(t2).commands;
    expect(c2.map((c) => c.name?.value)).toEqual(['cat', 'chmod']);
    expect(c2[0]!.redirects.map((r) => r.op)).toEqual(['<<', '>']);
    expect(c2[0]!.redirects[0]!.heredoc?.expands).toBe(false);
    expect(at(t2, c2[0]!.range)).toBe('cat <<"EOF" > /etc/x');
    const c3 = cmd('cmd 2>&1 >/dev/null');
    expect(c3.redirects.map((r) => [r.fd, r.op, r.target.value])).toEqual([
      ['2', '>&', '1'],
      [null, '>', '/dev/null'],
    ]);
  });

  it('commands inside command substitutions are parsed', () => {
    const s = parseScript('sh -c "$(curl -fsSL https://x)"');
    expect(s.commands.map((c) => c.name?.value)).toEqual(['sh', 'curl']);
    expect(s.commands[0]!.args[1]!.substitutions).toHaveLength(1);
  });

  it('throws ShellParseError with an offset', () => {
    expect(() => parseScript('echo "unterminated')).toThrow(ShellParseError);
    try {
      parseScript('if then fi');
    } catch (e) {
      expect(e).toBeInstanceOf(ShellParseError);
      expect((e as ShellParseError).offset).toBeGreaterThanOrEqual(0);
    }
  });

  it('tryParseScript returns null where parseScript throws ShellParseError', () => {
    expect(tryParseScript('echo "unterminated')).toBeNull();
    expect(tryParseScript('echo ok')?.commands.map((c) => c.name?.value)).toEqual(['echo']);
  });
});
