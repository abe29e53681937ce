/**
 * npm-install-to-ci: lockfile-exact installs in RUN. `npm install` → `npm ci`, `yarn install` → `--frozen-lockfile`
 * (v1) / `--immutable` (berry), `pnpm install` → `--frozen-lockfile`, when the lockfile is copied into the image
 * before the RUN in the same stage. Without a lockfile, a finding and no fix.
 *
 * Working directory: WORKDIR (relative ones resolved against the previous; a stage built `FROM` an earlier stage
 * inherits its WORKDIR and copies) plus `cd <literal>` commands earlier in the same script (a `cd` inside a subshell
 * only counts inside it). A base image's own WORKDIR is unknown: relative COPY destinations and relative `cd`s are
 * resolved against the same assumed directory, so they still agree. Unknown directories (`cd $X`, `WORKDIR $APP`)
 * mean: say nothing.
 */
import { defineCodemod } from '../src/engine/define.js';
import type { Dockerfile, Instruction } from 'dockerfile-ast';
import { dirname, join, posix } from 'node:path';
import picomatch from 'picomatch';
import { fix, replace, insertAt } from '../src/engine/edits.js';
import { derived } from '../src/engine/derive.js';
import { isOk, type KeyOf } from '../src/engine/lookups.js';
import type { Answers, Edit, LookupKey, ParsedDockerfile } from '../src/engine/types.js';
import { contextIgnore, dockerignoreKeys } from '../src/dockerfile/dockerignore.js';
import { runScript, type RunScript } from '../src/dockerfile/run-script.js';
import { ancestors, loadShell, mayMention, shellLoaded, tryParseScript, type ShellNode, type SimpleCommand, type Word } from '../src/shell/index.js';

type Tool = 'npm' | 'yarn' | 'pnpm';

const LOCKFILES: Record<Tool, readonly string[]> = {
  npm: ['package-lock.json', 'npm-shrinkwrap.json'],
  yarn: ['yarn.lock'],
  pnpm: ['pnpm-lock.yaml'],
};

const NPM_INSTALL = new Set(['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall']);
/** Flags whose value may be the next word (so that word is not a package name). */
const VALUE_FLAGS = new Set([
  '--loglevel', '--registry', '--cache', '--prefix', '--userconfig', '--globalconfig', '--omit', '--include',
  '--install-strategy', '--workspace', '-w', '--network-timeout', '--network-concurrency', '--mutex', '--modules-folder',
  '--cache-folder', '--reporter', '--filter', '--store-dir', '--virtual-store-dir',
]);

interface CopyOp {
  /** Context-relative sources (no leading './'). */
  sources: string[];
  /** Absolute image path; ends with '/' when written so. */
  dest: string;
  /** Written with a trailing '/' or several sources: certainly a directory. */
  destIsDir: boolean;
}

interface Stage {
  name: string | null;
  workdir: string | null;
  copies: CopyOp[];
}

/** An install command to check. */
interface Site {
  tool: Tool;
  cmd: SimpleCommand;
  rs: RunScript;
  /** The word after which a flag is inserted (yarn/pnpm), or the npm subcommand to replace. */
  anchor: Word;
  /** npm: `--production` / `--only=prod[uction]` words to turn into `--omit=dev`. */
  prodFlags: Word[];
  /** Context-relative paths, any of which existing (and not ignored) means the lockfile reaches the image. */
  candidates: string[];
}

function isFlag(v: string): boolean {
  return v.startsWith('-');
}

/** Positional (non-flag) args, skipping values of known value-taking flags. */
function positionals(args: readonly Word[]): { positional: Word[]; flags: Word[] } | null {
  const positional: Word[] = [];
  const flags: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as Word;
    if (a.value === null) return null;
    if (isFlag(a.value)) {
      flags.push(a);
      if (VALUE_FLAGS.has(a.value)) i++;
    } else positional.push(a);
  }
  return { positional, flags };
}

interface Install {
  tool: Tool;
  anchor: Word;
  prodFlags: Word[];
}

