// Prints the one closing line CI reads: "N passed, N failed[, N skipped]", from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log('0 passed, 1 failed');
  console.error(`cannot read the test report ${file}: ${e.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A test file that failed without a failed test (it did not load, or a beforeAll/afterAll hook failed or timed out)
// has no failure counted by vitest: count it as one.
const brokenFiles = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
// Static checks (typecheck, lint, build) that failed before the tests ran count as failures too.
const checks = (process.env.HARDEN_FAILED_CHECKS ?? '').split(/\s+/).filter(Boolean);
if (checks.length) console.error(`static checks failed: ${checks.join(', ')}`);
const allFailed = failed + brokenFiles + checks.length;
console.log(`${passed} passed, ${allFailed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(allFailed > 0 || passed === 0 ? 1 : 0);
