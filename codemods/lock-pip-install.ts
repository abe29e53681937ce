/**
 * lock-pip-install: `pip install pkg` / `python -m pip install pkg` → `pkg==<version>`, the newest release matching
 * the requirement's specifier on the configured Python package index (PEP 691 JSON, PEP 503 HTML fallback); extras
 * and environment markers are kept; releases whose Requires-Python excludes the stage's interpreter are skipped when
 * its version is known (pythonOf). `-r requirements.txt` without `--require-hashes` gets a manual finding.
 */
import { defineCodemod } from '../src/engine/define.js';
import { fix, insertAt, replace } from '../src/engine/edits.js';
import { isOk, type KeyOf } from '../src/engine/lookups.js';
import type { Answers, Edit, GlobalSettings, LookupKey, ParsedDockerfile, Report } from '../src/engine/types.js';
import { stageTarget } from '../src/dockerfile/base-release.js';
import {
  commandName, commandRange, commandSites, dockerfileRuns, lookupFailedReport, quoteOffset, releaseNote, stageChain, stageRelease, versionLookups, type ParsedRun,
} from '../src/dockerfile/package-installs.js';
import { stageAt, toRange } from '../src/dockerfile/stages.js';
import { shortRepository, splitRef } from '../src/images/reference.js';
import type { PypiVersionKey } from '../src/engine/lookups.js';
import { loadShell, type SimpleCommand, type Word } from '../src/shell/index.js';

/** pip install options taking a value. */
const VALUE_FLAGS = new Set([
  '-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-i', '--index-url', '--extra-index-url', '-f',
  '--find-links', '-t', '--target', '--prefix', '--root', '--src', '--platform', '--python-version', '--implementation',
  '--abi', '--upgrade-strategy', '--progress-bar', '--cache-dir', '--log', '--proxy', '--retries', '--timeout',
  '--trusted-host', '--cert', '--client-cert', '--exists-action', '--no-binary', '--only-binary', '-C',
  '--config-settings', '--global-option', '--report', '--python', '--use-feature', '--use-deprecated', '--keyring-provider',
  '--root-user-action', '--log-file', '--python-path',
]);

/** `name[extras] spec ; marker` (PEP 508 without URLs). */
const REQUIREMENT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\s*\[[^\]]*\])?(\s*)([^;]*?)(\s*;.*)?$/s;

interface Req {
  word: Word;
  name: string;
  /** The specifier as written ('' for none), and where it sits in the word's value. */
  spec: string;
  specStart: number;
  specEnd: number;
  /** Offset of the value inside the raw word (1 when wholly quoted). */
  quoteOffset: number;
}

interface Site {
  run: ParsedRun;
  cmd: SimpleCommand;
  reqs: Req[];
  unresolvable: Word[];
  /** `-r file` words (the flag and its file). */
  requirementFiles: { flag: Word; file: Word }[];
  requireHashes: boolean;
  index?: string;
  /** Why the packages are not pinned at all (`--extra-index-url`, `--pre`, constraints…). */
  skip?: string;
}

/** The pip arguments after `install`, or null when `cmd` is no pip install. */
function pipInstallArgs(cmd: SimpleCommand): readonly Word[] | null {
  const name = commandName(cmd);
  if (name === null) return null;
  let args = cmd.args;
  if (/^python(\d+(\.\d+)?)?$/.test(name)) {
    const m = args.findIndex((a) => a.value === '-m');
    if (m < 0 || args[m + 1]?.value !== 'pip' || args.slice(0, m).some((a) => a.value === null || !a.value.startsWith('-'))) return null;
    args = args.slice(m + 2);
  } else if (!/^pip(\d+(\.\d+)?)?$/.test(name)) return null;
  const i = args.findIndex((a) => a.value === null || !a.value.startsWith('-'));
  if (i < 0 || args[i]?.value !== 'install') return null;
  return args.slice(i + 1);
}

