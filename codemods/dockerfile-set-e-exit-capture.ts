/**
 * dockerfile-set-e-exit-capture: in a RUN script running under errexit, `cmd; rc=$?` (or `cmd` newline `rc=$?`) never
 * captures a failure: the shell exits as soon as `cmd` fails. Rewritten to `rc=0; cmd || rc=$?` (seed 002).
 *
 * errexit comes from the stage's SHELL (`["/bin/bash", "-eo", "pipefail", "-c"]`, inherited from a parent stage) or
 * from `set -e` / `set -o errexit` earlier in the same script, in the same (sub)shell; `set +e` turns it off again.
 */
import { fix, insertAt, replace } from '../src/engine/edits.js';
import type { Codemod, Edit, ParsedDockerfile } from '../src/engine/types.js';
import { execForm, posixShellAt, shellErrexit, staged } from '../src/dockerfile/instructions.js';
import { runScript, type RunScript } from '../src/dockerfile/run-script.js';
import {
  ancestors,
  inSubstitution,
  isErrexitExempt,
  loadShell,
  shellLoaded,
  statementSiblings,
  tryParseScript,
  type Command,
  type ShellNode,
  type ShellScript,
  type SimpleCommand,
  type Statement,
} from '../src/shell/index.js';

/** Commands that would run with errexit disabled on the left of `||`, changing what they do. */
const ERREXIT_SENSITIVE = new Set(['eval', 'source', '.', 'exec']);

/** `NAME=$?` alone: the status capture. */
function statusCapture(cmd: Command): { name: string } | null {
  if (cmd.kind !== 'command' || cmd.name || cmd.redirects.length || cmd.assigns.length !== 1) return null;
  const a = cmd.assigns[0];
  if (!a || a.append) return null;
  const raw = a.value.raw;
  return raw === '$?' || raw === '"$?"' || raw === '${?}' || raw === '"${?}"' ? { name: a.name } : null;
}

const scopeOf = (n: ShellNode) => ancestors(n).find((a) => a.kind === 'subshell' || a.kind === 'substitution') ?? null;

/** Whether errexit is on when `target` runs: the SHELL's setting, then `set` commands before it in its (sub)shell. */
function errexitAt(script: ShellScript, target: SimpleCommand, initial: boolean): boolean {
  const scopes = new Set<ShellNode | null>([null, ...ancestors(target).filter((a) => a.kind === 'subshell' || a.kind === 'substitution')]);
  let on = initial;
  for (const c of script.commands) {
    if (c.range.start >= target.range.start) break;
    if (c.setsErrexit === undefined || !scopes.has(scopeOf(c))) continue;
    // A `set -e` inside a function body or a compound that may not run is still the best guess: count it.
    on = c.setsErrexit;
  }
  return on;
}

/** The simple commands of a statement body that may fail and abort the shell: one command or a plain pipeline. */
function failingCommands(stmt: Statement): SimpleCommand[] | null {
  const b = stmt.body;
  if (b.kind === 'command') return b.name ? [b] : null;
  if (b.kind === 'pipeline' && !b.negated && b.commands.every((c) => c.kind === 'command' && c.name)) return b.commands as SimpleCommand[];
  return null;
}

interface Site {
  prev: Statement;
  capture: Statement;
  name: string;
}

function sites(script: ShellScript, initial: boolean): Site[] {
  const functions = new Set<string>();
  const walk = (n: ShellNode) => {
    if (n.kind === 'function') functions.add(n.name);
    n.children.forEach(walk);
  };
  walk(script.root);
  const out: Site[] = [];
  for (const cmd of script.commands) {
    const cap = statusCapture(cmd);
    if (!cap || inSubstitution(cmd)) continue;
    const stmt = cmd.parent;
    if (!stmt || stmt.kind !== 'statement' || stmt.body !== cmd) continue;
    const { list, index } = statementSiblings(stmt);
    const prev = list[index - 1];
    if (!prev || prev.background || (prev.terminator.op !== ';' && prev.terminator.op !== '\n')) continue;
    const cmds = failingCommands(prev);
    if (!cmds?.length) continue;
    const last = cmds[cmds.length - 1] as SimpleCommand;
    if (isErrexitExempt(last)) continue;
    if (cmds.some((c) => c.name?.value == null || ERREXIT_SENSITIVE.has(c.name.value) || functions.has(c.name.value))) continue;
    if (!errexitAt(script, last, initial)) continue;
    out.push({ prev, capture: stmt, name: cap.name });
  }
  return out;
}

