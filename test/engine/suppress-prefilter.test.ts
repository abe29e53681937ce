/**
 * The quick test for "may this text hold a suppression comment" never skips a file that holds one: over generated
 * texts, a text it rejects is one whose full line-by-line reading finds no directive (the reading is forced by
 * appending one directive of our own, which must then be the only one found).
 */
import { describe, expect, it } from 'vitest';
import { buildSuppressions, mayHaveDirective } from '../../src/engine/suppress.js';
import { computeLineStarts } from '../../src/engine/text.js';
import type { ParsedFile } from '../../src/engine/types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LINES = [
  'FROM alpine:3.19',
  'RUN apk add curl # harden-ignore lock-apk-add',
  '# harden-ignore pin-image-digest',
  '#harden-ignore-file all',
  '   # HADOLINT ignore=DL3008',
  '#\tHadolint global ignore=DL3020,DL3008',
  '# hadolint  ignore = DL3007',
  '#\u00a0harden-ignore compose-read-only',
  '  image: nginx # harden-ignore compose-read-only',
  '  image: nginx #harden-ignore-file x',
  'services:',
  '# a comment about harden and ignore',
  'harden-ignore with no hash',
  'hadolint mentioned in text',
  '#',
  '##',
  '# harden-ignor',
  '# hadolin',
  '',
];

function text(r: () => number): string {
  const n = Math.floor(r() * 8);
  const eol = r() < 0.2 ? '\r\n' : '\n';
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(LINES[Math.floor(r() * LINES.length)] as string);
  return lines.join(eol) + (r() < 0.5 ? eol : '');
}

const file = (kind: 'dockerfile' | 'compose', t: string): ParsedFile => ({ kind, path: 'f', absPath: undefined, text: t, lineStarts: computeLineStarts(t) }) as unknown as ParsedFile;

describe('mayHaveDirective', () => {
  it('is true for every text whose reading finds a directive', () => {
    const r = rng(5);
    let rejected = 0;
    let held = 0;
    for (let i = 0; i < 4000; i++) {
      const t = text(r);
      for (const kind of ['dockerfile', 'compose'] as const) {
        const forced = buildSuppressions(file(kind, `${t}\n# harden-ignore-file zz-marker\n`));
        const own = forced.directives.filter((d) => !d.written.includes('zz-marker'));
        if (own.length > 0) held++;
        if (!mayHaveDirective(t)) {
          rejected++;
          expect(own, JSON.stringify(t)).toEqual([]);
        }
      }
    }
    // Both kinds of text were generated.
    expect(rejected).toBeGreaterThan(100);
    expect(held).toBeGreaterThan(100);
  });

  it('passes texts with a directive whatever the case of hadolint or the spaces after the #', () => {
    for (const t of ['# harden-ignore x', 'a #harden-ignore-file y', '#   HadoLint ignore=DL1', '#\u3000hadolint global ignore=DL1']) expect(mayHaveDirective(t), t).toBe(true);
    for (const t of ['harden-ignore', 'hadolint', '# note', '', 'a#b']) expect(mayHaveDirective(t), t).toBe(false);
  });
});
