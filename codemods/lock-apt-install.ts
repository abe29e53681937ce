/**
 * lock-apt-install: `apt-get install pkg …` / `apt install` → `pkg=<version>` from the `Packages` index of the suite
 * the stage's base image really runs (read from the image through the registry; see src/dockerfile/base-release.ts),
 * with its -updates and -security pockets, for the stage's architecture. Adds `rm -rf /var/lib/apt/lists/*` to the
 * RUN when missing, and `--no-install-recommends` (an unsafe fix of its own), and optionally points apt at a
 * snapshot.debian.org timestamp so the pins stay installable.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, insertAt } from '../src/engine/edits.js';
import type { Answers, Edit, GlobalSettings, LookupKey, ParsedDockerfile, Report } from '../src/engine/types.js';
import { debianArch, type Distro } from '../src/dockerfile/base-release.js';
import {
  afterWordValue, buildsOn, commandName, commandRange, commandSites, dockerfileRuns, insertFlagAfter, lookupFailedReport,
  mayAddSources, PIPE_TO_SHELL, releaseNote, stageRelease, unknownReleaseReport, versionLookups, type ParsedRun,
} from '../src/dockerfile/package-installs.js';
import type { AptVersionKey } from '../src/engine/lookups.js';
import { loadShell, type SimpleCommand, type Word } from '../src/shell/index.js';

const VALUE_FLAGS = new Set(['-o', '--option', '-c', '--config-file', '-t', '--target-release', '--default-release']);
const RELEASE_FLAGS = new Set(['-t', '--target-release', '--default-release']);
const LISTS = '/var/lib/apt/lists';

interface Pkg {
  word: Word;
  name: string;
  /** Multiarch qualifier (`libc6:i386`). */
  arch?: string;
}

interface Site {
  run: ParsedRun;
  cmd: SimpleCommand;
  tool: 'apt-get' | 'apt';
  install: Word;
  pkgs: Pkg[];
  /** Words that are not literal package names (`$PKGS`, globs). */
  unresolvable: Word[];
  noRecommends: boolean;
  /** `-t bookworm-backports`: the release is chosen explicitly. */
  targetRelease?: string;
}

function classify(cmd: SimpleCommand, run: ParsedRun): Site | null {
  const tool = commandName(cmd);
  if (tool !== 'apt-get' && tool !== 'apt') return null;
  const args = cmd.args;
  let install: Word | undefined;
  let noRecommends = false;
  let targetRelease: string | undefined;
  const pkgs: Pkg[] = [];
  const unresolvable: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const v = w.value;
    if (v === null) {
      if (!install) return null;
      unresolvable.push(w);
      continue;
    }
    if (v.startsWith('-') && v !== '-') {
      const eq = v.indexOf('=');
      const flag = v.startsWith('--') && eq > 0 ? v.slice(0, eq) : v;
      let value: string | null | undefined = v.startsWith('--') && eq > 0 ? v.slice(eq + 1) : undefined;
      if (flag === '--no-install-recommends') noRecommends = true;
      if (VALUE_FLAGS.has(flag) && value === undefined) {
        value = args[i + 1]?.value;
        i++;
      } else if (/^-o\S/.test(v)) value = v.slice(2);
      if ((flag === '-o' || flag === '--option' || /^-o\S/.test(v)) && value && /^APT::Install-Recommends=(false|0|no)$/i.test(value)) noRecommends = true;
      if (RELEASE_FLAGS.has(flag)) targetRelease = value ?? '?';
      continue;
    }
    if (!install) {
      if (v !== 'install') return null;
      install = w;
      continue;
    }
    if (v.startsWith('.') || v.startsWith('/') || v.endsWith('.deb')) continue; // a local .deb
    if (v.includes('=') || v.includes('/') || v.endsWith('-')) continue; // pinned, release-qualified, or a removal
    if (/[*?[\]^$]/.test(v)) {
      unresolvable.push(w);
      continue;
    }
    const colon = v.indexOf(':');
    if (colon > 0) {
      const arch = v.slice(colon + 1);
      if (arch === 'any') {
        unresolvable.push(w);
        continue;
      }
      pkgs.push({ word: w, name: v.slice(0, colon), ...(arch === 'native' ? {} : { arch }) });
    } else pkgs.push({ word: w, name: v });
  }
  if (!install) return null;
  const site: Site = { run, cmd, tool, install, pkgs, unresolvable, noRecommends };
  if (targetRelease !== undefined) site.targetRelease = targetRelease;
  return site;
}

