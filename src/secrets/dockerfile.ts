/** Planning build-secret migrations in a Dockerfile (shared by the Dockerfile and compose sides of dockerfile-secret-env). */
import type { Arg, Dockerfile, Env, Instruction } from 'dockerfile-ast';
import { offsetAt } from '../engine/text.js';
import type { Range } from '../engine/types.js';
import { isSecretName, mayHoldSecretName, secretNameFor, type NameOptions } from './names.js';
import { notASecretValue } from '../compose/documented-env.js';
import { frontendAtLeast } from '../dockerfile/directives.js';

export interface ArgPlan {
  name: string;
  id: string;
  /** The ARG instruction. */
  arg: Range;
  /** RUN instructions using it: where to insert the mount flag. */
  runs: number[];
  /** Why it cannot be migrated automatically, if so. */
  manual?: string;
}

export interface DockerfilePlan {
  args: ArgPlan[];
  /** `ENV`/`ARG` with secret-looking names and values (reported, never echoed). */
  valued: { kind: 'ENV' | 'ARG'; name: string; range: Range }[];
  /** Secret ids already mounted with env= (`--mount=type=secret,id=x,env=NAME`): id → NAME. */
  mounted: Map<string, string>;
  /** Whether the syntax directive allows `env=` (frontend ≥ 1.10), and whether one exists. */
  syntax: { present: boolean; ok: boolean; value?: string };
}

const rangeOfIns = (lineStarts: readonly number[], ins: Instruction): Range => {
  const r = ins.getRange();
  return { start: offsetAt(lineStarts, r.start.line, r.start.character), end: offsetAt(lineStarts, r.end.line, r.end.character) };
};

/**
 * Whether a `# syntax=` value's frontend accepts `env=` on secret mounts (docker/dockerfile 1.10 or later: `:1`,
 * `:1-labs`, `:latest`, `:labs`, `:1.10`, `:1.10.0`, no tag…; older pins do not). See frontendAtLeast.
 */
export function syntaxSupportsSecretEnv(value: string): boolean {
  return frontendAtLeast(value, 10, 'RUN --mount=type=secret,env=').ok;
}

/**
 * Whether an ENV or ARG may declare a secret-looking name, so its properties are worth reading (dockerfile-ast splits
 * them into Property objects anew on every call). A one-line instruction without quotes or escape characters
 * has its names verbatim in its text: when the text spells no secret pattern, none is a secret. Anything else is
 * split and judged.
 */
function maySplitToSecret(i: Instruction, names: NameOptions): boolean {
  const r = i.getRange();
  if (r.start.line !== r.end.line) return true;
  const content = i.getArgumentsContent() ?? '';
  return /["'`\\]/.test(content) || mayHoldSecretName(content, names);
}

/**
 * The plan of a Dockerfile. `pretest` false splits every ENV and ARG into its names (no text test first): the
 * general path the tests compare the default one with.
 */
export function planDockerfile(ast: Dockerfile, text: string, lineStarts: readonly number[], names: NameOptions, pretest = true): DockerfilePlan {
  const dir = ast.getDirectives().find((d) => d.getName().toLowerCase() === 'syntax');
  const value = dir?.getValue() ?? undefined;
  const plan: DockerfilePlan = {
    args: [],
    valued: [],
    mounted: new Map(),
    syntax: { present: dir !== undefined, ok: value === undefined || syntaxSupportsSecretEnv(value), ...(value ? { value } : {}) },
  };
  const ins = ast.getInstructions();
  const mountsSecrets = text.includes('type=secret');
  let inStage = false;
  ins.forEach((i, idx) => {
    const kw = i.getKeyword().toUpperCase();
    if (kw === 'FROM') inStage = true;
    // A mount of a secret spells `type=secret`: a file without it has none to read.
    if (kw === 'RUN' && mountsSecrets) {
      for (const m of rangeText(text, lineStarts, i).matchAll(/--mount=([^\s]*type=secret[^\s]*)/g)) {
        const opts = Object.fromEntries((m[1] ?? '').split(',').map((kv) => kv.split('=') as [string, string]));
        if (opts.env) plan.mounted.set(opts.id ?? opts.env.toLowerCase(), opts.env);
      }
    }
    if (kw === 'ENV' && (!pretest || maySplitToSecret(i, names))) {
      for (const p of (i as Env).getProperties()) {
        const n = p.getName();
        if (isSecretName(n, names) && !notASecretValue(p.getValue() ?? '')) plan.valued.push({ kind: 'ENV', name: n, range: rangeOfIns(lineStarts, i) });
      }
    }
    // An ARG whose names cannot be secrets plans nothing (the same test as for ENV: its names are read only then).
    if (kw !== 'ARG' || (pretest && !maySplitToSecret(i, names))) return;
    const props = (i as Arg).getProperties?.() ?? [];
    const secretProps = props.filter((p) => isSecretName(p.getName(), names));
    for (const p of secretProps) {
      const name = p.getName();
      if (p.getValue() !== null) {
        plan.valued.push({ kind: 'ARG', name, range: rangeOfIns(lineStarts, i) });
        continue;
      }
      const a: ArgPlan = { name, id: secretNameFor(name), arg: rangeOfIns(lineStarts, i), runs: [] };
      const use = new RegExp(`\\$(?:\\{${name}(?:[:}\\-+?])|${name}(?![A-Za-z0-9_]))`);
      for (const later of ins.slice(idx + 1)) {
        const k = later.getKeyword().toUpperCase();
        if (k === 'FROM') break;
        const t = rangeText(text, lineStarts, later);
        if (!use.test(t)) continue;
        if (k === 'RUN') {
          const r = later.getInstructionRange().end;
          let at = offsetAt(lineStarts, r.line, r.character);
          while (text[at] === ' ' || text[at] === '\t') at++;
          a.runs.push(at);
        } else a.manual = `${name} is used by ${k}: a secret mount only reaches RUN`;
      }
      if (!inStage) a.manual = `${name} is declared before FROM; declare it in the stage that uses it`;
      else if (props.length > 1) a.manual = `${name} shares its ARG instruction with other names`;
      else if (!plan.syntax.ok) a.manual = `the syntax directive (${value}) is older than docker/dockerfile:1.10, which RUN --mount=type=secret,env= needs`;
      if (a.runs.length || a.manual) plan.args.push(a);
    }
  });
  return plan;
}

function rangeText(text: string, lineStarts: readonly number[], i: Instruction): string {
  const r = rangeOfIns(lineStarts, i);
  return text.slice(r.start, r.end);
}
