/**
 * Views of a compose service for the runtime-hardening codemods: which image it runs (and the knowledge-base entry for
 * it), the paths mounted writable into it, the container ports it listens on, and how override files of the same run
 * see it. Pure reads of the parsed file; nothing here asks the network (see ./lookups.ts) or edits (see ./edits.ts).
 */
import { basename, dirname } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Answers, CodemodContext, ParsedCompose, ParsedFile } from '../../engine/types.js';
import { resolveComposeValue } from '../images.js';
import { readBuild, type BuildRead, type BuiltImage } from '../build.js';
import { imageRepository, KNOWLEDGE_BASE, matchBuilt, matchImage, type KbMatch } from '../image-kb.js';
import { scalarText } from '../scalars.js';
import { lookup, lookupMerged, ownPair, resolveNode, services, stringItems, type ComposeService } from '../services.js';
import type { ConfigRead } from './lookups.js';
import { derived } from '../../engine/derive.js';

export interface ServiceImage {
  /** The image as written (`${IMAGE:-nginx:1.25}`), if any. */
  raw?: string;
  /** The reference it resolves to (variables with defaults resolved), if any. */
  ref?: string;
  /** The service builds its image here (`build:`): the image name is what it builds, not an official image. */
  built: boolean;
  /**
   * For a built service (when asked with the file and answers): what its Dockerfile says (the final or target stage's
   * base image, which `match` is the knowledge-base entry of), or why it was not followed.
   */
  build?: BuildRead;
  match?: KbMatch;
  platform?: string;
  /** Set when only the repository is literal (`nginx:${TAG}`, `nginx@${DIGEST}`): `match` is by repository alone. */
  repositoryOnly?: string;
}

/** The literal repository of a reference whose tag or digest is a variable (`nginx:${TAG}`, `redis:7-${V:-x}`). */
export function repositoryOnly(raw: string): string | undefined {
  const m = /^([^$:@\s]+(?::\d+\/[^$:@\s]+)?)[:@][^/]*\$/.exec(raw.trim());
  const repo = m?.[1];
  return repo && !repo.includes('$') ? repo : undefined;
}

/**
 * The image of a service (through merge keys and extends). With `from` (the compose file and the answers), a service
 * that builds its image is matched through its Dockerfile's base image (see src/compose/build.ts).
 * What the service's own text says is read once per service (`imageFacts`); each call gets its own object.
 */
export function serviceImage(svc: ComposeService, from?: { file: ParsedFile; answers: Answers }): ServiceImage {
  const facts = imageFacts(svc);
  const out: ServiceImage = { built: facts.built };
  if (facts.platform !== undefined) out.platform = facts.platform;
  if (facts.built && from?.file.kind === 'compose') {
    const b = readBuild(svc, from.file, from.answers);
    if (b) {
      out.build = b;
      const m = 'built' in b ? matchBuilt(b.built.base, b.built.copiedFrom.map((c) => c.ref)) : undefined;
      if (m) out.match = m;
    }
  }
  if (facts.image) Object.assign(out, facts.image, facts.image.match ? { match: { ...facts.image.match } } : {});
  return out;
}

/** What a service's text says of its image (the parts of `serviceImage` that need neither its build nor the answers). */
const imageFacts = derived((svc: ComposeService): { built: boolean; platform?: string; image?: Pick<ServiceImage, 'raw' | 'ref' | 'match' | 'repositoryOnly'> } => {
  const built = lookup(svc, 'build') !== undefined;
  const raw = scalarText(lookup(svc, 'image')?.value);
  const platformText = scalarText(lookup(svc, 'platform')?.value);
  const out: { built: boolean; platform?: string; image?: Pick<ServiceImage, 'raw' | 'ref' | 'match' | 'repositoryOnly'> } = { built };
  if (platformText !== undefined && !platformText.includes('$')) out.platform = platformText;
  if (raw === undefined) return out;
  // Key order as serviceImage returns them: raw, then ref and match, or match and repositoryOnly.
  const image: Pick<ServiceImage, 'raw' | 'ref' | 'match' | 'repositoryOnly'> = { raw };
  out.image = image;
  const r = resolveComposeValue(raw, { start: 0, end: raw.length });
  if (r.kind !== 'resolved') {
    // `nginx:${NGINX_IMAGE_TAG}`: the tag is a variable, the repository is not: it is still nginx (no config lookup).
    const repo = repositoryOnly(raw);
    if (repo && !built) {
      const m = matchImage(repo);
      if (m) {
        image.match = m;
        image.repositoryOnly = repo;
      }
    }
    return out;
  }
  image.ref = r.ref;
  if (!built) {
    const m = matchImage(r.ref);
    if (m) image.match = m;
  }
  return out;
});

