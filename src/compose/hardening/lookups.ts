/**
 * The lookups the runtime-hardening codemods ask (image configs of pulled images, Dockerfiles of built ones, the image
 * configs of their base images) and typed reads of their answers.
 */
import type { KeyOf } from '../../engine/lookups.js';
import type { Answers, GlobalSettings, ImageConfigAnswer, LookupKey, ParsedFile } from '../../engine/types.js';
import { buildSpec, dockerfileKey } from '../build.js';
import { lookup, services } from '../services.js';
import { entrypointLookups } from './evidence.js';
import { builtImage, serviceImage, type ServiceImage } from './views.js';

/** The image-config lookup for a service's image (none for built images and unresolvable references). */
export function imageConfigKey(img: ServiceImage, global: GlobalSettings): KeyOf<'image-config'> | undefined {
  if (img.built || img.ref === undefined) return undefined;
  const platform = img.platform ?? global.platform;
  return { kind: 'image-config', ref: img.ref, ...(platform ? { platform } : {}) };
}

/** image-config lookups for every service of a compose file. */
export function imageConfigLookups(file: ParsedFile, global: GlobalSettings): LookupKey[] {
  if (file.kind !== 'compose') return [];
  const seen = new Set<string>();
  const out: LookupKey[] = [];
  for (const svc of services(file)) {
    const k = imageConfigKey(serviceImage(svc), global);
    if (!k) continue;
    const id = JSON.stringify(k);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(k);
  }
  return out;
}

/** `file` lookups for the Dockerfiles the services of a compose file build from (see src/compose/build.ts). */
export function buildLookups(file: ParsedFile): LookupKey[] {
  if (file.kind !== 'compose') return [];
  const out = new Map<string, LookupKey>();
  for (const svc of services(file)) {
    const s = buildSpec(svc, file);
    if (s && 'spec' in s) out.set(s.spec.dockerfile, dockerfileKey(s.spec));
  }
  return [...out.values()];
}

/**
 * The image-config lookup for the base image a built service's Dockerfile starts from (its final or target stage's
 * `FROM`), once the Dockerfile was read; none for `FROM scratch` or a Dockerfile not read.
 */
export function baseConfigKey(img: ServiceImage, global: GlobalSettings): { kind: 'image-config'; ref: string; platform?: string } | undefined {
  const b = builtImage(img);
  if (!b || b.base === 'scratch') return undefined;
  const platform = img.platform ?? global.platform;
  return { kind: 'image-config', ref: b.base, ...(platform ? { platform } : {}) };
}

/** image-config lookups for the base images of the built services of a compose file (asked once their Dockerfiles are answered). */
export function baseConfigLookups(file: ParsedFile, global: GlobalSettings, answers: Answers): LookupKey[] {
  if (file.kind !== 'compose') return [];
  const out = new Map<string, LookupKey>();
  for (const svc of services(file)) {
    if (lookup(svc, 'build') === undefined) continue;
    const k = baseConfigKey(serviceImage(svc, { file, answers }), global);
    if (k) out.set(JSON.stringify(k), k);
  }
  return [...out.values()];
}

/**
 * What the runtime-hardening codemods ask: image configs of pulled images, Dockerfiles of built ones and, once those
 * are answered, the image configs of their base images and the entrypoint scripts of the pulled images.
 */
export function hardeningLookups(file: ParsedFile, global: GlobalSettings, answers?: Answers): LookupKey[] {
  return [
    ...imageConfigLookups(file, global),
    ...buildLookups(file),
    ...(answers ? [...baseConfigLookups(file, global, answers), ...entrypointLookups(file, global, answers)] : []),
  ];
}

export type ConfigRead = { config: ImageConfigAnswer; source?: string } | { missing: string };

/** The image config answer for a service's image, or why there is none. */
export function readImageConfig(img: ServiceImage, global: GlobalSettings, answers: Answers): ConfigRead {
  const k = imageConfigKey(img, global);
  if (!k) return { missing: img.built ? 'built here' : 'no literal image' };
  const a = answers.get(k);
  if (!a) return { missing: 'not looked up' };
  if ('error' in a) return { missing: a.error.code };
  return { config: a.ok, ...(a.source ? { source: a.source } : {}) };
}

/** The image config of the base image a built service is built on, read from the registry. */
export interface BaseConfig {
  ref: string;
  config: ImageConfigAnswer;
  /** For findings: "the base image grafana/grafana:10.2.2's config (registry registry-1.docker.io)". */
  describe: string;
}

/**
 * The image config of a built service's base image, when its Dockerfile was read and the lookup answered; undefined
 * otherwise (a failed lookup leaves the codemods with what the Dockerfile says). What the Dockerfile sets (HEALTHCHECK,
 * USER) wins over it, as in a build; its VOLUMEs add to the Dockerfile's.
 */
export function readBaseConfig(img: ServiceImage, global: GlobalSettings, answers: Answers): BaseConfig | undefined {
  const k = baseConfigKey(img, global);
  if (!k) return undefined;
  const a = answers.get(k);
  if (!a || 'error' in a) return undefined;
  return { ref: k.ref, config: a.ok, describe: `the base image ${k.ref}'s config${a.source ? ` (registry ${a.source})` : ''}` };
}