function classify(cmd: SimpleCommand, run: ParsedRun): Site | null {
  const args = pipInstallArgs(cmd);
  if (!args) return null;
  const site: Site = { run, cmd, reqs: [], unresolvable: [], requirementFiles: [], requireHashes: false };
  for (let i = 0; i < args.length; i++) {
    const w = args[i] as Word;
    const v = w.value;
    if (v !== null && v.startsWith('-') && v !== '-') {
      const eq = v.startsWith('--') ? v.indexOf('=') : -1;
      const flag = eq > 0 ? v.slice(0, eq) : v;
      let value: Word | undefined;
      let valueText: string | null | undefined = eq > 0 ? v.slice(eq + 1) : undefined;
      if (VALUE_FLAGS.has(flag) && eq < 0) {
        value = args[i + 1];
        valueText = value?.value;
        i++;
      }
      if (flag === '--require-hashes') site.requireHashes = true;
      if ((flag === '-r' || flag === '--requirement') && value) site.requirementFiles.push({ flag: w, file: value });
      if (flag === '-i' || flag === '--index-url') {
        if (valueText == null) site.skip ??= 'its --index-url is not a literal';
        else site.index = valueText.replace(/\/+$/, '');
      }
      if (flag === '--extra-index-url') site.skip ??= 'it also searches --extra-index-url (pip takes the highest version across indexes)';
      if (flag === '--pre') site.skip ??= '--pre lets pip choose pre-releases';
      if (flag === '-c' || flag === '--constraint') site.skip ??= 'a constraints file decides the versions';
      if (flag === '--no-index' || flag === '-f' || flag === '--find-links') site.skip ??= 'it installs from local archives (--no-index/--find-links)';
      continue;
    }
    if (v === null) {
      site.unresolvable.push(w);
      continue;
    }
    // Paths, archives, URLs, VCS and direct references are not index packages.
    if (/^[./~]/.test(v) || v.includes('://') || v.includes('@') || /\.(whl|zip|tar\.gz|tgz|tar\.bz2)$/i.test(v) || v.includes('/')) continue;
    const m = REQUIREMENT.exec(v);
    const qo = quoteOffset(w);
    if (!m || qo === undefined) {
      site.unresolvable.push(w);
      continue;
    }
    const spec = (m[4] ?? '').trim();
    if (/^===?[^=*]+$/.test(spec.replace(/\s+/g, '')) && !spec.includes(',')) continue; // already exact
    if (spec !== '' && !/^(?:[<>!=~]=?|===)/.test(spec)) {
      site.unresolvable.push(w);
      continue;
    }
    const specStart = (m[1] as string).length + (m[2] ?? '').length + (m[3] ?? '').length;
    site.reqs.push({ word: w, name: m[1] as string, spec, specStart, specEnd: specStart + (m[4] ?? '').length, quoteOffset: qo });
  }
  return site;
}

function sites(file: ParsedDockerfile): Site[] {
  return commandSites(file, classify);
}

function versionKey(site: Site, req: Req, python: KnownPython | undefined): PypiVersionKey {
  const key: PypiVersionKey = { kind: 'pypi-version', name: req.name };
  if (req.spec !== '') key.specifier = req.spec.replace(/\s+/g, '');
  if (site.index) key.index = site.index;
  if (python) key.python = python.version;
  return key;
}

// ---------------------------------------------------------------------------------------------------------------------
// The interpreter pip runs on, for Requires-Python.

interface KnownPython {
  /** 'X.Y' or 'X.Y.Z'. */
  version: string;
  /** Where it came from, for the finding. */
  from: string;
}

type PythonOf = { state: 'pending' } | ({ state: 'known' } & KnownPython) | { state: 'unknown'; why: string };

/** python3 of each distribution release (Debian/Ubuntu codename, Alpine branch), as its own archive ships it. */
export const DISTRO_PYTHON3: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  debian: { buster: '3.7', bullseye: '3.9', bookworm: '3.11', trixie: '3.13' },
  ubuntu: { focal: '3.8', jammy: '3.10', noble: '3.12' },
  alpine: { 'v3.16': '3.10', 'v3.17': '3.10', 'v3.18': '3.11', 'v3.19': '3.11', 'v3.20': '3.12', 'v3.21': '3.12' },
};

