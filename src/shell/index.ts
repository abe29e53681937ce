/**
 * harden's shell layer: parse the scripts of RUN instructions (see src/dockerfile/run-script.ts) into a tree with
 * exact offsets, for codemods that rewrite commands (package-manager locking, errexit, pipefail, curl|sh…).
 *
 *   await loadShell();                         // once, from a codemod's prepare(): loads the WASM parser
 *   const s = parseScript('cd app && npm install');
 *   for (const cmd of s.commands) cmd.name?.value, cmd.args.map((a) => a.value), cmd.range …
 *
 * Offsets are UTF-16 offsets into the script text (like Edit offsets); map them to a Dockerfile with
 * RunScript.toFileOffset(). Parse errors throw ShellParseError (with the offset): skip the script, never guess
 * (tryParseScript() returns null instead).
 * See ./README.md for the parser choice and known limits.
 */
export { loadShell, shellLoaded } from './load.js';
export { parseScript, tryParseScript } from './parse.js';
export { unquote } from './words.js';
export { mayHitLimit, mayMention } from './mentions.js';
export { ancestors, commandName, enclosingStatement, findAll, inSubstitution, isErrexitExempt, statementSiblings, walk } from './walk.js';
export {
  ShellLimitError,
  ShellParseError,
  type AndOr,
  type Assignment,
  type CaseCommand,
  type Command,
  type ForCommand,
  type FunctionDef,
  type Group,
  type IfCommand,
  type NodeKind,
  type Operator,
  type OtherCommand,
  type Pipeline,
  type PipelineInfo,
  type Redirect,
  type Script,
  type ShellNode,
  type ShellScript,
  type SimpleCommand,
  type Statement,
  type StatementBody,
  type Subshell,
  type Substitution,
  type TestCommand,
  type WhileCommand,
  type Word,
} from './types.js';
