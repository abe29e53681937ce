/**
 * Compose interpolation inside scalar values: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, and `$$` (a literal `$`).
 * Offsets are into the scalar's string value; map them to file offsets with valueOffsets()/spliceScalar().
 */

export type VarOp = '' | ':-' | '-' | ':?' | '?' | ':+' | '+';

export interface VarRef {
  name: string;
  /** '' for `$VAR` and `${VAR}`. */
  op: VarOp;
  /** The text after the operator (default, error message or alternative), raw (may hold nested `${…}`). */
  arg: string | undefined;
  braced: boolean;
  /** [start, end) of the whole reference in the value. */
  start: number;
  end: number;
  /** [argStart, argEnd) of `arg` in the value (equal to `end - 1` both when there is no arg). */
  argStart: number;
  argEnd: number;
}

export interface Interpolation {
  refs: VarRef[];
  /** Offsets of `$$` escapes. */
  escapes: number[];
  /** True when a `${` is not closed or holds an invalid name: compose would reject the value. */
  invalid: boolean;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const OPS: readonly VarOp[] = [':-', ':?', ':+', '-', '?', '+'];

/** The top-level variable references of a value (nested references stay inside `arg`; parse `arg` again for them). */
export function parseInterpolation(value: string): Interpolation {
  const refs: VarRef[] = [];
  const escapes: number[] = [];
  let invalid = false;
  let i = 0;
  while (i < value.length) {
    if (value[i] !== '$') {
      i++;
      continue;
    }
    const next = value[i + 1];
    if (next === '$') {
      escapes.push(i);
      i += 2;
      continue;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < value.length && NAME_CHAR.test(value[j] as string)) j++;
      refs.push({ name: value.slice(i + 1, j), op: '', arg: undefined, braced: false, start: i, end: j, argStart: j, argEnd: j });
      i = j;
      continue;
    }
    if (next !== '{') {
      i++;
      continue;
    }
    let j = i + 2;
    if (!NAME_START.test(value[j] ?? '')) {
      invalid = true;
      i += 2;
      continue;
    }
    while (j < value.length && NAME_CHAR.test(value[j] as string)) j++;
    const name = value.slice(i + 2, j);
    if (value[j] === '}') {
      refs.push({ name, op: '', arg: undefined, braced: true, start: i, end: j + 1, argStart: j, argEnd: j });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => value.startsWith(o, j));
    if (!op) {
      invalid = true;
      i = j;
      continue;
    }
    const argStart = j + op.length;
    let depth = 1;
    let k = argStart;
    for (; k < value.length; k++) {
      if (value[k] === '$' && value[k + 1] === '$') {
        k++;
        continue;
      }
      if (value[k] === '$' && value[k + 1] === '{') {
        depth++;
        k++;
        continue;
      }
      if (value[k] === '}' && --depth === 0) break;
    }
    if (depth !== 0) {
      invalid = true;
      break;
    }
    refs.push({ name, op, arg: value.slice(argStart, k), braced: true, start: i, end: k + 1, argStart, argEnd: k });
    i = k + 1;
  }
  return { refs, escapes, invalid };
}

/** Whether the value uses interpolation at all (a `$` that is not part of a `$$` escape). */
export function hasVariables(value: string): boolean {
  return value.replace(/\$\$/g, '').includes('$');
}

/** `${NAME<op><arg>}` */
export function formatVar(name: string, op: VarOp = '', arg = ''): string {
  return op === '' ? `\${${name}}` : `\${${name}${op}${arg}}`;
}

/** Text with `$` escaped for compose (`$` → `$$`). */
export function escapeDollars(text: string): string {
  return text.replace(/\$/g, '$$$$');
}

/** The literal text of a value with `$$` unescaped, or undefined when it has variables. */
export function literalValue(value: string): string | undefined {
  return hasVariables(value) ? undefined : value.replace(/\$\$/g, '$');
}
