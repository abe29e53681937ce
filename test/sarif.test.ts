/** SARIF output validates against the official SARIF 2.1.0 schema and carries fixes as artifactChanges. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvModule from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { check } from '../src/api.js';
import { toSarif } from '../src/output/sarif.js';
import { createLocalResolver } from '../src/resolvers/index.js';
import { replaceAll, reportOnly } from './support/test-codemods.js';
import { tmpTree } from './support/tmp.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;

describe('SARIF output', () => {
  it('validates against the SARIF 2.1.0 schema, with fixes as artifactChanges and errors as notifications', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', 'Dockerfile': 'FROM nginx:1\nRUN x\n', 'bad/compose.yaml': 'a: [\n' });
    const codemods = [replaceAll('swap-tag', 'nginx:1', 'nginx:2'), reportOnly('advice', 'RUN')];
    const r = await check({ cwd, codemods, customResolver: createLocalResolver() });
    const log = toSarif(r, codemods, '0.1.0');
    // CommonJS default export: the class sits on .default under NodeNext resolution.
    type AjvCtor = new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: unknown } };
    const Ajv = ((AjvModule as unknown as { default?: AjvCtor }).default ?? AjvModule) as unknown as AjvCtor;
    const ajv = new Ajv({ strict: false, unicodeRegExp: false });
    // The schema's uri and date-time formats are checked too, not ignored.
    type AddFormats = (a: object) => unknown;
    const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const run = log.runs[0];
    expect(run?.results?.map((x) => [x.ruleId, x.level, x.locations?.[0]?.physicalLocation?.region?.startLine])).toEqual([
      ['swap-tag', 'warning', 1],
      ['advice', 'note', 2],
    ]);
    expect(run?.results?.[0]?.fixes?.[0]?.artifactChanges[0]?.replacements[0]).toEqual({
      deletedRegion: { startLine: 1, startColumn: 6, endLine: 1, endColumn: 13 },
      insertedContent: { text: 'nginx:2' },
    });
    expect(run?.invocations?.[0]?.executionSuccessful).toBe(false);
    expect(run?.invocations?.[0]?.toolExecutionNotifications?.[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe('bad/compose.yaml');
  });
});
