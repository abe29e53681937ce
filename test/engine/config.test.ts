import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigFinder, codemodChoices, loadConfigFile } from '../../src/engine/config.js';
import { tmpTree } from '../support/tmp.js';

describe('configuration', () => {
  it('finds the nearest .harden.yaml upward, stopping at the repository root', async () => {
    const root = tmpTree({
      '.git/HEAD': 'x',
      '.harden.yaml': 'skip: [b]\n',
      'svc/deep/Dockerfile': 'FROM a\n',
      'other/.harden.yml': 'codemods:\n  a: off\n',
    });
    const f = new ConfigFinder();
    expect((await f.find(join(root, 'svc/deep'))).config).toEqual({ skip: ['b'] });
    expect((await f.find(join(root, 'other'))).config).toEqual({ codemods: { a: 'off' } });
    const outside = tmpTree({ '.git/HEAD': 'x', 'sub/Dockerfile': 'FROM a\n' });
    expect((await f.find(join(outside, 'sub'))).file).toBeUndefined();
  });

  it('reads the harden key of package.json', async () => {
    const root = tmpTree({ '.git/HEAD': 'x', 'package.json': JSON.stringify({ name: 'x', harden: { unsafe: true } }) });
    expect((await new ConfigFinder().find(root)).config).toEqual({ unsafe: true });
  });

  it('rejects unknown keys and wrong types with the file name', async () => {
    const root = tmpTree({ 'bad.yaml': 'codemodz: {}\n', 'bad2.yaml': 'only: pin\n', 'bad3.yaml': 'a: [\n' });
    await expect(loadConfigFile(join(root, 'bad.yaml'))).rejects.toThrow(/bad\.yaml: unknown key 'codemodz'/);
    await expect(loadConfigFile(join(root, 'bad2.yaml'))).rejects.toThrow(ConfigError);
    await expect(loadConfigFile(join(root, 'bad3.yaml'))).rejects.toThrow(/invalid YAML/);
  });

  it('chooses codemods and options per file, overrides applying in order', async () => {
    const root = tmpTree({
      'c.yaml': [
        'codemods:',
        '  a: { options: { uid: 1 } }',
        '  b: off',
        'overrides:',
        '  - files: ["legacy/**"]',
        '    codemods: { a: off, b: on }',
        'skip: [c]',
      ].join('\n'),
    });
    const lc = await loadConfigFile(join(root, 'c.yaml'));
    const here = codemodChoices(['a', 'b', 'c'], lc, join(root, 'Dockerfile'));
    expect([...here].map(([id, c]) => [id, c.enabled, c.options])).toEqual([
      ['a', true, { uid: 1 }],
      ['b', false, {}],
      ['c', false, {}],
    ]);
    const legacy = codemodChoices(['a', 'b', 'c'], lc, join(root, 'legacy/x/Dockerfile'));
    expect([...legacy].map(([id, c]) => [id, c.enabled])).toEqual([['a', false], ['b', true], ['c', false]]);
  });

  it('leaves codemods outside the preset off unless the config names them (offByPreset says --only may turn them on)', async () => {
    const root = tmpTree({ 'c.yaml': 'codemods:\n  s1: on\n  s2: off\n', 'o.yaml': 'only: [s1, a]\n' });
    const byDefault = (id: string) => !id.startsWith('s');
    const lc = await loadConfigFile(join(root, 'c.yaml'));
    expect([...codemodChoices(['a', 's1', 's2', 's3'], lc, undefined, byDefault)].map(([id, c]) => [id, c.enabled, c.offByPreset ?? false])).toEqual([
      ['a', true, false],
      ['s1', true, false],
      ['s2', false, false],
      ['s3', false, true],
    ]);
    const only = await loadConfigFile(join(root, 'o.yaml'));
    expect([...codemodChoices(['a', 's1', 's2'], only, undefined, byDefault)].map(([id, c]) => [id, c.enabled, c.offByPreset ?? false])).toEqual([
      ['a', true, false],
      ['s1', true, false],
      ['s2', false, false],
    ]);
  });
});