/** Setups where pip may run on another interpreter than the image's (or the distribution's) python. */
const OTHER_INTERPRETER: readonly [RegExp, string][] = [
  [/\bpyenv\b/, 'uses pyenv'],
  [/\buv[^\S\n]+(?:\S+[^\S\n]+)*?python[^\S\n]+install\b/, 'runs uv python install'],
  [/\buv[^\S\n]+(?:\S+[^\S\n]+)*?venv\b/, 'creates a uv venv'],
  [/\bvirtualenv\b/, 'uses virtualenv'],
  [/-m\s+venv\b/, 'creates a venv'],
  [/\bVIRTUAL_ENV\b/, 'sets VIRTUAL_ENV'],
  [/\/\.?venv\/bin\b/, 'puts a venv on PATH'],
  [/\b(?:conda|mamba|micromamba)\b/, 'uses conda'],
  [/deadsnakes/, 'uses the deadsnakes PPA'],
];

const VERSION_PREFIX = /^(\d+\.\d+(?:\.\d+)?)/;

/** A python3 package from the distribution: `apt-get install python3…` / `apk add python3…`. */
interface DistroPythonInstall {
  tool: 'apt' | 'apk';
  run: ParsedRun;
  start: number;
}

const APT_PYTHON = /^(?:python3(?:-(?:pip|venv|dev|full|minimal|all|setuptools|wheel))?|python-is-python3)(?:=\S*)?$/;
const APK_PYTHON = /^(?:python3(?:-dev)?|py3-pip|py3-setuptools|py3-wheel)(?:[=~<>]\S*)?$/;

function distroPythonInstalls(file: ParsedDockerfile): DistroPythonInstall[] {
  return commandSites(file, (cmd, run): DistroPythonInstall | null => {
    const name = commandName(cmd);
    const words = cmd.args.map((a) => a.value ?? '');
    if ((name === 'apt-get' || name === 'apt') && words.includes('install') && words.some((w) => APT_PYTHON.test(w))) return { tool: 'apt', run, start: cmd.range.start };
    if (name === 'apk' && words.includes('add') && words.some((w) => APK_PYTHON.test(w))) return { tool: 'apk', run, start: cmd.range.start };
    return null;
  });
}

/** Text of the instructions of the site's stage chain before its RUN, and of the RUN before the command. */
function textBefore(file: ParsedDockerfile, site: Site): string {
  const { stages } = dockerfileRuns(file);
  const chain = stageChain(stages, site.run.stage);
  const parts: string[] = [];
  for (const ins of file.ast.getInstructions()) {
    const r = toRange(file.lineStarts, ins.getRange());
    if (r.start >= site.run.rs.range.start) break;
    const st = stageAt(stages, r.start);
    if (st >= 0 && !chain.includes(st)) continue;
    if (/^\s*FROM\b/i.test(file.text.slice(r.start, r.end))) continue;
    parts.push(file.text.slice(r.start, r.end));
  }
  parts.push(site.run.rs.script.slice(0, site.cmd.range.start));
  return parts.join('\n');
}

/**
 * The tag of `ref` ('' for none) when it names the official python image: Docker Hub's `python` however spelt
 * (`python`, `docker.io/python`, `index.docker.io/library/python`: shortRepository), or a mirror's `…/library/python`.
 */
function officialPythonTag(ref: string): string | undefined {
  const parts = splitRef(ref);
  if (!parts) return undefined;
  const name = shortRepository(ref).name;
  if (name !== 'python' && !/\/library\/python$/.test(name)) return undefined;
  return parts.tag ?? '';
}

/**
 * The Python version pip runs on at `site`, in order: another interpreter set up in the stage (pyenv, a virtualenv,
 * uv, conda) → unknown; PYTHON_VERSION in the base image's config (the official image and images built on it); the
 * tag of the official image (`python:3.8-slim`); python3 of the Debian/Ubuntu/Alpine release when the stage installs
 * it with apt-get/apk (DISTRO_PYTHON3). A versioned command (`pip3.11`, `python3.11 -m pip`) names its minor version.
 * Lookups still needed are pushed to `keys`.
 */
