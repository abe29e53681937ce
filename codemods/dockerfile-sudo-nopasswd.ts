/**
 * dockerfile-sudo-nopasswd: privilege-escalation paths baked into the final image (seed 002):
 * - a sudoers rule granting `NOPASSWD: ALL` (written by echo/printf/cat/tee/sed into /etc/sudoers or /etc/sudoers.d/…,
 *   or in a build-context file that COPY/ADD puts there: read through `file`/`dir` lookups, reported at the COPY;
 *   files the context's .dockerignore excludes never get there),
 * - a user added to the `docker` group (`usermod -aG docker`, `gpasswd -a u docker`, `adduser u docker`, `useradd -G docker`),
 * - `chmod` making the Docker socket writable by others (`666`, `o+w`, `a+rw`),
 * - `sudo` installed in the final stage.
 * Only the final stage (and the stages it is built FROM) counts: a builder stage's sudo never ships.
 * Report only: removing them changes what the image can do, and the owner must decide.
 */
import { defineCodemod } from '../src/engine/define.js';
import { derived } from '../src/engine/derive.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { dirname, join, posix } from 'node:path';
import picomatch from 'picomatch';
import { isOk, type KeyOf } from '../src/engine/lookups.js';
import type { Answers, FileAnswer, LookupKey, ParsedDockerfile, Range } from '../src/engine/types.js';
import { contextIgnore, dockerignoreKeys } from '../src/dockerfile/dockerignore.js';
import { staged, type Ins } from '../src/dockerfile/instructions.js';
import { toRange } from '../src/dockerfile/stages.js';
import { runScript } from '../src/dockerfile/run-script.js';
import { enclosingStatement, loadShell, mayMention, shellLoaded, tryParseScript, walk, type ShellScript, type SimpleCommand, type Word } from '../src/shell/index.js';

const MANUAL = { title: 'remove the escalation path by hand', safety: 'manual' as const, edits: [] };

/** `NOPASSWD: ALL`, also with other tags between (`NOPASSWD:SETENV: ALL`). */
const NOPASSWD_ALL = /NOPASSWD\s*:(?:\s*[A-Z_]+\s*:)*\s*ALL\b/;
/** `Defaults !authenticate` (also `Defaults:user …`): no sudo rule asks for a password, NOPASSWD or not. */
const NO_AUTHENTICATE = /(?:^|\n)\s*Defaults\b[^\n]*!\s*authenticate\b/;
const SUDOERS = /^\/etc\/sudoers(?:$|\.d\/)/;
const NOPASSWD_WHY =
  'any process running as that user (or anyone who gets code execution in it) becomes root without a password, which undoes running as non-root. Grant only the commands needed, or drop sudo from the image';
const DOCKER_SOCK = /(^|\/)docker\.sock$/;

/** Install commands and the index of their first package argument. */
function installedPackages(cmd: SimpleCommand): string[] {
  const name = cmd.name?.value;
  const args = cmd.args.map((a) => a.value ?? '');
  const after = (subs: string[]) => {
    const i = args.findIndex((a) => subs.includes(a));
    return i < 0 ? [] : args.slice(i + 1).filter((a) => !a.startsWith('-'));
  };
  switch (name) {
    case 'apt-get':
    case 'apt':
    case 'aptitude':
      return after(['install']);
    case 'apk':
      return after(['add']);
    case 'yum':
    case 'dnf':
    case 'microdnf':
    case 'tdnf':
    case 'zypper':
      return after(['install', 'in']);
    default:
      return [];
  }
}

/** The groups a user-management command adds someone to (`docker` in `usermod -aG docker,wheel u`). */
function addedGroups(cmd: SimpleCommand): string[] {
  const name = cmd.name?.value;
  const args = cmd.args.map((a) => a.value ?? '');
  const groupsFlag = (flags: string[]) => {
    const out: string[] = [];
    args.forEach((a, i) => {
      const m = /^--groups=(.*)$/.exec(a) ?? /^-[a-zA-Z]*G(.+)$/.exec(a);
      if (m?.[1]) out.push(...m[1].split(','));
      else if (flags.includes(a) || /^-[a-zA-Z]*G$/.test(a)) out.push(...(args[i + 1] ?? '').split(','));
    });
    return out;
  };
  const positional = args.filter((a) => !a.startsWith('-'));
  switch (name) {
    case 'usermod':
    case 'useradd':
      return groupsFlag(['-G', '--groups', '--append-groups']);
    case 'gpasswd': {
      const i = args.findIndex((a) => a === '-a' || a === '--add');
      return i >= 0 && args[i + 2] ? [args[i + 2] as string] : [];
    }
    case 'adduser':
    case 'addgroup':
      // Debian `adduser user group` / BusyBox `addgroup user group`: two positionals.
      return positional.length === 2 && !args.some((a) => a === '--system' || a === '-S' || a === '--group') ? [positional[1] as string] : [];
    default:
      return [];
  }
}

