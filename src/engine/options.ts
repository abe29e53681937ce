/**
 * Codemod options checked against the codemod's own `optionsSchema`, synchronously and without a schema compiler:
 * the engine checks the options of every enabled codemod before a run (options from `.harden.yaml` were checked with
 * the whole configuration already; these come from the API, fixtures, or defaults), and `defineCodemod` checks a
 * codemod's `defaultOptions` when it is declared.
 *
 * Covers the keywords option schemas use (type, enum, const, properties, additionalProperties, items, anyOf,
 * minimum, minLength, pattern); `test/engine/define.test.ts` checks every codemod's schema uses no other.
 */
import { didYouMean } from './did-you-mean.js';
import type { Codemod, JsonSchema } from './types.js';

/** The keywords `schemaProblems` understands (annotations included). */
export const OPTION_SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type', 'enum', 'const', 'properties', 'additionalProperties', 'items', 'anyOf', 'minimum', 'minLength', 'pattern', 'description',
]);

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function hasType(v: unknown, t: string): boolean {
  if (t === 'integer') return Number.isInteger(v);
  if (t === 'number') return typeof v === 'number' && Number.isFinite(v);
  return typeOf(v) === t;
}

/** `options.families.postgres`, `options.ignore[2]`. */
const at = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`);

/** What is wrong with `value` under `schema` (no schema: the codemod takes no options), one message per problem. */
export function schemaProblems(schema: JsonSchema | undefined, value: unknown, path = 'options'): string[] {
  if (!schema) {
    const keys = value && typeof value === 'object' ? Object.keys(value) : [];
    return keys.map((k) => `unknown option '${k}': it takes no options`);
  }
  const out: string[] = [];
  const types = schema.type === undefined ? undefined : typeof schema.type === 'string' ? [schema.type] : [...schema.type];
  if (types && !types.some((t) => hasType(value, t))) return [`'${path}' must be ${types.join(' or ')}, not ${typeOf(value)}`];
  if (schema.enum && !schema.enum.some((e) => e === value)) out.push(`'${path}' must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  if ('const' in schema && schema.const !== value) out.push(`'${path}' must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.anyOf) && !(schema.anyOf as JsonSchema[]).some((s) => schemaProblems(s, value, path).length === 0)) {
    out.push(`'${path}' matches none of its allowed forms`);
  }
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) out.push(`'${path}' must be at least ${schema.minimum}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) out.push(`'${path}' must not be empty`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) out.push(`'${path}' must match ${schema.pattern}`);
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => out.push(...schemaProblems(schema.items, v, at(path, i))));
  if (typeOf(value) === 'object') {
    const props = schema.properties ?? {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = props[k];
      if (sub) out.push(...schemaProblems(sub, v, at(path, k)));
      else if (schema.additionalProperties === false) {
        const known = Object.keys(props);
        const where = path === 'options' ? '' : ` in '${path}'`;
        out.push(known.length ? `unknown option '${k}'${where}${didYouMean(k, known)}; its options: ${known.join(', ')}` : `unknown option '${k}'${where}`);
      } else if (typeof schema.additionalProperties === 'object') out.push(...schemaProblems(schema.additionalProperties, v, at(path, k)));
    }
  }
  return out;
}

/** Options a codemod was given that its schema does not allow. */
export class OptionsError extends Error {
  constructor(
    readonly codemodId: string,
    readonly problems: readonly string[],
  ) {
    super(`options of codemod ${codemodId}: ${problems.join('; ')}`);
    this.name = 'OptionsError';
  }
}

const checked = new WeakMap<object, WeakSet<Codemod>>();

/** Throw an `OptionsError` naming the codemod and each bad key when `options` do not match its `optionsSchema`. */
export function checkOptions(codemod: Codemod, options: Readonly<Record<string, unknown>>): void {
  // The same options object is handed over for many files: check it once per codemod.
  const seen = checked.get(options);
  if (seen?.has(codemod)) return;
  const problems = schemaProblems(codemod.optionsSchema, options);
  if (problems.length) throw new OptionsError(codemod.id, problems);
  if (seen) seen.add(codemod);
  else checked.set(options, new WeakSet([codemod]));
}
