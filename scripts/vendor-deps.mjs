// Last step of `npm run build`: packs the runtime dependencies on the start-up path into single-file ESM bundles under
// dist/vendor/ (esbuild) and points the compiled modules' imports at them. Loading yaml, dockerfile-ast and the rest
// from node_modules means reading, resolving and compiling some 140 small files, a large part of what importing
// harden costs; one bundle per package is one file each.
//
// Only dist/*.js changes: src/, codemods/ and the tests (TypeScript, run by vitest/tsx) import the real packages, the
// .d.ts files still name them, and they stay in `dependencies` (the types users compile against come from there).
// Every specifier of a vendored package that dist/ imports (`dockerfile-ast`, `dockerfile-ast/lib/parser.js`) is an
// entry of one esbuild run with code splitting, so code both reach is one shared chunk: one copy of each module, as
// from node_modules (dockerfile-probe.ts patches the Parser class that DockerfileParser uses).
// The bundles carry their licenses: each bundled package's license file is copied to dist/vendor/licenses/, every
// output file names the packages and versions bundled, and comments marked as legal are kept (legalComments).
//
// Usage: node scripts/vendor-deps.mjs [package…]   (default: VENDORED; naming packages is for measuring a subset)
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { plainStepsFor, YAML_PLAIN_STEPS } from './yaml-plain-steps.mjs';
import { uniqueKeysFor, YAML_UNIQUE_KEYS } from './yaml-unique-keys.mjs';

/**
 * The packages bundled. Import CPU of the API and the codemods saved by each (medians of 12 runs on 2 loaded cores, of
 * 213 ms): yaml 41 ms, dockerfile-ast 32, picomatch 20, diff 6, the four 56; commander (the CLI's only) ≈8 ms a run.
 * Not worth it: ignore and picocolors are one file each; ajv, semver, undici, web-tree-sitter and ts-morph load lazily.
 */
const VENDORED = ['yaml', 'dockerfile-ast', 'diff', 'picomatch', 'commander'];

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'vendor');

const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const bundleName = (spec) => spec.replace(/\.[cm]?js$/, '').replaceAll('/', '__');

/** Every .js file under dir (dist/vendor excluded). */
function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !f.startsWith(OUT + sep));
}

/** The module specifiers of a compiled module: static imports, re-exports and import() with a literal, with positions. */
function specifiersOf(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found = [];
  const visit = (node) => {
    let lit;
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) lit = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) lit = node.arguments[0];
    if (lit && ts.isStringLiteral(lit)) found.push({ spec: lit.text, start: lit.getStart(sf), end: lit.getEnd() });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Whether Node loads the module `spec` resolves to as ESM. */
function isEsm(spec) {
  const file = fileURLToPath(import.meta.resolve(spec));
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) return JSON.parse(readFileSync(pj, 'utf8')).type === 'module';
    if (dirname(dir) === dir) return false;
  }
}

/**
 * The entry module of a specifier's bundle: the exports Node gives an `import` of it. An ESM module is re-exported;
 * a CommonJS one has its exports object as default and each name Node's import finds on it as a named export.
 */
async function entrySource(spec) {
  const ns = await import(spec);
  const names = Object.keys(ns).filter((n) => n !== 'default' && n !== 'module.exports' && n !== '__esModule');
  const s = JSON.stringify(spec);
  if (isEsm(spec)) return `export * from ${s};\n${'default' in ns ? `export { default } from ${s};\n` : ''}`;
  // require(), not `import m from`: esbuild would give `exports.default` of a module marked __esModule, Node gives `exports`.
  return `const m = require(${s});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`;
}

