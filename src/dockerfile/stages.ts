/**
 * Build stages of a Dockerfile: their names, what each FROM names (an earlier stage, `scratch`, or an image), and the
 * image a stage ultimately starts from, following `FROM <stage>` chains.
 *
 * BuildKit rules followed here:
 * - stage names are case-insensitive (`FROM x AS Build` … `FROM build`);
 * - `FROM <name>` refers to a stage only when that stage is defined EARLIER; so an earlier stage name shadows an image
 *   of the same name (`FROM node AS node` … `FROM node` is the stage);
 * - `scratch` (any case) is the empty image.
 */
import type { Dockerfile, From } from 'dockerfile-ast';
import { offsetAt } from '../engine/text.js';
import type { Range } from '../engine/types.js';

export interface Stage {
  index: number;
  /** The `AS name`, as written. */
  name?: string;
  /** The FROM instruction. */
  from: Range;
  /** From this FROM up to the next FROM (or the end of the file). */
  range: Range;
  /** The image argument of FROM as written (may contain variables) and where it is. */
  image: { raw: string; range: Range } | undefined;
  /** `--platform=…` as written. */
  platform?: { raw: string; range: Range };
  /** What FROM names: an earlier stage, scratch, or an image (raw text; see src/dockerfile/images.ts to expand ARGs). */
  base: { kind: 'stage'; stage: number } | { kind: 'scratch' } | { kind: 'image'; raw: string } | { kind: 'none' };
}

type Pos = { line: number; character: number };
export const toRange = (lineStarts: readonly number[], r: { start: Pos; end: Pos }): Range => ({
  start: offsetAt(lineStarts, r.start.line, r.start.character),
  end: offsetAt(lineStarts, r.end.line, r.end.character),
});

/** Stage names compare case-insensitively. */
export const sameStageName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The stages of a parsed file, made once per parse (its syntax tree) and shared: read-only. Equivalent to
 * `parseStages(file.ast, file.lineStarts, file.text.length)`.
 */
export function stagesOf(file: { readonly ast: Dockerfile; readonly lineStarts: readonly number[]; readonly text: string }): Stage[] {
  const hit = stageCache.get(file.ast);
  if (hit && hit.lineStarts === file.lineStarts && hit.textLength === file.text.length) return hit.stages;
  const stages = parseStages(file.ast, file.lineStarts, file.text.length);
  stageCache.set(file.ast, { lineStarts: file.lineStarts, textLength: file.text.length, stages });
  return stages;
}

const stageCache = new WeakMap<Dockerfile, { lineStarts: readonly number[]; textLength: number; stages: Stage[] }>();

/** The stages of a Dockerfile (a fresh array; see stagesOf for the shared one of a parsed file). */
export function parseStages(ast: Dockerfile, lineStarts: readonly number[], textLength?: number): Stage[] {
  const froms = ast.getInstructions().filter((i) => i.getKeyword().toUpperCase() === 'FROM') as From[];
  const stages: Stage[] = [];
  froms.forEach((f, index) => {
    const from = toRange(lineStarts, f.getRange());
    const next = froms[index + 1];
    const end = next ? toRange(lineStarts, next.getRange()).start : (textLength ?? from.end);
    const imgRange = f.getImageRange();
    const image = imgRange ? { raw: f.getImage() ?? '', range: toRange(lineStarts, imgRange) } : undefined;
    const name = f.getBuildStage() ?? undefined;
    const pf = f.getPlatformFlag();
    const pfRange = pf?.getValueRange();
    const stage: Stage = { index, from, range: { start: from.start, end }, image, base: { kind: 'none' } };
    if (name !== undefined) stage.name = name;
    if (pf && pfRange) stage.platform = { raw: pf.getValue() ?? '', range: toRange(lineStarts, pfRange) };
    if (image) {
      const earlier = findStage(stages, image.raw, index);
      stage.base = earlier ? { kind: 'stage', stage: earlier.index } : image.raw.toLowerCase() === 'scratch' ? { kind: 'scratch' } : { kind: 'image', raw: image.raw };
    }
    stages.push(stage);
  });
  return stages;
}

/** The stage called `name` (case-insensitive) among stages[0, before). */
export function findStage(stages: readonly Stage[], name: string, before: number = stages.length): Stage | undefined {
  return stages.slice(0, before).find((s) => s.name !== undefined && sameStageName(s.name, name));
}

/** The stage holding `offset`, or -1 before the first FROM. */
export function stageAt(stages: readonly Stage[], offset: number): number {
  let idx = -1;
  for (const s of stages) if (s.from.start <= offset) idx = s.index;
  return idx;
}

/**
 * What stage `index` ultimately starts from, following `FROM <stage>` chains: the image (raw text, with the stage whose
 * FROM names it), scratch, or 'none' when the FROM has no image argument.
 */
export function rootBase(
  stages: readonly Stage[],
  index: number,
): { kind: 'image'; raw: string; stage: number } | { kind: 'scratch'; stage: number } | { kind: 'none' } {
  const seen = new Set<number>();
  let s = stages[index];
  while (s && !seen.has(s.index)) {
    seen.add(s.index);
    if (s.base.kind === 'stage') {
      s = stages[s.base.stage];
      continue;
    }
    if (s.base.kind === 'image') return { kind: 'image', raw: s.base.raw, stage: s.index };
    if (s.base.kind === 'scratch') return { kind: 'scratch', stage: s.index };
    return { kind: 'none' };
  }
  return { kind: 'none' };
}
