/**
 * Robustness on real files: every codemod, alone, over every file of ../shared/corpus (1,148 Dockerfiles and
 * compose files from public projects), in dry-run. Network answers come from a synthetic resolver (every image
 * resolves to a digest derived from its name, every other lookup fails), not from a registry: the point here is
 * what the codemods do to real files, not what registries say.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { structuredPatch } from 'diff';
import { afterAll, describe, expect, it } from 'vitest';
import { codemods } from '../codemods/index.js';
import { AnswerStore } from '../src/engine/lookups.js';
import { ParseError, parseFile } from '../src/engine/parse.js';
import { computeLineStarts, lineIndexAt } from '../src/engine/text.js';
import { processText, resolveLookups } from '../src/engine/run.js';
import type { Answer, Codemod, FileKind, LookupKey } from '../src/engine/types.js';
import { CORPUS, composeValidates, schemaAvailable } from './support/compose-schema.js';

const present = existsSync(join(CORPUS, 'MANIFEST.tsv'));
if (!present) console.warn('corpus robustness test skipped: ../shared/corpus is absent');

interface CorpusFile {
  kind: FileKind;
  name: string;
  text: string;
}

function loadCorpus(): CorpusFile[] {
  const rows = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows.filter((row) => /^(compose|dockerfiles)\t/.test(row)).map((row) => {
    const [dir = '', name = ''] = row.split('\t');
    return { kind: dir === 'compose' ? 'compose' : 'dockerfile', name, text: readFileSync(join(CORPUS, dir, name), 'utf8') } as CorpusFile;
  });
}

/** Synthetic answers (see the file comment). */
function syntheticAnswer(k: LookupKey): Answer {
  if (k.kind === 'image-digest') {
    const digest = `sha256:${createHash('sha256').update(`${String((k as { ref: string }).ref)}|${String((k as { platform?: string }).platform ?? '')}`).digest('hex')}`;
    return { ok: { digest, mediaType: 'application/vnd.oci.image.index.v1+json', registry: 'synthetic' }, source: 'synthetic' };
  }
  if (k.kind === 'file' || k.kind === 'dir') return { ok: { exists: false, entries: [] } };
  return { error: { code: 'offline-miss', message: `no recorded answer for ${k.kind}` } };
}

const changedPerCodemod = new Map<string, number>();

describe.skipIf(!present)('corpus robustness', () => {
  const files = present ? loadCorpus() : [];
  const usable = files.filter((f) => {
    try {
      parseFile(f.kind, f.name, undefined, f.text.replace(/^\uFEFF/, ''));
      return true;
    } catch (e) {
      if (e instanceof ParseError) return false;
      throw e;
    }
  });

  it('parses (nearly) every corpus file', () => {
    expect(files.length).toBeGreaterThan(1100);
    // Known-bad inputs in the corpus (e.g. docker/compose's "wrong-composefile" fixture) are allowed to fail.
    expect(files.length - usable.length).toBeLessThan(5);
  });

  it.skipIf(!schemaAvailable())('validates compose files against the schema (sanity check: it rejects what it should)', () => {
    expect(composeValidates('services:\n  a:\n    image: x\n    read_only: true\n')).toBe(true);
    expect(composeValidates('services:\n  a:\n    image: x\n    bogus_key: 1\n')).toBe(false);
    expect(composeValidates('services:\n  a:\n    cap_drop: ALL\n')).toBe(false);
  });

  const validBefore = new Map<string, boolean>();

  it.each(codemods.map((c) => [c.id, c] as [string, Codemod]))('%s: no crash, output parses, validates, is idempotent, edits only what it meant', async (_id, codemod) => {
    await codemod.prepare?.();
    let changed = 0;
    for (const f of usable.filter((x) => codemod.fileKinds.includes(x.kind))) {
      const answers = new AnswerStore();
      const enabled = [{ codemod, options: { ...codemod.defaultOptions } }];
      const global = {};
      const resolve = async (keys: readonly LookupKey[]) => {
        for (const k of keys) answers.set(k, syntheticAnswer(k));
      };
      const run = async (text: string) => {
        await resolveLookups([parseFile(f.kind, f.name, undefined, text.replace(/^\uFEFF/, ''))], () => enabled, global, answers, resolve);
        return processText(f.kind, f.name, text, { codemods: enabled, allowed: 'unsafe', applyFixes: true, global, answers, resolveMissing: resolve });
      };
      const r = await run(f.text);
      expect(r.error, `${f.name}: ${r.error?.message}`).toBeUndefined();
      if (!r.changed) continue;
      changed++;
      expect(() => parseFile(f.kind, f.name, undefined, r.after.replace(/^\uFEFF/, '')), f.name).not.toThrow();
      if (f.kind === 'compose' && schemaAvailable()) {
        if (!validBefore.has(f.name)) validBefore.set(f.name, composeValidates(f.text));
        if (validBefore.get(f.name)) expect(composeValidates(r.after), `${f.name} no longer validates`).toBe(true);
      }
      const again = await run(r.after);
      expect(again.after, `${f.name}: second run changed it`).toBe(r.after);
      // Every changed line of the original is a line some first-pass edit touched.
      if (r.applied.every((a) => a.pass === 1)) {
        const text = f.text.replace(/^\uFEFF/, '');
        const starts = computeLineStarts(text);
        const meant = new Set<number>();
        for (const a of r.applied) {
          for (const e of a.fix?.edits ?? []) {
            for (let l = lineIndexAt(starts, e.start); l <= lineIndexAt(starts, e.end); l++) meant.add(l + 1);
          }
        }
        const patch = structuredPatch('a', 'b', f.text, r.after, '', '', { context: 0 });
        for (const h of patch.hunks) {
          const removed = h.lines.filter((l) => l.startsWith('-')).length;
          for (let i = 0; i < removed; i++) expect(meant.has(h.oldStart + i), `${f.name}: line ${h.oldStart + i} changed unasked`).toBe(true);
        }
      }
    }
    changedPerCodemod.set(codemod.id, changed);
  }, 300_000);

  afterAll(() => {
    const summary = [...changedPerCodemod].map(([id, n]) => `${id} ${n}`).join(', ');
    console.log(`corpus: ${usable.length}/${files.length} files parsed; files changed per codemod: ${summary || 'none'}`);
  });
});

