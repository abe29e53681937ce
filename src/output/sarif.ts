/**
 * SARIF 2.1.0 for GitHub code scanning and other consumers, with fixes as `artifactChanges`.
 *
 * Follows GitHub's "SARIF support for code scanning" (test/sarif.test.ts lists the properties it requires and
 * recommends): URIs relative to the repository root under `%SRCROOT%` (declared in `originalUriBaseIds`), one rule per
 * codemod with `defaultConfiguration.level`, `helpUri`, tags and, for security rules only, `security-severity`;
 * `partialFingerprints` from the rule and the normalised line; lookups that failed (the network, not the file) as
 * `toolExecutionNotifications` rather than results, so alerts do not open and close with the network; and
 * `executionSuccessful: false` whenever harden exits 2.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import { hasProcessingErrors, type HardenResult } from '../api.js';
import { lineTableOf } from '../engine/run.js';
import { computeLineStarts, positionAt } from '../engine/text.js';
import type { Codemod, Finding, Severity } from '../engine/types.js';
import { PACKAGE_NAME } from '../version.js';

const LEVEL: Record<Severity, Sarif.Result.level> = { error: 'error', warning: 'warning', info: 'note' };

/** The base every artifact URI is relative to: the repository root. */
export const SRCROOT = '%SRCROOT%';

export interface SarifOptions {
  /** The directory result paths are relative to (default: the process's working directory). */
  cwd?: string;
  /** The repository root URIs are made relative to (default: the nearest directory above `cwd` holding `.git`, else `cwd`). */
  root?: string;
}

/** The documentation page of a codemod as shipped in the published package of this version. */
export function helpUri(id: string, version: string): string {
  return `https://unpkg.com/${PACKAGE_NAME}@${version}/docs/codemods/${id}.md`;
}

function repositoryRoot(cwd: string): string {
  for (let d = cwd; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return cwd;
  }
}

/** Lookups that failed (registry or index unreachable, download failed): tool trouble, not a finding in the file. */
export function isLookupFailure(x: Finding): boolean {
  return x.data?.lookupFailed === true;
}

function rule(id: string, c: Codemod | undefined, version: string): Sarif.ReportingDescriptor {
  const summary = c?.summary ?? id;
  const tags = [...(c?.securitySeverity !== undefined ? ['security'] : []), ...(c?.fileKinds ?? [])];
  return {
    id,
    name: id,
    shortDescription: { text: summary },
    fullDescription: { text: summary },
    defaultConfiguration: { level: LEVEL[c?.severity ?? 'warning'] },
    helpUri: helpUri(id, version),
    help: { text: `${summary} See ${helpUri(id, version)}`, markdown: c?.docs ?? summary },
    properties: {
      tags,
      precision: 'high',
      safety: c?.safety ?? 'manual',
      ...(c?.securitySeverity !== undefined ? { 'security-severity': c.securitySeverity.toFixed(1) } : {}),
    },
  };
}

export function toSarif(result: HardenResult, codemods: readonly Codemod[], version: string, opts: SarifOptions = {}): Sarif.Log {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const root = resolve(opts.root ?? repositoryRoot(cwd));
  const uriOf = (path: string, absPath?: string): string => {
    const abs = absPath ?? (isAbsolute(path) ? path : resolve(cwd, path));
    const rel = relative(root, abs);
    return (rel.startsWith('..') || isAbsolute(rel) ? abs : rel).split(sep).join('/');
  };
  const location = (uri: string): Sarif.ArtifactLocation => (uri.startsWith('/') ? { uri: pathToFileURL(uri).href } : { uri, uriBaseId: SRCROOT });

  const reported = result.files.flatMap((f) => f.findings.filter((x) => !isLookupFailure(x)).map((x) => ({ f, x })));
  const ruleIds = [...new Set(reported.map(({ x }) => x.codemodId))].sort();
  const rules = ruleIds.map((id) => rule(id, codemods.find((c) => c.id === id), version));

  const results: Sarif.Result[] = [];
  const notifications: Sarif.Notification[] = [];
  for (const f of result.files) {
    const text = f.before.replace(/^\uFEFF/, '');
    // The engine's line table of the text as read (no second scan of every file), else computed here.
    const starts = lineTableOf(f) ?? computeLineStarts(text);
    const lineAt = (n: number): string => (n >= 1 && n <= starts.length ? text.slice(starts[n - 1], starts[n] ?? text.length).replace(/\r?\n$/, '') : '');
    const uri = uriOf(f.path, f.absPath);
    const seen = new Map<string, number>();
    for (const x of f.findings) {
      if (isLookupFailure(x)) {
        notifications.push(notification(location(uri), x.message, x.line, x.column, x.codemodId));
        continue;
      }
      // Stable across runs and commits: the rule, the line's content with spaces normalised, and which occurrence of
      // that pair in the file it is; not the line number, so an alert survives lines added above it.
      const content = lineAt(x.line).trim().replace(/\s+/g, ' ');
      const key = `${x.codemodId}\0${content}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      const fingerprint = `${createHash('sha256').update(`${key}\0${n}`).digest('hex').slice(0, 32)}:${n}`;
      results.push(toResult(x, ruleIds.indexOf(x.codemodId), starts, location(uri), fingerprint));
    }
    if (f.error) notifications.push(notification(location(uri), f.error.message, f.error.line, f.error.column));
  }
  for (const p of result.problems) notifications.push(notification(location(uriOf(p.path)), p.message, p.line, p.column));
  for (const e of result.companions.errors) notifications.push(notification(location(uriOf(e.path)), e.message));

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'harden', version, semanticVersion: version, informationUri: `https://www.npmjs.com/package/${PACKAGE_NAME}`, rules },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(root).href.replace(/\/?$/, '/'), description: { text: 'The repository root.' } } },
        results,
        // Exit code 2 (a file not processed, a lookup that failed) is an unsuccessful execution.
        invocations: [{ executionSuccessful: !hasProcessingErrors(result), toolExecutionNotifications: notifications }],
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

function notification(where: Sarif.ArtifactLocation, message: string, line?: number, column?: number, ruleId?: string): Sarif.Notification {
  return {
    level: 'error',
    message: { text: message },
    ...(ruleId ? { associatedRule: { id: ruleId } } : {}),
    locations: [{ physicalLocation: { artifactLocation: where, ...(line ? { region: { startLine: line, ...(column ? { startColumn: column } : {}) } } : {}) } }],
  };
}

function toResult(x: Finding, ruleIndex: number, starts: readonly number[], where: Sarif.ArtifactLocation, fingerprint: string): Sarif.Result {
  const r: Sarif.Result = {
    ruleId: x.codemodId,
    ruleIndex,
    level: LEVEL[x.severity],
    message: { text: x.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: where,
          region: { startLine: x.line, startColumn: x.column, endLine: x.endLine, endColumn: x.endColumn },
        },
      },
    ],
    partialFingerprints: { 'harden/v1': fingerprint },
    properties: { fixStatus: x.fixStatus },
  };
  if (x.fix && x.fix.safety !== 'manual') {
    r.fixes = [
      {
        description: { text: `${x.fix.title} (${x.fix.safety} fix)` },
        artifactChanges: [
          {
            artifactLocation: where,
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
