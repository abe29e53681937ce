/** Human-readable output: findings lines, the change log, colouring of diffs. */
import picocolors from 'picocolors';
import type { Finding } from '../engine/types.js';

/*
 * picocolors' default export decides at import time (from the TTY and the environment) and would print plain text
 * for `--color` in a pipe. Whether to colour is decided by useColor after the options are parsed; these functions
 * colour only when told to, so the palette itself is always on.
 */
const pc = picocolors.createColors(true);

export interface Colors {
  enabled: boolean;
}

/**
 * Colour only on a TTY; never with NO_COLOR (non-empty) or FORCE_COLOR=0/false; always with another FORCE_COLOR
 * (unless NO_COLOR). `--color` / `--no-color` win over FORCE_COLOR.
 */
export function useColor(stream: NodeJS.WriteStream, flag?: boolean): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (flag !== undefined) return flag;
  const force = process.env.FORCE_COLOR;
  if (force === '0' || force === 'false') return false;
  if (force !== undefined) return true;
  return stream.isTTY === true;
}

export function colorDiff(diff: string, on: boolean): string {
  if (!on) return diff;
  return diff
    .split('\n')
    .map((l) => {
      if (l.startsWith('diff --git') || l.startsWith('--- ') || l.startsWith('+++ ')) return pc.bold(l);
      if (l.startsWith('@@')) return pc.cyan(l);
      if (l.startsWith('+')) return pc.green(l);
      if (l.startsWith('-')) return pc.red(l);
      return l;
    })
    .join('\n');
}

const STATUS_NOTE: Record<Finding['fixStatus'], string> = {
  applied: '',
  fixable: ' [fixable]',
  'held-back': ' [unsafe fix: --unsafe]',
  manual: ' [manual]',
  none: '',
};

/** `file:line:col id message` */
export function findingLine(f: Finding, on: boolean): string {
  const loc = `${f.path}:${f.line}:${f.column}`;
  const sev = f.severity === 'error' ? pc.red : f.severity === 'warning' ? pc.yellow : pc.dim;
  const id = on ? sev(f.codemodId) : f.codemodId;
  return `${on ? pc.bold(loc) : loc} ${id} ${f.message}${STATUS_NOTE[f.fixStatus]}`;
}
