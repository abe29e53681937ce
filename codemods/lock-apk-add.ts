/**
 * lock-apk-add: `apk add pkg …` → `apk add --no-cache pkg=<version> …`, versions from the APKINDEX of the Alpine
 * branch the stage's base image really runs (read from the image through the registry; see
 * src/dockerfile/base-release.ts), for the stage's architecture.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, insertAt, replace } from '../src/engine/edits.js';
import { isOk } from '../src/engine/lookups.js';
import type { Answers, Edit, GlobalSettings, LookupKey, ParsedDockerfile, Report } from '../src/engine/types.js';
import { alpineArch, imageFileKey } from '../src/dockerfile/base-release.js';
import {
  afterWordValue, commandName, commandRange, commandSites, dockerfileRuns, insertFlagAfter, lookupFailedReport, mayAddSources,
  PIPE_TO_SHELL, releaseNote, stageRelease, unknownReleaseReport, versionLookups, type ParsedRun,
} from '../src/dockerfile/package-installs.js';
import type { ApkVersionKey } from '../src/engine/lookups.js';
import { loadShell, type SimpleCommand, type Word } from '../src/shell/index.js';

const REPOSITORIES = ['etc/apk/repositories'] as const;

/** apk options taking a value (global ones and `add`'s). */
const VALUE_FLAGS = new Set([
  '-X', '--repository', '-p', '--root', '-t', '--virtual', '--keys-dir', '--repositories-file', '--arch', '--cache-dir',
  '--timeout', '--progress-fd', '--wait', '--cache-max-age',
]);

interface Pkg {
  word: Word;
  /** The name to look up (`curl`, `cmd:curl`). */
  name: string;
  /** A provided name (`cmd:curl`, `so:libz.so.1`): the word is replaced by `<package>=<version>`. */
  provided: boolean;
}

interface Site {
  run: ParsedRun;
  cmd: SimpleCommand;
  add: Word;
  pkgs: Pkg[];
  /** Words that are not literal package names (`$PKGS`). */
  variables: Word[];
  noCache: boolean;
  /** `-X`/`--repository` URLs. */
  repos: string[];
}

function classify(cmd: SimpleCommand, run: ParsedRun): Site | null {
  if (commandName(cmd) !== 'apk') return null;
  const args = cmd.args;
  let add: Word | undefined;
  let noCache = false;
  const repos: string[] = [];
  const pkgs: Pkg[] = [];
  const variables: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const v = w.value;
    if (v === null) {
      if (!add) return null;
      variables.push(w);
      continue;
    }
    if (v.startsWith('-') && v !== '-') {
      const eq = v.indexOf('=');
      const flag = eq > 0 ? v.slice(0, eq) : v;
      if (flag === '--no-cache') noCache = true;
      if (VALUE_FLAGS.has(flag) && eq < 0) {
        const next = args[i + 1];
        i++;
        if (flag === '-X' || flag === '--repository') {
          if (!next || next.value === null) return null;
          repos.push(next.value);
        }
      } else if (flag === '--repository' && eq > 0) repos.push(v.slice(eq + 1));
      continue;
    }
    if (!add) {
      if (v !== 'add') return null;
      add = w;
      continue;
    }
    if (v.includes('/') || v.endsWith('.apk')) continue; // a local package file
    if (/[=<>~]/.test(v) || v.includes('@')) continue; // already constrained, or from a tagged repository
    pkgs.push({ word: w, name: v, provided: v.includes(':') });
  }
  if (!add) return null;
  return { run, cmd, add, pkgs, variables, noCache, repos };
}

function sites(file: ParsedDockerfile): Site[] {
  return commandSites(file, classify).filter((s) => s.pkgs.length > 0 || s.variables.length > 0);
}

/**
 * Repositories from /etc/apk/repositories: Alpine's own repositories (main, community, testing) of the image's branch
 * become repository names (looked up on the configured mirror, which carries the same content), other lines stay full
 * URLs; `@tag` lines are only used for
 * `pkg@tag` and are left out. Undefined when the file lists nothing usable (the default main + community apply).
 */
export function imageRepos(content: string, branch: string): string[] | undefined {
  const out: string[] = [];
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const m = /^[a-z][a-z0-9+.-]*:\/\/.*\/(v\d+\.\d+|edge|latest-stable)\/(main|community|testing)\/?$/i.exec(line);
    out.push(m && m[1] === branch ? (m[2] as string) : line);
  }
  return out.length ? [...new Set(out)] : undefined;
}

interface StagePlan {
  kind: 'ready';
  branch: string;
  arch: string;
  repos?: string[];
  note: string;
}

type StageState = StagePlan | { kind: 'pending' } | { kind: 'report'; report: Omit<Report, 'range'> };

