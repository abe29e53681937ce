/** src/compose/share.ts: when a block is shared as an `x-` extension, reused, or written out per service. */
import { describe, expect, it } from 'vitest';
import { parseFile } from '../../src/engine/parse.js';
import { applyFixes } from '../../src/engine/edits.js';
import type { ParsedCompose } from '../../src/engine/types.js';
import { services } from '../../src/compose/index.js';
import { extensionsAllowed, same, sharer, SHARE_MIN_SERVICES } from '../../src/compose/share.js';

const compose = (text: string) => parseFile('compose', 'compose.yaml', '/srv/app/compose.yaml', text) as ParsedCompose;
const spec = { key: 'logging', value: { driver: 'json-file', options: { 'max-size': '10m' } }, extension: 'x-logging', anchor: 'default-logging' };
const svcs = (n: number) => `services:\n${Array.from({ length: n }, (_, i) => `  s${i}:\n    image: i${i}\n`).join('')}`;

function plan(text: string) {
  const file = compose(text);
  const all = [...services(file)];
  const share = sharer(file, spec, all.map((s) => ({ doc: s.doc, map: s.node })));
  return { file, results: all.map((s) => share(s.doc, s.node)) };
}

describe('sharer', () => {
  it(`creates an extension from ${SHARE_MIN_SERVICES} services on, not below`, () => {
    expect(plan(svcs(SHARE_MIN_SERVICES - 1)).results.every((r) => r === undefined)).toBe(true);
    const { file, results } = plan(svcs(SHARE_MIN_SERVICES));
    expect(results.every((r) => r?.creates === true && r.anchor === 'default-logging')).toBe(true);
    // Applied one at a time (the definitions conflict), the first fix writes the extension before `services:`.
    const first = results[0];
    const out = applyFixes(file.text, [{ title: 't', safety: 'safe', edits: first?.edits ?? [] }]).output;
    expect(out.startsWith('x-logging: &default-logging\n  driver: json-file\n  options:\n    max-size: 10m\n\nservices:\n')).toBe(true);
    expect(out).toContain('    image: i0\n    logging: *default-logging\n');
  });

  it('reuses an anchored node with the same content for a single service, and only after its definition', () => {
    const head = 'x-log: &log\n  options:\n    max-size: 10m\n  driver: json-file\n';
    const before = plan(`${head}${svcs(1)}`).results;
    expect(before[0]).toMatchObject({ creates: false, anchor: 'log', extension: 'x-log' });
    expect(before[0]?.edits).toHaveLength(1);
    // Defined after the services: an alias there would not resolve, so every service gets the block written out.
    expect(plan(`${svcs(3)}${head}`).results.every((r) => r === undefined)).toBe(true);
  });

  it('does not reuse an anchor name defined twice, or a node with other content', () => {
    const twice = 'x-a: &log\n  driver: json-file\n  options:\n    max-size: 10m\nx-b: &log\n  driver: syslog\n';
    const r = plan(`${twice}${svcs(3)}`).results;
    expect(r[0]).toMatchObject({ creates: true, anchor: 'default-logging' });
    const other = plan(`x-logging: &default-logging\n  driver: json-file\n${svcs(3)}`).results;
    expect(other[0]).toMatchObject({ creates: true, anchor: 'default-logging-2', extension: 'x-logging-2' });
  });

  it('counts services per fix safety: a safe run never references a block only unsafe fixes would write', () => {
    const file = compose(svcs(5));
    const all = [...services(file)];
    // Two safe fixes, three unsafe ones: the safe services get the block written out; the unsafe ones share it.
    const safety = (i: number) => (i < 2 ? 'safe' : 'unsafe') as 'safe' | 'unsafe';
    const share = sharer(file, spec, all.map((s, i) => ({ doc: s.doc, map: s.node, safety: safety(i) })));
    const results = all.map((s) => share(s.doc, s.node));
    expect(results.slice(0, 2)).toEqual([undefined, undefined]);
    expect(results.slice(2).every((r) => r?.creates === true)).toBe(true);
    // Every fix that references the new block carries its definition: no alias without its anchor in any run.
    for (const r of results) if (r) expect(r.edits.some((e) => e.text.includes('&default-logging'))).toBe(true);
  });

  it('gives safe and unsafe fixes the same definition when both reach the threshold: one block, whichever applies first', () => {
    const file = compose(svcs(6));
    const all = [...services(file)];
    const share = sharer(file, spec, all.map((s, i) => ({ doc: s.doc, map: s.node, safety: (i % 2 ? 'unsafe' : 'safe') as 'safe' | 'unsafe' })));
    const results = all.map((s) => share(s.doc, s.node));
    const defs = new Set(results.map((r) => JSON.stringify(r?.edits[0])));
    expect(defs.size).toBe(1);
    // A safe run: only the safe fixes, applied pass after pass as the engine does (the definitions conflict).
    const safeOut = applyFixes(file.text, results.filter((_, i) => i % 2 === 0).map((r) => ({ title: 't', safety: 'safe', edits: r?.edits ?? [] }))).output;
    expect(safeOut.match(/&default-logging/g)).toHaveLength(1);
  });

  it('references an extension the file already has from fixes of any safety, whatever their number', () => {
    const head = 'x-log: &log\n  options:\n    max-size: 10m\n  driver: json-file\n';
    const file = compose(`${head}${svcs(2)}`);
    const all = [...services(file)];
    const share = sharer(file, spec, all.map((s, i) => ({ doc: s.doc, map: s.node, safety: (i ? 'unsafe' : 'safe') as 'safe' | 'unsafe' })));
    expect(all.map((s) => share(s.doc, s.node)?.anchor)).toEqual(['log', 'log']);
  });

  it('writes nothing shared in a flow-style root', () => {
    expect(plan('{services: {a: {image: a}, b: {image: b}, c: {image: c}}}\n').results.every((r) => r === undefined)).toBe(true);
  });
});

describe('extensionsAllowed', () => {
  it.each([
    [undefined, true], ['"2"', false], ['"2.0"', false], ['"2.1"', true], ["'2.4'", true], ['"3"', false], ['"3.3"', false],
    ['"3.4"', true], ['"3.9"', true], ['"${COMPOSE_VERSION}"', false], ['"1"', false],
  ])('version %s → %s', (v, ok) => {
    const doc = compose(`${v === undefined ? '' : `version: ${v}\n`}${svcs(1)}`).docs[0];
    expect(doc && extensionsAllowed(doc)).toBe(ok);
  });
});

describe('same', () => {
  it('compares mappings without key order, sequences in order, scalars as text', () => {
    const doc = compose('a: {x: 1, y: [p, q]}\nb: [q, p]\nc: {x: 1, <<: {y: 2}}\n').docs[0];
    const root = doc?.contents as unknown as { items: { value: unknown }[] };
    if (!doc) throw new Error('no document');
    expect(same(doc, root.items[0]?.value, { y: ['p', 'q'], x: '1' })).toBe(true);
    expect(same(doc, root.items[0]?.value, { x: '1' })).toBe(false);
    expect(same(doc, root.items[1]?.value, ['p', 'q'])).toBe(false);
    expect(same(doc, root.items[2]?.value, { x: '1' })).toBe(false);
  });
});
