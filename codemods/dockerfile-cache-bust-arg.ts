/**
 * dockerfile-cache-bust-arg: an ARG whose only effect is to change the cache key of a following `pip install` /
 * `npm install` of an unpinned package (seed 002's RUNTIME_VERSION):
 * - R1, a pure cache buster: the ARG is never referenced, and the next RUN installs something unpinned;
 * - R2, an optional pin: the ARG has no (or an empty) default and is only used inside `if [ -n "$X" ]`-style branches
 *   to pin a package, so a default build installs whatever is newest.
 * Report only, recommending an exact pin (the build is then reproducible and the cache key changes with the pin).
 */
import { defineCodemod } from '../src/engine/define.js';
import type { ParsedDockerfile } from '../src/engine/types.js';
import { staged, type Ins } from '../src/dockerfile/instructions.js';
import { runScript } from '../src/dockerfile/run-script.js';
import { ancestors, loadShell, mayHitLimit, mayMention, shellLoaded, tryParseScript, walk, type ShellNode, type ShellScript, type SimpleCommand } from '../src/shell/index.js';

const MANUAL = { title: 'pin the package version exactly', safety: 'manual' as const, edits: [] };

/** `$name` or `${name…}` in a text (one expression per ARG name, made once). */
const references = new Map<string, RegExp>();
function refersTo(text: string, name: string): boolean {
  // Both forms spell the name: a text without it refers to nothing (most instructions, most words), no expression run.
  if (!text.includes(name)) return false;
  let re = references.get(name);
  if (!re) {
    re = new RegExp(`\\$(?:\\{${name}(?:[^A-Za-z0-9_]|\\})|${name}(?![A-Za-z0-9_]))`);
    references.set(name, re);
  }
  return re.test(text);
}

/** pip install options that take the next word as their value. */
const PIP_VALUE_OPTIONS = new Set([
  '-c', '--constraint', '-t', '--target', '--prefix', '--root', '--src', '-i', '--index-url', '--extra-index-url', '-f',
  '--find-links', '--platform', '--python-version', '--implementation', '--abi', '--upgrade-strategy', '--trusted-host',
  '--cache-dir', '--log', '--proxy', '--retries', '--timeout', '--progress-bar', '--python', '--config-settings', '-C',
]);
/** npm/yarn/pnpm options that take the next word as their value. */
const NPM_VALUE_OPTIONS = new Set(['--prefix', '--registry', '--cache', '--userconfig', '--tag', '--loglevel', '-C', '--dir', '--filter', '-w', '--workspace']);

interface Install {
  cmd: SimpleCommand;
  tool: 'pip' | 'npm';
  /** Package specs (or `-r file`) that are not exact pins. */
  unpinned: string[];
}

/** What the text of a script holding an install `install` accepts contains (`pnpm` holds `npm`, `pip3` `pip`). */
const INSTALLERS = ['pip', 'uv', 'npm', 'yarn'];

/** pip/npm/yarn/pnpm installs of a command, with the specs that are not exact pins. */
function install(cmd: SimpleCommand): Install | null {
  const words = [cmd.name, ...cmd.args].map((w) => w?.value ?? w?.raw ?? '');
  let i: number;
  const name = (words[0] ?? '').split('/').pop() ?? '';
  let tool: Install['tool'];
  if (/^pip[0-9.]*$/.test(name) || name === 'uv') {
    tool = 'pip';
    if (name === 'uv') {
      if (words[1] !== 'pip') return null;
      i = 2;
    } else i = 1;
    if (words[i] !== 'install') return null;
  } else if (/^python[0-9.]*$/.test(name) && words[1] === '-m' && /^pip[0-9.]*$/.test(words[2] ?? '')) {
    tool = 'pip';
    i = 3;
    if (words[i] !== 'install') return null;
  } else if (name === 'npm' && ['install', 'i', 'add'].includes(words[1] ?? '')) {
    tool = 'npm';
    i = 1;
  } else if ((name === 'yarn' || name === 'pnpm') && ['add', 'install'].includes(words[1] ?? '')) {
    tool = 'npm';
    i = 1;
  } else return null;
  const unpinned: string[] = [];
  const rest = words.slice(i + 1);
  for (let k = 0; k < rest.length; k++) {
    const w = rest[k] as string;
    if (tool === 'pip' && (w === '-r' || w === '--requirement')) {
      unpinned.push(`-r ${rest[k + 1] ?? ''}`);
      k++;
      continue;
    }
    if (w.startsWith('-') || w === '') {
      // Options whose value is the next word (`--target /deps`, `--registry URL`): not a package.
      if ((tool === 'pip' ? PIP_VALUE_OPTIONS : NPM_VALUE_OPTIONS).has(w)) k++;
      continue;
    }
    if (tool === 'pip') {
      if (!/===?[^=*]+$/.test(w) || /\*$/.test(w)) unpinned.push(w);
    } else if (!/^(@[^/]+\/)?[^@]+@\d+\.\d+\.\d+[-+.\w]*$/.test(w)) unpinned.push(w);
  }
  return { cmd, tool, unpinned };
}

