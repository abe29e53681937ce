/**
 * tree-sitter-bash tree → harden's shell tree (types.ts).
 *
 * Normalisations of known tree-sitter-bash quirks:
 * - `list`/`pipeline` nodes are flattened and re-associated with shell precedence (pipelines bind tighter than && ||).
 * - The grammar nests whatever follows a heredoc operator on its line (`cat <<EOF | sh && x`, `cat <<EOF > f`) inside
 *   the heredoc redirect node; those are moved back into the statement.
 * - An escaped blank between two word parts (`a"b"\ c`) splits the word in two; such parts are merged again.
 * Any ERROR/MISSING node makes parseScript throw ShellParseError (no partial trees reach codemods).
 * The tree-sitter tree is read once, with a cursor, into plain objects (`SyntaxNode`, tree-read.ts): reading a
 * web-tree-sitter node's type, extent or children crosses into WASM on every access, and the builder looks at each
 * node several times. tree-read.ts explains how it reads (through web-tree-sitter's WASM exports, guarded).
 * The builder recurses once per level of nesting; a tree deeper than MAX_SHELL_TREE_DEPTH (measured while it is read,
 * without recursion) throws ShellLimitError instead, so `$($($(…)))` a thousand levels deep cannot overflow the stack.
 */
import type { Node as TSNode } from 'web-tree-sitter';
import { MAX_SHELL_SCRIPT_CHARS, MAX_SHELL_TREE_DEPTH } from '../engine/limits.js';
import { getParser } from './load.js';
import { readTree, treeHasError, type SyntaxNode } from './tree-read.js';
import {
  ShellLimitError,
  ShellParseError,
  type AndOr,
  type Assignment,
  type CaseCommand,
  type Command,
  type ForCommand,
  type IfCommand,
  type Operator,
  type Pipeline,
  type Range,
  type Redirect,
  type Script,
  type ShellNode,
  type ShellScript,
  type SimpleCommand,
  type Statement,
  type StatementBody,
  type Substitution,
  type WhileCommand,
  type Word,
} from './types.js';
import { isQuoted, unquote } from './words.js';

const CHAIN_OPS = new Set(['&&', '||', '|', '|&']);
const TERMINATORS = new Set([';', '&', ';;', ';&', ';;&']);
const HEREDOC_PARTS = new Set(['heredoc_body', 'heredoc_end', 'heredoc_start', 'heredoc_content']);

type Item =
  | { t: 'op'; op: string; range: Range }
  | { t: 'neg'; range: Range }
  | { t: 'cmd'; node: SyntaxNode | null; redirects: SyntaxNode[]; at: number };

const rangeOf = (n: SyntaxNode): Range => ({ start: n.startIndex, end: n.endIndex });
const isRedirect = (n: SyntaxNode) => n.type.endsWith('_redirect');

/** Parse a script. Synchronous; loadShell() must have completed. Throws ShellParseError on invalid syntax. */
export function parseScript(text: string): ShellScript {
  if (text.length > MAX_SHELL_SCRIPT_CHARS) {
    throw new ShellLimitError(
      `a RUN script of ${text.length.toLocaleString('en')} characters is longer than harden's limit of ${MAX_SHELL_SCRIPT_CHARS.toLocaleString('en')} for one script: the file was not processed`,
      0,
    );
  }
  const tree = getParser().parse(text);
  if (!tree) throw new ShellParseError('the shell parser returned no tree', 0);
  try {
    const read = readTree(tree, text);
    if (typeof read === 'number') {
      throw new ShellLimitError(
        `a RUN script nests more than ${MAX_SHELL_TREE_DEPTH} levels deep (near offset ${read} of the script): beyond what harden parses, so the file was not processed`,
        read,
      );
    }
    const bad = treeHasError(tree) ? firstError(tree.rootNode) : null;
    if (bad) {
      const what = bad.isMissing ? `missing '${bad.type}'` : `unexpected '${text.slice(bad.startIndex, bad.startIndex + 20).split('\n')[0]}'`;
      throw new ShellParseError(`shell syntax error at offset ${bad.startIndex}: ${what}`, bad.startIndex);
    }
    const b = new Builder(text);
    const body = b.statements(read.children);
    const root: Script = node({ kind: 'script' as const, range: { start: 0, end: text.length }, body }, body);
    const commands: SimpleCommand[] = [];
    linkParents(root, commands);
    commands.sort((x, y) => x.range.start - y.range.start);
    return { text, root, statements: body, commands };
  } finally {
    tree.delete();
  }
}

