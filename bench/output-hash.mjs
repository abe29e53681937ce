/**
 * Output fingerprint of the corpus run, to show a performance change leaves results alone: per file, a hash of the
 * `check` findings (fixes included) and of the `fix --unsafe` dry-run's findings, applied fixes and output, with
 * network codemods skipped (as bench/scale-worker.mjs). Prints `path<TAB>hash` lines, sorted; diff two runs' output.
 * Usage: output-hash.mjs <dist dir> <corpus dir>
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, corpus] = process.argv.slice(2);
if (!dist || !corpus) throw new Error('usage: output-hash.mjs <dist> <corpus>');
const api = await import(pathToFileURL(resolve(dist, 'src/api.js')).href);
const { codemods } = await import(pathToFileURL(resolve(dist, 'codemods/index.js')).href);
const skip = codemods.filter((c) => c.network).map((c) => c.id);
const lines = new Map();
const hash = (v) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);
for (const [dir, kind] of [['dockerfiles', 'dockerfile'], ['compose', 'compose']]) {
  const paths = readdirSync(join(corpus, dir)).sort().map((n) => join(corpus, dir, n));
  for (const mode of ['check', 'fix']) {
    const onFile = (f) => {
      const v = mode === 'check' ? { findings: f.findings, error: f.error, notes: f.ignoreNotes } : { findings: f.findings, applied: f.applied, after: f.after, heldBack: f.heldBack, suppressed: f.suppressed, error: f.error };
      const prev = lines.get(f.path) ?? '';
      lines.set(f.path, `${prev}${mode}:${hash(v)} `);
    };
    const opts = { paths, kind, skip, unsafe: true, resolver: { offline: true, noCache: true }, onFile };
    const r = mode === 'check' ? await api.check(opts) : await api.fix(opts);
    lines.set(`(problems ${dir} ${mode})`, hash([r.problems, r.notes, r.companions]));
  }
}
process.stdout.write([...lines].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, h]) => `${p}\t${h}`).join('\n') + '\n');
