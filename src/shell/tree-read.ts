/**
 * Reading a tree-sitter tree into plain JavaScript objects (`SyntaxNode`), once per parse, for the builder in parse.ts.
 *
 * Two cursors walk the tree the same way (`readTree`, shared):
 * - `readTreePublic`: web-tree-sitter's public `TreeCursor`. Every property read and every move goes through its JS
 *   wrapper, which copies the cursor's four words into the module's transfer buffer and back with the generic
 *   `getValue`/`setValue` helpers: most of the JS cost of a parse.
 * - `FastReader` (used when `enableFastReader` accepted the loaded module): the same `ts_tree_cursor_*_wasm` functions
 *   of web-tree-sitter's own WASM module that `TreeCursor` calls, called directly. Their cursor lives in the transfer
 *   buffer between calls (each move reads it from there and writes the moved cursor back), so nothing is copied per
 *   call, and one cursor's memory is kept and reset for every tree instead of a `TreeCursor` allocated and freed per
 *   parse. Offsets are the same in both: the module converts tree-sitter's byte offsets of the UTF-16 text it was
 *   given into UTF-16 code units (`byte >> 1`), i.e. offsets into the JavaScript string, non-ASCII text included.
 *
 * These are internals of web-tree-sitter (as of 0.27: the exports of its Emscripten module, the layout of its transfer
 * buffer, the `[0]` handle of a `Tree`), not its API: a release may change them without notice. They are guarded, once,
 * when the parser is loaded: `enableFastReader` takes the fast cursor only when every function it needs is there, the
 * transfer buffer holds the language versions the JS reports, and sample scripts (the constructs the builder reads,
 * non-ASCII text, a syntax error) read to the same tree both ways without throwing; otherwise harden reads through the
 * public API, only slower (`fastReaderFallbackReason()` in load.ts says why). Upgrading web-tree-sitter must still
 * rerun test/shell/tree-read.test.ts, which compares both readers over every RUN script of the corpus and forces the
 * fallback.
 *
 * Nodes nobody reads are not built (the walk still goes through them, so the depth limit counts them as before):
 * anonymous tokens inside strings and expansions (`"`, `$`, `${`, `}`, `:-`…: the builder only looks at the named
 * children of word parts), and whatever is below a `[ … ]`/`[[ … ]]` test or a heredoc body (read by their extent only).
 */
import type { Language, Parser, Tree, TreeCursor } from 'web-tree-sitter';
import { MAX_SHELL_TREE_DEPTH } from '../engine/limits.js';

/** A node of the tree-sitter tree, read once into JavaScript (the subset of web-tree-sitter's `Node` the builder uses). */
export class SyntaxNode {
  /** Child nodes (the shared empty array for a leaf: most nodes are). */
  children: SyntaxNode[] = NO_CHILDREN;
  private named: SyntaxNode[] | undefined;
  constructor(
    private readonly source: string,
    readonly type: string,
    readonly isNamed: boolean,
    readonly startIndex: number,
    readonly endIndex: number,
    /** The field this node is in its parent (`name`, `body`, `value`…), if any. */
    readonly field: string | undefined,
  ) {}
  /** The named children (the children array itself when all are named: never mutate either). */
  get namedChildren(): SyntaxNode[] {
    if (this.named) return this.named;
    const kids = this.children;
    let all = true;
    for (let k = 0; k < kids.length; k++) {
      if (!(kids[k] as SyntaxNode).isNamed) {
        all = false;
        break;
      }
    }
    return (this.named = all ? kids : kids.filter((c) => c.isNamed));
  }
  /** The node's text, sliced from the script only when asked for. */
  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }
  childForFieldName(name: string): SyntaxNode | null {
    return this.children.find((c) => c.field === name) ?? null;
  }
  childrenForFieldName(name: string): SyntaxNode[] {
    return this.children.filter((c) => c.field === name);
  }
}

const NO_CHILDREN: SyntaxNode[] = [];
Object.freeze(NO_CHILDREN);

/** What readTree needs of a cursor: moves, and the current node's type id, field id and extent (UTF-16 offsets). */
interface Cursor {
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  typeId(): number;
  isNamed(): boolean;
  fieldId(): number;
  startIndex(): number;
  endIndex(): number;
}

/** Chains of one operator per level (`a && b && c`): a list/pipeline inside another adds no depth. */
const CHAINS = new Set(['list', 'pipeline']);
/** Word parts whose anonymous children (quotes, `$`, braces, operators) the builder never reads. */
const WORD_PARTS = new Set(['string', 'simple_expansion', 'expansion', 'translated_string']);
/** Nodes read by their extent only: nothing below them is built. */
const OPAQUE = new Set(['test_command', 'heredoc_body']);

