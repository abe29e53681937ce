/** How `harden verify` prints its result: one table per compose project, or JSON. */
import type { VerifyReport } from './verify.js';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function verifyText(r: VerifyReport): string {
  const lines: string[] = [];
  const e = r.engine;
  lines.push(`engine: ${e.cli} ${e.serverVersion} (${e.where}), ${e.compose} ${e.composeVersion}`);
  if (e.healthchecks) lines.push(`healthchecks: ${e.healthchecks}`);
  for (const p of r.projects) {
    lines.push('');
    if (p.error) {
      lines.push(`${p.file}: not verified: ${p.error}`);
      continue;
    }
    lines.push(`${p.file}: ${p.rounds} hardened run${p.rounds === 1 ? '' : 's'}`);
    const w = Math.max(7, ...p.services.map((s) => s.service.length)) + 2;
    lines.push(`  ${pad('SERVICE', w)}${pad('BASELINE', 13)}${pad('HARDENED', 13)}${pad('FINAL', 13)}RESULT`);
    for (const s of p.services) {
      const result = !s.ok ? (s.portClash ? 'port clash (address already in use)' : s.baseline === s.final ? 'unchanged (baseline not healthy)' : 'FAILED') : s.adjusted.length || s.backedOff.length ? 'healthy after changes' : 'healthy';
      lines.push(`  ${pad(s.service, w)}${pad(s.baseline, 13)}${pad(s.hardened, 13)}${pad(s.final, 13)}${result}`);
      for (const a of s.adjusted) lines.push(`  ${pad('', w)}adjusted: ${a.change}  <- ${a.evidence}`);
      for (const b of s.backedOff) lines.push(`  ${pad('', w)}backed off ${b.codemod}: ${b.reason}  <- ${b.evidence}`);
      for (const n of s.notes) lines.push(`  ${pad('', w)}note: ${n}`);
    }
    for (const n of p.notes) lines.push(`  note: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

export function verifyJson(r: VerifyReport): string {
  const { knowledge: _k, ...rest } = r;
  return `${JSON.stringify({ version: 1, ...rest }, null, 2)}\n`;
}

/** 0: every service that runs in the baseline runs hardened; 1: one does not, or a baseline service is not healthy; 2: a project could not be verified. */
export function verifyExitCode(r: VerifyReport): number {
  if (r.projects.some((p) => p.error)) return 2;
  if (r.projects.some((p) => p.services.some((s) => !s.ok))) return 1;
  return 0;
}
