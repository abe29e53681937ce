/**
 * Codemods for the worker-thread tests, loaded by the test and by each worker (`codemodsModule`): the registered ones
 * plus `test-worker-fault`, which throws on a Dockerfile saying `THROW-HERE` and ends the thread it runs in on one
 * saying `END-THREAD` (never use that one with jobs 1: it would end the test process).
 */
import { codemods as registered } from '../../codemods/index.js';
import type { Codemod } from '../../src/engine/types.js';

const fault: Codemod = {
  id: 'test-worker-fault',
  fileKinds: ['dockerfile'],
  summary: 'fails on marked files',
  safety: 'safe',
  docs: '## What it does\ntest\n## Why\ntest\n## Example\ntest\n## Fix safety\ntest\n',
  run(ctx) {
    if (ctx.file.text.includes('THROW-HERE')) throw new Error('thrown on purpose');
    if (ctx.file.text.includes('END-THREAD')) process.exit(3);
  },
};

export const codemods: readonly Codemod[] = [...registered, fault];
