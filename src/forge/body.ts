/**
 * Generated text: Conventional Commits messages, pull request titles and bodies, and the review comment.
 * Pure functions of the harden result, so the same changes always give the same text (idempotence).
 */
import type { HardenResult } from '../api.js';
import type { FileResult } from '../engine/run.js';
import type { Codemod, FileKind, Finding } from '../engine/types.js';
import { displayDiff } from '../engine/diff.js';
import { TRAILER_KEY, TRAILER_VALUE } from './git.js';
import { PACKAGE_NAME } from '../version.js';

export const PR_MARKER = '<!-- harden-pr -->';
export const REVIEW_MARKER = '<!-- harden-review -->';
/** GitHub refuses bodies and comments longer than 65536 characters. */
export const MAX_BODY = 65_000;

export interface TextContext {
  /** Every codemod known (for summaries, safety and docs). */
  codemods: readonly Codemod[];
  /** Where `<id>.md` docs live (a URL ending in '/'); without it, docs are named as `docs/codemods/<id>.md`. */
  docsBaseUrl?: string;
  /** The command that reproduces the change locally. */
  reproduce: string;
  version: string;
}

export interface CommitText {
  subject: string;
  body: string;
  /** Full message with the bot trailer (git adds Signed-off-by with --signoff). */
  message: string;
}

const SCOPE: Record<FileKind, string> = { dockerfile: 'docker', compose: 'compose', source: 'app', kubernetes: 'k8s', shell: 'run' };

/** The codemod ids whose fixes were applied, in first-applied order. */
export function appliedIds(r: HardenResult): string[] {
  return [...new Set(r.files.flatMap((f) => f.applied.map((a) => a.codemodId)))];
}

function changedFiles(r: HardenResult): FileResult[] {
  return r.files.filter((f) => f.changed && !f.error);
}

function lowerFirst(s: string): string {
  const t = s.trim().replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(t) ? t[0]?.toLowerCase() + t.slice(1) : t;
}

