/** Generated docs are up to date (run `npm run docs` after changing a codemod's docs, summary or options schema). */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codemods } from '../codemods/index.js';
import { codemodPage, firstRunWithTable, readmeWithTable, schemaText } from '../scripts/gen-docs.js';
import { typeText } from '../src/engine/codemod-docs.js';
import type { JsonSchema } from '../src/engine/types.js';
import { hardenInProcess } from './support/cli.js';

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

describe('codemod options documented from their schemas', () => {
  /** The `## Options` section of a page: its option lines parsed, or 'None.'. */
  const optionsOf = (page: string): { name: string; type: string; default?: string; description: string }[] | 'None.' => {
    const sections = page.split(/^## Options\n/m);
    expect(sections, 'one ## Options section').toHaveLength(2);
    const body = (sections[1] ?? '').split(/^## /m)[0]?.trim() ?? '';
    if (body === 'None.') return body;
    return body.split('\n').map((line) => {
      const m = /^- `([^`]+)` \((.+?)(?:, default `(.*?)`)?\): (.+)$/.exec(line);
      if (!m) throw new Error(`not an option line: ${line}`);
      return { name: m[1] as string, type: m[2] as string, ...(m[3] !== undefined ? { default: m[3] } : {}), description: m[4] as string };
    });
  };
  const tmp = mkdtempSync(join(tmpdir(), 'harden-explain-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(codemods.map((c) => [c.id, c] as const))('%s: its page and `harden explain` list the options of its schema, with their defaults', async (id, c) => {
    expect(c.docs, 'the options section is generated: docs must not have their own').not.toMatch(/^## Options$/m);
    const page = readFileSync(resolve(ROOT, 'docs/codemods', `${id}.md`), 'utf8');
    const props = c.optionsSchema?.properties ?? {};
    const documented = optionsOf(page);
    if (Object.keys(props).length === 0) expect(documented).toBe('None.');
    else {
      expect(documented).not.toBe('None.');
      const opts = documented === 'None.' ? [] : documented;
      expect(opts.map((o) => o.name)).toEqual(Object.keys(props));
      for (const o of opts) {
        const s = props[o.name] as JsonSchema;
        expect(s.description, `${o.name} has a description in the schema`).toBeTruthy();
        expect(o.description).toBe(s.description);
        expect(o.type).toBe(typeText(s));
        const d = c.defaultOptions?.[o.name];
        expect(o.default, `${o.name}'s default`).toBe(d === undefined ? undefined : typeof d === 'string' ? d : JSON.stringify(d));
      }
    }
    const explained = await hardenInProcess(['explain', id], { cwd: tmp });
    expect(explained.code).toBe(0);
    expect(optionsOf(explained.stdout)).toEqual(documented);
  });
});

describe('codemod ids in the docs', () => {
  it('every --only/--skip list in README and docs names registered codemods', () => {
    const known = new Set(codemods.map((c) => c.id));
    const pages = ['README.md', ...readdirSync(resolve(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const unknown: string[] = [];
    let lists = 0;
    for (const p of pages) {
      for (const m of readFileSync(resolve(ROOT, p), 'utf8').matchAll(/harden [^\n`]*?--(?:only|skip)[ =]([a-z0-9,-]+)/g)) {
        lists++;
        for (const id of m[1]!.split(',')) if (!known.has(id)) unknown.push(`${p}: ${id}`);
      }
    }
    expect(lists).toBeGreaterThan(3);
    expect(unknown).toEqual([]);
  });
});

describe('workflow examples in the docs', () => {
  const pages = ['README.md', ...readdirSync(resolve(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const version = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const uses = pages.flatMap((p) =>
    readFileSync(resolve(ROOT, p), 'utf8')
      .split('\n')
      .map((line, i) => ({ at: `${p}:${i + 1}`, m: /^\s*(?:-\s+)?uses:\s*(.*)$/.exec(line) }))
      .filter((x) => x.m)
      .map((x) => ({ at: x.at, ref: x.m![1]!.trim() })),
  );
  it('pin every action by a full commit SHA with its version as a comment; harden itself by its release commit', () => {
    expect(uses.length).toBeGreaterThan(5);
    const bad = uses.filter(({ ref }) => {
      if (ref.startsWith('<owner>/harden@')) return ref !== `<owner>/harden@<v${version} commit sha> # v${version}`;
      return !/^[\w.-]+\/[\w.-]+(?:\/[\w./-]+)?@[0-9a-f]{40} # v\d+(?:\.\d+)*$/.test(ref);
    });
    expect(bad, 'unpinned or placeholder `uses:` lines').toEqual([]);
    expect(uses.some(({ ref }) => ref.startsWith('<owner>/harden@'))).toBe(true);
  });
  it('no acme/harden placeholder, and pre-commit examples pin the current release tag', () => {
    for (const p of pages) {
      const text = readFileSync(resolve(ROOT, p), 'utf8');
      expect(text, p).not.toMatch(/acme\/harden/);
      for (const m of text.matchAll(/^\s*rev:\s*(\S+)/gm)) expect(m[1], p).toBe(`v${version}`);
    }
  });
});
