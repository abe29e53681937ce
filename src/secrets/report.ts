import type { CodemodContext, Fix, Report } from '../engine/types.js';

/** Advice only: a finding the user must act on by hand (fixStatus 'manual'). */
export const MANUAL: Fix = { title: 'move the secret by hand', safety: 'manual', edits: [] };

/** ctx.report, giving reports without a fix the MANUAL fix. */
export function reporter(ctx: CodemodContext): (r: Report) => void {
  return (r) => ctx.report(r.fix ? r : { ...r, fix: MANUAL });
}
