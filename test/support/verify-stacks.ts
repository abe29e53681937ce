/**
 * Stacks the `harden verify` end-to-end files run under each engine (test/verify/*.e2e.test.ts), with what every
 * engine's report must show for them.
 */
import { expect } from 'vitest';
import type { ProjectReport } from '../../src/verify/verify.js';

/**
 * Two nginx replicas, both on port 80, so verify runs `back` in a second pod. Each healthcheck fetches, by service
 * name, a file only the OTHER one serves: a name that resolved to the prober's own loopback would get a 404.
 */
export const TWO_NGINX: Readonly<Record<string, string>> = {
  'compose.yaml': `services:
  front:
    image: nginx:1.22
    volumes:
      - ./front-html:/usr/share/nginx/html:ro
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://back/back.txt | grep -qx back-ok"]
      interval: 3s
      timeout: 5s
      retries: 10
  back:
    image: nginx:1.22
    volumes:
      - ./back-html:/usr/share/nginx/html:ro
    healthcheck:
      test: ["CMD-SHELL", "curl -fsS http://front/front.txt | grep -qx front-ok"]
      interval: 3s
      timeout: 5s
      retries: 10
`,
  'front-html/front.txt': 'front-ok\n',
  'back-html/back.txt': 'back-ok\n',
};

/** Both healthy as they are and hardened, nothing adjusted or backed off, `back` noted in the second pod. */
export function expectTwoNginxHealthy(p: ProjectReport, text: string): void {
  expect(p.error, text).toBeUndefined();
  for (const name of ['front', 'back']) {
    const s = p.services.find((x) => x.service === name);
    expect(s?.baseline, `${name}\n${text}`).toBe('healthy');
    expect(s?.hardened, `${name}\n${text}`).toBe('healthy');
    expect(s?.ok, `${name}\n${text}`).toBe(true);
    expect(s?.adjusted, name).toEqual([]);
    expect(s?.backedOff, name).toEqual([]);
  }
  expect(p.rounds).toBe(1);
  expect(p.services.find((x) => x.service === 'back')?.notes.join('\n')).toMatch(/network namespace of its own \(hv[0-9a-f]{8}h1-pod2\): it listens on port 80, as front does/);
}
