/**
 * The Compose version compose-secrets writes for comes from the configuration nearest the file (README: the nearest
 * `.harden.yaml` applies), not only from the one of the directory harden runs in: a project whose own `.harden.yaml`
 * says `composeVersion: "1.29.2"` never gets `secrets: NAME: environment: VAR` (Compose 2.23+), which docker-compose
 * 1.29 rejects, wherever harden is started. A `--compose-version` flag wins over every configuration.
 */
import { describe, expect, it } from 'vitest';
import { fix } from '../../src/api.js';
import { createLocalResolver } from '../../src/resolvers/index.js';
import { tmpTree } from '../support/tmp.js';

const COMPOSE = [
  'services:',
  '  grafana:',
  '    image: docker.io/grafana/grafana:12.0.2',
  '    environment:',
  '      - GF_SECURITY_ADMIN_PASSWORD=${GRAFANA_ADMIN_PASSWORD}',
  '      - GF_AUTH_ANONYMOUS_ENABLED=false',
  '',
].join('\n');

function tree(): string {
  return tmpTree({
    '.git/HEAD': 'ref: refs/heads/main\n',
    'deploy/chat/.harden.yaml': 'composeVersion: "1.29.2"\n',
    'deploy/chat/compose.monitoring.yml': COMPOSE,
  });
}

async function run(cwd: string, extra: { composeVersion?: string; jobs?: number } = {}) {
  const r = await fix({ paths: ['.'], cwd, unsafe: true, only: ['compose-secrets'], customResolver: createLocalResolver(), ...extra });
  const f = r.files.find((x) => x.path.endsWith('compose.monitoring.yml'));
  return { after: f?.after ?? '', messages: (f?.findings ?? []).map((x) => x.message) };
}

describe('compose-secrets and the Compose version of the nearest configuration', () => {
  it.each([['the project directory', 'deploy/chat'], ['the repository root', '.'], ['a directory between', 'deploy']])(
    'run from %s: no environment: secret for a project that targets Compose 1.29.2',
    async (_, sub) => {
      const root = tree();
      const { after, messages } = await run(sub === '.' ? root : `${root}/${sub}`);
      expect(after).toBe(COMPOSE);
      expect(messages.join('\n')).toMatch(/which Compose 1\.29\.2 \(composeVersion\) cannot read/);
    },
  );

  it('holds in worker threads too', async () => {
    const { after } = await run(tree(), { jobs: 2 });
    expect(after).toBe(COMPOSE);
  });

  it('--compose-version wins over the configuration', async () => {
    const { after } = await run(tree(), { composeVersion: '2.24.0' });
    expect(after).toContain('GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana_admin_password');
    expect(after).toMatch(/^ {4}environment: GRAFANA_ADMIN_PASSWORD$/m);
  });
});
