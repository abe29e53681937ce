/**
 * What a `docker run` line's container needs, from the same evidence as the compose codemods: the knowledge base
 * (src/compose/image-kb.ts), the image config and entrypoint script read from the registry (src/evidence), and the
 * line's own flags (`--user`, `--entrypoint`, the command after the image, `-p`, `-v`/`--mount`/`--tmpfs`).
 *
 * An image built by a `docker build -t <name>` line of the same file is read through its Dockerfile,
 * like a compose service with `build:`: its final stage's base image picks the knowledge-base entry, its USER, CMD,
 * ENTRYPOINT and VOLUMEs count, and the base image's config (from the registry) fills in what it does not set.
 */
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Answers, GlobalSettings, ImageConfigAnswer, LookupKey, ParsedFile, ParsedShell, ProjectView } from '../engine/types.js';
import { dockerfileKey, readBuildSpec, type BuildSpec, type BuiltImage } from '../compose/build.js';
import { writableAt, type Mount } from '../compose/hardening.js';
import { FAMILY_RESOURCES, matchBuilt, matchImage, type KbMatch, type ResourceProfile } from '../compose/image-kb.js';
import {
  capabilityNeeds, entrypointFile, entrypointFileKey, gatherEvidence, SCRATCH_DIRS, startedProcess, writesOutside, type CapabilityNeeds, type RuntimeEvidence,
} from '../evidence/index.js';
import { dockerBuilds, dockerRuns, flagsNamed, type DockerRun } from './model.js';

export interface RunImage {
  /** The literal image reference, if the image is literal. */
  ref?: string;
  /** Built by a `docker build -t` line of this run: where, and the Dockerfile's answer once read. */
  build?: { spec: BuildSpec; where: string };
  built?: BuiltImage;
  /** Why the Dockerfile of a built image was not read. */
  buildUnknown?: string;
  match?: KbMatch;
  platform?: string;
}

const imageKey = (ref: string, platform: string | undefined): { kind: 'image-config'; ref: string; platform?: string } => ({ kind: 'image-config', ref, ...(platform ? { platform } : {}) });

/**
 * The `docker build` of the same file that tags `ref`, if any (a script or cookbook that builds, then runs). Builds in
 * other files are not followed: lookups are declared per file.
 */
export function buildOf(file: ParsedShell, ref: string): { spec: BuildSpec; where: string } | { unknown: string; where: string } | undefined {
  for (const f of [file]) {
    for (const b of dockerBuilds(f)) {
      if (!b.tags.some((t) => t === ref || `${t}:latest` === ref || `${ref}:latest` === t)) continue;
      const where = `\`docker build\` in ${f === file ? 'this file' : f.path}`;
      if (!f.absPath) return { unknown: 'the file has no directory (stdin)', where };
      if (b.context === undefined || b.context.includes('$') || (b.dockerfile ?? '').includes('$')) return { unknown: 'its build context or Dockerfile is not a literal path', where };
      if (/^[a-z][a-z0-9+.-]*:\/\/|^git@|^-$/i.test(b.context)) return { unknown: 'its build context is not a local directory', where };
      // Commands in a file run from the file's directory (a script's cd is not followed).
      const dir = dirname(f.absPath);
      const ctxDir = resolve(dir, b.context);
      const abs = b.dockerfile === undefined ? resolve(ctxDir, 'Dockerfile') : isAbsolute(b.dockerfile) ? b.dockerfile : resolve(dir, b.dockerfile);
      const rel = relative(dirname(file.absPath ?? dir), abs).split(sep).join('/');
      const shown = rel.startsWith('../') || isAbsolute(rel) ? rel : `./${rel}`;
      return { spec: { context: ctxDir, dockerfile: abs, shown, ...(b.target !== undefined ? { target: b.target } : {}), args: b.args }, where };
    }
  }
  return undefined;
}

/** The image of a run: literal reference, the build that makes it, the knowledge-base entry. */
export function runImage(run: DockerRun, project: ProjectView, answers?: Answers): RunImage {
  const out: RunImage = {};
  const platform = flagsNamed(run, 'platform')[0]?.value?.text;
  if (platform && !platform.includes('$')) out.platform = platform;
  const ref = run.image.text;
  if (ref === null || ref.includes('$')) return out;
  out.ref = ref;
  const b = buildOf(run.file, ref);
  if (b && 'spec' in b) {
    out.build = b;
    if (answers) {
      const r = readBuildSpec(b.spec, answers);
      if ('built' in r) {
        out.built = r.built;
        const m = matchBuilt(r.built.base, r.built.copiedFrom.map((c) => c.ref));
        if (m) out.match = m;
      } else out.buildUnknown = r.unknown;
    }
    return out;
  }
  if (b) {
    out.buildUnknown = `it is built by ${b.where}, but ${b.unknown}`;
    return out;
  }
  const m = matchImage(ref);
  if (m) out.match = m;
  return out;
}