/** Whether `cmd` is a lockfile-less install this codemod can change (and how). */
/** What the text of a script holding an install `classify` accepts contains (`pnpm` holds `npm`). */
const INSTALLERS = ['npm', 'yarn'];

function classify(cmd: SimpleCommand): Install | null {
  const name = cmd.name?.value;
  if (name !== 'npm' && name !== 'yarn' && name !== 'pnpm') return null;
  const p = positionals(cmd.args);
  if (!p) return null;
  const flagValues = p.flags.map((f) => f.value as string);
  const [sub, ...rest] = p.positional;
  if (rest.length > 0) return null;
  if (name === 'npm') {
    if (!sub || !NPM_INSTALL.has(sub.value as string)) return null;
    const skip = ['-g', '--global', '--location=global', '--no-package-lock', '--package-lock=false', '--package-lock-only'];
    if (flagValues.some((f) => skip.includes(f))) return null;
    const prodFlags = p.flags.filter((f) => ['--production', '--only=prod', '--only=production'].includes(f.value as string));
    return { tool: 'npm', anchor: sub, prodFlags };
  }
  if (name === 'yarn') {
    if (sub && sub.value !== 'install') return null;
    if (flagValues.some((f) => ['--frozen-lockfile', '--immutable', '--pure-lockfile', '--no-lockfile', '--cwd'].includes(f) || f.startsWith('--cwd='))) return null;
    return { tool: 'yarn', anchor: sub ?? (cmd.name as Word), prodFlags: [] };
  }
  if (!sub || (sub.value !== 'install' && sub.value !== 'i')) return null;
  const skip = ['--frozen-lockfile', '--no-frozen-lockfile', '--fix-lockfile', '--lockfile-only', '-g', '--global', '-C', '--dir'];
  if (flagValues.some((f) => skip.includes(f) || f.startsWith('--dir=') || f.startsWith('--frozen-lockfile='))) return null;
  return { tool: 'pnpm', anchor: sub, prodFlags: [] };
}