/** The directory holding a package's package.json, from a file inside it. */
function packageDir(file) {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && JSON.parse(readFileSync(pj, 'utf8')).name) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${file}`);
  }
}

if (existsSync(OUT)) throw new Error('vendor-deps: dist/vendor exists, dist/ was rewritten already: run `npm run build`, which empties dist/ first');
const only = process.argv.slice(2);
const vendored = new Set(only.length ? only : VENDORED);
const files = jsFiles(DIST).map((file) => {
  const text = readFileSync(file, 'utf8');
  return { file, text, specs: specifiersOf(file, text).filter((x) => vendored.has(packageOf(x.spec))) };
});
const specs = [...new Set(files.flatMap((f) => f.specs.map((x) => x.spec)))].sort();
for (const p of vendored) if (!specs.some((s) => packageOf(s) === p)) throw new Error(`vendor-deps: dist/ does not import ${p}`);

const entries = new Map();
for (const spec of specs) entries.set(spec, await entrySource(spec));

const result = await build({
  entryPoints: specs.map((spec) => ({ in: `vendor-entry:${spec}`, out: bundleName(spec) })),
  absWorkingDir: ROOT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'inline',
  write: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [entryPlugin(), yamlRewritesPlugin()],
});

// The packages in the bundles (the vendored ones and what they pull in): their license files, and on each output file
// a banner naming those it holds.
const packages = new Map();
const packageOfInput = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  if (input.startsWith('vendor-entry:')) continue;
  const dir = packageDir(realpathSync(join(ROOT, input)));
  const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  packages.set(pj.name, { dir, version: pj.version, license: pj.license });
  packageOfInput.set(input, pj.name);
}
mkdirSync(join(OUT, 'licenses'), { recursive: true });
const licenseFile = new Map();
for (const [name, { dir, version }] of packages) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  if (!file) throw new Error(`vendor-deps: ${name}@${version} has no license file to ship with its bundle`);
  licenseFile.set(name, `${name.replaceAll('/', '__')}.LICENSE`);
  copyFileSync(join(dir, file), join(OUT, 'licenses', licenseFile.get(name)));
}
for (const f of result.outputFiles) {
  const rel = relative(ROOT, f.path).split(sep).join('/');
  const { inputs = {}, entryPoint } = result.metafile.outputs[rel] ?? {};
  const from = Object.keys(inputs).map((i) => packageOfInput.get(i));
  if (entryPoint) from.push(packageOf(entryPoint.slice('vendor-entry:'.length)));
  const held = [...new Set(from.filter(Boolean))].sort();
  const up = relative(dirname(f.path), join(OUT, 'licenses')).split(sep).join('/');
  const banner = [
    '/*',
    held.length
      ? " * Bundled by harden's build (scripts/vendor-deps.mjs) from these npm packages, under their own licenses:"
      : " * esbuild's runtime helpers (MIT) for the bundles harden's build (scripts/vendor-deps.mjs) makes of npm packages.",
    ...held.map((n) => ` *   ${n}@${packages.get(n).version} (${packages.get(n).license}): ${up}/${licenseFile.get(n)}`),
    ' */',
    // esbuild's CommonJS wrapper calls require() for Node built-ins; an ES module has none of its own.
    'import { createRequire as __vendorCreateRequire } from "node:module";',
    'const require = __vendorCreateRequire(import.meta.url);',
    '',
  ].join('\n');
  mkdirSync(dirname(f.path), { recursive: true });
  writeFileSync(f.path, banner + f.text);
}

// The compiled modules import the bundles (relative paths); nothing else in them changes.
let rewritten = 0;
for (const { file, text, specs: found } of files) {
  if (found.length === 0) continue;
  let out = text;
  for (const { spec, start, end } of [...found].sort((a, b) => b.start - a.start)) {
    let rel = relative(dirname(file), join(OUT, `${bundleName(spec)}.js`)).split(sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    const q = out[start];
    out = `${out.slice(0, start)}${q}${rel}${q}${out.slice(end)}`;
  }
  writeFileSync(file, out);
  rewritten++;
}
process.stdout.write(`vendor-deps: ${specs.join(', ')} -> dist/vendor (${packages.size} packages), ${rewritten} modules rewritten\n`);

/**
 * yaml's lexer and CST parser with plain methods for generators (scripts/yaml-plain-steps.mjs) and a linear
 * duplicate-key check (scripts/yaml-unique-keys.mjs), each when the installed files are the ones it was checked
 * against; otherwise those files are bundled as they are, with a note.
 */
function yamlRewritesPlugin() {
  let steps;
  let uniqueKeys;
  const note = (what, reason) => process.stdout.write(`vendor-deps: yaml's ${what} bundled as it is: ${reason}\n`);
  return {
    name: 'yaml-rewrites',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/](parse[\\/](lexer|parser)|compose[\\/]util-map-includes)\.js$/ }, (a) => {
        const dir = packageDir(a.path);
        const read = (rel) => (existsSync(join(dir, rel)) ? readFileSync(join(dir, rel), 'utf8') : undefined);
        const rel = relative(dir, a.path).split(sep).join('/');
        if (rel === YAML_UNIQUE_KEYS.file) {
          uniqueKeys ??= uniqueKeysFor(read(rel));
          if (uniqueKeys.reason) note('duplicate-key check', uniqueKeys.reason);
          return uniqueKeys.source === undefined ? undefined : { contents: uniqueKeys.source, loader: 'js' };
        }
        if (steps === undefined) {
          steps = plainStepsFor(Object.fromEntries(Object.keys(YAML_PLAIN_STEPS).map((f) => [f, read(f)])));
          if (steps.reason) note('lexer and parser', steps.reason);
        }
        const contents = steps.sources?.[rel];
        return contents === undefined ? undefined : { contents, loader: 'js' };
      });
    },
  };
}

function entryPlugin() {
  return {
    name: 'vendor-entry',
    setup(b) {
      b.onResolve({ filter: /^vendor-entry:/ }, (a) => ({ path: a.path.slice('vendor-entry:'.length), namespace: 'vendor-entry' }));
      b.onLoad({ filter: /.*/, namespace: 'vendor-entry' }, (a) => ({ contents: entries.get(a.path), resolveDir: ROOT, loader: 'js' }));
    },
  };
}
