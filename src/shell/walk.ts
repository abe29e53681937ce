/** Generic traversal helpers over the shell tree. */
import type { NodeKind, ShellNode, SimpleCommand, Statement } from './types.js';

/**
 * Depth-first, pre-order walk (children in order). Return false from `visit` to skip a node's children.
 * An explicit stack, not recursion: the depth of a tree costs no call stack.
 */
export function walk(root: ShellNode, visit: (node: ShellNode) => boolean | void): void {
  const stack: ShellNode[] = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (visit(n) === false) continue;
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as ShellNode);
  }
}

/** All nodes of one kind under `root` (inclusive), in source order. */
export function findAll<K extends NodeKind>(root: ShellNode, kind: K): Extract<ShellNode, { kind: K }>[] {
  const out: Extract<ShellNode, { kind: K }>[] = [];
  walk(root, (n) => {
    if (n.kind === kind) out.push(n as Extract<ShellNode, { kind: K }>);
  });
  return out;
}

/** The parent chain of `node`, nearest first (not including `node`). */
export function ancestors(node: ShellNode): ShellNode[] {
  const out: ShellNode[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(p);
  return out;
}

/** The statement `node` belongs to (nearest enclosing statement), or null for the script itself. */
export function enclosingStatement(node: ShellNode): Statement | null {
  for (let p: ShellNode | null = node; p; p = p.parent) if (p.kind === 'statement') return p;
  return null;
}

/** The statement list that holds `stmt` (script/subshell/group/if/loop/case/substitution body) and its index there. */
export function statementSiblings(stmt: Statement): { list: readonly Statement[]; index: number } {
  const p = stmt.parent;
  const lists: (readonly Statement[])[] = [];
  if (p) {
    switch (p.kind) {
      case 'script':
      case 'subshell':
      case 'group':
      case 'substitution':
        lists.push(p.body);
        break;
      case 'if':
        for (const c of p.clauses) lists.push(c.condition, c.body);
        if (p.elseBody) lists.push(p.elseBody);
        break;
      case 'while':
        lists.push(p.condition, p.body);
        break;
      case 'for':
        lists.push(p.body);
        break;
      case 'case':
        for (const i of p.items) lists.push(i.body);
        break;
      default:
        break;
    }
  }
  for (const list of lists) {
    const index = list.indexOf(stmt);
    if (index >= 0) return { list, index };
  }
  return { list: [stmt], index: 0 };
}

/** Whether the command runs inside a command or process substitution. */
export function inSubstitution(node: ShellNode): boolean {
  return ancestors(node).some((a) => a.kind === 'substitution');
}

/**
 * Whether a failure of this command can be ignored by the shell's errexit rules: it is negated (`!`), tested by
 * if/while/until, or on the left of && / || (anything but the last item of an and-or list), or not last in a pipeline
 * (without pipefail).
 */
export function isErrexitExempt(cmd: SimpleCommand): boolean {
  if (cmd.pipeline && cmd.pipeline.index < cmd.pipeline.length - 1) return true;
  let child: ShellNode = cmd;
  for (let p = cmd.parent; p; child = p, p = p.parent) {
    if (p.kind === 'pipeline' && p.negated) return true;
    if (p.kind === 'and-or' && p.items.indexOf(child as never) < p.items.length - 1) return true;
    if (p.kind === 'if' && p.clauses.some((c) => c.condition.includes(child as Statement))) return true;
    if (p.kind === 'while' && p.condition.includes(child as Statement)) return true;
  }
  return false;
}

/** The literal command name (after quote removal), or null (no name, or it expands something). */
export function commandName(cmd: SimpleCommand): string | null {
  return cmd.name?.value ?? null;
}
