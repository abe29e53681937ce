/**
 * The compiled package's bundled dependencies (scripts/vendor-deps.mjs, the last step of `npm run build`): dist/*.js
 * import dist/vendor/, the .d.ts files still name the real packages, every bundle names its packages and ships their
 * licenses, dockerfile-ast's Parser class is the one DockerfileParser uses (the heredoc probe patches it), and a
 * user's codemod written against the real `yaml` package (its type guards) and `dockerfile-ast` (`getKeyword()`) works
 * on harden's parses through dist/, as the README's "Adding a codemod" says. Runs after `npm run build`, like
 * test/package.test.ts; the dist/ code runs in plain Node (no TypeScript loader), as users run it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmpTree } from './support/tmp.js';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const VENDORED = ['yaml', 'dockerfile-ast', 'diff', 'picomatch', 'commander'];
/** What the bundles hold: the vendored packages and what they pull in. */
const BUNDLED = [...VENDORED, 'vscode-languageserver-textdocument', 'vscode-languageserver-types'];

const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
/** The bare specifiers a compiled module imports (static, re-exported or import() with a literal). */
const imports = (text: string): string[] => [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s*)(["'])([^"'.][^"']*)\1/gm)].map((m) => m[2]!);
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** Runs an ES module in plain Node with the repository as its directory (bare imports resolve to node_modules/). */
function node(source: string, cwd = ROOT) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

beforeAll(() => {
  expect(existsSync(join(DIST, 'vendor/yaml.js')), 'run npm run build first').toBe(true);
});