const hasGlob = (s: string) => /[*?[]/.test(s);
const cleanSrc = (s: string) => posix.normalize(s.replace(/^\/+/, '')).replace(/^\.\/?$/, '').replace(/\/+$/, '');

/** Context-relative paths whose presence would put image path `target` in place through `copy`. */
function sourcesFor(copy: CopyOp, target: string): string[] {
  const out: string[] = [];
  const dest = copy.dest.replace(/\/+$/, '') || '/';
  const base = posix.basename(target);
  for (const raw of copy.sources) {
    const src = cleanSrc(raw);
    // The source as a directory: its contents land under dest.
    if (!hasGlob(src)) {
      const rel = posix.relative(dest, target);
      if (rel && !rel.startsWith('..') && !posix.isAbsolute(rel)) out.push(src ? `${src}/${rel}` : rel);
    }
    if (src === '') continue;
    // The source as a file (or glob of files): into dest/ (directory) or onto dest (single file copy).
    const srcBase = posix.basename(src);
    const matches = hasGlob(srcBase) ? picomatch(srcBase, { dot: true })(base) : srcBase === base;
    if (!matches) continue;
    const ctxPath = posix.join(posix.dirname(src), base).replace(/^\.\//, '');
    if (posix.dirname(target) === dest) out.push(ctxPath);
    else if (!copy.destIsDir && !hasGlob(src) && dest === target) out.push(src);
  }
  return out;
}

function resolvePath(cwd: string | null, p: string | null | undefined): string | null {
  if (cwd === null || p == null || p.includes('$')) return null;
  return posix.resolve(cwd, p);
}

/** COPY/ADD sources and destination (JSON or plain form); null for --from copies and unresolvable ones. */
function copyOp(ins: Instruction, workdir: string | null): CopyOp | null {
  const args = ins.getArguments().map((a) => a.getValue());
  if (args.some((a) => /^--from(=|$)/i.test(a))) return null;
  const json = (ins as unknown as { getJSONStrings?(): { getJSONValue(): string }[] }).getJSONStrings?.() ?? [];
  const words = json.length ? json.map((j) => j.getJSONValue()) : args.filter((a) => !a.startsWith('--'));
  if (words.length < 2) return null;
  const destRaw = words[words.length - 1] as string;
  const sources = words.slice(0, -1).filter((s) => !/^[a-z]+:\/\//i.test(s) && !s.includes('$'));
  const dest = resolvePath(workdir, destRaw);
  if (dest === null || sources.length === 0) return null;
  return { sources, dest, destIsDir: destRaw.endsWith('/') || words.length > 2 };
}

/** The working directory of `cmd`: `base` changed by earlier `cd <literal>` commands in scope. */
function cwdOf(commands: readonly SimpleCommand[], cmd: SimpleCommand, base: string | null): string | null {
  const scope = (n: ShellNode) => ancestors(n).find((a) => a.kind === 'subshell' || a.kind === 'substitution') ?? null;
  const cmdScopes = new Set<ShellNode | null>([null, ...ancestors(cmd).filter((a) => a.kind === 'subshell' || a.kind === 'substitution')]);
  let cwd = base;
  for (const c of commands) {
    if (c === cmd || c.range.start >= cmd.range.start) break;
    if (c.name?.value !== 'cd' || !cmdScopes.has(scope(c))) continue;
    const dirs = c.args.filter((a) => a.value === null || !isFlag(a.value));
    cwd = dirs.length === 1 ? resolvePath(cwd, dirs[0]?.value) : null;
  }
  return cwd;
}

interface Plan {
  /** The Dockerfile's absolute path, and its directory: the build context. */
  dockerfile: string;
  contextDir: string;
  sites: Site[];
}

/** The plan of a parsed Dockerfile, made once (lookup rounds and the run share it); null until the shell parser is loaded. */
function plan(file: ParsedDockerfile): Plan | null {
  if (!file.absPath || !shellLoaded()) return null;
  return planOf(file);
}

/** Walk the stages: install commands with the context paths that would give them a lockfile. */
const planOf = derived((file: ParsedDockerfile): Plan | null => {
  if (!file.absPath) return null;
  const contextDir = dirname(file.absPath);
  const ast: Dockerfile = file.ast;
  const stages: Stage[] = [];
  let stage: Stage | null = null;
  const sites: Site[] = [];
  for (const ins of ast.getInstructions()) {
    const kw = ins.getKeyword().toUpperCase();
    if (kw === 'FROM') {
      const args = ins.getArguments().map((a) => a.getValue());
      const image = args.find((a) => !a.startsWith('--'))?.toLowerCase();
      const asIdx = args.findIndex((a) => a.toLowerCase() === 'as');
      const parent = stages.find((s) => s.name !== null && s.name === image);
      stage = { name: asIdx >= 0 ? (args[asIdx + 1]?.toLowerCase() ?? null) : null, workdir: parent?.workdir ?? '/', copies: [...(parent?.copies ?? [])] };
      stages.push(stage);
      continue;
    }
    if (!stage) continue;
    if (kw === 'WORKDIR') stage.workdir = resolvePath(stage.workdir, ins.getArgumentsContent()?.trim());
    else if (kw === 'COPY' || kw === 'ADD') {
      const op = copyOp(ins, stage.workdir);
      if (op) stage.copies.push(op);
    } else if (kw === 'RUN') {
      const rs = runScript(file, ins);
      // No `npm`, `yarn` or `pnpm` in its text: no install command to find, and no need to parse it.
      if (!rs || !mayMention(rs.script, INSTALLERS)) continue;
      const commands = tryParseScript(rs)?.commands;
      if (!commands) continue;
      for (const cmd of commands) {
        const inst = classify(cmd);
        if (!inst) continue;
        const cwd = cwdOf(commands, cmd, stage.workdir);
        if (cwd === null) continue;
        const candidates = LOCKFILES[inst.tool].flatMap((lock) => stage!.copies.flatMap((c) => sourcesFor(c, posix.join(cwd, lock))));
        sites.push({ ...inst, cmd, rs, candidates: [...new Set(candidates)] });
      }
    }
  }
  return { dockerfile: file.absPath, contextDir, sites };
});

const fileKey = (path: string): KeyOf<'file'> => ({ kind: 'file', path });
const dirKey = (path: string): KeyOf<'dir'> => ({ kind: 'dir', path });

function fileText(answers: Answers, path: string): string | undefined {
  const a = answers.get(fileKey(path));
  return isOk(a) && a.ok.exists ? (a.ok.text ?? '') : undefined;
}

function packageManagerMajor(pkgText: string | undefined): number | null {
  if (!pkgText) return null;
  try {
    const pm = (JSON.parse(pkgText) as { packageManager?: unknown }).packageManager;
    const m = typeof pm === 'string' ? /^yarn@(\d+)/.exec(pm) : null;
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const TOOL_CMD: Record<Tool, string> = { npm: 'npm install', yarn: 'yarn install', pnpm: 'pnpm install' };

export const npmInstallToCi = defineCodemod({
  id: 'npm-install-to-ci',
  fileKinds: ['dockerfile'],
  summary: 'Install exactly the lockfile: npm install → npm ci, yarn/pnpm install → frozen lockfile.',
  safety: 'safe',
  severity: 'warning',
  sources: ['hadolint:DL3016', 'seed:001'],
  docs: `## What it does
Finds \`RUN npm install\` (no package arguments), \`RUN yarn\` / \`yarn install\` and \`RUN pnpm install\` and, when the
lockfile is copied into the image earlier in the same stage, makes the install lockfile-exact:

- \`npm install\` → \`npm ci\` (with \`package-lock.json\` or \`npm-shrinkwrap.json\`); \`--production\` and
  \`--only=prod[uction]\` become \`--omit=dev\`.
- \`yarn install\` → \`yarn install --frozen-lockfile\` (yarn v1), or \`--immutable\` for yarn berry (a \`.yarnrc.yml\`
  in the build context, or \`"packageManager": "yarn@2+"\` in package.json).
- \`pnpm install\` → \`pnpm install --frozen-lockfile\` (with \`pnpm-lock.yaml\`).

The lockfile must reach the install's directory: \`COPY\`/\`ADD\` sources (\`COPY . .\`, \`COPY package*.json ./\`,
globs, directories) are followed into the image, relative to \`WORKDIR\` and to \`cd dir &&\` earlier in the same RUN,
and checked against the build context (the Dockerfile's directory) and its ignore file: \`<Dockerfile-name>.dockerignore\`
beside the Dockerfile when there is one (BuildKit's Dockerfile-specific file, e.g. \`Dockerfile.dockerignore\`), else
\`.dockerignore\`, with Docker's rules (\`**\`, \`!\` exceptions, the last matching line wins). A lockfile the ignore
file excludes is not copied: \`npm ci\` would fail without it, so the install is reported with that reason
("package-lock.json is excluded by .dockerignore") and left alone. \`COPY --from\` copies
do not count; a stage built \`FROM\` an earlier stage inherits what that stage copied. Without a lockfile it reports
the install and changes nothing. \`npm install <pkg>\` and global installs are left alone.

## Why
\`npm install\` resolves version ranges again and may rewrite the lockfile, so two builds of the same commit can install
different dependency trees (hadolint DL3016 asks for pinned versions for the same reason). \`npm ci\` installs exactly
what the lockfile pins and fails if package.json and the lockfile disagree; the yarn and pnpm flags do the same.

## Example
\`\`\`dockerfile
COPY package.json package-lock.json ./
RUN npm install --production
\`\`\`
becomes
\`\`\`dockerfile
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
\`\`\`

## Fix safety
Safe: with the lockfile in place, the install gets the locked versions instead of fresh resolutions. A build whose
lockfile is out of date with package.json now fails loudly instead of silently installing something else; that is
the point. Only the subcommand and flag words change; continuations, flags like \`--mount=type=cache\` and every other
byte stay as they are.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file) {
    const p = plan(file);
    if (!p || p.sites.length === 0) return [];
    const keys: LookupKey[] = [dirKey(p.contextDir), ...dockerignoreKeys(p.dockerfile, p.contextDir), fileKey(join(p.contextDir, 'package.json'))];
    for (const s of p.sites) {
      for (const c of s.candidates) {
        keys.push(fileKey(join(p.contextDir, c)));
        if (s.tool === 'yarn') keys.push(fileKey(join(p.contextDir, dirname(c), 'package.json')), fileKey(join(p.contextDir, dirname(c), '.yarnrc.yml')));
      }
    }
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    const p = plan(file);
    if (!p) return;
    const { contextDir } = p;
    const listing = ctx.answers.get(dirKey(contextDir));
    if (!isOk(listing) || !listing.ok.exists) return; // no context to check: say nothing
    // The build context's ignore file: a lockfile it excludes never reaches the image (and `npm ci` would fail).
    const ignore = contextIgnore(ctx.answers, p.dockerfile, contextDir);
    const exists = (rel: string) => {
      const a = ctx.answers.get(fileKey(join(contextDir, rel)));
      return isOk(a) && a.ok.exists;
    };
    for (const s of p.sites) {
      const range = s.rs.toFileRange(s.cmd.range);
      const inContext = s.candidates.filter(exists);
      const lock = inContext.find((c) => !ignore?.excludes(c));
      const what = s.tool === 'npm' ? 'npm install' : TOOL_CMD[s.tool];
      if (!lock) {
        const excluded = ignore ? [...new Set(inContext.map((c) => posix.normalize(c)))] : [];
        const reason = ignore && excluded.length
          ? `: ${excluded.join(' and ')} ${excluded.length > 1 ? 'are' : 'is'} excluded by ${ignore.source}, so each build resolves dependency versions anew`
          : ': each build resolves dependency versions anew';
        ctx.report({
          range,
          message: `no lockfile copied before \`${what}\` (${LOCKFILES[s.tool].join(' or ')})${reason}`,
          ...(ignore && excluded.length ? { data: { tool: s.tool, excludedBy: ignore.source, excluded } } : {}),
        });
        continue;
      }
      const lockName = posix.basename(lock);
      const edits: Edit[] = [];
      let message: string;
      let title: string;
      if (s.tool === 'npm') {
        edits.push(replace(s.rs.toFileRange(s.anchor.range), 'ci'));
        for (const f of s.prodFlags) edits.push(replace(s.rs.toFileRange(f.range), '--omit=dev'));
        title = 'Use npm ci';
        message = `\`npm install\` may re-resolve versions and rewrite ${lockName}; \`npm ci\` installs exactly what ${lockName} pins${s.prodFlags.length ? ' (--omit=dev replaces the deprecated production flag)' : ''}`;
      } else {
        let flag = '--frozen-lockfile';
        if (s.tool === 'yarn') {
          const dir = dirname(lock);
          const berry =
            fileText(ctx.answers, join(contextDir, dir, '.yarnrc.yml')) !== undefined ||
            (dir === '.' && listing.ok.entries.includes('.yarnrc.yml')) ||
            (packageManagerMajor(fileText(ctx.answers, join(contextDir, dir, 'package.json'))) ?? 1) >= 2 ||
            (packageManagerMajor(fileText(ctx.answers, join(contextDir, 'package.json'))) ?? 1) >= 2;
          if (berry) flag = '--immutable';
        }
        edits.push(insertAt(s.rs.toFileOffset(s.anchor.range.end, 'end'), ` ${flag}`));
        title = `Add ${flag}`;
        message = `\`${s.tool} install\` may re-resolve versions and rewrite ${lockName}; ${flag} installs exactly what ${lockName} pins`;
      }
      ctx.report({ range, message, fix: fix(title, 'safe', edits), data: { tool: s.tool, lockfile: lock } });
    }
  },
});