function parse(file: ParsedDockerfile, i: Ins): { script: ShellScript; toFile: (r: { start: number; end: number }) => { start: number; end: number } } | null {
  const rs = runScript(file, i.ins);
  if (!rs) return null;
  const script = tryParseScript(rs);
  return script ? { script, toFile: rs.toFileRange } : null;
}

/** Whether `node` sits in the body of an `if` whose condition refers to `name` (and so only runs when it is set). */
function guardedBy(node: ShellNode, name: string, text: string): boolean {
  let child: ShellNode = node;
  for (const p of ancestors(node)) {
    if (p.kind === 'if') {
      const clause = p.clauses.find((c) => c.body.includes(child as never));
      if (clause && clause.condition.some((s) => refersTo(text.slice(s.range.start, s.range.end), name))) return true;
    }
    child = p;
  }
  return false;
}

export const dockerfileCacheBustArg = defineCodemod({
  id: 'dockerfile-cache-bust-arg',
  fileKinds: ['dockerfile'],
  summary: 'Report ARGs that only change the cache key of an unpinned pip/npm install: pin the version instead.',
  safety: 'manual',
  severity: 'warning',
  sources: ['seed:002'],
  docs: `## What it does
Reports an \`ARG\` whose only effect is to change the build cache key of a following package install that is not
pinned exactly:

- a pure cache buster: \`ARG CACHEBUST\` (any name) that nothing references, followed by a RUN installing with
  \`pip install\` / \`python -m pip install\` / \`uv pip install\` / \`npm install\` / \`yarn add\` / \`pnpm add\` packages that
  are not exact pins (\`pkg\`, \`pkg>=1\`, \`-r requirements.txt\`, \`pkg@latest\`);
- an optional pin: an \`ARG\` without a default (or with an empty one) used only inside
  \`if [ -n "$X" ]; then pip install "pkg==$X"; fi\`-style branches, next to an unpinned install of the same packages.
  A default build then installs whatever is newest (seed 002's \`RUNTIME_VERSION\`).

The RUN scripts are parsed (tree-sitter-bash): a reference outside such a branch, or in another instruction
(\`ENV\`, \`LABEL\`, \`COPY\`), is a real use and nothing is reported.

## Why
An ARG changes the cache key of every RUN after it, so passing a new value forces the install to run again — but
what it installs is still "the newest version today", so two builds of the same commit with the same argument can
ship different code, and a build without the argument reuses a stale layer (the "cache trap" seed 002 describes).
An exact pin (\`pkg==1.4.2\` in requirements.txt, \`npm install pkg@1.4.2\`, or \`ARG X=1.4.2\` used unconditionally)
makes the build reproducible, and changing the pin changes the cache key by itself.

## Example
\`\`\`dockerfile
ARG RUNTIME_VERSION=
COPY requirements.txt .
RUN pip install -r requirements.txt && \\
    if [ -n "\${RUNTIME_VERSION}" ]; then pip install --upgrade "runtime==\${RUNTIME_VERSION}"; fi
\`\`\`
is reported at the ARG: give it the exact version as default and install \`runtime==\${RUNTIME_VERSION}\`
unconditionally (or pin it in requirements.txt).

## Fix safety
Manual: choosing the version to pin needs a decision (and pinning it is what the install-locking codemods do).
`,
  async prepare() {
    await loadShell();
  },
  run(ctx) {
    const file = ctx.file;
    if (!shellLoaded()) return;
    const sf = staged(file);
    for (const stage of sf.stages) {
      const ins = sf.of(stage.index);
      // Whether a RUN from index j on may be over a parser limit: asked for every ARG, read once per RUN (from the
      // end of the stage, down to the first index asked).
      const limitFrom: boolean[] = [];
      let known = ins.length;
      limitFrom[known] = false;
      const mayHitLimitFrom = (j: number): boolean => {
        for (; known > j; known--) {
          const i = ins[known - 1] as Ins;
          limitFrom[known - 1] = (limitFrom[known] as boolean) || (i.kw === 'RUN' && mayHitLimit(runScript(file, i.ins)?.script ?? ''));
        }
        return limitFrom[j] as boolean;
      };
      ins.forEach((argIns, k) => {
        if (argIns.kw !== 'ARG') return;
        const later = ins.slice(k + 1);
        const laterRuns = later.filter((i) => i.kw === 'RUN');
        // Only an install in the first RUN after the ARG is reported: when its text spells no installer, nothing is
        // (and no RUN is parsed, unless one may be over a parser limit, which its parse reports). The same for every
        // name the ARG declares, so asked once per ARG, before any name is looked for.
        const first = laterRuns[0] ? runScript(file, laterRuns[0].ins) : null;
        if (!first) return;
        if (!mayMention(first.script, INSTALLERS) && !mayHitLimitFrom(k + 1)) return;
        const props = (argIns.ins as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }).getProperties();
        let parsedRuns: ReturnType<typeof parse>[] | undefined;
        let installs: Install[] | undefined;
        for (const p of props) {
          const name = p.getName();
          const value = p.getValue();
          // A real use outside RUN (ENV, LABEL, COPY, WORKDIR…), or a redeclaration: not a cache buster.
          if (later.some((i) => i.kw !== 'RUN' && (i.kw === 'ARG' ? i.ins.getArgumentsContent()?.split(/[\s=]/)[0] === name : refersTo(i.ins.getArgumentsContent() ?? '', name)))) continue;
          parsedRuns ??= laterRuns.map((i) => parse(file, i));
          if (parsedRuns.some((r) => !r)) continue;
          const parsed = parsedRuns as NonNullable<ReturnType<typeof parse>>[];
          const refs: ShellNode[] = [];
          for (const r of parsed) {
            walk(r.script.root, (n) => {
              if ((n.kind === 'word' && refersTo(n.raw, name)) || (n.kind === 'test' && refersTo(n.raw, name))) {
                refs.push(n);
                return false;
              }
              return undefined;
            });
          }
          const firstRun = parsed[0];
          if (!firstRun) continue;
          installs ??= firstRun.script.commands.map(install).filter((x): x is Install => !!x);
          const unpinned = installs.flatMap((x) => x.unpinned.filter((u) => !refersTo(u, name)));
          if (unpinned.length === 0) continue;
          let kind: 'cache-buster' | 'optional-pin' | null = null;
          if (refs.length === 0) kind = 'cache-buster';
          else if ((value === null || value === '') && parsed.every((r) => refs.filter((n) => r.script.root === ancestors(n).pop()).every((n) => guardedBy(n, name, r.script.text) || isCondition(n)))) {
            kind = 'optional-pin';
          }
          if (!kind) continue;
          const what = unpinned.slice(0, 3).join(', ');
          ctx.report({
            range: argIns.range,
            message:
              kind === 'cache-buster'
                ? `ARG ${name} is never used: it only changes the cache key of the install below (${what}), which still installs whatever is newest at build time; pin exact versions instead (the pin then changes the cache key itself)`
                : `ARG ${name} only pins the package when it is passed (its default is empty): a default build installs whatever is newest (${what}) and may reuse a stale cached layer; pin the exact version (as the ARG's default, used unconditionally, or in the requirements file)`,
            fix: MANUAL,
            data: { arg: name, kind },
          });
        }
      });
    }
  },
});

/** A reference inside an if/while condition (`[ -n "$X" ]`): a test, not a use. */
function isCondition(n: ShellNode): boolean {
  let child: ShellNode = n;
  for (const p of ancestors(n)) {
    if (p.kind === 'if' && p.clauses.some((c) => c.condition.includes(child as never))) return true;
    child = p;
  }
  return false;
}
