// Last step of `npm run build` (after vendor-deps.mjs): the modules the package is entered by (ENTRIES) are replaced by
// esbuild bundles of the compiled modules they reach, so importing one reads a few files instead of ~140. Node 20's
// ES module loader spends more on each module it resolves, reads, compiles and links than on a large one: bundled,
// `check` of two files runs ≈ 350 M fewer instructions (of ≈ 1.7 G, a fifth of it Node's own start-up).
//
// What stays as it was:
// - every other compiled module in dist/ (tsc's output, importing dist/vendor) and every .d.ts file: deep imports of
//   dist/ files (tests, benchmarks) load those, as before; the package exports only dist/src/index.js;
// - dist/vendor: the bundles import it (not a copy of it), so the patches src/engine/parse.ts applies to the vendored
//   yaml and dockerfile-ast classes, and a user's codemod, see the same classes from either;
// - dist/src/bin.js and dist/src/v8-flags.js: bin.js imports v8-flags.js (V8 settings) before cli.js, the bundle;
// - packages from node_modules (web-tree-sitter, ajv, …): still imported by name, most of them lazily.
// Code both of two entries reach is one chunk (dist/src/chunk-*.js) they import: one instance of each module, as
// unbundled. Every output file is two levels below dist/ (dist/src/x.js, dist/codemods/index.js), so `../vendor/…`
// is right from each, and a module's `import.meta.url` is given back as the URL of its own compiled file
// (`new URL('../src/shell/load.js', import.meta.url)`): the grammar, package.json and the worker entry are found beside
// it, wherever esbuild put its code. The entries' exports are the compiled modules' exports.
//
// Usage: node scripts/bundle-entries.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';

/** The modules imported from outside the bundles: the package's main, the CLI (from bin.js), the worker, and API.md's. */
export const ENTRIES = ['src/index.js', 'src/api.js', 'src/cli.js', 'src/worker.js', 'codemods/index.js'];

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const VENDOR = join(DIST, 'vendor');

const rel = (file) => relative(DIST, file).split(sep).join('/');

if (!existsSync(VENDOR)) throw new Error('bundle-entries: dist/vendor is missing: run `npm run build` (vendor-deps.mjs runs first)');
for (const e of ENTRIES) {
  const text = readFileSync(join(DIST, e), 'utf8');
  if (text.startsWith('/*\n * Bundled by')) throw new Error(`bundle-entries: dist/${e} is a bundle already: run \`npm run build\`, which empties dist/ first`);
}

const result = await build({
  entryPoints: ENTRIES.map((e) => join(DIST, e)),
  outbase: DIST,
  outdir: DIST,
  chunkNames: 'src/chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  legalComments: 'inline',
  write: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [distPlugin()],
});

const banner = (file) =>
  [
    '/*',
    ` * Bundled by harden's build (scripts/bundle-entries.mjs) from the compiled modules in dist/${file.startsWith('src/chunk-') ? ' (code two or more entries share)' : ''}:`,
    ' * the unbundled modules and their declarations are beside it.',
    ' */',
    '',
  ].join('\n');
for (const f of result.outputFiles) {
  const file = rel(f.path);
  if (file.split('/').length !== 2) throw new Error(`bundle-entries: ${file} is not two levels below dist/ (relative paths in the bundles assume it)`);
  if (!file.endsWith('.js')) throw new Error(`bundle-entries: unexpected output ${file}`);
  writeFileSync(f.path, banner(file) + f.text);
}
const chunks = result.outputFiles.length - ENTRIES.length;
const modules = Object.keys(result.metafile.inputs).length;
process.stdout.write(`bundle-entries: ${ENTRIES.join(', ')} (${modules} modules) -> ${ENTRIES.length} entries + ${chunks} chunks\n`);

/**
 * Imports of dist/vendor stay imports (by the path that is right from every output file); each compiled module's
 * `import.meta.url` becomes its own file's URL; a use of import.meta this does not rewrite stops the build.
 */
function distPlugin() {
  return {
    name: 'dist',
    setup(b) {
      b.onResolve({ filter: /\/vendor\// }, (a) => {
        const target = resolve(dirname(a.importer), a.path);
        if (!target.startsWith(VENDOR + sep)) return undefined;
        return { path: `../${rel(target)}`, external: true };
      });
      b.onLoad({ filter: /\.js$/ }, (a) => {
        if (!a.path.startsWith(DIST + sep) || a.path.startsWith(VENDOR + sep)) throw new Error(`bundle-entries: ${a.path} is outside dist/ (not vendored)`);
        const text = readFileSync(a.path, 'utf8');
        const code = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(`../${rel(a.path)}`)}, import.meta.url).href`);
        const other = /import\.meta(?!\.url\b)\S*/.exec(text);
        if (other) throw new Error(`bundle-entries: ${rel(a.path)} uses ${other[0]}, which the bundle does not give the module's own value`);
        return { contents: code, loader: 'js' };
      });
    },
  };
}
