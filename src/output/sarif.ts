/** SARIF 2.1.0 for GitHub code scanning and other consumers, with fixes as `artifactChanges`. */
import type * as Sarif from 'sarif';
import type { HardenResult } from '../api.js';
import { computeLineStarts, positionAt } from '../engine/text.js';
import type { Codemod, Finding, Severity } from '../engine/types.js';

const LEVEL: Record<Severity, Sarif.Result.level> = { error: 'error', warning: 'warning', info: 'note' };

export function toSarif(result: HardenResult, codemods: readonly Codemod[], version: string): Sarif.Log {
  const ruleIds = [...new Set(result.files.flatMap((f) => [...f.findings, ...f.applied].map((x) => x.codemodId)))].sort();
  const rules: Sarif.ReportingDescriptor[] = ruleIds.map((id) => {
    const c = codemods.find((x) => x.id === id);
    return {
      id,
      name: id,
      shortDescription: { text: c?.summary ?? id },
      fullDescription: { text: c?.summary ?? id },
      help: { text: c?.summary ?? id, markdown: c?.docs ?? '' },
      properties: { safety: c?.safety ?? 'manual', tags: ['security', 'containers'] },
    };
  });
  const results: Sarif.Result[] = [];
  for (const f of result.files) {
    const text = f.before.replace(/^\uFEFF/, '');
    const starts = computeLineStarts(text);
    for (const x of f.findings) results.push(toResult(x, ruleIds.indexOf(x.codemodId), starts));
  }
  const notifications: Sarif.Notification[] = [
    ...result.problems.map((p) => notification(p.path, p.message, p.line, p.column)),
    ...result.files.filter((f) => f.error).map((f) => notification(f.path, f.error?.message ?? '', f.error?.line, f.error?.column)),
  ];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'harden', version, semanticVersion: version, rules } },
        results,
        invocations: [{ executionSuccessful: notifications.length === 0, toolExecutionNotifications: notifications }],
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

function notification(path: string, message: string, line?: number, column?: number): Sarif.Notification {
  return {
    level: 'error',
    message: { text: message },
    locations: [{ physicalLocation: { artifactLocation: { uri: path }, ...(line ? { region: { startLine: line, ...(column ? { startColumn: column } : {}) } } : {}) } }],
  };
}

function toResult(x: Finding, ruleIndex: number, starts: readonly number[]): Sarif.Result {
  const r: Sarif.Result = {
    ruleId: x.codemodId,
    ruleIndex,
    level: LEVEL[x.severity],
    message: { text: x.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: x.path },
          region: { startLine: x.line, startColumn: x.column, endLine: x.endLine, endColumn: x.endColumn },
        },
      },
    ],
    properties: { fixStatus: x.fixStatus },
  };
  if (x.fix && x.fix.safety !== 'manual') {
    r.fixes = [
      {
        description: { text: `${x.fix.title} (${x.fix.safety} fix)` },
        artifactChanges: [
          {
            artifactLocation: { uri: x.path },
            replacements: x.fix.edits.map((e) => {
              const s = positionAt(starts, e.start);
              const en = positionAt(starts, e.end);
              return {
                deletedRegion: { startLine: s.line, startColumn: s.column, endLine: en.line, endColumn: en.column },
                insertedContent: { text: e.text },
              };
            }),
          },
        ],
      },
    ];
  }
  return r;
}
