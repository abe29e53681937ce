// The `yaml` package's lexer and CST parser as plain methods instead of generators, for the bundle in dist/vendor
// (scripts/vendor-deps.mjs applies it while bundling; node_modules and the tests' imports keep the library as it is).
//
// yaml's Lexer and Parser are written as generators: the lexer yields each lexeme through a chain of `yield*`
// delegations (pushCount inside parsePlainScalar inside parseDocument inside parseNext inside lex), and the parser runs
// a fresh generator (next, step, blockMap, pop, …) for every lexeme. Each delegation level resumes and re-yields each
// value and allocates a result object, and each call allocates a generator: over a run's compose files that is most of
// what building the CST costs, and a good part of the young-generation garbage.
//
// The rewrite is mechanical and changes no logic. In the classes of the module, every generator method `*m(…)` becomes a
// plain method `$m(…)`; in it, `yield* this.g(…)` (g a generator method of the class) becomes `this.$g(…)`, and
// `yield x;` becomes `this.$out.push(x);`. Each `m` stays as a generator with the library's signature that runs `$m`
// into an array and yields its items, so callers (the Composer, users of `Parser#parse`/`Lexer#lex`) see the same
// tokens in the same order; only the laziness within one call is gone (a stream of several documents has all their
// CST tokens made before the first is composed). A call of a generator method that the library does not iterate (the
// lexer's `this.pushNewline();` after a directive line) still reaches the generator, and still does nothing. The
// parser's loop over `this.lexer.lex(…)` becomes a callback the lexer calls with each lexeme as it makes it, in the
// library's order and with no array of a file's lexemes; the parser's per-token `process.env.LOG_TOKENS` read is made
// once, when the module loads.
//
// It applies only to the exact files it was checked against (SHA-256 of yaml 2.9.1's dist/parse/lexer.js and
// parser.js, both or neither): another version is bundled as it is, and test/engine/yaml-plain-steps.test.ts fails
// until the new sources are reviewed and their hashes entered here.
import { createHash } from 'node:crypto';
import ts from 'typescript';

/** The files the rewrite is for: path inside the yaml package → SHA-256 of its content. */
export const YAML_PLAIN_STEPS = {
  'dist/parse/lexer.js': 'cb30a2c4628e270ee810530217f3f7bb0f2730ab89f8fbaf1f8a73ccd1883cf5',
  'dist/parse/parser.js': '0adc5ffa51ffa4c0ceed1f80efa8b188d10f58c7b9389a6d46bc861e6bff34e1',
};