/**
 * parseScript, or null when the parser rejects the script (ShellParseError): codemods skip it, never guess. A script
 * over a limit (ShellLimitError) is not skipped silently: it is thrown on, and becomes the file's error.
 * Given an object holding the script (a RUN's `RunScript`), the tree is kept on that object: every codemod and lookup
 * round asking about the same RUN of the same parse shares one tree. Given a string, a small cache of the most recent
 * scripts serves codemods asking about the same text one after another. Trees are shared: never mutate one.
 */
export function tryParseScript(source: string | { readonly script: string }): ShellScript | null {
  if (typeof source !== 'string') {
    if (trees.has(source)) return trees.get(source) ?? null;
    const t = tryParseText(source.script);
    trees.set(source, t);
    return t;
  }
  return tryParseText(source);
}

const trees = new WeakMap<object, ShellScript | null>();
/** Most recently used script texts (Map keeps insertion order: the first key is the least recently used). */
const recent = new Map<string, ShellScript | null>();
const RECENT_MAX = 256;

function tryParseText(text: string): ShellScript | null {
  if (recent.has(text)) {
    const t = recent.get(text) ?? null;
    recent.delete(text);
    recent.set(text, t);
    return t;
  }
  let t: ShellScript | null;
  try {
    t = parseScript(text);
  } catch (e) {
    if (!(e instanceof ShellParseError)) throw e;
    t = null;
  }
  recent.set(text, t);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value as string);
  return t;
}

const CHAINS = new Set(['list', 'pipeline']);

/** The first ERROR/MISSING node, or the innermost node flagged hasError when none is marked (without recursion). */
function firstError(root: TSNode): TSNode | null {
  let n = root;
  for (;;) {
    if (n.isError || n.isMissing) return n;
    if (!n.hasError) return null;
    const next = n.children.find((c) => c.isError || c.isMissing || c.hasError);
    if (!next) return n;
    n = next;
  }
}

/**
 * What node() sets, written at the end of the most common nodes' literals (words, commands, statements, redirects,
 * assignments): the object is created with room for them, instead of growing when node() adds them. NONE is also the
 * children of every node without any (most words): frozen, shared, like the whole tree never to be mutated.
 */
const NONE: ShellNode[] = [];
Object.freeze(NONE);

/** Attach parent/children: every constructor goes through here. */
function node<T extends object>(fields: T, children: readonly (ShellNode | null | undefined)[]): T & { parent: ShellNode | null; children: ShellNode[] } {
  // Children mostly come in source order already: copied (to an array of their exact number), and sorted only when
  // they are not (a node is built for every word of every RUN, so this is hot). `fields` is a fresh literal at every
  // call: completed in place.
  let sorted = true;
  let holes = false;
  let prev: ShellNode | null = null;
  for (let k = 0; k < children.length; k++) {
    const c = children[k];
    if (!c) {
      holes = true;
      continue;
    }
    if (prev && prev.range.start > c.range.start) sorted = false;
    prev = c;
  }
  let kids: ShellNode[];
  if (prev === null) kids = NONE;
  else {
    kids = holes ? (children.filter((c) => !!c) as ShellNode[]) : (children.slice() as ShellNode[]);
    if (!sorted) kids.sort((a, b) => a.range.start - b.range.start);
  }
  const out = fields as T & { parent: ShellNode | null; children: ShellNode[] };
  out.parent = null;
  out.children = kids;
  return out;
}

/** Set every node's parent (the root's stays null), and collect the simple commands (in walk order), in one walk. */
function linkParents(root: ShellNode, commands: SimpleCommand[]): void {
  const stack: ShellNode[] = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n.kind === 'command') commands.push(n);
    const kids = n.children;
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k] as ShellNode;
      c.parent = n;
      stack.push(c);
    }
  }
}

function span(nodes: readonly { range: Range }[], fallback: Range): Range {
  if (nodes.length === 0) return fallback;
  let start = Infinity;
  let end = -Infinity;
  for (let k = 0; k < nodes.length; k++) {
    const r = (nodes[k] as { range: Range }).range;
    if (r.start < start) start = r.start;
    if (r.end > end) end = r.end;
  }
  return { start, end };
}