function edits(rs: RunScript, s: Site, script: ShellScript): Edit[] {
  const prevEnd = s.prev.body.range.end;
  const out: Edit[] = [insertAt(rs.toFileOffset(s.prev.range.start), `${s.name}=0; `)];
  const term = s.prev.terminator;
  if (term.op === ';' && term.range && /^[ \t]*$/.test(script.text.slice(prevEnd, term.range.start))) {
    out.push(replace({ start: rs.toFileOffset(prevEnd, 'end'), end: rs.toFileOffset(term.range.end, 'end') }, ' ||'));
  } else if (term.op === '\n') {
    out.push(insertAt(rs.toFileOffset(prevEnd, 'end'), ' ||'));
  } else return [];
  return out;
}

export const dockerfileSetEExitCapture: Codemod = {
  id: 'dockerfile-set-e-exit-capture',
  fileKinds: ['dockerfile'],
  summary: 'Under `set -e`, `cmd; rc=$?` aborts before capturing the status: rewritten to `rc=0; cmd || rc=$?`.',
  safety: 'safe',
  severity: 'error',
  sources: ['seed:002'],
  docs: `## What it does
Finds RUN scripts that run with errexit on — \`set -e\`, \`set -eux\`, \`set -o errexit\` earlier in the script (in the
same shell or a parent of the subshell), or a stage \`SHELL\` with \`-e\` / \`-o errexit\` (inherited from the stage it is
built \`FROM\`) — where a command's exit status is captured on the next statement:

- \`cmd; rc=$?\`
- \`cmd\` newline \`rc=$?\` (heredoc RUNs and multi-line scripts)

and rewrites them to \`rc=0; cmd || rc=$?\`. The script is parsed (tree-sitter-bash), so quoting, line continuations,
\`# escape=\`, comments inside the RUN and heredocs are handled; a command on the left of \`&&\`/\`||\`, negated, in an
\`if\`/\`while\` condition, after \`set +e\`, or inside \`$( … )\` is left alone (errexit does not stop the shell there).
RUNs that do not run under a POSIX shell (\`SHELL ["powershell", …]\`, or a Windows base image's default \`cmd\`)
are left alone.

## Why
With errexit on, the shell exits the moment \`cmd\` returns non-zero, so \`rc=$?\` only ever runs with \`rc=0\`: the build
either fails where the author expected to classify the status, or the classifier is dead code. Seed 002 shipped
exactly this: an image-build smoke test expecting \`rc=1\` aborted the build one line before reading it. The status of a
command on the left of \`||\` never triggers errexit, so \`cmd || rc=$?\` captures it.

## Example
\`\`\`dockerfile
RUN set -eux; \\
    /usr/local/bin/selftest --once; \\
    rc=$?; \\
    if [ "$rc" -ne 1 ]; then exit 1; fi
\`\`\`
becomes
\`\`\`dockerfile
RUN set -eux; \\
    rc=0; /usr/local/bin/selftest --once || \\
    rc=$?; \\
    if [ "$rc" -ne 1 ]; then exit 1; fi
\`\`\`

## Fix safety
Safe: when \`cmd\` succeeds nothing changes (\`rc\` is 0 either way); when it fails the script now goes on with the status
in \`rc\`, which is what the capture was written for. Only external commands and pipelines of them are rewritten: shell
functions, \`eval\`, \`source\`/\`.\` would run their whole body with errexit disabled on the left of \`||\`, so they are
skipped. Two insertions, nothing else moves: \`rc=0; \` before the command, \` ||\` in place of its \`;\` terminator.
`,
  async prepare() {
    await loadShell();
  },
  run(ctx) {
    const file = ctx.file;
    if (file.kind !== 'dockerfile' || !shellLoaded()) return;
    const sf = staged(file as ParsedDockerfile);
    for (const i of sf.all) {
      if (i.kw !== 'RUN') continue;
      const rs = runScript(file, i.ins);
      if (!rs || !posixShellAt(file, sf, i)) continue;
      // SHELL applies up to this RUN only: recompute with the SHELLs before it in the chain.
      let initial = false;
      for (const x of sf.chain(i.stage)) {
        if (x.range.start > i.range.start && x.stage === i.stage) break;
        if (x.kw === 'SHELL') initial = shellErrexit(execForm(file, x.ins) ?? []);
      }
      const script = tryParseScript(rs.script);
      if (!script) continue;
      for (const s of sites(script, initial)) {
        const e = edits(rs, s, script);
        const cmds = failingCommands(s.prev) ?? [];
        const short = cmds.map((c) => c.name?.raw ?? '').join(' | ');
        ctx.report({
          range: rs.toFileRange({ start: s.prev.range.start, end: s.capture.range.end }),
          message: `errexit is on: the shell exits when \`${short}\` fails, before \`${s.name}=$?\` can capture its status; use \`${s.name}=0; cmd || ${s.name}=$?\``,
          ...(e.length ? { fix: fix(`capture the status with || ${s.name}=$?`, 'safe', e) } : {}),
          data: { variable: s.name },
        });
      }
    }
  },
};
