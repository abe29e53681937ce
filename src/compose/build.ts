/**
 * What a compose service that builds its image (`build:`) runs, read from its Dockerfile: the base image of the final
 * stage (or of `build.target`), the stages it copies files from (a `golang` builder), and the HEALTHCHECK, USER and
 * VOLUMEs its stages set. The Dockerfile is read through a `file` lookup (local files only: build contexts that are
 * URLs or contain variables are not followed).
 */
import type { KeyOf } from '../engine/lookups.js';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Copy, Flag } from 'dockerfile-ast';
import { isMap, isScalar, isSeq } from 'yaml';
import { parseDockerfile } from '../engine/parse.js';
import type { Answers, ParsedCompose, ParsedDockerfile } from '../engine/types.js';
import { stageBaseImage } from '../dockerfile/images.js';
import { execForm, staged, userOf } from '../dockerfile/instructions.js';
import { findStage } from '../dockerfile/stages.js';
import { scalarText } from './scalars.js';
import { lookup, ownPair, resolveNode, type ComposeService } from './services.js';

/** Where a service's Dockerfile is and how it is built. */
export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  /** Absolute path of the Dockerfile (the `file` lookup). */
  dockerfile: string;
  /** The Dockerfile as findings name it: relative to the compose file, `./Dockerfile`. */
  shown: string;
  target?: string;
  /** Literal `build.args` (for ARGs in FROM). */
  args: Map<string, string>;
}

/** What the Dockerfile says about the image it builds. */
export interface BuiltImage {
  spec: BuildSpec;
  /** The final (or target) stage's base image, `scratch` for none. */
  base: string;
  /** Base images of the stages the final stage copies files from (`COPY --from=<stage>`). */
  copiedFrom: { ref: string; stage: string }[];
  /** For findings: "the base image node:20-alpine of ./Dockerfile", "the final stage of ./Dockerfile (FROM scratch)". */
  describe: string;
  /** The HEALTHCHECK in effect in the stage (its own or an earlier stage's it is built FROM), as written. */
  healthcheck?: { text: string; disabled: boolean };
  /** The last USER in effect, as written. */
  user?: string;
  /** Paths of VOLUME instructions in effect. */
  volumes: string[];
  /**
   * Instructions of the stage chain that may give a non-root user files it can write (`COPY --chown`, `RUN chown`,
   * `chmod`, a user created with a home directory, `WORKDIR` after a non-root `USER`), as "line N (`text`)".
   */
  grants: string[];
  /** Users (names and `-u` uids) that RUNs of the stage chain create with useradd/adduser. */
  createsUsers: string[];
  /** The CMD and ENTRYPOINT in effect, in exec form when written so. */
  cmd?: readonly string[];
  entrypoint?: readonly string[];
}

export type BuildRead = { built: BuiltImage } | { unknown: string };

const str = (svc: ComposeService, n: unknown): string | undefined => scalarText(resolveNode(svc.doc, n));