/** What the Dockerfile of a built service says, when it was read. */
export function builtImage(img: ServiceImage): BuiltImage | undefined {
  return img.build && 'built' in img.build ? img.build.built : undefined;
}

/**
 * Where the knowledge-base facts of a service come from, for findings: "knowledge base entry nginx", or for a built
 * service "the base image node:20-alpine of ./Dockerfile, knowledge base entry node".
 */
export function kbSource(img: ServiceImage): string | undefined {
  const m = img.match;
  if (!m) return undefined;
  const b = builtImage(img);
  if (!b) return `knowledge base entry ${m.name}`;
  const on = KNOWLEDGE_BASE.find((e) => e.id === m.id)?.builtOn;
  const builder = on ? b.copiedFrom.find((c) => on.builders.includes(imageRepository(c.ref)?.repository ?? '')) : undefined;
  return `${b.describe}${builder ? `, with a binary from stage \`${builder.stage}\` (${builder.ref})` : ''}, knowledge base entry ${m.name}`;
}

/** Why the settings of a service outside the knowledge base (or running an arbitrary application) are a guess. */
export function guessReason(img: ServiceImage, cfg: ConfigRead): string {
  const m = img.match;
  const b = img.build;
  if (img.built) {
    if (!b) return 'it is built here';
    if ('unknown' in b) return `it is built here (${b.unknown})`;
    if (!m) return `it is built ${b.built.base === 'scratch' ? 'from scratch' : `on \`${b.built.base}\``} (${b.built.spec.shown}), which is not in the knowledge base`;
    return `it runs the application ${b.built.spec.shown} builds`;
  }
  if (img.ref === undefined) return 'its image is not a literal reference';
  const cfgNote = 'missing' in cfg ? ` (image config not available: ${cfg.missing})` : '';
  return `${m ? `${m.name} runs whatever application it is given` : `\`${img.ref}\` is not in the knowledge base`}${cfgNote}`;
}

/** Whether a `user:` value (`1000`, `node`, `0:0`, `root`) is root. Undefined for empty/unknown (variables). */
export function userIsRoot(user: string | undefined): boolean | undefined {
  if (user === undefined) return undefined;
  const u = user.trim();
  if (u === '') return true;
  if (u.includes('$')) return undefined;
  const name = u.split(':')[0] ?? '';
  return name === '0' || name === 'root';
}

/** A path a volume or tmpfs makes writable (or not, for `:ro`). */
export interface Mount {
  target: string;
  writable: boolean;
  kind: 'volume' | 'tmpfs' | 'image-volume';
}

const normPath = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** Mounts of a service: `volumes:` (short and long syntax, across extends), `tmpfs:`. */
export function serviceMounts(svc: ComposeService): Mount[] {
  const out: Mount[] = [];
  for (const l of lookupMerged(svc, 'volumes')) {
    const seq = l.value;
    if (!isSeq(seq)) continue;
    for (const it of seq.items) {
      const n = resolveNode(svc.doc, it);
      const s = scalarText(n);
      if (s !== undefined) {
        const parts = s.split(':');
        // `dst`, `src:dst`, `src:dst:mode` (Windows drive letters `C:\x:/dst` are not handled: best effort).
        const target = parts.length === 1 ? parts[0] : parts[1];
        const mode = parts.length >= 3 ? parts[2] ?? '' : '';
        if (target?.startsWith('/')) out.push({ target: normPath(target), writable: !/(^|,)ro(,|$)/.test(mode), kind: 'volume' });
      } else if (isMap(n)) {
        const target = scalarText(resolveNode(svc.doc, ownPair(n, 'target')?.value));
        const ro = resolveNode(svc.doc, ownPair(n, 'read_only')?.value);
        const type = scalarText(resolveNode(svc.doc, ownPair(n, 'type')?.value));
        if (target?.startsWith('/')) {
          out.push({ target: normPath(target), writable: !(isScalar(ro) && (ro.value === true || ro.value === 'true')), kind: type === 'tmpfs' ? 'tmpfs' : 'volume' });
        }
      }
    }
  }
  for (const l of lookupMerged(svc, 'tmpfs')) {
    const v = l.value;
    const entries = isSeq(v) ? stringItems(svc.doc, v).map((e) => e.value) : scalarText(v) !== undefined ? [scalarText(v) as string] : [];
    for (const e of entries) {
      const target = e.split(':')[0] ?? '';
      if (target.startsWith('/')) out.push({ target: normPath(target), writable: true, kind: 'tmpfs' });
    }
  }
  return out;
}

/** The mount that makes `path` writable (a writable mount at the path or above it), if any. */
export function writableAt(path: string, mounts: readonly Mount[]): Mount | undefined {
  const p = normPath(path);
  // The deepest mount covering the path decides (a `:ro` mount below a writable one makes it read-only).
  const covering = mounts.filter((m) => p === m.target || p.startsWith(m.target === '/' ? '/' : `${m.target}/`));
  covering.sort((a, b) => b.target.length - a.target.length);
  const m = covering[0];
  return m?.writable ? m : undefined;
}

/** Container ports of `ports:` (short `[ip:]host:container[/proto]`, ranges, long `target:`) and `expose:`. */
export function containerPorts(svc: ComposeService): { published: number[]; exposed: number[] } {
  const published: number[] = [];
  const exposed: number[] = [];
  const add = (to: number[], spec: string) => {
    const noProto = spec.split('/')[0] ?? '';
    const m = /(\d+)(?:-(\d+))?$/.exec(noProto);
    if (!m) return;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let p = a; p <= b && p - a < 1000; p++) to.push(p);
  };
  for (const l of lookupMerged(svc, 'ports')) {
    if (!isSeq(l.value)) continue;
    for (const it of l.value.items) {
      const n = resolveNode(svc.doc, it);
      const s = scalarText(n);
      if (s !== undefined) {
        if (!s.includes('$')) add(published, s);
      } else if (isMap(n)) {
        const t = scalarText(resolveNode(svc.doc, ownPair(n, 'target')?.value));
        if (t !== undefined) add(published, t);
      }
    }
  }
  for (const l of lookupMerged(svc, 'expose')) {
    for (const e of stringItems(svc.doc, l.value)) if (!e.value.includes('$')) add(exposed, e.value);
    if (isSeq(l.value)) {
      for (const it of l.value.items) {
        const n = resolveNode(svc.doc, it);
        if (isScalar(n) && typeof n.value === 'number') exposed.push(n.value);
      }
    }
  }
  return { published, exposed };
}

const OVERRIDE = /^(?:.*\.)?((?:docker-)?compose)\.(?!ya?ml$)[^/]+\.ya?ml$/i;
const BASE = /^(?:.*\.)?(?:docker-)?compose\.ya?ml$/i;

/**
 * Whether a compose file's name makes it a base or an override that the other compose files of its directory read
 * (`siblingFiles`): such files must be processed with their directory's others in view.
 */
export function isComposeFamilyName(name: string): boolean {
  return BASE.test(name) || OVERRIDE.test(name);
}

/** Whether a compose file is an override/overlay (`compose.override.yaml`, `docker-compose.prod.yml`). */
export function isOverrideFile(file: ParsedCompose): boolean {
  return isOverridePath(file.path);
}

/** Once per parsed file: codemods ask for every file, and the test is a regular expression. */
const isOverridePath = (() => {
  const seen = new Map<string, boolean>();
  return (path: string): boolean => {
    let v = seen.get(path);
    if (v === undefined) {
      v = OVERRIDE.test(basename(path));
      if (seen.size > 4096) seen.clear();
      seen.set(path, v);
    }
    return v;
  };
})();

/**
 * The run's compose files by directory, split into bases and overrides, built once per project file list (a batch has
 * one; codemods ask per file and service, and a directory may hold hundreds of compose files).
 */
const composeByDir = new WeakMap<readonly ParsedFile[], Map<string, { bases: ParsedCompose[]; overrides: ParsedCompose[] }>>();

function composeFilesIn(files: readonly ParsedFile[], dir: string): { bases: ParsedCompose[]; overrides: ParsedCompose[] } | undefined {
  let index = composeByDir.get(files);
  if (!index) {
    index = new Map();
    for (const f of files) {
      if (f.kind !== 'compose' || f.absPath === undefined) continue;
      const d = dirname(f.absPath);
      let entry = index.get(d);
      if (!entry) index.set(d, (entry = { bases: [], overrides: [] }));
      const name = basename(f.absPath);
      if (OVERRIDE.test(name)) entry.overrides.push(f);
      else if (BASE.test(name)) entry.bases.push(f);
    }
    composeByDir.set(files, index);
  }
  return index.get(dir);
}

/** Other compose files of this run in the same directory that are the base (for an override) or overrides (for a base). */
export function siblingFiles(ctx: CodemodContext, file: ParsedCompose): { bases: ParsedCompose[]; overrides: ParsedCompose[] } {
  const here = file.absPath ? composeFilesIn(ctx.project.files, dirname(file.absPath)) : undefined;
  if (!here) return { bases: [], overrides: [] };
  const other = (f: ParsedCompose) => f.absPath !== file.absPath;
  return { bases: here.bases.filter(other), overrides: here.overrides.filter(other) };
}

/** How the runtime-hardening codemods see a service across the base file and its overrides. */
export interface ServiceView {
  svc: ComposeService;
  /** The same service in override files of this run (their settings merge over this one). */
  overrides: ComposeService[];
  /** Set when this service should not be edited here, with the reason (for an info finding). */
  skip?: string;
}

/**
 * The services to harden in this file. In an override file, a service also defined in a base file of this run, or one
 * with neither `image:` nor `build:` (a partial definition of a service defined elsewhere), is skipped: the base file
 * gets the settings. In a base file, the same service's definitions in override files of this run are returned
 * alongside, so their mounts and settings count.
 */
export function serviceViews(ctx: CodemodContext<ParsedCompose>): ServiceView[] {
  const file = ctx.file;
  const { bases, overrides } = siblingFiles(ctx, file);
  const override = isOverrideFile(file);
  const overrideSvcs = override ? [] : overrides.flatMap((o) => services(o));
  return services(file).map((svc) => {
    const v: ServiceView = { svc, overrides: overrideSvcs.filter((o) => o.name === svc.name) };
    if (override) {
      const base = bases.find((b) => services(b).some((s) => s.name === svc.name));
      if (base) v.skip = `it is defined in ${basename(base.path)}, which gets the settings`;
      else if (isPartialDefinition(svc)) {
        v.skip = 'this override file only adjusts it (no image or build here): the file that defines it gets the settings';
      }
    }
    return v;
  });
}

/** A service with neither `image:`, `build:` nor `extends:`: in an override file, a partial definition of one defined elsewhere. */
export function isPartialDefinition(svc: ComposeService): boolean {
  return !lookup(svc, 'image') && !lookup(svc, 'build') && !lookup(svc, 'extends');
}

/**
 * The services of an override file that only adjust a service defined elsewhere (no image, build or extends): settings
 * every service needs (logging, no-new-privileges) belong to the file that defines it, which gets them. A full
 * definition in such a file (a standalone alternative stack such as `docker-compose.build.yml`) is not one.
 */
export function partialOverrides(file: ParsedCompose): Set<unknown> {
  return new Set(isOverrideFile(file) ? services(file).filter(isPartialDefinition).map((s) => s.node) : []);
}

/** The plans, among `planned`, of the services `svc` extends (compose merges what those get into it). */
export function extendedPlans<P extends { view: ServiceView }>(svc: ComposeService, planned: readonly P[]): P[] {
  const parents = new Set(svc.sources.filter((s) => s.via === 'extends').map((s) => s.service));
  // Most services extend nothing: no scan of every plan for them (a file with thousands of services stays linear).
  return parents.size === 0 ? [] : planned.filter((q) => parents.has(q.view.svc.name));
}

/** The first value of `key` in the service or the overrides of it. */
export function lookupView(v: ServiceView, key: string): { value: Node | null; where: string } | undefined {
  const own = lookup(v.svc, key);
  if (own) return { value: own.value, where: 'here' };
  for (const o of v.overrides) {
    const l = lookup(o, key);
    if (l) return { value: l.value, where: 'override' };
  }
  return undefined;
}

/** "knowledge base entry `nginx (alpine)`", "image config from docker.io", … for findings. */
export function describeSources(parts: readonly (string | undefined | false)[]): string {
  const p = parts.filter((x): x is string => typeof x === 'string' && x !== '');
  return p.length ? ` (from ${p.join('; ')})` : '';
}