class Builder {
  constructor(private readonly text: string) {}

  /** Statements among `children` (keywords and other anonymous tokens are skipped, terminators attached). */
  statements(children: readonly SyntaxNode[]): Statement[] {
    const out: Statement[] = [];
    for (let k = 0; k < children.length; k++) {
      const c = children[k] as SyntaxNode;
      if (!c.isNamed || c.type === 'comment') continue;
      const body = this.statementBody(c);
      let terminator: Statement['terminator'] = { op: this.newlineAfter(c.endIndex) ? '\n' : '', range: null };
      const next = children[k + 1];
      if (next && !next.isNamed && TERMINATORS.has(next.type)) {
        terminator = { op: next.type as Statement['terminator']['op'], range: rangeOf(next) };
        k++;
      }
      out.push(node({ kind: 'statement' as const, range: body.range, body, terminator, background: terminator.op === '&', parent: null, children: NONE }, [body]));
    }
    return out;
  }

  /** Whether the next thing after `at` (skipping blanks, comments and line continuations) is a newline. */
  private newlineAfter(at: number): boolean {
    const t = this.text;
    let i = at;
    while (i < t.length) {
      const c = t[i];
      if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (c === '\\' && t[i + 1] === '\n') i += 2;
      else if (c === '#') {
        while (i < t.length && t[i] !== '\n') i++;
      } else return c === '\n';
    }
    return false;
  }

  private statementBody(n: SyntaxNode): StatementBody {
    const items: Item[] = [];
    this.linearize(n, items);
    return this.assemble(items, rangeOf(n));
  }

  /** Flatten lists/pipelines (and heredoc tails) into operands and operators, in source order. */
  private linearize(n: SyntaxNode, out: Item[]): void {
    switch (n.type) {
      case 'list':
      case 'pipeline': {
        // tree-sitter nests a chain one level per operator (`((a && b) && c) && d`): walk it with a stack, not recursion.
        const todo: SyntaxNode[] = [n];
        for (let x = todo.pop(); x; x = todo.pop()) {
          if (!x.isNamed) out.push({ t: 'op', op: x.type, range: rangeOf(x) });
          else if (x !== n && !CHAINS.has(x.type)) this.linearize(x, out);
          else {
            const kids = x.children;
            for (let k = kids.length - 1; k >= 0; k--) {
              const c = kids[k] as SyntaxNode;
              if (c.isNamed ? c.type !== 'comment' : CHAIN_OPS.has(c.type)) todo.push(c);
            }
          }
        }
        return;
      }
      case 'negated_command':
        for (const c of n.children) {
          if (!c.isNamed && c.type === '!') out.push({ t: 'neg', range: rangeOf(c) });
          else if (c.isNamed && c.type !== 'comment') this.linearize(c, out);
        }
        return;
      case 'redirected_statement': {
        const body = n.childForFieldName('body');
        const redirects: SyntaxNode[] = [];
        const tails: SyntaxNode[] = [];
        const kids = n.children;
        for (let k = 0; k < kids.length; k++) {
          const c = kids[k] as SyntaxNode;
          if (body && c.startIndex === body.startIndex && c.type === body.type) continue;
          if (isRedirect(c)) this.splitHeredoc(c, redirects, tails);
        }
        if (!body) out.push({ t: 'cmd', node: null, redirects, at: n.startIndex });
        else if (['list', 'pipeline', 'negated_command', 'redirected_statement'].includes(body.type)) {
          this.linearize(body, out);
          for (let k = out.length - 1; k >= 0; k--) {
            const last = out[k] as Item;
            if (last.t !== 'cmd') continue;
            last.redirects.push(...redirects);
            break;
          }
        } else {
          const tailsInside: SyntaxNode[] = [];
          if (body.type === 'command') this.commandTails(body, tailsInside);
          out.push({ t: 'cmd', node: body, redirects, at: body.startIndex });
          for (let k = 0; k < tailsInside.length; k++) this.linearizeTail(tailsInside[k] as SyntaxNode, out);
        }
        for (let k = 0; k < tails.length; k++) this.linearizeTail(tails[k] as SyntaxNode, out);
        return;
      }
      case 'command': {
        const tails: SyntaxNode[] = [];
        this.commandTails(n, tails);
        out.push({ t: 'cmd', node: n, redirects: [], at: n.startIndex });
        for (let k = 0; k < tails.length; k++) this.linearizeTail(tails[k] as SyntaxNode, out);
        return;
      }
      default:
        out.push({ t: 'cmd', node: n, redirects: [], at: n.startIndex });
    }
  }

