/** dockerfile-sudo-nopasswd reading sudoers files COPY'd/ADD'ed from the build context. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerfileSudoNopasswd, nopasswdAllRules } from '../../codemods/dockerfile-sudo-nopasswd.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import { parseFile } from '../../src/engine/parse.js';
import { FIXTURES, loadCases, runCase } from '../support/fixtures.js';

describe('nopasswdAllRules', () => {
  it('finds NOPASSWD: ALL rules with their line, past comments, uids, continuations and other tags', () => {
    const text = [
      '# %sudo ALL=(ALL:ALL) NOPASSWD: ALL',
      '#includedir /etc/sudoers.d',
      'Defaults !requiretty',
      '#1000 ALL=(ALL) NOPASSWD: ALL',
      'ci ALL=(ALL) \\',
      '   NOPASSWD:SETENV: ALL',
      'deploy ALL=(root) NOPASSWD: /usr/bin/systemctl # NOPASSWD: ALL',
      'ops ALL=(ALL) NOPASSWD: ALL_CMDS',
      'dev ALL=(ALL) NOPASSWD:ALL\r',
    ].join('\n');
    expect(nopasswdAllRules(text)).toEqual([
      { line: 4, rule: '#1000 ALL=(ALL) NOPASSWD: ALL' },
      { line: 5, rule: 'ci ALL=(ALL) NOPASSWD:SETENV: ALL' },
      { line: 9, rule: 'dev ALL=(ALL) NOPASSWD:ALL' },
    ]);
  });
});

describe('sudoers files from the build context', () => {
  const c = loadCases().find((x) => x.codemodId === 'dockerfile-sudo-nopasswd' && x.name === 'copy-from-context');

  it('reports at the COPY source with the file, line and target; names sudo skips are warnings', async () => {
    const r = await runCase(c!);
    const found = r.findings.map((f) => ({ line: f.line, severity: f.severity, data: f.data, fixStatus: f.fixStatus }));
    expect(found).toEqual([
      { line: 8, severity: 'error', fixStatus: 'manual', data: { kind: 'sudoers-nopasswd-all', file: 'sudoers', line: 4, target: '/etc/sudoers.d/agent' } },
      { line: 9, severity: 'error', fixStatus: 'manual', data: { kind: 'sudoers-nopasswd-all', file: 'ops', line: 1, target: '/etc/sudoers.d/ops' } },
      { line: 9, severity: 'warning', fixStatus: 'manual', data: { kind: 'sudoers-nopasswd-all', file: 'legacy.conf', line: 1, target: '/etc/sudoers.d/legacy.conf' } },
      { line: 10, severity: 'error', fixStatus: 'manual', data: { kind: 'sudoers-nopasswd-all', file: 'rootfs/etc/sudoers', line: 3, target: '/etc/sudoers' } },
      { line: 10, severity: 'error', fixStatus: 'manual', data: { kind: 'sudoers-nopasswd-all', file: 'rootfs/etc/sudoers.d/ci', line: 1, target: '/etc/sudoers.d/ci' } },
    ]);
  });

  it('asks local file and dir lookups relative to the Dockerfile, and only for COPYs that can reach sudoers', async () => {
    await dockerfileSudoNopasswd.prepare?.();
    const dir = join(FIXTURES, 'dockerfile-sudo-nopasswd', 'copy-from-context');
    const file = parseFile('dockerfile', 'Dockerfile', join(dir, 'Dockerfile'), c!.input);
    const keys = [...(dockerfileSudoNopasswd.lookups?.(file, {}, {}, new AnswerStore()) ?? [])];
    expect(keys).toContainEqual({ kind: 'file', path: join(dir, 'sudoers') });
    expect(keys).toContainEqual({ kind: 'dir', path: join(dir, 'rootfs') });
    expect(keys.map((k) => String((k as { path?: unknown }).path))).not.toContain(join(dir, 'notes/sudoers'));
    expect(keys.map((k) => String((k as { path?: unknown }).path))).not.toContain(join(dir, 'build-sudoers'));
    // The context's ignore files: the Dockerfile-specific one first.
    expect(keys).toContainEqual({ kind: 'file', path: join(dir, 'Dockerfile.dockerignore') });
    expect(keys).toContainEqual({ kind: 'file', path: join(dir, '.dockerignore') });
    // Read from stdin: no build context, nothing asked.
    const stdin = parseFile('dockerfile', 'Dockerfile', undefined, c!.input);
    expect([...(dockerfileSudoNopasswd.lookups?.(stdin, {}, {}, new AnswerStore()) ?? [])]).toEqual([]);
  });
});

describe('sudoers files the build context\'s ignore file excludes', () => {
  it('are not copied, so not reported (.dockerignore, `!` exceptions, `**`)', async () => {
    const c = loadCases().find((x) => x.codemodId === 'dockerfile-sudo-nopasswd' && x.name === 'copy-dockerignored');
    const r = await runCase(c!);
    expect(r.findings.map((f) => (f.data as { file: string }).file)).toEqual(['rootfs/etc/sudoers.d/dev', 'sudoers.d/ops', 'conf/sudoers.d/build']);
  });

  it('<Dockerfile-name>.dockerignore takes precedence over .dockerignore', async () => {
    const c = loadCases().find((x) => x.codemodId === 'dockerfile-sudo-nopasswd' && x.name === 'copy-dockerfile-specific-ignore');
    const r = await runCase(c!);
    expect(r.findings.map((f) => (f.data as { file: string }).file)).toEqual(['ops']);
  });
});
