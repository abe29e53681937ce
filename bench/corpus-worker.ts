/** Runs one dry-run over the corpus in this process and prints its figures as JSON (for bench/run.ts). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fix } from '../src/api.js';
import { codemods } from '../codemods/index.js';
import { createLocalResolver } from '../src/resolvers/index.js';

const corpus = process.argv[2] ?? '';
const rows = readFileSync(join(corpus, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split('\t'));
const networkFree = codemods.filter((c) => !c.network).map((c) => c.id);
const t0 = performance.now();
let files = 0;
let changed = 0;
let errors = 0;
for (const kind of ['dockerfiles', 'compose'] as const) {
  const paths = rows.filter((r) => r[0] === kind).map((r) => join(corpus, kind, r[1] ?? ''));
  const r = await fix({
    paths,
    kind: kind === 'compose' ? 'compose' : 'dockerfile',
    only: networkFree,
    unsafe: true,
    customResolver: createLocalResolver(),
  });
  files += r.files.length;
  changed += r.files.filter((f) => f.changed).length;
  errors += r.files.filter((f) => f.error).length + r.problems.length;
  // Name them, so a figure never hides a crash.
  for (const f of r.files.filter((x) => x.error)) process.stderr.write(`error: ${f.path}: ${f.error?.message}\n`);
  for (const p of r.problems) process.stderr.write(`error: ${p.path}: ${p.message}\n`);
}
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ files, changed, errors, ms, maxRssKiB: process.resourceUsage().maxRSS, codemods: networkFree.length }));
