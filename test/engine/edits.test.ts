/**
 * applyFixes and offsetBefore against the plain definitions they replace (one fix at a time checked against every
 * accepted edit; edits applied one by one from the end; offsets mapped by walking every edit), on random fixes.
 */
import { describe, expect, it } from 'vitest';
import { applyFixes, offsetBefore } from '../../src/engine/edits.js';
import type { Edit, Fix } from '../../src/engine/types.js';

function reference(text: string, fixes: readonly Fix[]): { output: string; applied: number[]; edits: Edit[]; made: Edit[][] } {
  const overlap = (a: Edit, b: Edit) => a.start <= b.end && b.start <= a.end;
  const accepted: Edit[] = [];
  const applied: number[] = [];
  const made: Edit[][] = [];
  fixes.forEach((f, i) => {
    const sorted = [...f.edits].sort((x, y) => x.start - y.start || x.end - y.end);
    if (sorted.some((e, k) => e.start < 0 || e.end > text.length || e.start > e.end || (k > 0 && e.start < (sorted[k - 1] as Edit).end))) return;
    if (f.edits.length === 0) return;
    // A shared edit identical to a shared one of an earlier fix is that edit, made once.
    const fresh = f.edits.filter((e) => !(e.shared && accepted.some((a) => a.shared && a.start === e.start && a.end === e.end && a.text === e.text)));
    if (fresh.some((e) => accepted.some((a) => overlap(a, e)))) return;
    accepted.push(...fresh);
    applied.push(i);
    made.push(fresh);
  });
  accepted.sort((a, b) => b.start - a.start || b.end - a.end);
  let output = text;
  for (const e of accepted) output = output.slice(0, e.start) + e.text + output.slice(e.end);
  return { output, applied, edits: accepted.reverse(), made };
}

function referenceOffsetBefore(edits: readonly Edit[], offset: number, bias: 'start' | 'end'): number {
  let delta = 0;
  for (const e of edits) {
    const newStart = e.start + delta;
    if (offset <= newStart) break;
    if (offset < newStart + e.text.length) return bias === 'start' ? e.start : e.end;
    delta += e.text.length - (e.end - e.start);
  }
  return offset - delta;
}

/** A small deterministic generator (so a failure reproduces). */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

describe('applyFixes', () => {
  it('matches the one-by-one definition on random fixes (overlaps, touching edits, inserts at one place, shared edits)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const text = 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 5 + r(30));
      const fixes: Fix[] = Array.from({ length: r(12) }, (_, k) => {
        const edits: Edit[] = [];
        let at = r(text.length + 1);
        for (let n = 1 + r(3); n > 0 && at <= text.length; n--) {
          const end = Math.min(text.length, at + r(4));
          edits.push({ start: at, end, text: r(3) === 0 ? '' : `<${k}.${n}>` });
          at = end + r(3);
        }
        if (r(10) === 0) edits.push({ start: text.length + 1, end: text.length + 2, text: 'bad' });
        // The same shared edit in several fixes (a block each fix carries), sometimes not marked shared.
        if (r(4) === 0) edits.push({ start: 3, end: 3, text: '<s>', ...(r(4) ? { shared: true as const } : {}) });
        return { title: `f${k}`, safety: 'safe', edits: r(2) ? edits : edits.reverse() };
      });
      expect(applyFixes(text, fixes), `seed ${seed}`).toEqual(reference(text, fixes));
    }
  });

  it('applies one of the fixes sharing a claim per pass, whatever their edits', () => {
    const fixes: Fix[] = [
      { title: 'a', safety: 'unsafe', edits: [{ start: 1, end: 1, text: 'A' }], claims: ['read-only root of service db'] },
      { title: 'b', safety: 'unsafe', edits: [{ start: 4, end: 4, text: 'B' }], claims: ['read-only root of service db'] },
      { title: 'c', safety: 'unsafe', edits: [{ start: 5, end: 5, text: 'C' }], claims: ['read-only root of service web'] },
    ];
    const r = applyFixes('abcdef', fixes);
    expect(r.applied).toEqual([0, 2]);
    expect(r.output).toBe('aAbcdeCf');
  });

  it('maps offsets of the new text back like walking every edit', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const text = 'x'.repeat(10 + r(40));
      const fixes: Fix[] = Array.from({ length: 1 + r(10) }, (_, k) => {
        const s = r(text.length);
        return { title: `f${k}`, safety: 'safe', edits: [{ start: s, end: Math.min(text.length, s + r(5)), text: 'y'.repeat(r(6)) }] };
      });
      const { output, edits } = applyFixes(text, fixes);
      for (let o = 0; o <= output.length; o++) {
        for (const bias of ['start', 'end'] as const) expect(offsetBefore(edits, o, bias), `seed ${seed} offset ${o} ${bias}`).toBe(referenceOffsetBefore(edits, o, bias));
      }
    }
  });
});