  /** Tails nested in a command's own heredoc redirects (the redirects themselves are read by simpleFromCommand). */
  private commandTails(cmd: SyntaxNode, tails: SyntaxNode[]): void {
    const kids = cmd.children;
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k] as SyntaxNode;
      if (c.type === 'heredoc_redirect') this.splitHeredoc(c, [], tails);
    }
  }

  /**
   * A heredoc redirect: keep the redirect; redirects written after the delimiter on the same line (`<<EOF > f`) are
   * the command's too; anything after the first operator is the rest of the statement (`| sh`, `&& x`).
   */
  private splitHeredoc(r: SyntaxNode, redirects: SyntaxNode[], tails: SyntaxNode[]): void {
    redirects.push(r);
    if (r.type !== 'heredoc_redirect') return;
    let inTail = false;
    const kids = r.children;
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k] as SyntaxNode;
      if (HEREDOC_PARTS.has(c.type) || c.type === '<<' || c.type === '<<-') continue;
      if (!inTail && isRedirect(c)) redirects.push(c);
      else if (c.isNamed || CHAIN_OPS.has(c.type)) {
        inTail = true;
        tails.push(c);
      }
    }
  }

  private linearizeTail(t: SyntaxNode, out: Item[]): void {
    if (!t.isNamed) {
      if (CHAIN_OPS.has(t.type)) out.push({ t: 'op', op: t.type, range: rangeOf(t) });
    } else this.linearize(t, out);
  }

  /** Re-associate: and-or lists of pipelines. */
  private assemble(items: Item[], fallback: Range): StatementBody {
    // One command, no operator (most statements): what the general path below gives, without its groups.
    const only = items.length === 1 ? (items[0] as Item) : null;
    if (only?.t === 'cmd') return this.command(only.node, only.redirects, only.at);
    const groups: { items: Item[]; op?: Operator<'&&' | '||'> }[] = [{ items: [] }];
    for (let k = 0; k < items.length; k++) {
      const it = items[k] as Item;
      if (it.t === 'op' && (it.op === '&&' || it.op === '||')) groups.push({ items: [], op: { op: it.op, range: it.range } });
      else (groups[groups.length - 1] as { items: Item[] }).items.push(it);
    }
    const members = groups.map((g) => this.pipeline(g.items, fallback));
    if (members.length === 1) return members[0] as Pipeline | Command;
    const operators = groups.slice(1).map((g) => g.op as Operator<'&&' | '||'>);
    const andOr: AndOr = node({ kind: 'and-or' as const, range: span(members, fallback), items: members, operators }, members);
    return andOr;
  }

  private pipeline(items: Item[], fallback: Range): Pipeline | Command {
    let neg: Range | null = null;
    const commands: Command[] = [];
    const operators: Operator<'|' | '|&'>[] = [];
    for (let k = 0; k < items.length; k++) {
      const it = items[k] as Item;
      if (it.t === 'neg') neg ??= it.range;
      else if (it.t === 'op') operators.push({ op: it.op as '|' | '|&', range: it.range });
      else commands.push(this.command(it.node, it.redirects, it.at));
    }
    if (commands.length === 0) throw new ShellParseError('empty command', fallback.start);
    if (commands.length === 1 && !neg) return commands[0] as Command;
    const r = span(commands, fallback);
    const p: Pipeline = node(
      { kind: 'pipeline' as const, range: { start: neg ? neg.start : r.start, end: r.end }, commands, operators, negated: neg !== null },
      commands,
    );
    if (commands.length > 1) {
      commands.forEach((c, index) => {
        if (c.kind === 'command') (c as { pipeline?: SimpleCommand['pipeline'] }).pipeline = { node: p, index, length: commands.length, commands };
      });
    }
    return p;
  }

  private command(n: SyntaxNode | null, extraRedirects: SyntaxNode[], at: number): Command {
    const redirects = extraRedirects.length === 0 ? [] : extraRedirects.map((r) => this.redirect(r));
    if (!n) return this.simple([], [], redirects, { start: at, end: at });
    if (n.type === 'command') return this.simpleFromCommand(n, redirects);
    return this.compoundCommand(n, redirects);
  }

  private compoundCommand(n: SyntaxNode, redirects: Redirect[]): Command {
    const raw = this.text.slice(n.startIndex, n.endIndex);
    const compound = <K extends string, F extends object>(kind: K, fields: F, kids: readonly (ShellNode | null)[]) =>
      node({ kind, range: rangeOf(n), redirects, ...fields }, [...kids, ...redirects]);
    switch (n.type) {
      case 'declaration_command':
      case 'unset_command':
        return this.simpleFromBuiltin(n, redirects);
      case 'variable_assignment':
      case 'variable_assignments': {
        const assigns = n.type === 'variable_assignment' ? [this.assignment(n)] : n.namedChildren.filter((c) => c?.type === 'variable_assignment').map((c) => this.assignment(c as SyntaxNode));
        return this.simple(assigns, [], redirects, rangeOf(n));
      }
      case 'subshell': {
        const body = this.statements(n.children);
        return compound('subshell', { body }, body);
      }
      case 'compound_statement': {
        const body = this.statements(n.children);
        return compound('group', { body }, body);
      }
      case 'if_statement':
        return this.ifCommand(n, redirects);
      case 'while_statement': {
        const kids = n.children;
        const doGroup = n.childForFieldName('body');
        const condition = this.statements(kids.filter((c) => c.startIndex > (kids[0]?.endIndex ?? 0) && (!doGroup || c.endIndex <= doGroup.startIndex)));
        const body = doGroup ? this.statements(doGroup.children) : [];
        const w: WhileCommand = compound('while', { until: kids[0]?.type === 'until', condition, body }, [...condition, ...body]);
        return w;
      }
      case 'for_statement':
      case 'c_style_for_statement': {
        const doGroup = n.childForFieldName('body');
        const body = doGroup ? this.statements(doGroup.children) : [];
        const arithmetic = n.type === 'c_style_for_statement';
        const hasIn = n.children.some((c) => !c.isNamed && c.type === 'in');
        const words = arithmetic || !hasIn ? null : n.childrenForFieldName('value').filter((c): c is SyntaxNode => !!c).map((c) => this.word([c]));
        const variable = arithmetic ? null : (n.childForFieldName('variable')?.text ?? null);
        const f: ForCommand = compound('for', { variable, words, arithmetic, body }, [...(words ?? []), ...body]);
        return f;
      }
      case 'case_statement': {
        const value = n.childForFieldName('value');
        const word = value ? this.word([value]) : this.emptyWord(n.startIndex);
        const items = n.namedChildren
          .filter((c): c is SyntaxNode => c?.type === 'case_item')
          .map((item) => {
            const kids = item.children;
            const close = kids.findIndex((c) => !c.isNamed && c.type === ')');
            const patterns = kids.slice(0, Math.max(close, 0)).filter((c) => c.isNamed && c.type !== 'comment').map((c) => this.word([c]));
            const body = this.statements(kids.slice(close + 1));
            return { patterns, body };
          });
        const c: CaseCommand = compound('case', { word, items }, [word, ...items.flatMap((i) => [...i.patterns, ...i.body])]);
        return c;
      }
      case 'function_definition': {
        const b = n.childForFieldName('body');
        const body = b ? this.command(b, [], b.startIndex) : this.simple([], [], [], { start: n.endIndex, end: n.endIndex });
        return compound('function', { name: n.childForFieldName('name')?.text ?? '', body }, [body]);
      }
      case 'test_command':
        return compound('test', { raw }, []);
      default:
        return compound('other', { type: n.type, raw }, []);
    }
  }

  private ifCommand(n: SyntaxNode, redirects: Redirect[]): IfCommand {
    const clauses: { condition: Statement[]; body: Statement[] }[] = [];
    let elseBody: Statement[] | null = null;
    const clause = (kids: readonly SyntaxNode[]) => {
      const then = kids.findIndex((c) => !c.isNamed && c.type === 'then');
      const end = kids.findIndex((c, i) => i > then && (c.type === 'elif_clause' || c.type === 'else_clause' || (!c.isNamed && c.type === 'fi')));
      clauses.push({
        condition: this.statements(kids.slice(1, then < 0 ? kids.length : then)),
        body: then < 0 ? [] : this.statements(kids.slice(then + 1, end < 0 ? kids.length : end)),
      });
    };
    clause(n.children);
    for (const c of n.namedChildren) {
      if (c?.type === 'elif_clause') clause(c.children);
      else if (c?.type === 'else_clause') elseBody = this.statements(c.children.slice(1));
    }
    const kids = [...clauses.flatMap((c) => [...c.condition, ...c.body]), ...(elseBody ?? []), ...redirects];
    return node({ kind: 'if' as const, range: rangeOf(n), redirects, clauses, elseBody }, kids);
  }

  private simpleFromCommand(n: SyntaxNode, redirects: Redirect[]): SimpleCommand {
    const assigns: Assignment[] = [];
    const wordNodes: SyntaxNode[] = [];
    const own: Redirect[] = [];
    const kids = n.children;
    for (let k = 0; k < kids.length; k++) {
      const c = kids[k] as SyntaxNode;
      if (c.type === 'variable_assignment' && wordNodes.length === 0) assigns.push(this.assignment(c));
      else if (isRedirect(c)) {
        const sink: SyntaxNode[] = [];
        this.splitHeredoc(c, sink, []);
        own.push(...sink.map((r) => this.redirect(r)));
      } else if (c.isNamed && c.type !== 'comment') wordNodes.push(c);
    }
    const words = this.mergeWords(wordNodes);
    return this.simple(assigns, words, [...own, ...redirects], rangeOf(n));
  }

  /** `export A=1 B`, `local x`, `unset y`: the keyword is the name, the rest are plain words. */
  private simpleFromBuiltin(n: SyntaxNode, redirects: Redirect[]): SimpleCommand {
    const kw = n.children[0];
    const words: Word[] = kw ? [this.word([kw])] : [];
    const rest = n.children.slice(1).filter((c) => (c.isNamed || c.type.startsWith('-')) && c.type !== 'comment' && !isRedirect(c));
    words.push(...this.mergeWords(rest));
    const own = n.children.filter(isRedirect).map((r) => this.redirect(r));
    return this.simple([], words, [...own, ...redirects], rangeOf(n));
  }

  private simple(assigns: Assignment[], words: Word[], redirects: Redirect[], fallback: Range): SimpleCommand {
    const name = words.length > 0 ? (words[0] as Word) : null;
    const args = words.slice(1);
    const parts: ShellNode[] = assigns.length === 0 && redirects.length === 0 ? words : [...assigns, ...words, ...redirects];
    const cmd = node({ kind: 'command' as const, range: span(parts, fallback), name, args, assigns, redirects, parent: null, children: NONE }, parts) as SimpleCommand;
    if (name?.value === 'set') Object.assign(cmd, setOptions(args));
    return cmd;
  }

  /** Merge word parts the grammar split at an escaped blank (`a\ b` glued to neighbours). */
  private mergeWords(nodes: readonly SyntaxNode[]): Word[] {
    const out: Word[] = [];
    let from = 0;
    for (let k = 1; k <= nodes.length; k++) {
      if (k < nodes.length && this.glued(nodes[k - 1] as SyntaxNode, nodes[k] as SyntaxNode)) continue;
      out.push(this.wordOf(nodes, from, k));
      from = k;
    }
    return out;
  }

  /** Whether only escaped characters (`\ `, none of them a line continuation) stand between two word parts. */
  private glued(prev: SyntaxNode, n: SyntaxNode): boolean {
    // The gap must start with a backslash: most words are apart by a blank, and need no slice or regex.
    return prev.endIndex < n.startIndex && this.text.charCodeAt(prev.endIndex) === 92 && /^(?:\\[^\n])*$/.test(this.text.slice(prev.endIndex, n.startIndex));
  }

  private word(parts: readonly SyntaxNode[]): Word {
    return this.wordOf(parts, 0, parts.length);
  }

  /** The word made of parts[from, to) (from < to). */
  private wordOf(parts: readonly SyntaxNode[], from: number, to: number): Word {
    const first = parts[from] as SyntaxNode;
    const last = parts[to - 1] as SyntaxNode;
    const range = { start: first.startIndex, end: last.endIndex };
    const raw = this.text.slice(range.start, range.end);
    const substitutions: Substitution[] = [];
    let expands = false;
    for (let k = from; k < to; k++) if (this.scanPart(parts[k] as SyntaxNode, substitutions)) expands = true;
    // A word that expands has no value: only whether it is quoted is asked of its text.
    const u = expands ? null : unquote(raw);
    return node({ kind: 'word' as const, range, raw, value: u ? u.value : null, quoted: u ? u.quoted : isQuoted(raw), substitutions, parent: null, children: NONE }, substitutions);
  }

  /** Collect the substitutions in a word part (in source order); true when the part expands something. */
  private scanPart(n: SyntaxNode, substitutions: Substitution[]): boolean {
    const type = n.type;
    if (type === 'command_substitution' || type === 'process_substitution') {
      const body = this.statements(n.children);
      substitutions.push(node({ kind: 'substitution' as const, range: rangeOf(n), body }, body));
      return true;
    }
    let expands = type === 'simple_expansion' || type === 'expansion' || type === 'arithmetic_expansion' || type === 'array';
    if (n.children.length === 0) return expands;
    const kids = n.namedChildren;
    for (let k = 0; k < kids.length; k++) if (this.scanPart(kids[k] as SyntaxNode, substitutions)) expands = true;
    return expands;
  }

  private emptyWord(at: number): Word {
    return node({ kind: 'word' as const, range: { start: at, end: at }, raw: '', value: '', quoted: false, substitutions: [], parent: null, children: NONE }, []);
  }

  private assignment(n: SyntaxNode): Assignment {
    const nameNode = n.childForFieldName('name') ?? n.namedChildren[0] ?? n;
    const valueNode = n.childForFieldName('value');
    const value = valueNode ? this.word([valueNode]) : this.emptyWord(n.endIndex);
    const append = n.children.some((c) => !c.isNamed && c.type === '+=');
    return node({ kind: 'assignment' as const, range: rangeOf(n), name: nameNode.text, nameRange: rangeOf(nameNode), append, value, parent: null, children: NONE }, [value]);
  }

  private redirect(r: SyntaxNode): Redirect {
    const op = r.children.find((c) => !c.isNamed)?.type ?? '';
    const fdNode = r.childForFieldName('descriptor');
    const fd = fdNode ? fdNode.text : null;
    if (r.type === 'heredoc_redirect') {
      const start = r.children.find((c) => c.type === 'heredoc_start');
      const bodyNode = r.children.find((c) => c.type === 'heredoc_body');
      const end = r.children.find((c) => c.type === 'heredoc_end');
      const target = start ? this.word([start]) : this.emptyWord(r.endIndex);
      const bodyStart = bodyNode?.startIndex ?? end?.startIndex ?? r.endIndex;
      const bodyEnd = bodyNode?.endIndex ?? bodyStart;
      const heredoc = { bodyRange: { start: bodyStart, end: bodyEnd }, body: this.text.slice(bodyStart, bodyEnd), expands: !target.quoted };
      return node({ kind: 'redirect' as const, range: { start: r.startIndex, end: target.range.end }, op, fd, target, heredoc, parent: null, children: NONE }, [target]);
    }
    const dest = r.childrenForFieldName('destination').filter((c): c is SyntaxNode => !!c);
    const targetNodes = dest.length ? dest : r.namedChildren.filter((c): c is SyntaxNode => !!c && c !== fdNode && c.type !== 'file_descriptor');
    const target = targetNodes.length ? this.word(targetNodes) : this.emptyWord(r.endIndex);
    return node({ kind: 'redirect' as const, range: rangeOf(r), op, fd, target, parent: null, children: NONE }, [target]);
  }
}

/** What a `set` command does to errexit / pipefail (last one wins; `--` or a non-option ends options). */
function setOptions(args: readonly Word[]): { setsErrexit?: boolean; setsPipefail?: boolean } {
  const out: { setsErrexit?: boolean; setsPipefail?: boolean } = {};
  const apply = (name: string | null, on: boolean) => {
    if (name === 'errexit') out.setsErrexit = on;
    if (name === 'pipefail') out.setsPipefail = on;
  };
  for (let i = 0; i < args.length; i++) {
    const v = args[i]?.value;
    if (v == null || v === '--' || v === '-' || !/^[-+]/.test(v)) break;
    const on = v[0] === '-';
    for (const letter of v.slice(1)) {
      if (letter === 'e') apply('errexit', on);
      else if (letter === 'o') apply(args[++i]?.value ?? null, on);
    }
  }
  return out;
}