const F_KNOWN = 1;
const F_NAMED = 2;
const F_CHAIN = 4;
const F_WORD_PART = 8;
const F_OPAQUE = 16;

/**
 * Per language, per type id: F_* flags (computed on first sight of the id; the ERROR symbol is 65535). Each reader has
 * its own, so a candidate fast reader that fails its check leaves nothing behind.
 */
type FlagCache = WeakMap<Language, Uint8Array>;
const publicFlags: FlagCache = new WeakMap();

/**
 * The tree as `SyntaxNode`s, read with one cursor walk (no recursion), or the offset of the first node deeper than the
 * limit. A `list`/`pipeline` inside another (tree-sitter nests `a && b && c` one level per operator) is the same chain,
 * flattened without recursion by the builder: it adds no depth, so a RUN of 20,000 `&&`-joined commands is not "deep".
 */
export function readTree(tree: Tree, text: string): SyntaxNode | number {
  const fast = fastReader;
  if (fast) {
    const c = fast.open(tree);
    try {
      return walk(c, tree.language, text, fast.flags);
    } finally {
      fast.close();
    }
  }
  return readTreePublic(tree, text);
}

/**
 * Whether the root node is an error, missing, or has an error below it (without building a `Node` where the fast reader
 * is used): when not, the tree has no ERROR or MISSING node.
 */
export function treeHasError(tree: Tree): boolean {
  if (fastReader) return fastReader.hasError(tree);
  const root = tree.rootNode;
  return root.isError || root.isMissing || root.hasError;
}

/** readTree through web-tree-sitter's public `TreeCursor` (the fallback; the reference the fast reader is tested against). */
export function readTreePublic(tree: Tree, text: string): SyntaxNode | number {
  const c = tree.walk();
  try {
    return walk(publicCursor(c), tree.language, text, publicFlags);
  } finally {
    c.delete();
  }
}

function publicCursor(c: TreeCursor): Cursor {
  return {
    gotoFirstChild: () => c.gotoFirstChild(),
    gotoNextSibling: () => c.gotoNextSibling(),
    gotoParent: () => c.gotoParent(),
    typeId: () => c.nodeTypeId,
    isNamed: () => c.nodeIsNamed,
    fieldId: () => c.currentFieldId,
    startIndex: () => c.startIndex,
    endIndex: () => c.endIndex,
  };
}

