/**
 * The `docker run` layer shared by the docker-run-* codemods: the invocation model (model.ts), edits in the host file
 * (edits.ts) and what a container needs, from the knowledge base and the evidence (needs.ts).
 */
import type { CodemodContext, ParsedShell, Range } from '../engine/types.js';
import { loadShell, shellLoaded } from '../shell/index.js';
import { dockerRuns, fileRange, type DockerRun } from './model.js';

export { canInsert, insertFlags, shellQuote } from './edits.js';
export { dockerBuilds, dockerRuns, fileRange, flagsNamed, type DockerBuild, type DockerRun, type RunFlag, type RunValue } from './model.js';
export { kbWhere, readOnlyPlan, resourceProfile, runImage, runLookups, runMounts, runNeeds, type RunImage, type RunNeeds } from './needs.js';

/** The parsed runs of the file being processed (a `shell` file; the shell parser loaded by prepare()). */
export function runsOf(ctx: CodemodContext<ParsedShell>): DockerRun[] {
  if (!shellLoaded()) return [];
  return dockerRuns(ctx.file).flatMap((r) => ('run' in r ? [r.run] : []));
}

/** Where a run's findings go: its `docker`/`podman` word (suppression comments before its first line apply). */
export function runRange(run: DockerRun): Range {
  const start = fileRange(run.snippet, { start: run.range.start, end: run.range.start + run.tool.length });
  return start;
}

/** "`docker run app:1` (the ```bash block at line 12)" for messages. */
export function runLabel(run: DockerRun): string {
  return `\`${run.tool} run ${run.image.raw}\` (${run.snippet.where})`;
}

export const prepareShell = (): Promise<void> => loadShell();
