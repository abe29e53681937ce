import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import type { FileResult } from '../../src/engine/run.js';

describe('streamed results (API onFile)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harden-stream-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  const dockerfile = 'FROM alpine:3.20\nADD app.py /app/\n';
  writeFileSync(join(dir, 'a', 'Dockerfile'), dockerfile);
  writeFileSync(join(dir, 'b', 'Dockerfile'), 'FROM alpine:3.20\nRUN true\n');
  const opts = { cwd: dir, paths: ['.'], only: ['dockerfile-add-to-copy'], network: false };
  const shape = (r: FileResult) => ({ path: r.path, changed: r.changed, after: r.after, applied: r.applied.map((a) => a.codemodId) });

  it('hands each file its result once, the same results as a collecting run, and keeps none itself', async () => {
    const collected = await fix(opts);
    const streamed: FileResult[] = [];
    const r = await fix({ ...opts, onFile: (f) => void streamed.push(f) });
    expect(r.files).toEqual([]);
    expect(streamed.map(shape).sort((x, y) => x.path.localeCompare(y.path))).toEqual(collected.files.map(shape));
    expect(collected.files.find((f) => f.path === 'a/Dockerfile')?.changed).toBe(true);
  });

  it('with write, a changed file is on disk when its result arrives', async () => {
    const seen: string[] = [];
    await fix({
      ...opts,
      write: true,
      onFile: (f) => {
        if (f.changed && f.absPath) seen.push(readFileSync(f.absPath, 'utf8'));
      },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(dockerfile);
    expect(seen[0]).toContain('COPY app.py /app/');
  });
});
