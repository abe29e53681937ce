/**
 * dockerfile-apt-hygiene: apt usage that makes builds stale or irreproducible, beyond what lock-apt-install covers
 * (pins, `--no-install-recommends`, removing the lists):
 * - `apt-get update` in a RUN of its own (the cache trap): merged into the next RUN of the same stage that runs
 *   `apt-get install` (`RUN apt-get update && apt-get install …`), or removed when that RUN updates itself; a finding
 *   only when no install follows in the stage or something in between makes moving it unsafe;
 * - `apt-get upgrade` / `dist-upgrade` / `full-upgrade`: a manual finding.
 * Scripts are parsed (src/shell); RUNs under a non-POSIX SHELL (Windows) are left alone.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, insertAt, remove } from '../src/engine/edits.js';
import { positionAt } from '../src/engine/text.js';
import type { Edit, ParsedDockerfile, Report } from '../src/engine/types.js';
import { posixShellAt, staged, type Ins, type StagedFile } from '../src/dockerfile/instructions.js';
import { runScript, type RunScript } from '../src/dockerfile/run-script.js';
import { loadShell, mayMention, shellLoaded, tryParseScript, walk, type ShellScript, type SimpleCommand, type Statement } from '../src/shell/index.js';

const MANUAL = { title: 'fix the apt usage by hand', safety: 'manual' as const, edits: [] };

const APT = new Set(['apt-get', 'apt']);
/** apt options that take the next word as their value. */
const VALUE_FLAGS = new Set(['-o', '--option', '-c', '--config-file', '-t', '--target-release', '--default-release']);
const UPGRADES = new Set(['upgrade', 'dist-upgrade', 'full-upgrade']);
/** Commands that read or change apt's lists or sources: an update must not move past them. */
const APT_USERS = new Set([
  'apt-get', 'apt', 'apt-cache', 'apt-key', 'apt-mark', 'aptitude', 'dpkg', 'dpkg-reconfigure', 'add-apt-repository',
  'apt-add-repository', 'extrepo', 'debconf-set-selections',
]);
const SHELLS = /^(?:ba|da|z|k|mk)?sh$|^busybox$/;

const base = (name: string | null | undefined) => (name ?? '').split('/').pop() ?? '';

/** The apt subcommand of `apt-get [options] <action> …` (`update`, `install`…), or null. */
function aptAction(cmd: SimpleCommand): string | null {
  if (!APT.has(base(cmd.name?.value))) return null;
  for (let i = 0; i < cmd.args.length; i++) {
    const v = cmd.args[i]?.value;
    if (v == null) return null;
    if (v.startsWith('-')) {
      if (VALUE_FLAGS.has(v)) i++;
      continue;
    }
    return v;
  }
  return null;
}

interface Parsed {
  rs: RunScript;
  script: ShellScript;
}

/** A RUN's parsed script; null for exec form, non-shell heredocs and scripts the parser rejects. */
function parseRun(file: ParsedDockerfile, i: Ins): Parsed | null {
  const rs = runScript(file, i.ins);
  if (!rs || rs.onbuild) return null;
  const script = tryParseScript(rs);
  return script ? { rs, script } : null;
}

/** Every command of the script is `apt-get update` (`apt-get update`, `apt-get -qq update && apt-get update`). */
function updateOnly(p: Parsed): boolean {
  return p.script.commands.length > 0 && p.script.commands.every((c) => aptAction(c) === 'update') && p.script.statements.every((s) => !s.background);
}

/** Whether the script uses apt, dpkg or apt's files, or pipes something into a shell (setup scripts add sources). */
function touchesApt(p: Parsed): boolean {
  for (const c of p.script.commands) {
    if (APT_USERS.has(base(c.name?.value))) return true;
    if (c.pipeline && c.pipeline.index > 0 && SHELLS.test(base(c.name?.value))) return true;
  }
  let hit = false;
  walk(p.script.root, (n) => {
    if (n.kind === 'word' && /\/etc\/apt\b|\/var\/lib\/apt\b|sources\.list/.test(n.raw)) hit = true;
    return !hit;
  });
  return hit;
}

const flagText = (file: ParsedDockerfile, rs: RunScript) => rs.flags.map((f) => file.text.slice(f.range.start, f.range.end));

