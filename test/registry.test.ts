/** The codemod registry is explicit, sorted, complete, and every codemod has fixtures and docs. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codemods } from '../codemods/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const REQUIRED_SECTIONS = ['## What it does', '## Why', '## Example', '## Fix safety'];

describe('codemod registry', () => {
  it('is sorted by id, with unique kebab-case ids', () => {
    const ids = codemods.map((c) => c.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });

  it('registers every codemod module in codemods/', async () => {
    const modules = readdirSync(join(ROOT, 'codemods')).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'));
    for (const m of modules) {
      const mod = (await import(join(ROOT, 'codemods', m))) as Record<string, unknown>;
      const exported = Object.values(mod).filter((v): v is { id: string } => typeof v === 'object' && v !== null && 'id' in v && 'run' in v);
      expect(exported.length, `${m} exports no codemod`).toBeGreaterThan(0);
      for (const c of exported) expect(codemods, `${c.id} (${m}) is not registered in codemods/index.ts`).toContain(c);
      expect(exported.map((c) => `${c.id}.ts`), `${m} should be named after its codemod id`).toContain(m);
    }
  });

  it.each(codemods.map((c) => [c.id, c] as const))('%s has fixtures, docs with the required sections, and a sound declaration', (id, c) => {
    const dir = join(ROOT, 'fixtures', id);
    expect(existsSync(dir), `fixtures/${id}/ is missing`).toBe(true);
    expect(readdirSync(dir).length, `fixtures/${id}/ has no cases`).toBeGreaterThan(0);
    for (const s of REQUIRED_SECTIONS) expect(c.docs, `${id} docs lack "${s}"`).toContain(s);
    expect(c.summary.length).toBeGreaterThan(10);
    expect(c.fileKinds.length).toBeGreaterThan(0);
    expect(['safe', 'unsafe', 'manual']).toContain(c.safety);
  });
});
