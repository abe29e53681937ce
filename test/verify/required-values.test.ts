/**
 * A stack that needs values from the user (`${VAR:?}`): verify names every missing variable and stops before any
 * container is created. The engine here is a stand-in whose commands do not exist (no engine is started): had verify
 * reached it, the error would be about running those commands, not the variables.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/verify/verify.js';
import type { Engine } from '../../src/verify/engine.js';

const STAND_IN: Engine = {
  cli: '/nonexistent/docker',
  compose: ['/nonexistent/docker-compose'],
  composeVersion: '1.29.2',
  serverVersion: '20.10.24',
  where: 'a stand-in engine (nothing runs)',
  env: {},
};

function stack(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harden-required-'));
  writeFileSync(
    join(dir, 'compose.yaml'),
    'services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}\n      APP_KEY: ${APP_KEY:?}\n      LEVEL: ${LEVEL:-info}\n',
  );
  return dir;
}

describe('verify with required values, against a stand-in engine that never runs', () => {
  it('names every missing variable, sorted (not the ones with defaults) and points at --env-file', async () => {
    const cwd = stack();
    await expect(verify({ cwd, engine: STAND_IN })).rejects.toThrow(
      'compose.yaml needs values for APP_KEY, DB_PASSWORD: set them in the environment or pass --env-file FILE',
    );
  });
  it('an --env-file giving some of them leaves only the others named, and never prints a given value', async () => {
    const cwd = stack();
    writeFileSync(join(cwd, 'verify.env'), 'DB_PASSWORD=s3cret-value\n');
    const err = await verify({ cwd, engine: STAND_IN, envFile: 'verify.env' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('compose.yaml needs values for APP_KEY: set them in the environment or pass --env-file FILE');
    expect((err as Error).message).not.toContain('s3cret-value');
  });
});
