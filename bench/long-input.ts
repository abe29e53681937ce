/**
 * Long-input benchmark (issue 12): one generated file per shape and size, each run in its own process through the
 * compiled API (dist/, or src/ with HARDEN_BENCH_SRC=1): a `fix --unsafe` dry-run, every network codemod skipped.
 * Prints size → CPU, peak RSS, and growth (CPU growth divided by size growth: 1.00 = linear, 2.00 at double the size =
 * quadratic). Prints figures, asserts nothing. Shapes:
 *  - one RUN line of 100 KB, 1 MB, 3 MB (words, `&&` chains, quotes and `\ ` escapes);
 *  - one RUN with 2,500 … 20,000 line continuations;
 *  - a compose file with 625 … 5,000 services;
 *  - a 50 MB compose file (over the per-file limit: reported by name, not read).
 * Usage: node --import tsx bench/long-input.ts            (all shapes)
 *        node --import tsx bench/long-input.ts run-line   (one shape: run-line, continuations, services, huge)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');

interface Case {
  shape: string;
  label: string;
  /** What grows: bytes, continuation lines or services. */
  size: number;
  name: string;
  make: (size: number) => string;
}

/** A RUN line of about `bytes` bytes. */
function runLine(bytes: number): string {
  const unit = 'echo a\\ b "c d" && apt-get install -y pkg-x ';
  return `FROM debian:12\nRUN ${unit.repeat(Math.ceil(bytes / unit.length))}true\n`;
}

function continuations(n: number): string {
  let s = 'FROM debian:12\nRUN true \\\n';
  for (let i = 0; i < n; i++) s += `  && echo ${i} \\\n`;
  return `${s}  && true\n`;
}

function services(n: number): string {
  let s = 'services:\n';
  for (let i = 0; i < n; i++) {
    s += `  svc${i}:\n    image: nginx:1.27\n    environment:\n      A: "${i}"\n    ports:\n      - "${8000 + (i % 1000)}:80"\n    volumes:\n      - data${i}:/data\n`;
  }
  return s;
}

function huge(bytes: number): string {
  const one = services(100);
  return one.repeat(Math.ceil(bytes / one.length)).replace(/^services:\n/gm, (m, off: number) => (off === 0 ? m : ''));
}

const KB = 1000;
const CASES: Case[] = [
  ...[100 * KB, 1000 * KB, 3000 * KB].map((n) => ({ shape: 'run-line', label: `${n / KB} KB RUN line`, size: n, name: 'Dockerfile', make: runLine })),
  ...[2500, 5000, 10000, 20000].map((n) => ({ shape: 'continuations', label: `${n} continuations`, size: n, name: 'Dockerfile', make: continuations })),
  ...[625, 1250, 2500, 5000].map((n) => ({ shape: 'services', label: `${n} services`, size: n, name: 'compose.yaml', make: services })),
  { shape: 'huge', label: '50 MB compose file', size: 50 * 1000 * KB, name: 'compose.yaml', make: huge },
];

interface Figures {
  cpuMs: number;
  wallMs: number;
  maxRssKiB: number;
  bytes: number;
  error?: string;
}

async function worker(index: number): Promise<void> {
  const c = CASES[index];
  if (!c) throw new Error(`no case ${index}`);
  const dir = mkdtempSync(join(tmpdir(), 'harden-long-'));
  try {
    const text = c.make(c.size);
    writeFileSync(join(dir, c.name), text);
    const base = process.env.HARDEN_BENCH_SRC ? ROOT : resolve(ROOT, 'dist');
    const ext = process.env.HARDEN_BENCH_SRC ? 'ts' : 'js';
    const api = (await import(pathToFileURL(join(base, `src/api.${ext}`)).href)) as typeof import('../src/api.js');
    const { codemods } = (await import(pathToFileURL(join(base, `codemods/index.${ext}`)).href)) as typeof import('../codemods/index.js');
    const skip = codemods.filter((m) => m.network).map((m) => m.id);
    // Warm up (grammar, codemod modules) on a small file of the same kind, so the figures are the input's own cost.
    writeFileSync(join(dir, `warm-${c.name}`), c.name === 'Dockerfile' ? 'FROM debian:12\nRUN echo a && echo b\n' : 'services:\n  a:\n    image: nginx:1.27\n');
    await api.fix({ cwd: dir, paths: [`warm-${c.name}`], skip, unsafe: true, resolver: { offline: true, noCache: true } });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await api.fix({ cwd: dir, paths: [c.name], skip, unsafe: true, resolver: { offline: true, noCache: true } });
    const cpu = process.cpuUsage(cpu0);
    const fig: Figures = {
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - t0,
      maxRssKiB: process.resourceUsage().maxRSS,
      bytes: Buffer.byteLength(text),
    };
    const err = r.files[0]?.error?.message ?? r.problems[0]?.message;
    if (err) fig.error = err;
    process.stdout.write(JSON.stringify(fig));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(only: string | undefined): void {
  console.log('long input (fix --unsafe dry-run, one file, network codemods skipped):');
  console.log('  input                         bytes     CPU s   peak MiB   growth (CPU growth / size growth)');
  const firstOfShape = new Map<string, { size: number; cpuMs: number }>();
  CASES.forEach((c, i) => {
    if (only && c.shape !== only) return;
    const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--worker', String(i)], {
      encoding: 'utf8',
      cwd: ROOT,
      env: process.env,
      maxBuffer: 16 * 1024 * 1024,
    });
    if (r.status !== 0) {
      console.log(`  ${c.label.padEnd(26)} worker failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
      return;
    }
    const f = JSON.parse(r.stdout) as Figures;
    const first = firstOfShape.get(c.shape) ?? { size: c.size, cpuMs: f.cpuMs };
    firstOfShape.set(c.shape, first);
    const growth = f.cpuMs / first.cpuMs / (c.size / first.size);
    console.log(
      `  ${c.label.padEnd(26)} ${String(f.bytes).padStart(9)} ${(f.cpuMs / 1000).toFixed(2).padStart(9)} ${(f.maxRssKiB / 1024).toFixed(0).padStart(10)}   ` +
        (c.size === first.size ? '1.00 (base)' : `${growth.toFixed(2)} (${(f.cpuMs / first.cpuMs).toFixed(1)}× CPU for ${(c.size / first.size).toFixed(0)}× size)`) +
        (f.error ? `  — ${f.error}` : ''),
    );
  });
}

const argv = process.argv.slice(2);
if (argv[0] === '--worker') await worker(Number(argv[1]));
else main(argv[0]);
