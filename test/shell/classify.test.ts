import { beforeAll, describe, expect, it } from 'vitest';
import { classifyDownload, classifyInterpreter, classifyShell, interpreterKind, shellOptions, program, substDownload } from '../../src/shell/classify.js';
import { findAll, loadShell, parseScript, type SimpleCommand } from '../../src/shell/index.js';

beforeAll(async () => {
  await loadShell();
});

const cmd = (s: string, i = 0) => parseScript(s).commands[i] as SimpleCommand;

describe('shell classifiers', () => {
  it('finds a download to stdout, not one written to a file', () => {
    const d = classifyDownload(cmd('curl -fsSL -H "A: b" https://x.example/i.sh'));
    expect(d !== 'skip' && [d.tool, d.urlWord.value, d.output.kind]).toEqual(['curl', 'https://x.example/i.sh', 'append']);
    const w = classifyDownload(cmd('wget -qO- https://x.example/i.sh'));
    expect(w !== 'skip' && [w.tool, w.output.kind]).toEqual(['wget', 'replace']);
    expect(classifyDownload(cmd('curl -fsSL https://x.example/i.sh > i.sh'))).toBe('skip');
    expect(classifyDownload(cmd('echo https://x.example/i.sh'))).toBe('skip');
  });

  it('tells a shell reading its script from stdin from one running a string', () => {
    expect(classifyShell(cmd('sudo -E bash -s -- --yes'))?.shell).toBe('bash');
    expect(classifyShell(cmd('sh'))?.shell).toBe('sh');
    expect(classifyShell(cmd("sh -c 'echo hi'"))).toBeNull();
    expect(classifyShell(cmd('python3 -'))).toBeNull();
  });

  it('knows interpreters, and leaves inline code and script files alone', () => {
    expect([interpreterKind('python3.12'), interpreterKind('perl'), interpreterKind('java')]).toEqual(['python', 'perl', undefined]);
    expect(classifyInterpreter(cmd('python3 -'))?.manual).toBeUndefined();
    expect(classifyInterpreter(cmd('python3 - --user'))?.manual).toContain('--user');
    expect(classifyInterpreter(cmd("python3 -c 'print(1)'"))).toBeNull();
    expect(classifyInterpreter(cmd('node script.js'))).toBeNull();
  });

  it('finds the download a whole substitution runs', () => {
    const script = parseScript('bash -c "$(curl -fsSL https://x.example/i.sh)"');
    const [sub] = findAll(script.root, 'substitution');
    expect(sub && substDownload(sub)?.download.urlWord.value).toBe('https://x.example/i.sh');
  });
});

describe('shellOptions (one walker for `| sh -s` and `sh -c "$(curl …)"`)', () => {
  const rest = (s: string) => program(cmd(s))?.rest ?? [];
  it('takes the script letter out of its cluster and keeps the other options as written', () => {
    expect(shellOptions(rest('sh -exs +u -- a b'), 's')).toMatchObject({ opts: ['-ex', '+u'], j: 3, letter: true, dash: false });
    expect(shellOptions(rest('bash -ec "$(curl -fsSL https://x/i.sh)" name arg'), 'c')).toMatchObject({ opts: ['-e'], j: 1, letter: true });
    expect(shellOptions(rest('bash - arg'), 's')).toMatchObject({ opts: [], j: 1, letter: false, dash: true });
    expect(shellOptions(rest('bash -x script.sh'), 'c')).toMatchObject({ opts: ['-x'], j: 1, letter: false });
    expect(shellOptions(rest('sh +o'), 's')).toBeNull();
  });
});
