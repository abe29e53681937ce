/**
 * lock-npm-global end to end through the public API (`fix()`) against a REAL npm registry: verdaccio on 127.0.0.1
 * with uplinks disabled (test/support/verdaccio.ts), packages published to it over the npm publish protocol. The
 * registry comes from config `indexes.npm`, from an `.npmrc` copied from the build context, or from `--registry`;
 * then the real `npm` CLI installs the pinned versions from the same verdaccio.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { startVerdaccio, type Verdaccio } from '../support/verdaccio.js';

const exec$ = promisify(execFile);
let npm: Verdaccio;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'harden-npm-e2e-'));
  npm = await startVerdaccio();
  // Oldest first: each publish to `latest` moves the tag.
  for (const v of ['4.9.5', '5.4.5', '5.6.3']) await npm.publish('typescript', v);
  await npm.publish('typescript', '5.7.0-beta', { tag: 'beta' });
  for (const v of ['9.14.0', '9.15.0']) await npm.publish('pnpm', v);
  await npm.publish('pnpm', '10.0.0', { tag: 'latest' });
  await npm.publish('@corp/cli', '2.3.0');
  await npm.publish('@corp/cli', '2.4.1');
  await npm.publish('serve', '14.2.3');
  await npm.publish('serve', '14.2.4', { deprecated: 'broken, use 14.2.3' });
  await npm.publish('serve', '15.0.0');
}, 120_000);

afterAll(async () => {
  await npm?.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function harden(name: string, files: Record<string, string>, npmIndex?: string) {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  const r = await fix({
    cwd: dir,
    paths: [join(dir, 'Dockerfile')],
    only: ['lock-npm-global'],
    resolver: { cacheDir: join(tmp, `cache-${name}`), retries: 0, ...(npmIndex ? { indexes: { npm: npmIndex } } : {}) },
  });
  const file = r.files[0];
  if (!file) throw new Error('no file result');
  return file;
}

describe('lock-npm-global against verdaccio (uplinks disabled) on 127.0.0.1', () => {
  it('pins from the configured registry: latest, ranges, dist-tags; a deprecated version is avoided', async () => {
    const file = await harden(
      'configured',
      { Dockerfile: 'FROM node:20\nRUN npm install -g typescript "pnpm@^9" typescript@beta && yarn global add serve@~14.2 @corp/cli@2\n' },
      npm.url,
    );
    expect(file.error).toBeUndefined();
    // serve: latest (15.0.0) is outside ~14.2 and 14.2.4 is deprecated, so 14.2.3, as npm picks.
    expect(file.after).toBe('FROM node:20\nRUN npm install -g typescript@5.6.3 "pnpm@9.15.0" typescript@5.7.0-beta && yarn global add serve@14.2.3 @corp/cli@2.4.1\n');
  });

  it('honours an .npmrc registry copied from the build context, then npm installs the pinned version from it', async () => {
    const file = await harden('npmrc', {
      Dockerfile: 'FROM node:20\nCOPY .npmrc /root/.npmrc\nRUN npm i -g typescript\n',
      '.npmrc': `registry=${npm.url}/\n`,
    });
    expect(file.error).toBeUndefined();
    expect(file.after).toBe('FROM node:20\nCOPY .npmrc /root/.npmrc\nRUN npm i -g typescript@5.6.3\n');
    expect(file.applied[0]?.message).toBe(`npm install -g: pinned typescript@5.6.3 from ${npm.url}/ (.npmrc)`);

    // The real npm CLI installs exactly that version from the same registry.
    const prefix = join(tmp, 'prefix');
    await exec$('npm', ['install', '-g', '--prefix', prefix, '--registry', `${npm.url}/`, '--cache', join(tmp, 'npm-cache'), '--no-audit', '--no-fund', '--ignore-scripts', 'typescript@5.6.3'], {
      env: { ...process.env, npm_config_userconfig: join(tmp, 'no-npmrc') },
    });
    const installed = JSON.parse(await readFile(join(prefix, 'lib/node_modules/typescript/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe('5.6.3');
  }, 120_000);

  it('a package the registry does not have: a finding, nothing pinned (no uplink to fall back on)', async () => {
    const file = await harden('missing', { Dockerfile: `FROM node:20\nRUN npm i -g --registry ${npm.url} typescript left-pad\n` });
    expect(file.changed).toBe(false);
    expect(file.findings.map((f) => f.message)).toEqual([`npm install -g not pinned: nothing matches left-pad from ${npm.url} (--registry)`]);
  });
});