function sites(file: ParsedDockerfile): Site[] {
  return commandSites(file, classify);
}

interface StagePlan {
  kind: 'ready';
  distro: Exclude<Distro, 'alpine'>;
  suite: string;
  arch: string;
  note: string;
}

/** `notApt`: the stage is known not to have apt (Alpine, scratch): nothing at all is said about apt there. */
type StageState = StagePlan | { kind: 'pending' } | { kind: 'report'; report: Omit<Report, 'range'>; notApt?: boolean };

function stageState(file: ParsedDockerfile, stage: number, global: GlobalSettings, answers: Answers, keys?: LookupKey[]): StageState {
  const r = stageRelease(file, stage, global, answers, keys);
  if (r.kind === 'pending') return { kind: 'pending' };
  if (r.kind === 'scratch') return { kind: 'report', notApt: true, report: { severity: 'info', message: 'apt-get install in a stage built FROM scratch: not pinned' } };
  if (r.kind === 'unknown') return { kind: 'report', report: unknownReleaseReport(r, 'apt-get install') };
  if (r.release.distro === 'alpine') {
    return { kind: 'report', notApt: true, report: { severity: 'warning', message: `apt-get install in a stage based on Alpine ${r.release.release} (${r.target.ref}): not pinned` } };
  }
  const arch = debianArch(r.target.platform);
  if (!arch) return { kind: 'report', report: { severity: 'warning', message: `apt-get install not pinned: ${r.release.distro} has no architecture for platform ${r.target.platform}` } };
  return { kind: 'ready', distro: r.release.distro, suite: r.release.release, arch, note: releaseNote(r) };
}

function versionKey(plan: StagePlan, pkg: Pkg): AptVersionKey {
  const key: AptVersionKey = { kind: 'apt-version', distro: plan.distro, suite: plan.suite, arch: pkg.arch ?? plan.arch, name: pkg.name };
  if (plan.distro === 'ubuntu') key.components = ['main', 'universe'];
  return key;
}

const SOURCES_RUN = /sources\.list|\.sources\b|add-apt-repository|apt-add-repository|extrepo|signed-by=/;
const SOURCES_DEST = /\/etc\/apt\b/;
/** The loop the `snapshot` option inserts: it only moves the Debian sources to a snapshot of the same archive. */
const SNAPSHOT_LOOP = /for f in [^;\n]*; do [^;\n]*snapshot\.debian\.org[^;\n]*; done/g;

function thirdParty(file: ParsedDockerfile, site: Site): boolean {
  const { stages } = dockerfileRuns(file);
  const before = site.run.rs.script.slice(0, site.cmd.range.start);
  const runPattern = new RegExp(`${SOURCES_RUN.source}|${PIPE_TO_SHELL.source}`);
  return mayAddSources(file, stages, site.run.stage, site.run.rs.range.start, before, runPattern, SOURCES_DEST, SNAPSHOT_LOOP);
}

const label = (s: Site) => `${s.tool} install`;

function pinReport(file: ParsedDockerfile, site: Site, plan: StagePlan, answers: Answers): Report | undefined {
  const range = commandRange(site.run.rs, site.cmd);
  if (site.pkgs.length === 0 && site.unresolvable.length === 0) return undefined;
  if (site.targetRelease !== undefined) {
    return { range, severity: 'info', message: `${label(site)} -t ${site.targetRelease}: not pinned (the release is chosen explicitly; pin pkg=version by hand)` };
  }
  if (site.unresolvable.length) {
    return {
      range,
      severity: 'warning',
      message: `${label(site)} not pinned: ${site.unresolvable.map((w) => w.raw).join(', ')} ${site.unresolvable.length > 1 ? 'are' : 'is'} not a literal package name; pin the packages where ${site.unresolvable.length > 1 ? 'they are' : 'it is'} set`,
    };
  }
  if (thirdParty(file, site)) {
    return {
      range,
      severity: 'warning',
      message: `${label(site)} not pinned: an earlier command may add package sources, so the ${plan.distro} index may not say what apt installs`,
    };
  }
  const looked = versionLookups(site.pkgs, answers, (pkg) => versionKey(plan, pkg), (pkg) => pkg.word.value ?? pkg.name);
  if (!looked) return undefined;
  const { versions, missing } = looked;
  const where = `${plan.distro} ${plan.suite} (${plan.arch})`;
  if (looked.failed.length) return lookupFailedReport(range, label(site), looked);
  if (missing.length) {
    return { range, severity: 'warning', message: `${label(site)} not pinned: no package ${missing.join(', ')} in ${where} ${plan.distro === 'ubuntu' ? 'main, universe' : 'main'}`, data: { missing } };
  }
  const edits: Edit[] = versions.map(([pkg, ans]) => insertAt(afterWordValue(site.run.rs, pkg.word), `=${ans.version}`));
  const pins = versions.map(([pkg, ans]) => `${pkg.word.value ?? pkg.name}=${ans.version}`);
  const pockets = [...new Set(versions.map(([, ans]) => ans.suite))];
  return {
    range,
    message: `${label(site)}: pinned ${pins.join(', ')} from ${where}: ${pockets.join(', ')}${plan.note}`,
    fix: fix('Pin apt packages', 'safe', edits),
    data: { packages: Object.fromEntries(versions.map(([pkg, ans]) => [pkg.word.value ?? pkg.name, ans.version])), suite: plan.suite, arch: plan.arch },
  };
}

