import { beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../../src/dockerfile/run-script.js';
import { parseDockerfile } from '../../src/engine/parse.js';
import { loadShell, parseScript } from '../../src/shell/index.js';

beforeAll(async () => {
  await loadShell();
});

function scripts(text: string) {
  const file = parseDockerfile('Dockerfile', undefined, text);
  return { file, runs: file.ast.getInstructions().map((i) => runScript(file, i)) };
}

/** Every script character maps to the same character in the file. */
function expectExactMap(text: string, rs: NonNullable<ReturnType<typeof runScript>>) {
  for (let i = 0; i < rs.script.length; i++) expect(text[rs.toFileOffset(i)], `script[${i}]`).toBe(rs.script[i]);
}

describe('runScript', () => {
  it('joins continuations, drops comment and blank lines, maps offsets back', () => {
    const text = 'FROM x\nRUN apt-get update \\\n  # a comment\n\n    && npm install \\  \n    --no-audit\nUSER 1\n';
    const { runs } = scripts(text);
    const rs = runs[1]!;
    expect(rs.script).toBe('apt-get update     && npm install     --no-audit');
    expectExactMap(text, rs);
    const npm = parseScript(rs.script).commands[1]!;
    const r = rs.toFileRange(npm.range);
    expect(text.slice(r.start, r.end)).toBe('npm install \\  \n    --no-audit');
    const install = rs.toFileRange(npm.args[0]!.range);
    expect(text.slice(install.start, install.end)).toBe('install');
    // Insert right after a word that ends a line: before the continuation, not after it.
    const at = rs.toFileOffset(npm.args[0]!.range.end, 'end');
    expect(text.slice(at, at + 3)).toBe(' \\ ');
    expect(runs[0]).toBeNull();
    expect(runs[2]).toBeNull();
  });

  it('backtick escape directive', () => {
    const text = '# escape=`\nFROM x\nRUN echo a `\n    && echo "b\\c"\n';
    const rs = scripts(text).runs[1]!;
    expect(rs.script).toBe('echo a     && echo "b\\c"');
    expectExactMap(text, rs);
  });

  it('CRLF files', () => {
    const text = 'FROM x\r\nRUN a \\\r\n  && b\r\nUSER 1\r\n';
    const rs = scripts(text).runs[1]!;
    expect(rs.script).toBe('a   && b');
    expectExactMap(text, rs);
    expect(text.slice(rs.range.start, rs.range.end)).toBe('RUN a \\\r\n  && b');
  });

  it('flags, non-ASCII text and ONBUILD', () => {
    const text = 'FROM x\nRUN --mount=type=cache,target=/root/.npm \\\n  --network=none echo "héllo 😀" && npm install\nONBUILD RUN make\n';
    const { runs } = scripts(text);
    const rs = runs[1]!;
    expect(rs.flags.map((f) => [f.name, f.value, text.slice(f.range.start, f.range.end)])).toEqual([
      ['mount', 'type=cache,target=/root/.npm', '--mount=type=cache,target=/root/.npm'],
      ['network', 'none', '--network=none'],
    ]);
    expect(rs.script).toBe('echo "héllo 😀" && npm install');
    expectExactMap(text, rs);
    const npm = parseScript(rs.script).commands[1]!;
    const r = rs.toFileRange(npm.range);
    expect(text.slice(r.start, r.end)).toBe('npm install');
    expect(runs[2]?.onbuild).toBe(true);
    expect(runs[2]?.script).toBe('make');
  });

  it('exec form is null', () => {
    expect(scripts('FROM x\nRUN ["npm", "install"]\n').runs[1]).toBeNull();
  });

  it('RUN <<EOF runs the heredoc body', () => {
    const text = 'FROM x\nRUN --mount=type=cache,target=/x <<EOF\nset -e\nnpm install\nEOF\nUSER 1\n';
    const rs = scripts(text).runs[1]!;
    expect(rs.form).toBe('heredoc');
    expect(rs.script).toBe('set -e\nnpm install\n');
    expectExactMap(text, rs);
    const npm = parseScript(rs.script).commands[1]!;
    const r = rs.toFileRange(npm.range);
    expect(text.slice(r.start, r.end)).toBe('npm install');
    expect(text.slice(rs.range.start, rs.range.end)).toBe('RUN --mount=type=cache,target=/x <<EOF\nset -e\nnpm install\nEOF');
  });

  it('RUN cmd <<EOF passes the heredoc to the shell; non-shell shebangs are null', () => {
    const text = 'FROM x\nRUN cat <<EOF > /etc/x && echo done\r\nline\r\nEOF\r\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n';
    const { runs } = scripts(text);
    const rs = runs[1]!;
    expect(rs.form).toBe('shell');
    expect(rs.script).toBe('cat <<EOF > /etc/x && echo done\nline\nEOF');
    const cmds = parseScript(rs.script).commands;
    expect(cmds.map((c) => c.name?.value)).toEqual(['cat', 'echo']);
    for (let i = 0; i < rs.script.length; i++) if (rs.script[i] !== '\n') expect(text[rs.toFileOffset(i)]).toBe(rs.script[i]);
    expect(runs[2]).toBeNull();
  });
});
