/** SARIF output validates against the official SARIF 2.1.0 schema and carries fixes as artifactChanges. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import AjvModule from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { check } from '../src/api.js';
import { lineTableOf } from '../src/engine/run.js';
import { computeLineStarts } from '../src/engine/text.js';
import { toSarif } from '../src/output/sarif.js';
import { createLocalResolver } from '../src/resolvers/index.js';
import { replaceAll, reportOnly } from './support/test-codemods.js';
import { tmpTree } from './support/tmp.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;

function expectValid(log: unknown): void {
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
}

describe('SARIF output', () => {
  it('validates against the SARIF 2.1.0 schema, with fixes as artifactChanges and errors as notifications', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', 'Dockerfile': 'FROM nginx:1\nRUN x\n', 'bad/compose.yaml': 'a: [\n' });
    const codemods = [replaceAll('swap-tag', 'nginx:1', 'nginx:2'), reportOnly('advice', 'RUN')];
    const r = await check({ cwd, codemods, customResolver: createLocalResolver() });
    const log = toSarif(r, codemods, '0.1.0', { cwd });
    expectValid(log);
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

  // GitHub's "SARIF support for code scanning": the properties it requires, and those it recommends or uses.
  const GITHUB_REQUIRED = {
    log: ['$schema', 'version', 'runs'],
    run: ['tool.driver.name', 'results'],
    rule: ['id', 'shortDescription.text', 'fullDescription.text', 'help.text'],
    result: ['ruleId', 'message.text', 'locations', 'partialFingerprints'],
    physicalLocation: ['artifactLocation.uri', 'region.startLine', 'region.startColumn', 'region.endLine', 'region.endColumn'],
  };
  const GITHUB_RECOMMENDED = {
    run: ['tool.driver.version', 'tool.driver.semanticVersion', 'tool.driver.rules', 'originalUriBaseIds'],
    rule: ['name', 'defaultConfiguration.level', 'help.markdown', 'helpUri', 'properties.tags', 'properties.precision'],
    result: ['ruleIndex', 'level'],
    physicalLocation: ['artifactLocation.uriBaseId'],
  };
  const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

  it("has every property GitHub code scanning requires or recommends, with URIs from the repository root", async () => {
    const { codemods } = await import('../codemods/index.js');
    const root = tmpTree({
      '.git/HEAD': 'x',
      'sub/compose.yaml': 'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2-literal\n',
    });
    const only = codemods.filter((c) => ['compose-secrets', 'compose-log-limits'].includes(c.id));
    // Run from sub/: the result must still point at sub/compose.yaml (relative to the repository root).
    const cwd = join(root, 'sub');
    const r = await check({ cwd, codemods: only, customResolver: createLocalResolver() });
    const log = toSarif(r, only, '1.2.3', { cwd });
    for (const k of GITHUB_REQUIRED.log) expect(get(log, k), k).toBeDefined();
    const run = log.runs[0]!;
    for (const k of [...GITHUB_REQUIRED.run, ...GITHUB_RECOMMENDED.run]) expect(get(run, k), k).toBeDefined();
    expect(run.originalUriBaseIds?.['%SRCROOT%']?.uri).toBe(`${pathToFileURL(root).href}/`);
    const rules = run.tool.driver.rules!;
    expect(rules.map((x) => x.id)).toEqual(['compose-log-limits', 'compose-secrets']);
    for (const rule of rules) for (const k of [...GITHUB_REQUIRED.rule, ...GITHUB_RECOMMENDED.rule]) expect(get(rule, k), `${rule.id} ${k}`).toBeDefined();
    const byId = Object.fromEntries(rules.map((x) => [x.id, x]));
    // Only real security rules carry the security tag and a security-severity (a string from 0.0 to 10.0).
    expect(byId['compose-secrets']?.properties?.tags).toContain('security');
    expect(byId['compose-secrets']?.properties?.['security-severity']).toMatch(/^(10\.0|\d\.\d)$/);
    expect(byId['compose-log-limits']?.properties?.tags).not.toContain('security');
    expect(byId['compose-log-limits']?.properties?.['security-severity']).toBeUndefined();
    expect(byId['compose-secrets']?.helpUri).toBe('https://unpkg.com/harden-containers@1.2.3/docs/codemods/compose-secrets.md');
    expect(byId['compose-secrets']?.defaultConfiguration?.level).toBe(({ error: 'error', warning: 'warning', info: 'note' } as const)[only.find((c) => c.id === 'compose-secrets')?.severity ?? 'warning']);
    expect(run.results!.length).toBeGreaterThanOrEqual(2);
    for (const res of run.results!) {
      for (const k of [...GITHUB_REQUIRED.result, ...GITHUB_RECOMMENDED.result]) expect(get(res, k), `${res.ruleId} ${k}`).toBeDefined();
      expect(res.locations!.length).toBeLessThanOrEqual(10);
      const pl = res.locations![0]!.physicalLocation!;
      for (const k of [...GITHUB_REQUIRED.physicalLocation, ...GITHUB_RECOMMENDED.physicalLocation]) expect(get(pl, k), `${res.ruleId} ${k}`).toBeDefined();
      expect(pl.artifactLocation).toEqual({ uri: 'sub/compose.yaml', uriBaseId: '%SRCROOT%' });
      expect(rules[res.ruleIndex!]?.id).toBe(res.ruleId);
    }
    expect(JSON.stringify(log)).not.toContain('hunter2-literal');
    expectValid(log);
  });

  it('every registered codemod: security-severity only with the security tag, in range; log and resource limits are not security rules', async () => {
    const { codemods } = await import('../codemods/index.js');
    for (const c of codemods) {
      if (c.securitySeverity !== undefined) expect(c.securitySeverity, c.id).toBeGreaterThan(0);
      if (c.securitySeverity !== undefined) expect(c.securitySeverity, c.id).toBeLessThanOrEqual(10);
    }
    const ids = codemods.filter((c) => c.securitySeverity !== undefined).map((c) => c.id);
    expect(ids).toContain('compose-dangerous-options');
    expect(ids).toContain('dockerfile-secret-env');
    for (const notSecurity of ['compose-log-limits', 'compose-resource-limits', 'compose-healthcheck', 'dockerfile-healthcheck', 'shell-pipefail', 'npm-install-to-ci']) expect(ids).not.toContain(notSecurity);
  });

  it('partialFingerprints stay the same when lines are added above; two equal lines get different ones', async () => {
    const codemods = [reportOnly('advice', 'RUN x')];
    const fps = async (text: string) => {
      const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: text });
      const log = toSarif(await check({ cwd, codemods: [replaceAll('advice', 'RUN x', 'RUN y')], customResolver: createLocalResolver() }), codemods, '0.1.0', { cwd });
      return log.runs[0]!.results!.map((x) => [x.locations![0]!.physicalLocation!.region!.startLine, x.partialFingerprints!['harden/v1']]);
    };
    const a = await fps('FROM a\nRUN x\nRUN x\n');
    const b = await fps('FROM a\n# a comment\n\nRUN x   \nRUN x\n');
    expect(a.map((x) => x[0])).toEqual([2, 3]);
    expect(b.map((x) => x[0])).toEqual([4, 5]);
    expect(b.map((x) => x[1])).toEqual(a.map((x) => x[1]));
    expect(new Set(a.map((x) => x[1])).size).toBe(2);
  });

  it('a lookup that failed is a tool execution notification, not a result, and not a processing error (no exit 2); the floating reference is the result', async () => {
    const { codemods } = await import('../codemods/index.js');
    const pin = codemods.filter((c) => c.id === 'pin-image-digest');
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: 'FROM registry.invalid.example/app:1\n' });
    const r = await check({ cwd, codemods: pin, resolver: { offline: true, cacheDir: join(cwd, '.cache') } });
    expect(r.files[0]?.findings.some((x) => x.data?.lookupFailed === true)).toBe(true);
    const log = toSarif(r, pin, '0.1.0', { cwd });
    expectValid(log);
    const run = log.runs[0]!;
    expect(run.results?.map((x) => x.message.text)).toEqual([expect.stringMatching(/registry\.invalid\.example\/app:1 has a tag but no digest/)]);
    expect(run.invocations?.[0]?.executionSuccessful).toBe(true);
    const n = run.invocations?.[0]?.toolExecutionNotifications ?? [];
    expect(n).toHaveLength(1);
    expect(n[0]?.associatedRule?.id).toBe('pin-image-digest');
    expect(n[0]?.message.text).toMatch(/digest lookup failed/);
    expect(n[0]?.locations?.[0]?.physicalLocation?.artifactLocation).toEqual({ uri: 'Dockerfile', uriBaseId: '%SRCROOT%' });
  });
});

describe('SARIF line tables', () => {
  it("reuses the engine's line table of each file as read, with the same output as a table computed from the text", async () => {
    const cwd = tmpTree({
      '.git/HEAD': 'x',
      // CRLF, a BOM, and fixes that change line lengths: findings and the table keep the lines as read.
      'Dockerfile': '\uFEFFFROM nginx:1\r\nRUN a\r\n\r\nRUN b b\r\n',
      'compose.yaml': 'services:\n  web:\n    image: nginx:1\n',
    });
    const codemods = [replaceAll('swap-tag', 'nginx:1', 'nginx:2'), replaceAll('b-to-cc', 'b', 'cc'), reportOnly('advice', 'RUN cc')];
    const { fix } = await import('../src/api.js');
    const r = await fix({ cwd, codemods, customResolver: createLocalResolver(), write: false });
    expect(r.files.length).toBe(2);
    for (const f of r.files) {
      const table = lineTableOf(f);
      expect(table, f.path).toBeDefined();
      expect(table).toEqual(computeLineStarts(f.before.replace(/^\uFEFF/, '')));
    }
    const reused = toSarif(r, codemods, '0.1.0', { cwd });
    // Copies of the results carry no engine table: SARIF computes one from the text.
    const computed = toSarif({ ...r, files: r.files.map((f) => ({ ...f })) }, codemods, '0.1.0', { cwd });
    expect(r.files.every((f) => lineTableOf({ ...f }) === undefined)).toBe(true);
    expect(reused).toEqual(computed);
    expect(reused.runs[0]?.results?.filter((x) => x.ruleId === 'advice').map((x) => x.locations?.[0]?.physicalLocation?.region?.startLine)).toEqual([4]);
  });
});