function noRecommendsReport(site: Site): Report | undefined {
  if (site.noRecommends) return undefined;
  return {
    range: site.run.rs.toFileRange(site.install.range),
    severity: 'info',
    message: `${label(site)} also installs recommended packages; --no-install-recommends keeps the image to what is asked for`,
    fix: fix('Add --no-install-recommends', 'unsafe', [insertFlagAfter(site.run.rs, site.install, '--no-install-recommends')]),
  };
}

/** Whether the RUN removes the apt lists (`rm -rf /var/lib/apt/lists/*`) or keeps them in a cache mount. */
function keepsListsOut(run: ParsedRun): boolean {
  if (run.rs.flags.some((f) => f.name === 'mount' && /type=cache/.test(f.value) && /target=\/var\/(lib|cache)\/apt/.test(f.value))) return true;
  return run.script.commands.some((c) => commandName(c) === 'rm' && c.args.some((a) => a.value !== null && a.value.startsWith(LISTS)));
}

const isUpdate = (c: SimpleCommand) => {
  const n = commandName(c);
  return (n === 'apt-get' || n === 'apt') && c.args.some((a) => a.value === 'update');
};

/** The report appending `rm -rf /var/lib/apt/lists/*` to a RUN that installs apt packages, when it is missing. */
function listsReport(file: ParsedDockerfile, run: ParsedRun, all: readonly Site[]): Report | undefined {
  if (keepsListsOut(run)) return undefined;
  const { stages } = dockerfileRuns(file);
  // A later RUN of this stage (or a stage built on it) installing without its own `apt-get update` needs the lists.
  const needed = all.some(
    (s) => s.run.rs.range.start > run.rs.range.start && buildsOn(stages, s.run.stage, run.stage) && !s.run.script.commands.some(isUpdate),
  );
  if (needed) return undefined;
  const last = run.script.statements[run.script.statements.length - 1];
  if (!last || last.background) return undefined;
  const at = run.rs.toFileOffset(last.body.range.end, 'end');
  return {
    range: run.rs.range,
    severity: 'info',
    message: `apt lists stay in the layer: \`rm -rf ${LISTS}/*\` added to the RUN`,
    fix: fix('Remove apt lists', 'safe', [insertAt(at, ` && rm -rf ${LISTS}/*`)]),
  };
}

/** snapshot.debian.org timestamp, e.g. 20240115T000000Z. */
const SNAPSHOT = /^\d{8}T\d{6}Z$/;

