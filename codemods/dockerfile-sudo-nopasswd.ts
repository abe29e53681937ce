/**
 * dockerfile-sudo-nopasswd: privilege-escalation paths baked into the final image (seed 002):
 * - a sudoers rule granting `NOPASSWD: ALL` (written by echo/printf/cat/tee/sed into /etc/sudoers or /etc/sudoers.d/…),
 * - a user added to the `docker` group (`usermod -aG docker`, `gpasswd -a u docker`, `adduser u docker`, `useradd -G docker`),
 * - `chmod` making the Docker socket writable by others (`666`, `o+w`, `a+rw`),
 * - `sudo` installed in the final stage.
 * Only the final stage (and the stages it is built FROM) counts: a builder stage's sudo never ships.
 * Report only: removing them changes what the image can do, and the owner must decide.
 */
import type { Codemod, ParsedDockerfile } from '../src/engine/types.js';
import { staged } from '../src/dockerfile/instructions.js';
import { runScript } from '../src/dockerfile/run-script.js';
import { enclosingStatement, loadShell, shellLoaded, tryParseScript, walk, type ShellScript, type SimpleCommand, type Word } from '../src/shell/index.js';

const MANUAL = { title: 'remove the escalation path by hand', safety: 'manual' as const, edits: [] };

const NOPASSWD_ALL = /NOPASSWD\s*:\s*ALL\b/;
const SUDOERS = /^\/etc\/sudoers(?:$|\.d\/)/;
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

function hits(script: ShellScript, finalStage: boolean): Hit[] {
  const out: Hit[] = [];
  const seenStatements = new Set<unknown>();
  for (const cmd of script.commands) {
    // sudoers NOPASSWD: ALL, judged per statement (`echo … | tee /etc/sudoers.d/x`, `printf … > /etc/sudoers.d/x`).
    const stmt = enclosingStatement(cmd);
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
          message: `sudoers rule with NOPASSWD: ALL written to ${file}: any process running as that user (or anyone who gets code execution in it) becomes root without a password, which undoes running as non-root. Grant only the commands needed, or drop sudo from the image`,
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

export const dockerfileSudoNopasswd: Codemod = {
  id: 'dockerfile-sudo-nopasswd',
  fileKinds: ['dockerfile'],
  summary: 'Report passwordless sudo, docker group membership, a world-writable docker.sock and sudo in the final image.',
  safety: 'manual',
  severity: 'error',
  sources: ['seed:002'],
  docs: `## What it does
Reports, in the RUN instructions of the final stage (and of the stages it is built \`FROM\`, which end up in the
same image):

- a sudoers rule granting \`NOPASSWD: ALL\` written to \`/etc/sudoers\` or \`/etc/sudoers.d/…\`, whatever writes it
  (\`echo … >\`, \`printf … >\`, \`… | tee\`, \`cat <<EOF >\`, \`sed -i\`);
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
is reported twice: the sudoers rule, and the docker group membership.

## Fix safety
Manual: no fix is offered. The escalation may be intended (as in seed 002, where it is the point of the image); it
then belongs in a separate, clearly named image, and the finding can be silenced with
\`# harden-ignore dockerfile-sudo-nopasswd <reason>\`.
`,
  async prepare() {
    await loadShell();
  },
  run(ctx) {
    const file = ctx.file;
    if (file.kind !== 'dockerfile' || !shellLoaded()) return;
    const sf = staged(file as ParsedDockerfile);
    if (sf.stages.length === 0) return;
    const final = sf.stages.length - 1;
    for (const i of sf.chain(final)) {
      if (i.kw !== 'RUN') continue;
      const rs = runScript(file, i.ins);
      if (!rs) continue;
      const script = tryParseScript(rs.script);
      if (!script) continue;
      for (const h of hits(script, true)) {
        ctx.report({ range: rs.toFileRange(h.cmd.range), message: h.message, fix: MANUAL, data: { kind: h.kind } });
      }
    }
  },
};
