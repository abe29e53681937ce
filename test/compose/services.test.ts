import { describe, expect, it } from 'vitest';
import { isMap } from 'yaml';
import { parseCompose } from '../../src/engine/parse.js';
import { lookup, services } from '../../src/compose/services.js';
import { scalarText } from '../../src/compose/scalars.js';

const imageOf = (text: string): Record<string, string | undefined> =>
  Object.fromEntries(services(parseCompose('compose.yaml', undefined, text)).map((s) => [s.name, scalarText(lookup(s, 'image')?.value)]));

describe('services()', () => {
  it('reads a `<<:` merge key under services: as YAML does (merged services, own keys win), not as a service', () => {
    const text = [
      'x-shared: &shared',
      '  cache:',
      '    image: redis:7',
      '  web:',
      '    image: nginx:1.27',
      'x-more: &more',
      '  worker:',
      '    image: busybox',
      'services:',
      '  <<: [*shared, *more]',
      '  web:',
      '    image: nginx:1.27-alpine',
      '  api:',
      '    image: node:22',
      '',
    ].join('\n');
    expect(imageOf(text)).toEqual({ web: 'nginx:1.27-alpine', api: 'node:22', cache: 'redis:7', worker: 'busybox' });
    const names = services(parseCompose('compose.yaml', undefined, text)).map((s) => s.name);
    expect(names).toEqual(['web', 'api', 'cache', 'worker']);
    expect(names).not.toContain('<<');
  });

  it('a merged service edits the anchor it lives in', () => {
    const text = 'x-s: &s\n  cache:\n    image: redis:7\nservices:\n  <<: *s\n';
    const [cache] = services(parseCompose('compose.yaml', undefined, text));
    expect(cache?.name).toBe('cache');
    expect(isMap(cache?.node)).toBe(true);
    expect(cache?.keyNode.range?.[0]).toBe(text.indexOf('cache'));
  });
});