export const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** The rewritten module text, or an Error saying why the module does not have the expected shape. */
export function plainSteps(text, file) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits = [];
  const fail = (node, why) => new Error(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}: ${why}`);
  let classes = 0;
  let logReads = 0;
  let lexLoops = 0;
  let error;

  const visitClass = (cls) => {
    const gens = new Set();
    for (const m of cls.members) {
      const name = m.name && ts.isIdentifier(m.name) ? m.name.text : undefined;
      if (name?.startsWith('$')) throw fail(m, `member ${name} already uses the rewrite's prefix`);
      if (ts.isMethodDeclaration(m) && m.asteriskToken) {
        if (!name || m.modifiers?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword)) throw fail(m, 'a generator method the rewrite does not handle');
        gens.add(name);
      }
    }
    if (gens.size === 0) return;
    classes++;
    const isGenCall = (e) =>
      ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.expression.kind === ts.SyntaxKind.ThisKeyword &&
      ts.isIdentifier(e.expression.name) && gens.has(e.expression.name.text);
    const wrappers = [];
    for (const m of cls.members) {
      if (!ts.isMethodDeclaration(m) || !m.asteriskToken) continue;
      const name = m.name.text;
      // `*name(` → `$name(`
      edits.push({ start: m.asteriskToken.getStart(sf), end: m.name.getEnd(), text: `$${name}` });
      const walk = (n) => {
        if (ts.isFunctionLike(n) && n !== m) {
          if (n.asteriskToken) throw fail(n, 'a nested generator');
        }
        if (ts.isYieldExpression(n)) {
          if (!n.expression) throw fail(n, 'a bare yield');
          if (n.asteriskToken) {
            if (!isGenCall(n.expression)) throw fail(n, 'yield* of something other than a generator method of the class');
            edits.push({ start: n.getStart(sf), end: n.expression.getStart(sf), text: '' });
            edits.push({ start: n.expression.expression.name.getStart(sf), end: n.expression.expression.name.getEnd(), text: `$${n.expression.expression.name.text}` });
          } else {
            if (!ts.isExpressionStatement(n.parent)) throw fail(n, 'a yield whose value is used');
            edits.push({ start: n.getStart(sf), end: n.expression.getStart(sf), text: 'this.$out.push(' });
            edits.push({ start: n.expression.getEnd(), end: n.expression.getEnd(), text: ')' });
          }
          ts.forEachChild(n.expression, walk);
          return;
        }
        if (ts.isForOfStatement(n) && ts.isCallExpression(n.expression) && n.expression.expression.getText(sf) === 'this.lexer.lex') {
          // for (const x of this.lexer.lex(a, b)) S;  →  this.lexer.$each((x) => { S; }, a, b);
          // The lexer hands each lexeme to S as it makes it, as the library's loop over its generator did.
          const decl = n.initializer;
          const v = ts.isVariableDeclarationList(decl) && decl.declarations.length === 1 ? decl.declarations[0].name : undefined;
          if (!v || !ts.isIdentifier(v) || !ts.isExpressionStatement(n.statement)) throw fail(n, 'a loop over the lexer the rewrite does not handle');
          const args = n.expression.arguments.map((a) => a.getText(sf)).join(', ');
          edits.push({ start: n.getStart(sf), end: n.statement.getStart(sf), text: `this.lexer.$each((${v.text}) => { ` });
          edits.push({ start: n.statement.getEnd(), end: n.statement.getEnd(), text: ` }, ${args});` });
          lexLoops++;
        }
        if (ts.isPropertyAccessExpression(n) && n.getText(sf) === 'node_process.env.LOG_TOKENS') {
          edits.push({ start: n.getStart(sf), end: n.getEnd(), text: 'LOG_TOKENS$' });
          logReads++;
          return;
        }
        ts.forEachChild(n, walk);
      };
      ts.forEachChild(m, walk);
      wrappers.push(`    *${name}(...args) {\n        const [out, ret] = this.$run(this.$${name}, args);\n        yield* out;\n        return ret;\n    }`);
    }
    wrappers.push(
      '    $run(fn, args) {\n        const outer = this.$out;\n        const out = (this.$out = []);\n' +
        '        try {\n            return [out, fn.apply(this, args)];\n        }\n        finally {\n            this.$out = outer;\n        }\n    }',
    );
    if (gens.has('lex')) {
      wrappers.push(
        '    $each(sink, ...args) {\n        const outer = this.$out;\n        this.$out = { push: sink };\n' +
          '        try {\n            return this.$lex(...args);\n        }\n        finally {\n            this.$out = outer;\n        }\n    }',
      );
    }
    const close = cls.getEnd() - 1;
    edits.push({ start: close, end: close, text: `    // The library's generator API over the plain methods above (scripts/yaml-plain-steps.mjs).\n${wrappers.join('\n')}\n` });
  };

  const visit = (n) => {
    if (error) return;
    try {
      if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) visitClass(n);
    } catch (e) {
      error = e;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (error) return error;
  if (classes !== 1) return new Error(`${file}: ${classes} classes with generator methods, expected 1`);
  if (logReads > 1) return new Error(`${file}: ${logReads} reads of LOG_TOKENS, expected at most 1`);
  if (/parser\.js$/.test(file) && (logReads !== 1 || lexLoops !== 1)) return new Error(`${file}: the parser's lexer loop or LOG_TOKENS read is not where expected`);
  edits.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let last = Infinity;
  for (const e of edits) {
    if (e.end > last) return new Error(`${file}: overlapping edits`);
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    last = e.start;
  }
  if (logReads) out += '\n// Read once (scripts/yaml-plain-steps.mjs): the library read it for every token.\nvar LOG_TOKENS$ = node_process.env.LOG_TOKENS;\n';
  return out;
}

/**
 * The rewritten sources of yaml's lexer and parser, keyed by path inside the package, from their current sources;
 * or the reason they stay as they are (another version, or a shape the rewrite does not handle).
 */
export function plainStepsFor(sources) {
  const out = {};
  for (const [rel, want] of Object.entries(YAML_PLAIN_STEPS)) {
    const text = sources[rel];
    if (text === undefined) return { reason: `yaml's ${rel} not found` };
    if (sha256(text) !== want) return { reason: `yaml's ${rel} is not the version the rewrite was checked against (sha256 ${sha256(text)})` };
    const r = plainSteps(text, rel);
    if (r instanceof Error) return { reason: r.message };
    out[rel] = r;
  }
  return { sources: out };
}
