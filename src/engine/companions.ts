/**
 * Companion changes: besides its edits to the file being processed, a fix may carry, besides its edits to the file being processed:
 *  - `files`: text edits to OTHER files (source files read through `{kind:'file'}` lookups, or new files),
 *    each guarded by the SHA-256 of the text the edits were computed against (null: the file must not exist);
 *  - `sideEffects`: things to do only when the run writes (--write), never printed: writing a secret value
 *    to a file (in a 0700 directory; the file's mode is the side effect's, 0600 unless it says) and adding a line to a .gitignore.
 * Dry runs show the companion files' diffs and one line per side effect ("would write secrets/x"), never a value.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile, open } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { applyFixes } from './edits.js';
import { unifiedDiff } from './diff.js';
import { atomicWrite } from './write.js';
import type { CompanionFileChange, Edit, Finding, Fix, Redacted, SideEffect } from './types.js';

export type { CompanionFileChange, SideEffect };

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export function companionsOf(f: Fix | undefined): { files: readonly CompanionFileChange[]; sideEffects: readonly SideEffect[] } {
  return { files: f?.files ?? [], sideEffects: f?.sideEffects ?? [] };
}

export interface CompanionDiff {
  absPath: string;
  /** Path relative to `cwd`, '/' separators. */
  path: string;
  before: string;
  after: string;
  diff: string;
}

export interface CompanionOutcome {
  files: CompanionDiff[];
  /** One line per side effect: what was (or would be) done. Never contains a value. */
  messages: string[];
  errors: { path: string; message: string }[];
}

export function hasCompanions(f: Fix | undefined): boolean {
  const c = companionsOf(f);
  return c.files.length > 0 || c.sideEffects.length > 0;
}

const display = (cwd: string, abs: string) => {
  const r = relative(cwd, abs);
  return (r.startsWith('..') ? abs : r).split(sep).join('/');
};

async function readOrNull(p: string): Promise<string | null> {
  try {
    return await readFile(p, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Apply (write: true) or preview (write: false) the companions of these findings. Identical edits from several
 * fixes (e.g. the same helper file asked for by two passes) are applied once; a change whose file moved on
 * since it was computed is refused with an error, and nothing of that file is written.
 */
export async function applyCompanions(findings: readonly Finding[], opts: { cwd: string; write: boolean; allowReadOnly?: boolean }): Promise<CompanionOutcome> {
  const out: CompanionOutcome = { files: [], messages: [], errors: [] };
  const byFile = new Map<string, { expected: string | null; edits: Map<string, Edit> }>();
  const effects = new Map<string, SideEffect>();
  for (const f of findings) {
    const c = companionsOf(f.fix);
    for (const ch of c.files) {
      const cur = byFile.get(ch.absPath) ?? { expected: ch.expectedSha256, edits: new Map<string, Edit>() };
      if (cur.expected !== ch.expectedSha256) {
        out.errors.push({ path: display(opts.cwd, ch.absPath), message: 'conflicting changes (computed against different contents); run harden again' });
        continue;
      }
      for (const e of ch.edits) cur.edits.set(`${e.start}:${e.end}:${e.text}`, e);
      byFile.set(ch.absPath, cur);
    }
    for (const s of c.sideEffects) effects.set(`${s.kind}:${s.absPath}:${s.kind === 'gitignore-entry' ? s.entry : ''}`, s);
  }

  // 1. Compute every companion file's new text, checking it is still what the edits were computed against.
  const planned: CompanionDiff[] = [];
  for (const [absPath, { expected, edits }] of byFile) {
    const path = display(opts.cwd, absPath);
    const current = await readOrNull(absPath);
    if (expected === null ? current !== null : current === null || sha256(current) !== expected) {
      out.errors.push({ path, message: expected === null ? 'already exists; not overwritten' : 'changed on disk since it was read; not written' });
      continue;
    }
    const before = current ?? '';
    const { output, applied } = applyFixes(before, [{ title: 'companion', safety: 'unsafe', edits: [...edits.values()] }]);
    if (applied.length === 0) {
      out.errors.push({ path, message: 'overlapping companion edits; not written' });
      continue;
    }
    planned.push({ absPath, path, before, after: output, diff: unifiedDiff(path, before, output).replace(/^--- a\/.*$/m, (l) => (expected === null ? '--- /dev/null' : l)) });
  }
  out.files = planned;

  // 2. Write (or describe) them, then the side effects.
  if (opts.write) {
    for (const p of planned) {
      try {
        if (p.before === '' && (await readOrNull(p.absPath)) === null) {
          await mkdir(dirname(p.absPath), { recursive: true });
          await writeFile(p.absPath, p.after, { flag: 'wx' });
        } else await atomicWrite(p.absPath, p.after, p.before, { allowReadOnly: opts.allowReadOnly });
      } catch (e) {
        out.errors.push({ path: p.path, message: (e as Error).message });
      }
    }
  }
  for (const s of effects.values()) {
    const path = display(opts.cwd, s.absPath);
    try {
      if (s.kind === 'write-secret-file') out.messages.push(await secretFile(s.absPath, s.value, path, opts.write, s.mode ?? 0o600));
      else out.messages.push(await gitignoreEntry(s.absPath, s.entry, path, opts.write));
    } catch (e) {
      // Error messages name the path only: fs errors never contain file contents.
      out.errors.push({ path, message: (e as Error).message });
    }
  }
  return out;
}

async function secretFile(absPath: string, value: Redacted, path: string, write: boolean, mode: number): Promise<string> {
  const existing = await readOrNull(absPath);
  const wanted = `${value.reveal()}\n`;
  const octal = `0${mode.toString(8)}`;
  if (existing !== null) {
    if (existing !== wanted && existing !== value.reveal()) throw new Error('exists with a different value; not overwritten (move the value there by hand)');
    // A file an older run wrote 0600: the container's user could not read it through the bind mount.
    const has = (await stat(absPath)).mode & 0o777;
    if ((has & mode) === mode) return `${path} already holds this secret`;
    if (!write) return `${path} already holds this secret; would set its mode to ${octal}`;
    await chmod(absPath, has | mode);
    return `${path} already holds this secret; mode set to 0${(has | mode).toString(8)}`;
  }
  if (!write) return `would write the secret value to ${path} (mode ${octal}, directory 0700)`;
  const dir = dirname(absPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const fh = await open(absPath, 'wx', 0o600);
  try {
    await fh.writeFile(wanted, 'utf8');
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
  return `wrote the secret value to ${path} (mode ${octal}, directory 0700)`;
}

async function gitignoreEntry(absPath: string, entry: string, path: string, write: boolean): Promise<string> {
  const existing = (await readOrNull(absPath)) ?? '';
  const lines = existing.split(/\r?\n/).map((l) => l.trim());
  const bare = entry.replace(/^\/|\/$/g, '');
  if (lines.some((l) => l.replace(/^\/|\/$/g, '') === bare)) return `${path} already ignores ${entry}`;
  if (!write) return `would add ${entry} to ${path}`;
  const eol = existing.includes('\r\n') ? '\r\n' : '\n';
  const next = `${existing}${existing === '' || existing.endsWith('\n') ? '' : eol}${entry}${eol}`;
  if (existing === '' && !(await exists(absPath))) await writeFile(absPath, next, { flag: 'wx' });
  else await atomicWrite(absPath, next, existing);
  return `added ${entry} to ${path}`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