function pythonOf(file: ParsedDockerfile, site: Site, global: GlobalSettings, answers: Answers, keys?: LookupKey[]): PythonOf {
  const raw = site.cmd.name?.value ?? '';
  const name = commandName(site.cmd) ?? '';
  const named = /^(?:pip|python)(\d+\.\d+)$/.exec(name)?.[1];
  const fromCommand = (p: PythonOf): PythonOf => {
    if (named === undefined || p.state === 'pending') return p;
    if (p.state === 'known' && (p.version === named || p.version.startsWith(`${named}.`))) return p;
    return { state: 'known', version: named, from: `from the command name ${name}` };
  };
  if (raw.includes('/') && !/^\/usr\/(?:local\/)?bin\/[^/]+$/.test(raw)) return { state: 'unknown', why: `it runs ${raw}` };
  const before = textBefore(file, site);
  const other = OTHER_INTERPRETER.find(([re]) => re.test(before));
  if (other) return { state: 'unknown', why: `the stage ${other[1]}` };
  const target = stageTarget(file, site.run.stage, global);
  if (target.kind !== 'image') return fromCommand({ state: 'unknown', why: target.kind === 'scratch' ? 'the stage is built FROM scratch' : `its base image is unknown (${target.reason})` });
  const ref = target.target.ref;

  // Python from the distribution, installed earlier in the stage chain (asked alongside the image config).
  const { stages } = dockerfileRuns(file);
  const chain = stageChain(stages, site.run.stage);
  const installs = distroPythonInstalls(file).filter(
    (i) => chain.includes(i.run.stage) && (i.run.rs.range.start < site.run.rs.range.start || (i.run === site.run && i.start < site.cmd.range.start)),
  );
  const release = installs.length ? stageRelease(file, site.run.stage, global, answers, keys) : undefined;

  const cfgKey: KeyOf<'image-config'> = { kind: 'image-config', ref, ...(global.platform ? { platform: global.platform } : {}) };
  keys?.push(cfgKey);
  const cfg = answers.get(cfgKey);
  if (!cfg) return { state: 'pending' };
  const env = isOk(cfg) ? (cfg.ok.env ?? []).find((e) => e.startsWith('PYTHON_VERSION=')) : undefined;
  const fromEnv = env ? VERSION_PREFIX.exec(env.slice('PYTHON_VERSION='.length))?.[1] : undefined;
  if (fromEnv) return fromCommand({ state: 'known', version: fromEnv, from: `from PYTHON_VERSION in the image config of ${ref}` });
  const tag = officialPythonTag(ref);
  if (tag !== undefined) {
    const fromTag = VERSION_PREFIX.exec(tag)?.[1];
    if (fromTag) return fromCommand({ state: 'known', version: fromTag, from: `from the tag of ${ref}` });
    return fromCommand({ state: 'unknown', why: `the tag of ${ref} names no minor version` });
  }
  if (release) {
    if (release.kind === 'pending') return { state: 'pending' };
    if (release.kind === 'known') {
      const { distro, release: rel } = release.release;
      const tool = distro === 'alpine' ? 'apk' : 'apt';
      const used = installs.find((i) => i.tool === tool);
      const version = DISTRO_PYTHON3[distro]?.[rel];
      if (used && version) {
        const label = distro === 'alpine' ? `Alpine ${rel}` : `${distro === 'debian' ? 'Debian' : 'Ubuntu'} ${rel}`;
        return fromCommand({ state: 'known', version, from: `${label}'s python3, installed with ${tool === 'apt' ? 'apt-get' : 'apk'}${releaseNote(release).replace(/^ \((.*)\)$/s, '; $1')}` });
      }
      if (used) return fromCommand({ state: 'unknown', why: `harden does not know the python3 of ${distro} ${rel}` });
    }
  }
  return fromCommand({ state: 'unknown', why: `neither the image config nor the tag of ${ref} says which Python it has` });
}

/** PIP_INDEX_URL / PIP_EXTRA_INDEX_URL / pip.conf set earlier in the stage chain (or in this RUN before the command). */
function customIndex(file: ParsedDockerfile, site: Site): boolean {
  const pattern = /PIP_(?:EXTRA_)?INDEX_URL|PIP_FIND_LINKS|pip\.conf/;
  if (pattern.test(site.run.rs.script.slice(0, site.cmd.range.end))) return true;
  const { stages } = dockerfileRuns(file);
  const chain = stageChain(stages, site.run.stage);
  for (const ins of file.ast.getInstructions()) {
    const r = toRange(file.lineStarts, ins.getRange());
    if (r.start >= site.run.rs.range.start) break;
    const st = stageAt(stages, r.start);
    if (st >= 0 && !chain.includes(st)) continue;
    if (pattern.test(file.text.slice(r.start, r.end))) return true;
  }
  return false;
}

