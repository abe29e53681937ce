/**
 * dockerfile-non-root-user: the final stage runs as root (no USER anywhere in its chain of stages and a base image that
 * runs as root, or a last USER of root/0) → create a system user with a fixed uid/gid in the distribution's own syntax
 * and switch to it before CMD/ENTRYPOINT; reuse a non-root user the image already has (node's `node`, a user the
 * Dockerfile created). Manual findings where that fix would be wrong: an entrypoint that drops privileges itself
 * (gosu, su-exec, setpriv, s6…), server images whose entrypoint needs root to start, Windows images, and bases whose
 * distribution is unknown.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { dirname, join, posix } from 'node:path';
import { fix, insertAt } from '../src/engine/edits.js';
import { isOk, lookupKey, type KeyOf } from '../src/engine/lookups.js';
import type {
  Answers,
  Edit,
  GlobalSettings,
  LookupKey,
  ParsedDockerfile,
  ParsedFile,
  Range,
} from '../src/engine/types.js';
import { buildingServicesData } from '../src/compose/build-mounts.js';
import { inlineScripts, readScript } from '../src/evidence/index.js';
import { imageFileKey, OS_RELEASE_PATHS, releaseLookups, stageTarget } from '../src/dockerfile/base-release.js';
import { detectDistro, detectDistroFromFile, type Distro } from '../src/dockerfile/distro.js';
import { stageBaseImage } from '../src/dockerfile/images.js';
import { shortRepository } from '../src/images/reference.js';
import { execForm, isRootUser, staged, userOf, type Ins, type StagedFile } from '../src/dockerfile/instructions.js';
import { runScript } from '../src/dockerfile/run-script.js';
import { loadShell, shellLoaded, tryParseScript } from '../src/shell/index.js';

const MANUAL = { title: 'run as a non-root user by hand', safety: 'manual' as const, edits: [] };

/** Commands that switch to another user themselves: the entrypoint starts as root on purpose. */
const DROPPERS = ['gosu', 'su-exec', 'setpriv', 's6-setuidgid', 's6-applyuidgid', 'chpst', 'runuser', 'setuidgid', 'suexec'];
const DROPPER_RE = new RegExp(`(?:^|[\\s/;&|"'(\`])(${DROPPERS.join('|')})(?=[\\s;&|"')]|$)`, 'm');
/** Packages providing those (or s6-overlay's /init). */
const DROPPER_PACKAGES = /^(gosu|su-exec|s6|s6-overlay|runit|util-linux-setpriv|setpriv|daemontools)(?:$|[=<>~@])/;

/** Images that run as a non-root user by default (their config sets USER). */
function nonRootByDefault(ref: string, d: Distro): string | null {
  const { name, tag = '' } = lowerShort(ref);
  if (d.family === 'distroless' && name.includes('distroless') && /nonroot/.test(tag)) return 'nonroot';
  if (name.startsWith('cgr.dev/chainguard/') && !/(^|-)dev$/.test(tag)) return 'nonroot';
  if (name.startsWith('bitnami/')) return '1001';
  if (name === 'nginxinc/nginx-unprivileged') return 'nginx';
  if (name === 'jenkins/jenkins' || name === 'jenkins/inbound-agent') return 'jenkins';
  if (name.startsWith('jupyter/') || name.startsWith('quay.io/jupyter/')) return 'jovyan';
  if (/rootless/.test(tag)) return 'rootless';
  return null;
}

/** Images whose own entrypoint starts as root on purpose (drops privileges, or binds low ports then drops). */
const ROOT_ENTRYPOINT_IMAGES = new Set([
  'postgres', 'postgis/postgis', 'redis', 'mysql', 'mariadb', 'mongo', 'rabbitmq', 'cassandra', 'couchdb', 'memcached',
  'wordpress', 'nextcloud', 'drupal', 'joomla', 'ghost', 'httpd', 'nginx', 'haproxy', 'elasticsearch', 'influxdb', 'neo4j',
  'zookeeper', 'solr', 'redmine', 'odoo', 'matomo', 'owncloud', 'sonarqube', 'gitlab/gitlab-ce', 'linuxserver',
]);

