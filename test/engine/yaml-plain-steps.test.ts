/**
 * The bundle's yaml lexer and CST parser with plain methods for generators (scripts/yaml-plain-steps.mjs) parse like
 * the library: the same lexemes, CST tokens and line starts, and composed through the library's Composer the same
 * documents (nodes with their ranges, comments and source tokens, errors and warnings with codes and offsets,
 * toString), on every compose fixture and corpus file, on thousands of damaged copies of them and when fed in chunks.
 * The rewritten modules are evaluated here from node_modules' sources, as the build rewrites them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainSteps, plainStepsFor, YAML_PLAIN_STEPS } from '../../scripts/yaml-plain-steps.mjs';
import { yamlFiles } from '../support/yaml-files.js';
import { rng as random } from '../support/dockerfiles.js';

const ROOT = join(import.meta.dirname, '..', '..');
const requireHere = createRequire(import.meta.url);
const YAML_DIR = dirname(requireHere.resolve('yaml/package.json'));
const req = createRequire(join(YAML_DIR, 'dist', 'parse', 'parser.js'));

type Tokens = (source: string, incomplete?: boolean) => Generator<unknown, void>;
interface LexerLike { lex: Tokens }
interface ParserLike { parse: Tokens }
type ParserClass = new (onNewLine?: (offset: number) => void) => ParserLike;
interface DocLike { contents: unknown; errors: unknown[]; warnings: unknown[]; directives: unknown; range: unknown; comment: unknown; commentBefore: unknown; toString(): string }
interface ComposerLike { compose(tokens: Iterable<unknown>): Iterable<DocLike> }
type ComposerClass = new (options: object) => ComposerLike;

const lib = {
  Lexer: (req('./lexer.js') as { Lexer: new () => LexerLike }).Lexer,
  Parser: (req('./parser.js') as { Parser: ParserClass }).Parser,
};
const { Composer } = req('../compose/composer.js') as { Composer: ComposerClass };

const sources = Object.fromEntries(Object.keys(YAML_PLAIN_STEPS).map((rel) => [rel, readFileSync(join(YAML_DIR, rel), 'utf8')]));
const rewritten = plainStepsFor(sources);

/** A CommonJS module of the yaml package from the given source, its requires resolved from its own place. */
function load(rel: string, code: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const file = join(YAML_DIR, rel);
  const own = createRequire(file);
  const module = { exports: {} as Record<string, unknown> };
  const fn = new Function('exports', 'require', 'module', '__filename', '__dirname', code) as (...a: unknown[]) => void;
  fn(module.exports, (s: string) => (s in overrides ? overrides[s] : own(s)), module, file, dirname(file));
  return module.exports;
}

const plainLexerModule = rewritten.sources ? load('dist/parse/lexer.js', rewritten.sources['dist/parse/lexer.js']!) : {};
const plain = {
  Lexer: plainLexerModule.Lexer as new () => LexerLike,
  Parser: (rewritten.sources ? load('dist/parse/parser.js', rewritten.sources['dist/parse/parser.js']!, { './lexer.js': plainLexerModule }).Parser : undefined) as ParserClass,
};

/**
 * What a parse gives: lexemes, line starts, CST tokens, and the documents composed from them; `full`: also as text
 * (toString) and composed with source tokens kept.
 */
