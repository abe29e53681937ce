/**
 * Finding reads of environment variables in TypeScript / JavaScript sources, with ts-morph used ONLY to find
 * nodes and their positions; every change is a text edit. Also the helper each package gets, in its own style.
 */
import { dirname, extname, join, relative, sep } from 'node:path';
import type * as TsMorph from 'ts-morph';
import type { Answers, Edit, LookupKey } from '../engine/types.js';
import { isOk, type KeyOf } from '../engine/lookups.js';

export const HELPER_NAME = 'readSecretEnv';
export const HELPER_BASENAME = 'read-secret-env';
export const HELPER_MARKER = 'harden:read-secret-env';

const SOURCE_EXT = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const SKIP_DIR = /^(?:node_modules|dist|build|out|coverage|vendor|target)$|^\./;
export const MAX_DEPTH = 8;

// ---- walking a build context through dir/file lookups ---------------------------------------------------------

export interface ContextTree {
  /** Directories answered so far, with their entries. */
  dirs: Map<string, readonly string[]>;
  /** Source files and package.json files answered so far (absolute path → text). */
  files: Map<string, string>;
  /** What still needs asking. */
  pending: LookupKey[];
}

export function walkContext(context: string, answers: Answers): ContextTree {
  const tree: ContextTree = { dirs: new Map(), files: new Map(), pending: [] };
  const visit = (dir: string, depth: number) => {
    const key: KeyOf<'dir'> = { kind: 'dir', path: dir };
    const a = answers.get(key);
    if (a === undefined) {
      tree.pending.push(key);
      return;
    }
    if (!isOk(a) || !a.ok.exists) return;
    tree.dirs.set(dir, a.ok.entries);
    for (const e of a.ok.entries) {
      if (e.endsWith('/')) {
        const name = e.slice(0, -1);
        if (!SKIP_DIR.test(name) && depth < MAX_DEPTH) visit(join(dir, name), depth + 1);
        continue;
      }
      if (e !== 'package.json' && (!SOURCE_EXT.test(e) || /\.d\.[mc]?ts$/.test(e))) continue;
      const fk: KeyOf<'file'> = { kind: 'file', path: join(dir, e) };
      const fa = answers.get(fk);
      if (fa === undefined) tree.pending.push(fk);
      else if (isOk(fa) && fa.ok.text !== undefined) tree.files.set(join(dir, e), fa.ok.text);
    }
  };
  visit(context, 0);
  return tree;
}

// ---- styles ------------------------------------------------------------------------------------------------

export interface Style {
  lang: 'ts' | 'js';
  syntax: 'esm' | 'cjs';
  /** Extension of the helper file, and the one used in import specifiers. */
  helperExt: string;
  specExt: string;
}

export function packageRootOf(file: string, context: string, dirs: ReadonlyMap<string, readonly string[]>): string {
  for (let d = dirname(file); ; d = dirname(d)) {
    if (dirs.get(d)?.includes('package.json')) return d;
    if (d === context || dirname(d) === d) return context;
  }
}

export function packageType(root: string, files: ReadonlyMap<string, string>): 'module' | 'commonjs' {
  try {
    const pkg = JSON.parse(files.get(join(root, 'package.json')) ?? '{}') as { type?: unknown };
    return pkg.type === 'module' ? 'module' : 'commonjs';
  } catch {
    return 'commonjs';
  }
}

export function styleOf(file: string, hasEsmSyntax: boolean, hasRequire: boolean, pkgType: 'module' | 'commonjs'): Style {
  const ext = extname(file);
  if (['.ts', '.tsx', '.mts', '.cts'].includes(ext)) {
    const helperExt = ext === '.tsx' ? '.ts' : ext;
    return { lang: 'ts', syntax: 'esm', helperExt, specExt: { '.ts': '.js', '.mts': '.mjs', '.cts': '.cjs' }[helperExt] ?? '.js' };
  }
  const helperExt = ext === '.jsx' ? '.js' : ext;
  let syntax: Style['syntax'];
  if (ext === '.mjs') syntax = 'esm';
  else if (ext === '.cjs') syntax = 'cjs';
  else if (hasEsmSyntax) syntax = 'esm';
  else if (hasRequire) syntax = 'cjs';
  else syntax = pkgType === 'module' ? 'esm' : 'cjs';
  return { lang: 'js', syntax, helperExt, specExt: helperExt };
}

