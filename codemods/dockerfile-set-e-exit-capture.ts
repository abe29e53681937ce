/**
 * dockerfile-set-e-exit-capture: in a RUN script running under errexit, `cmd; rc=$?` (or `cmd` newline `rc=$?`) never
 * captures a failure: the shell exits as soon as `cmd` fails. Rewritten to `rc=0; cmd || rc=$?` (seed 002).
 * Likewise `cmd` followed by `if [ $? -ne 0 ]; then …` (`!= 0`, `-eq 0`, `= 0`, `test $? …`): rewritten to
 * `if ! cmd; then …` / `if cmd; then …` when the shapes are exact, reported for a manual fix otherwise.
 * Both also when `cmd` is an assignment-only statement running a command, `out=$(cmd)` (its status is the command
 * substitution's): `rc=0; out=$(cmd) || rc=$?`, `if ! out=$(cmd); then …`.
 *
 * errexit comes from the stage's SHELL (`["/bin/bash", "-eo", "pipefail", "-c"]`, inherited from a parent stage) or
 * from `set -e` / `set -o errexit` earlier in the same script, in the same (sub)shell; `set +e` turns it off again.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, insertAt, remove, replace } from '../src/engine/edits.js';
import type { Edit } from '../src/engine/types.js';
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
  walk,
  type Command,
  type IfCommand,
  type ShellNode,
  type ShellScript,
  type SimpleCommand,
  type Statement,
  type Substitution,
} from '../src/shell/index.js';

const MANUAL = { title: 'test the command itself or capture its status by hand', safety: 'manual' as const, edits: [] };

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

/** Builtins that assign: their own status wins over a command substitution in their arguments. */
const DECLARATIONS = new Set(['export', 'local', 'readonly', 'declare', 'typeset']);

/**
 * `export out=$(cmd)`: it never aborts when `cmd` fails (the builtin's own status, 0, wins), so `$?` after it is not
 * the substitution's — a different problem, not this codemod's.
 */
const declaresSubstitution = (c: Command) =>
  c.kind === 'command' && DECLARATIONS.has(c.name?.value ?? '') && c.args.some((a) => a.substitutions.length > 0);

/** The simple commands of a statement body that may fail and abort the shell: one command or a plain pipeline. */
function failingCommands(stmt: Statement): SimpleCommand[] | null {
  const b = stmt.body;
  if (b.kind === 'command') return b.name && !declaresSubstitution(b) ? [b] : null;
  if (b.kind === 'pipeline' && !b.negated && b.commands.every((c) => c.kind === 'command' && c.name && !declaresSubstitution(c))) {
    return b.commands as SimpleCommand[];
  }
  return null;
}

