/**
 * The secrets codemods' view of a compose service reads its image and build through src/compose's model: merge keys
 * (`<<: *anchor`) and `extends:` included, the Dockerfile where `buildSpec` finds it, and the `build:` node that
 * defines it (the service's own when it has one).
 */
import { describe, expect, it } from 'vitest';
import { isMap, type YAMLMap } from 'yaml';
import { parseCompose } from '../../src/engine/parse.js';
import { services } from '../../src/secrets/compose.js';
import { ownPair } from '../../src/compose/services.js';

const infos = (text: string) => {
  const file = parseCompose('compose.yaml', '/p/compose.yaml', text);
  const doc = file.docs[0];
  if (!doc) throw new Error('no document');
  return { doc, byName: new Map(services(file, doc).map((s) => [s.name, s])) };
};

/** The `build:` value of a mapping (an anchor's or a service's). */
const buildOf = (map: unknown) => (isMap(map) ? ownPair(map as YAMLMap, 'build')?.value : undefined);

describe('secrets: a service\'s image and build', () => {
  it('come through a merge key: the build node is the anchor\'s', () => {
    const { doc, byName } = infos('x-app: &app\n  build:\n    context: ./app\n    dockerfile: Dockerfile.prod\n  image: example.com/app:1\nservices:\n  web:\n    <<: *app\n  worker:\n    <<: *app\n    image: example.com/worker:1\n');
    const anchor = isMap(doc.contents) ? ownPair(doc.contents, 'x-app')?.value : undefined;
    for (const name of ['web', 'worker']) {
      const s = byName.get(name);
      expect(s?.hasBuild).toBe(true);
      expect(s?.build).toMatchObject({ context: '/p/app', dockerfile: '/p/app/Dockerfile.prod' });
      expect(s?.build?.node).toBe(buildOf(anchor));
    }
    expect(byName.get('web')?.image).toBe('example.com/app:1');
    // The service's own key wins over the anchor's.
    expect(byName.get('worker')?.image).toBe('example.com/worker:1');
  });

  it('come through `extends:`: the build node is the extended service\'s, and one of its own wins', () => {
    const { byName } = infos('services:\n  app:\n    build: ./app\n    image: example.com/app:1\n  worker:\n    extends: app\n  tool:\n    extends:\n      service: app\n    build:\n      context: ./tool\n');
    const app = byName.get('app');
    expect(app?.build).toMatchObject({ context: '/p/app', dockerfile: '/p/app/Dockerfile' });
    const worker = byName.get('worker');
    expect(worker).toMatchObject({ hasBuild: true, image: 'example.com/app:1' });
    expect(worker?.build?.node).toBe(app?.build?.node);
    // Its own `build:` is where it is built (and where an edit goes).
    const tool = byName.get('tool');
    expect(tool?.build).toMatchObject({ context: '/p/tool', dockerfile: '/p/tool/Dockerfile' });
    expect(tool?.build?.node).toBe(buildOf(tool?.node));
  });

  it('keeps the context of a build whose Dockerfile is not followed; none for a remote context', () => {
    const { byName } = infos('services:\n  a:\n    build:\n      context: .\n      dockerfile: ${DOCKERFILE}\n  b:\n    build:\n      context: ./b\n      dockerfile_inline: |\n        FROM alpine\n  c:\n    build: https://github.com/example/app.git\n');
    expect(byName.get('a')?.build).toMatchObject({ context: '/p', dockerfile: undefined });
    expect(byName.get('b')?.build).toMatchObject({ context: '/p/b', dockerfile: undefined });
    expect(byName.get('c')).toMatchObject({ hasBuild: true, build: undefined });
  });
});