function stageState(file: ParsedDockerfile, stage: number, global: GlobalSettings, answers: Answers, keys?: LookupKey[]): StageState {
  const r = stageRelease(file, stage, global, answers, keys, [REPOSITORIES]);
  if (r.kind === 'pending') return { kind: 'pending' };
  if (r.kind === 'scratch') return { kind: 'report', report: { severity: 'info', message: 'apk add in a stage built FROM scratch: not pinned' } };
  if (r.kind === 'unknown') return { kind: 'report', report: unknownReleaseReport(r, 'apk add') };
  if (r.release.distro !== 'alpine') {
    return { kind: 'report', report: { severity: 'warning', message: `apk add in a stage based on ${r.release.distro} ${r.release.release} (${r.target.ref}): not pinned` } };
  }
  const arch = alpineArch(r.target.platform);
  if (!arch) return { kind: 'report', report: { severity: 'warning', message: `apk add not pinned: Alpine has no packages for platform ${r.target.platform}` } };
  const plan: StagePlan = { kind: 'ready', branch: r.release.release, arch, note: releaseNote(r) };
  if (!r.fallback) {
    const rk = imageFileKey(r.target, answers, REPOSITORIES);
    const ra = rk ? answers.get(rk) : undefined;
    if (!ra) return { kind: 'pending' };
    if (isOk(ra) && ra.ok.content !== null) {
      const repos = imageRepos(ra.ok.content, plan.branch);
      if (repos) plan.repos = repos;
    }
  }
  return plan;
}

function versionKey(plan: StagePlan, site: Site, name: string): ApkVersionKey {
  const key: ApkVersionKey = { kind: 'apk-version', branch: plan.branch, arch: plan.arch, name };
  const repos = [...(plan.repos ?? (site.repos.length ? ['main', 'community'] : [])), ...site.repos];
  if (repos.length) key.repos = [...new Set(repos)];
  return key;
}

const SOURCES_RUN = /\/etc\/apk\/repositories|\/etc\/apk\/keys/;
const SOURCES_DEST = /\/etc\/apk\b/;

function thirdParty(file: ParsedDockerfile, site: Site): boolean {
  const { stages } = dockerfileRuns(file);
  const before = site.run.rs.script.slice(0, site.cmd.range.start);
  const runPattern = new RegExp(`${SOURCES_RUN.source}|${PIPE_TO_SHELL.source}`);
  return mayAddSources(file, stages, site.run.stage, site.run.rs.range.start, before, runPattern, SOURCES_DEST);
}

function reportSite(file: ParsedDockerfile, site: Site, plan: StagePlan, answers: Answers, options: Readonly<Record<string, unknown>>): Report | undefined {
  const range = commandRange(site.run.rs, site.cmd);
  if (site.variables.length) {
    return {
      range,
      severity: 'warning',
      message: `apk add not pinned: ${site.variables.map((w) => w.raw).join(', ')} ${site.variables.length > 1 ? 'are' : 'is'} not a literal package name; pin the packages where the variable is set`,
    };
  }
  if (thirdParty(file, site)) {
    return {
      range,
      severity: 'warning',
      message: 'apk add not pinned: an earlier command may add package repositories, so the Alpine index may not say what apk installs',
    };
  }
  const looked = versionLookups(site.pkgs, answers, (pkg) => versionKey(plan, site, pkg.name), (pkg) => pkg.name);
  if (!looked) return undefined;
  const { versions, missing } = looked;
  const where = `Alpine ${plan.branch} (${plan.arch})`;
  if (looked.failed.length) return lookupFailedReport(range, 'apk add', looked);
  if (missing.length) {
    return {
      range,
      severity: 'warning',
      message: `apk add not pinned: no package ${missing.join(', ')} in ${where} ${(versionKey(plan, site, '').repos ?? ['main', 'community']).join(', ')}`,
      data: { missing },
    };
  }
  const edits: Edit[] = [];
  for (const [pkg, ans] of versions) {
    if (pkg.provided) edits.push(replace(site.run.rs.toFileRange(pkg.word.range), `${ans.name}=${ans.version}`));
    else edits.push(insertAt(afterWordValue(site.run.rs, pkg.word), `=${ans.version}`));
  }
  const addNoCache = !site.noCache && options.addNoCache !== false;
  if (addNoCache) edits.push(insertFlagAfter(site.run.rs, site.add, '--no-cache'));
  const pins = versions.map(([, ans]) => `${ans.name}=${ans.version}`);
  return {
    range,
    message: `apk add: pinned ${pins.join(', ')} from ${where}${addNoCache ? ', --no-cache added' : ''}${plan.note}`,
    fix: fix('Pin apk packages', 'safe', edits),
    data: { packages: Object.fromEntries(versions.map(([, ans]) => [ans.name, ans.version])), branch: plan.branch, arch: plan.arch },
  };
}