function walk(c: Cursor, language: Language, text: string, cache: FlagCache): SyntaxNode | number {
  const types = language.types;
  const fields = language.fields;
  let flags = cache.get(language);
  if (!flags) cache.set(language, (flags = new Uint8Array(65536)));
  const flagsFor = (id: number): number => {
    let f = (flags as Uint8Array)[id] as number;
    if (f === 0) {
      const type = types[id] || 'ERROR';
      f = F_KNOWN | (c.isNamed() ? F_NAMED : 0) | (CHAINS.has(type) ? F_CHAIN : 0) | (WORD_PARTS.has(type) ? F_WORD_PART : 0) | (OPAQUE.has(type) ? F_OPAQUE : 0);
      (flags as Uint8Array)[id] = f;
    }
    return f;
  };
  const read = (id: number, f: number): SyntaxNode => {
    const field = c.fieldId();
    return new SyntaxNode(text, types[id] || 'ERROR', (f & F_NAMED) !== 0, c.startIndex(), c.endIndex(), field ? (fields[field] ?? undefined) : undefined);
  };
  const rootId = c.typeId();
  const root = read(rootId, flagsFor(rootId));
  // From the root to the cursor: each node (null when not built), its flags, and whether it added depth.
  const path: (SyntaxNode | null)[] = [root];
  const pathFlags: number[] = [flagsFor(rootId)];
  const counted: boolean[] = [true];
  // The built children of the nodes on the path, laid end to end: a node's are from its mark to the end, and become
  // its children array (of their exact number) when the walk leaves it.
  const pending: SyntaxNode[] = [];
  const marks: number[] = [0];
  const leave = (): void => {
    const x = path.pop();
    const mark = marks.pop() as number;
    if (x && pending.length > mark) {
      x.children = pending.slice(mark);
      pending.length = mark;
    }
  };
  let depth = 0;
  /** Enter the cursor's node; true when it is deeper than the limit. */
  const enter = (): boolean => {
    const id = c.typeId();
    const f = flagsFor(id);
    const top = path.length - 1;
    const parent = path[top] as SyntaxNode | null;
    const pf = pathFlags[top] as number;
    let n: SyntaxNode | null = null;
    if (parent && !(pf & F_OPAQUE) && !(pf & F_WORD_PART && !(f & F_NAMED))) {
      n = read(id, f);
      pending.push(n);
    }
    const chain = (f & F_CHAIN) !== 0 && (pf & F_CHAIN) !== 0;
    path.push(n);
    marks.push(pending.length);
    pathFlags.push(f);
    counted.push(!chain);
    return !chain && ++depth > MAX_SHELL_TREE_DEPTH;
  };
  const deepAt = (): number => path[path.length - 1]?.startIndex ?? c.startIndex();
  for (;;) {
    if (c.gotoFirstChild()) {
      if (enter()) return deepAt();
      continue;
    }
    for (;;) {
      leave();
      pathFlags.pop();
      if (path.length === 0) return root;
      if (counted.pop()) depth--;
      if (c.gotoNextSibling()) {
        if (enter()) return deepAt();
        break;
      }
      c.gotoParent();
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The fast cursor: web-tree-sitter's WASM exports, called directly (see the comment at the top).

/** The exports of web-tree-sitter's Emscripten module the fast cursor calls (each takes the tree's handle). */
interface ModuleInternals {
  HEAP32: Int32Array;
  _ts_init(): number;
  _ts_tree_root_node_wasm(tree: number): void;
  _ts_node_has_error_wasm(tree: number): number;
  _ts_node_is_error_wasm(tree: number): number;
  _ts_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_new_wasm(tree: number): void;
  _ts_tree_cursor_reset_wasm(tree: number): void;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_named_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
}

/** The module functions the fast reader calls (all must be present, or the public API is used). */
export const FAST_READER_FUNCTIONS = [
  '_ts_init',
  '_ts_tree_root_node_wasm',
  '_ts_node_has_error_wasm',
  '_ts_node_is_error_wasm',
  '_ts_node_is_missing_wasm',
  '_ts_tree_cursor_new_wasm',
  '_ts_tree_cursor_reset_wasm',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_current_node_is_named_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
] as const;

/** Words of a cursor in the transfer buffer; a node is 5 words, and `reset` reads the cursor after the node. */
const CURSOR_WORDS = 4;
const NODE_WORDS = 5;

class FastReader {
  /** The kept cursor's words (null until the first tree: then created, and only reset afterwards). */
  private saved: Int32Array | null = null;
  private tree = 0;
  private readonly cursor: Cursor;
  readonly flags: FlagCache = new WeakMap();
  constructor(
    private readonly m: ModuleInternals,
    /** The transfer buffer's index in HEAP32. */
    private readonly buf: number,
  ) {
    const t = (): number => this.tree;
    this.cursor = {
      gotoFirstChild: () => m._ts_tree_cursor_goto_first_child_wasm(t()) === 1,
      gotoNextSibling: () => m._ts_tree_cursor_goto_next_sibling_wasm(t()) === 1,
      gotoParent: () => m._ts_tree_cursor_goto_parent_wasm(t()) === 1,
      typeId: () => m._ts_tree_cursor_current_node_type_id_wasm(t()),
      isNamed: () => m._ts_tree_cursor_current_node_is_named_wasm(t()) === 1,
      fieldId: () => m._ts_tree_cursor_current_field_id_wasm(t()),
      startIndex: () => m._ts_tree_cursor_start_index_wasm(t()),
      endIndex: () => m._ts_tree_cursor_end_index_wasm(t()),
    };
  }

  /** treeHasError: the root node is written to the transfer buffer, where the node functions read it. */
  hasError(tree: Tree): boolean {
    const handle = handleOf(tree);
    const m = this.m;
    m._ts_tree_root_node_wasm(handle);
    return m._ts_node_has_error_wasm(handle) === 1 || m._ts_node_is_error_wasm(handle) === 1 || m._ts_node_is_missing_wasm(handle) === 1;
  }

  /** Put the cursor on the root of `tree` (in the transfer buffer, where every cursor function reads it). */
  open(tree: Tree): Cursor {
    const handle = handleOf(tree);
    this.tree = handle;
    const m = this.m;
    m._ts_tree_root_node_wasm(handle);
    if (this.saved) {
      m.HEAP32.set(this.saved, this.buf + NODE_WORDS);
      m._ts_tree_cursor_reset_wasm(handle);
    } else {
      m._ts_tree_cursor_new_wasm(handle);
    }
    return this.cursor;
  }

  /** Keep the cursor's words (its stack may have moved while it walked) for the next tree. */
  close(): void {
    // Read HEAP32 again: the view is replaced when the module's memory grows.
    const heap = this.m.HEAP32;
    this.saved = heap.slice(this.buf, this.buf + CURSOR_WORDS);
    this.tree = 0;
  }
}

/** The reader parses use (null: the public API), and the one enableFastReader accepted. */
/** The module's pointer to a tree (web-tree-sitter keeps it as `tree[0]`). */
function handleOf(tree: Tree): number {
  const handle = (tree as unknown as { 0: unknown })[0];
  if (typeof handle !== 'number' || handle === 0) throw new Error('web-tree-sitter: a tree without a handle');
  return handle;
}

let fastReader: FastReader | null = null;
let accepted: FastReader | null = null;

/** Whether parses read trees with the fast cursor. */
export function fastReaderEnabled(): boolean {
  return fastReader !== null;
}

/** Tests: read through the public API (false), or with the fast cursor again if it was accepted (true). */
export function useFastReader(on: boolean): void {
  fastReader = on ? accepted : null;
}

/**
 * Take the fast cursor if `module` (the object given to `Parser.init`, which Emscripten completes into the module)
 * has what it needs and reads `samples` exactly as the public API does. Returns why not, or null when enabled.
 */
export function enableFastReader(module: unknown, versions: { language: number; minCompatible: number }, parser: Parser, samples: readonly string[]): string | null {
  fastReader = accepted = null;
  const m = module as Partial<ModuleInternals> | null;
  if (!m || typeof m !== 'object') return 'no module object';
  for (const f of FAST_READER_FUNCTIONS) if (typeof m[f] !== 'function') return `web-tree-sitter's module has no ${f}`;
  if (!(m.HEAP32 instanceof Int32Array)) return "web-tree-sitter's module has no HEAP32";
  const internals = m as ModuleInternals;
  let candidate: FastReader;
  try {
    const address = internals._ts_init();
    if (typeof address !== 'number' || address <= 0 || address % 4 !== 0) return 'unexpected transfer buffer address';
    const buf = address >> 2;
    // ts_init() leaves the language versions in the transfer buffer: the same the JS read at init.
    if (internals.HEAP32[buf] !== versions.language || internals.HEAP32[buf + 1] !== versions.minCompatible) return 'the transfer buffer does not hold the language versions';
    candidate = new FastReader(internals, buf);
    for (const text of samples) {
      const tree = parser.parse(text);
      if (!tree) return 'the sample did not parse';
      try {
        const want = readTreePublic(tree, text);
        const c = candidate.open(tree);
        let got: SyntaxNode | number;
        try {
          got = walk(c, tree.language, text, candidate.flags);
        } finally {
          candidate.close();
        }
        const diff = sameTree(want, got) ?? (candidate.hasError(tree) === (tree.rootNode.isError || tree.rootNode.isMissing || tree.rootNode.hasError) ? null : 'hasError');
        if (diff) return `the fast reader differs from the public API on the sample: ${diff}`;
      } finally {
        tree.delete();
      }
    }
  } catch (e) {
    return `the fast reader failed on the sample: ${e instanceof Error ? e.message : String(e)}`;
  }
  fastReader = accepted = candidate;
  return null;
}

/** Where two read trees differ (type, named, field, extent or children), or null when they are the same. */
export function sameTree(a: SyntaxNode | number, b: SyntaxNode | number): string | null {
  if (typeof a === 'number' || typeof b === 'number') return a === b ? null : `depth limit ${String(a)} vs ${String(b)}`;
  const todo: [SyntaxNode, SyntaxNode][] = [[a, b]];
  for (let p = todo.pop(); p; p = todo.pop()) {
    const [x, y] = p;
    if (x.type !== y.type || x.isNamed !== y.isNamed || x.field !== y.field || x.startIndex !== y.startIndex || x.endIndex !== y.endIndex || x.children.length !== y.children.length) {
      return `${x.type}@${x.startIndex}-${x.endIndex}/${x.children.length} vs ${y.type}@${y.startIndex}-${y.endIndex}/${y.children.length}`;
    }
    x.children.forEach((c, i) => todo.push([c, y.children[i] as SyntaxNode]));
  }
  return null;
}
