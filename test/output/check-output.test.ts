/**
 * `harden check`'s compact records (src/output/check-output.ts) print what rendering the collected results prints:
 * text lines and JSON, byte for byte, for files with fixes, data, non-Latin-1 text, ignore notes, parse errors and
 * dev-role files, fed in processing order (compose files first) as the CLI feeds them.
 */
import { describe, expect, it } from 'vitest';
import { check, type HardenResult } from '../../src/api.js';
import type { FileResult } from '../../src/engine/run.js';
import { CheckOutput, jsonResult } from '../../src/output/check-output.js';
import { findingLine } from '../../src/output/text.js';
import { tmpTree } from '../support/tmp.js';

const tree = () =>
  tmpTree({
    '.git/HEAD': 'x',
    'a/Dockerfile': 'FROM node:20\n# harden-ignore dockerfile-add-to-cpy\nADD app.txt /app/\nRUN apt-get update && apt-get install -y curl\n',
    'b/compose.yaml': 'services:\n  db:\n    image: postgres:16 # base de données — « prod »\n    ports: ["5432:5432"]\n    environment:\n      POSTGRES_PASSWORD: s3cr3t\n',
    'c/Dockerfile': 'FROM scratch\nADD run.sh /run.sh\nWRONG x\n',
    'd/compose.yaml': 'services:\n  web:\n    image: [x\n',
    'test/compose.yaml': 'services:\n  e2e:\n    image: nginx:1.25\n    privileged: true\n',
    'e/Dockerfile': 'FROM alpine:3.20\n',
    'f/compose.yaml': 'services: {}\n',
  });

/** What the CLI printed before it kept compact records: the collected results, rendered. */
function reference(r: HardenResult, color: boolean): { text: string; json: string } {
  const text = r.files.flatMap((f) => f.findings).map((x) => `${findingLine(x, color)}\n`).join('');
  return { text, json: `${JSON.stringify(jsonResult(r), null, 2)}\n` };
}

async function compact(cwd: string, format: 'text' | 'json', color: boolean): Promise<{ out: string; kept: CheckOutput; run: HardenResult }> {
  const kept = new CheckOutput(format, color);
  const order: FileResult[] = [];
  const run = await check({ cwd, network: false, resolver: { noCache: true }, onFile: (f) => (order.push(f), kept.add(f)) });
  // Compose files come first: the records are sorted, not printed in the order they came.
  if (order.length > 2) expect(order.map((f) => f.path)).not.toEqual(order.map((f) => f.path).sort());
  const chunks: Buffer[] = [];
  const write = (s: string | Buffer) => void chunks.push(Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
  if (format === 'json') kept.writeJson(run, write);
  else kept.writeText(write);
  return { out: Buffer.concat(chunks).toString('utf8'), kept, run };
}

describe('check output from compact records', () => {
  it('prints the same text and JSON as the collected results, with the same counts', async () => {
    const cwd = tree();
    const all = await check({ cwd, network: false, resolver: { noCache: true } });
    expect(all.files.some((f) => f.error)).toBe(true);
    expect(all.files.some((f) => f.ignoreNotes?.length)).toBe(true);
    expect(all.files.some((f) => f.role)).toBe(true);
    expect(all.files.some((f) => f.findings.some((x) => x.fix))).toBe(true);
    for (const color of [false, true]) {
      const ref = reference(all, color);
      const text = await compact(cwd, 'text', color);
      expect(text.out).toBe(ref.text);
      const json = await compact(cwd, 'json', color);
      expect(json.out).toBe(ref.json);
      const findings = all.files.flatMap((f) => f.findings);
      expect([text.kept.files, text.kept.findings, text.kept.fixable, text.kept.heldBack]).toEqual([
        all.files.length,
        findings.length,
        findings.filter((x) => x.fixStatus === 'fixable').length,
        findings.filter((x) => x.fixStatus === 'held-back').length,
      ]);
      // What the closing lines read: every file with an error or ignore notes, by path.
      const noted = all.files.filter((f) => f.error || f.ignoreNotes?.length).map((f) => [f.path, f.error, f.ignoreNotes]);
      expect(text.kept.sorted().filter((k) => k.error || k.ignoreNotes).map((k) => [k.path, k.error, k.ignoreNotes])).toEqual(noted);
    }
  });

  it('a run without files prints the JSON document of the collected run', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', 'README.md': 'nothing here\n' });
    const all = await check({ cwd, network: false, resolver: { noCache: true } });
    expect((await compact(cwd, 'json', false)).out).toBe(reference(all, false).json);
    expect((await compact(cwd, 'text', false)).out).toBe('');
  });
});
