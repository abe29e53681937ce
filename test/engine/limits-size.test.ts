import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check, hasProcessingErrors } from '../../src/api.js';
import { MAX_FILE_BYTES } from '../../src/engine/limits.js';

describe('file size limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harden-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a file over the limit by name, without reading it, and processes the others', async () => {
    const big = `services:\n${'  # padding padding padding padding padding padding padding padding padding padding\n'.repeat(Math.ceil(MAX_FILE_BYTES / 80) + 10)}  web:\n    image: nginx\n`;
    writeFileSync(join(dir, 'compose.yaml'), big);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM alpine\n');
    const r = await check({ cwd: dir, paths: ['.'], only: ['dockerfile-add-to-copy'] });
    expect(r.problems).toEqual([{ path: 'compose.yaml', message: expect.stringMatching(/^file too large to process: 10\.\d MiB is over harden's limit of 10\.0 MiB for one file/) }]);
    expect(r.files.map((f) => f.path)).toEqual(['Dockerfile']);
    expect(hasProcessingErrors(r)).toBe(true);
  });

  it('applies to standard input too', async () => {
    const r = await check({ cwd: dir, stdin: { text: `FROM alpine\n${'#'.repeat(MAX_FILE_BYTES)}\n`, filename: 'Dockerfile' } });
    expect(r.problems[0]?.message).toMatch(/^file too large to process/);
    expect(r.files).toEqual([]);
  });
});
