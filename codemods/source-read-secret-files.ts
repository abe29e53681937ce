/**
 * source-read-secret-files: when a compose service built here gets `X_FILE` (from compose-secrets), the code in its
 * build context that reads `process.env.X` is rewritten to read the file. The fix edits OTHER files (companions).
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import type * as TsMorph from 'ts-morph';
import type { Edit, ParsedCompose } from '../src/engine/types.js';
import { sha256 } from '../src/engine/companions.js';
import type { CompanionFileChange, Fix } from '../src/engine/types.js';
import { composeDir, services, type ServiceInfo } from '../src/secrets/compose.js';
import { MANUAL } from '../src/secrets/report.js';
import {
  HELPER_BASENAME, HELPER_MARKER, HELPER_NAME, helperText, importSpecifier, importText, packageRootOf, packageType,
  scanSource, styleOf, walkContext, type Style,
} from '../src/secrets/source.js';

let tsm: typeof TsMorph | undefined;
/** ts-morph (large: a TypeScript compiler), loaded the first time a source file is read, not for every compose file. */
const tsMorph = (): typeof TsMorph => (tsm ??= createRequire(import.meta.url)('ts-morph') as typeof TsMorph);

/** Variables the service now receives as files: `X_FILE` set, `X` not set. */
function fileVars(svc: ServiceInfo): Set<string> {
  const names = new Set(svc.env.map((e) => e.name));
  const out = new Set<string>();
  for (const e of svc.env) {
    const m = /^(.+?)_FILE$/.exec(e.name);
    if (m?.[1] && !names.has(m[1]) && e.value.kind !== 'host') out.add(m[1]);
  }
  return out;
}

function builtServices(file: ParsedCompose): { svc: ServiceInfo; vars: Set<string> }[] {
  return file.docs.flatMap((doc) =>
    services(file, doc)
      .filter((s) => s.build)
      .map((svc) => ({ svc, vars: fileVars(svc) }))
      .filter((x) => x.vars.size > 0),
  );
}

const rel = (from: string | undefined, p: string) => (from ? relative(from, p).split(sep).join('/') : p);

