/**
 * Lazy loading of the shell parser: web-tree-sitter's runtime WASM (from node_modules) and tree-sitter-bash's grammar
 * WASM (shipped in dist/grammars/), never downloaded. Nothing here runs at import time; codemods call loadShell() from prepare().
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Parser } from 'web-tree-sitter';

let loading: Promise<void> | null = null;
let parser: Parser | null = null;

/** Load the parser (idempotent; concurrent callers share one load). Rejects if the WASM files cannot be loaded. */
export function loadShell(): Promise<void> {
  loading ??= (async () => {
    const { Parser: P, Language } = await import('web-tree-sitter');
    await P.init();
    const grammar = await readGrammar();
    const language = await Language.load(grammar);
    const p = new P();
    p.setLanguage(language);
    parser = p;
  })().catch((e: unknown) => {
    loading = null;
    throw e;
  });
  return loading;
}

/**
 * The bash grammar: dist/grammars/tree-sitter-bash.wasm in the installed package (copied there by the build, so the
 * package does not depend on tree-sitter-bash), else tree-sitter-bash's own file (a checkout, running from src/).
 */
async function readGrammar(): Promise<Buffer> {
  try {
    return await readFile(new URL('../../grammars/tree-sitter-bash.wasm', import.meta.url));
  } catch {
    return readFile(createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
  }
}

/** Whether loadShell() has completed. */
export function shellLoaded(): boolean {
  return parser !== null;
}

/** The loaded parser; throws if loadShell() has not completed. */
export function getParser(): Parser {
  if (!parser) throw new Error('the shell parser is not loaded: await loadShell() first (e.g. in the codemod\'s prepare())');
  return parser;
}
