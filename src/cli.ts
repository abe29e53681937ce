/**
 * The command line: the only module that reads argv, prints, or exits.
 * Exit codes: 0 nothing to report / applied cleanly; 1 findings at or above --fail-on (check), or changes pending
 * in a dry-run with --exit-code (fix); 2 usage error, or a file that could not be processed (reported after all
 * other files were handled). A failed lookup is a finding, not exit 2.
 */
import { Command, CommanderError, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { execFileSync } from 'node:child_process';
import { version } from './version.js';
import type { FileKind, Preset, Severity } from './engine/types.js';
import type { HardenOptions, HardenResult } from './api.js';
import type { FileResult } from './engine/run.js';

const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_ERROR = 2;

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
const repeat = (v: string, prev: string[] = []) => [...prev, v];

interface CommonFlags {
  only?: string[];
  skip?: string[];
  exclude?: string[];
  followSymlinks?: boolean;
  unsafe?: boolean;
  fileRoles?: boolean;
  kind?: FileKind;
  stdinFilename?: string;
  reportUnusedIgnores?: boolean;
  config?: string;
  platform?: string;
  exactTags?: boolean;
  aptSnapshot?: string;
  refresh?: boolean;
  preset?: Preset;
  offline?: boolean;
  network?: boolean;
  cache?: boolean;
  concurrency?: string;
  jobs?: string;
  timeout?: string;
  verbose?: boolean;
  color?: boolean;
  composeVersion?: string;
}

function addCommon(cmd: Command): Command {
  return cmd
    .argument('[paths...]', 'files and directories to process (default: .); - reads standard input')
    .option('--only <ids>', 'run only these codemods (comma-separated)', list)
    .option('--skip <ids>', 'do not run these codemods (comma-separated)', list)
    .option('--exclude <glob>', 'skip paths matching this glob (repeatable)', repeat)
    .option('--follow-symlinks', 'also process symbolic links that lead outside the repository (named) or the walked directory')
    .option('--unsafe', 'also apply fixes marked unsafe')
    .option('--no-file-roles', 'treat dev, CI and test files (test/, cypress/, ci/, *.dev.*, …) like deployed ones: runtime hardening and secret migration too')
    .addOption(new Option('--kind <kind>', 'treat named files as this kind').choices(['dockerfile', 'compose', 'kubernetes', 'shell']))
    .option('--stdin-filename <name>', 'the name (and so the kind) of standard input')
    .option('--config <file>', 'use this configuration file instead of searching for .harden.yaml')
    .option('--platform <os/arch[/variant]>', 'pin platform manifest digests instead of index digests')
    .option('--exact-tags', 'replace floating tags by the most specific tag with the same digest')
    .option('--apt-snapshot <timestamp>', 'lock-apt-install: point Debian apt sources at this snapshot.debian.org timestamp (e.g. 20240115T000000Z) and resolve the pins from it')
    .option('--refresh', 'update pinned digests that no longer match their tag')
    .addOption(new Option('--preset <name>', 'compose hardening preset: standard (default), or strict (adds network isolation)').choices(['standard', 'strict']))
    .option('--offline', 'answer lookups from the cache only (a miss is a finding at that reference)')
    .option('--no-network', 'skip the codemods that need the network (registries, package indexes, downloads); run the rest')
    .option('--no-cache', 'neither read nor write the lookup cache')
    .option('--concurrency <n>', 'parallel network requests (default 8)')
    .option('--jobs <n>', 'threads processing files: 1 = no worker thread, auto (default) = one per core but one, from 1000 files and 3 cores')
    .option('--timeout <seconds>', 'per-request timeout (default 30)')
    .option('--verbose', 'print request counts and more detail on standard error')
    .option('--report-unused-ignores', 'report harden-ignore comments that suppressed nothing (check: they count as warnings)')
    .option('--color', 'force colour')
    .option('--no-color', 'never colour')
    .option('--compose-version <version>', 'the Compose version the output must work with (e.g. 1.29.2, 2.20): newer-only syntax is not written');
}

function addVerify(cmd: Command): Command {
  return cmd
    .option('--env-file <file>', 'values for ${VAR} in the compose files (passed to compose; never printed)')
    .option('--stable <seconds>', 'how long a service without a healthcheck must keep running (default 10)')
    .option('--wait-timeout <seconds>', 'the longest wait for a stack\'s services (default 180)')
    .option('--rounds <n>', 'hardened runs per project, adjustments included (default 5)')
    .option('--save', `save what the runs showed in each project's .harden/knowledge.yaml (read by later harden fix runs)`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function toOptions(paths: string[], f: CommonFlags): Promise<HardenOptions> {
  const stdin = paths.length === 1 && paths[0] === '-';
  if (!stdin && paths.includes('-')) throw new UsageErr('- (standard input) cannot be combined with other paths');
  if (!stdin && f.stdinFilename !== undefined) {
    throw new UsageErr(`--stdin-filename names standard input: pass - as the path (harden fix - --stdin-filename ${f.stdinFilename})`);
  }
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageErr(`${name} must be a positive number`);
    return n;
  };
  return {
    paths: stdin ? [] : paths,
    stdin: stdin ? { text: await readStdin(), filename: f.stdinFilename } : undefined,
    kind: f.kind,
    exclude: f.exclude,
    followSymlinks: f.followSymlinks,
    only: f.only,
    skip: f.skip,
    unsafe: f.unsafe,
    fileRoles: f.fileRoles === false ? false : undefined,
    configFile: f.config,
    platform: f.platform,
    exactTags: f.exactTags,
    aptSnapshot: f.aptSnapshot,
    refresh: f.refresh,
    preset: f.preset,
    network: f.network === false ? false : undefined,
    composeVersion: f.composeVersion,
    jobs: jobsFlag(f.jobs),
    resolver: {
      offline: f.offline,
      noCache: f.cache === false ? true : undefined,
      concurrency: num(f.concurrency, '--concurrency'),
      timeoutMs: f.timeout !== undefined ? (num(f.timeout, '--timeout') ?? 30) * 1000 : undefined,
      verbose: f.verbose,
    },
  };
}

class UsageErr extends Error {}

function jobsFlag(v: string | undefined): number | 'auto' | undefined {
  if (v === undefined || v === 'auto') return v;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageErr('--jobs must be a positive integer or auto');
  return Number(v);
}

/** Run `work` with a progress line on stderr when it is a terminal (not in CI); the line is gone when it returns. */
async function withProgress<T>(opts: HardenOptions, color: boolean | undefined, work: (opts: HardenOptions) => Promise<T>): Promise<T> {
  const { noProgress, progressEnabled, terminalProgress } = await import('./output/progress.js');
  const { useColor } = await import('./output/text.js');
  const line = progressEnabled(process.stderr) ? terminalProgress(process.stderr, { plain: !useColor(process.stderr, color) }) : noProgress;
  try {
    return await work(line === noProgress ? opts : { ...opts, onProgress: (p) => line.update(p) });
  } finally {
    line.done();
  }
}

/** Ignore comments naming no codemod (always), and unused ones (with --report-unused-ignores); returns how many unused. */
function printIgnoreNotes(r: { files: readonly Pick<FileResult, 'path' | 'ignoreNotes'>[] }, reportUnused: boolean | undefined): number {
  let unused = 0;
  for (const f of r.files) {
    for (const n of f.ignoreNotes ?? []) {
      if (n.kind === 'unused' && !reportUnused) continue;
      if (n.kind === 'unused') unused++;
      process.stderr.write(`${f.path}:${n.line}:${n.column}: warning: ${n.message}\n`);
    }
  }
  return unused;
}

function printErrors(r: Pick<HardenResult, 'problems' | 'companions'> & { files: readonly Pick<FileResult, 'path' | 'error'>[] }): void {
  for (const p of r.problems) {
    const loc = p.line ? `${p.path}:${p.line}${p.column ? `:${p.column}` : ''}` : p.path;
    process.stderr.write(`${loc}: error: ${p.message}\n`);
  }
  for (const e of r.companions.errors) process.stderr.write(`${e.path}: error: ${e.message}\n`);
  for (const f of r.files) {
    if (!f.error) continue;
    const loc = f.error.line ? `${f.path}:${f.error.line}${f.error.column ? `:${f.error.column}` : ''}` : f.path;
    process.stderr.write(`${loc}: error: ${f.error.message}\n`);
  }
}

function printNotes(r: HardenResult): void {
  for (const n of r.notes ?? []) process.stderr.write(`note: ${n}\n`);
}

function printRequests(r: HardenResult, verbose?: boolean): void {
  if (!verbose) return;
  const parts = Object.entries(r.requests).map(([k, v]) => `${k} ${v}`);
  process.stderr.write(`requests: ${parts.length ? parts.join(', ') : 'none'}\n`);
}

function gitRoot(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

type VerifyCliFlags = import('./verify/command.js').VerifyFlags;

async function runVerifyCmd(paths: string[], flags: CommonFlags & VerifyCliFlags): Promise<number> {
  const v = await import('./verify/command.js');
  const opts = await toOptions(paths, flags);
  if (opts.stdin) throw new UsageErr('verify runs files, not standard input');
  const out = await v.runVerify(opts, flags, (l) => process.stderr.write(`${l}\n`));
  if (out.error) process.stderr.write(`harden: error: ${out.error}\n`);
  if (out.report) process.stdout.write(v.printVerify(out.report, flags.format));
  return out.code;
}

async function runFix(paths: string[], flags: CommonFlags & VerifyCliFlags & { write?: boolean; allowReadOnly?: boolean; patch?: string; exitCode?: boolean; format?: string; verify?: boolean }): Promise<number> {
  const api = await import('./api.js');
  const { displayDiff, unifiedDiff } = await import('./engine/diff.js');
  const { colorDiff, findingLine, useColor } = await import('./output/text.js');
  let opts = await toOptions(paths, flags);
  if (flags.verify) {
    // Verify first; then fix only the verified projects, with what the runs showed.
    const v = await import('./verify/command.js');
    if (opts.stdin) throw new UsageErr('--verify runs files, not standard input');
    const out = await v.runVerify(opts, { ...flags, format: undefined }, (l) => process.stderr.write(`${l}\n`));
    if (out.error || !out.report) {
      process.stderr.write(`harden: error: ${out.error ?? 'verify failed'}\n`);
      return EXIT_ERROR;
    }
    process.stderr.write(v.printVerify(out.report, 'text'));
    const { verified, dirs, unverified } = v.verifiedPaths(out.report);
    for (const u of unverified) process.stderr.write(`${u.path}: not written (not verified: ${u.why})\n`);
    if (verified.length === 0) return unverified.length ? EXIT_ERROR : EXIT_OK;
    // Other files of the verified projects (Dockerfiles no service is built from, scripts, manifests) were not
    // exercised by the run: their changes are named, not written.
    const all = await api.fix({ ...opts, paths: dirs.map((d) => relative(process.cwd(), d) || '.'), knowledge: out.report.knowledge, write: false });
    const exercised = new Set(verified);
    for (const f of all.files) {
      if (f.changed && !f.error && f.absPath && !exercised.has(f.absPath)) {
        process.stderr.write(`${f.path}: not written (${f.applied.length} change${f.applied.length === 1 ? '' : 's'} the verify run did not exercise: no service of a verified project is built from or runs it)\n`);
      }
    }
    opts = { ...opts, paths: verified.map((d) => relative(process.cwd(), d) || '.'), knowledge: out.report.knowledge };
  }
  const r = await withProgress(opts, flags.color, (o) => api.fix({ ...o, write: flags.write && !o.stdin, allowReadOnly: flags.allowReadOnly }));
  const outColor = useColor(process.stdout, flags.color);
  const errColor = useColor(process.stderr, flags.color);

  if (flags.format === 'json') {
    const { jsonResult } = await import('./output/check-output.js');
    process.stdout.write(`${JSON.stringify(jsonResult(r, (f) => displayDiff(f.path, f)), null, 2)}\n`);
  } else if (opts.stdin && flags.write) {
    process.stdout.write(r.files[0]?.after ?? opts.stdin.text);
  } else if (!flags.write) {
    for (const f of r.files) {
      // Removed secret values are shown as ****; only the --patch file has them (git apply needs the real text).
      const d = displayDiff(f.path, f);
      if (d) process.stdout.write(colorDiff(d, outColor));
    }
    for (const c of r.companions.files) process.stdout.write(colorDiff(c.diff, outColor));
  }
  if (flags.patch) {
    const cwd = process.cwd();
    const root = gitRoot(cwd) ?? cwd;
    const rel = (abs: string) => relative(root, abs).split(sep).join('/');
    const patch = [
      ...r.files.map((f) => unifiedDiff(f.absPath ? rel(f.absPath) : f.path, f.before, f.after)),
      ...r.companions.files.map((c) => {
        const d = unifiedDiff(rel(c.absPath), c.before, c.after);
        return c.before === '' ? d.replace(/^--- a\/.*$/m, '--- /dev/null').replace(/^(diff --git .*)$/m, '$1\nnew file mode 100644') : d;
      }),
    ].join('');
    await writeFile(resolve(cwd, flags.patch), patch);
  }

  const applied = r.files.flatMap((f) => f.applied);
  const remaining = r.files.flatMap((f) => f.findings);
  if (flags.format !== 'json') {
    for (const a of applied) process.stderr.write(`${findingLine(a, errColor)}\n`);
    for (const x of remaining) process.stderr.write(`${findingLine(x, errColor)}\n`);
  }
  for (const m of r.companions.messages) process.stderr.write(`${m}\n`);
  printIgnoreNotes(r, flags.reportUnusedIgnores);
  printErrors(r);
  const changed = r.files.filter((f) => f.changed && !f.error);
  const heldBack = r.files.reduce((n, f) => n + f.heldBack, 0);
  if (flags.format !== 'json') {
    const verb = flags.write ? 'applied' : 'to apply';
    process.stderr.write(
      `${applied.length} fix${applied.length === 1 ? '' : 'es'} ${verb} in ${changed.length} file${changed.length === 1 ? '' : 's'}` +
        `${!flags.write && changed.length ? ' (dry-run: use --write to apply)' : ''}, ${remaining.length} finding${remaining.length === 1 ? '' : 's'} left\n`,
    );
    if (heldBack) process.stderr.write(`${heldBack} unsafe fix${heldBack === 1 ? ' was' : 'es were'} held back (apply with --unsafe)\n`);
  }
  printNotes(r);
  printRequests(r, flags.verbose);
  if (api.hasProcessingErrors(r)) return EXIT_ERROR;
  if (flags.exitCode && !flags.write && (changed.length > 0 || r.companions.files.length > 0)) return EXIT_FINDINGS;
  return EXIT_OK;
}

async function runCheck(paths: string[], flags: CommonFlags & { format?: string; failOn?: string; sarif?: string }): Promise<number> {
  const api = await import('./api.js');
  const { CheckOutput, SEVERITY_RANK } = await import('./output/check-output.js');
  const { useColor } = await import('./output/text.js');
  const opts = await toOptions(paths, flags);
  // What is printed of each file is kept as a compact record as its result arrives (src/output/check-output.ts);
  // SARIF reads the files' texts (its fingerprints hash the findings' lines), so with SARIF the results are collected.
  const out = new CheckOutput(flags.format === 'json' ? 'json' : 'text', useColor(process.stdout, flags.color));
  const withSarif = flags.format === 'sarif' || flags.sarif !== undefined;
  const run = await withProgress(opts, flags.color, (o) => api.check(withSarif ? o : { ...o, onFile: (f) => out.add(f) }));
  if (withSarif) {
    for (const f of run.files) out.add(f);
    const { toSarif } = await import('./output/sarif.js');
    const { codemods } = await import('../codemods/index.js');
    const sarif = `${JSON.stringify(toSarif(run, opts.codemods ?? codemods, version(), { cwd: process.cwd() }), null, 2)}\n`;
    // One run gives both: the findings on stdout and SARIF for code scanning in a file.
    if (flags.sarif) await writeFile(flags.sarif, sarif);
    if (flags.format === 'sarif') process.stdout.write(sarif);
  }
  const write = (s: string | Buffer) => void process.stdout.write(s);
  if (flags.format === 'json') out.writeJson(run, write);
  else if (flags.format !== 'sarif') {
    out.writeText(write);
    process.stderr.write(
      `${out.findings} finding${out.findings === 1 ? '' : 's'} in ${out.files} file${out.files === 1 ? '' : 's'}` +
        ` (${out.fixable} fixable with \`harden fix\`${out.heldBack ? `, ${out.heldBack} more with --unsafe` : ''})\n`,
    );
  }
  const r = { ...run, files: out.sorted() };
  const unusedIgnores = printIgnoreNotes(r, flags.reportUnusedIgnores);
  printErrors(r);
  printNotes(run);
  printRequests(run, flags.verbose);
  if (api.hasProcessingErrors(r)) return EXIT_ERROR;
  const failOn = (flags.failOn ?? 'info') as Severity | 'never';
  if (failOn === 'never') return EXIT_OK;
  if (unusedIgnores > 0 && SEVERITY_RANK.warning >= SEVERITY_RANK[failOn]) return EXIT_FINDINGS;
  return out.worst >= SEVERITY_RANK[failOn] ? EXIT_FINDINGS : EXIT_OK;
}

async function runRules(flags: { format?: string }): Promise<number> {
  const { codemods } = await import('../codemods/index.js');
  if (flags.format === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          version: 1,
          harden: version(),
          rules: codemods.map((c) => ({
            id: c.id, fileKinds: c.fileKinds, safety: c.safety, severity: c.severity ?? 'warning',
            ...(c.securitySeverity !== undefined ? { securitySeverity: c.securitySeverity } : {}),
            network: c.network ?? false, summary: c.summary, sources: c.sources ?? [], presets: c.presets ?? ['standard', 'strict'],
            roles: c.roles ?? ['production', 'dev', 'ci', 'test'],
            defaultOptions: c.defaultOptions ?? {},
          })),
        },
        null,
        2,
      )}\n`,
    );
    return EXIT_OK;
  }
  const rows = codemods.map((c) => [c.id, c.fileKinds.join(','), c.safety, `${c.presets ? `(--preset ${c.presets.join('|')}) ` : ''}${c.roles ? `(${c.roles.join('|')} files) ` : ''}${c.summary}`]);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), ['id', 'files', 'safety'][i]?.length ?? 0));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(w[i] ?? 0) : c)).join('  ');
  process.stdout.write(`${line(['id', 'files', 'safety', 'summary'])}\n`);
  for (const r of rows) process.stdout.write(`${line(r as string[])}\n`);
  return EXIT_OK;
}

async function runExplain(id: string): Promise<number> {
  const { codemodById, codemods } = await import('../codemods/index.js');
  const c = codemodById(id);
  if (!c) {
    const { didYouMean } = await import('./engine/did-you-mean.js');
    throw new UsageErr(`unknown codemod '${id}'${didYouMean(id, codemods.map((m) => m.id))} (see \`harden rules\`)`);
  }
  const { explainText } = await import('./engine/codemod-docs.js');
  process.stdout.write(explainText(c));
  return EXIT_OK;
}

