/**
 * The shell syntax tree harden's codemods work on. It is our own shape (not the parser's), so codemods do not depend
 * on tree-sitter node names, and known grammar quirks are normalised away in one place (src/shell/parse.ts).
 *
 * Every node has `kind`, `range` (UTF-16 offsets into the parsed script text, half-open), `parent` and `children`
 * (source order), so a generic walk (see walk.ts) reaches everything.
 */
import { InputLimitError } from '../engine/limits.js';
import type { Range } from '../engine/types.js';

export type { Range };

interface NodeBase {
  /** Offsets into the script text given to parseScript (UTF-16 code units). */
  readonly range: Range;
  /** The enclosing node; null for the script itself. */
  parent: ShellNode | null;
  /** Direct child nodes, in source order. */
  readonly children: readonly ShellNode[];
}

/** The whole script. */
export interface Script extends NodeBase {
  readonly kind: 'script';
  readonly body: readonly Statement[];
}

/**
 * A complete command ended by a terminator: `a && b;`, `c &`, `d` + newline. The body of scripts, subshells, groups,
 * if/while/for/case bodies and command substitutions is a list of statements.
 */
export interface Statement extends NodeBase {
  readonly kind: 'statement';
  readonly body: StatementBody;
  /**
   * What ends it: ';', '&' (background), ';;' / ';&' / ';;&' (case items), '\n' (a newline), or '' (end of the
   * enclosing list: end of script, `)`, `}`, `then`…). `range` is null unless it is a token (';', '&', ';;'…).
   */
  readonly terminator: { readonly op: ';' | '&' | ';;' | ';&' | ';;&' | '\n' | ''; readonly range: Range | null };
  /** True when the terminator is '&'. */
  readonly background: boolean;
}

export type StatementBody = AndOr | Pipeline | Command;

/** `a && b || c`: two or more pipelines/commands joined by && and ||, left-associative. */
export interface AndOr extends NodeBase {
  readonly kind: 'and-or';
  readonly items: readonly (Pipeline | Command)[];
  /** operators[i] sits between items[i] and items[i + 1]. */
  readonly operators: readonly Operator<'&&' | '||'>[];
}

/** `a | b |& c`, or a negated command `! a` (then possibly a single command). */
export interface Pipeline extends NodeBase {
  readonly kind: 'pipeline';
  readonly commands: readonly Command[];
  /** operators[i] sits between commands[i] and commands[i + 1]. */
  readonly operators: readonly Operator<'|' | '|&'>[];
  /** Starts with `!`. */
  readonly negated: boolean;
}

export interface Operator<Op extends string> {
  readonly op: Op;
  readonly range: Range;
}

/** Anything that can be an element of a pipeline. */
export type Command =
  | SimpleCommand
  | Subshell
  | Group
  | IfCommand
  | WhileCommand
  | ForCommand
  | CaseCommand
  | FunctionDef
  | TestCommand
  | OtherCommand;

/** Position of a command inside a pipeline of two or more commands. */
export interface PipelineInfo {
  readonly node: Pipeline;
  readonly index: number;
  readonly length: number;
  readonly commands: readonly Command[];
}

/**
 * `A=1 B=2 name arg… <in >out`. Also: a bare assignment (`rc=$?`: name null), and the bash builtins tree-sitter
 * parses specially (`export`, `local`, `declare`, `readonly`, `typeset`, `unset`), whose arguments are plain words.
 */
export interface SimpleCommand extends NodeBase {
  readonly kind: 'command';
  readonly name: Word | null;
  readonly args: readonly Word[];
  readonly assigns: readonly Assignment[];
  readonly redirects: readonly Redirect[];
  /** Set when the command is an element of a pipeline of two or more commands. */
  readonly pipeline?: PipelineInfo;
  /** `set -e`/`set -o errexit`… → true, `set +e`/`set +o errexit` → false; absent for anything else. */
  readonly setsErrexit?: boolean;
  /** `set -o pipefail` → true, `set +o pipefail` → false; absent for anything else. */
  readonly setsPipefail?: boolean;
}

/**
 * One shell word as written. `value` is the word after quote removal when it is a pure literal; null when it contains
 * a parameter/arithmetic expansion, a command substitution, or a leading `~`. Glob characters are kept as written.
 */
export interface Word extends NodeBase {
  readonly kind: 'word';
  readonly raw: string;
  readonly value: string | null;
  /** Contains quoting: '…', "…", $'…' or a backslash escape. */
  readonly quoted: boolean;
  /** Command and process substitutions inside the word (`$(…)`, `` `…` ``, `<(…)`), parsed. */
  readonly substitutions: readonly Substitution[];
}