/** Point the image's apt sources at snapshot.debian.org before the RUN's first `apt-get update`. */
function snapshotReport(file: ParsedDockerfile, run: ParsedRun, plan: StagePlan, stamp: string): Report | undefined {
  if (plan.distro !== 'debian') return undefined;
  if (run.rs.script.includes('snapshot.debian.org')) return undefined;
  const { stages } = dockerfileRuns(file);
  // Once per stage chain: an earlier RUN of the chain already rewrote the sources.
  const chainText = file.text.slice(stages[run.stage]?.from.start ?? 0, run.rs.range.start);
  if (chainText.includes('snapshot.debian.org')) return undefined;
  const update = run.script.commands.find(isUpdate);
  if (!update) {
    return { range: run.rs.range, severity: 'info', message: 'apt snapshot: this RUN has no apt-get update to point at snapshot.debian.org; add one' };
  }
  const base = `http://snapshot.debian.org/archive`;
  const sed = `for f in /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources; do [ ! -f "$f" ] || sed -i -e 's#https\\?://deb.debian.org/debian-security#${base}/debian-security/${stamp}#' -e 's#https\\?://deb.debian.org/debian#${base}/debian/${stamp}#' "$f"; done && `;
  const updWord = update.args.find((a) => a.value === 'update') as Word;
  return {
    range: run.rs.toFileRange(update.range),
    severity: 'info',
    message: `apt sources pointed at snapshot.debian.org/${stamp}, so the pinned versions stay installable`,
    fix: fix('Use an apt snapshot', 'unsafe', [
      insertAt(run.rs.toFileOffset(update.range.start), sed),
      insertAt(run.rs.toFileOffset(updWord.range.start), '-o Acquire::Check-Valid-Until=false '),
    ]),
  };
}