/** `$(…)` or `` `…` `` (not a process substitution `<(…)`). */
const isCommandSubstitution = (sub: Substitution, text: string) => /^\s*(\$\(|`)/.test(text.slice(sub.range.start, sub.range.end));

/** The commands of a command substitution that is one plain command or pipeline of named commands, or null. */
function substitutionCommands(sub: Substitution): SimpleCommand[] | null {
  const [only, ...rest] = sub.body;
  if (!only || rest.length || only.background) return null;
  const cmds = failingCommands(only);
  return cmds?.length && cmds.every((c) => c.name?.value != null) ? cmds : null;
}

/**
 * An assignment-only statement whose value runs a command: `out=$(cmd)`. Its status is that of its last command
 * substitution, so under errexit a failing `cmd` aborts the shell at the assignment. (`local`/`export`/`readonly
 * out=$(cmd)` have a command name and their own status: not matched.)
 */
interface AssignStatus {
  cmd: SimpleCommand;
  /** The commands of its one command substitution (empty when `manual`). */
  inner: SimpleCommand[];
  /** How it reads in messages: `out=$(./check.sh)`. */
  short: string;
  /** Why it is not rewritten, or null when it is. */
  manual: string | null;
}

function assignmentStatus(stmt: Statement, text: string): AssignStatus | null {
  const b = stmt.body;
  if (b.kind !== 'command' || b.name || b.redirects.length || !b.assigns.length) return null;
  const subs = b.assigns.flatMap((a) => a.value.substitutions.filter((s) => isCommandSubstitution(s, text)));
  const bodies = subs.map(substitutionCommands);
  // Only a substitution running a plain command or pipeline counts: `$(cmd || true)`, `$(a; b)` are left alone.
  if (!bodies.some(Boolean)) return null;
  if (b.assigns.length > 1 || subs.length > 1) {
    return {
      cmd: b,
      inner: [],
      short: text.slice(b.range.start, b.range.end).replace(/\s+/g, ' '),
      manual:
        b.assigns.length > 1
          ? 'the statement makes several assignments; only its last command substitution sets the status'
          : 'the value has several command substitutions; only the last one sets the status',
    };
  }
  const a = b.assigns[0];
  const inner = bodies[0];
  if (!a || !inner) return null;
  return { cmd: b, inner, short: `${a.name}${a.append ? '+=' : '='}$(${inner.map((c) => c.name?.raw ?? '').join(' | ')})`, manual: null };
}

interface Site {
  prev: Statement;
  capture: Statement;
  name: string;
  /** Set when `prev` is `out=$(cmd)`. */
  assign?: AssignStatus;
}

/** Names of the shell functions the script defines. */
function functionNames(script: ShellScript): Set<string> {
  const functions = new Set<string>();
  walk(script.root, (n) => {
    if (n.kind === 'function') functions.add(n.name);
  });
  return functions;
}

function sites(script: ShellScript, initial: boolean, functions: ReadonlySet<string>): Site[] {
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
    const assign = cmds ? null : assignmentStatus(prev, script.text);
    if (assign) {
      if (isErrexitExempt(assign.cmd) || !errexitAt(script, assign.cmd, initial)) continue;
      if (assign.inner.some((c) => ERREXIT_SENSITIVE.has(c.name?.value as string) || functions.has(c.name?.value as string))) continue;
      out.push({ prev, capture: stmt, name: cap.name, assign });
      continue;
    }
    if (!cmds?.length) continue;
    const last = cmds[cmds.length - 1] as SimpleCommand;
    if (isErrexitExempt(last)) continue;
    if (cmds.some((c) => c.name?.value == null || ERREXIT_SENSITIVE.has(c.name.value) || functions.has(c.name.value))) continue;
    if (!errexitAt(script, last, initial)) continue;
    out.push({ prev, capture: stmt, name: cap.name });
  }
  return out;
}

/** Where a script reads `$?` (`$?`, `${?}`): sites need one. */
const STATUS_READ = /\$\{?\?/;

/** `$?` (quoted or braced) as a whole test operand. */
const STATUS_OPERANDS = new Set(['$?', '"$?"', '${?}', '"${?}"']);
const ZERO_OPERANDS = new Set(['0', '"0"', "'0'"]);
/** Test operators comparing `$?` with 0, by what a true test means. `==` is left out: dash's `[` rejects it. */
const STATUS_OPS: Record<string, 'failure' | 'success'> = { '-ne': 'failure', '!=': 'failure', '-eq': 'success', '=': 'success' };
const READS_STATUS = /\$\{?\?/;

/** Whether anything under `node` (but `skip`) reads `$?`. */
function readsStatus(node: ShellNode, skip?: ShellNode): boolean {
  let hit = false;
  walk(node, (n) => {
    if (hit || n === skip) return false;
    if (n.kind === 'word' && READS_STATUS.test(n.raw)) hit = true;
    else if ((n.kind === 'test' || n.kind === 'other') && READS_STATUS.test(n.raw)) hit = true;
    else if (n.kind === 'redirect' && n.heredoc?.expands && READS_STATUS.test(n.heredoc.body)) hit = true;
    return !hit;
  });
  return hit;
}

/**
 * A status test: `[ $? -ne 0 ]`, `test "$?" = 0`. `means`: what the test being true says about the command before
 * ('failure' / 'success'), or null when it reads `$?` in any other shape (`-gt 0`, `[[ … ]]`, `-ne 1`, `-a`…).
 * Null when the statement is no test of `$?`.
 */
function statusTest(stmt: Statement, text: string): { raw: string; means: 'failure' | 'success' | null } | null {
  const b = stmt.body;
  let raw: string;
  let operands: string[] | null = null;
  if (b.kind !== 'test' && !(b.kind === 'command' && b.name?.value === 'test')) {
    // `[ $? -ne 0 ] && …`, `! [ $? -eq 0 ]`: reads the status, in no shape rewritten here.
    return readsStatus(b) ? { raw: text.slice(b.range.start, b.range.end), means: null } : null;
  }
  if (b.kind === 'test') {
    raw = b.raw;
    const tokens = b.raw.trim().split(/\s+/);
    // `[[ … ]]` is left to a person: under /bin/sh (dash) it is "not found", so the test never ran as written.
    if (tokens[0] === '[' && tokens[tokens.length - 1] === ']' && !b.redirects.length) operands = tokens.slice(1, -1);
  } else {
    raw = commandText(b);
    if (!b.assigns.length && !b.redirects.length) operands = b.args.map((a) => a.raw);
  }
  if (!READS_STATUS.test(raw)) return null;
  const [left, op, right] = operands ?? [];
  const exact = operands?.length === 3 && STATUS_OPERANDS.has(left as string) && ZERO_OPERANDS.has(right as string) && Object.hasOwn(STATUS_OPS, op as string);
  return { raw, means: exact ? (STATUS_OPS[op as string] as 'failure' | 'success') : null };
}

const commandText = (c: SimpleCommand) => [c.name, ...c.args].map((w) => w?.raw ?? '').join(' ');

interface IfSite {
  prev: Statement;
  ifStmt: Statement;
  ifCmd: IfCommand;
  test: { raw: string; means: 'failure' | 'success' | null };
  /** Why it is not rewritten (manual finding), or null when it is. */
  manual: string | null;
  /** Set when `prev` is `out=$(cmd)`. */
  assign?: AssignStatus;
}

/** `cmd` then `if [ $? -ne 0 ]; then …` under errexit: the test only ever sees 0. */
function ifSites(script: ShellScript, initial: boolean, functions: ReadonlySet<string>): IfSite[] {
  const out: IfSite[] = [];
  walk(script.root, (n) => {
    if (n.kind !== 'if') return;
    const ifStmt = n.parent;
    if (!ifStmt || ifStmt.kind !== 'statement' || ifStmt.body !== n || inSubstitution(n)) return;
    const cond = n.clauses[0]?.condition[0];
    const test = cond && statusTest(cond, script.text);
    if (!test) return;
    const { list, index } = statementSiblings(ifStmt);
    const prev = list[index - 1];
    if (!prev || prev.background || (prev.terminator.op !== ';' && prev.terminator.op !== '\n')) return;
    const assign = failingCommands(prev) ? null : assignmentStatus(prev, script.text);
    const cmds = assign ? assign.inner : failingCommands(prev);
    if (!assign && (!cmds?.length || cmds.some((c) => c.name?.value == null))) return;
    const last = assign ? assign.cmd : (cmds?.[cmds.length - 1] as SimpleCommand);
    if (isErrexitExempt(last) || !errexitAt(script, last, initial)) return;
    let manual: string | null = null;
    const sensitive = (cmds ?? []).find((c) => ERREXIT_SENSITIVE.has(c.name?.value as string) || functions.has(c.name?.value as string));
    if (test.means === null) manual = `\`${test.raw}\` is not a plain \`[ $? -ne 0 ]\` / \`[ $? -eq 0 ]\``;
    else if (n.clauses[0]?.condition.length !== 1 || cond.terminator.op === '') manual = 'the if condition is more than the test';
    else if (readsStatus(n, cond)) manual = '`$?` is read again inside the if';
    else if (n.redirects.length) manual = 'the if has redirections the command would then share';
    else if (ifStmt.background) manual = 'the if runs in the background';
    else if (assign?.manual) manual = assign.manual;
    else if (sensitive) manual = `\`${sensitive.name?.raw ?? ''}\` would run with errexit disabled inside the if condition`;
    out.push({ prev, ifStmt, ifCmd: n, test, manual, ...(assign ? { assign } : {}) });
  });
  return out;
}

