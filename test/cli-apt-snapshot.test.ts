/** `--apt-snapshot` on the command line: validated, passed to lock-apt-install, and used for the Debian index lookups. */
import { describe, expect, it } from 'vitest';
import { hardenInProcess } from './support/cli.js';
import { tmpTree } from './support/tmp.js';

const DOCKERFILE = 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\n';

describe('harden --apt-snapshot', () => {
  it('rejects a value that is not a snapshot.debian.org timestamp (exit 2, nothing read)', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE });
    const r = await hardenInProcess(['fix', '--apt-snapshot', '2025-06-01'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--apt-snapshot must be a snapshot\.debian\.org timestamp like 20240115T000000Z, not '2025-06-01'/);
  });

  it('fix: points the apt sources at the snapshot; check: the pins are looked up in the same snapshot (offline, so no network)', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE });
    const fixed = await hardenInProcess(['fix', '--offline', '--unsafe', '--only', 'lock-apt-install', '--apt-snapshot', '20250601T000000Z'], { cwd });
    expect(fixed.stdout).toContain(
      `+RUN for f in /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources; do [ ! -f "$f" ] || sed -i -e 's#https\\?://deb.debian.org/debian-security#http://snapshot.debian.org/archive/debian-security/20250601T000000Z#' -e 's#https\\?://deb.debian.org/debian#http://snapshot.debian.org/archive/debian/20250601T000000Z#' "$f"; done && apt-get -o Acquire::Check-Valid-Until=false update`,
    );
    const checked = await hardenInProcess(['check', '--offline', '--only', 'lock-apt-install', '--apt-snapshot', '20250601T000000Z'], { cwd });
    // Nothing cached and --offline: the lookup fails (a finding: exit 1), and its message names the snapshot index it wanted.
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain('offline-miss: https://snapshot.debian.org/archive/debian/20250601T000000Z/dists/bookworm/');
    expect(checked.stdout).toMatch(/apt sources pointed at snapshot\.debian\.org\/20250601T000000Z/);
  });

  it('without the flag, nothing mentions a snapshot', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE });
    const r = await hardenInProcess(['check', '--offline', '--only', 'lock-apt-install'], { cwd });
    expect(r.stdout).not.toContain('snapshot');
  });

  it('aptSnapshot in .harden.yaml works like the flag, and the flag wins', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE, '.harden.yaml': 'aptSnapshot: 20250601T000000Z\n' });
    const fromConfig = await hardenInProcess(['check', '--offline', '--only', 'lock-apt-install'], { cwd });
    expect(fromConfig.stdout).toContain('snapshot.debian.org/archive/debian/20250601T000000Z/dists/bookworm/');
    const flag = await hardenInProcess(['check', '--offline', '--only', 'lock-apt-install', '--apt-snapshot', '20240115T000000Z'], { cwd });
    expect(flag.stdout).toContain('snapshot.debian.org/archive/debian/20240115T000000Z/dists/bookworm/');
    expect(flag.stdout).not.toContain('20250601T000000Z');
  });

  it('a malformed aptSnapshot in the config is a configuration error naming the file', async () => {
    const cwd = tmpTree({ '.git/HEAD': 'x', Dockerfile: DOCKERFILE, '.harden.yaml': 'aptSnapshot: yesterday\n' });
    const r = await hardenInProcess(['check', '--offline'], { cwd });
    expect(r.code).toBe(2);
    // The schema names file:line:col of the bad value and says what a valid one looks like.
    expect(r.stderr).toMatch(/\.harden\.yaml:1:14: 'aptSnapshot' must match pattern .*snapshot\.debian\.org timestamp/);
  });
});
