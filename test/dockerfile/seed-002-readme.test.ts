/** README's seed 002 section shows the real output of harden on examples/agent-runtime (issue 8). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harden } from '../support/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const IDS = 'dockerfile-add-to-copy,dockerfile-apt-hygiene,dockerfile-cache-bust-arg,dockerfile-healthcheck,dockerfile-non-root-user,dockerfile-set-e-exit-capture,dockerfile-sudo-nopasswd';
const cache = mkdtempSync(join(tmpdir(), 'harden-seed002-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('README: seed 002', () => {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Hardening a Dockerfile itself'), readme.indexOf('## Registries, credentials'));

  it('check output', () => {
    const r = harden(['check', '--only', IDS, 'examples/agent-runtime'], { cwd: ROOT, env: { XDG_CACHE_HOME: cache } });
    expect(r.code).toBe(1);
    expect(section).toContain(`$ harden check --only ${IDS} examples/agent-runtime\n${r.stdout}${r.stderr}\`\`\``);
  });

  it('fix --unsafe diff', () => {
    const r = harden(['fix', '--unsafe', '--only', IDS, 'examples/agent-runtime'], { cwd: ROOT, env: { XDG_CACHE_HOME: cache } });
    expect(r.code).toBe(0);
    expect(section).toContain(`\`\`\`diff\n${r.stdout}\`\`\``);
    // The summary line is quoted in the prose (wrapped).
    expect(section.replace(/\s+/g, ' ')).toContain(r.stderr.trimEnd().split('\n').pop());
  });
});
