/**
 * The compose runtime-hardening codemods TOGETHER (as `harden fix --unsafe` runs them) over every compose file of
 * ../shared/corpus: no file error, the output parses, still validates against the compose-spec schema when the input
 * did, and a second run changes nothing. (test/corpus.test.ts runs each codemod alone.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codemodById } from '../../codemods/index.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import { ParseError, parseFile } from '../../src/engine/parse.js';
import { processText, resolveLookups } from '../../src/engine/run.js';
import type { Answer, LookupKey } from '../../src/engine/types.js';
import { CORPUS, composeValidates, schemaAvailable } from '../support/compose-schema.js';

const IDS = [
  'compose-drop-capabilities', 'compose-healthcheck', 'compose-log-limits', 'compose-network-isolation', 'compose-no-new-privileges',
  'compose-read-only', 'compose-resource-limits',
];
const present = existsSync(join(CORPUS, 'MANIFEST.tsv'));

describe.skipIf(!present)('compose hardening codemods together over the corpus', () => {
  it('keep every compose file parseable, valid and idempotent', async () => {
    const enabled = IDS.map((id) => {
      const codemod = codemodById(id);
      if (!codemod) throw new Error(`unknown codemod ${id}`);
      return { codemod, options: { ...codemod.defaultOptions } };
    });
    for (const e of enabled) await e.codemod.prepare?.();
    const rows = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).filter((r) => r.startsWith('compose\t'));
    let changed = 0;
    for (const row of rows) {
      const name = row.split('\t')[1] ?? '';
      const text = readFileSync(join(CORPUS, 'compose', name), 'utf8');
      try {
        parseFile('compose', name, undefined, text.replace(/^\uFEFF/, ''));
      } catch (e) {
        if (e instanceof ParseError) continue;
        throw e;
      }
      const answers = new AnswerStore();
      const resolve = async (keys: readonly LookupKey[]) => {
        for (const k of keys) answers.set(k, { error: { code: 'offline-miss', message: 'no network in this test' } } as Answer);
      };
      const run = async (t: string) => {
        await resolveLookups([parseFile('compose', name, undefined, t.replace(/^\uFEFF/, ''))], () => enabled, {}, answers, resolve);
        return processText('compose', name, t, { codemods: enabled, allowed: 'unsafe', applyFixes: true, global: {}, answers, resolveMissing: resolve });
      };
      const r = await run(text);
      expect(r.error, `${name}: ${r.error?.message}`).toBeUndefined();
      if (!r.changed) continue;
      changed++;
      if (schemaAvailable() && composeValidates(text)) expect(composeValidates(r.after), `${name} no longer validates`).toBe(true);
      const again = await run(r.after);
      expect(again.after, `${name}: second run changed it`).toBe(r.after);
    }
    expect(changed).toBeGreaterThan(100);
  }, 600_000);
});