/** `fix(docker): pin base images to digests` and a body listing what each codemod did. */
export function commitText(r: HardenResult, ctx: TextContext): CommitText {
  const ids = appliedIds(r);
  const kinds = [...new Set(changedFiles(r).map((f) => f.kind))];
  const scope = kinds.length === 1 ? SCOPE[kinds[0] as FileKind] : kinds.includes('dockerfile') ? 'docker' : (SCOPE[kinds[0] as FileKind] ?? 'docker');
  const one = ids.length === 1 ? ctx.codemods.find((c) => c.id === ids[0]) : undefined;
  const summary = one ? lowerFirst(one.summary) : `apply ${ids.length} hardening codemods`;
  const subject = truncate(`fix(${scope}): ${summary}`, 72);
  const lines: string[] = [];
  for (const id of ids) {
    const c = ctx.codemods.find((x) => x.id === id);
    const n = r.files.reduce((k, f) => k + f.applied.filter((a) => a.codemodId === id).length, 0);
    lines.push(`- ${id}: ${n} fix${n === 1 ? '' : 'es'}${c ? ` (${lowerFirst(c.summary)})` : ''}`);
  }
  lines.push('', `Reproduce: ${ctx.reproduce}`);
  const trailers = [`${TRAILER_KEY}: ${TRAILER_VALUE}`];
  const body = lines.join('\n');
  return { subject, body, message: `${subject}\n\n${body}\n\n${trailers.join('\n')}\n` };
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function docsLink(id: string, ctx: TextContext): string {
  return ctx.docsBaseUrl ? `[docs](${ctx.docsBaseUrl}${encodeURIComponent(id)}.md)` : `docs: \`docs/codemods/${id}.md\` (or \`harden explain ${id}\`)`;
}

/** Keys of `finding.data` that name a resolved digest or version, and where it came from. */
const VALUE_KEYS = ['digest', 'version', 'resolvedVersion', 'tag', 'exactTag', 'checksum', 'sha256'];
const WHAT_KEYS = ['ref', 'image', 'package', 'name'];
const SOURCE_KEYS = ['source', 'registry', 'index', 'url'];

function resolvedRows(r: HardenResult): string[][] {
  const rows: string[][] = [];
  for (const f of r.files) {
    for (const a of f.applied) {
      const d = a.data ?? {};
      const pick = (keys: string[]) => keys.map((k) => d[k]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number').map(String);
      let values = pick(VALUE_KEYS);
      // Codemods that do not (yet) put the digest in `data`: take it from the fix's own text.
      if (!values.length) values = [...new Set((a.fix?.edits ?? []).flatMap((e) => e.text.match(/sha256:[0-9a-f]{64}/g) ?? []))];
      if (!values.length) continue;
      rows.push([`${f.path}:${a.line}`, a.codemodId, pick(WHAT_KEYS)[0] ?? '', values.join(' '), pick(SOURCE_KEYS).join(', ') || 'n/a']);
    }
  }
  return rows;
}

/** The pull request body. */
export function prBody(r: HardenResult, ctx: TextContext): string {
  const ids = appliedIds(r);
  const files = changedFiles(r);
  const nFixes = files.reduce((n, f) => n + f.applied.length, 0);
  const out: string[] = [PR_MARKER, `This pull request was opened by [harden](https://www.npmjs.com/package/${PACKAGE_NAME}) ${ctx.version}: ${nFixes} fix${nFixes === 1 ? '' : 'es'} in ${files.length} file${files.length === 1 ? '' : 's'}.`, ''];
  out.push('| File | Codemod | What changed | Safety |', '| --- | --- | --- | --- |');
  for (const f of files) {
    for (const a of f.applied) {
      out.push(`| ${code(`${f.path}:${a.line}`)} | ${code(a.codemodId)} | ${cell(a.fix?.title ?? a.message)} | ${a.fix?.safety ?? 'n/a'} |`);
    }
  }
  for (const c of r.companions.files) out.push(`| ${code(c.path)} | (companion change) | ${cell('edited to match the fixes above')} | |`);
  out.push('');
  for (const id of ids) {
    const c = ctx.codemods.find((x) => x.id === id);
    out.push(`### ${code(id)}`, '', `${c?.summary ?? id} (fix safety: ${c?.safety ?? 'unknown'}; ${docsLink(id, ctx)})`, '');
  }
  const rows = resolvedRows(r);
  if (rows.length) {
    out.push('### Resolved digests and versions', '', '| Where | Codemod | What | Resolved | Source |', '| --- | --- | --- | --- | --- |');
    for (const row of rows) out.push(`| ${row.map((c, i) => (i === 0 || i === 3 ? code(c) : cell(c))).join(' | ')} |`);
    out.push('');
  }
  if (r.companions.messages.length) {
    out.push('### Also done', '', ...r.companions.messages.map((m) => `- ${cell(m)}`), '');
  }
  const left = r.files.flatMap((f) => f.findings);
  if (left.length) out.push(`${left.length} finding${left.length === 1 ? '' : 's'} without an automatic fix remain${left.length === 1 ? 's' : ''}: run \`harden check\` to see them.`, '');
  out.push('### Reproduce locally', '', '```sh', ctx.reproduce, '```', '', '<sub>Updated automatically when harden finds new changes. Closing this pull request without merging stops updates to it.</sub>', '');
  return limit(out.join('\n'));
}

function limit(s: string): string {
  return s.length <= MAX_BODY ? s : `${s.slice(0, MAX_BODY - 40)}\n\n… (truncated)\n`;
}

function findingItem(x: Finding): string {
  const fixNote = x.fixStatus === 'applied' || x.fixStatus === 'fixable' ? ' (fixable)' : x.fixStatus === 'held-back' ? ' (fixable with --unsafe)' : '';
  return `- ${code(`${x.path}:${x.line}:${x.column}`)} **${x.severity}** ${code(x.codemodId)} ${cell(x.message)}${fixNote}`;
}

/** The review comment: the diff `harden fix` would apply and every finding, behind the hidden marker. */
export function reviewComment(r: HardenResult, ctx: { reproduce: string; version: string; scope: string }): string {
  const all = r.files.flatMap((f) => [...f.applied, ...f.findings]);
  const diffs = [...r.files.map((f) => displayDiff(f.path, f)), ...r.companions.files.map((c) => c.diff)].filter(Boolean).join('');
  const errors = [...r.problems.map((p) => `${p.path}: ${p.message}`), ...r.files.filter((f) => f.error).map((f) => `${f.path}: ${f.error?.message}`)];
  const out: string[] = [REVIEW_MARKER, `### harden review`, ''];
  if (!all.length && !diffs && !errors.length) {
    out.push(`No findings in ${ctx.scope}. ✅`, '');
  } else {
    out.push(`${all.length} finding${all.length === 1 ? '' : 's'} in ${ctx.scope}.`, '');
    if (all.length) out.push(...all.map(findingItem), '');
    if (errors.length) out.push('**Could not process:**', '', ...errors.map((e) => `- ${cell(e)}`), '');
    if (diffs) {
      const fence = diffs.includes('```') ? '~~~~' : '```';
      const budget = MAX_BODY - out.join('\n').length - 600;
      const shown = diffs.length > budget ? `${diffs.slice(0, Math.max(0, budget))}\n… (diff truncated: run the command below to see all of it)\n` : diffs;
      out.push('<details open><summary>Changes <code>harden fix</code> would make</summary>', '', `${fence}diff`, shown.trimEnd(), fence, '', '</details>', '');
    }
    out.push('Apply them locally with:', '', '```sh', ctx.reproduce, '```', '');
  }
  out.push(`<sub>harden ${ctx.version} · this comment is updated on every push</sub>`, '');
  return limit(out.join('\n'));
}

/** Quote a shell word only when needed (for the reproduce command). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
