/**
 * Lazy loading of the shell parser: web-tree-sitter's runtime WASM (from node_modules) and tree-sitter-bash's grammar
 * WASM (shipped in dist/grammars/), never downloaded. Nothing here runs at import time; codemods call loadShell() from prepare().
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Parser } from 'web-tree-sitter';
import { enableFastReader } from './tree-read.js';

let loading: Promise<void> | null = null;
let parser: Parser | null = null;

/** Load the parser (idempotent; concurrent callers share one load). Rejects if the WASM files cannot be loaded. */
export function loadShell(): Promise<void> {
  loading ??= (async () => {
    const wts = await import('web-tree-sitter');
    const { Parser: P, Language } = wts;
    // Emscripten completes the object given to init() into the module itself: kept for the fast tree reader
    // (tree-read.ts), which calls the module's cursor functions directly when they pass its checks.
    const moduleObject = {};
    await P.init(moduleObject);
    const grammar = await readGrammar();
    const language = await Language.load(grammar);
    const p = new P();
    p.setLanguage(language);
    fastReaderProblem = enableFastReader(moduleObject, { language: wts.LANGUAGE_VERSION, minCompatible: wts.MIN_COMPATIBLE_VERSION }, p, SELF_CHECK);
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

/**
 * Scripts the fast tree reader must read exactly as the public API does before it is used: the constructs the builder
 * reads (fields, chains, heredocs, substitutions, tests, case, loops, functions), non-ASCII text (offsets are UTF-16
 * code units either way) and a syntax error.
 */
const SELF_CHECK = [
  [
    'set -eux; A=1 B+="x y" apt-get install -y --no-install-recommends curl=7.* "$PKG" \'${V:-1}\' 2>&1 | tee /log && echo ok || exit 1',
    'for f in a "b c" $(ls /x | head -n1); do [ -f "$f" ] && cat "$f" >> /out; done; while ! test -e x; do sleep 1; done',
    'case "$(uname -m)" in x86_64|amd64) ARCH=amd64;; *) ARCH="$(dpkg --print-architecture)";; esac',
    'if [[ -n "${X}" ]]; then export Y=2 Z; elif (( 1 )); then :; else { echo é; } > /dev/null; fi',
    'f() { local a=$1; echo "ünïcødé ✓ 🐳 $a" `date`; }; ! f "日本語" &',
    'cat <<EOF | sh && echo done\necho "$HOME" ä\nEOF\necho after',
  ].join('\n'),
  'echo "unterminated $(',
];

/** Why trees are read through web-tree-sitter's public API (slower), or null when the fast reader is used. */
export function fastReaderFallbackReason(): string | null {
  return fastReaderProblem;
}
let fastReaderProblem: string | null = null;

/** Whether loadShell() has completed. */
export function shellLoaded(): boolean {
  return parser !== null;
}

/** The loaded parser; throws if loadShell() has not completed. */
export function getParser(): Parser {
  if (!parser) throw new Error('the shell parser is not loaded: await loadShell() first (e.g. in the codemod\'s prepare())');
  return parser;
}
