/**
 * One measured run for bench/run.ts, in its own process: `check` (or a `fix` dry-run) over the corpus files listed in
 * the given copies, with every network codemod skipped, through the compiled API (dist/) like the CLI. Prints JSON:
 * files, wall and CPU (user + system, every thread) of the run itself, and the process's peak RSS.
 * It runs with the CLI's V8 settings (dist/src/v8-flags.js, which bin.js imports first), so the figures are those of
 * `harden check`; HARDEN_BENCH_V8_DEFAULTS=1 leaves V8's defaults instead (to compare).
 * Plain JavaScript on purpose: it only imports dist/, so it runs without a TypeScript loader whose module hooks would be
 * measured too.
 * Usage: scale-worker.mjs <check|fix> <dist dir> <copy dir>...   (each copy dir holds dockerfiles/ and compose/)
 * HARDEN_BENCH_JOBS=N runs with `jobs: N`; HARDEN_BENCH_HASH=1 adds `hash`, the SHA-256 of every result as JSON in
 * the order received (to show two runs gave the same output; it costs CPU of its own).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';

const [mode, dist, ...copies] = process.argv.slice(2);
if ((mode !== 'check' && mode !== 'fix') || !dist || copies.length === 0) throw new Error('usage: scale-worker.mjs <check|fix> <dist> <copy>...');

const cpu0 = process.cpuUsage();
const t0 = performance.now();
if (!process.env.HARDEN_BENCH_V8_DEFAULTS) await import(pathToFileURL(resolve(dist, 'src/v8-flags.js')).href);
const api = await import(pathToFileURL(resolve(dist, 'src/api.js')).href);
const { codemods } = await import(pathToFileURL(resolve(dist, 'codemods/index.js')).href);
const skip = codemods.filter((c) => c.network).map((c) => c.id);
let files = 0;
let findings = 0;
let errors = 0;
const jobs = process.env.HARDEN_BENCH_JOBS ? Number(process.env.HARDEN_BENCH_JOBS) : undefined;
const hash = process.env.HARDEN_BENCH_HASH ? createHash('sha256') : undefined;
for (const [dir, kind] of [['dockerfiles', 'dockerfile'], ['compose', 'compose']]) {
  const paths = copies.flatMap((c) => readdirSync(join(c, dir)).sort().map((n) => join(c, dir, n)));
  // Results are streamed (counted, then dropped): peak RSS is what processing needs, not what keeping every result costs.
  const onFile = (f) => {
    files++;
    findings += f.findings.length + f.applied.length;
    if (f.error) errors++;
    hash?.update(`${JSON.stringify(f)}\n`);
  };
  const opts = { paths, kind, skip, unsafe: true, resolver: { offline: true, noCache: true }, onFile, ...(jobs ? { jobs } : {}) };
  const r = mode === 'check' ? await api.check(opts) : await api.fix(opts);
  errors += r.problems.length;
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({
    files,
    findings,
    errors,
    wallMs: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKiB: process.resourceUsage().maxRSS,
    ...(hash ? { hash: hash.digest('hex') } : {}),
  }),
);