export const lockAptInstall = defineCodemod({
  id: 'lock-apt-install',
  fileKinds: ['dockerfile'],
  summary: 'Pin `apt-get install` packages to the exact versions in the base image\'s Debian/Ubuntu suite, and drop the apt lists.',
  safety: 'safe',
  severity: 'warning',
  network: true,
  sources: ['hadolint:DL3008', 'hadolint:DL3009', 'hadolint:DL3015', 'seed:002'],
  defaultOptions: { snapshot: null },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { snapshot: { type: ['string', 'null'], pattern: '^[0-9]{8}T[0-9]{6}Z$', description: 'A snapshot.debian.org timestamp (`20240115T000000Z`); `null`: off. Debian stages then get their `sources.list`/`debian.sources` rewritten to `http://snapshot.debian.org/archive/debian/<timestamp>` (and `debian-security`) before `apt-get update`, which gets `-o Acquire::Check-Valid-Until=false` (an unsafe fix).' } } },
  docs: `## What it does
Pins every package of \`apt-get install\` / \`apt install\` in RUN to the version apt would pick today:
\`curl\` → \`curl=7.88.1-10+deb12u15\`.

- The suite is read from the stage's base image itself: \`/etc/os-release\` (Debian's symlink to
  \`/usr/lib/os-release\` is followed; \`VERSION_CODENAME\`), else \`/etc/debian_version\`, fetched through the
  registry by digest and cached per digest. The stage holding the RUN decides (\`FROM <stage>\` chains are followed).
  When the image cannot be read, hints in the tag (\`bookworm\`, \`debian:12\`, \`jammy\`, \`ubuntu:22.04\`) stand in,
  and the finding says so.
- Versions come from the suite's \`Packages\` indexes and its \`-updates\` and \`-security\` pockets (the highest wins,
  as apt's candidate): Debian \`main\`, Ubuntu \`main\` and \`universe\`. Mirrors: config
  \`indexes: { debian, debian-security, ubuntu, ubuntu-ports, ubuntu-security }\`.
- The architecture comes from the stage's platform (literal \`FROM --platform=\`, else \`--platform\` / config
  \`platform\`, else linux/amd64); \`pkg:arch\` uses that architecture.
- \`rm -rf /var/lib/apt/lists/*\` is appended to the RUN when it does not remove the lists already (unless the lists
  live in a \`--mount=type=cache\`, or a later RUN of the stage installs without its own \`apt-get update\`).
- \`--no-install-recommends\` is added when missing, as a separate *unsafe* fix (\`--unsafe\`): it drops recommended
  packages the program may rely on. \`-y\` and every other flag stay.
- Left alone: packages already pinned (\`pkg=1.2\`), release-qualified (\`pkg/bookworm-backports\`) or removed
  (\`pkg-\`), local \`.deb\` files, and commands with \`-t\`/\`--target-release\` (reported).

Nothing is pinned, and a finding says why, when a package is not in the index (the finding names it), a word is a
variable or a pattern (\`apt-get install $PKGS\`), a lookup fails, an earlier command may add package sources (writes
\`sources.list\`, \`add-apt-repository\`, pipes a setup script into a shell, COPY into \`/etc/apt\`), or the stage is
not Debian/Ubuntu. A command is pinned whole or not at all.

## Why
\`apt-get install curl\` installs whatever the mirror has on the day of the build (hadolint DL3008), and the package
lists left in the layer only add size (DL3009). Exact pins make the build reproducible and version changes reviewable.

## Example
\`\`\`dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl git
\`\`\`
becomes (with \`--unsafe\` for \`--no-install-recommends\`)
\`\`\`dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install --no-install-recommends -y curl=7.88.1-10+deb12u15 git=1:2.39.5-0+deb12u3 && rm -rf /var/lib/apt/lists/*
\`\`\`

## Fix safety
The pins are safe: they are the versions the same build installs today. The trade-off is deliberate and real:
Debian and Ubuntu mirrors keep only the newest version of each package per suite/pocket, so a pinned build fails
(\`Version '…' for 'curl' was not found\`) once a point release or security update supersedes the pin, instead of
silently installing something else. Either re-run harden to move the pins, or use the \`snapshot\` option, which points
apt at a fixed snapshot.debian.org timestamp where those versions stay forever (slower downloads, and security
updates only arrive when you move the timestamp). Removing the lists is safe (a later install in the stage would need
them, and then they are kept). \`--no-install-recommends\` is unsafe.

## Related settings
- Resolve the pins from the same snapshot as the \`snapshot\` option by setting \`indexes: { debian: "https://snapshot.debian.org/archive/debian/<timestamp>",
  debian-security: "https://snapshot.debian.org/archive/debian-security/<timestamp>" }\`.
- Command line: \`harden fix --apt-snapshot <timestamp>\` sets the same (over the option) and, unless \`indexes.debian\`
  / \`indexes.debian-security\` are configured, resolves the pins from that snapshot too. The snapshot loop it inserts
  does not count as "adding package sources", so later RUNs of the stage are still pinned.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    const keys: LookupKey[] = [];
    const byStage = new Map<number, StageState>();
    for (const site of sites(file)) {
      if (site.pkgs.length === 0 || site.unresolvable.length || site.targetRelease !== undefined) continue;
      let st = byStage.get(site.run.stage);
      if (!st) {
        st = stageState(file, site.run.stage, global, answers, keys);
        byStage.set(site.run.stage, st);
      }
      if (st.kind !== 'ready') continue;
      for (const p of site.pkgs) keys.push(versionKey(st, p));
    }
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    const all = sites(file);
    const byStage = new Map<number, StageState>();
    // --apt-snapshot (GlobalSettings.aptSnapshot) wins over the codemod option.
    const snapshot = ctx.global.aptSnapshot ?? ctx.options.snapshot;
    const stamp = typeof snapshot === 'string' && SNAPSHOT.test(snapshot) ? snapshot : undefined;
    if (snapshot != null && snapshot !== false && !stamp) {
      ctx.report({ range: { start: 0, end: 0 }, severity: 'error', message: `lock-apt-install option snapshot must be a timestamp like 20240115T000000Z, not ${JSON.stringify(snapshot)}` });
    }
    const runsDone = new Set<ParsedRun>();
    const snapshotsDone = new Set<ParsedRun>();
    for (const site of all) {
      const needsPins = site.pkgs.length > 0 && site.unresolvable.length === 0 && site.targetRelease === undefined;
      let st = byStage.get(site.run.stage);
      if (!st) {
        st = stageState(file, site.run.stage, ctx.global, ctx.answers);
        byStage.set(site.run.stage, st);
      }
      if (st.kind === 'report' && st.notApt) {
        if (needsPins) ctx.report({ range: commandRange(site.run.rs, site.cmd), ...st.report });
        continue;
      }
      if (!needsPins) {
        const r = pinReport(file, site, { kind: 'ready', distro: 'debian', suite: '', arch: '', note: '' }, ctx.answers);
        if (r) ctx.report(r);
      } else if (st.kind === 'report') ctx.report({ range: commandRange(site.run.rs, site.cmd), ...st.report });
      else if (st.kind === 'ready') {
        const r = pinReport(file, site, st, ctx.answers);
        if (r) ctx.report(r);
        if (stamp && !snapshotsDone.has(site.run)) {
          snapshotsDone.add(site.run);
          const sr = snapshotReport(file, site.run, st, stamp);
          if (sr) ctx.report(sr);
        }
      }
      const nr = noRecommendsReport(site);
      if (nr) ctx.report(nr);
      if (!runsDone.has(site.run)) {
        runsDone.add(site.run);
        const lr = listsReport(file, site.run, all);
        if (lr) ctx.report(lr);
      }
    }
  },
});
