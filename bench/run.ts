/**
 * `npm run bench`: prints figures, asserts nothing.
 *  1. start-up time of `harden --version` (compiled CLI), median of 15 runs;
 *  2. `check` over ../shared/corpus and 2×/4×/8× copies (network codemods skipped): files, wall, CPU, peak RSS, growth
 *     (1× and 8×: the median of 3 runs, with the lowest and highest, since one run on a loaded machine says little);
 *     a `fix --unsafe` dry-run at 1×;
 *     and worker threads: `check` at 1× and 8× with --jobs 1 against --jobs 2 (wall, CPU, peak RSS, same output);
 *  3. the registry benchmark (bench/registry.ts): requests cold and warm;
 *  4. long input (bench/long-input.ts): size against CPU for long RUN lines, continuations, many services, 50 MB.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = resolve(ROOT, 'dist/src/bin.js');
const CORPUS = resolve(ROOT, '../shared/corpus');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function startup(): void {
  if (!existsSync(BIN)) throw new Error('build first: npm run build');
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [BIN, '--version'], { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  console.log(`startup: harden --version median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)} ms, 15 runs)`);
}

interface RunFigures {
  files: number;
  findings: number;
  errors: number;
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  hash?: string;
}

/** One measured run in a fresh process (so peak RSS is this run's). */
function measure(mode: 'check' | 'fix', copies: readonly string[], env: Record<string, string> = {}): RunFigures {
  const r = spawnSync(process.execPath, [resolve(ROOT, 'bench/scale-worker.mjs'), mode, resolve(ROOT, 'dist'), ...copies], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`scale worker failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as RunFigures;
}

/** `n` copies of the corpus (hard links where the file system allows, else copies), each with dockerfiles/ and compose/. */
function corpusCopies(n: number, into: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const copy = join(into, `copy${i}`);
    for (const dir of ['dockerfiles', 'compose']) {
      mkdirSync(join(copy, dir), { recursive: true });
      for (const name of readdirSync(join(CORPUS, dir))) {
        try {
          linkSync(join(CORPUS, dir, name), join(copy, dir, name));
        } catch {
          copyFileSync(join(CORPUS, dir, name), join(copy, dir, name));
        }
      }
    }
    out.push(copy);
  }
  return out;
}

/** Runs measured for the 1× and 8× rows (each figure their median, with the range). */
const REPEATS = 3;

/** Each figure of `runs` (the same run repeated) is its median; `range` gives the lowest and highest. */
function medianRun(runs: readonly RunFigures[]): RunFigures & { range: Record<'wallMs' | 'cpuMs' | 'maxRssKiB', [number, number]> } {
  const pick = (k: 'wallMs' | 'cpuMs' | 'maxRssKiB'): [number, number] => [Math.min(...runs.map((x) => x[k])), Math.max(...runs.map((x) => x[k]))];
  const first = runs[0] as RunFigures;
  return {
    ...first,
    wallMs: median(runs.map((x) => x.wallMs)),
    cpuMs: median(runs.map((x) => x.cpuMs)),
    maxRssKiB: median(runs.map((x) => x.maxRssKiB)),
    range: { wallMs: pick('wallMs'), cpuMs: pick('cpuMs'), maxRssKiB: pick('maxRssKiB') },
  };
}

/**
 * `check` over the corpus (network codemods skipped) and over 2×, 4×, 8× copies of it: files, wall, CPU, peak RSS, and
 * how CPU grew against the number of files (1.00 = linear). Targets (issue 13): 1× CPU ≤ 2.5 s, 8× ≤ 8.5× the CPU,
 * peak RSS ≤ 400 MiB at 8×. The 1× and 8× rows are the median of REPEATS runs each (the range after them), the runs
 * interleaved (1×, 8×, 1×, …) so that a busy minute of the machine does not land on one row only. Then one `fix`
 * dry-run (--unsafe) at 1×.
 */
function corpus(): void {
  if (!existsSync(resolve(CORPUS, 'MANIFEST.tsv'))) {
    console.log('corpus: skipped (../shared/corpus is absent)');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'harden-scale-'));
  try {
    const copies = corpusCopies(Number(process.env.HARDEN_BENCH_MAX_COPIES ?? 8), tmp);
    const sizes = [1, 2, 4, 8].filter((k) => k <= copies.length);
    const repeated = new Map<number, RunFigures[]>();
    const single = new Map<number, RunFigures>();
    for (let i = 0; i < REPEATS; i++) {
      for (const n of sizes.filter((k) => k === 1 || k === 8)) repeated.set(n, [...(repeated.get(n) ?? []), measure('check', copies.slice(0, n))]);
    }
    for (const n of sizes.filter((k) => k !== 1 && k !== 8)) single.set(n, measure('check', copies.slice(0, n)));
    let base: RunFigures | undefined;
    console.log(`corpus check (network codemods skipped; 1× and 8×: median of ${REPEATS} runs, [lowest–highest]):`);
    console.log('  copies   files    wall s    CPU s   peak MiB   CPU growth / file growth');
    const span = (r: [number, number], scale: number, digits: number) => `[${(r[0] / scale).toFixed(digits)}–${(r[1] / scale).toFixed(digits)}]`;
    for (const n of sizes) {
      const runs = repeated.get(n);
      const m = runs ? medianRun(runs) : undefined;
      const x = m ?? (single.get(n) as RunFigures);
      base ??= x;
      const growth = x.cpuMs / base.cpuMs / (x.files / base.files);
      console.log(
        `  ${`${n}×`.padStart(6)} ${String(x.files).padStart(7)} ${(x.wallMs / 1000).toFixed(2).padStart(9)} ${(x.cpuMs / 1000).toFixed(2).padStart(8)} ` +
          `${(x.maxRssKiB / 1024).toFixed(0).padStart(10)}   ${(x.cpuMs / base.cpuMs).toFixed(2)}× CPU for ${(x.files / base.files).toFixed(0)}× files = ${growth.toFixed(2)}` +
          (x.errors ? `  (${x.errors} files with errors)` : '') +
          (m ? `  wall ${span(m.range.wallMs, 1000, 2)} s, CPU ${span(m.range.cpuMs, 1000, 2)} s, peak ${span(m.range.maxRssKiB, 1024, 0)} MiB` : ''),
      );
    }
    const f = measure('fix', copies.slice(0, 1));
    console.log(
      `corpus fix --unsafe dry-run: ${f.files} files, ${(f.wallMs / 1000).toFixed(2)} s wall, ${(f.cpuMs / 1000).toFixed(2)} s CPU, ` +
        `peak ${(f.maxRssKiB / 1024).toFixed(0)} MiB, ${f.findings} findings, ${f.errors} files with errors`,
    );
    jobs(copies);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Worker threads: `check` at 1× and 8× with --jobs 1 and --jobs 2 (results hashed in the order received: the same
 * hash is the same output in the same order). The load of the machine shows in wall time; CPU is user + system of
 * every thread.
 */
function jobs(copies: readonly string[]): void {
  console.log('worker threads (check, network codemods skipped; output hashed, which costs CPU of its own):');
  console.log('  copies   files  jobs    wall s    CPU s   peak MiB   output');
  for (const n of [1, 8].filter((k) => k <= copies.length)) {
    const one = measure('check', copies.slice(0, n), { HARDEN_BENCH_JOBS: '1', HARDEN_BENCH_HASH: '1' });
    const two = measure('check', copies.slice(0, n), { HARDEN_BENCH_JOBS: '2', HARDEN_BENCH_HASH: '1' });
    for (const [j, x] of [[1, one], [2, two]] as const) {
      console.log(
        `  ${`${n}×`.padStart(6)} ${String(x.files).padStart(7)} ${String(j).padStart(5)} ${(x.wallMs / 1000).toFixed(2).padStart(9)} ` +
          `${(x.cpuMs / 1000).toFixed(2).padStart(8)} ${(x.maxRssKiB / 1024).toFixed(0).padStart(10)}   ` +
          (j === 1 ? (x.hash ?? '').slice(0, 12) : x.hash === one.hash ? 'same as --jobs 1' : `DIFFERENT (${(x.hash ?? '').slice(0, 12)})`),
      );
    }
  }
}

startup();
corpus();
const extra = resolve(ROOT, 'bench/registry.ts');
if (existsSync(extra)) execFileSync(process.execPath, ['--import', 'tsx', extra], { stdio: 'inherit', cwd: ROOT });
const long = resolve(ROOT, 'bench/long-input.ts');
if (existsSync(long)) execFileSync(process.execPath, ['--import', 'tsx', long], { stdio: 'inherit', cwd: ROOT });