/** The edit that puts `prefix && ` in front of the install, when that keeps the RUN's exit status meaning. */
function mergeEdit(target: Parsed, install: SimpleCommand, prefix: string): Edit | string {
  if (target.rs.form !== 'shell') return 'it is a heredoc';
  const stmts = target.script.statements;
  const idx = stmts.findIndex((s) => s.range.start <= install.range.start && install.range.end <= s.range.end);
  const stmt = stmts[idx] as Statement | undefined;
  if (!stmt) return 'its install is not a top-level command';
  // `apt-get update && X` is only as strict as two RUNs when X's statement decides the exit status: it is the last
  // one, only `set` runs before it, and it is a command, a pipeline or a chain of `&&`.
  const before = stmts.slice(0, idx);
  const body = stmt.body;
  const ok =
    idx === stmts.length - 1 &&
    !stmt.background &&
    before.every((s) => s.body.kind === 'command' && base(s.body.name?.value) === 'set') &&
    (body.kind !== 'and-or' || body.operators.every((o) => o.op === '&&'));
  if (!ok) return 'its script runs other commands around the install, so a failed update would not fail the RUN';
  return insertAt(target.rs.toFileOffset(stmt.range.start), `${prefix} && `);
}

/** The whole lines of an instruction, with the line break after it. */
function instructionLines(text: string, rs: RunScript): { start: number; end: number } {
  const start = text.lastIndexOf('\n', rs.range.start - 1) + 1;
  const nl = text.indexOf('\n', rs.range.end);
  return { start, end: nl < 0 ? text.length : nl + 1 };
}

function updateReport(file: ParsedDockerfile, sf: StagedFile, own: readonly Ins[], k: number, upd: Parsed): Report {
  const range = upd.rs.range;
  const lineOf = (i: Ins) => positionAt(file.lineStarts, i.range.start).line;
  const trap = '`apt-get update` in a RUN of its own: that layer stays cached, so when the install after it changes, the build reuses stale package lists (installing old versions, or failing on files the mirror no longer has)';
  let blocker: string | undefined;
  let target: { i: Ins; p: Parsed; install: SimpleCommand } | undefined;
  for (const x of own.slice(k + 1)) {
    if (x.kw === 'RUN') {
      const p = parseRun(file, x);
      if (!p || !posixShellAt(file, sf, x)) {
        blocker = `the RUN at line ${lineOf(x)} is not a shell script harden can read`;
        break;
      }
      const install = p.script.commands.find((c) => aptAction(c) === 'install');
      if (install) {
        target = { i: x, p, install };
        break;
      }
      if (touchesApt(p)) {
        blocker = `the RUN at line ${lineOf(x)} uses apt, dpkg or apt's sources first`;
        break;
      }
    } else if (x.kw === 'USER' || x.kw === 'SHELL') {
      blocker = `${x.kw} at line ${lineOf(x)} changes how the next RUN runs`;
      break;
    } else if ((x.kw === 'COPY' || x.kw === 'ADD') && /\/etc\/apt\b/.test(x.ins.getArgumentsContent() ?? '')) {
      blocker = `${x.kw} at line ${lineOf(x)} changes apt's configuration`;
      break;
    }
  }
  if (!target) {
    if (blocker) return { range, message: `${trap}; not moved because ${blocker}: run it in the RUN that installs`, fix: MANUAL };
    return {
      range,
      message: `${trap}. No RUN of this stage installs after it: run \`apt-get update\` in the RUN that runs \`apt-get install\` (and remove /var/lib/apt/lists/* there)`,
      fix: MANUAL,
    };
  }
  const at = lineOf(target.i);
  const lines = instructionLines(file.text, upd.rs);
  const selfUpdates = target.p.script.commands.some((c) => c.range.start < target.install.range.start && aptAction(c) === 'update');
  if (selfUpdates) {
    return {
      range,
      message: `\`apt-get update\` in a RUN of its own, and the RUN that installs (line ${at}) runs its own: this layer only keeps stale package lists in the image; removed`,
      fix: fix('remove the separate apt-get update', 'safe', [remove(lines)]),
    };
  }
  const stmts = upd.script.statements;
  const prefix = upd.script.text.slice(stmts[0]?.range.start ?? 0, stmts[stmts.length - 1]?.body.range.end ?? 0);
  const targetFlags = flagText(file, target.p.rs);
  let why: string | undefined;
  if (upd.rs.form !== 'shell' || prefix.includes('\n')) why = 'it is a heredoc';
  else if (!flagText(file, upd.rs).every((f) => targetFlags.includes(f))) why = `its RUN flags differ from those of the RUN at line ${at}`;
  const edit = why ? undefined : mergeEdit(target.p, target.install, prefix);
  if (typeof edit === 'string') why = `the RUN at line ${at}: ${edit}`;
  if (why || !edit || typeof edit === 'string') {
    return { range, message: `${trap}; not merged automatically (${why ?? 'unsupported'}): move it into the RUN at line ${at}, before the install`, fix: MANUAL };
  }
  return {
    range,
    message: `${trap}; merged into the RUN that installs (line ${at})`,
    fix: fix('merge apt-get update into the install RUN', 'safe', [remove(lines), edit]),
  };
}

