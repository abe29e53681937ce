/**
 * Image references holding compose variables are rendered whole in messages: the `:` inside `${TAG:-17}` is not the
 * tag separator (a message once printed `postgres:${postgres_version`).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/api.js';
import { repositoryOf } from '../../src/secrets/images.js';
import { tmpTree } from '../support/tmp.js';
import { createLocalResolver } from '../../src/resolvers/index.js';

describe('repositoryOf', () => {
  it.each([
    ['docker.io/library/postgres:16@sha256:abc', 'postgres'],
    ['ghcr.io/x/y:1', 'ghcr.io/x/y'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['docker.io/postgres:${POSTGRES_VERSION:-17}', 'postgres'],
    ['postgres:${POSTGRES_VERSION:-17.10-alpine}', 'postgres'],
    ['postgres:${TAG}', 'postgres'],
    ['postgres:$TAG', 'postgres'],
    ['Postgres:${TAG:-16}@sha256:abc', 'postgres'],
    ['${REGISTRY}/Team/App:1', '${REGISTRY}/team/app'],
    ['${REGISTRY:-ghcr.io}/app:${TAG:-1}', '${REGISTRY:-ghcr.io}/app'],
    ['${IMAGE:-nginx:1.25}', '${IMAGE:-nginx:1.25}'],
  ])('%s → %s', (image, repo) => {
    expect(repositoryOf(image)).toBe(repo);
  });
});

describe('messages about images with a variable tag', () => {
  it('name the repository, never a cut-off variable reference', async () => {
    const compose = [
      'services:',
      '  db:',
      '    image: docker.io/postgres:${POSTGRES_VERSION:-17}',
      '    environment:',
      '      POSTGRES_PASSWORD: hunter2hunter2',
      '  cache:',
      '    image: redis:${REDIS_TAG}',
      '    command: redis-server --requirepass hunter2hunter2',
      '',
    ].join('\n');
    const cwd = tmpTree({ '.git/HEAD': 'x', 'compose.yaml': compose });
    const r = await check({ cwd, only: ['compose-secrets'], customResolver: createLocalResolver() });
    const messages = r.files.flatMap((f) => f.findings.map((x) => x.message));
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      // Every `${` opened in a message is closed.
      const open = (m.match(/\$\{/g) ?? []).length;
      const closed = [...m.matchAll(/\$\{[A-Za-z_][A-Za-z0-9_]*[^}]*\}/g)].length;
      expect(closed, m).toBe(open);
      expect(m).not.toMatch(/postgres_version/);
    }
  });
});