function parsed(text: string, impl: typeof lib, full = true): unknown {
  const lexemes = [...new impl.Lexer().lex(text)];
  const lines: number[] = [];
  const tokens = [...new impl.Parser((o) => lines.push(o)).parse(text)];
  const docs = (options: object): unknown[] =>
    [...new Composer(options).compose(new impl.Parser().parse(text))].map((d) => {
      let str: string | undefined;
      try {
        if (full) str = d.toString();
      } catch (e) {
        str = `throws ${(e as Error).message}`;
      }
      // The schema and options come from the options, not from the tokens.
      const { contents, directives, range, comment, commentBefore } = d;
      const problems = (list: unknown[]): unknown[] => list.map((e) => ({ ...(e as object), message: (e as Error).message }));
      return { contents, errors: problems(d.errors), warnings: problems(d.warnings), directives, range, comment, commentBefore, str };
    });
  return { lexemes, lines, tokens, docs: docs({ uniqueKeys: true, merge: true }), kept: full ? docs({ keepSourceTokens: true, uniqueKeys: true }) : [] };
}
/**
 * Where two values first differ (a property path and both sides), or undefined when they hold the same: the same
 * prototypes, own enumerable properties in the same order, primitives equal, symbols of the same description (a merge
 * key `<<` is a new Symbol each time it is read).
 */
function difference(a: unknown, b: unknown, path = '', seen = new Map<object, unknown>()): string | undefined {
  if (a === b) return undefined;
  if (typeof a === 'symbol' && typeof b === 'symbol' && a.description === b.description) return undefined;
  const here = path || '(top)';
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return `${here}: ${String(a)} / ${String(b)}`;
  if (seen.get(a) === b) return undefined;
  seen.set(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${here}: the prototypes`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join() !== kb.join()) return `${here}: keys ${ka.join()} / ${kb.join()}`;
  for (const k of ka) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, seen);
    if (d) return d;
  }
  return undefined;
}
const same = (text: string, label: string, full = true): void => {
  const got = parsed(text, plain, full);
  const want = parsed(text, lib, full);
  const d = difference(got, want);
  if (d) expect.fail(`${label}: differs at ${d}`);
};


const CASES = [
  'services:\n  web:\n    image: nginx\n    ports: ["8080:80", 443]\n',
  'a: &x {b: 1}\nc: *x\n<<: *x\nd: |\n  line\n  two\ne: >-\n  folded\n',
  '%YAML 1.2\n---\na: 1\n...\n---\n- x\n- ? k\n  : v\n',
  '%YAML 1.2 # c\n%TAG !e! tag:example.com,2000:\n--- !e!x\n? [a, {b: c}]\n: !!str 1\n',
  'a: "unterminated\n',
  "a: 'it''s'\nb: \"\\u00e9\\x41\\\n  z\"\n",
  'a: [1, 2\nb: 3\n',
  'a: 1\na: 2\n',
  'a:\n\t- tab\n',
  '  - a\n - b\n',
  'x: }\n',
  'a: b: c\n',
  '\ufeffa: 1\r\nb: 2\r\n',
  'k: |2+\n   x\n\n\n# c\nl: >\n\n  folded\n  more\n\n',
  '- [a, b]: c\n- {? x, y: [z]}\n- !local &a b\n- *a\n',
  '#only a comment\n',
  '...\n',
  '---\n---\n',
  '',
];

const BITS = [' ', '\t', ':', ': ', '- ', '-', '"', "'", '[', ']', '{', '}', ',', '#', '\n', '\r\n', '---\n', '...', '|', '>-', '&a ', '*a', '!!str ', '? ', '%YAML 1.2\n', '\\', '@', '`', '\ufeff', '  '];

/** A copy of text with a few damaged spots: characters deleted, YAML punctuation and layout inserted, the end cut. */
function damaged(text: string, rnd: () => number): string {
  let t = text;
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (t.length + 1));
    const r = rnd();
    if (r < 0.3) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rnd() * 3));
    else if (r < 0.9) t = t.slice(0, at) + BITS[Math.floor(rnd() * BITS.length)] + t.slice(at);
    else t = t.slice(0, at);
  }
  return t;
}