/** A named non-root user the image already has, meant for running applications. */
function knownImageUser(ref: string, d: Distro): string | null {
  const { name, tag = '' } = lowerShort(ref);
  if (name === 'node') return 'node';
  if (name === 'oven/bun') return 'bun';
  if (name === 'denoland/deno') return 'deno';
  if (name.startsWith('mcr.microsoft.com/dotnet/') && /^(\d+)/.test(tag) && Number(/^(\d+)/.exec(tag)?.[1]) >= 8) return 'app';
  if (d.family === 'distroless' && name.includes('distroless')) return '65532:65532';
  if (name.startsWith('cgr.dev/chainguard/')) return '65532:65532';
  return null;
}

function baseName(ref: string): string {
  return shortRepository(ref).name;
}

/** The image's short name and its tag, lower-cased for matching. */
function lowerShort(ref: string): { name: string; tag?: string } {
  const r = shortRepository(ref);
  return r.tag !== undefined ? { name: r.name, tag: r.tag.toLowerCase() } : r;
}

interface Options {
  uid: number;
  gid: number;
  name: string;
}

function options(o: Readonly<Record<string, unknown>>): Options {
  const uid = Number.isInteger(o.uid) && (o.uid as number) > 0 ? (o.uid as number) : 10001;
  const gid = Number.isInteger(o.gid) && (o.gid as number) > 0 ? (o.gid as number) : uid;
  const name = typeof o.name === 'string' && /^[a-z_][a-z0-9_-]{0,30}$/.test(o.name) ? o.name : 'app';
  return { uid, gid, name };
}

/** Users created by useradd/adduser in these RUN scripts, in order. */
function createdUsers(file: ParsedDockerfile, runs: readonly Ins[]): string[] {
  const out: string[] = [];
  const VALUE = new Set([
    '-u', '--uid', '-g', '--gid', '-G', '--groups', '-d', '--home', '--home-dir', '-s', '--shell', '-c', '--comment', '--gecos',
    '-k', '--skel', '-K', '--key', '-e', '--expiredate', '-f', '--inactive', '-p', '--password', '-R', '--root', '-P', '--prefix',
    '-Z', '--selinux-user', '-h', '--ingroup', '--firstuid', '--lastuid', '--conf',
  ]);
  for (const i of runs) {
    if (!shellLoaded()) break;
    const rs = runScript(file, i.ins);
    if (!rs) continue;
    const cmds = tryParseScript(rs)?.commands;
    if (!cmds) continue;
    for (const c of cmds) {
      const n = c.name?.value;
      if (n !== 'useradd' && n !== 'adduser') continue;
      const pos: string[] = [];
      for (let k = 0; k < c.args.length; k++) {
        const v = c.args[k]?.value;
        if (v == null) {
          pos.push('');
          continue;
        }
        if (v.startsWith('-')) {
          // BusyBox adduser: -h -g -s -G -u -k take values; shadow: see VALUE. `-u1000` style carries its value.
          if (VALUE.has(v) || (n === 'adduser' && /^-[hgsGuk]$/.test(v))) k++;
          continue;
        }
        pos.push(v);
      }
      const user = n === 'useradd' ? pos[pos.length - 1] : pos[0];
      if (user && !isRootUser(user)) out.push(user);
    }
  }
  return out;
}

