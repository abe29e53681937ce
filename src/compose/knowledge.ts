/**
 * Local knowledge: what a real run (`harden verify`) learned about a repository's compose services, read by later
 * `harden fix` runs so a repository's hardening does not depend on a rerun. Stored next to the compose file as
 * `.harden/knowledge.yaml`:
 *
 *   version: 1
 *   compose.yaml:                 # the compose file, relative to the directory holding .harden/
 *     web:                        # the service
 *       writable: [/app/cache]    # paths it writes: compose-read-only mounts a tmpfs there
 *       capAdd: [DAC_OVERRIDE]    # capabilities its entrypoint needs: compose-drop-capabilities adds them back
 *       healthcheck: [CMD, redis-cli, -p, "6380", ping]   # the probe that works: compose-healthcheck writes it
 *       backOff:                  # codemods whose change this service does not survive, with the evidence
 *         compose-read-only: "writes to /app, which holds the image's files"
 *       verified:                 # codemods whose change (with the paths and capabilities above) it ran with
 *         - compose-read-only
 *
 * `verified` is the evidence compose-read-only and compose-drop-capabilities need for images harden knows nothing
 * about (no evidence, no fix): the service stayed healthy read-only with exactly these tmpfs paths, or with exactly
 * these capabilities added back.
 *
 * The codemods consult it through `serviceKnowledge`; `backOff` is applied by the engine to every finding inside the
 * service's mapping (see api.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { FileKnowledge, GlobalSettings, ParsedFile, ServiceKnowledge } from '../engine/types.js';

export type { FileKnowledge, ServiceKnowledge };

/** Compose files (relative to the knowledge file's directory, or absolute) → their services' knowledge. */
export type Knowledge = Record<string, FileKnowledge>;

export const KNOWLEDGE_FILE = join('.harden', 'knowledge.yaml');

export class KnowledgeError extends Error {}

const strings = (v: unknown, where: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) throw new KnowledgeError(`${where} must be a list of strings`);
  return v.map(String);
};

/** Validate a parsed knowledge document. */
export function parseKnowledge(doc: unknown, where: string): Knowledge {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new KnowledgeError(`${where}: expected a mapping`);
  const out: Knowledge = {};
  for (const [file, svcs] of Object.entries(doc as Record<string, unknown>)) {
    if (file === 'version') continue;
    if (typeof svcs !== 'object' || svcs === null || Array.isArray(svcs)) throw new KnowledgeError(`${where}: ${file} must map service names`);
    const fk: FileKnowledge = {};
    for (const [svc, k] of Object.entries(svcs as Record<string, unknown>)) {
      if (typeof k !== 'object' || k === null || Array.isArray(k)) throw new KnowledgeError(`${where}: ${file}.${svc} must be a mapping`);
      const o = k as Record<string, unknown>;
      const sk: ServiceKnowledge = {};
      const w = strings(o.writable, `${where}: ${file}.${svc}.writable`);
      if (w) sk.writable = w;
      const c = strings(o.capAdd, `${where}: ${file}.${svc}.capAdd`);
      if (c) sk.capAdd = c.map((x) => x.toUpperCase().replace(/^CAP_/, ''));
      const h = strings(o.healthcheck, `${where}: ${file}.${svc}.healthcheck`);
      if (h) sk.healthcheck = h;
      if (o.backOff !== undefined) {
        if (typeof o.backOff !== 'object' || o.backOff === null || Array.isArray(o.backOff)) throw new KnowledgeError(`${where}: ${file}.${svc}.backOff must map codemod ids to reasons`);
        sk.backOff = Object.fromEntries(Object.entries(o.backOff as Record<string, unknown>).map(([id, r]) => [id, String(r)]));
      }
      const v = strings(o.verified, `${where}: ${file}.${svc}.verified`);
      if (v) sk.verified = v;
      fk[svc] = sk;
    }
    out[file] = fk;
  }
  return out;
}