export function helperText(style: Style, eol: string): string {
  const doc = [
    `// Added by harden (source-read-secret-files). ${HELPER_MARKER}`,
    '// The value of the secret `name`: the contents of the file named by `${name}_FILE` (one trailing newline',
    '// removed) when that variable is set, else `process.env[name]`. Reads synchronously: fine at module load.',
  ];
  const body = (sig: string) => [
    sig,
    '  const file = process.env[`${name}_FILE`];',
    "  if (file) return readFileSync(file, 'utf8').replace(/\\r?\\n$/, '');",
    '  return process.env[name];',
    '}',
  ];
  let lines: string[];
  if (style.lang === 'ts') lines = [...doc, "import { readFileSync } from 'node:fs';", '', ...body(`export function ${HELPER_NAME}(name: string): string | undefined {`)];
  else if (style.syntax === 'esm') lines = [...doc, "import { readFileSync } from 'node:fs';", '', ...body(`export function ${HELPER_NAME}(name) {`)];
  else lines = ["'use strict';", ...doc, "const { readFileSync } = require('node:fs');", '', ...body(`function ${HELPER_NAME}(name) {`), '', `module.exports = { ${HELPER_NAME} };`];
  return lines.join(eol) + eol;
}

export function importSpecifier(fromFile: string, helperPath: string, style: Style): string {
  let rel = relative(dirname(fromFile), helperPath).split(sep).join('/');
  rel = rel.slice(0, rel.length - extname(rel).length) + style.specExt;
  return rel.startsWith('.') ? rel : `./${rel}`;
}

// ---- finding reads -----------------------------------------------------------------------------------------

export interface ScanResult {
  /** Edits rewriting the reads (not the import). */
  edits: Edit[];
  /** Variables whose reads were rewritten. */
  rewritten: Set<string>;
  /** Reads we do not rewrite (assignments, rest destructuring…), for a manual finding. */
  unsupported: { name: string; line: number; why: string }[];
  hasEsmSyntax: boolean;
  hasRequire: boolean;
  /** Where to insert the import/require, and whether one is already there. */
  importAt: number;
  importAfter: boolean;
  alreadyImported: boolean;
}

const call = (name: string) => `${HELPER_NAME}('${name}')`;