describe('yaml lexer and parser with plain methods (the bundle)', () => {
  it('applies to the installed yaml (a new version needs its lexer.js and parser.js reviewed, and their hashes entered)', () => {
    expect(rewritten.reason).toBeUndefined();
    expect(Object.keys(rewritten.sources ?? {})).toEqual(Object.keys(YAML_PLAIN_STEPS));
  });

  it('refuses other sources and shapes it does not handle', () => {
    expect(plainStepsFor({ ...sources, 'dist/parse/lexer.js': `${sources['dist/parse/lexer.js']}\n` }).reason).toMatch(/not the version/);
    const shape = (body: string): string => {
      const r = plainSteps(`class A {\n  *g() { yield 1; }\n  ${body}\n}\n`, 'x.js');
      return r instanceof Error ? r.message : 'rewritten';
    };
    expect(shape('*h() { const v = yield 2; }')).toMatch(/value is used/);
    expect(shape('*h() { yield* [1, 2]; }')).toMatch(/yield\*/);
    expect(shape('*h() { yield; }')).toMatch(/bare yield/);
    expect(shape('*h() { return function* () {}; }')).toMatch(/nested generator/);
    expect(shape('$h() {}')).toMatch(/prefix/);
    expect(shape('h() {}')).toBe('rewritten');
  });

  it('keeps a generator call the library does not iterate a no-op, and the public methods generators', () => {
    const code = plainSteps('class A {\n  *g() { yield 1; this.h(); yield* this.h(); }\n  *h() { yield 2; }\n}\nexports.A = A;\n', 'x.js');
    expect(code).not.toBeInstanceOf(Error);
    const { A } = load('dist/parse/x.js', code as string) as { A: new () => { g(): Iterable<number> } };
    expect([...new A().g()]).toEqual([1, 2]);
  });

  it('gives the library lexemes, tokens, line starts and documents on hand-written cases, broken ones included', () => {
    for (const text of CASES) same(text, JSON.stringify(text));
  });

  it('gives the library parse of every compose fixture, example and corpus file', () => {
    const files = yamlFiles();
    expect(files.length).toBeGreaterThan(20);
    for (const [i, f] of files.entries()) same(readFileSync(f, 'utf8'), f, i % 4 === 0);
  });

  it('gives the library parse of damaged copies of them', () => {
    const rnd = random(13);
    const texts = [...CASES, ...yamlFiles().map((f) => readFileSync(f, 'utf8'))].filter((t) => t.length < 20_000);
    let n = 0;
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        const t = damaged(text, rnd);
        same(t, `round ${round}: ${JSON.stringify(t.slice(0, 200))}`, false);
        n++;
      }
    }
    expect(n).toBeGreaterThan(2000);
  });

  it('gives the library tokens when the source comes in chunks (incomplete input)', () => {
    const rnd = random(7);
    const chunked = (impl: typeof lib, text: string, cuts: number[]): unknown[] => {
      const p = new impl.Parser();
      const out: unknown[] = [];
      let at = 0;
      for (const c of cuts) {
        out.push(...p.parse(text.slice(at, c), true));
        at = c;
      }
      out.push(...p.parse(text.slice(at), false));
      return out;
    };
    for (const f of yamlFiles().slice(0, 150)) {
      const text = readFileSync(f, 'utf8');
      const cuts = [...new Set(Array.from({ length: 4 }, () => Math.floor(rnd() * text.length)))].sort((a, b) => a - b);
      expect(difference(chunked(plain, text, cuts), chunked(lib, text, cuts)), f).toBeUndefined();
    }
  });

  it.skipIf(!existsSync(join(ROOT, 'dist', 'vendor', 'yaml.js')))('is what the built bundle runs (after npm run build)', async () => {
    const bundle = (await import(join(ROOT, 'dist', 'vendor', 'yaml.js'))) as { Parser: ParserClass & { prototype: object }; Lexer: { prototype: object } };
    expect(typeof (bundle.Parser.prototype as { $next?: unknown }).$next).toBe('function');
    expect(typeof (bundle.Lexer.prototype as { $lex?: unknown }).$lex).toBe('function');
    for (const text of CASES) expect([...new bundle.Parser().parse(text)]).toEqual([...new lib.Parser().parse(text)]);
  });
});
