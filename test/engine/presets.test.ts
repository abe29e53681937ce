/**
 * Presets choose the codemods that run: `standard` (the default) runs every codemod without a `presets` list, `strict`
 * adds those whose list names it; `--only`, the config's `only:` and `codemods: { id: on }` turn a preset-restricted
 * codemod on whatever the preset; an explicit `off` or `--skip` wins.
 */
import { describe, expect, it } from 'vitest';
import { codemods as registered } from '../../codemods/index.js';
import { check, fix, presetCodemods, type HardenOptions } from '../../src/api.js';
import type { Codemod } from '../../src/engine/types.js';
import { createLocalResolver } from '../../src/resolvers/index.js';
import { reportOnly } from '../support/test-codemods.js';
import { tmpTree } from '../support/tmp.js';

const always = reportOnly('always-on', 'image');
const strictOnly: Codemod = { ...reportOnly('strict-only', 'image'), presets: ['strict'] };
const codemods = [always, strictOnly];

async function ran(files: Record<string, string>, opts: HardenOptions = {}): Promise<string[]> {
  const cwd = tmpTree({ '.git/HEAD': 'x', 'compose.yaml': 'services:\n  a:\n    image: busybox\n', ...files });
  const r = await check({ cwd, codemods, customResolver: createLocalResolver(), ...opts });
  return [...new Set(r.files.flatMap((f) => f.findings.map((x) => x.codemodId)))].sort();
}

describe('presets', () => {
  it('standard (also when no preset is given) leaves out codemods restricted to strict; strict runs them', async () => {
    expect(await ran({})).toEqual(['always-on']);
    expect(await ran({}, { preset: 'standard' })).toEqual(['always-on']);
    expect(await ran({}, { preset: 'strict' })).toEqual(['always-on', 'strict-only']);
  });

  it('takes the preset from the configuration, the option overriding it', async () => {
    expect(await ran({ '.harden.yaml': 'preset: strict\n' })).toEqual(['always-on', 'strict-only']);
    expect(await ran({ '.harden.yaml': 'preset: strict\n' }, { preset: 'standard' })).toEqual(['always-on']);
  });

  it('--only naming a codemod runs it whatever the preset', async () => {
    expect(await ran({}, { only: ['strict-only'] })).toEqual(['strict-only']);
    expect(await ran({}, { only: ['always-on'], preset: 'strict' })).toEqual(['always-on']);
  });

  it('the configuration turns it on (codemods: on, a mapping, only:) or off, and --skip wins', async () => {
    expect(await ran({ '.harden.yaml': 'codemods:\n  strict-only: on\n' })).toEqual(['always-on', 'strict-only']);
    expect(await ran({ '.harden.yaml': 'codemods:\n  strict-only: { severity: error }\n' })).toEqual(['always-on', 'strict-only']);
    expect(await ran({ '.harden.yaml': 'only: [strict-only]\n' })).toEqual(['strict-only']);
    expect(await ran({ '.harden.yaml': 'codemods:\n  strict-only: off\n' }, { preset: 'strict' })).toEqual(['always-on']);
    expect(await ran({ '.harden.yaml': 'codemods:\n  strict-only: off\n' }, { only: ['strict-only'] })).toEqual([]);
    expect(await ran({}, { preset: 'strict', skip: ['strict-only'] })).toEqual(['always-on']);
  });

  it('in the registry, compose-network-isolation is the strict preset\'s addition', () => {
    const standard = presetCodemods(registered, 'standard').map((c) => c.id);
    const strict = presetCodemods(registered, 'strict').map((c) => c.id);
    expect(presetCodemods(registered, undefined).map((c) => c.id)).toEqual(standard);
    expect(strict.filter((id) => !standard.includes(id))).toEqual(['compose-network-isolation']);
    expect(standard.every((id) => strict.includes(id))).toBe(true);
  });

  it('fixes a compose stack with network isolation only under --preset strict', async () => {
    const files = {
      '.git/HEAD': 'x',
      'compose.yaml': [
        'services:',
        '  app:',
        '    image: example/app:1.0',
        '    depends_on: [db]',
        '  db:',
        '    image: postgres:16',
        '  job:',
        '    image: busybox:1.36',
        '',
      ].join('\n'),
    };
    const opts = { unsafe: true, skip: ['pin-image-digest'], customResolver: createLocalResolver() };
    const standard = await fix({ cwd: tmpTree(files), ...opts });
    expect(standard.files[0]?.after).not.toMatch(/network_mode|networks:/);
    const strict = await fix({ cwd: tmpTree(files), ...opts, preset: 'strict' });
    const after = strict.files[0]?.after ?? '';
    expect(after).toContain('    network_mode: none\n');
    expect(after).toMatch(/\nnetworks:\n {2}backend:\n {4}internal: true\n/);
    expect(strict.files[0]?.applied.filter((a) => a.codemodId === 'compose-network-isolation')).toHaveLength(2);
    // The other codemods ran too (strict = standard + isolation).
    expect(after).toContain('read_only: true');
  });
});
