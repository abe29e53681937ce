/** .dockerignore matching: the rules and examples of Docker's documentation, and the edge cases of its matcher. */
import { describe, expect, it } from 'vitest';
import { contextIgnore, DockerIgnore, dockerignoreKeys } from '../../src/dockerfile/dockerignore.js';
import { AnswerStore } from '../../src/engine/lookups.js';

const excluded = (text: string, paths: string[]) => {
  const di = new DockerIgnore(text);
  return paths.filter((p) => di.excludes(p));
};

describe('DockerIgnore: the documentation examples', () => {
  it('`*/temp*` matches one level down, files and directories (with their contents)', () => {
    expect(excluded('*/temp*', ['somedir/temporary.txt', 'somedir/temp', 'somedir/temp/x', 'temp', 'temporary.txt', 'a/b/temporary.txt'])).toEqual([
      'somedir/temporary.txt',
      'somedir/temp',
      'somedir/temp/x',
    ]);
  });

  it('`*/*/temp*` matches two levels down', () => {
    expect(excluded('*/*/temp*', ['somedir/subdir/temporary.txt', 'somedir/temporary.txt', 'temp'])).toEqual(['somedir/subdir/temporary.txt']);
  });

  it('`temp?` matches one character, never a slash', () => {
    expect(excluded('temp?', ['tempa', 'tempb', 'temp', 'tempab', 'temp/', 'x/tempa'])).toEqual(['tempa', 'tempb']);
  });

  it('`**/*.go` matches in every directory, the root included', () => {
    expect(excluded('**/*.go', ['main.go', 'a/b/c.go', 'a/b/c.gox', 'go'])).toEqual(['main.go', 'a/b/c.go']);
  });

  it('`!` makes exceptions and the last matching line wins', () => {
    expect(excluded('*.md\n!README.md', ['CHANGES.md', 'README.md', 'docs/x.md'])).toEqual(['CHANGES.md']);
    expect(excluded('*.md\n!README*.md\nREADME-secret.md', ['README.md', 'README-secret.md', 'other.md'])).toEqual(['README-secret.md', 'other.md']);
    expect(excluded('*.md\nREADME-secret.md\n!README*.md', ['README.md', 'README-secret.md', 'other.md'])).toEqual(['other.md']);
  });

  it('`/foo/bar` and `foo/bar` are the same pattern (the context root is the root)', () => {
    expect(excluded('/foo/bar', ['foo/bar', 'foo/bar/x', 'x/foo/bar'])).toEqual(['foo/bar', 'foo/bar/x']);
    expect(excluded('!/foo/bar', ['foo/bar'])).toEqual([]);
    expect(excluded('foo\n!/foo/bar', ['foo/bar', 'foo/baz'])).toEqual(['foo/baz']);
  });

  it('patterns are trimmed and cleaned like filepath.Clean; blank lines are ignored', () => {
    expect(excluded('  ./a/../package-lock.json  \n\n   \n', ['package-lock.json', 'a/package-lock.json'])).toEqual(['package-lock.json']);
    expect(excluded('dist/', ['dist', 'dist/app.js', 'distx'])).toEqual(['dist', 'dist/app.js']);
    expect(excluded('a//b/./c', ['a/b/c'])).toEqual(['a/b/c']);
    expect(excluded('! keep', ['keep'])).toEqual([]);
    expect(new DockerIgnore('./x/\n! /y/\n').patterns).toEqual(['x', '!y']);
  });

  it('`#` in column 1 starts a comment; an indented `#` is a pattern', () => {
    expect(excluded('# package-lock.json\n#x', ['package-lock.json', '# package-lock.json', '#x'])).toEqual([]);
    expect(excluded('  #x', ['#x'])).toEqual(['#x']);
  });

  it('CRLF line endings and a UTF-8 BOM', () => {
    expect(excluded('\uFEFFpackage-lock.json\r\n*.log\r\n', ['package-lock.json', 'a.log', 'b.txt'])).toEqual(['package-lock.json', 'a.log']);
  });
});

