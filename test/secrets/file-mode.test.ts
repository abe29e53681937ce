/**
 * Secret files and the user a service runs as: Compose bind-mounts a `file:` secret with the host file's owner and
 * mode (uid/gid/mode are ignored outside swarm), so the file must be readable by "other" and the directory private.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { tmpTree } from '../support/tmp.js';

const COMPOSE = `services:
  db:
    image: postgres:16
    user: postgres
    environment:
      POSTGRES_PASSWORD: S3CR3T-MARKER-pg
`;

describe('compose-secrets secret file mode', () => {
  it('writes the file readable by the container user (0644) in a 0700 directory, and says why', async () => {
    const dir = tmpTree({ 'compose.yaml': COMPOSE });
    const r = await fix({ cwd: dir, write: true, unsafe: true, only: ['compose-secrets'], resolver: { offline: true } });
    expect(r.companions.errors).toEqual([]);
    const secret = join(dir, 'secrets/postgres_password');
    expect(readFileSync(secret, 'utf8')).toBe('S3CR3T-MARKER-pg\n');
    const mode = statSync(secret).mode & 0o777;
    expect(mode & 0o004).toBe(0o004); // "other": the postgres user in the container reads it through the bind mount
    expect(mode & 0o022).toBe(0); // nobody but the owner writes it
    expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
    const message = r.files.flatMap((f) => f.applied).find((f) => f.codemodId === 'compose-secrets')?.message ?? '';
    expect(message).toContain('user: postgres');
    expect(message).toContain('uid/gid/mode are ignored outside swarm');
    expect(JSON.stringify(r.companions) + JSON.stringify(r.files.map((f) => [f.applied, f.findings]))).not.toContain('S3CR3T-MARKER');
  });

  it('makes a 0600 file an older run wrote with the same value readable, and never overwrites another value', async () => {
    const dir = tmpTree({ 'compose.yaml': COMPOSE });
    mkdirSync(join(dir, 'secrets'), { mode: 0o700 });
    const secret = join(dir, 'secrets/postgres_password');
    writeFileSync(secret, 'S3CR3T-MARKER-pg\n');
    chmodSync(secret, 0o600);
    const dry = await fix({ cwd: dir, write: false, unsafe: true, only: ['compose-secrets'], resolver: { offline: true } });
    expect(dry.companions.messages).toContain('secrets/postgres_password already holds this secret; would set its mode to 0644');
    expect(statSync(secret).mode & 0o777).toBe(0o600);
    const r = await fix({ cwd: dir, write: true, unsafe: true, only: ['compose-secrets'], resolver: { offline: true } });
    expect(r.companions.messages).toContain('secrets/postgres_password already holds this secret; mode set to 0644');
    expect(statSync(secret).mode & 0o777).toBe(0o644);

    const other = tmpTree({ 'compose.yaml': COMPOSE, 'secrets/postgres_password': 'something else\n' });
    const r2 = await fix({ cwd: other, write: true, unsafe: true, only: ['compose-secrets'], resolver: { offline: true } });
    expect(r2.companions.errors.map((e) => e.message)).toEqual(['exists with a different value; not overwritten (move the value there by hand)']);
    expect(readFileSync(join(other, 'secrets/postgres_password'), 'utf8')).toBe('something else\n');
  });
});