export const sourceReadSecretFiles = defineCodemod({
  id: 'source-read-secret-files',
  fileKinds: ['compose'],
  summary: 'Rewrite code built by a compose service to read secrets from the `<NAME>_FILE` files the service now gets.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001'],
  securitySeverity: 5.0,
  docs: `## What it does
For each compose service **built from this repository** (\`build:\` with a local context) whose environment sets
\`X_FILE\` but not \`X\` (what \`compose-secrets\` produces), the TypeScript and JavaScript files of the build context
(\`.ts .tsx .mts .cts .js .jsx .mjs .cjs\`, not \`node_modules\`, \`dist\`, \`build\` or dot-directories, up to ${8} levels deep)
that read \`X\` are rewritten to call a small helper:

- \`process.env.X\`, \`process.env['X']\` → \`${HELPER_NAME}('X')\`;
- \`const { X, Y: y = 'd' } = process.env\` → \`const X = ${HELPER_NAME}('X'), y = ${HELPER_NAME}('Y') ?? 'd'\`
  (other names stay in the pattern).

\`${HELPER_NAME}(name)\` returns the contents of the file named by \`\${name}_FILE\` (with one trailing newline
removed) when that variable is set, else \`process.env[name]\`, so the code still works where the variable is
passed directly. It is added **once per package** (the nearest \`package.json\`), as \`${HELPER_BASENAME}.<ext>\` in
the directory shared by the files that use it, in the package's style: TypeScript or JavaScript, ESM or CommonJS
(from the file extension, the file's own \`import\`/\`require\` syntax and \`package.json\` \`type\`), and imported (or
required) after the file's last import. Only the reads change: formatting and comments elsewhere are kept
(ts-morph finds the nodes; the changes are text edits). Files that mention the name only in strings, comments or
types are untouched.

The helper reads the file **synchronously**, on every call: fine at module load and for configuration reads;
call it once and keep the value in hot paths.

The fix changes files other than the compose file: it is applied by the secrets companion step
(src/engine/companions.ts), which checks that each file is unchanged since it was read.

## Why
After \`compose-secrets\`, \`X\` is no longer in the container's environment: code reading \`process.env.X\` would get
\`undefined\`.

## Example
\`\`\`ts
const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });
\`\`\`
becomes
\`\`\`ts
import { ${HELPER_NAME} } from './${HELPER_BASENAME}.js';
const client = new OpenAI({ apiKey: ${HELPER_NAME}('OPENAI_API_KEY') });
\`\`\`

## Fix safety
Unsafe: reads through aliases (\`const env = process.env; env.X\`), writes (\`process.env.X = …\`), rest patterns
and dynamic names are not rewritten (writes and patterns get a manual finding). If your code declares
\`ProcessEnv\` with \`X: string\`, the helper's \`string | undefined\` may need a \`!\` or a check.
`,
  lookups(file, _options, _global, answers) {
    // Build contexts are asked level by level: the engine calls lookups again with the answers so far.
    return builtServices(file).flatMap(({ svc }) => walkContext(svc.build?.context as string, answers).pending);
  },
  run(ctx) {
    const file = ctx.file;
    const base = composeDir(file);
    for (const { svc, vars } of builtServices(file)) {
      const context = svc.build?.context as string;
      const tree = walkContext(context, ctx.answers);
      const changes: CompanionFileChange[] = [];
      const groups = new Map<string, { style: Style; root: string; files: string[] }>();
      const perFile: { path: string; text: string; edits: Edit[]; style: Style; importAt: number; importAfter: boolean; alreadyImported: boolean; rewritten: Set<string> }[] = [];
      const unsupported: string[] = [];
      for (const [path, text] of tree.files) {
        if (path.endsWith('package.json') || !text.includes('process.env')) continue;
        if (![...vars].some((v) => text.includes(v))) continue;
        if (text.includes(HELPER_MARKER)) continue;
        const scan = scanSource(tsMorph(), relative(context, path), text, vars, HELPER_BASENAME);
        for (const u of scan.unsupported) unsupported.push(`${rel(base, path)}:${u.line} (${u.why})`);
        if (!scan.edits.length) continue;
        const root = packageRootOf(path, context, tree.dirs);
        const style = styleOf(path, scan.hasEsmSyntax, scan.hasRequire, packageType(root, tree.files));
        const key = `${root}\0${style.lang}${style.syntax}${style.helperExt}`;
        const g = groups.get(key) ?? { style, root, files: [] };
        g.files.push(path);
        groups.set(key, g);
        perFile.push({ path, text, edits: scan.edits, style, importAt: scan.importAt, importAfter: scan.importAfter, alreadyImported: scan.alreadyImported, rewritten: scan.rewritten });
      }
      const helpers: string[] = [];
      for (const g of groups.values()) {
        // The helper goes in the deepest directory shared by the files using it.
        let dir = dirname(g.files[0] as string);
        while (!g.files.every((f) => f.startsWith(dir + sep)) && dir.startsWith(g.root) && dir !== g.root) dir = dirname(dir);
        const helperPath = join(dir, `${HELPER_BASENAME}${g.style.helperExt}`);
        const existing = tree.files.get(helperPath);
        const entries = tree.dirs.get(dir) ?? [];
        if (existing === undefined && entries.includes(`${HELPER_BASENAME}${g.style.helperExt}`)) {
          unsupported.push(`${rel(base, helperPath)} exists and is not harden's helper`);
          continue;
        }
        if (existing !== undefined && !existing.includes(HELPER_MARKER)) {
          unsupported.push(`${rel(base, helperPath)} exists and is not harden's helper`);
          continue;
        }
        if (existing === undefined) {
          const eol = perFile.find((p) => g.files.includes(p.path))?.text.includes('\r\n') ? '\r\n' : '\n';
          changes.push({ absPath: helperPath, expectedSha256: null, edits: [{ start: 0, end: 0, text: helperText(g.style, eol) }] });
          helpers.push(rel(base, helperPath));
        }
        for (const p of perFile.filter((x) => g.files.includes(x.path))) {
          const eol = p.text.includes('\r\n') ? '\r\n' : '\n';
          const edits = [...p.edits];
          if (!p.alreadyImported) {
            const imp = importText(p.style, importSpecifier(p.path, helperPath, p.style));
            edits.unshift({ start: p.importAt, end: p.importAt, text: p.importAfter ? eol + imp : imp + eol });
          }
          changes.push({ absPath: p.path, expectedSha256: sha256(p.text), edits });
        }
      }
      const where = svc.envPair ? { start: svc.keyRange.start, end: svc.keyRange.end } : svc.keyRange;
      if (changes.some((c) => c.expectedSha256 !== null)) {
        const names = [...new Set(perFile.flatMap((p) => [...p.rewritten]))].sort();
        const files = perFile.map((p) => rel(base, p.path)).sort();
        const fix: Fix = { title: `read ${names.join(', ')} from their _FILE in ${svc.name}'s sources`, safety: 'unsafe', edits: [], files: changes };
        ctx.report({
          range: where,
          message: `service ${svc.name} gets ${names.map((n) => `${n}_FILE`).join(', ')} but its code reads ${names.join(', ')} from the environment (${files.join(', ')}): read them with ${HELPER_NAME}()${helpers.length ? ` (new helper ${helpers.join(', ')})` : ''}`,
          data: { service: svc.name, variables: names, files, helpers },
          fix,
        });
      }
      if (unsupported.length) {
        ctx.report({ range: where, message: `service ${svc.name}: read these by hand from the _FILE variables: ${unsupported.join('; ')}`, fix: MANUAL });
      }
    }
  },
});

