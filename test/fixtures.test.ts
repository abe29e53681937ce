/**
 * One generic runner for every fixture case: exact output, a second run changes nothing, the output parses,
 * and (when present) the findings snapshot matches.
 */
import { describe, expect, it } from 'vitest';
import { parseFile } from '../src/engine/parse.js';
import { formatFindings, loadCases, runCase } from './support/fixtures.js';

const cases = loadCases();

describe.each([...new Set(cases.map((c) => c.codemodId))])('%s', (id) => {
  for (const c of cases.filter((x) => x.codemodId === id)) {
    it(c.name, async () => {
      const r = await runCase(c);
      if (c.options.expectError) {
        expect(r.error?.message).toContain(c.options.expectError);
        expect(r.after).toBe(c.input);
        return;
      }
      expect(r.error, r.error?.message).toBeUndefined();
      expect(r.after).toBe(c.output ?? c.input);
      if (c.findings !== undefined) expect(formatFindings(r)).toBe(c.findings.trimEnd());
      // The output parses.
      expect(() => parseFile(c.kind, c.inputName, undefined, r.after.replace(/^\uFEFF/, ''))).not.toThrow();
      // Idempotent: running again on the output changes nothing.
      const again = await runCase(c, r.after);
      expect(again.error).toBeUndefined();
      expect(again.after).toBe(r.after);
    });
  }
});
