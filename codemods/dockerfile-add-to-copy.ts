/**
 * dockerfile-add-to-copy: `ADD` of local files that are not archives to unpack → `COPY` (hadolint DL3020), flags kept.
 *
 * ADD unpacks a LOCAL source only when it is a tar archive (plain, gzip, bzip2, xz, zstd; detected by content), never a
 * zip, jar or single compressed file, and never anything inside a copied directory. So: a source named like a tar
 * archive, or a glob that could match one, is left alone; URLs and git repositories (what ADD is for), variables,
 * and ADD-only flags (`--checksum`, `--keep-git-dir`, `--unpack`) too.
 */
import { defineCodemod } from '../src/engine/define.js';
import type { Flag, Instruction } from 'dockerfile-ast';
import { fix, replace } from '../src/engine/edits.js';
import type { ParsedDockerfile } from '../src/engine/types.js';
import { toRange } from '../src/dockerfile/stages.js';

/** Extensions of what ADD may unpack (tar, and compressed tar by the usual names; single-file compressors too). */
const ARCHIVE = /\.(tar|tgz|taz|tbz|tbz2|tb2|txz|tlz|tzst|tz|gz|bz2|xz|lz|lzma|z|zst|zstd)$/i;
/** Flags COPY accepts too. */
const COPY_FLAGS = new Set(['chown', 'chmod', 'link', 'exclude', 'parents']);

type Verdict = { ok: true } | { ok: false; why: string; report: boolean };

function sourceVerdict(src: string): Verdict {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src) || /^git@/.test(src)) return { ok: false, why: 'remote source', report: false };
  if (src.includes('$')) return { ok: false, why: `the source ${src} uses a variable: it may name a tar archive, which ADD unpacks`, report: false };
  const base = src.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? src;
  if (ARCHIVE.test(base)) return { ok: false, why: 'archive', report: false };
  if (/[*?[]/.test(base)) {
    // A glob: safe only when it can only match a literal non-archive extension (`*.jar`, `app-*.py`).
    const ext = /\.([A-Za-z0-9]+)$/.exec(base);
    if (!ext || ARCHIVE.test(`.${ext[1]}`)) {
      return { ok: false, why: `the glob ${src} may match a tar archive, which ADD unpacks: use COPY if it never does`, report: true };
    }
  }
  return { ok: true };
}

function check(file: ParsedDockerfile, ins: Instruction): { keyword: ReturnType<typeof toRange>; verdict: Verdict } | null {
  if (ins.getKeyword().toUpperCase() !== 'ADD') return null;
  const flags = (ins as unknown as { getFlags?(): Flag[] }).getFlags?.() ?? [];
  const keyword = toRange(file.lineStarts, ins.getInstructionRange());
  for (const f of flags) {
    const name = f.getName().toLowerCase();
    if (!COPY_FLAGS.has(name)) return { keyword, verdict: { ok: false, why: `--${name} is an ADD-only flag`, report: false } };
  }
  const json = (ins as unknown as { getJSONStrings?(): { getJSONValue(): string }[] }).getJSONStrings?.() ?? [];
  const content = ins.getArgumentsContent()?.trim() ?? '';
  let words: string[];
  if (json.length && /^(--\S+\s+)*\[/.test(content)) words = json.map((j) => j.getJSONValue());
  else words = ins.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith('--'));
  // Heredoc sources (`ADD <<EOF /file`) are inline text: never unpacked.
  const heredoc = words.some((w) => w.startsWith('<<'));
  if (!heredoc && words.length < 2) return null;
  if (heredoc) return { keyword, verdict: { ok: true } };
  for (const src of words.slice(0, -1)) {
    const v = sourceVerdict(src);
    if (!v.ok) return { keyword, verdict: v };
  }
  return { keyword, verdict: { ok: true } };
}

export const dockerfileAddToCopy = defineCodemod({
  id: 'dockerfile-add-to-copy',
  fileKinds: ['dockerfile'],
  summary: '`ADD` of local files that are not archives becomes `COPY` (hadolint DL3020), flags kept.',
  safety: 'safe',
  severity: 'warning',
  sources: ['hadolint:DL3020'],
  docs: `## What it does
Replaces the \`ADD\` keyword by \`COPY\` when every source is a local file or directory that ADD would copy as it is:
not a URL or git repository, not named like a tar archive (\`.tar\`, \`.tgz\`, \`.tar.gz\`, \`.gz\`, \`.bz2\`, \`.xz\`,
\`.zst\`…), not a glob that could match one, not a variable. Flags COPY also has (\`--chown\`, \`--chmod\`, \`--link\`,
\`--exclude\`, \`--parents\`) stay; an ADD-only flag (\`--checksum\`, \`--keep-git-dir\`, \`--unpack\`) means the ADD is left
alone. Works in \`ONBUILD ADD\`, JSON form and heredocs, and keeps the keyword's case (\`add\` → \`copy\`).

Unlike hadolint's DL3020, a \`.zip\` or \`.jar\` source IS rewritten: ADD never unpacks zip files, so ADD and COPY do the
same there. A glob such as \`ADD files/* /x/\` is reported without a fix (it could match a tar archive).

## Why
\`ADD\` silently unpacks local tar archives and fetches URLs; \`COPY\` only copies. Using ADD for plain files hides which
of the two was meant, and a file that later becomes a tarball (\`dist.tar.gz\` instead of \`dist/\`) changes what the
image contains without any change to the Dockerfile. Docker's best practices and hadolint (DL3020) ask for COPY.

## Example
\`\`\`dockerfile
ADD --chown=app:app requirements.txt app/ /srv/
\`\`\`
becomes
\`\`\`dockerfile
COPY --chown=app:app requirements.txt app/ /srv/
\`\`\`

## Fix safety
Safe: for sources that are not tar archives, ADD and COPY produce the same layer. Only the keyword changes. (ADD detects
tar archives by content: a tar archive named without an archive extension, e.g. \`bundle.bin\`, would be unpacked by ADD
and copied by COPY — name such files honestly.)
`,
  run(ctx) {
    const file = ctx.file;
    for (const top of file.ast.getInstructions()) {
      const kw = top.getKeyword().toUpperCase();
      const ins = kw === 'ONBUILD' ? (top as unknown as { getTriggerInstruction(): Instruction | null }).getTriggerInstruction() : top;
      if (!ins) continue;
      const c = check(file, ins);
      if (!c) continue;
      const word = file.text.slice(c.keyword.start, c.keyword.end);
      if (word.toUpperCase() !== 'ADD') continue;
      if (!c.verdict.ok) {
        if (c.verdict.report) ctx.report({ range: c.keyword, message: c.verdict.why, fix: { title: 'check the sources by hand', safety: 'manual', edits: [] } });
        continue;
      }
      const copy = word === 'add' ? 'copy' : word === 'ADD' ? 'COPY' : 'Copy';
      ctx.report({
        range: c.keyword,
        message: 'ADD of local files that are not archives: use COPY (ADD also unpacks tar archives and fetches URLs)',
        fix: fix('use COPY', 'safe', [replace(c.keyword, copy)]),
      });
    }
  },
});
