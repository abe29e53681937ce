/**
 * shell-pipefail: RUN instructions with pipes in a stage that runs them with the default `/bin/sh -c` → insert
 * `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the stage's first such RUN when bash is in the image (its
 * /etc/shells lists it, or `apk add bash` ran earlier in the stage), otherwise a manual finding.
 * The distribution comes from the base image itself (src/dockerfile/base-release.ts), as for lock-apk-add.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, insertAt } from '../src/engine/edits.js';
import { lineStartOf } from '../src/engine/text.js';
import { isOk } from '../src/engine/lookups.js';
import type { Answers, GlobalSettings, LookupKey, ParsedDockerfile, Report } from '../src/engine/types.js';
import { imageFileKey } from '../src/dockerfile/base-release.js';
import { commandName, dockerfileRuns, isLookupFailure, releaseNote, stageChain, stageRelease, type ParsedRun } from '../src/dockerfile/package-installs.js';
import { stageBaseImage } from '../src/dockerfile/images.js';
import { stageAt, toRange } from '../src/dockerfile/stages.js';
import { loadShell, type Pipeline, type SimpleCommand } from '../src/shell/index.js';

const SHELL_LINE = 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]';
/** Read from the base image (by digest) with its release: the login shells installed, bash among them or not. */
const SHELLS = ['etc/shells'] as const;

/**
 * Whether the base image's /etc/shells lists bash: true/false from the image itself, undefined when it cannot be read
 * (no answer, a failed lookup, the release guessed from the tag), 'pending' while the lookup is outstanding.
 */
function bashInImage(target: Parameters<typeof imageFileKey>[0], answers: Answers, asking: boolean): boolean | undefined | 'pending' {
  const key = imageFileKey(target, answers, SHELLS);
  if (!key) return undefined;
  const a = answers.get(key);
  if (!a) return asking ? 'pending' : undefined;
  if (!isOk(a)) return undefined;
  return a.ok.content !== null && /^\/(?:usr\/)?bin\/bash\s*$/m.test(a.ok.content);
}

/** The first pipeline (`a | b`) of a RUN not already covered by `set -o pipefail` earlier in the script. */
function unguardedPipe(run: ParsedRun): Pipeline | undefined {
  let guardedFrom = Infinity;
  for (const c of run.script.commands) {
    if (c.setsPipefail === true) {
      guardedFrom = Math.min(guardedFrom, c.range.end);
      break;
    }
  }
  for (const c of run.script.commands) {
    const p = c.pipeline;
    if (!p || p.index !== 0 || !p.node.operators.some((o) => o.op === '|' || o.op === '|&')) continue;
    if (p.node.range.start >= guardedFrom) continue;
    return p.node;
  }
  return undefined;
}

/** `apk add … bash …` */
function installsBash(cmd: SimpleCommand): boolean {
  if (commandName(cmd) !== 'apk') return false;
  const words = cmd.args.map((a) => a.value);
  const add = words.indexOf('add');
  return add >= 0 && words.slice(add + 1).some((v) => v !== null && /^bash(?:[=~<>].*)?$/.test(v));
}

interface StageInfo {
  stage: number;
  /** The first RUN of the stage with an unguarded pipe (shell form, not a heredoc). */
  run: ParsedRun;
  pipe: Pipeline;
  /** How many RUNs of the stage have one. */
  count: number;
}

function candidates(file: ParsedDockerfile): StageInfo[] {
  const { stages, runs } = dockerfileRuns(file);
  const shellAt: number[] = [];
  for (const ins of file.ast.getInstructions()) {
    if (ins.getKeyword().toUpperCase() === 'SHELL') shellAt.push(toRange(file.lineStarts, ins.getRange()).start);
  }
  const byStage = new Map<number, StageInfo>();
  for (const run of runs) {
    if (run.rs.form === 'heredoc' || run.rs.script.includes('\n')) continue; // heredoc bodies (and `cmd <<EOF`) are left alone
    const pipe = unguardedPipe(run);
    if (!pipe) continue;
    // A SHELL in the stage (or the stages it is built on) before this RUN: its author chose the shell.
    const chain = stageChain(stages, run.stage);
    if (shellAt.some((o) => o < run.rs.range.start && chain.includes(stageAt(stages, o)))) continue;
    const info = byStage.get(run.stage);
    if (info) info.count++;
    else byStage.set(run.stage, { stage: run.stage, run, pipe, count: 1 });
  }
  // A stage built FROM a stage that gets the SHELL inherits it.
  const out: StageInfo[] = [];
  for (const info of [...byStage.values()].sort((a, b) => a.stage - b.stage)) {
    const ancestors = stageChain(stages, info.stage).slice(1);
    if (out.some((o) => ancestors.includes(o.stage) && o.run.rs.range.start < info.run.rs.range.start)) continue;
    out.push(info);
  }
  return out;
}

function isWindows(file: ParsedDockerfile, stage: number): boolean {
  const base = stageBaseImage(file, stage);
  return base.kind === 'image' && /windows|servercore|nanoserver/i.test(base.ref);
}

/** Whether `apk add bash` ran before `offset` in the stage chain. */
function bashInstalledBefore(file: ParsedDockerfile, stage: number, offset: number): boolean {
  const { stages, runs } = dockerfileRuns(file);
  const chain = stageChain(stages, stage);
  return runs.some((r) => r.rs.range.start < offset && chain.includes(r.stage) && r.script.commands.some(installsBash));
}

