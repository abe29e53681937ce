/**
 * Copy this file to start a codemod, then register it in codemods/index.ts and add fixtures/<id>/<case>/.
 * A codemod is pure: it reads ctx.file (parsed), ctx.answers (resolved lookups) and ctx.options, and reports.
 */
import { fix, replace } from '../src/engine/edits.js';
import type { Codemod } from '../src/engine/types.js';

export const templateCodemod: Codemod = {
  id: 'template-codemod',
  fileKinds: ['dockerfile'],
  summary: 'One line saying what it changes.',
  safety: 'safe',
  docs: `## What it does\n…\n\n## Why\n…\n\n## Example\n…\n\n## Fix safety\n…\n`,
  run(ctx) {
    const needle = 'MAINTAINER';
    const at = ctx.file.text.indexOf(needle);
    if (at < 0) return;
    const range = { start: at, end: at + needle.length };
    ctx.report({ range, message: 'Example finding.', fix: fix('Example fix', 'safe', [replace(range, 'LABEL')]) });
  },
};
