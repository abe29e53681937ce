/** Built services: the image config of their Dockerfile's base image is asked once the Dockerfile is read. */
import { describe, expect, it } from 'vitest';
import { AnswerStore } from '../../src/engine/lookups.js';
import { parseFile } from '../../src/engine/parse.js';
import type { Answer, LookupKey, ParsedCompose } from '../../src/engine/types.js';
import { hardeningLookups, readBaseConfig, serviceImage } from '../../src/compose/hardening.js';
import { services } from '../../src/compose/index.js';

const compose = (text: string) => parseFile('compose', 'compose.yaml', '/srv/app/compose.yaml', text) as ParsedCompose;
const file: LookupKey = { kind: 'file', path: '/srv/app/api/Dockerfile' };
const base: LookupKey = { kind: 'image-config', ref: 'grafana/grafana:10.2.2', platform: 'linux/arm64' };
const ids = (keys: readonly LookupKey[]) => keys.map((k) => JSON.stringify(k));

describe('base image config of built services', () => {
  const f = compose('services:\n  api:\n    build: ./api\n    platform: linux/arm64\n');
  const withDockerfile = () => {
    const answers = new AnswerStore();
    answers.set(file, { ok: { exists: true, text: 'FROM grafana/grafana:10.2.2\nUSER root\n' } } as Answer);
    return answers;
  };

  it('asks for the Dockerfile first, then for its base image config (with the service platform)', () => {
    expect(ids(hardeningLookups(f, {}))).toEqual(ids([file]));
    expect(ids(hardeningLookups(f, {}, withDockerfile()))).toEqual(ids([file, base]));
  });

  it('reads the answer with its source, and nothing when the lookup failed', () => {
    const svc = services(f)[0];
    if (!svc) throw new Error('no service');
    const ok = withDockerfile();
    ok.set(base, { ok: { user: '472' }, source: 'registry-1.docker.io' } as Answer);
    expect(readBaseConfig(serviceImage(svc, { file: f, answers: ok }), {}, ok)).toEqual({
      ref: 'grafana/grafana:10.2.2',
      config: { user: '472' },
      describe: "the base image grafana/grafana:10.2.2's config (registry registry-1.docker.io)",
    });
    const failed = withDockerfile();
    failed.set(base, { error: { code: 'unauthorized', message: '401' } } as Answer);
    expect(readBaseConfig(serviceImage(svc, { file: f, answers: failed }), {}, failed)).toBeUndefined();
  });

  it('asks nothing more for FROM scratch', () => {
    const answers = new AnswerStore();
    answers.set(file, { ok: { exists: true, text: 'FROM scratch\nCOPY app /app\n' } } as Answer);
    expect(ids(hardeningLookups(f, {}, answers))).toEqual(ids([file]));
  });
});