describe('dist/ and its bundled dependencies', () => {
  it('compiled modules import the bundles; declarations import the packages, which stay dependencies', () => {
    const js = files(DIST).filter((f) => f.endsWith('.js') && !f.startsWith(join(DIST, 'vendor')));
    const direct = js.flatMap((f) => imports(readFileSync(f, 'utf8')).filter((s) => VENDORED.includes(packageOf(s))).map((s) => `${relative(DIST, f)}: ${s}`));
    expect(direct).toEqual([]);
    const parse = readFileSync(join(DIST, 'src/engine/parse.js'), 'utf8');
    expect(parse).toMatch(/from '\.\.\/\.\.\/vendor\/yaml\.js'/);
    expect(parse).toMatch(/from '\.\.\/\.\.\/vendor\/dockerfile-ast\.js'/);
    const dts = files(DIST).filter((f) => f.endsWith('.d.ts'));
    expect(dts.filter((f) => readFileSync(f, 'utf8').includes('/vendor/'))).toEqual([]);
    expect(readFileSync(join(DIST, 'src/engine/types.d.ts'), 'utf8')).toMatch(/from 'dockerfile-ast'[^]*from 'yaml'/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; files: string[] };
    for (const p of [...VENDORED, 'vscode-languageserver-textdocument']) expect(pkg.dependencies).toHaveProperty(p);
    expect(pkg.files).toContain('dist/vendor');
  });

  it('every bundle names the packages it holds and their license files, which ship next to it', () => {
    const bundles = files(join(DIST, 'vendor')).filter((f) => f.endsWith('.js'));
    const named = new Set<string>();
    for (const f of bundles) {
      const banner = /^\/\*[^]*?\*\//.exec(readFileSync(f, 'utf8'))?.[0] ?? '';
      expect(banner, relative(DIST, f)).toMatch(/scripts\/vendor-deps\.mjs/);
      for (const m of banner.matchAll(/^ \* {3}(\S+)@\S+ \(([^)]+)\): (\S+)$/gm)) {
        named.add(m[1]!);
        const license = resolve(f, '..', m[3]!);
        expect(readFileSync(license, 'utf8'), license).toMatch(/permission|copyright/i);
      }
    }
    expect([...named].sort()).toEqual([...BUNDLED].sort());
    expect(readdirSync(join(DIST, 'vendor/licenses')).sort()).toEqual(BUNDLED.map((p) => `${p}.LICENSE`).sort());
  });

  it("dockerfile-ast's Parser is the class DockerfileParser uses, and dist's heredoc probe patches it", () => {
    const r = node(`
      import { DockerfileParser } from './dist/vendor/dockerfile-ast.js';
      import { Parser } from './dist/vendor/dockerfile-ast__lib__parser.js';
      await import('./dist/src/engine/parse.js');
      const patched = Object.getOwnPropertySymbols(Parser.prototype).some((s) => s.description === 'heredoc probe patched');
      let calls = 0;
      const parse = Parser.prototype.parse;
      Parser.prototype.parse = function (...a) { calls++; return parse.apply(this, a); };
      const n = DockerfileParser.parse('FROM a\\nRUN <<EOF\\necho\\nEOF\\n').getInstructions().length;
      console.log(JSON.stringify({ patched, calls, n }));
    `);
    expect(r).toEqual({ patched: true, calls: 1, n: 2 });
  });

  it("dist's yaml lexer and parser run plain methods (scripts/yaml-plain-steps.mjs) and parse as the installed yaml", () => {
    const r = node(`
      import { Lexer, Parser, parseAllDocuments } from './dist/vendor/yaml.js';
      import * as lib from 'yaml';
      const original = Parser.prototype.next;
      const { patchYamlParser } = await import('./dist/src/engine/yaml-parser.js');
      await import('./dist/src/engine/parse.js');
      const plain = typeof Parser.prototype.$next === 'function' && typeof Lexer.prototype.$lex === 'function';
      const text = 'a: &x {b: 1}\\nc: *x\\nd: |\\n  l\\ne: [1, "2"\\n';
      const same = JSON.stringify([...new Parser().parse(text)]) === JSON.stringify([...new lib.Parser().parse(text)]);
      // The token step patch of src/engine/yaml-parser.ts is for the library's generator step: not installed here.
      const patched = Parser.prototype.next !== original || patchYamlParser();
      console.log(JSON.stringify({ plain, patched, same, errors: parseAllDocuments(text)[0].errors.length }));
    `);
    expect(r).toEqual({ plain: true, patched: false, same: true, errors: 1 });
  });

  it("a user's codemod using the real yaml's type guards and dockerfile-ast's getKeyword() works on dist's parses", () => {
    const dir = tmpTree({
      'compose.yaml': 'services:\n  web:\n    image: nginx:1.25.3\n    ports: ["8080:80"]\n',
      Dockerfile: 'FROM node:20.11.0\nRUN npm install\n',
    });
    const r = node(`
      import { isMap, isScalar, isSeq, visit, YAMLMap } from 'yaml';
      import { Instruction } from 'dockerfile-ast';
      import { check, defineCodemod } from './dist/src/index.js';
      const seen = {};
      const composeCodemod = defineCodemod({
        id: 'user-compose', fileKinds: ['compose'], summary: 'x', safety: 'safe', docs: '',
        run(ctx) {
          const doc = ctx.file.docs[0];
          seen.isMap = isMap(doc.contents);
          seen.instanceofRealYaml = doc.contents instanceof YAMLMap;
          visit(doc, {
            Scalar(_, node) {
              if (isScalar(node) && node.value === 'nginx:1.25.3') ctx.report({ range: { start: node.range[0], end: node.range[1] }, message: 'image' });
            },
            Seq(_, node) { seen.seq = isSeq(node); },
          });
        },
      });
      const dockerfileCodemod = defineCodemod({
        id: 'user-dockerfile', fileKinds: ['dockerfile'], summary: 'x', safety: 'safe', docs: '',
        run(ctx) {
          seen.keywords = ctx.file.ast.getInstructions().map((i) => i.getKeyword());
          seen.instanceofRealDockerfileAst = ctx.file.ast.getInstructions()[0] instanceof Instruction;
        },
      });
      const r = await check({ cwd: ${JSON.stringify(dir)}, paths: ['.'], codemods: [composeCodemod, dockerfileCodemod], resolver: { offline: true, noCache: true } });
      const findings = r.files.flatMap((f) => f.findings.map((x) => f.path + ' ' + x.codemodId + ' ' + x.message));
      console.log(JSON.stringify({ seen, findings }));
    `);
    expect(r).toEqual({
      seen: {
        isMap: true,
        seq: true,
        keywords: ['FROM', 'RUN'],
        // Why the README says type guards and getKeyword(), not instanceof: harden's parses are made by the bundled copies.
        instanceofRealYaml: false,
        instanceofRealDockerfileAst: false,
      },
      findings: ['compose.yaml user-compose image'],
    });
  });
});
