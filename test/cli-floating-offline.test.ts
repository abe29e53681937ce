/**
 * Floating image references are findings without the network: `harden check --no-network` reports an untagged FROM
 * (hadolint DL3006), `:latest` (DL3007) and a tag without a digest, sends no request, fixes nothing, and
 * `# hadolint ignore=DL3007` silences the `:latest` one. With a failed lookup the floating finding stays, and the
 * failure is its own finding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { harden } from './support/cli.js';
import { tmpTree } from './support/tmp.js';

const DOCKERFILE = [
  'FROM alpine AS tools',
  '# hadolint ignore=DL3007',
  'FROM node:latest AS build',
  'FROM debian:latest',
  'FROM python:3.12-slim',
  'FROM nginx:1.25@sha256:251ad31786bae2bdf8f9435a21b808b3ddba91ac4bf8d995c416368ed5881c7a',
  '',
].join('\n');

describe('floating references without the network', () => {
  it('check --no-network: untagged, :latest and tag-without-digest findings, the hadolint ignore honoured, no request', () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE, 'compose.yaml': 'services:\n  web:\n    image: redis\n' });
    const r = harden(['check', '--no-network', '--verbose', '--only', 'pin-image-digest', '.'], { cwd });
    expect(r.code).toBe(1);
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => / pin-image-digest /.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/^Dockerfile:1:6 pin-image-digest .*alpine has no tag, so it means alpine:latest.*hadolint DL3006/),
      expect.stringMatching(/^Dockerfile:4:6 pin-image-digest .*debian:latest uses the latest tag.*hadolint DL3007/),
      expect.stringMatching(/^Dockerfile:5:6 pin-image-digest .*python:3\.12-slim has a tag but no digest/),
      expect.stringMatching(/^compose\.yaml:3:12 pin-image-digest .*redis has no tag.*hadolint DL3006/),
    ]);
    expect(r.stdout).not.toMatch(/node:latest/);
    expect(r.stdout + r.stderr).not.toMatch(/lookup failed/);
    expect(r.stderr).toContain('note: pin-image-digest: nothing looked up (--no-network)');
    expect(r.stderr).toContain('requests: none');
  }, 180_000);

  it('fix --write --no-network changes nothing for them (no digest is known)', () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE });
    const r = harden(['fix', '--write', '--no-network', '--only', 'pin-image-digest', 'Dockerfile'], { cwd });
    expect(r.code).toBe(0);
    expect(readFileSync(join(cwd, 'Dockerfile'), 'utf8')).toBe(DOCKERFILE);
    expect(r.stderr).toMatch(/^Dockerfile:1:6 pin-image-digest .*hadolint DL3006/m);
  }, 180_000);

  it('--offline with an empty cache: the DL3006 finding and the failed lookup are separate findings', () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: 'FROM alpine\n' });
    const r = harden(['check', '--offline', '--only', 'pin-image-digest', 'Dockerfile'], { cwd });
    const lines = (r.stdout + r.stderr).split('\n').filter((l) => / pin-image-digest /.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/^Dockerfile:1:6 pin-image-digest .*alpine has no tag.*hadolint DL3006/),
      expect.stringMatching(/^Dockerfile:1:6 pin-image-digest .*alpine:latest: digest lookup failed \(offline-miss/),
    ]);
  }, 180_000);
});