/** Whether a chmod mode lets "others" write. */
function othersWritable(mode: string): boolean {
  if (/^[0-7]{3,4}$/.test(mode)) return ['2', '3', '6', '7'].includes(mode[mode.length - 1] as string);
  return mode.split(',').some((m) => /^[ao]*\+[rwxXst]*w/.test(m) || /^\+[rwx]*w/.test(m) || /^[ao]*=[rwxXst]*w/.test(m));
}

interface Hit {
  cmd: SimpleCommand;
  message: string;
  kind: string;
}

/**
 * Whether `hits` may find something in a script, from its text: sudoers rules and sudo installs spell `sudo`; the
 * docker group and socket spell `docker`, with a user-management command or chmod.
 */
function mayHit(script: string): boolean {
  return mayMention(script, ['sudo']) || (mayMention(script, ['docker']) && mayMention(script, ['usermod', 'useradd', 'gpasswd', 'adduser', 'addgroup', 'chmod']));
}

function hits(script: ShellScript, finalStage: boolean): Hit[] {
  const out: Hit[] = [];
  const seenStatements = new Set<unknown>();
  // A sudoers rule written by the script needs both words in it (quotes and backslashes aside: word values are
  // unquoted text of the script): without them no statement is walked.
  const literal = script.text.replace(/["'\\]/g, '');
  const writesRules = literal.includes('sudoers') && (literal.includes('NOPASSWD') || literal.includes('authenticate'));
  for (const cmd of script.commands) {
    // sudoers NOPASSWD: ALL, judged per statement (`echo … | tee /etc/sudoers.d/x`, `printf … > /etc/sudoers.d/x`).
    const stmt = writesRules ? enclosingStatement(cmd) : null;
    if (stmt && !seenStatements.has(stmt)) {
      seenStatements.add(stmt);
      const texts: string[] = [];
      const targets: string[] = [];
      walk(stmt, (n) => {
        if (n.kind === 'word') texts.push(n.value ?? n.raw);
        if (n.kind === 'redirect') {
          if (n.heredoc) texts.push(n.heredoc.body);
          if (n.op.includes('>')) targets.push(n.target.value ?? '');
        }
        if (n.kind === 'command' && (n.name?.value === 'tee' || n.name?.value === 'sed' || n.name?.value === 'cp' || n.name?.value === 'install')) {
          targets.push(...n.args.map((a: Word) => a.value ?? ''));
        }
      });
      if (texts.some((t) => NOPASSWD_ALL.test(t)) && targets.some((t) => SUDOERS.test(t))) {
        const file = targets.find((t) => SUDOERS.test(t));
        out.push({
          cmd,
          kind: 'sudoers-nopasswd-all',
          message: `sudoers rule with NOPASSWD: ALL written to ${file}: ${NOPASSWD_WHY}`,
        });
      }
      if (texts.some((t) => NO_AUTHENTICATE.test(t)) && targets.some((t) => SUDOERS.test(t))) {
        const file = targets.find((t) => SUDOERS.test(t));
        out.push({
          cmd,
          kind: 'sudoers-no-authenticate',
          message: `sudoers \`Defaults !authenticate\` written to ${file}: no sudo rule asks for a password any more, so ${NOPASSWD_WHY}`,
        });
      }
    }
    const name = cmd.name?.value;
    if (addedGroups(cmd).includes('docker')) {
      out.push({
        cmd,
        kind: 'docker-group',
        message: 'adds a user to the docker group: with the Docker socket mounted, that user can start a privileged container with the host filesystem mounted, i.e. it is root on the host. Keep the socket out of the container, or use a socket proxy that allows only the API calls needed',
      });
    }
    if (name === 'chmod') {
      const args = cmd.args.map((a) => a.value ?? '');
      const mode = args.find((a) => !a.startsWith('-') || /^-[rwxXst]/.test(a));
      if (mode && othersWritable(mode) && args.some((a) => DOCKER_SOCK.test(a))) {
        out.push({
          cmd,
          kind: 'docker-sock-chmod',
          message: `chmod ${mode} on the Docker socket: every user in the container can then drive the Docker daemon, which is root on the host`,
        });
      }
    }
    if (finalStage && installedPackages(cmd).some((p) => p === 'sudo' || /^sudo[=<>~]/.test(p))) {
      out.push({
        cmd,
        kind: 'sudo-installed',
        message: 'installs sudo in the final image: a container process should not be able to become root; run the steps that need root at build time (or in an entrypoint before dropping privileges) and leave sudo out',
      });
    }
  }
  return out;
}

// ---- sudoers files COPY'd/ADD'ed from the build context ----

const SUDOERS_FILE = '/etc/sudoers';
const SUDOERS_DIR = '/etc/sudoers.d';
/** Destinations that exist as directories in any image with sudo: a single source without a trailing `/` goes into them. */
const INTO_DIRS = new Set(['/', '/etc', SUDOERS_DIR]);
/** Local archives ADD unpacks instead of copying. */
const ARCHIVE = /\.(?:tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst|lz4)$/i;
const hasGlob = (s: string) => /[*?[]/.test(s);
/** `p` is `dir` or inside it. */
const within = (p: string, dir: string) => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

interface CopySource {
  /** Context-relative path as written, normalised ('.' for the context root). */
  rel: string;
  /** File range of the source argument. */
  range: Range;
}

interface CopyOp {
  sources: CopySource[];
  /** Absolute destination (WORKDIR applied). */
  dest: string;
  destIsDir: boolean;
}

/** A sudoers file from the build context that a COPY/ADD of the final image puts in place. */
interface CopiedSudoers {
  source: CopySource;
  /** Context-relative path of the file read. */
  path: string;
  /** Where it lands in the image. */
  target: string;
  text: string;
}

/** Local sources and the destination of a COPY/ADD; null for `--from`, `--parents`/`--exclude`, variables, heredocs. */
function copyOp(file: ParsedDockerfile, i: Ins, workdir: string | null, keep: (dest: string) => boolean): CopyOp | null {
  const ins = i.ins as Ins['ins'] & { getFlags?(): { getName(): string }[]; getJSONStrings?(): { getJSONValue(): string; getRange(): Parameters<typeof toRange>[1] }[] };
  // Every test only refuses: the destination (which most COPYs fail) is read first, flags and source ranges after.
  const json = ins.getJSONStrings?.() ?? [];
  const args = json.length ? undefined : ins.getArguments();
  const values = json.length ? json.map((j) => j.getJSONValue()) : (args ?? []).map((a) => a.getValue());
  if (values.length < 2 || values.some((v) => v.startsWith('<<'))) return null;
  const destRaw = values[values.length - 1] as string;
  if (destRaw.includes('$') || (workdir === null && !destRaw.startsWith('/'))) return null;
  const dest = posix.resolve(workdir ?? '/', destRaw);
  if (!keep(dest)) return null;
  if ((ins.getFlags?.() ?? []).some((f) => ['from', 'parents', 'exclude'].includes(f.getName().toLowerCase()))) return null;
  const words = json.length
    ? json.map((j) => ({ value: j.getJSONValue(), range: toRange(file.lineStarts, j.getRange()) }))
    : (args ?? []).map((a) => ({ value: a.getValue(), range: toRange(file.lineStarts, a.getRange()) }));
  const sources: CopySource[] = [];
  for (const w of words.slice(0, -1)) {
    if (w.value.includes('$') || /^[a-z][a-z0-9+.-]*:\/\/|^git@/i.test(w.value) || (i.kw === 'ADD' && ARCHIVE.test(w.value))) continue;
    const rel = posix.normalize(w.value.replace(/^\/+/, '') || '.').replace(/\/+$/, '') || '.';
    if (rel === '..' || rel.startsWith('../')) continue;
    sources.push({ rel, range: w.range });
  }
  return sources.length ? { sources, dest, destIsDir: /\/\.?$|^\.$/.test(destRaw) || words.length > 2 } : null;
}

/**
 * COPY/ADD instructions of the final image (the final stage and the stages it is built FROM), WORKDIR applied: once per
 * parse (every lookup round and the run ask), shared.
 */
const finalCopies = derived((file: ParsedDockerfile): readonly CopyOp[] => {
  const sf = staged(file);
  if (sf.stages.length === 0) return [];
  const out: CopyOp[] = [];
  let workdir: string | null = '/';
  for (const i of sf.chain(sf.stages.length - 1)) {
    if (i.kw === 'FROM' && sf.stages[i.stage]?.base.kind !== 'stage') workdir = '/';
    else if (i.kw === 'WORKDIR') {
      const w = i.ins.getArgumentsContent()?.trim();
      workdir = w && !w.includes('$') && workdir !== null ? posix.resolve(workdir, w) : null;
    } else if (i.kw === 'COPY' || i.kw === 'ADD') {
      const op = copyOp(file, i, workdir, (dest) => within(SUDOERS_FILE, dest) || within(SUDOERS_DIR, dest) || within(dest, SUDOERS_DIR));
      if (op) out.push(op);
    }
  }
  return out;
});

/**
 * The sudoers files the final image's COPY/ADD take from the build context (the Dockerfile's directory), and the
 * `file`/`dir` lookups still needed to know them: a source is read as a file, listed as a directory (its contents land
 * in the destination: `COPY rootfs/ /` puts rootfs/etc/sudoers.d/* in place), or, for a glob in its last component,
 * matched against its directory's listing. A file the context's ignore file (`<Dockerfile-name>.dockerignore`, else
 * `.dockerignore`) excludes never reaches the image, so it is not read.
 */
function copiedSudoers(file: ParsedDockerfile, answers: Answers): { keys: LookupKey[]; found: CopiedSudoers[] } {
  const keys: LookupKey[] = [];
  const found: CopiedSudoers[] = [];
  if (!file.absPath) return { keys, found };
  const copies = finalCopies(file);
  if (copies.length === 0) return { keys, found };
  const contextDir = dirname(file.absPath);
  keys.push(...dockerignoreKeys(file.absPath, contextDir));
  const ignore = contextIgnore(answers, file.absPath, contextDir);
  const readFile = (rel: string): FileAnswer | undefined => {
    const key: KeyOf<'file'> = { kind: 'file', path: join(contextDir, rel) };
    keys.push(key);
    const a = answers.get(key);
    return isOk(a) && a.ok.exists ? a.ok : undefined;
  };
  const listDir = (rel: string): readonly string[] | undefined => {
    const key: KeyOf<'dir'> = { kind: 'dir', path: join(contextDir, rel) };
    keys.push(key);
    const a = answers.get(key);
    return isOk(a) && a.ok.exists ? a.ok.entries : undefined;
  };
  const addFile = (source: CopySource, path: string, target: string) => {
    if (!SUDOERS.test(target) || ignore?.excludes(path)) return;
    const text = readFile(path)?.text;
    if (text !== undefined) found.push({ source, path, target, text });
  };
  // A directory's contents land in `dest`.
  const addDir = (source: CopySource, path: string, dest: string) => {
    if (within(SUDOERS_FILE, dest) && dest !== SUDOERS_FILE) addFile(source, posix.join(path, posix.relative(dest, SUDOERS_FILE)), SUDOERS_FILE);
    if (!within(SUDOERS_DIR, dest)) return;
    const sub = posix.join(path, posix.relative(dest, SUDOERS_DIR));
    for (const e of listDir(sub) ?? []) if (!e.endsWith('/')) addFile(source, posix.join(sub, e), posix.join(SUDOERS_DIR, e));
  };
  for (const op of copies) {
    for (const src of op.sources) {
      const base = posix.basename(src.rel);
      if (hasGlob(posix.dirname(src.rel))) continue;
      if (hasGlob(base)) {
        const parent = posix.dirname(src.rel);
        // What a matching entry could add: a file lands at dest/name, a sudoers path only when dest is /etc (the name
        // `sudoers`) or in /etc/sudoers.d (any name, entry names holding no `/`); a directory only as addDir allows.
        // Entries that could add nothing are not matched against the pattern at all.
        const fileMay = SUDOERS.test(posix.join(op.dest, 'sudoers')) || SUDOERS.test(posix.join(op.dest, 'x'));
        const dirMay = (within(SUDOERS_FILE, op.dest) && op.dest !== SUDOERS_FILE) || within(SUDOERS_DIR, op.dest);
        let match: ((name: string) => boolean) | undefined;
        for (const e of listDir(parent) ?? []) {
          if (!(e.endsWith('/') ? dirMay : fileMay)) continue;
          const name = e.replace(/\/$/, '');
          if (!(match ??= picomatch(base, { dot: true }))(name)) continue;
          if (e.endsWith('/')) addDir(src, posix.join(parent, name), op.dest);
          else addFile(src, posix.join(parent, name), posix.join(op.dest, name));
        }
        continue;
      }
      const into = op.destIsDir || INTO_DIRS.has(op.dest);
      if (src.rel !== '.') addFile(src, src.rel, into ? posix.join(op.dest, base) : op.dest);
      if ((within(SUDOERS_FILE, op.dest) && op.dest !== SUDOERS_FILE) || within(SUDOERS_DIR, op.dest)) {
        if (listDir(src.rel)) addDir(src, src.rel, op.dest);
      }
    }
  }
  return { keys, found };
}

/**
 * Passwordless grants of a sudoers file (`NOPASSWD: ALL` rules and `Defaults !authenticate`): 1-based line and the
 * rule, skipping comments, joining `\` continuations.
 */
export function nopasswdAllRules(text: string): { line: number; rule: string }[] {
  const lines = text.split(/\r?\n/);
  const out: { line: number; rule: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let logical = lines[i] as string;
    while (logical.endsWith('\\') && i + 1 < lines.length) logical = `${logical.slice(0, -1)} ${lines[++i] as string}`;
    // `#` starts a comment, except in a uid (`#1000`, `(#0)`); `#include`/`#includedir` lines carry no rule.
    const rule = logical.replace(/#(?!\d).*$/, '').replace(/\s+/g, ' ').trim();
    if (NOPASSWD_ALL.test(rule) || NO_AUTHENTICATE.test(rule)) out.push({ line: first + 1, rule });
  }
  return out;
}

export const dockerfileSudoNopasswd = defineCodemod({
  id: 'dockerfile-sudo-nopasswd',
  fileKinds: ['dockerfile'],
  summary: 'Report passwordless sudo, docker group membership, a world-writable docker.sock and sudo in the final image.',
  safety: 'manual',
  roles: PRODUCTION_ONLY,
  severity: 'error',
  sources: ['seed:002'],
  securitySeverity: 7.0,
  docs: `## What it does
Reports, in the RUN (and COPY/ADD) instructions of the final stage (and of the stages it is built \`FROM\`, which
end up in the same image):

- a sudoers rule granting \`NOPASSWD: ALL\` (other tags may sit between: \`NOPASSWD:SETENV: ALL\`) written to
  \`/etc/sudoers\` or \`/etc/sudoers.d/…\`, whatever writes it (\`echo … >\`, \`printf … >\`, \`… | tee\`,
  \`cat <<EOF >\`, \`sed -i\`), and likewise \`Defaults !authenticate\` (also \`Defaults:user !authenticate\`), which
  makes every rule passwordless;
- the same rules in a build-context file that \`COPY\`/\`ADD\` puts there: \`COPY sudoers /etc/sudoers.d/agent\`,
  \`COPY agent ops /etc/sudoers.d/\`, \`COPY sudoers.d/* /etc/sudoers.d/\`, \`COPY rootfs/ /\` (a directory's
  \`etc/sudoers\` and \`etc/sudoers.d/*\`), relative destinations under \`WORKDIR\`. The file is read from the build
  context (the Dockerfile's directory) and the finding, at the COPY's source argument, names the file and the line of
  the rule in it. A file the build context's ignore file excludes is not copied, so not reported:
  \`<Dockerfile-name>.dockerignore\` beside the Dockerfile when there is one (e.g. \`Dockerfile.dockerignore\`), else
  \`.dockerignore\`, with Docker's rules (\`**\`, \`!\` exceptions, the last matching line wins). Comments (\`# …\`, but not a \`#1000\` uid) and \`\\\` continuations are understood. A file landing
  in \`/etc/sudoers.d/\` under a name containing a \`.\` or ending in \`~\` is reported as a warning: sudo's
  \`@includedir\` skips it, so the grant is inert until it is renamed or included by name. \`COPY --from=…\`,
  heredoc \`COPY <<EOF\`, sources or destinations with variables, archives \`ADD\` unpacks and files missing from
  the context are not read;
- a user added to the \`docker\` group: \`usermod -aG docker u\`, \`usermod -G docker,wheel u\`, \`gpasswd -a u docker\`,
  \`adduser u docker\`, \`addgroup u docker\`, \`useradd -G docker u\`;
- \`chmod\` making the Docker socket writable by others (\`666\`, \`777\`, \`o+w\`, \`a+rw\`);
- \`sudo\` installed by apt-get/apt/apk/yum/dnf/microdnf/zypper.

Scripts are parsed (tree-sitter-bash), so quoting, continuations and heredocs do not hide anything, and text in
comments or unrelated strings does not count. Builder stages that do not reach the final image are ignored.

## Why
Each of these is a path from the unprivileged user to root: passwordless sudo is root on demand; the docker group
(with the socket mounted) is root on the HOST, since it can start a privileged container mounting \`/\`; a
world-writable socket extends that to every user. Running as a non-root user means nothing while one of them is in
the image. Seed 002 shipped all of them at once ("T4 escalation leg").

## Example
\`\`\`dockerfile
RUN set -eux; \\
    printf 'agent ALL=(ALL) NOPASSWD:ALL\\n' > /etc/sudoers.d/agent; \\
    usermod -aG docker agent
\`\`\`
is reported twice: the sudoers rule, and the docker group membership. With a \`sudoers\` file in the build context
holding \`agent ALL=(ALL) NOPASSWD: ALL\` on its line 4,
\`\`\`dockerfile
COPY sudoers /etc/sudoers.d/agent
\`\`\`
is reported at the COPY: "sudoers rule with NOPASSWD: ALL in sudoers line 4 (\`agent ALL=(ALL) NOPASSWD: ALL\`), copied
to /etc/sudoers.d/agent: …".

## Fix safety
Manual: no fix is offered. The escalation may be intended (as in seed 002, where it is the point of the image); it
then belongs in a separate, clearly named image, and the finding can be silenced with
\`# harden-ignore dockerfile-sudo-nopasswd <reason>\`.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, _global, answers) {
    return copiedSudoers(file, answers).keys;
  },
  run(ctx) {
    const file = ctx.file;
    for (const c of copiedSudoers(file, ctx.answers).found) {
      // sudo's `@includedir /etc/sudoers.d` skips names containing `.` or ending in `~` (only an explicit @include reads them).
      const name = posix.basename(c.target);
      const skipped = posix.dirname(c.target) === SUDOERS_DIR && (name.includes('.') || name.endsWith('~'));
      for (const r of nopasswdAllRules(c.text)) {
        const rule = r.rule.length > 80 ? `${r.rule.slice(0, 77)}...` : r.rule;
        const what = NO_AUTHENTICATE.test(r.rule) ? 'sudoers `Defaults !authenticate` (no rule asks for a password)' : 'sudoers rule with NOPASSWD: ALL';
        ctx.report({
          range: c.source.range,
          message: skipped
            ? `${what} in ${c.path} line ${r.line} (\`${rule}\`), copied to ${c.target}: inert for now (sudo's @includedir skips names containing a \`.\` or ending in \`~\`), but an @include or a rename turns it on; remove it`
            : `${what} in ${c.path} line ${r.line} (\`${rule}\`), copied to ${c.target}: ${NOPASSWD_WHY}`,
          ...(skipped ? { severity: 'warning' as const } : {}),
          fix: MANUAL,
          data: { kind: 'sudoers-nopasswd-all', file: c.path, line: r.line, target: c.target },
        });
      }
    }
    if (!shellLoaded()) return;
    const sf = staged(file);
    if (sf.stages.length === 0) return;
    const final = sf.stages.length - 1;
    for (const i of sf.chain(final)) {
      if (i.kw !== 'RUN') continue;
      const rs = runScript(file, i.ins);
      if (!rs || !mayHit(rs.script)) continue;
      const script = tryParseScript(rs);
      if (!script) continue;
      for (const h of hits(script, true)) {
        ctx.report({ range: rs.toFileRange(h.cmd.range), message: h.message, fix: MANUAL, data: { kind: h.kind } });
      }
    }
  },
});
