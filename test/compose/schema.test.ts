/**
 * The result of every fixture case of the compose hardening codemods (output, or input when unchanged) validates against the
 * compose-spec JSON schema: the codemods never turn a valid file into an invalid one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

const SCHEMA = '/work/shared/corpus/schema/compose-spec.json';
const FIXTURES = resolve(import.meta.dirname, '../../fixtures');
const IDS = [
  'compose-bind-localhost', 'compose-dangerous-options', 'compose-drop-capabilities', 'compose-healthcheck', 'compose-log-limits',
  'compose-network-isolation', 'compose-no-new-privileges', 'compose-read-only', 'compose-require-secret-vars', 'compose-resource-limits',
];

type Validate = ((d: unknown) => boolean) & { errors?: unknown };
type AjvCtor = new (o: object) => { compile(s: object): Validate };

function validator(): Validate {
  const Ajv = ((AjvModule as unknown as { default?: AjvCtor }).default ?? AjvModule) as unknown as AjvCtor;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  const addFormats = ((addFormatsModule as unknown as { default?: (a: unknown) => void }).default ?? addFormatsModule) as unknown as (a: unknown) => void;
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  return ajv.compile(schema);
}

const files = IDS.flatMap((id) => {
  const dir = join(FIXTURES, id);
  if (!existsSync(dir)) return [];
  // The result of each case: its output, or its input when the codemod must not change it.
  return readdirSync(dir).flatMap((c) => {
    const out = ['output.compose.yaml', 'input.compose.yaml'].find((f) => existsSync(join(dir, c, f)));
    return out ? [join(id, c, out)] : [];
  });
});

describe.skipIf(!existsSync(SCHEMA))('compose fixtures validate against the compose-spec schema', () => {
  const validate = existsSync(SCHEMA) ? validator() : undefined;
  it.each(files)('%s', (rel) => {
    const text = readFileSync(join(FIXTURES, rel), 'utf8');
    for (const doc of parseAllDocuments(text, { merge: true })) {
      if (!('toJS' in doc)) continue;
      expect(doc.errors).toEqual([]);
      const js = doc.toJS({ maxAliasCount: -1 }) as unknown;
      const ok = validate?.(js);
      expect(ok, JSON.stringify(validate?.errors, null, 1)).toBe(true);
    }
  });
});