interface ForgeFlags {
  token?: string;
  apiUrl?: string;
  repo?: string;
}

/** The token from --token, GITHUB_TOKEN or GH_TOKEN (never printed). */
function forgeToken(f: ForgeFlags): string | undefined {
  return f.token || process.env.GITHUB_TOKEN || process.env.GH_TOKEN || undefined;
}

/** Print a forge error (already scrubbed) and give its exit code; rethrow anything else. */
async function forgeFailure(e: unknown, token: string | undefined): Promise<number> {
  const { ForgeError } = await import('./forge/errors.js');
  const { scrub } = await import('./forge/scrub.js');
  if (e instanceof ForgeError) {
    process.stderr.write(`harden: error: ${scrub(e.message, [token])}\n`);
    return EXIT_ERROR;
  }
  if (e instanceof Error && token) {
    e.message = scrub(e.message, [token]);
    if (e.stack) e.stack = scrub(e.stack, [token]);
  }
  throw e;
}

async function runPr(
  paths: string[],
  flags: CommonFlags &
    ForgeFlags & {
      branch?: string; split?: boolean; remote?: string; base?: string; label?: string[]; reviewer?: string[]; teamReviewer?: string[];
      author?: string; committer?: string; signoff?: boolean; reopen?: boolean; draft?: boolean; sync?: boolean; dryRun?: boolean; docsUrl?: string;
    },
): Promise<number> {
  if (paths.includes('-')) throw new UsageErr('harden pr works on files in a git checkout, not standard input');
  const token = forgeToken(flags);
  try {
    const { runPr: run, formatDryRun } = await import('./forge/pr.js');
    const opts = await toOptions(paths, flags);
    const out = await run({
      cwd: process.cwd(),
      harden: opts,
      branch: flags.branch,
      split: flags.split,
      remote: flags.remote,
      base: flags.base,
      repo: flags.repo,
      apiUrl: flags.apiUrl ?? process.env.GITHUB_API_URL,
      token,
      labels: flags.label,
      reviewers: flags.reviewer,
      teamReviewers: flags.teamReviewer,
      author: flags.author,
      committer: flags.committer,
      signoff: flags.signoff,
      reopen: flags.reopen,
      draft: flags.draft,
      sync: flags.sync,
      dryRun: flags.dryRun,
      docsBaseUrl: flags.docsUrl,
      version: version(),
      log: (l) => process.stderr.write(`${l}\n`),
    });
    if (flags.dryRun) process.stdout.write(formatDryRun(out));
    else for (const b of out.branches) process.stdout.write(`${b.branch}\t${b.action}${b.pr ? `\t#${b.pr.number}\t${b.pr.url}` : ''}\n`);
    return EXIT_OK;
  } catch (e) {
    return forgeFailure(e, token);
  }
}

async function runReview(
  paths: string[],
  flags: CommonFlags & ForgeFlags & { pr?: string; base?: string; head?: string; all?: boolean; sarif?: string; comment?: boolean; failOn?: string; eventPath?: string },
): Promise<number> {
  if (paths.includes('-')) throw new UsageErr('harden review works on files in a git checkout, not standard input');
  const token = forgeToken(flags);
  let pr: number | undefined;
  if (flags.pr !== undefined) {
    pr = Number(flags.pr);
    if (!Number.isInteger(pr) || pr <= 0) throw new UsageErr('--pr must be a pull request number');
  }
  try {
    const { runReview: run } = await import('./forge/review.js');
    const { paths: _p, ...opts } = await toOptions([], flags);
    const out = await run({
      cwd: process.cwd(),
      harden: opts,
      all: flags.all,
      paths,
      repo: flags.repo,
      pr,
      base: flags.base,
      head: flags.head,
      eventPath: flags.eventPath,
      comment: flags.comment === false ? false : undefined,
      sarif: flags.sarif,
      failOn: (flags.failOn ?? 'info') as Severity | 'never',
      apiUrl: flags.apiUrl,
      token,
      version: version(),
      log: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(out.body);
    printErrors(out.result);
    return out.exitCode;
  } catch (e) {
    return forgeFailure(e, token);
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('harden')
    .description('Harden Dockerfiles and compose files: pin images, lock installs, add runtime hardening; output a reviewable patch.')
    .version(version(), '-V, --version')
    // A wrong flag gets commander's one-line error (with "did you mean") and a hint, not the whole help.
    .showHelpAfterError('(run `harden <command> --help` for its options)')
    .exitOverride();

  addVerify(addCommon(program.command('fix').description('compute fixes and print them as a unified diff (dry-run), or apply them with --write')))
    .option('--write', 'apply the fixes to the files (atomically)')
    .option('--allow-read-only', 'with --write: also replace read-only files (refused by default)')
    .option('--patch <file>', 'also write the changes as a patch for `git apply` (paths from the repository root)')
    .option('--exit-code', 'exit 1 when a dry-run has changes pending')
    .option('--verify', 'run each compose project under the container engine first (see `harden verify`) and keep only the changes its services survive')
    .addOption(new Option('--format <format>', 'output format').choices(['diff', 'json']).default('diff'))
    .action(async (paths: string[], flags) => setExit(await runFix(paths, flags)));

  addVerify(addCommon(program.command('verify').description('run each compose project as it is and hardened under the container engine; keep and report what its services survive')))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (paths: string[], flags) => setExit(await runVerifyCmd(paths, flags)));

  addCommon(program.command('check').description('report findings as file:line:col id message'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--sarif <file>', 'also write SARIF to this file (whatever --format prints)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'never']).default('info'))
    .action(async (paths: string[], flags) => setExit(await runCheck(paths, flags)));

  program
    .command('rules')
    .description('list every codemod: id, file kinds, fix safety, summary')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags) => setExit(await runRules(flags)));

  program
    .command('explain')
    .description("print a codemod's documentation")
    .argument('<id>', 'codemod id')
    .action(async (id: string) => setExit(await runExplain(id)));

  addCommon(program.command('pr').description('commit the fixes on a branch, push it and open or update a GitHub pull request'))
    .option('--branch <name>', 'branch to commit to (default harden/fixes)')
    .option('--split', 'one branch and pull request per codemod (<branch>/<codemod-id>)')
    .option('--remote <name>', 'git remote to push to (default origin)')
    .option('--base <branch>', 'base branch of the pull request (default: the checked-out branch)')
    .option('--repo <owner/name>', 'GitHub repository (default: from the remote URL)')
    .option('--api-url <url>', 'GitHub API URL, e.g. https://ghe.example.com/api/v3 (default $GITHUB_API_URL or https://api.github.com)')
    .option('--token <token>', 'GitHub token (default $GITHUB_TOKEN or $GH_TOKEN)')
    .option('--label <names>', 'labels for a new pull request (comma-separated, repeatable)', list)
    .option('--reviewer <logins>', 'reviewers to request (comma-separated, repeatable)', list)
    .option('--team-reviewer <slugs>', 'team reviewers to request (comma-separated, repeatable)', list)
    .option('--author <"Name <email>">', 'commit author (default: git config, else harden-bot)')
    .option('--committer <"Name <email>">', 'commit committer (default: the author)')
    .option('--signoff', 'add a Signed-off-by trailer')
    .option('--reopen', 'reopen the pull request if it was closed without merging')
    .option('--draft', 'open new pull requests as drafts')
    .option('--sync', 'check and update the pull request even when the branch is up to date')
    .option('--docs-url <url>', 'base URL of the codemod docs linked from the body (<url><id>.md)')
    .option('--dry-run', 'print the branch, commit message, title, body and diff; push nothing, call no API')
    .action(async (paths: string[], flags) => setExit(await runPr(paths, flags)));

  addCommon(program.command('review').description('comment on a pull request with the fixes and findings for the files it changes'))
    .option('--repo <owner/name>', 'GitHub repository (default $GITHUB_REPOSITORY)')
    .option('--pr <number>', 'pull request number (default: from $GITHUB_EVENT_PATH)')
    .option('--base <ref>', 'diff against this ref (default: the event\'s base sha)')
    .option('--head <ref>', 'head ref (default: the event\'s head sha, else HEAD)')
    .option('--all', 'review every file under the paths, not only those the pull request changes')
    .option('--event-path <file>', 'GitHub Actions event payload (default $GITHUB_EVENT_PATH)')
    .option('--sarif <file>', 'also write SARIF for code scanning')
    .option('--no-comment', 'do not post or update the pull request comment')
    .option('--api-url <url>', 'GitHub API URL (default $GITHUB_API_URL or https://api.github.com)')
    .option('--token <token>', 'GitHub token (default $GITHUB_TOKEN or $GH_TOKEN)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'never']).default('info'))
    .action(async (paths: string[], flags) => setExit(await runReview(paths, flags)));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      return EXIT_ERROR;
    }
    const { UsageError } = await import('./api.js');
    const { ConfigError } = await import('./engine/config.js');
    if (e instanceof UsageErr || e instanceof UsageError || e instanceof ConfigError) {
      for (const line of e.message.split('\n')) process.stderr.write(`harden: error: ${line}\n`);
      return EXIT_ERROR;
    }
    process.stderr.write(`harden: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_ERROR;
  }
  return code;
}

