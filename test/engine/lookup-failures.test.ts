/**
 * The contract for failed lookups: a failed digest or version lookup (registry down, offline cache miss, the
 * `# syntax=` line harden itself added) is a finding at that reference, the file's other fixes apply, and the exit
 * code is not 2. `--no-network` skips the codemods that need the network, with one note each; pin-image-digest still
 * runs there, looks nothing up, and reports floating references (untagged, `:latest`, tag without digest).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, fix, hasProcessingErrors } from '../../src/api.js';
import { AnswerStore } from '../../src/engine/lookups.js';
import type { LookupKey, Resolver } from '../../src/engine/types.js';
import { harden } from '../support/cli.js';
import { tmpTree } from '../support/tmp.js';

const DOCKERFILE = 'FROM registry.invalid.example/app:1\nRUN apt-get update\nRUN apt-get install -y curl\n';
const ONLY = 'pin-image-digest,dockerfile-apt-hygiene';

describe('failed lookups are findings, not processing errors', () => {
  it('--offline with an empty cache: the digest lookup is a finding, the other fix is written, exit 0', () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE });
    const r = harden(['fix', '--write', '--offline', '--only', ONLY, 'Dockerfile'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Dockerfile:1:\d+ pin-image-digest .*registry\.invalid\.example\/app:1.*offline/m);
    expect(r.stderr).not.toMatch(/: error:/);
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe('FROM registry.invalid.example/app:1\nRUN apt-get update && apt-get install -y curl\n');
    const check = harden(['check', '--offline', '--only', 'pin-image-digest', 'Dockerfile'], { cwd });
    expect(check.code).toBe(1);
  }, 180_000);

  it('--no-network: skips the network codemods with one note each, sends nothing, reports floating references, applies the rest (exit 0)', () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE, 'compose.yaml': 'services:\n  a:\n    image: registry.invalid.example/b:1\n' });
    const r = harden(['fix', '--write', '--no-network', '--verbose', '--only', `${ONLY},lock-apt-install`, '.'], { cwd });
    expect(r.code).toBe(0);
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('note: '));
    expect(notes).toEqual([
      'note: lock-apt-install skipped: it needs the network (--no-network)',
      'note: pin-image-digest: nothing looked up (--no-network); only what the files and the knowledge base show',
    ]);
    expect(r.stderr).toContain('requests: none');
    expect(r.stderr).toMatch(/^Dockerfile:1:\d+ pin-image-digest .*registry\.invalid\.example\/app:1 has a tag but no digest/m);
    expect(r.stderr).toMatch(/^compose\.yaml:3:\d+ pin-image-digest .*registry\.invalid\.example\/b:1 has a tag but no digest/m);
    expect(r.stderr).not.toMatch(/lookup failed/);
    expect(readFileSync(join(cwd, 'compose.yaml'), 'utf8')).toContain('image: registry.invalid.example/b:1\n');
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toContain('RUN apt-get update && apt-get install -y curl');
  }, 180_000);

  it('network: false in .harden.yaml works like --no-network', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE, '.harden.yaml': 'network: false\n' });
    const r = await fix({ cwd, only: ['pin-image-digest', 'dockerfile-apt-hygiene'] });
    expect(r.notes).toEqual(['pin-image-digest: nothing looked up (--no-network); only what the files and the knowledge base show']);
    expect(r.files[0]?.changed).toBe(true);
    const pins = r.files[0]?.findings.filter((f) => f.codemodId === 'pin-image-digest') ?? [];
    expect(pins.map((f) => [f.data?.floating, f.fix])).toEqual([['tag', undefined]]);
  });

  it('network: false: the network codemods that still run (no-new-privileges, pin-image-digest) ask the resolver nothing', async () => {
    const cwd = tmpTree({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
    const asked: LookupKey[] = [];
    const answers = new AnswerStore();
    const resolver: Resolver = {
      answers,
      async resolveAll(keys) {
        asked.push(...keys);
      },
    };
    const r = await check({ cwd, network: false, customResolver: resolver });
    expect(r.notes).toContain('compose-no-new-privileges: nothing looked up (--no-network); only what the files and the knowledge base show');
    expect(asked.filter((k) => k.kind !== 'file')).toEqual([]);
    // The knowledge base is local: nginx's no-new-privileges fix stands without a lookup.
    expect(r.files[0]?.findings.find((f) => f.codemodId === 'compose-no-new-privileges')?.fix?.safety).toBe('safe');
  });

  it('the # syntax= line harden adds for ADD --checksum, whose digest cannot be looked up: a finding, the file still fixed, no exit 2', async () => {
    const cwd = tmpTree({ Dockerfile: 'FROM scratch\nADD https://example.com/tool.tar.gz /tool.tar.gz\n' });
    const answers = new AnswerStore();
    const asked: LookupKey[] = [];
    const resolver: Resolver = {
      answers,
      async resolveAll(keys) {
        for (const k of keys) {
          asked.push(k);
          if (k.kind === 'url-sha256') answers.set(k, { ok: { sha256: `sha256:${'a'.repeat(64)}`, size: 10 } });
          else answers.set(k, { error: { code: 'offline-miss', message: `${String((k as { ref?: string }).ref)} is not in the cache (offline mode)` } });
        }
      },
    };
    const r = await fix({ cwd, only: ['add-download-checksum', 'pin-image-digest'], customResolver: resolver });
    const f = r.files[0]!;
    expect(f.error).toBeUndefined();
    expect(f.after).toContain(`# syntax=docker/dockerfile:1`);
    expect(f.after).toContain(`ADD --checksum=sha256:${'a'.repeat(64)} https://example.com/tool.tar.gz`);
    expect(asked.some((k) => k.kind === 'image-digest' && String((k as { ref?: string }).ref).startsWith('docker/dockerfile'))).toBe(true);
    expect(f.findings.some((x) => x.codemodId === 'pin-image-digest' && x.data?.lookupFailed === true)).toBe(true);
    expect(hasProcessingErrors(r)).toBe(false);
  });
});