/** `$(…)`, `` `…` ``, `<(…)` or `>(…)` inside a word. */
export interface Substitution extends NodeBase {
  readonly kind: 'substitution';
  readonly body: readonly Statement[];
}

/** `NAME=value` / `NAME+=value` before a command (or alone). */
export interface Assignment extends NodeBase {
  readonly kind: 'assignment';
  readonly name: string;
  readonly nameRange: Range;
  /** `+=` */
  readonly append: boolean;
  /** The value (an empty word at the end of the assignment for `NAME=`). */
  readonly value: Word;
}

/** `>f`, `2>&1`, `<in`, `<<<word`, `<<EOF` … */
export interface Redirect extends NodeBase {
  readonly kind: 'redirect';
  /** '>', '>>', '<', '>&', '<&', '&>', '&>>', '>|', '<>', '<<', '<<-', '<<<'. */
  readonly op: string;
  /** The explicit file descriptor (`2` in `2>&1`), if any. */
  readonly fd: string | null;
  /** The target word; for heredocs the delimiter word as written (`"EOF"`: value `EOF`). */
  readonly target: Word;
  /** For `<<` / `<<-`: the body. `range` of the redirect itself stops at the delimiter word. */
  readonly heredoc?: { readonly bodyRange: Range; readonly body: string; readonly expands: boolean };
}

interface CompoundBase extends NodeBase {
  /** Redirections applied to the whole compound command (`{ …; } > log`). */
  readonly redirects: readonly Redirect[];
}

/** `( … )` */
export interface Subshell extends CompoundBase {
  readonly kind: 'subshell';
  readonly body: readonly Statement[];
}

/** `{ …; }` */
export interface Group extends CompoundBase {
  readonly kind: 'group';
  readonly body: readonly Statement[];
}

/** `if c; then b; elif c2; then b2; else e; fi` */
export interface IfCommand extends CompoundBase {
  readonly kind: 'if';
  /** The `if` clause then each `elif` clause. */
  readonly clauses: readonly { readonly condition: readonly Statement[]; readonly body: readonly Statement[] }[];
  readonly elseBody: readonly Statement[] | null;
}

/** `while c; do b; done` / `until c; do b; done` */
export interface WhileCommand extends CompoundBase {
  readonly kind: 'while';
  readonly until: boolean;
  readonly condition: readonly Statement[];
  readonly body: readonly Statement[];
}

/** `for v in w…; do b; done`, `for v; do …`, or the arithmetic `for ((…)); do …`. */
export interface ForCommand extends CompoundBase {
  readonly kind: 'for';
  /** null for the arithmetic form. */
  readonly variable: string | null;
  /** The `in` words; null when there is no `in` list (iterates "$@") or for the arithmetic form. */
  readonly words: readonly Word[] | null;
  readonly arithmetic: boolean;
  readonly body: readonly Statement[];
}

/** `case w in p1|p2) b;; esac` */
export interface CaseCommand extends CompoundBase {
  readonly kind: 'case';
  readonly word: Word;
  readonly items: readonly { readonly patterns: readonly Word[]; readonly body: readonly Statement[] }[];
}

/** `name() body` / `function name { … }` */
export interface FunctionDef extends CompoundBase {
  readonly kind: 'function';
  readonly name: string;
  readonly body: Command;
}

/** `[[ … ]]`, `[ … ]` or `(( … ))`: kept opaque; read `raw` if needed. */
export interface TestCommand extends CompoundBase {
  readonly kind: 'test';
  readonly raw: string;
}

/** A construct harden does not model (kept opaque: `raw`, parser `type`). */
export interface OtherCommand extends CompoundBase {
  readonly kind: 'other';
  readonly type: string;
  readonly raw: string;
}

export type ShellNode =
  | Script
  | Statement
  | AndOr
  | Pipeline
  | Command
  | Word
  | Substitution
  | Assignment
  | Redirect;

export type NodeKind = ShellNode['kind'];

/** A parsed script. */
export interface ShellScript {
  /** The text parsed. */
  readonly text: string;
  readonly root: Script;
  /** Top-level statements (same as root.body). */
  readonly statements: readonly Statement[];
  /** Every simple command, anywhere (inside compound commands and substitutions too), in source order. */
  readonly commands: readonly SimpleCommand[];
}

/** The script is not valid shell syntax (or uses syntax the parser does not support). */
export class ShellParseError extends Error {
  constructor(
    message: string,
    /** Offset into the script text. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ShellParseError';
  }
}

/** The script nests deeper or is longer than harden accepts (MAX_SHELL_TREE_DEPTH, MAX_SHELL_SCRIPT_CHARS): the whole file is reported, not guessed at. */
export class ShellLimitError extends InputLimitError {
  constructor(
    message: string,
    /** Offset into the script text. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ShellLimitError';
  }
}