/** What the hardening codemods ask for a shell file's runs: image configs, Dockerfiles of built images, entrypoints. */
export function runLookups(file: ParsedFile, project: ProjectView | undefined, global: GlobalSettings, answers?: Answers): LookupKey[] {
  if (file.kind !== 'shell') return [];
  const view: ProjectView = project ?? { files: [file], byAbsPath: () => undefined, indexed: () => [] };
  const out = new Map<string, LookupKey>();
  const add = (k: LookupKey) => out.set(JSON.stringify(k), k);
  for (const r of dockerRuns(file)) {
    if (!('run' in r)) continue;
    const img = runImage(r.run, view, answers);
    const platform = img.platform ?? global.platform;
    if (img.build) {
      add(dockerfileKey(img.build.spec));
      if (img.built && img.built.base !== 'scratch') add(imageKey(img.built.base, platform));
      continue;
    }
    if (!img.ref || img.buildUnknown) continue;
    const k = imageKey(img.ref, platform);
    add(k);
    const cfg = answers?.get(k);
    if (cfg && 'ok' in cfg) {
      const f = entrypointFile(process(r.run, cfg.ok).argv, cfg.ok);
      if (f) add(entrypointFileKey(img.ref, platform, f.paths));
    }
  }
  return [...out.values()];
}

/** The run's overrides of what the image starts: `--entrypoint` (one program) and the words after the image. */
function overrides(run: DockerRun): { entrypoint?: string[]; command?: string[] } {
  const o: { entrypoint?: string[]; command?: string[] } = {};
  const ep = flagsNamed(run, 'entrypoint').pop()?.value?.text;
  if (ep !== undefined && ep !== null) o.entrypoint = ep === '' ? [] : [ep];
  if (run.args.length && run.args.every((a) => a.text !== null)) o.command = run.args.map((a) => a.text as string);
  return o;
}

const process = (run: DockerRun, cfg: ImageConfigAnswer) => startedProcess(cfg, overrides(run));

/** A container path made writable by the run's `-v`/`--volume`, `--mount` or `--tmpfs`, or by an image VOLUME. */
export type RunMount = Mount;

const norm = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

export function runMounts(run: DockerRun): RunMount[] {
  const out: RunMount[] = [];
  for (const f of flagsNamed(run, 'volume')) {
    const v = f.value?.text;
    if (!v) continue;
    const parts = v.split(':');
    const target = parts.length === 1 ? parts[0] : parts[1];
    const mode = parts[2] ?? '';
    if (target?.startsWith('/')) out.push({ target: norm(target), writable: !/(^|,)ro(,|$)/.test(mode), kind: 'volume' });
  }
  for (const f of flagsNamed(run, 'mount')) {
    const v = f.value?.text;
    if (!v) continue;
    const kv = new Map(v.split(',').map((p) => { const i = p.indexOf('='); return i < 0 ? [p, 'true'] : [p.slice(0, i), p.slice(i + 1)]; }));
    const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
    const ro = ['readonly', 'ro'].some((k) => kv.has(k) && kv.get(k) !== 'false');
    if (target?.startsWith('/')) out.push({ target: norm(target), writable: !ro, kind: kv.get('type') === 'tmpfs' ? 'tmpfs' : 'volume' });
  }
  for (const f of flagsNamed(run, 'tmpfs')) {
    const t = f.value?.text?.split(':')[0];
    if (t?.startsWith('/')) out.push({ target: norm(t), writable: true, kind: 'tmpfs' });
  }
  return out;
}

/** Whether a path is writable through one of the mounts (the deepest covering mount decides). */
export const writableIn = (path: string, mounts: readonly RunMount[]): boolean => writableAt(path, mounts) !== undefined;

