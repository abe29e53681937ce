/**
 * The persistent data of the compose services that build a Dockerfile: for dockerfile-non-root-user, whose `USER`
 * would leave a service unable to write what existing deployments stored there as root.
 */
import { basename, dirname } from 'node:path';
import type { ParsedCompose, ParsedFile } from '../engine/types.js';
import { composeFilesBuilding } from './images.js';
import { buildSpec } from './build.js';
import { isComposeFamilyName, serviceMounts } from './hardening/views.js';
import { services, type ComposeService } from './services.js';

/**
 * Writable volumes and bind mounts of the compose services of `files` that build `dockerfile`'s final stage (named
 * `finalName`; a `target:` naming another stage does not count), as "service web (compose.yaml) keeps data in /data".
 * The same service in the base and override files of the compose file's directory counts too (compose merges them:
 * `build:` may be in `compose.dev.yaml`, `volumes:` in `compose.yaml`).
 */
export function buildingServicesData(files: readonly ParsedFile[], dockerfile: string, finalName: string | undefined): string[] {
  const out = new Set<string>();
  for (const f of composeFilesBuilding(files, dockerfile)) {
    for (const svc of services(f)) {
      const b = buildSpec(svc, f);
      if (!b || !('spec' in b) || b.spec.dockerfile !== dockerfile) continue;
      const target = b.spec.target;
      if (target !== undefined && target.toLowerCase() !== (finalName ?? '').toLowerCase()) continue;
      for (const [file, s] of [[f, svc] as const, ...sameService(files, f, svc.name)]) {
        for (const m of serviceMounts(s)) {
          if (m.kind === 'volume' && m.writable) out.add(`service ${svc.name} (${basename(file.path)}) keeps data in ${m.target}`);
        }
      }
    }
  }
  return [...out];
}

/** The service of this name in the other compose base/override files of `f`'s directory. */
function sameService(files: readonly ParsedFile[], f: ParsedCompose, name: string): [ParsedCompose, ComposeService][] {
  if (!f.absPath) return [];
  const dir = dirname(f.absPath);
  const out: [ParsedCompose, ComposeService][] = [];
  for (const o of files) {
    if (o.kind !== 'compose' || o === f || !o.absPath || dirname(o.absPath) !== dir || !isComposeFamilyName(basename(o.absPath))) continue;
    for (const s of services(o)) if (s.name === name) out.push([o, s]);
  }
  return out;
}
