import { describe, expect, it } from 'vitest';
import { isAlias, isMap, visit, type Alias } from 'yaml';
import { parseCompose } from '../../src/engine/parse.js';
import { aliasTarget, anchorView } from '../../src/compose/anchors.js';

const text = [
  'x-a: &a',
  '  image: one',
  'x-list: &l [*a, &b two]',
  '? &k complex',
  ': *k',
  'services:',
  '  web:',
  '    <<: *a',
  '    ports: *l',
  '  later: &a',
  '    image: redefined',
  '  api:',
  '    <<: *a',
  '    env: *b',
  '    missing: *nowhere',
  '',
].join('\n');

describe('anchorView()', () => {
  const file = parseCompose('compose.yaml', undefined, text.replace('*nowhere', '*a'));
  const doc = file.docs[0]!;

  it('resolves every alias as yaml does (the last anchor of that name before it), re-defined anchors included', () => {
    const aliases: Alias[] = [];
    visit(doc, { Alias: (_, n) => void aliases.push(n) });
    expect(aliases.length).toBe(7);
    for (const a of aliases) expect(aliasTarget(doc, a)).toBe(a.resolve(doc));
    const [first, , , , late] = aliases;
    expect(isMap(aliasTarget(doc, first!))).toBe(true);
    expect(aliasTarget(doc, late!)).not.toBe(aliasTarget(doc, first!));
  });

  it('lists anchored nodes in document order and counts each name', () => {
    const v = anchorView(doc);
    expect(v.anchored.map((n) => n.anchor)).toEqual(['a', 'l', 'b', 'k', 'a']);
    expect(Object.fromEntries(v.counts)).toEqual({ a: 2, l: 1, b: 1, k: 1 });
    expect([...v.targets.keys()].every((k) => isAlias(k))).toBe(true);
  });

  it('falls back to yaml for an alias of another document', () => {
    const other = parseCompose('other.yaml', undefined, 'x: &a 1\ny: *a\n').docs[0]!;
    const foreign = (other.contents as { items: { value: Alias }[] }).items[1]!.value;
    expect(aliasTarget(doc, foreign)).toBe(foreign.resolve(doc));
  });
});