export function scanSource(tsm: typeof TsMorph, path: string, text: string, vars: ReadonlySet<string>, helperSpecBase: string): ScanResult {
  const { Project, SyntaxKind, Node } = tsm;
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { allowJs: true }, skipAddingFilesFromTsConfig: true });
  const sf = project.createSourceFile(`/src/${path.split(sep).join('/').replace(/^\/+/, '')}`, text, { overwrite: true });
  const out: ScanResult = { edits: [], rewritten: new Set(), unsupported: [], hasEsmSyntax: false, hasRequire: false, importAt: 0, importAfter: false, alreadyImported: false };

  const isProcessEnv = (n: TsMorph.Node | undefined): boolean =>
    n !== undefined && Node.isPropertyAccessExpression(n) && n.getName() === 'env' && Node.isIdentifier(n.getExpression()) && n.getExpression().getText() === 'process';
  const line = (n: TsMorph.Node) => n.getStartLineNumber();
  const isWrite = (n: TsMorph.Node): string | undefined => {
    const p = n.getParent();
    if (p && Node.isBinaryExpression(p) && p.getLeft() === n) {
      const op = p.getOperatorToken().getKind();
      if (op >= SyntaxKind.FirstAssignment && op <= SyntaxKind.LastAssignment) return 'assigned';
    }
    if (p && (Node.isDeleteExpression(p) || Node.isPrefixUnaryExpression(p) || Node.isPostfixUnaryExpression(p))) return 'modified';
    return undefined;
  };

  sf.forEachDescendant((n) => {
    if (Node.isPropertyAccessExpression(n) && isProcessEnv(n.getExpression())) {
      const name = n.getName();
      if (!vars.has(name)) return;
      const w = isWrite(n);
      if (w) return void out.unsupported.push({ name, line: line(n), why: `process.env.${name} is ${w}` });
      out.edits.push({ start: n.getStart(), end: n.getEnd(), text: call(name) });
      out.rewritten.add(name);
    } else if (Node.isElementAccessExpression(n) && isProcessEnv(n.getExpression())) {
      const arg = n.getArgumentExpression();
      if (!arg || !(Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg))) return;
      const name = arg.getLiteralText();
      if (!vars.has(name)) return;
      const w = isWrite(n);
      if (w) return void out.unsupported.push({ name, line: line(n), why: `process.env['${name}'] is ${w}` });
      out.edits.push({ start: n.getStart(), end: n.getEnd(), text: call(name) });
      out.rewritten.add(name);
    } else if (Node.isVariableDeclaration(n) && isProcessEnv(n.getInitializer())) {
      const pat = n.getNameNode();
      if (!Node.isObjectBindingPattern(pat)) return;
      const els = pat.getElements();
      const key = (e: TsMorph.BindingElement) => e.getPropertyNameNode()?.getText().replace(/^['"]|['"]$/g, '') ?? e.getName();
      const mine = els.filter((e) => vars.has(key(e)));
      if (!mine.length) return;
      const bad = els.some((e) => e.getDotDotDotToken()) ? 'a rest element' : mine.some((e) => !Node.isIdentifier(e.getNameNode())) ? 'a nested pattern' : n.getTypeNode() ? 'a type annotation' : undefined;
      if (bad) {
        for (const e of mine) out.unsupported.push({ name: key(e), line: line(e), why: `destructured from process.env with ${bad}` });
        return;
      }
      const decl = (e: TsMorph.BindingElement) => {
        const init = e.getInitializer();
        return `${e.getName()} = ${call(key(e))}${init ? ` ?? ${init.getText()}` : ''}`;
      };
      if (mine.length === els.length) {
        out.edits.push({ start: n.getStart(), end: n.getEnd(), text: mine.map(decl).join(', ') });
      } else {
        for (const e of mine) {
          const idx = els.indexOf(e);
          const next = els[idx + 1];
          // Remove the element and the separator after it (or before it, for the last one).
          const start = next ? e.getStart() : (els[idx - 1]?.getEnd() ?? e.getStart());
          const end = next ? next.getStart() : e.getEnd();
          out.edits.push({ start, end, text: '' });
        }
        out.edits.push({ start: n.getEnd(), end: n.getEnd(), text: mine.map((e) => `, ${decl(e)}`).join('') });
      }
      for (const e of mine) out.rewritten.add(key(e));
    }
  });

  // Module style and where the import goes.
  const stmts = sf.getStatements();
  let lastImport: TsMorph.Node | undefined;
  let lastRequire: TsMorph.Node | undefined;
  let afterDirectives: TsMorph.Node | undefined;
  for (const s of stmts) {
    if (Node.isImportDeclaration(s)) {
      out.hasEsmSyntax = true;
      lastImport = s;
      if (s.getModuleSpecifierValue().endsWith(helperSpecBase) || s.getModuleSpecifierValue().includes(HELPER_BASENAME)) out.alreadyImported = true;
    } else if (Node.isExportDeclaration(s) || Node.isExportAssignment(s) || (Node.isModifierable(s) && s.hasModifier(SyntaxKind.ExportKeyword))) {
      out.hasEsmSyntax = true;
    } else if (Node.isVariableStatement(s) && /^\s*(?:const|let|var)\s[^=]*=\s*require\(/.test(s.getText())) {
      out.hasRequire = true;
      lastRequire = s;
      if (s.getText().includes(HELPER_BASENAME)) out.alreadyImported = true;
    }
  }
  for (const s of stmts) {
    if (!(Node.isExpressionStatement(s) && Node.isStringLiteral(s.getExpression()))) break;
    afterDirectives = s; // the directive prologue ('use strict')
  }
  if (!out.hasRequire && /\brequire\(/.test(text)) out.hasRequire = true;
  const anchor = lastImport ?? lastRequire ?? afterDirectives;
  if (anchor) {
    out.importAt = anchor.getEnd();
    out.importAfter = true;
  } else {
    out.importAt = stmts[0]?.getStart() ?? text.length;
    out.importAfter = false;
  }
  out.edits.sort((a, b) => a.start - b.start);
  return out;
}

export function importText(style: Style, spec: string): string {
  return style.syntax === 'esm' || style.lang === 'ts'
    ? `import { ${HELPER_NAME} } from '${spec}';`
    : `const { ${HELPER_NAME} } = require('${spec}');`;
}
