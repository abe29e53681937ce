/**
 * A cheaper token step for the `yaml` library's CST parser (same parse, less work).
 *
 * `Parser.prototype.next`, which the parser runs once for every lexical token, first reads
 * `process.env.LOG_TOKENS` (a debugging switch that prints each token). Reading `process.env` is a call into the
 * runtime that looks the variable up in the process environment: over the compose files of a large run (about 200,000
 * tokens) that lookup is about 5% of what parsing costs. The replacement below is the library's own `next`, unchanged
 * but for that line; the switch is read once, when the patch is installed (set, the library's method is kept).
 *
 * It is installed only over the exact method it replaces: `EXPECTED` is the library's source of `next` (layout and
 * quote marks aside), and a version of `yaml` whose `next` reads differently keeps its own method. That is the case in
 * dist: the bundled copy's lexer and parser have plain methods instead of generators (scripts/yaml-plain-steps.mjs),
 * which read the switch once, so this patch is for the library as installed (the sources run with tsx, the tests).
 */
import { CST, Parser } from 'yaml';

type Token = Parameters<InstanceType<typeof Parser>['next']>[0];

interface Internals {
  source: string;
  atScalar: boolean;
  atNewLine: boolean;
  indent: number;
  offset: number;
  type: string;
  onNewLine?: (offset: number) => void;
  step(): Generator<unknown, void>;
  pop(error?: unknown): Generator<unknown, void>;
  next(source: Token): Generator<unknown, void>;
  [PATCHED]?: true;
}

const PATCHED = Symbol('yaml token step patched');

/** The library's `Parser.prototype.next` (yaml 2.x, dist/parse/parser.js), the one this patch replaces. */
const EXPECTED = `*next(source) {
        this.source = source;
        if (node_process.env.LOG_TOKENS)
            console.log('|', cst.prettyToken(source));
        if (this.atScalar) {
            this.atScalar = false;
            yield* this.step();
            this.offset += source.length;
            return;
        }
        const type = cst.tokenType(source);
        if (!type) {
            const message = \`Not a YAML token: \${source}\`;
            yield* this.pop({ type: 'error', offset: this.offset, message, source });
            this.offset += source.length;
        }
        else if (type === 'scalar') {
            this.atNewLine = false;
            this.atScalar = true;
            this.type = 'scalar';
        }
        else {
            this.type = type;
            yield* this.step();
            switch (type) {
                case 'newline':
                    this.atNewLine = true;
                    this.indent = 0;
                    if (this.onNewLine)
                        this.onNewLine(this.offset + source.length);
                    break;
                case 'space':
                    if (this.atNewLine && source[0] === ' ')
                        this.indent += source.length;
                    break;
                case 'explicit-key-ind':
                case 'map-value-ind':
                case 'seq-item-ind':
                    if (this.atNewLine)
                        this.indent += source.length;
                    break;
                case 'doc-mode':
                case 'flow-error-end':
                    return;
                default:
                    this.atNewLine = false;
            }
            this.offset += source.length;
        }
    }`;

const { tokenType } = CST;
/** Source text up to layout and quote marks: the bundle of dist/vendor/yaml.js reprints the library's code. */
const squash = (s: string): string => s.replace(/'/g, '"').replace(/\s+/g, ' ').replace(/\s*([{}();,])\s*/g, '$1').trim();

/** The library's `next` without the environment read. */
function* next(this: Internals, source: string): Generator<unknown, void> {
  this.source = source;
  if (this.atScalar) {
    this.atScalar = false;
    yield* this.step();
    this.offset += source.length;
    return;
  }
  const type = tokenType(source);
  if (!type) {
    const message = `Not a YAML token: ${source}`;
    yield* this.pop({ type: 'error', offset: this.offset, message, source });
    this.offset += source.length;
  } else if (type === 'scalar') {
    this.atNewLine = false;
    this.atScalar = true;
    this.type = 'scalar';
  } else {
    this.type = type;
    yield* this.step();
    switch (type) {
      case 'newline':
        this.atNewLine = true;
        this.indent = 0;
        if (this.onNewLine) this.onNewLine(this.offset + source.length);
        break;
      case 'space':
        if (this.atNewLine && source[0] === ' ') this.indent += source.length;
        break;
      case 'explicit-key-ind':
      case 'map-value-ind':
      case 'seq-item-ind':
        if (this.atNewLine) this.indent += source.length;
        break;
      case 'doc-mode':
      case 'flow-error-end':
        return;
      default:
        this.atNewLine = false;
    }
    this.offset += source.length;
  }
}

/**
 * Install the cheaper token step on yaml's Parser (idempotent). Returns whether the parser runs it: false when
 * LOG_TOKENS is set or the library's method is not the one it replaces.
 */
export function patchYamlParser(): boolean {
  const proto = Parser.prototype as unknown as Internals;
  if (proto[PATCHED]) return true;
  if (process.env.LOG_TOKENS) return false;
  if (typeof proto.next !== 'function' || squash(proto.next.toString()) !== squash(EXPECTED)) return false;
  proto.next = next as Internals['next'];
  proto[PATCHED] = true;
  return true;
}
