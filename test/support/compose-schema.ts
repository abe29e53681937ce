/** Validation against the compose specification's JSON schema (from ../shared/corpus/schema). */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';

export const SHARED = resolve(import.meta.dirname, '../../../shared');
export const CORPUS = resolve(SHARED, 'corpus');
const SCHEMA = resolve(CORPUS, 'schema/compose-spec.json');

let validator: ((data: unknown) => boolean) | undefined;

export function schemaAvailable(): boolean {
  return existsSync(SCHEMA);
}

/** True when every document of the compose text validates (null documents count as valid). */
export function composeValidates(text: string): boolean {
  if (!validator) {
    const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false });
    // The schema names its draft with an https URL ajv does not register; it is draft-07, ajv's default.
    const { $schema: _draft, ...schema } = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
    validator = ajv.compile(schema);
  }
  const docs = parseAllDocuments(text.replace(/^\uFEFF/, ''), { merge: true });
  if (!Array.isArray(docs)) return true;
  return docs.every((d) => {
    if (d.errors.length) return false;
    const js = d.toJS({ maxAliasCount: -1 }) as unknown;
    return js === null || js === undefined || (validator as (x: unknown) => boolean)(js);
  });
}
