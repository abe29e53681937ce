/** Generated docs are up to date (run `npm run docs` after changing a codemod's docs or summary). */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codemods } from '../codemods/index.js';
import { codemodPage, firstRunWithTable, readmeWithTable, schemaText } from '../scripts/gen-docs.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('generated documentation', () => {
  it('README codemod table matches the registry', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    expect(readme, 'README.md is stale: run npm run docs').toBe(readmeWithTable(readme));
  });
  it('docs/first-run.md has the current hadolint mapping table', () => {
    const text = readFileSync(resolve(ROOT, 'docs/first-run.md'), 'utf8');
    expect(text, 'docs/first-run.md is stale: run npm run docs').toBe(firstRunWithTable(text));
    expect(text).toMatch(/\| \[DL3020\]\(.*\) \| \[`dockerfile-add-to-copy`\]/);
  });
  it('schema/harden.schema.json is current', () => {
    const p = resolve(ROOT, 'schema/harden.schema.json');
    expect(existsSync(p), `${p} missing: run npm run docs`).toBe(true);
    expect(readFileSync(p, 'utf8'), `${p} is stale: run npm run docs`).toBe(schemaText());
  });
  it.each(codemods.map((c) => [c.id, c] as const))('docs/codemods/%s.md is current', (id, c) => {
    const p = resolve(ROOT, 'docs/codemods', `${id}.md`);
    expect(existsSync(p), `${p} missing: run npm run docs`).toBe(true);
    expect(readFileSync(p, 'utf8'), `${p} is stale: run npm run docs`).toBe(codemodPage(c));
  });
});
