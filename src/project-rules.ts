/**
 * The run's rules about which files read which, built from plain data so that worker threads build the same ones
 * (src/worker.ts): which processed compose files stay visible to later batches, and which findings a verified run
 * backed off.
 */
import { basename, dirname } from 'node:path';
import { composeBuilds } from './compose/images.js';
import { isComposeFamilyName } from './compose/hardening/views.js';
import { services as composeServices } from './compose/services.js';
import type { FileKnowledge, ParsedFile } from './engine/types.js';

export interface KeepData {
  /** Absolute paths of the run's Dockerfiles. */
  dockerfiles: readonly string[];
}

/**
 * Compose files building a Dockerfile of the run stay visible to the Dockerfiles' batches, and so do the compose
 * base/override files beside a Dockerfile of the run (`build:` in compose.dev.yaml, the service's volumes in
 * compose.yaml: dockerfile-non-root-user reads them together).
 */
export function keepRule(data: KeepData): (p: ParsedFile) => boolean {
  const dockerfiles = new Set(data.dockerfiles);
  const dockerfileDirs = new Set(data.dockerfiles.map((d) => dirname(d)));
  return (p) =>
    p.kind === 'compose' &&
    (composeBuilds(p).some((b) => dockerfiles.has(b.dockerfile)) ||
      (p.absPath !== undefined && dockerfileDirs.has(dirname(p.absPath)) && isComposeFamilyName(basename(p.absPath))));
}

/** A finding inside the mapping of a compose service whose knowledge backs that codemod off is dropped. */
export function backedOffIn(knowledge: Record<string, FileKnowledge>): (parsed: ParsedFile, codemodId: string, offset: number) => boolean {
  return (parsed, codemodId, offset) => {
    if (parsed.kind !== 'compose' || !parsed.absPath) return false;
    const fk = knowledge[parsed.absPath];
    if (!fk) return false;
    return composeServices(parsed).some((svc) => {
      if (!fk[svc.name]?.backOff?.[codemodId]) return false;
      const start = svc.keyNode.range?.[0] ?? -1;
      const end = svc.node.range?.[2] ?? -1;
      return offset >= start && offset <= end;
    });
  };
}
