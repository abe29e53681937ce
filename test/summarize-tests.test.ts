/** The closing line CI reads, from vitest's JSON report: a file that failed without a failed test counts as a failure. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'scripts', 'summarize-tests.mjs');

function summarize(report: unknown): { line: string; code: number } {
  const file = join(mkdtempSync(join(tmpdir(), 'harden-summary-')), 'report.json');
  writeFileSync(file, JSON.stringify(report));
  try {
    return { line: execFileSync(process.execPath, [script, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(), code: 0 };
  } catch (e) {
    const err = e as { stdout: string; status: number };
    return { line: err.stdout.trim(), code: err.status };
  }
}

describe('scripts/summarize-tests.mjs', () => {
  it('counts passed and failed tests', () => {
    const r = summarize({ numPassedTests: 3, numFailedTests: 1, testResults: [{ status: 'failed', assertionResults: [{ status: 'failed' }] }] });
    expect(r).toEqual({ line: '3 passed, 1 failed', code: 1 });
  });
  it('a file whose tests all passed but whose afterAll hook timed out is a failure', () => {
    const r = summarize({ numPassedTests: 2, numFailedTests: 0, testResults: [{ status: 'failed', assertionResults: [{ status: 'passed' }, { status: 'passed' }] }] });
    expect(r).toEqual({ line: '2 passed, 1 failed', code: 1 });
  });
  it('a file that did not load is a failure; a green report exits 0', () => {
    expect(summarize({ numPassedTests: 1, testResults: [{ status: 'failed', assertionResults: [] }, { status: 'passed', assertionResults: [{ status: 'passed' }] }] })).toEqual({ line: '1 passed, 1 failed', code: 1 });
    expect(summarize({ numPassedTests: 1, testResults: [{ status: 'passed', assertionResults: [{ status: 'passed' }] }] })).toEqual({ line: '1 passed, 0 failed', code: 0 });
  });
});
