/** Small codemods used only by the engine's own tests (registered codemods are tested through fixtures). */
import { fix, insertAt, replace } from '../../src/engine/edits.js';
import type { Codemod, FileKind, Safety } from '../../src/engine/types.js';

/** Replaces every occurrence of `from` by `to`, one report each. */
export function replaceAll(id: string, from: string, to: string, opts: { safety?: Safety; kinds?: FileKind[] } = {}): Codemod {
  const safety = opts.safety ?? 'safe';
  return {
    id,
    fileKinds: opts.kinds ?? ['dockerfile', 'compose'],
    summary: `replace ${from} by ${to}`,
    safety,
    docs: '## What it does\ntest\n## Why\ntest\n## Example\ntest\n## Fix safety\ntest\n',
    run(ctx) {
      for (let i = ctx.file.text.indexOf(from); i >= 0; i = ctx.file.text.indexOf(from, i + from.length)) {
        const range = { start: i, end: i + from.length };
        ctx.report({ range, message: `${from} found`, fix: fix(`use ${to}`, safety, [replace(range, to)]) });
      }
    },
  };
}

/** Inserts `text` at a fixed offset once, unless `marker` is already present. */
export function insertOnce(id: string, offset: (text: string) => number, text: string, marker = text): Codemod {
  return {
    id,
    fileKinds: ['dockerfile', 'compose'],
    summary: `insert ${text}`,
    safety: 'safe',
    docs: 'test',
    run(ctx) {
      if (ctx.file.text.includes(marker)) return;
      const at = offset(ctx.file.text);
      ctx.report({ range: { start: at, end: at }, message: `missing ${marker.trim()}`, fix: fix('insert', 'safe', [insertAt(at, text)]) });
    },
  };
}

export function throwing(id: string): Codemod {
  return { id, fileKinds: ['dockerfile', 'compose'], summary: 'throws', safety: 'safe', docs: 'test', run() { throw new Error('boom'); } };
}

export function reportOnly(id: string, needle: string, safety: Safety = 'manual'): Codemod {
  return {
    id,
    fileKinds: ['dockerfile', 'compose'],
    summary: 'reports',
    safety,
    docs: 'test',
    run(ctx) {
      const i = ctx.file.text.indexOf(needle);
      if (i >= 0) ctx.report({ range: { start: i, end: i + needle.length }, message: `saw ${needle}`, severity: 'info' });
    },
  };
}
