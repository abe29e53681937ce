/**
 * `npm run bench`: prints figures, asserts nothing.
 *  1. start-up time of `harden --version` (compiled CLI), median of 15 runs;
 *  2. a dry-run of every network-free codemod over ../shared/corpus: files/s, wall time, peak memory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

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

function corpus(): void {
  if (!existsSync(resolve(CORPUS, 'MANIFEST.tsv'))) {
    console.log('corpus: skipped (../shared/corpus is absent)');
    return;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(ROOT, 'bench/corpus-worker.ts'), CORPUS], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`corpus worker failed: ${r.stderr}`);
  const x = JSON.parse(r.stdout) as { files: number; changed: number; errors: number; ms: number; maxRssKiB: number; codemods: number };
  console.log(
    `corpus: ${x.files} files, ${x.codemods} network-free codemods, dry-run in ${(x.ms / 1000).toFixed(2)} s ` +
      `(${(x.files / (x.ms / 1000)).toFixed(0)} files/s), peak memory ${(x.maxRssKiB / 1024).toFixed(0)} MiB, ` +
      `${x.changed} files would change, ${x.errors} files with errors`,
  );
  if (r.stderr.trim()) process.stdout.write(r.stderr.replace(/^/gm, '  '));
}

startup();
corpus();
const extra = resolve(ROOT, 'bench/registry.ts');
if (existsSync(extra)) execFileSync(process.execPath, ['--import', 'tsx', extra], { stdio: 'inherit', cwd: ROOT });
