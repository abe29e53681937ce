import { describe, expect, it } from 'vitest';
import { isSecretName, NOT_SECRET_PATTERNS, SECRET_PATTERNS } from '../../src/secrets/names.js';

describe('isSecretName()', () => {
  it('matches the built-in patterns on the whole name, case-insensitively', () => {
    for (const n of ['PASSWORD', 'db_password', 'GITHUB_TOKEN', 'aws_secret_access_key', 'REDIS_AUTH', 'WP_AUTH_SALT']) expect(isSecretName(n), n).toBe(true);
    for (const n of ['PASSWORD_HINT', 'TOKENS', 'MY_PASSWORDS', 'USER', 'PASS', 'x-token', '1_TOKEN', 'A TOKEN']) expect(isSecretName(n), n).toBe(false);
  });

  it('leaves out the flag names and `_FILE` references', () => {
    for (const n of ['MYSQL_ALLOW_EMPTY_PASSWORD', 'DB_PASSWORD_FILE', 'SSH_PUBLIC_KEY']) expect(isSecretName(n), n).toBe(false);
    expect(SECRET_PATTERNS.length).toBeGreaterThan(10);
    expect(NOT_SECRET_PATTERNS).toContain('*_FILE');
  });

  it('takes the configuration: extra names, and ignored names that win over everything', () => {
    expect(isSecretName('LICENSE_CODE')).toBe(false);
    expect(isSecretName('LICENSE_CODE', { secretNames: ['license_*'] })).toBe(true);
    expect(isSecretName('DB_PASSWORD_FILE', { secretNames: ['*_FILE'] })).toBe(true);
    expect(isSecretName('DB_PASSWORD', { ignoreNames: ['db_*'] })).toBe(false);
    expect(isSecretName('DB_PASSWORD', { ignoreNames: ['DB_PASS'], secretNames: [] })).toBe(true);
    // Pattern text is literal but for `*`.
    expect(isSecretName('AXB', { secretNames: ['A.B'] })).toBe(false);
    expect(isSecretName('A.B', { secretNames: ['A.B'] })).toBe(true);
    expect(isSecretName('AB', { secretNames: ['A|B'] })).toBe(false);
    expect(isSecretName('A', { secretNames: ['A|B'] })).toBe(false);
  });
});