describe('DockerIgnore: the matcher', () => {
  it('`**` matches any number of directories, zero included', () => {
    expect(excluded('a/**/b', ['a/b', 'a/x/b', 'a/x/y/b', 'a/xb', 'b'])).toEqual(['a/b', 'a/x/b', 'a/x/y/b']);
    expect(excluded('**/package-lock.json', ['package-lock.json', 'app/package-lock.json', 'xpackage-lock.json'])).toEqual([
      'package-lock.json',
      'app/package-lock.json',
    ]);
    expect(excluded('foo/**', ['foo', 'foo/x', 'foo/x/y', 'foobar'])).toEqual(['foo/x', 'foo/x/y']);
    expect(excluded('**', ['a', 'a/b'])).toEqual(['a', 'a/b']);
    expect(excluded('a/*/**/*.txt', ['a/b/c.txt', 'a/b/c/d/e.txt', 'a/c.txt'])).toEqual(['a/b/c.txt', 'a/b/c/d/e.txt']);
  });

  it('`*` never crosses a slash; a directory match covers everything inside', () => {
    expect(excluded('*.lock*', ['yarn.lock', 'a/yarn.lock', 'package-lock.json'])).toEqual(['yarn.lock']);
    expect(excluded('*', ['a', 'a/b/c'])).toEqual(['a', 'a/b/c']);
    expect(excluded('node_modules', ['node_modules/x/index.js', 'src/node_modules/y'])).toEqual(['node_modules/x/index.js']);
  });

  it('character classes and escapes follow filepath.Match', () => {
    expect(excluded('[a-c]x', ['ax', 'cx', 'dx', '-x'])).toEqual(['ax', 'cx']);
    expect(excluded('[^a]x', ['ax', 'bx', '/x'])).toEqual(['bx']);
    expect(excluded('[a\\-c]x', ['-x', 'bx'])).toEqual(['-x']);
    expect(excluded('\\*.txt', ['*.txt', 'a.txt'])).toEqual(['*.txt']);
    expect(excluded('a.b', ['a.b', 'axb'])).toEqual(['a.b']);
    expect(excluded('(x)+{y}$|z', ['(x)+{y}$|z', 'xxy'])).toEqual(['(x)+{y}$|z']);
    expect(excluded('x]', ['x]'])).toEqual(['x]']);
    expect(excluded('?.txt', ['é.txt', '😀.txt', 'ab.txt'])).toEqual(['é.txt', '😀.txt']);
  });

  it('malformed patterns match nothing (Docker refuses the file, so the build fails anyway)', () => {
    expect(new DockerIgnore('[abc\nfoo\\\n[]a]\n!\nkeep').patterns).toEqual(['keep']);
  });

  it('exceptions inside an excluded directory', () => {
    expect(excluded('node_modules\n!node_modules/keep.js', ['node_modules/keep.js', 'node_modules/other.js'])).toEqual(['node_modules/other.js']);
    expect(excluded('*\n!app\napp/*.log', ['app/main.js', 'app/x.log', 'other'])).toEqual(['app/x.log', 'other']);
  });

  it('a pattern keeps the match of a parent directory, as BuildKit walks the context (`a/b` then `!a`)', () => {
    expect(excluded('a/b\n!a', ['a/b', 'a/b/c', 'a/c'])).toEqual(['a/b', 'a/b/c']);
  });

  it('takes context-relative paths with `./` or a leading `/`; the root is never excluded', () => {
    const di = new DockerIgnore('package-lock.json\n*');
    expect(di.excludes('./package-lock.json')).toBe(true);
    expect(di.excludes('/package-lock.json')).toBe(true);
    expect(di.excludes('.')).toBe(false);
    expect(di.excludes('')).toBe(false);
    expect(new DockerIgnore('').excludes('package-lock.json')).toBe(false);
  });
});

describe('contextIgnore: which ignore file is in force', () => {
  const df = '/ctx/app.Dockerfile';
  const answers = (files: Record<string, string>) => {
    const store = new AnswerStore();
    for (const k of dockerignoreKeys(df)) store.set(k, { ok: k.path in files ? { exists: true, text: files[k.path] } : { exists: false } });
    return store;
  };

  it('asks for `<Dockerfile-name>.dockerignore` beside the Dockerfile, then `.dockerignore` at the context root', () => {
    expect(dockerignoreKeys(df)).toEqual([
      { kind: 'file', path: '/ctx/app.Dockerfile.dockerignore' },
      { kind: 'file', path: '/ctx/.dockerignore' },
    ]);
    expect(dockerignoreKeys('/ctx/docker/Dockerfile', '/ctx').map((k) => k.path)).toEqual(['/ctx/docker/Dockerfile.dockerignore', '/ctx/.dockerignore']);
  });

  it('the Dockerfile-specific file takes precedence; the root one applies otherwise; none: null', () => {
    const both = contextIgnore(answers({ '/ctx/app.Dockerfile.dockerignore': 'a', '/ctx/.dockerignore': 'b' }), df);
    expect(both?.source).toBe('app.Dockerfile.dockerignore');
    expect([both?.excludes('a'), both?.excludes('b')]).toEqual([true, false]);
    const root = contextIgnore(answers({ '/ctx/.dockerignore': 'b' }), df);
    expect(root?.source).toBe('.dockerignore');
    expect(root?.excludes('b')).toBe(true);
    expect(contextIgnore(answers({}), df)).toBeNull();
    expect(contextIgnore(new AnswerStore(), df)).toBeNull();
  });
});