/** Where the new lines go: before the comment lines directly above `at`'s line. */
function lineStartWithComments(text: string, at: number): number {
  let start = text.lastIndexOf('\n', at - 1) + 1;
  for (;;) {
    if (start === 0) return start;
    const prevStart = text.lastIndexOf('\n', start - 2) + 1;
    const line = text.slice(prevStart, start).replace(/\r?\n$/, '');
    if (!/^\s*#/.test(line)) return start;
    start = prevStart;
  }
}

interface Plan {
  /** Finding range. */
  range: Range;
  message: string;
  fix?: { title: string; edits: Edit[] };
  lookups: LookupKey[];
  data?: Record<string, unknown>;
}

function effectiveCommand(file: ParsedDockerfile, chain: readonly Ins[]): { entrypoint: string[] | null; cmd: string[] | null; ep?: Ins } {
  let entrypoint: string[] | null = null;
  let cmd: string[] | null = null;
  let ep: Ins | undefined;
  for (const i of chain) {
    if (i.kw !== 'ENTRYPOINT' && i.kw !== 'CMD') continue;
    const words = execForm(file, i.ins) ?? (i.ins.getArgumentsContent() ?? '').trim().split(/\s+/).filter(Boolean);
    if (i.kw === 'ENTRYPOINT') {
      entrypoint = words;
      ep = i;
      cmd = null; // ENTRYPOINT resets an inherited CMD
    } else cmd = words;
  }
  return ep ? { entrypoint, cmd, ep } : { entrypoint, cmd };
}

/** Context-relative source of a COPY/ADD (no --from) that put a single file at image path `target`. */
function copiedFrom(file: ParsedDockerfile, chain: readonly Ins[], target: string): string | null {
  let workdir = '/';
  let found: string | null = null;
  for (const i of chain) {
    if (i.kw === 'FROM') workdir = '/';
    if (i.kw === 'WORKDIR') {
      const w = i.ins.getArgumentsContent()?.trim() ?? '';
      workdir = w.includes('$') ? '\0' : posix.resolve(workdir, w);
    }
    if (i.kw !== 'COPY' && i.kw !== 'ADD') continue;
    const args = i.ins.getArguments().map((a) => a.getValue());
    if (args.some((a) => /^--from(=|$)/i.test(a))) continue;
    const words = execForm(file, i.ins) ?? args.filter((a) => !a.startsWith('--'));
    if (words.length < 2) continue;
    const destRaw = words[words.length - 1] as string;
    if (destRaw.includes('$') || workdir === '\0') continue;
    const dest = posix.resolve(workdir, destRaw);
    for (const src of words.slice(0, -1)) {
      if (/[*?[$]/.test(src) || /^[a-z]+:\/\//i.test(src)) continue;
      const asFile = destRaw.endsWith('/') || words.length > 2 ? posix.join(dest, posix.basename(src)) : dest;
      if (asFile === target || posix.join(dest, posix.basename(src)) === target) found = src.replace(/^\.\//, '');
    }
  }
  return found;
}

/** The exec form's argv read as JSON (the words keep their spaces: `sh -c "a && b"`), or null. */
function jsonArgv(i: Ins): string[] | null {
  const content = i.ins.getArgumentsContent()?.trim() ?? '';
  if (!content.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(content);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

/** Programs that change the system: a start command running them needs root. */
const SYSTEM_PROGRAMS = new Set(['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper', 'useradd', 'adduser', 'groupadd', 'addgroup', 'usermod', 'setcap', 'sysctl', 'update-ca-certificates', 'ldconfig', 'mount']);

/**
 * What shows that the final stage's process needs root (so USER would break it), naming the evidence; undefined when
 * nothing does. Read: ports below 1024 in EXPOSE; the start command's shell scripts (shell-form CMD/ENTRYPOINT,
 * `sh -c '…'`, the entrypoint script copied from the build context) changing ownership or modes, writing outside
 * /tmp and the VOLUMEs, or running package managers and user tools; persistent data of the compose services of the
 * run that build this stage (what existing deployments wrote there as root stays root-owned).
 */
function rootNeeds(
  file: ParsedDockerfile,
  chain: readonly Ins[],
  script: { src: string; text: string } | undefined,
  files: readonly ParsedFile[] | undefined,
  finalName: string | undefined,
): string | undefined {
  const low = chain
    .filter((i) => i.kw === 'EXPOSE')
    .flatMap((i) => i.ins.getArguments().map((a) => a.getValue()))
    .map((a) => /^(\d+)(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/i.exec(a.trim()))
    .map((m) => (m ? Number(m[1]) : 0))
    .filter((p) => p > 0 && p < 1024);
  if (low.length) return `it exposes port ${low.join(', ')} (EXPOSE): binding a port below 1024 needs root or CAP_NET_BIND_SERVICE`;

  const volumes = chain.filter((i) => i.kw === 'VOLUME').flatMap((i) => execForm(file, i.ins) ?? (i.ins.getArgumentsContent() ?? '').trim().split(/\s+/));
  const writable = (p: string) => /^\/(?:tmp|var\/tmp|dev)(?:\/|$)/.test(p) || volumes.some((v) => v.startsWith('/') && (p === v || p.startsWith(`${v.replace(/\/+$/, '')}/`)));
  const texts: { where: string; text: string }[] = [];
  const last = [...chain].reverse();
  for (const kw of ['ENTRYPOINT', 'CMD']) {
    const i = last.find((x) => x.kw === kw);
    if (!i) continue;
    const exec = jsonArgv(i) ?? execForm(file, i.ins);
    if (exec === null) texts.push({ where: `the shell-form ${kw}`, text: i.ins.getArgumentsContent() ?? '' });
    else for (const t of inlineScripts(exec)) texts.push({ where: `the ${kw}'s shell script`, text: t });
  }
  if (script) texts.push({ where: `${script.src} (the entrypoint)`, text: script.text });
  if (shellLoaded()) {
    for (const t of texts) {
      const r = readScript(t.text);
      if (!('evidence' in r)) continue;
      const ev = r.evidence;
      const own = ev.ownership[0];
      if (own) return `${t.where} runs ${own.tool} (line ${own.line}: \`${own.text}\`)`;
      const w = ev.writes.find((x) => x.how !== 'rm' && x.path !== undefined && x.path.startsWith('/') && !writable(x.path));
      if (w) return `${t.where} writes ${w.path} (line ${w.line}: \`${w.text}\`)`;
      const prog = ev.programs.find((p) => SYSTEM_PROGRAMS.has(p));
      if (prog) return `${t.where} runs ${prog}`;
    }
  }
  if (files && file.absPath) {
    const data = buildingServicesData(files, file.absPath, finalName);
    if (data.length) {
      return `${data.slice(0, 3).join('; ')}${data.length > 3 ? ` (and ${data.length - 3} more)` : ''}: files existing deployments wrote there as root stay root-owned, and a non-root user could not write them`;
    }
  }
  return undefined;
}

function analyse(file: ParsedDockerfile, opts: Options, global: GlobalSettings, answers: Answers, files?: readonly ParsedFile[]): Plan | null {
  const sf: StagedFile = staged(file);
  if (sf.stages.length === 0) return null;
  const final = sf.stages.length - 1;
  const chain = sf.chain(final);
  const own = sf.of(final);
  const fromIns = own[0];
  if (!fromIns) return null;
  const users = chain.filter((i) => i.kw === 'USER');
  const lastUser = users[users.length - 1];
  const lookups: LookupKey[] = [];
  const base = stageBaseImage(file, final);
  const baseRef = base.kind === 'image' ? base.ref : null;
  const platform = global.platform;
  const withPlatform = <T extends object>(k: T) => (platform ? { ...k, platform } : k);

  if (base.kind === 'unknown' && !lastUser) return null; // the base image (and its user) is unknown
  let anchor: Range = fromIns.range;
  if (lastUser) {
    const u = userOf(lastUser.ins);
    if (u === null) return null;
    const root = isRootUser(u);
    if (root !== true) return null; // non-root, or a variable we cannot know
    anchor = lastUser.range;
  }
  let distro: Distro = base.kind === 'scratch' ? detectDistro('scratch') : baseRef ? detectDistro(baseRef) : detectDistro('');
  if (!lastUser && baseRef) {
    // No USER: the base image's user applies.
    if (nonRootByDefault(baseRef, distro)) return null;
    const key = withPlatform(lookupKey('image-config', { ref: baseRef }));
    lookups.push(key);
    const cfg = answers.get(key);
    if (isOk(cfg)) {
      const u = (cfg.ok.user ?? '').split(':')[0] ?? '';
      if (u !== '' && isRootUser(u) === false) return null;
      if (cfg.ok.os === 'windows') distro = { family: 'windows', hasShell: false, source: 'os-release', evidence: 'image config os=windows' };
    }
  }
  const who = lastUser ? `the last USER is ${userOf(lastUser.ins) ?? 'root'}` : baseRef ? `no USER: it runs as ${baseRef.replace(/@sha256:[0-9a-f]{64}$/, '')}'s user, root` : 'no USER: it runs as root';
  const plan = (message: string, f?: Plan['fix'], data?: Record<string, unknown>): Plan => ({ range: anchor, message, lookups, ...(f ? { fix: f } : {}), ...(data ? { data } : {}) });

  if (distro.family === 'windows') {
    return plan(`the final stage runs as an administrator (${who}); on Windows images use \`USER ContainerUser\` where the application allows it (not changed automatically)`);
  }

  // Privilege-dropping entrypoints.
  const { entrypoint, cmd, ep } = effectiveCommand(file, chain);
  const startWords = [...(entrypoint ?? []), ...(cmd ?? [])].join(' ');
  let dropper: string | null = null;
  const m = DROPPER_RE.exec(startWords);
  if (m) dropper = `the entrypoint runs ${m[1]}`;
  if (!dropper && entrypoint?.[0] === '/init') dropper = 'the entrypoint is s6-overlay\'s /init';
  const runs = chain.filter((i) => i.kw === 'RUN');
  if (!dropper) {
    const fetched = chain.find((i) => (i.kw === 'ADD' || i.kw === 'COPY') && /gosu|su-exec|s6-overlay/.test(i.ins.getArgumentsContent() ?? ''));
    if (fetched) dropper = `${fetched.kw} brings in a privilege-dropping tool`;
  }
  if (!dropper && shellLoaded()) {
    for (const i of runs) {
      const rs = runScript(file, i.ins);
      if (!rs) continue;
      const cmds = tryParseScript(rs)?.commands;
      if (!cmds) continue;
      for (const c of cmds) {
        const n = c.name?.value ?? '';
        const args = c.args.map((a) => a.value ?? a.raw);
        const install = ['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf', 'zypper'].includes(n) && args.some((a) => a === 'install' || a === 'add');
        const pkg = install ? args.find((a) => DROPPER_PACKAGES.test(a)) : undefined;
        if (pkg) dropper = `the image installs ${pkg.split(/[=<>~@]/)[0] as string}`;
        else if ((n === 'curl' || n === 'wget') && args.some((a) => /gosu|su-exec|s6-overlay/.test(a))) dropper = 'the image downloads a privilege-dropping tool';
        if (dropper) break;
      }
      if (dropper) break;
    }
  }
  // The entrypoint script copied from the build context, when the start command names one.
  let script: { src: string; text: string } | undefined;
  if (file.absPath && (entrypoint?.[0] ?? cmd?.[0])?.startsWith('/')) {
    const src = copiedFrom(file, chain, (entrypoint?.[0] ?? cmd?.[0]) as string);
    if (src) {
      const key: KeyOf<'file'> = { kind: 'file', path: join(dirname(file.absPath), src) };
      lookups.push(key);
      const a = answers.get(key);
      if (isOk(a) && a.ok.text) script = { src, text: a.ok.text };
    }
  }
  if (!dropper && script) {
    const sm = DROPPER_RE.exec(script.text);
    if (sm) dropper = `${script.src} (the entrypoint) runs ${sm[1]}`;
  }
  if (!dropper && !ep && baseRef && ROOT_ENTRYPOINT_IMAGES.has(baseName(baseRef))) {
    dropper = `${baseName(baseRef)}'s own entrypoint starts as root and drops privileges (or needs root to bind its port)`;
  }
  if (dropper) {
    return plan(
      `the final stage runs as root (${who}), but ${dropper}: a USER instruction would break that, so nothing is changed. Make sure the process it starts really runs unprivileged, and that nothing else (sudo, the docker group) hands root back`,
      undefined,
      { reason: 'drops-privileges' },
    );
  }

  // Evidence that the process needs root: no USER then.
  const needs = rootNeeds(file, chain, script, files, sf.stages[final]?.name);
  if (needs) {
    return plan(
      `the final stage runs as root (${who}), and ${needs}: a USER instruction would break that, so nothing is changed. Give the user what it needs first (chown the data and the paths it writes to it, move ports above 1024), then add USER before CMD/ENTRYPOINT`,
      undefined,
      { reason: 'needs-root' },
    );
  }

  // Which user.
  const stageRuns = runs;
  const created = createdUsers(file, stageRuns);
  const earlierNonRoot = users.map((u) => userOf(u.ins)).filter((u): u is string => !!u && isRootUser(u) === false);
  const known = baseRef ? knownImageUser(baseRef, distro) : null;
  let existing = created.includes(opts.name) ? opts.name : (earlierNonRoot[earlierNonRoot.length - 1] ?? created[created.length - 1] ?? known);

  if (!existing && distro.family === 'unknown' && baseRef) {
    // The same lookups as the lock-* codemods (the tag's digest, then the files by digest): asked once per run.
    const t = stageTarget(file, final, global);
    if (t.kind === 'image') {
      lookups.push(...releaseLookups(t.target, answers));
      const key = imageFileKey(t.target, answers, OS_RELEASE_PATHS);
      const a = key ? answers.get(key) : undefined;
      if (isOk(a) && a.ok.path && a.ok.content) distro = detectDistroFromFile(baseRef, a.ok.path, a.ok.content);
    }
    if (!existing && distro.family !== 'unknown') existing = knownImageUser(baseRef, distro);
  }

  const idPair = `${opts.uid}:${opts.gid}`;
  let create: string | null = null;
  let userLine: string;
  let how: string;
  if (existing) {
    userLine = `USER ${existing}`;
    how = `switch to the existing user ${existing}`;
  } else if (distro.family === 'scratch' || distro.family === 'distroless') {
    userLine = `USER ${distro.family === 'distroless' ? '65532:65532' : idPair}`;
    how = `${distro.family === 'scratch' ? 'scratch' : 'a distroless image'} has no shell to create users: switch to a numeric uid:gid (no /etc/passwd entry needed)`;
  } else if (distro.family === 'alpine' || distro.family === 'busybox' || distro.family === 'wolfi') {
    create = `addgroup -S -g ${opts.gid} ${opts.name} && adduser -S -D -H -u ${opts.uid} -G ${opts.name} ${opts.name}`;
    userLine = `USER ${idPair}`;
    how = `create system user ${opts.name} (${idPair}) with BusyBox adduser (${distro.evidence})`;
  } else if ((distro.family === 'debian' || distro.family === 'rhel' || distro.family === 'suse') && !distro.minimal) {
    create = `groupadd --system --gid ${opts.gid} ${opts.name} && useradd --system --no-create-home --uid ${opts.uid} --gid ${opts.name} --shell /usr/sbin/nologin ${opts.name}`;
    userLine = `USER ${idPair}`;
    how = `create system user ${opts.name} (${idPair}) with useradd (${distro.evidence})`;
  } else {
    const why = distro.minimal
      ? `${distro.evidence} is a minimal image without useradd`
      : `the distribution of ${baseRef ?? 'the base image'} is unknown (${distro.evidence}; the /etc/os-release lookup gave no answer)`;
    return plan(
      `the final stage runs as root (${who}); ${why}: create a user by hand, or add \`USER ${idPair}\` (a numeric uid needs no /etc/passwd entry) before CMD/ENTRYPOINT`,
      undefined,
      { reason: 'unknown-distribution' },
    );
  }

  // Where: before the first CMD/ENTRYPOINT after the last build step of the final stage, else at the stage's end.
  const body = own.slice(1);
  let lastStep = -1;
  body.forEach((i, k) => {
    if (['RUN', 'COPY', 'ADD', 'USER', 'ONBUILD'].includes(i.kw)) lastStep = k;
  });
  const before = body.find((i, k) => k > lastStep && (i.kw === 'CMD' || i.kw === 'ENTRYPOINT'));
  const eol = file.eol;
  const esc = file.escapeChar;
  const volumes = chain.filter((i) => i.kw === 'VOLUME').flatMap((i) => execForm(file, i.ins) ?? (i.ins.getArgumentsContent() ?? '').trim().split(/\s+/));
  const volDirs = create ? volumes.filter((v) => v.startsWith('/') && !/[$\s"']/.test(v)) : [];
  const lines: string[] = [];
  if (create) {
    const parts = create.split(' && ');
    if (volDirs.length) parts.push(`mkdir -p ${volDirs.join(' ')}`, `chown ${idPair} ${volDirs.join(' ')}`);
    lines.push(`RUN ${parts.join(` ${esc}${eol} && `)}`);
  }
  lines.push(userLine);
  let edit: Edit;
  if (before) {
    const at = lineStartWithComments(file.text, before.range.start);
    edit = insertAt(at, lines.map((l) => l + eol).join(''));
  } else {
    const last = body[body.length - 1] ?? fromIns;
    edit = insertAt(last.range.end, lines.map((l) => eol + l).join(''));
  }
  return plan(
    `the final stage runs as root (${who}): ${how}${before ? ` before ${before.kw}` : ''}`,
    { title: `run as ${existing ?? idPair}`, edits: [edit] },
    { user: existing ?? idPair, distro: distro.family, distroSource: distro.source, ...(volDirs.length ? { volumes: volDirs } : {}) },
  );
}

export const dockerfileNonRootUser = defineCodemod({
  id: 'dockerfile-non-root-user',
  fileKinds: ['dockerfile'],
  summary: 'A final stage running as root gets a system user with a fixed uid/gid and a USER before CMD/ENTRYPOINT.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['hadolint:DL3002', 'seed:002'],
  securitySeverity: 6.0,
  network: true,
  defaultOptions: { uid: 10001, name: 'app' },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { uid: { type: 'integer', minimum: 1, description: 'UID of the user created.' }, gid: { type: 'integer', minimum: 1, description: 'GID of its group (default: the same as `uid`).' }, name: { type: 'string', pattern: '^[a-z_][a-z0-9_-]{0,30}$', description: 'Name of the user and group created.' } } },
  docs: `## What it does
Looks at the final stage (with the stages it is built \`FROM\`, whose USER it inherits). When it runs as root — its last
\`USER\` is \`root\`/\`0\`, or there is no \`USER\` and the base image's config names no other user (asked from the
registry; images known to run unprivileged, such as \`bitnami/*\`, \`*:nonroot\` distroless and Chainguard images, are
left alone offline too) — it adds, before the first \`CMD\`/\`ENTRYPOINT\` that follows the stage's last build step (or at
the end of the stage):

- a non-root user the image already has: one the Dockerfile created (\`useradd\`/\`adduser\`), one an earlier \`USER\`
  switched to, or the base image's (\`node\` for node, \`app\` for .NET 8+, \`bun\`, \`deno\`, \`65532\` for distroless and
  Chainguard): just \`USER <name>\`;
- otherwise a system user and group with a fixed uid/gid (options \`uid\`, \`gid\`: 10001; \`name\`: app) in the
  distribution's syntax, then \`USER 10001:10001\`:
  - Alpine / BusyBox / Wolfi: \`addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app\`;
  - Debian / Ubuntu / RHEL / SUSE: \`groupadd --system --gid 10001 app && useradd --system --no-create-home --uid 10001 --gid app --shell /usr/sbin/nologin app\`;
- for \`scratch\` and distroless finals (no shell to create users): \`USER 10001:10001\` / \`USER 65532:65532\`.

Literal \`VOLUME\` directories get \`mkdir -p\` + \`chown\` to the new user in the same RUN (the paths the image writes);
nothing else is chowned, so the application's own files stay read-only to it.

The distribution comes from the base image (following \`FROM <stage>\` chains and ARG defaults): tag hints
(\`alpine3.20\`, \`bookworm\`, \`jammy\`, \`ubi9\`…), well-known image names (official images are Debian-based), and, when
those say nothing, the image's \`/etc/os-release\` (else \`/etc/alpine-release\`, \`/etc/debian_version\`), read through the
registry by digest: the same lookups as lock-apt-install and lock-apk-add, so a run reads them once. See
\`src/dockerfile/distro.ts\` and \`src/dockerfile/base-release.ts\`.

No fix, a manual finding instead, when:
- the entrypoint drops privileges itself: it runs \`gosu\`, \`su-exec\`, \`setpriv\`, \`s6-setuidgid\`, \`chpst\`, \`runuser\`,
  is s6-overlay's \`/init\`, the image installs one of them, or the entrypoint script copied from the build context
  calls one; or the base is a server image whose own entrypoint does (postgres, redis, mysql, nginx, httpd…);
- the process needs root, on evidence the finding names: a port below 1024 in \`EXPOSE\`; the start command's shell
  (shell-form \`CMD\`/\`ENTRYPOINT\`, \`sh -c '…'\`, the entrypoint script copied from the build context) running
  chown/chmod, writing outside \`/tmp\` and the VOLUMEs (\`sed -i\`, redirections, \`envsubst > …\`, \`mkdir\`, \`cp\`
  into \`/etc\`), or running a package manager or user tool; or a compose service of the run that builds this final
  stage (\`build:\` with no \`target:\` or the final stage's name, also when \`build:\` is in an override file and
  \`volumes:\` in its base file) keeping data in a writable volume or bind mount: files existing deployments wrote
  there as root stay root-owned, and the new user could not write them;
- the image is a Windows image (\`USER ContainerUser\` is the advice);
- the base image is a minimal variant without \`useradd\`, or its distribution cannot be determined.

## Why
A process running as root in a container is root in the container's user namespace: a container escape, a mounted
host path or socket, or a kernel bug then hands over the host. hadolint (DL3002) only flags an explicit \`USER root\`
as the last USER; an image with no USER at all runs as root just the same, which is the common case. A fixed numeric
uid/gid (rather than whatever \`useradd\` picks) keeps file ownership on volumes stable across rebuilds and lets
Kubernetes verify \`runAsNonRoot\`.

## Example
\`\`\`dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["gunicorn", "app:app"]
\`\`\`
becomes
\`\`\`dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
RUN groupadd --system --gid 10001 app \\
 && useradd --system --no-create-home --uid 10001 --gid app --shell /usr/sbin/nologin app
USER 10001:10001
CMD ["gunicorn", "app:app"]
\`\`\`

## Fix safety
Unsafe: the application loses root. It is written only when nothing above shows that the process needs root (no
evidence of a need is not proof of none: the application's own code may write its working directory). Anything it writes outside the VOLUME directories (its working directory, \`/tmp\`
is fine, \`/var/run\`, caches under \`$HOME\` — there is no home directory) now fails, and ports below 1024 cannot be
bound without \`CAP_NET_BIND_SERVICE\`. Review, then run with \`--unsafe\`. The edit is an insertion only: existing
lines, comments (a \`# harden-ignore\` above CMD stays attached to it), CRLF and the escape character are kept.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, opts, global, answers) {
    return analyse(file, options(opts), global, answers)?.lookups ?? [];
  },
  run(ctx) {
    const file = ctx.file;
    const p = analyse(file, options(ctx.options), ctx.global, ctx.answers, ctx.project.files);
    if (!p) return;
    ctx.report({
      range: p.range,
      message: p.message,
      fix: p.fix ? fix(p.fix.title, 'unsafe', p.fix.edits) : MANUAL,
      ...(p.data ? { data: p.data } : {}),
    });
  },
});