function stageReport(file: ParsedDockerfile, info: StageInfo, global: GlobalSettings, answers: Answers, keys?: LookupKey[]): Report | undefined | 'pending' {
  const range = info.run.rs.toFileRange(info.pipe.range);
  const more = info.count > 1 ? ` (and ${info.count - 1} more RUN${info.count > 2 ? 's' : ''} of the stage)` : '';
  const why = `RUN with a pipe under /bin/sh${more}: only the last command's exit status counts, so a failing command before \`|\` goes unnoticed`;
  const manual = (reason: string): Report => ({
    range,
    severity: 'warning',
    message: `${why}; ${reason}: use bash with pipefail (SHELL ["/bin/bash", "-o", "pipefail", "-c"] once bash is installed) or split the pipe`,
    fix: { title: 'install bash and set SHELL with pipefail, or split the pipe', safety: 'manual', edits: [] },
  });
  const r = stageRelease(file, info.stage, global, answers, keys, [SHELLS]);
  if (r.kind === 'pending') return 'pending';
  if (r.kind === 'scratch') return manual('the stage is built FROM scratch, which has no bash');
  if (r.kind === 'unknown') {
    const rep = manual(`harden cannot tell whether bash is in the image (${r.reason})`);
    return r.lookupError && isLookupFailure(r.lookupError) ? { ...rep, severity: 'error', data: { lookupFailed: true, code: r.lookupError.code } } : rep;
  }
  const base = stageBaseImage(file, info.stage);
  if (base.kind === 'image' && /distroless/i.test(base.ref)) return manual(`${r.target.ref} is a distroless image without bash`);
  const inImage = r.fallback ? undefined : bashInImage(r.target, answers, keys !== undefined);
  if (inImage === 'pending') return 'pending';
  let bash: string | undefined;
  if (inImage === true) bash = `${r.target.ref} lists /bin/bash in /etc/shells`;
  else if (bashInstalledBefore(file, info.stage, info.run.rs.range.start)) bash = 'bash is installed by an earlier apk add';
  else if (inImage === undefined && (r.release.distro === 'debian' || r.release.distro === 'ubuntu')) {
    bash = `${r.release.distro} ${r.release.release} ships bash`;
  }
  if (!bash) {
    return manual(
      inImage === false
        ? `${r.target.ref} has no bash (its /etc/shells does not list it) unless it is installed earlier in the stage`
        : `${r.target.ref} is Alpine ${r.release.release}, which has no bash unless \`apk add bash\` runs earlier in the stage`,
    );
  }
  const at = lineStartOf(file.text, info.run.rs.range.start);
  return {
    range,
    message: `${why}; ${SHELL_LINE} added before it (${bash}${releaseNote(r)})`,
    fix: fix('Run the stage with bash -o pipefail', 'unsafe', [insertAt(at, `${SHELL_LINE}${file.eol}`)]),
    data: { stage: info.stage, distro: r.release.distro, release: r.release.release },
  };
}

export const shellPipefail = defineCodemod({
  id: 'shell-pipefail',
  fileKinds: ['dockerfile'],
  summary: 'RUN with pipes under /bin/sh → `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the stage\'s first one, when the image has bash.',
  safety: 'unsafe',
  severity: 'warning',
  network: true,
  sources: ['hadolint:DL4006'],
  docs: `## What it does
A RUN such as \`RUN curl -fsSL https://… | tar -xz\` runs under \`/bin/sh -c\` by default, and a POSIX shell's
pipeline reports only the exit status of its last command: when \`curl\` fails, \`tar\` sees no input, and the build
may go on with a broken layer. For each stage that still runs RUN with the default shell, harden inserts

\`\`\`dockerfile
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
\`\`\`

before the stage's first RUN that has a pipe, so every later RUN of the stage (and of the stages built \`FROM\` it)
fails when any command of a pipe fails.

- Bash must be in the image: the base image's own \`/etc/shells\` says (read through the registry with its
  \`/etc/os-release\`, as lock-apk-add does), or an \`apk add bash\` in an earlier RUN of the stage (or a stage it is
  built on). When the image cannot be read (the release comes from the tag's hints), Debian and Ubuntu are taken to
  ship bash and Alpine not. Distroless, \`scratch\`, images without bash and images harden cannot identify get a
  manual finding instead.
- Left alone: stages where a \`SHELL\` instruction is already in effect (the author chose the shell), Windows images,
  exec-form RUN, heredoc RUN (\`RUN <<EOF\`: the body runs as a script), and RUNs that \`set -o pipefail\` before their
  pipe. A stage built FROM a stage that gets the SHELL inherits it and gets none of its own.

## Why
hadolint DL4006: "Set the SHELL option -o pipefail before RUN with a pipe in it". Without it, \`wget -O - URL | tar
-x\`, \`curl … | gpg --dearmor > key\` and \`… | tee log\` succeed even when the download fails.

## Example
\`\`\`dockerfile
FROM debian:bookworm
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg
\`\`\`
becomes (with \`--unsafe\`)
\`\`\`dockerfile
FROM debian:bookworm
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg
\`\`\`

## Fix safety
Unsafe: it changes the shell of every later RUN of the stage and of the stages built on it, not just the one with
the pipe. bash is not dash: \`echo "a\\nb"\` no longer expands \`\\n\`, \`[ a == b ]\` starts working, pipes that used to
fail silently now fail the build (\`grep\` finding nothing in \`… | grep x | …\`, \`yes | apt-get …\` killed by SIGPIPE),
and later RUNs relying on sh-only behaviour may change. Review the stage's RUNs before applying it.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    const keys: LookupKey[] = [];
    for (const info of candidates(file)) {
      if (isWindows(file, info.stage)) continue;
      stageReport(file, info, global, answers, keys);
    }
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    for (const info of candidates(file)) {
      if (isWindows(file, info.stage)) continue;
      const r = stageReport(file, info, ctx.global, ctx.answers);
      if (r && r !== 'pending') ctx.report(r);
    }
  },
});
