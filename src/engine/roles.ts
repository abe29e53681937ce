/**
 * File roles: whether a file describes what a project deploys (`production`) or a stack that only developers, CI or
 * tests run (`dev`, `ci`, `test`). Decided once per file, at discovery, from its path as harden prints it (relative to
 * the directory harden runs in; a file outside it: relative to its repository root), unless an `overrides:` entry of
 * the configuration gives it a `role:`, or `fileRoles: false` / `--no-file-roles` turns detection off.
 *
 * Codemods declare the roles they act on (`Codemod.roles`; absent: every role). Pinning, locking and build hygiene act
 * on every file; runtime hardening and secret migration only on production files: a test stack's `privileged: true`,
 * literal passwords and public ports are its purpose, and code is never rewritten because of one.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { relativeWithin } from './paths.js';

export type FileRole = 'production' | 'dev' | 'ci' | 'test';
export const FILE_ROLES: readonly FileRole[] = ['production', 'dev', 'ci', 'test'];

/** A file's role and what decided it ("path segment `cypress/`", "file name `docker-compose.dev.yml`", …). */
export interface RoleDecision {
  role: FileRole;
  why: string;
}

/** For `Codemod.roles`: runtime hardening and secret migration act on production files only. */
export const PRODUCTION_ONLY: readonly FileRole[] = ['production'];

const PRODUCTION: RoleDecision = { role: 'production', why: 'default' };

/**
 * Words of a path segment or file name (split at `.`, `-`, `_`) that give a role. A directory `dev/` is a dev
 * directory, but an `examples/` directory below it holds what users copy to deploy (production). A map, not an object:
 * a word such as `constructor` or `tostring` names no role.
 */
const WORDS: ReadonlyMap<string, Exclude<FileRole, 'production'>> = new Map(
  Object.entries({
    test: 'test', tests: 'test', testing: 'test', testdata: 'test', e2e: 'test', integration: 'test', cypress: 'test',
    playwright: 'test', fixture: 'test', fixtures: 'test', bench: 'test', benchmark: 'test', benchmarks: 'test',
    ci: 'ci', circleci: 'ci', github: 'ci', gitlab: 'ci', buildkite: 'ci',
    dev: 'dev', devel: 'dev', development: 'dev', devcontainer: 'dev', devenv: 'dev', tools: 'dev', tooling: 'dev',
  } as const),
);
const EXAMPLES = new Set(['example', 'examples', 'sample', 'samples']);

const WORD_SEPARATORS = /[._-]+/;

/** The first word of a segment giving a role (a dev role is passed over when `notDev`), if any. */
function roleOfWords(ws: readonly string[], notDev: boolean): Exclude<FileRole, 'production'> | undefined {
  for (const w of ws) {
    const r = WORDS.get(w);
    if (r !== undefined && !(notDev && r === 'dev')) return r;
  }
  return undefined;
}

/**
 * The role a path implies (`/`-separated, relative to the project). The file name is read first (`compose.ci.yml`,
 * `Dockerfile.dev`, `test-radius.dockerfile`), then the directories from the nearest up (`cypress/`, `e2e_tests/`,
 * `.github/`, `.devcontainer/`). `examples/` below a dev directory keeps its files production; it does not below a test
 * or CI one (an example inside `tests/` is a fixture).
 */
export function detectRole(path: string): RoleDecision {
  const segments = path.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  const name = segments.pop();
  if (name !== undefined) {
    // Empty words (a name starting with a separator) name no role: only the map is asked.
    const role = roleOfWords(name.toLowerCase().split(WORD_SEPARATORS), false);
    if (role) return { role, why: `file name \`${name}\`` };
  }
  let inExamples = false;
  for (let i = segments.length - 1; i >= 0; i--) {
    const seg = segments[i] as string;
    const ws = seg.toLowerCase().split(WORD_SEPARATORS);
    if (!inExamples && ws.some((w) => EXAMPLES.has(w))) inExamples = true;
    const role = roleOfWords(ws, inExamples);
    if (role) return { role, why: `path segment \`${seg}/\`` };
  }
  return PRODUCTION;
}

/**
 * The path roles are read from: relative to `cwd` when inside it, else to the file's repository root, else its name.
 * `roots` (one run's) remembers each directory's repository root, so the directories above a thousand files outside
 * `cwd` are looked at once, not once per file.
 */
export function rolePath(absPath: string, cwd: string, roots?: Map<string, string | null>): string {
  const rel = relativeWithin(cwd, absPath);
  if (rel && !isAbsolute(rel)) return sep === '/' ? rel : rel.split(sep).join('/');
  const root = repositoryRootOf(dirname(absPath), roots);
  return root !== null ? relative(root, absPath).split(sep).join('/') : (absPath.split(sep).pop() ?? absPath);
}

/** The nearest directory from `dir` up holding `.git`, or null. */
function repositoryRootOf(dir: string, roots: Map<string, string | null> | undefined): string | null {
  const known = roots?.get(dir);
  if (known !== undefined) return known;
  const root = existsSync(join(dir, '.git')) ? dir : dirname(dir) === dir ? null : repositoryRootOf(dirname(dir), roots);
  roots?.set(dir, root);
  return root;
}

/** True for a production file (a file without a decided role is one). The predicate other modules should use. */
export function isProduction(file: { role?: RoleDecision } | undefined): boolean {
  return (file?.role?.role ?? 'production') === 'production';
}

/** Whether a codemod declaring `roles` acts on a file with this role. */
export function actsOn(roles: readonly FileRole[] | undefined, role: RoleDecision | undefined): boolean {
  return roles === undefined || roles.includes(role?.role ?? 'production');
}

/** The one note per non-production file: what was skipped and how to turn it back on. */
export function roleNote(path: string, decision: RoleDecision, skipped: number): string {
  return (
    `${path}: ${decision.role} file (${decision.why}): pinning and locking only, ${skipped} runtime-hardening and ` +
    'secret codemod' + (skipped === 1 ? '' : 's') + ' skipped (`harden rules` marks them); to harden it like a deployed file, ' +
    'give it `role: production` in an `overrides:` entry of .harden.yaml, or pass --no-file-roles'
  );
}