export const dockerfileAptHygiene = defineCodemod({
  id: 'dockerfile-apt-hygiene',
  fileKinds: ['dockerfile'],
  summary: '`apt-get update` in a RUN of its own is merged into the RUN that installs; `apt-get upgrade` is reported.',
  safety: 'safe',
  severity: 'warning',
  sources: ['hadolint:DL3009', 'hadolint:DL3059', 'hadolint:DL3005'],
  docs: `## What it does
In every stage (the cache trap bites builder stages too):

- \`RUN apt-get update\` alone (any options, \`&&\`-chained updates) followed, in the same stage, by a RUN that runs
  \`apt-get install\`: the update is moved into that RUN — \`RUN apt-get update && apt-get install -y curl\` — and its
  own RUN removed. The install RUN's flags (\`--mount=…\`), line continuations, \`# escape=\` and CRLF are kept; the update
  is put in front of the install's command (after a leading \`set -eux;\`).
- When that RUN already runs \`apt-get update\` before installing, the separate RUN is removed.
- A finding only, no change, when no RUN of the stage installs after it, or when moving it could change the build:
  a RUN in between uses apt, dpkg, apt's sources or pipes a script into a shell (NodeSource-style setup scripts add
  repositories), a \`USER\`/\`SHELL\` or a \`COPY\`/\`ADD\` into \`/etc/apt\` comes in between, the update RUN has RUN flags
  the install RUN lacks, either is a heredoc, or the install RUN's script has other statements after the install (a
  failed update would then not fail the RUN).
- \`apt-get upgrade\` / \`dist-upgrade\` / \`full-upgrade\` (also \`apt …\`): a manual finding.

\`--no-install-recommends\`, pins and \`rm -rf /var/lib/apt/lists/*\` are lock-apt-install's. RUNs under a non-POSIX
\`SHELL\` (PowerShell, \`cmd\` on Windows images) and ONBUILD RUNs are left alone.

## Why
Docker caches each RUN by its text. \`RUN apt-get update\` never changes, so its layer — the package lists of the day
it first ran — is reused by every later build; when the install below it changes, apt resolves against those old
lists and installs outdated versions or fails with 404s on files the mirror has since dropped (Docker's best
practices: "always combine \`RUN apt-get update\` with \`apt-get install\` in the same RUN"). The lists also stay in
that layer, adding size even if a later RUN deletes them (hadolint DL3009).

\`apt-get upgrade\` makes the image depend on the day of the build rather than on the base image digest: two builds
of the same commit differ, and security fixes that belong in a newer base image hide in a layer.

## Example
\`\`\`dockerfile
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y --no-install-recommends curl \\
 && rm -rf /var/lib/apt/lists/*
\`\`\`
becomes
\`\`\`dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends curl \\
 && rm -rf /var/lib/apt/lists/*
\`\`\`

## Fix safety
Safe: the same commands run in the same order as the same user, in one layer instead of two; the files of the
image are the same (lists removed by the install RUN are gone either way, kept ones are kept). A failed update still
fails the build (it is chained with \`&&\` in front of the statement that decides the RUN's exit status). What changes
is the cache: the update runs again whenever the install changes — which is the point. Upgrades are manual: use a
newer base image (pinned by digest) instead, or install the packages that need a fix at an exact version.
`,
  async prepare() {
    await loadShell();
  },
  run(ctx) {
    const file = ctx.file;
    if (!shellLoaded()) return;
    const sf = staged(file);
    for (const stage of sf.stages) {
      const own = sf.of(stage.index);
      own.forEach((i, k) => {
        if (i.kw !== 'RUN') return;
        // Upgrades and update-only RUNs are apt commands: a script never spelling `apt` needs no parse (and no
        // look at the shell it runs under, which reads the instructions before it).
        const rs = runScript(file, i.ins);
        if (!rs || !mayMention(rs.script, ['apt']) || !posixShellAt(file, sf, i)) return;
        const p = parseRun(file, i);
        if (!p) return;
        for (const c of p.script.commands) {
          const action = aptAction(c);
          if (!action || !UPGRADES.has(action)) continue;
          ctx.report({
            range: p.rs.toFileRange(c.range),
            message: `\`${base(c.name?.value)} ${action}\` upgrades the base image's packages to whatever the mirror has on the day of the build: builds of the same commit differ and fixes hide in a layer; use a newer base image (pinned by digest), or install the packages that need a fix at an exact version`,
            fix: MANUAL,
            data: { action },
          });
        }
        if (updateOnly(p)) ctx.report(updateReport(file, sf, own, k, p));
      });
    }
  },
});
