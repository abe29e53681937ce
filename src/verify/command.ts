/** The `harden verify` command and `harden fix --verify`: the CLI side (printing, signals, the knowledge file). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { HardenOptions } from '../api.js';
import { KNOWLEDGE_FILE, knowledgeText, mergeServiceKnowledge, parseKnowledge, type Knowledge } from '../compose/knowledge.js';
import { NoEngineError } from './engine.js';
import { verifyExitCode, verifyJson, verifyText } from './report.js';
import { cleanupVerify, verify, type VerifyOptions, type VerifyReport } from './verify.js';

export interface VerifyFlags {
  envFile?: string;
  stable?: string;
  waitTimeout?: string;
  rounds?: string;
  save?: boolean;
  format?: string;
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new VerifyUsageError(`${name} must be a positive number`);
  return n;
};

export class VerifyUsageError extends Error {}

/** Run verify with Ctrl-C (and SIGTERM) removing everything it created before exiting 130. */
export async function runVerify(opts: HardenOptions, flags: VerifyFlags, log: (l: string) => void): Promise<{ report?: VerifyReport; code: number; error?: string }> {
  const vopts: VerifyOptions = {
    ...opts,
    envFile: flags.envFile,
    stableSeconds: num(flags.stable, '--stable'),
    timeoutSeconds: num(flags.waitTimeout, '--wait-timeout'),
    maxRounds: num(flags.rounds, '--rounds'),
    log,
  };
  const onSignal = (sig: NodeJS.Signals) => {
    log(`harden verify: ${sig}: removing the containers, networks, volumes and images it created…`);
    void cleanupVerify().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const report = await verify(vopts);
    if (flags.save) await saveKnowledge(report.knowledge, log);
    return { report, code: verifyExitCode(report) };
  } catch (e) {
    if (e instanceof NoEngineError) return { code: 2, error: e.message };
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export function printVerify(report: VerifyReport, format: string | undefined): string {
  return format === 'json' ? verifyJson(report) : verifyText(report);
}

/** Merge what was learned into each compose file's `.harden/knowledge.yaml`. */
export async function saveKnowledge(k: Knowledge, log: (l: string) => void): Promise<void> {
  const byDir = new Map<string, Knowledge>();
  for (const [abs, fk] of Object.entries(k)) {
    const dir = dirname(abs);
    const m = byDir.get(dir) ?? {};
    m[basename(abs)] = fk;
    byDir.set(dir, m);
  }
  for (const [dir, learned] of byDir) {
    const file = join(dir, KNOWLEDGE_FILE);
    const current = existsSync(file) ? parseKnowledge(parse(await readFile(file, 'utf8')), file) : {};
    for (const [name, fk] of Object.entries(learned)) {
      const cur = (current[name] ??= {});
      for (const [svc, sk] of Object.entries(fk)) cur[svc] = mergeServiceKnowledge(cur[svc] ?? {}, sk);
    }
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, knowledgeText(current));
    log(`wrote ${file}`);
  }
}

/**
 * For `fix --verify`: the files whose changes a run exercised, in projects whose every service ran (the compose file
 * and the Dockerfiles its services were built from), the directories of those projects, and the projects left out.
 */
export function verifiedPaths(report: VerifyReport): { verified: string[]; dirs: string[]; unverified: { path: string; why: string }[] } {
  const verified: string[] = [];
  const dirs: string[] = [];
  const unverified: { path: string; why: string }[] = [];
  for (const p of report.projects) {
    if (p.error) unverified.push({ path: p.file, why: p.error });
    else if (p.services.some((s) => !s.ok && s.baseline !== s.final)) unverified.push({ path: p.file, why: 'a service still fails hardened' });
    else {
      verified.push(...p.exercised);
      dirs.push(dirname(p.absPath));
    }
  }
  return { verified: [...new Set(verified)], dirs: [...new Set(dirs)], unverified };
}