/** The knowledge file in `dir` (`dir/.harden/knowledge.yaml`), or {} when there is none. */
export function loadKnowledgeDir(dir: string): Knowledge {
  const file = join(dir, KNOWLEDGE_FILE);
  if (!existsSync(file)) return {};
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KnowledgeError(`${file}: ${(e as Error).message}`);
  }
  return parseKnowledge(doc, file);
}

/** The text of a knowledge file. */
export function knowledgeText(k: Knowledge): string {
  return `# Written by \`harden verify --save\`: what running these services under a real engine showed they need.\n# Read by \`harden fix\` (see README, "Verifying fixes").\n${stringify({ version: 1, ...k })}`;
}

/** Merge `b` into `a` (lists unioned, back-offs added). */
export function mergeServiceKnowledge(a: ServiceKnowledge, b: ServiceKnowledge): ServiceKnowledge {
  const u = (x?: string[], y?: string[]) => (x || y ? [...new Set([...(x ?? []), ...(y ?? [])])] : undefined);
  const out: ServiceKnowledge = {};
  const w = u(a.writable, b.writable);
  if (w) out.writable = w;
  const c = u(a.capAdd, b.capAdd);
  if (c) out.capAdd = c;
  const h = b.healthcheck ?? a.healthcheck;
  if (h) out.healthcheck = h;
  if (a.backOff || b.backOff) out.backOff = { ...a.backOff, ...b.backOff };
  // A codemod backed off since is no longer verified.
  const v = u(a.verified, b.verified)?.filter((id) => !out.backOff?.[id]);
  if (v?.length) out.verified = v;
  return out;
}

/**
 * The knowledge of every compose file of a run, keyed by the file's absolute path: its directory's knowledge file
 * (key = the file's name) merged with `extra` (keys = absolute paths).
 */
export function knowledgeForFiles(absPaths: readonly string[], extra: Knowledge | undefined): Record<string, FileKnowledge> {
  const out: Record<string, FileKnowledge> = {};
  const byDir = new Map<string, Knowledge>();
  for (const p of absPaths) {
    const dir = dirname(p);
    if (!byDir.has(dir)) byDir.set(dir, loadKnowledgeDir(dir));
    const fromFile = byDir.get(dir)?.[basename(p)] ?? {};
    const fromRun = extra?.[p] ?? {};
    const names = new Set([...Object.keys(fromFile), ...Object.keys(fromRun)]);
    if (names.size === 0) continue;
    const fk: FileKnowledge = {};
    for (const n of names) fk[n] = mergeServiceKnowledge(fromFile[n] ?? {}, fromRun[n] ?? {});
    out[p] = fk;
  }
  return out;
}

/** What was learned about service `name` of the file a codemod is looking at. */
export function serviceKnowledge(ctx: { file: ParsedFile; global: GlobalSettings }, name: string): ServiceKnowledge | undefined {
  const key = ctx.file.absPath;
  return key ? ctx.global.knowledge?.[key]?.[name] : undefined;
}

/** How findings name the evidence: "verified by a run (.harden/knowledge.yaml)". */
export const KNOWLEDGE_SOURCE = `a verified run (${KNOWLEDGE_FILE})`;

/** How a change proposed for a verify run to test says so (verify finds these in the applied fixes' messages). */
export const TRIAL_NOTE = 'to be verified by this run';

/**
 * Whether `codemod`'s change may be made to service `name` on the strength of a run: a verify run's own trial
 * (`trial`, set by `harden verify` on its scratch copy, whose run is the evidence) or the knowledge file's `verified`.
 * Undefined when neither.
 */
export function runEvidence(ctx: { file: ParsedFile; global: GlobalSettings }, name: string, codemod: string): 'trial' | 'verified' | undefined {
  if (serviceKnowledge(ctx, name)?.verified?.includes(codemod)) return 'verified';
  return ctx.global.trial ? 'trial' : undefined;
}
