/**
 * The Compose version harden's output targets (`composeVersion` in .harden.yaml, `--compose-version`, or the version
 * `harden verify` found): codemods never write syntax that version cannot read. Unset: the current Compose
 * Specification (Docker Compose v2, latest).
 */
import type { GlobalSettings } from '../engine/types.js';

function parts(v: string): number[] {
  return v.split('.').map((x) => Number.parseInt(x, 10) || 0);
}

/** Whether the target Compose is at least `version` (true when no target is set). */
export function composeAtLeast(global: GlobalSettings, version: string): boolean {
  if (!global.composeVersion) return true;
  const a = parts(global.composeVersion);
  const b = parts(version);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