/** Container ports the run publishes (`-p [ip:]host:container[/proto]`, `--expose`). */
export function runPorts(run: DockerRun): { port: number; describe: string }[] {
  const out: { port: number; describe: string }[] = [];
  for (const f of flagsNamed(run, 'publish', 'expose')) {
    const v = f.value?.text;
    if (!v) continue;
    const m = /(\d+)(?:-\d+)?(?:\/\w+)?$/.exec(v);
    if (m) out.push({ port: Number(m[1]), describe: `\`${f.spelled} ${v}\`` });
  }
  return out;
}

export interface RunNeeds {
  img: RunImage;
  /** The config the container starts from (the image's, or what a Dockerfile built here makes), when known. */
  config?: { config: ImageConfigAnswer; describe: string };
  evidence: RuntimeEvidence;
  caps: CapabilityNeeds;
  mounts: RunMount[];
  /** The run's own `--user`, when given. */
  user?: string;
}

/** The config of a built image: what its Dockerfile sets, over its base image's config (when read). */
function builtConfig(built: BuiltImage, base: ImageConfigAnswer | undefined, baseDescribe: string | undefined): { config: ImageConfigAnswer; describe: string } | undefined {
  if (built.user === undefined && !base) return undefined;
  const cfg: ImageConfigAnswer = { ...(base ?? {}) };
  if (built.user !== undefined) cfg.user = built.user;
  if (built.entrypoint) {
    cfg.entrypoint = built.entrypoint;
    cfg.cmd = built.cmd ?? [];
  } else if (built.cmd) cfg.cmd = built.cmd;
  cfg.volumes = [...(base?.volumes ?? []), ...built.volumes];
  const parts = [built.user !== undefined ? `the USER of ${built.spec.shown}` : built.spec.shown, baseDescribe].filter(Boolean);
  return { config: cfg, describe: parts.join(', on ') };
}

/** Everything the hardening codemods decide a run from. The shell parser must be loaded. */
export function runNeeds(run: DockerRun, project: ProjectView, global: GlobalSettings, answers: Answers): RunNeeds {
  const img = runImage(run, project, answers);
  const platform = img.platform ?? global.platform;
  let config: RunNeeds['config'];
  let entrypointFileAnswer: { path: string | null; content: string | null } | { missing: string } | undefined;
  if (img.built) {
    const k = img.built.base !== 'scratch' ? imageKey(img.built.base, platform) : undefined;
    const a = k ? answers.get(k) : undefined;
    const base = a && 'ok' in a ? a.ok : undefined;
    config = builtConfig(img.built, base, base ? `the base image ${img.built.base}'s config${'source' in (a ?? {}) && a && 'ok' in a && a.source ? ` (registry ${a.source})` : ''}` : undefined);
    entrypointFileAnswer = { missing: 'the image is built here (its files are not read from the build context)' };
  } else if (img.ref && !img.buildUnknown) {
    const a = answers.get(imageKey(img.ref, platform));
    if (a && 'ok' in a) {
      config = { config: a.ok, describe: `the image config of ${img.ref}${a.source ? ` (registry ${a.source})` : ''}` };
      const f = entrypointFile(process(run, a.ok).argv, a.ok);
      if (f) {
        const fa = answers.get(entrypointFileKey(img.ref, platform, f.paths));
        entrypointFileAnswer = fa ? ('ok' in fa ? fa.ok : { missing: fa.error.code }) : undefined;
      }
    }
  }
  const userFlag = flagsNamed(run, 'user').pop()?.value;
  const ov = overrides(run);
  const evidence = gatherEvidence({
    ...(config ? { config } : {}),
    overrides: { ...ov, entrypointDescribe: 'the line\'s `--entrypoint`', commandDescribe: 'the command after the image' },
    ...(userFlag ? { user: { value: userFlag.text ?? '$', describe: `the line's \`--user ${userFlag.raw}\`` } } : {}),
    ...(entrypointFileAnswer ? { entrypointFile: entrypointFileAnswer } : {}),
    ports: runPorts(run),
  });
  const mounts = runMounts(run);
  for (const v of config?.config.volumes ?? img.match?.volumes ?? []) mounts.push({ target: norm(v) || '/', writable: true, kind: 'image-volume' });
  return { img, ...(config ? { config } : {}), evidence, caps: capabilityNeeds(evidence), mounts, ...(userFlag?.text ? { user: userFlag.text } : {}) };
}