/** `if ` / `if ! ` before the command; the test, its terminator and the blanks up to `then` on the same line removed. */
function ifEdits(rs: RunScript, s: IfSite, fileText: string): Edit[] {
  const cond = s.ifCmd.clauses[0]?.condition[0] as Statement;
  const out: Edit[] = [insertAt(rs.toFileOffset(s.prev.range.start), s.test.means === 'failure' ? 'if ! ' : 'if ')];
  const start = rs.toFileOffset(s.ifCmd.range.start);
  const term = cond.terminator;
  if (term.op === ';' && term.range) {
    let end = rs.toFileOffset(term.range.end, 'end');
    let blanks = end;
    while (fileText[blanks] === ' ' || fileText[blanks] === '\t') blanks++;
    if (fileText.startsWith('then', blanks)) end = blanks;
    out.push(remove({ start, end }));
  } else {
    // `if test $? = 0` alone on its line (heredoc scripts): the line goes.
    const end = rs.toFileOffset(cond.range.end, 'end');
    const lineStart = fileText.lastIndexOf('\n', start - 1) + 1;
    const eol = /^[ \t]*\r?\n/.exec(fileText.slice(end));
    if (eol && /^[ \t]*$/.test(fileText.slice(lineStart, start))) out.push(remove({ start: lineStart, end: end + eol[0].length }));
    else out.push(remove({ start, end }));
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

export const dockerfileSetEExitCapture = defineCodemod({
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

and rewrites them to \`rc=0; cmd || rc=$?\`. It also finds a command followed by an \`if\` testing its status —
\`cmd; if [ $? -ne 0 ]; then …\` (also \`[ "$?" != 0 ]\`, \`test $? -ne 0\`, on the same line or the next) — and
rewrites \`-ne 0\` / \`!= 0\` to \`if ! cmd; then …\` and \`-eq 0\` / \`= 0\` to \`if cmd; then …\` (an \`else\` keeps
its meaning). Only that exact shape is rewritten; any other test of \`$?\` right after the command (\`-gt 0\`, \`-ne 1\`,
\`[[ … ]]\`, \`== 0\`, \`[ $? -ne 0 ] && …\`), an \`if\` that reads \`$?\` again inside (\`echo "failed: $?"\`, an
\`elif [ $? … ]\`), an \`if\` with redirections, or a shell function / \`eval\` / \`source\` as the command is reported
for a manual fix.

The command may also be an assignment whose value runs one: \`out=$(cmd)\` (or the backtick form, a pipeline
inside, \`"$(cmd)"\`). A statement made only of assignments takes the status of its last command substitution, so
under errexit a failing \`cmd\` aborts there just the same; \`out=$(cmd); rc=$?\` becomes \`rc=0; out=$(cmd) || rc=$?\` and
\`out=$(cmd)\` + \`if [ $? -ne 0 ]\` becomes \`if ! out=$(cmd); then\` (\`out\` is still assigned). Only a plain command
or pipeline inside \`$( … )\` counts (\`$(cmd || true)\`, \`$(a; b)\` are left alone); several assignments on the
statement (\`a=$(x) b=$(y)\`, \`v=1 out=$(x)\`) or several substitutions in the value are reported for a manual fix,
since only the last substitution sets the status. \`export\`/\`local\`/\`readonly\`/\`declare\`/\`typeset out=$(cmd)\` are
left alone: the builtin's own status wins, so the shell does not abort there.

The script is parsed (tree-sitter-bash), so quoting, line continuations,
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

and
\`\`\`dockerfile
RUN set -eux; \\
    /usr/local/bin/selftest --once; \\
    if [ $? -ne 0 ]; then echo "selftest failed" >&2; exit 1; fi
\`\`\`
becomes
\`\`\`dockerfile
RUN set -eux; \\
    if ! /usr/local/bin/selftest --once; \\
    then echo "selftest failed" >&2; exit 1; fi
\`\`\`

and
\`\`\`dockerfile
RUN set -e; version=$(/usr/local/bin/app --version); rc=$?; echo "$version $rc"
\`\`\`
becomes
\`\`\`dockerfile
RUN set -e; rc=0; version=$(/usr/local/bin/app --version) || rc=$?; echo "$version $rc"
\`\`\`

## Fix safety
Safe: when \`cmd\` succeeds nothing changes (\`rc\` is 0 either way); when it fails the script now goes on with the status
in \`rc\`, which is what the capture was written for. Only external commands and pipelines of them are rewritten: shell
functions, \`eval\`, \`source\`/\`.\` would run their whole body with errexit disabled on the left of \`||\`, so they are
skipped. Two insertions, nothing else moves: \`rc=0; \` before the command, \` ||\` in place of its \`;\` terminator.

The \`if\` rewrite is safe for the same reason: a command in an \`if\` condition never triggers errexit, and
\`if ! cmd\` / \`if cmd\` takes the branch the status test meant, while the test could only ever see 0 before. It is
made only when nothing else in the \`if\` reads \`$?\` (inside \`if ! cmd; then\` it is the status of \`! cmd\`, not
of \`cmd\`), the \`if\` has no redirections (\`cmd\` would then write to them) and the test is exactly \`$?\` against
\`0\` with \`-ne\`, \`!=\`, \`-eq\` or \`=\` in \`[ … ]\` or \`test\`. Two edits, on the lines they concern:
\`if \` / \`if ! \` before the command, and the test (with its \`;\`) removed before \`then\`; line continuations,
\`# escape=\` and CRLF line ends stay as they are.

For \`out=$(cmd)\` the same holds: the assignment's status is \`cmd\`'s (the last command of a pipeline inside), on
the left of \`||\` or in an \`if\` condition it never triggers errexit, and \`out\` gets the same value either way.
Shell functions, \`eval\` and \`source\` inside the substitution are skipped (or reported, before an \`if\`).
`,
  async prepare() {
    await loadShell();
  },
  run(ctx) {
    const file = ctx.file;
    if (!shellLoaded()) return;
    const sf = staged(file);
    for (const i of sf.all) {
      if (i.kw !== 'RUN') continue;
      const rs = runScript(file, i.ins);
      // Every site reads the status (`$?`, `${?}`, quoted or not): a script without it has none, and is not parsed here.
      if (!rs || !STATUS_READ.test(rs.script) || !posixShellAt(file, sf, i)) continue;
      // SHELL applies up to this RUN only: recompute with the SHELLs before it in the chain.
      let initial = false;
      for (const x of sf.chain(i.stage)) {
        if (x.range.start > i.range.start && x.stage === i.stage) break;
        if (x.kw === 'SHELL') initial = shellErrexit(execForm(file, x.ins) ?? []);
      }
      const script = tryParseScript(rs);
      if (!script) continue;
      const functions = functionNames(script);
      for (const s of sites(script, initial, functions)) {
        const range = rs.toFileRange({ start: s.prev.range.start, end: s.capture.range.end });
        if (s.assign) {
          const { short, manual } = s.assign;
          const base = `errexit is on: the shell exits when the command substitution in \`${short}\` fails (an assignment takes its status), before \`${s.name}=$?\` can capture it`;
          const e = manual ? [] : edits(rs, s, script);
          ctx.report({
            range,
            message: manual ? `${base}; capture the status of each command by hand: ${manual}` : `${base}; use \`${s.name}=0; ${short} || ${s.name}=$?\``,
            ...(manual ? { fix: MANUAL } : e.length ? { fix: fix(`capture the status with || ${s.name}=$?`, 'safe', e) } : {}),
            data: { variable: s.name },
          });
          continue;
        }
        const e = edits(rs, s, script);
        const cmds = failingCommands(s.prev) ?? [];
        const short = cmds.map((c) => c.name?.raw ?? '').join(' | ');
        ctx.report({
          range,
          message: `errexit is on: the shell exits when \`${short}\` fails, before \`${s.name}=$?\` can capture its status; use \`${s.name}=0; cmd || ${s.name}=$?\``,
          ...(e.length ? { fix: fix(`capture the status with || ${s.name}=$?`, 'safe', e) } : {}),
          data: { variable: s.name },
        });
      }
      for (const s of ifSites(script, initial, functions)) {
        const cmds = failingCommands(s.prev) ?? [];
        const short = s.assign?.short ?? cmds.map((c) => c.name?.raw ?? '').join(' | ');
        const not = s.test.means === 'success' ? '' : '! ';
        const base = s.assign
          ? `errexit is on: the shell exits when the command substitution in \`${short}\` fails (an assignment takes its status), so \`${s.test.raw}\` after it only ever sees 0`
          : `errexit is on: the shell exits when \`${short}\` fails, so \`${s.test.raw}\` after it only ever sees 0`;
        ctx.report({
          range: rs.toFileRange({ start: s.prev.range.start, end: s.ifStmt.range.end }),
          message: s.manual
            ? `${base}; test the command itself (\`if ! ${short}; then\`) or capture its status (\`rc=0; ${short} || rc=$?\`), by hand: ${s.manual}`
            : `${base}; test the command itself: \`if ${not}${short}; then\``,
          fix: s.manual ? MANUAL : fix(`test the command itself: if ${not}${short}; then`, 'safe', ifEdits(rs, s, file.text)),
          data: { test: s.test.raw },
        });
      }
    }
  },
});
