import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from '../../src/api.js';
import { ConfigError, ConfigFinder, codemodChoices, loadConfigFile } from '../../src/engine/config.js';
import { codemods } from '../../codemods/index.js';
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
    await expect(loadConfigFile(join(root, 'bad.yaml'))).rejects.toThrow(/bad\.yaml:1:1: unknown key 'codemodz' \(did you mean 'codemods'\?\)/);
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

  it('a run chooses each file\'s codemods from its nearest configuration and the overrides matching it', async () => {
    const add = 'FROM alpine\nADD x.txt /x\n';
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      '.harden.yaml': 'overrides:\n  - files: ["legacy/**"]\n    codemods: { dockerfile-add-to-copy: off }\n  - files: ["**/*.prod.Dockerfile"]\n    role: test\n',
      Dockerfile: add,
      'a.prod.Dockerfile': add,
      'legacy/Dockerfile': add,
      'legacy/old/Dockerfile': add,
      'svc/.harden.yml': 'codemods:\n  dockerfile-add-to-copy: { severity: error }\n',
      'svc/Dockerfile': add,
      'svc/legacy/Dockerfile': add,
    });
    const r = await check({ cwd, only: ['dockerfile-add-to-copy'], resolver: { offline: true, cacheDir: join(cwd, '.c') } });
    const seen = Object.fromEntries(r.files.map((f) => [f.path, f.findings.map((x) => `${x.codemodId}:${x.severity}`)]));
    expect(seen).toEqual({
      Dockerfile: ['dockerfile-add-to-copy:warning'],
      'a.prod.Dockerfile': ['dockerfile-add-to-copy:warning'],
      'legacy/Dockerfile': [],
      'legacy/old/Dockerfile': [],
      'svc/Dockerfile': ['dockerfile-add-to-copy:error'],
      'svc/legacy/Dockerfile': ['dockerfile-add-to-copy:error'],
    });
    expect(r.files.find((f) => f.path === 'a.prod.Dockerfile')?.role?.role).toBe('test');
    expect(r.files.find((f) => f.path === 'Dockerfile')?.role).toBeUndefined();
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

  describe('validation against the schema (with every codemod\'s options)', () => {
    const load = async (text: string, name = '.harden.yaml') => {
      const root = tmpTree({ [name]: text });
      return loadConfigFile(join(root, name), codemods);
    };
    const error = async (text: string, name = '.harden.yaml') => {
      try {
        await load(text, name);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message.split('\n').map((l) => l.replace(/^.*?(\.harden\.yaml|package\.json)/, '$1'));
      }
      throw new Error('no error');
    };

    it('a string is not a boolean: unsafe: "false" is an error, not unsafe fixes on', async () => {
      expect(await error('exclude: [a]\nunsafe: "false"\n')).toEqual([`.harden.yaml:2:9: 'unsafe' must be true or false, not the string "false"`]);
      expect((await load('unsafe: false\n')).config).toEqual({ unsafe: false });
    });
    it('typos in keys, with the line and a suggestion', async () => {
      expect(await error('registries:\n  docker.io: { mirorr: "http://127.0.0.1:5000" }\n')).toEqual([
        ".harden.yaml:2:16: unknown key 'mirorr' in 'registries.docker.io' (did you mean 'mirror'?)",
      ]);
      expect(await error('codemods:\n  pin-image-digst: off\n')).toEqual([".harden.yaml:2:3: unknown codemod 'pin-image-digst' (did you mean 'pin-image-digest'?) (see `harden rules`)"]);
    });
    it("codemod options are checked against the codemod's own schema", async () => {
      expect(await error('codemods:\n  dockerfile-non-root-user:\n    options: { uidd: 1, name: 7 }\n')).toEqual([
        ".harden.yaml:3:16: unknown option 'uidd' of dockerfile-non-root-user (did you mean 'uid'?); its options: uid, gid, name",
        ".harden.yaml:3:31: 'codemods.dockerfile-non-root-user.options.name' must be a string, not number 7",
      ]);
      expect(await error('overrides:\n  - files: [x]\n    codemods:\n      compose-read-only: { options: { x: 1 } }\n')).toEqual([
        ".harden.yaml:4:39: unknown option 'x': compose-read-only takes no options",
      ]);
      expect(await error('codemods:\n  compose-read-only: maybe\n')).toEqual([".harden.yaml:2:22: 'codemods.compose-read-only' must be on, off, true, false or a mapping, not the string \"maybe\""]);
      const ok = await load('codemods:\n  dockerfile-non-root-user: { options: { uid: 5, name: svc }, severity: error }\n  compose-read-only: off\n');
      expect(ok.config.codemods).toEqual({ 'dockerfile-non-root-user': { options: { uid: 5, name: 'svc' }, severity: 'error' }, 'compose-read-only': 'off' });
    });
    it("the README's example configuration is valid", async () => {
      const readme = (await import('node:fs')).readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
      const block = readme.slice(readme.indexOf('## Configuration')).match(/```yaml\n(codemods:[\s\S]*?)```/)?.[1];
      expect(block).toBeDefined();
      await expect(load(block!)).resolves.toBeDefined();
    });
    it('failOn is rejected (it is the --fail-on flag), not accepted and ignored', async () => {
      expect((await error('failOn: warning\n'))[0]).toMatch(/^\.harden\.yaml:1:1: unknown key 'failOn': .*--fail-on/);
    });
    it('the harden key of package.json, with lines in package.json', async () => {
      const text = JSON.stringify({ name: 'x', harden: { skip: ['compose-log-limits'], unsafe: 'yes' } }, null, 2);
      expect(await error(text, 'package.json')).toEqual([`package.json:7:15: 'unsafe' must be true or false, not the string "yes"`]);
      const root = tmpTree({ '.git/HEAD': 'x', 'package.json': text });
      await expect(new ConfigFinder(codemods).find(root)).rejects.toThrow(/package\.json:7:15: 'unsafe' must be/);
    });
    it('every default option set is valid against its schema; codemods with defaults have a schema', async () => {
      for (const c of codemods) {
        if (c.defaultOptions && Object.keys(c.defaultOptions).length) expect(c.optionsSchema, c.id).toBeDefined();
        const entry = { codemods: { [c.id]: { options: { ...c.defaultOptions } } } };
        const root = tmpTree({ 'c.json': '' });
        const f = join(root, 'package.json');
        (await import('node:fs')).writeFileSync(f, JSON.stringify({ harden: entry }));
        await expect(loadConfigFile(f, codemods), c.id).resolves.toBeDefined();
      }
    });
  });
});