function pinReport(file: ParsedDockerfile, site: Site, global: GlobalSettings, answers: Answers): Report | undefined {
  if (site.reqs.length === 0 && site.unresolvable.length === 0) return undefined;
  const range = commandRange(site.run.rs, site.cmd);
  if (site.skip) return { range, severity: 'info', message: `pip install not pinned: ${site.skip}` };
  if (site.unresolvable.length) {
    return {
      range,
      severity: 'warning',
      message: `pip install not pinned: ${site.unresolvable.map((w) => w.raw).join(', ')} ${site.unresolvable.length > 1 ? 'are' : 'is'} not a literal requirement harden can rewrite; pin it by hand`,
    };
  }
  if (customIndex(file, site)) {
    return { range, severity: 'info', message: 'pip install not pinned: the stage configures its own index (PIP_INDEX_URL, pip.conf); pass it with -i so the lookup uses it' };
  }
  const py = pythonOf(file, site, global, answers);
  if (py.state === 'pending') return undefined;
  const python = py.state === 'known' ? py : undefined;
  const looked = versionLookups(
    site.reqs,
    answers,
    (req) => versionKey(site, req, python),
    (req) => req.name,
    (req) => (req.spec ? `${req.name}${req.spec}` : req.name),
  );
  if (!looked) return undefined;
  const { versions, missing } = looked;
  const where = site.index ?? 'the package index';
  const forPython = python ? ` for Python ${python.version} (${python.from})` : '';
  if (looked.failed.length) return lookupFailedReport(range, 'pip install', looked);
  if (missing.length) return { range, severity: 'warning', message: `pip install not pinned: nothing matches ${missing.join(', ')} on ${where}${forPython}`, data: { missing, ...(python ? { python: python.version } : {}) } };
  const edits: Edit[] = versions.map(([req, ans]) => {
    const base = req.word.range.start + req.quoteOffset;
    const text = `==${ans.version}`;
    if (req.specEnd > req.specStart) return replace(site.run.rs.toFileRange({ start: base + req.specStart, end: base + req.specEnd }), text);
    return insertAt(site.run.rs.toFileOffset(base + req.specStart, 'end'), text);
  });
  return {
    range,
    message: `pip install: pinned ${versions.map(([req, ans]) => `${req.name}==${ans.version}`).join(', ')}${site.index ? ` from ${site.index}` : ''}${
      python ? forPython : py.state === 'unknown' ? ` (the interpreter's version is not known: ${py.why}; Requires-Python was not checked)` : ''
    }`,
    fix: fix('Pin pip requirements', 'safe', edits),
    data: { packages: Object.fromEntries(versions.map(([req, ans]) => [req.name, ans.version])), ...(python ? { python: python.version } : {}) },
  };
}

function hashReports(site: Site): Report[] {
  if (site.requireHashes) return [];
  return site.requirementFiles.map(({ flag, file }) => ({
    range: site.run.rs.toFileRange({ start: flag.range.start, end: file.range.end }),
    severity: 'info' as const,
    message: `pip install -r ${file.raw} checks no hashes: pin every requirement with hashes (pip-compile --generate-hashes, or pip hash) and add --require-hashes`,
    fix: { title: 'hash-pin the requirements file and add --require-hashes', safety: 'manual' as const, edits: [] },
  }));
}

export const lockPipInstall = defineCodemod({
  id: 'lock-pip-install',
  fileKinds: ['dockerfile'],
  summary: 'Pin `pip install` requirements to the exact version the package index serves today (extras and markers kept).',
  safety: 'safe',
  severity: 'warning',
  network: true,
  sources: ['hadolint:DL3013', 'seed:002'],
  docs: `## What it does
Pins every requirement of \`pip install\`, \`pip3 install\` and \`python -m pip install\` in RUN to the version pip would
pick today on the stage's Python: \`requests\` → \`requests==2.32.3\`, \`"django>=4.2,<5"\` → \`"django==4.2.16"\`.

- Versions come from the Python simple API of the index (PEP 691 JSON, falling back to PEP 503 HTML): the
  command's \`-i\`/\`--index-url\`, else config \`indexes: { pypi: … }\`, else pypi.org. The newest release matching
  the written specifier wins; yanked files and pre-releases are skipped as pip does.
- Requires-Python: when harden knows the Python version pip runs on, it picks the newest release with a file that
  version can install (\`requires-python\` of the index's files, as pip checks it), so \`django\` on
  \`python:3.8-slim\` is pinned to the newest 4.2.x, not to a 5.x that needs Python 3.10. The version comes from, in
  order: \`PYTHON_VERSION\` in the base image's config (the official \`python\` image and images built on it); the tag
  of the official image (\`python:3.8-slim\` → 3.8, \`python:3.12.1-bookworm\` → 3.12.1); the distribution's
  python3 when the stage installs it with \`apt-get install python3\`/\`apk add python3\` (Debian buster 3.7,
  bullseye 3.9, bookworm 3.11, trixie 3.13; Ubuntu focal 3.8, jammy 3.10, noble 3.12; Alpine 3.16–3.17 3.10,
  3.18–3.19 3.11, 3.20–3.21 3.12). \`FROM <stage>\` chains are followed; a versioned command (\`pip3.11\`,
  \`python3.11 -m pip\`) names its own minor version. The finding says which version the pins were chosen for and
  where it came from. A version without a patch number (3.8) stands for that series' patch releases.
- When the stage sets up another interpreter (pyenv, \`uv python install\`, a virtualenv or venv, conda), runs pip
  from a path of its own (\`/opt/venv/bin/pip\`), or nothing says which Python the image has, the newest matching
  release is pinned as before and the finding says that the interpreter's version was not known, so Requires-Python
  was not checked.
- Extras and environment markers stay as written (\`"uvicorn[standard]>=0.30 ; python_version >= '3.9'"\` →
  \`"uvicorn[standard]==0.30.6 ; python_version >= '3.9'"\`); only the specifier changes. Quoting is kept.
- \`-r requirements.txt\` without \`--require-hashes\` gets a *manual* finding: generate a hash-pinned file
  (\`pip-compile --generate-hashes\`) and install it with \`--require-hashes\`.
- Left alone: exact requirements (\`==1.2\`, \`===1.2\`), paths, archives, URLs and VCS references, editable installs,
  and commands using \`--extra-index-url\`, \`--pre\`, \`-c\` constraints, \`--no-index\`/\`--find-links\`, or an index
  configured through \`PIP_INDEX_URL\`/\`pip.conf\` (each reported).

Nothing is pinned, and a finding says why, when nothing on the index matches (the finding names it), a requirement is
a variable or a form harden cannot rewrite, or a lookup fails. A command is pinned whole or not at all.

## Why
\`pip install requests\` installs whatever the index has on the day of the build (hadolint DL3013). Exact pins make
the build reproducible and version changes reviewable; hashes (\`--require-hashes\`) also make it tamper-evident.

## Example
\`\`\`dockerfile
RUN pip install --no-cache-dir requests "uvicorn[standard]>=0.30"
\`\`\`
becomes
\`\`\`dockerfile
RUN pip install --no-cache-dir requests==2.32.3 "uvicorn[standard]==0.30.6"
\`\`\`

## Fix safety
Safe: the pins are the versions the same build installs today from the same index. Python releases are never
deleted from PyPI (only yanked), so the pins stay installable. Only direct requirements are pinned; their
dependencies still float (that is what a hash-pinned requirements file is for). Releases whose \`Requires-Python\`
excludes the stage's interpreter are skipped when its version is known (see above); when it is not known they are
not, and the finding says so: check such pins against the Python the image really runs.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    const keys: LookupKey[] = [];
    for (const site of sites(file)) {
      if (site.skip || site.unresolvable.length || site.reqs.length === 0 || customIndex(file, site)) continue;
      const py = pythonOf(file, site, global, answers, keys);
      if (py.state === 'pending') continue;
      for (const r of site.reqs) keys.push(versionKey(site, r, py.state === 'known' ? py : undefined));
    }
    return keys;
  },
  run(ctx) {
    const file = ctx.file;
    for (const site of sites(file)) {
      const r = pinReport(file, site, ctx.global, ctx.answers);
      if (r) ctx.report(r);
      for (const h of hashReports(site)) ctx.report(h);
    }
  },
});
