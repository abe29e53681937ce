/**
 * The lock-* codemods over every Dockerfile of ../shared/corpus, with their fixes applied. test/corpus.test.ts runs
 * them too, but there every package lookup fails, so nothing gets pinned; here the network answers are RECORDED-STYLE
 * SYNTHETIC data, not a registry or a package index: each image resolves to a digest derived from its reference, its
 * /etc/os-release is Alpine 3.19 when the reference mentions alpine, Ubuntu 22.04 when it mentions ubuntu, else
 * Debian bookworm, every package exists in a made-up version (npm ones too), and every URL hashes to the SHA-256 of
 * its own text. The point is what the rewriting does to real RUN scripts: no crash, output parses, a second run
 * changes nothing, only RUN instructions change (ADD too for add-download-checksum, which may also add a
 * `# syntax=` first line; shell-pipefail only inserts SHELL lines), and every package word that was rewritten now
 * carries its version.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { structuredPatch } from 'diff';
import { afterAll, describe, expect, it } from 'vitest';
import { codemodById } from '../../codemods/index.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import { ParseError, parseFile } from '../../src/engine/parse.js';
import { processText, resolveLookups } from '../../src/engine/run.js';
import type { Answer, Codemod, LookupKey, ParsedDockerfile } from '../../src/engine/types.js';
import { CORPUS } from '../support/compose-schema.js';

const present = existsSync(join(CORPUS, 'MANIFEST.tsv'));

const OS = {
  alpine: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n',
  ubuntu: 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n',
  debian: 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
};

function synthetic(refs: Map<string, string>, k: LookupKey): Answer {
  const key = k as Record<string, unknown>;
  switch (k.kind) {
    case 'image-digest': {
      const digest = `sha256:${createHash('sha256').update(String(key.ref)).digest('hex')}`;
      refs.set(digest, String(key.ref));
      return { ok: { digest, mediaType: 'application/vnd.oci.image.index.v1+json', registry: 'synthetic' } };
    }
    case 'image-file': {
      const ref = String(key.ref);
      const original = (refs.get(ref.slice(ref.indexOf('@') + 1)) ?? ref).toLowerCase();
      const paths = key.paths as string[];
      if (paths.includes('etc/apk/repositories')) return { ok: { path: 'etc/apk/repositories', content: 'https://dl-cdn.alpinelinux.org/alpine/v3.19/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/community\n' } };
      const os = original.includes('alpine') ? OS.alpine : original.includes('ubuntu') ? OS.ubuntu : OS.debian;
      return { ok: { path: 'etc/os-release', content: os } };
    }
    case 'apk-version': {
      const name = String(key.name);
      return { ok: { name: name.includes(':') ? name.slice(name.indexOf(':') + 1).replace(/\W/g, '') || 'pkg' : name, version: '1.0.0-r0', repo: 'main', index: 'synthetic' } };
    }
    case 'apt-version':
      return { ok: { name: key.name, version: '1:1.0-1+deb12u1', suite: 'bookworm', pocket: '', component: 'main', index: 'synthetic' } };
    case 'pypi-version':
      return { ok: { name: key.name, version: '1.0.0', index: 'synthetic' } };
    case 'npm-version':
      return { ok: { name: key.name, version: '1.0.0', registry: 'synthetic' } };
    case 'url-sha256':
      return { ok: { sha256: `sha256:${createHash('sha256').update(String(key.url)).digest('hex')}`, size: 1 } };
    default:
      return { error: { code: 'offline-miss', message: `no recorded answer for ${k.kind}` } };
  }
}

const changed = new Map<string, number>();

describe.skipIf(!present)('lock codemods over the corpus (synthetic recorded answers)', () => {
  const rows = present ? readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1) : [];
  const files = rows
    .filter((r) => r.startsWith('dockerfiles\t'))
    .map((r) => r.split('\t')[1] ?? '')
    .map((name) => ({ name, text: readFileSync(join(CORPUS, 'dockerfiles', name), 'utf8') }))
    .filter((f) => {
      try {
        parseFile('dockerfile', f.name, undefined, f.text.replace(/^\uFEFF/, ''));
        return true;
      } catch (e) {
        if (e instanceof ParseError) return false;
        throw e;
      }
    });

  /** Per codemod: the instructions whose lines may change, lines it may insert on their own, how a pin is written. */
  const SHAPE: Record<string, { keywords: string[]; inserted?: RegExp; pin: (v: string) => string }> = {
    'lock-apk-add': { keywords: ['RUN'], pin: (v) => `=${v}` },
    'lock-apt-install': { keywords: ['RUN'], pin: (v) => `=${v}` },
    'lock-pip-install': { keywords: ['RUN'], pin: (v) => `=${v}` },
    'lock-npm-global': { keywords: ['RUN'], pin: (v) => `@${v}` },
    'add-download-checksum': { keywords: ['RUN', 'ADD'], inserted: /^# syntax=docker\/dockerfile:1\r?$/, pin: (v) => v },
    'shell-pipefail': { keywords: [], inserted: /^SHELL \["\/bin\/bash", "-o", "pipefail", "-c"\]\r?$/, pin: (v) => v },
  };

  it.each(Object.keys(SHAPE))('%s: no crash, parses, idempotent, only the lines it owns change', async (id) => {
    const shape = SHAPE[id] as (typeof SHAPE)[string];
    const codemod = codemodById(id) as Codemod;
    await codemod.prepare?.();
    let n = 0;
    for (const f of files) {
      const answers = new AnswerStore();
      const refs = new Map<string, string>();
      const enabled = [{ codemod, options: { ...codemod.defaultOptions } }];
      const resolve = async (keys: readonly LookupKey[]) => {
        for (const k of keys) answers.set(k, synthetic(refs, k));
      };
      const run = async (text: string) => {
        await resolveLookups([parseFile('dockerfile', f.name, undefined, text.replace(/^\uFEFF/, ''))], () => enabled, {}, answers, resolve);
        return processText('dockerfile', f.name, text, { codemods: enabled, allowed: 'unsafe', applyFixes: true, global: {}, answers, resolveMissing: resolve });
      };
      const r = await run(f.text);
      expect(r.error, `${f.name}: ${r.error?.message}`).toBeUndefined();
      if (!r.changed) continue;
      n++;
      const after = parseFile('dockerfile', f.name, undefined, r.after.replace(/^\uFEFF/, '')) as ParsedDockerfile;
      const again = await run(r.after);
      expect(again.after, `${f.name}: second run changed it`).toBe(r.after);
      // Every changed line belongs to an instruction the codemod owns (or is a line it inserts), and none was dropped.
      const ownLines = new Set<number>();
      for (const ins of after.ast.getInstructions()) {
        if (!shape.keywords.includes(ins.getKeyword().toUpperCase())) continue;
        const rg = ins.getRange();
        for (let l = rg.start.line; l <= rg.end.line; l++) ownLines.add(l + 1);
      }
      const patch = structuredPatch('a', 'b', f.text, r.after, '', '', { context: 0 });
      for (const h of patch.hunks) {
        const removed = h.lines.filter((l) => l.startsWith('-')).length;
        let added = 0;
        let line = h.newStart;
        for (const l of h.lines) {
          if (!l.startsWith('+')) continue;
          if (shape.inserted?.test(l.slice(1))) {
            line++;
            continue;
          }
          expect(ownLines.has(line), `${f.name}: line ${line} is not in ${shape.keywords.join('/') || 'a line it may insert'}`).toBe(true);
          added++;
          line++;
        }
        expect(added, `${f.name}: lines added or dropped`).toBe(removed);
      }
      // Every pin (or checksum) the codemod reports is in the output.
      for (const a of r.applied) {
        const pkgs = (a.data?.packages ?? {}) as Record<string, string>;
        for (const v of Object.values(pkgs)) expect(r.after, `${f.name}: ${a.message}`).toContain(shape.pin(v));
        if (typeof a.data?.sha256 === 'string') expect(r.after, `${f.name}: ${a.message}`).toContain((a.data.sha256 as string).replace(/^sha256:/, ''));
      }
    }
    changed.set(id, n);
    expect(n, `${id} pinned nothing in the corpus`).toBeGreaterThan(0);
  }, 300_000);

  afterAll(() => {
    console.log(`lock corpus: ${files.length} Dockerfiles; files changed: ${[...changed].map(([id, k]) => `${id} ${k}`).join(', ')}`);
  });
});