/** "knowledge base entry nginx", "the base image python:3.11-slim of ./Dockerfile, knowledge base entry python". */
export function kbWhere(img: RunImage): string | undefined {
  if (!img.match) return undefined;
  return img.built ? `${img.built.describe}, knowledge base entry ${img.match.name}` : `knowledge base entry ${img.match.name}`;
}

/** What a read-only root needs: tmpfs paths (with the evidence), or why it cannot be decided / must not be done. */
export type ReadOnlyPlan = { tmpfs: string[]; because: string[]; guess?: string } | { manual: string } | { never: string };

const RUNISH = /^\/(?:var\/)?run(?:\/|$)/;

export function readOnlyPlan(n: RunNeeds): ReadOnlyPlan {
  const { img, evidence, mounts } = n;
  const m = img.match;
  if (m?.readOnly) return { never: `${m.readOnly.reason} (${kbWhere(img) ?? ''})` };
  const data = (m?.data ?? []).filter((p) => !writableIn(p, mounts));
  if (data.length) return { manual: `${m?.name ?? 'the image'} keeps its state in ${data.join(', ')}, which is not a volume: mount one there (\`-v name:${data[0] ?? ''}\`), then a read-only root filesystem can be added (${kbWhere(img) ?? ''})` };
  const because: string[] = [];
  const needed = new Set<string>(['/tmp']);
  const outside = writesOutside(evidence.writes, (p) => writableIn(p, mounts) || SCRATCH_DIRS.test(p));
  if (outside.length) return { manual: `its entrypoint writes outside the volumes: ${outside.map((w) => w.source).join('; ')}; mount a volume or tmpfs there first` };
  for (const w of evidence.writes) {
    const p = w.fact.path;
    if (p && SCRATCH_DIRS.test(p) && !writableIn(p, mounts)) {
      const dir = /^\/(?:tmp|run|var\/run|var\/tmp|var\/cache(?:\/[^/]+)?|var\/log(?:\/[^/]+)?)/.exec(p)?.[0];
      if (dir) {
        needed.add(dir);
        because.push(`${dir}: ${w.source}`);
      }
    }
  }
  if (m && !m.appDependent) {
    if (!m.writable.some((p) => RUNISH.test(p))) needed.add('/run');
    for (const p of m.writable) needed.add(p);
    because.unshift(`what ${m.name} writes (${kbWhere(img) ?? ''})`);
  } else if (img.built && evidence.user?.root === false && img.built.grants.length === 0 && createdHere(img.built)) {
    because.unshift(`it runs as user \`${evidence.user.value}\` (${evidence.user.source}), which ${img.built.spec.shown} gives no files (no chown, --chown, chmod or home directory): it can only write world-writable directories such as /tmp`);
  } else {
    const why = img.built
      ? evidence.user?.root === false
        ? img.built.grants.length
          ? `it runs as user \`${evidence.user.value}\`, but ${img.built.grants.join('; ')} may give it files it writes`
          : `it runs as user \`${evidence.user.value}\`, which comes from the base image (it may own files there)`
        : `it runs ${evidence.user?.root ? 'as root' : 'as a user harden cannot tell'} (${evidence.user?.source ?? 'no USER'}), and what ${m ? `the application on ${m.name}` : 'it'} writes is not known`
      : img.buildUnknown
        ? img.buildUnknown
        : m
          ? `${m.name} runs whatever application it is given`
          : img.ref
            ? `\`${img.ref}\` is not in the knowledge base${n.config ? '' : ' and its image config was not read'}`
            : 'its image is not a literal reference';
    return { manual: `which paths it writes is not known: ${why}. Find them (run it with \`--read-only\` and watch for "Read-only file system"), then add \`--read-only\` with a \`--tmpfs\` (or volume) for each` };
  }
  const tmpfs = [...needed].filter((p) => !writableIn(p, mounts)).sort();
  return { tmpfs, because };
}

/** Whether the user of a built image is a numeric uid or created by its own Dockerfile (not a base image's user). */
function createdHere(built: BuiltImage): boolean {
  const u = (built.user ?? '').split(':')[0] ?? '';
  return /^\d+$/.test(u) || built.createsUsers.includes(u);
}

/** The resource profile of a run's image family, and whether it is a guess (application images). */
export function resourceProfile(img: RunImage): { profile: ResourceProfile; family: string; guess: boolean } | undefined {
  const m = img.match;
  if (!m) return undefined;
  return { profile: FAMILY_RESOURCES[m.family], family: m.family, guess: m.appDependent === true || img.built !== undefined };
}
