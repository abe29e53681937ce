/**
 * The `## Options` section of a codemod's page (docs/codemods/<id>.md, `harden explain <id>`), generated from the
 * codemod's `optionsSchema` and `defaultOptions`, the same declarations the engine checks options against: one line
 * per option with its name, type, default and description, so the page cannot describe options the codemod does
 * not take, or miss one it does. A codemod's own `docs` say what it does; they have no options section of their own.
 */
import type { Codemod, JsonSchema } from './types.js';

export interface OptionDoc {
  name: string;
  /** `string`, `integer`, `string[]`, `string or null`, `"a" | "b"`… */
  type: string;
  /** The default as written in a configuration (strings bare, anything else as JSON); undefined when there is none. */
  default?: string;
  description: string;
}

/** The options a codemod takes, in its schema's order. */
export function optionDocs(c: Codemod): OptionDoc[] {
  return Object.entries(c.optionsSchema?.properties ?? {}).map(([name, s]) => {
    const d = c.defaultOptions && Object.hasOwn(c.defaultOptions, name) ? valueText(c.defaultOptions[name]) : undefined;
    return { name, type: typeText(s), ...(d !== undefined ? { default: d } : {}), description: s.description ?? '' };
  });
}

/** What values a schema accepts, in a few words. */
export function typeText(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(typeText).join(' or ');
  const types = s.type === undefined ? [] : typeof s.type === 'string' ? [s.type] : [...s.type];
  const text = types.map((t) => {
    if (t !== 'array' || !s.items) return t;
    const item = typeText(s.items);
    return / or | \| /.test(item) ? `(${item})[]` : `${item}[]`;
  });
  return text.length ? text.join(' or ') : 'any';
}

const valueText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** One option as a Markdown list item: `` - `name` (type, default `x`): description ``. */
export function optionLine(o: OptionDoc): string {
  return `- \`${o.name}\` (${o.type}${o.default !== undefined ? `, default \`${o.default}\`` : ''}): ${o.description}`;
}

/** The `## Options` section: one line per option, or "None.". */
export function optionsSection(c: Codemod): string {
  const lines = optionDocs(c).map(optionLine);
  return `## Options\n${lines.length ? lines.join('\n') : 'None.'}\n`;
}

/** The text `harden explain <id>` prints. */
export function explainText(c: Codemod): string {
  const facts = [
    `Files: ${c.fileKinds.join(', ')}`,
    `Fix safety: ${c.safety}`,
    ...(c.presets ? [`Presets: ${c.presets.join(', ')}`] : []),
    ...(c.roles ? [`Roles: ${c.roles.join(', ')} files`] : []),
    ...(c.sources?.length ? [`Sources: ${c.sources.join(', ')}`] : []),
  ];
  return `# ${c.id}\n\n${c.summary}\n\n${facts.join(' · ')}\n\n${c.docs.trim()}\n\n${optionsSection(c)}`;
}