export const lockApkAdd = defineCodemod({
  id: 'lock-apk-add',
  fileKinds: ['dockerfile'],
  summary: 'Pin `apk add` packages to the exact versions in the APKINDEX of the base image\'s Alpine release, adding --no-cache.',
  safety: 'safe',
  severity: 'warning',
  network: true,
  sources: ['hadolint:DL3018', 'hadolint:DL3019', 'seed:001'],
  defaultOptions: { addNoCache: true },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { addNoCache: { type: 'boolean', description: 'Add `--no-cache` when missing.' } } },
  docs: `## What it does
Pins every package of \`apk add\` in RUN to the version \`apk\` would install today: \`curl\` → \`curl=8.5.0-r0\`.

- The Alpine release is read from the stage's base image itself: its \`/etc/os-release\` (or \`/etc/alpine-release\`)
  is fetched through the registry (manifest → platform manifest → layers, newest first), by digest, and cached per
  digest. The stage holding the RUN decides (\`FROM <stage>\` chains are followed). When the image cannot be read,
  hints in the tag (\`alpine3.19\`, \`alpine:3.19\`) stand in, and the finding says so.
- Versions come from the APKINDEX of that branch's repositories: the ones listed in the image's
  \`/etc/apk/repositories\` when it has one (lines of the image's own branch are read from the configured mirror,
  \`indexes: { apk: … }\`), else \`main\` and \`community\`; plus \`-X\`/\`--repository\` URLs of the command.
- The architecture comes from the stage's platform: a literal \`FROM --platform=\`, else \`--platform\` / config
  \`platform\`, else linux/amd64 (\`arm64\` → \`aarch64\`, \`arm/v7\` → \`armv7\`…).
- \`--no-cache\` is added when missing (option \`addNoCache: false\` turns that off).
- Left alone: packages already constrained (\`=\`, \`~\`, \`<\`, \`>\`), tagged-repository packages (\`pkg@edge\`), local
  \`.apk\` files and the name given to \`--virtual\`/\`-t\` (\`.build-deps\`; the packages after it are pinned).
  Provided names (\`cmd:curl\`, \`so:libz.so.1\`) become the providing package (\`curl=8.5.0-r0\`).

Nothing is pinned, and a finding says why, when a package is not in the index (the finding names it), a word is a
variable (\`apk add $PKGS\`), a lookup fails, an earlier command may add repositories (writes
\`/etc/apk/repositories\`, pipes a download into a shell), or the stage is not Alpine. A command is pinned whole or
not at all.

## Why
\`apk add curl\` installs whatever the mirror has on the day of the build, so two builds of the same commit differ
(hadolint DL3018). An exact pin makes the build reproducible and makes version changes visible in review.

## Example
\`\`\`dockerfile
FROM alpine:3.19
RUN apk add curl git
\`\`\`
becomes
\`\`\`dockerfile
FROM alpine:3.19
RUN apk add --no-cache curl=8.5.0-r0 git=2.43.0-r0
\`\`\`

## Fix safety
Safe: the pinned versions are the ones the same build installs today. The trade-off is deliberate: Alpine removes
superseded package versions from a branch, so a pinned build fails loudly (\`unable to select packages\`) once a
newer release replaces the pin, instead of silently installing something else; re-run harden (or bump by hand) then.
Pinning the base image by digest (pin-image-digest) keeps the release itself fixed.

## Related settings
- \`--platform\` / config \`platform\`; the mirror is config \`indexes: { apk: "https://…/alpine" }\`.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    const keys: LookupKey[] = [];
    const byStage = new Map<number, StageState>();
    for (const site of sites(file)) {
      let st = byStage.get(site.run.stage);
      if (!st) {
        st = stageState(file, site.run.stage, global, answers, keys);
        byStage.set(site.run.stage, st);
      }
      if (st.kind !== 'ready' || site.variables.length) continue;
      for (const p of site.pkgs) keys.push(versionKey(st, site, p.name));
    }
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    const byStage = new Map<number, StageState>();
    for (const site of sites(file)) {
      let st = byStage.get(site.run.stage);
      if (!st) {
        st = stageState(file, site.run.stage, ctx.global, ctx.answers);
        byStage.set(site.run.stage, st);
      }
      if (st.kind === 'pending') continue;
      if (st.kind === 'report') {
        ctx.report({ range: commandRange(site.run.rs, site.cmd), ...st.report });
        continue;
      }
      const r = reportSite(file, site, st, ctx.answers, ctx.options);
      if (r) ctx.report(r);
    }
  },
});