/** A build context that is not a local directory: a URL or a git repository. */
const REMOTE = /^[a-z][a-z0-9+.-]*:\/\/|^git@|\.git(?:#|$)/i;

/**
 * The Dockerfile a service builds from, or why it is not followed, with the build context when that is a local
 * directory all the same (a Dockerfile named by a variable, or inline); undefined when the service has no `build:`.
 */
export function buildSpec(svc: ComposeService, file: ParsedCompose): { spec: BuildSpec } | { unknown: string; context?: string } | undefined {
  const b = lookup(svc, 'build');
  if (!b) return undefined;
  const v = resolveNode(svc.doc, b.value);
  let context: string | undefined;
  let dockerfile = 'Dockerfile';
  let target: string | undefined;
  const args = new Map<string, string>();
  // The context, when it is a plain local path (for a build whose Dockerfile is not followed).
  const local = (): { context?: string } => {
    if (context === undefined || context === '' || context.includes('$') || REMOTE.test(context) || !file.absPath) return {};
    return { context: resolve(dirname(file.absPath), context) };
  };
  if (isScalar(v)) context = scalarText(v);
  else if (isMap(v)) {
    context = ownPair(v, 'context') ? str(svc, ownPair(v, 'context')?.value) : '.';
    if (ownPair(v, 'dockerfile_inline')) return { unknown: 'its Dockerfile is inline (`dockerfile_inline`)', ...local() };
    dockerfile = ownPair(v, 'dockerfile') ? (str(svc, ownPair(v, 'dockerfile')?.value) ?? '') : dockerfile;
    target = str(svc, ownPair(v, 'target')?.value);
    const a = resolveNode(svc.doc, ownPair(v, 'args')?.value);
    if (isMap(a)) {
      for (const p of a.items) {
        const k = scalarText(p.key);
        const x = str(svc, p.value);
        if (k !== undefined && x !== undefined && !x.includes('$')) args.set(k, x);
      }
    } else if (isSeq(a)) {
      for (const i of a.items) {
        const s = str(svc, i);
        const eq = s?.indexOf('=') ?? -1;
        if (s !== undefined && eq > 0 && !s.includes('$')) args.set(s.slice(0, eq), s.slice(eq + 1));
      }
    }
  }
  if (context === undefined || context === '' || dockerfile === '') return { unknown: 'its build context is not a plain path', ...local() };
  if (REMOTE.test(context)) return { unknown: 'its build context is not a local directory' };
  if (context.includes('$') || dockerfile.includes('$') || target?.includes('$')) return { unknown: 'its build settings use variables', ...local() };
  if (!file.absPath) return { unknown: 'the compose file has no directory (stdin)' };
  const dir = dirname(file.absPath);
  const ctxDir = resolve(dir, context);
  const abs = isAbsolute(dockerfile) ? dockerfile : resolve(ctxDir, dockerfile);
  const rel = relative(dir, abs).split(sep).join('/');
  const shown = rel.startsWith('../') || isAbsolute(rel) ? rel : `./${rel}`;
  return { spec: { context: ctxDir, dockerfile: abs, shown, ...(target !== undefined ? { target } : {}), args } };
}

export const dockerfileKey = (spec: BuildSpec): KeyOf<'file'> => ({ kind: 'file', path: spec.dockerfile });

/** Parsed Dockerfiles by path and text (every codemod asks for every built service). */
const parsedCache = new Map<string, ParsedDockerfile | null>();

function parsed(path: string, text: string): ParsedDockerfile | null {
  const k = `${path}\0${text}`;
  let p = parsedCache.get(k);
  if (p === undefined) {
    try {
      p = parseDockerfile(path, path, text);
    } catch {
      p = null;
    }
    if (parsedCache.size > 64) parsedCache.clear();
    parsedCache.set(k, p);
  }
  return p;
}

/** The words of a VOLUME instruction (JSON or space-separated). */
function volumeWords(file: ParsedDockerfile, ins: Parameters<typeof execForm>[1]): string[] {
  return execForm(file, ins) ?? (ins.getArgumentsContent() ?? '').trim().split(/\s+/).filter(Boolean);
}

/** Read the built image from the answers (the Dockerfile's `file` lookup). */
export function readBuild(svc: ComposeService, file: ParsedCompose, answers: Answers): BuildRead | undefined {
  const s = buildSpec(svc, file);
  if (!s) return undefined;
  if ('unknown' in s) return s;
  return readBuildSpec(s.spec, answers);
}

/** Read the image a build spec makes (compose `build:`, `docker build -f … -t …`) from its Dockerfile's `file` answer. */
export function readBuildSpec(spec: BuildSpec, answers: Answers): BuildRead {
  const a = answers.get(dockerfileKey(spec));
  if (!a) return { unknown: `${spec.shown} was not read` };
  if ('error' in a) return { unknown: `${spec.shown} could not be read (${a.error.code})` };
  if (!a.ok.exists) return { unknown: `${spec.shown} was not found` };
  if (a.ok.text === undefined) return { unknown: `${spec.shown} could not be read` };
  const df = parsed(spec.dockerfile, a.ok.text.replace(/^\uFEFF/, ''));
  if (!df) return { unknown: `${spec.shown} does not parse` };
  const sf = staged(df);
  if (sf.stages.length === 0) return { unknown: `${spec.shown} has no FROM` };
  let index = sf.stages.length - 1;
  if (spec.target !== undefined) {
    const t = findStage(sf.stages, spec.target);
    if (!t) return { unknown: `${spec.shown} has no stage \`${spec.target}\` (build.target)` };
    index = t.index;
  }
  const opts = { buildArgs: spec.args };
  const base = stageBaseImage(df, index, opts);
  if (base.kind === 'unknown') return { unknown: `the base image of ${spec.shown} is not known: ${base.reason}` };
  const chain = sf.chain(index);
  const copiedFrom: BuiltImage['copiedFrom'] = [];
  for (const i of chain) {
    if (i.kw !== 'COPY') continue;
    const flags = (i.ins as unknown as { getFlags?(): Flag[] }).getFlags?.() ?? [];
    const f = (i.ins as Copy).getFromFlag() ?? flags.find((x) => x.getName().toLowerCase() === 'from') ?? null;
    const from = f?.getValue();
    if (!from) continue;
    const st = /^\d+$/.test(from) ? sf.stages[Number(from)] : findStage(sf.stages, from, i.stage);
    if (!st || st.index >= i.stage) continue;
    const b = stageBaseImage(df, st.index, opts);
    if (b.kind === 'image') copiedFrom.push({ ref: b.ref, stage: st.name ?? String(st.index) });
  }
  const ref = base.kind === 'image' ? base.ref : 'scratch';
  const where = spec.target !== undefined ? `stage \`${spec.target}\` of ${spec.shown}` : spec.shown;
  const describe = base.kind === 'scratch'
    ? `${spec.target !== undefined ? where : `the final stage of ${spec.shown}`} (FROM scratch)`
    : `the base image ${ref} of ${where}`;
  const built: BuiltImage = { spec, base: ref, copiedFrom, describe, volumes: [], grants: [], createsUsers: [] };
  const GRANT_RUN = /\b(?:chown|chmod|chgrp|setfacl)\b|\buseradd\b[^;&|]*(?:\s-m\b|--create-home)|\badduser\b(?![^;&|]*(?:--no-create-home|\s-H\b))|\binstall\b[^;&|]*\s-o\b/;
  for (const i of chain) {
    const line = i.ins.getRange().start.line + 1;
    const text = (i.ins.getArgumentsContent() ?? '').trim().replace(/\s+/g, ' ');
    const cite = `line ${line} of ${spec.shown} (\`${i.kw} ${text.length > 60 ? `${text.slice(0, 57)}…` : text}\`)`;
    if (i.kw === 'RUN' && GRANT_RUN.test(text)) built.grants.push(cite);
    if (i.kw === 'RUN') {
      for (const seg of text.split(/&&|\|\||;/)) {
        const w = seg.trim().split(/\s+/);
        if (w[0] !== 'useradd' && w[0] !== 'adduser') continue;
        const name = w[w.length - 1];
        if (name && !name.startsWith('-')) built.createsUsers.push(name);
        const u = w.findIndex((x) => x === '-u' || x === '--uid');
        if (u > 0 && w[u + 1]) built.createsUsers.push(w[u + 1] as string);
      }
    }
    if ((i.kw === 'COPY' || i.kw === 'ADD') && /(?:^|\s)--ch(?:own|mod)=/.test(text)) built.grants.push(cite);
    if (i.kw === 'WORKDIR' && built.user !== undefined && !/^(?:0|root)(?::|$)/.test(built.user)) built.grants.push(cite);
    if (i.kw === 'CMD' || i.kw === 'ENTRYPOINT') {
      const argv = execForm(df, i.ins) ?? ['/bin/sh', '-c', text];
      // (An ENTRYPOINT resets the base image's CMD, not one this Dockerfile sets: the reader of `cmd` handles that.)
      if (i.kw === 'CMD') built.cmd = argv;
      else built.entrypoint = argv;
    }
    if (i.kw === 'HEALTHCHECK') {
      const text = (i.ins.getArgumentsContent() ?? '').trim().replace(/\s+/g, ' ');
      built.healthcheck = { text, disabled: /^NONE$/i.test(text) };
    } else if (i.kw === 'USER') {
      const u = userOf(i.ins);
      if (u) built.user = u;
    } else if (i.kw === 'VOLUME') {
      built.volumes.push(...volumeWords(df, i.ins).filter((p) => p.startsWith('/') && !p.includes('$')));
    }
  }
  return { built };
}
