/** Shell snippets of scripts, Makefiles, Markdown and CI workflows: the text the shell sees, mapped back to the file. */
import { describe, expect, it } from 'vitest';
import { ParseError, parseShell } from '../../src/engine/parse.js';
import { snippetOffset } from '../../src/engine/shell-hosts.js';
import type { ShellSnippet } from '../../src/engine/types.js';

/** Every snippet character maps to the file text it stands for. */
function expectMapped(text: string, s: ShellSnippet): void {
  expect(s.starts).toHaveLength(s.text.length);
  for (let i = 0; i < s.text.length; i++) {
    const c = s.text[i];
    const src = text.slice(s.starts[i], s.ends[i]);
    if (c === '$' && src === '$$') continue;
    expect(src, `char ${i} of ${JSON.stringify(s.text)}`).toBe(c);
  }
}

const snippets = (path: string, text: string) => {
  const f = parseShell(path, undefined, text);
  for (const s of f.snippets) expectMapped(text, s);
  return f;
};

describe('shell snippets', () => {
  it('a script is one snippet, CR of CRLF left out', () => {
    const text = '#!/bin/sh\r\ndocker run \\\r\n  --rm x\r\n';
    const f = snippets('run.sh', text);
    expect(f.host).toBe('script');
    expect(f.snippets.map((s) => s.text)).toEqual(['#!/bin/sh\ndocker run \\\n  --rm x']);
  });

  it('Makefile: each recipe line of a rule, with continuations, without @/- prefixes and the TAB; $$ is $', () => {
    const text = [
      'IMAGE := app:1',
      'run: build',
      '\t@docker run --rm \\',
      '\t  -e HOME=$$HOME \\',
      '\t  $(IMAGE)',
      '\t-echo done',
      '',
      'VAR = x',
      '\tnot a recipe',
      '',
    ].join('\n');
    const f = snippets('Makefile', text);
    expect(f.host).toBe('makefile');
    expect(f.snippets.map((s) => [s.text, s.where, s.escape])).toEqual([
      ['docker run --rm \\\n  -e HOME=$HOME \\\n  $(IMAGE)', 'the recipe of `run`', 'make'],
      ['echo done', 'the recipe of `run`', 'make'],
    ]);
    const s = f.snippets[0] as ShellSnippet;
    // `$HOME` maps to `$$HOME`: the end of `$` is after both dollars.
    const d = s.text.indexOf('$HOME');
    expect(text.slice(snippetOffset(s, d), snippetOffset(s, d + 1, 'end'))).toBe('$$');
  });

  it('Markdown: bash/sh/shell blocks whole (indentation of the fence removed), console blocks per $ command; other languages skipped', () => {
    const text = [
      '# Title',
      '```bash',
      'cd app',
      'docker run --rm x',
      '```',
      '1. In a list:',
      '   ```sh',
      '   docker run \\',
      '     y',
      '   ```',
      '```console',
      '$ docker run -it z \\',
      '> --rm',
      'output line',
      '$ echo hi',
      '```',
      '```python',
      'print("docker run")',
      '```',
      '~~~shell',
      '```',
      'docker ps',
      '~~~',
    ].join('\n');
    const f = snippets('README.md', text);
    expect(f.host).toBe('markdown');
    expect(f.snippets.map((s) => s.text)).toEqual(['cd app\ndocker run --rm x', 'docker run \\\n  y', 'docker run -it z \\\n--rm', 'echo hi', '```\ndocker ps']);
    expect(f.snippets[0]?.where).toBe('the ```bash block at line 2');
  });

  it('GitHub Actions: run: of steps (block literal keeps indentation mapping), not for pwsh or Windows; ${{ }} masked', () => {
    const text = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '      - name: Run',
      '        run: |',
      '          docker run --rm \\',
      '            -e TOKEN=${{ secrets.T }} \\',
      '            app:1',
      '      - run: docker run x',
      '      - run: "docker run y"',
      '      - shell: pwsh',
      '        run: docker run no',
      '  win:',
      '    runs-on: windows-latest',
      '    steps:',
      '      - run: docker run no',
      '      - shell: bash',
      '        run: docker run yes',
      '',
    ].join('\n');
    const f = parseShell('.github/workflows/ci.yml', undefined, text);
    expect(f.host).toBe('github-actions');
    expect(f.snippets.map((s) => s.text)).toEqual([
      `docker run --rm \\\n  -e TOKEN=$${'_'.repeat('{{ secrets.T }}'.length)} \\\n  app:1`,
      'docker run x',
      'docker run y',
      'docker run yes',
    ]);
    expect(f.snippets.map((s) => s.where)).toEqual(['step `Run` of job `build`', 'step 3 of job `build`', 'step 4 of job `build`', 'step 2 of job `win`']);
    const s = f.snippets[0] as ShellSnippet;
    expect(text.slice(snippetOffset(s, s.text.indexOf('app:1')), snippetOffset(s, s.text.length, 'end'))).toBe('app:1');
    expect(f.snippets[1]?.yamlPlain).toBe(true);
    expect(f.snippets[2]?.yamlQuote).toBe('"');
  });

  it('GitLab CI: script, before_script, after_script items of every job', () => {
    const text = [
      'default:',
      '  before_script:',
      '    - docker login',
      'deploy:',
      '  script:',
      '    - docker run --rm app:1',
      '    - |',
      '      docker run \\',
      '        b',
      '  after_script: docker ps',
      'variables:',
      '  A: b',
      '',
    ].join('\n');
    const f = snippets('.gitlab-ci.yml', text);
    expect(f.host).toBe('gitlab-ci');
    expect(f.snippets.map((s) => [s.text, s.where])).toEqual([
      ['docker login', '`before_script` item 1 of job `default`'],
      ['docker run --rm app:1', '`script` item 1 of job `deploy`'],
      ['docker run \\\n  b', '`script` item 2 of job `deploy`'],
      ['docker ps', '`after_script` of job `deploy`'],
    ]);
  });

  it('invalid workflow YAML is a parse error', () => {
    expect(() => parseShell('.gitlab-ci.yml', undefined, 'a: [\n')).toThrow(ParseError);
  });
});
