import { beforeAll, describe, expect, it } from 'vitest';
import { capabilityNeeds, entrypointFile, gatherEvidence, inlineScripts, privilegeGainNeeds, readScript, splitCommand, startedProcess, withoutInit, writesOutside } from '../../src/evidence/index.js';
import { loadShell } from '../../src/shell/index.js';

beforeAll(async () => {
  await loadShell();
});

// The shape of the official postgres image's docker-entrypoint.sh (trimmed): chown/chmod as root, then gosu.
const POSTGRES_LIKE = `#!/usr/bin/env bash
set -Eeo pipefail
docker_create_db_directories() {
	local user; user="$(id -u)"
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ "$user" = '0' ]; then
		find "$PGDATA" \\! -user postgres -exec chown postgres '{}' +
		find /var/run/postgresql \\! -user postgres -exec chown postgres '{}' +
	fi
}
_main() {
	if [ "$(id -u)" = '0' ]; then
		docker_create_db_directories
		exec gosu postgres "$BASH_SOURCE" "$@"
	fi
	exec "$@"
}
_main "$@"
`;

describe('readScript', () => {
  it('finds the privilege drop, ownership changes and writes of a postgres-like entrypoint, with lines', () => {
    const r = readScript(POSTGRES_LIKE);
    if (!('evidence' in r)) throw new Error('not read');
    expect(r.evidence.privilegeDrops).toEqual([{ tool: 'gosu', user: 'postgres', line: 17, text: 'exec gosu postgres "$BASH_SOURCE" "$@"' }]);
    expect(r.evidence.ownership.map((o) => [o.tool, o.line])).toEqual([['chmod', 6], ['chmod', 8], ['chown', 10], ['chown', 11]]);
    expect(r.evidence.writes.map((w) => [w.how, w.path, w.line])).toEqual([['mkdir', undefined, 5], ['mkdir', '/var/run/postgresql', 7]]);
  });

  it('reads su-exec, setpriv, su, s6-setuidgid, chroot --userspec and runuser as privilege drops', () => {
    const r = readScript([
      'exec su-exec redis "$0" "$@"',
      'setpriv --reuid=1000 --regid=1000 --init-groups app',
      'su -s /bin/sh -c "run" www-data',
      's6-setuidgid abc /app/run',
      'chroot --userspec=nobody:nogroup / /bin/true',
      'runuser -u app -- server',
      'su root -c true',
    ].join('\n'));
    if (!('evidence' in r)) throw new Error('not read');
    expect(r.evidence.privilegeDrops.map((d) => [d.tool, d.user])).toEqual([
      ['su-exec', 'redis'], ['setpriv', '1000'], ['su', 'www-data'], ['s6-setuidgid', 'abc'], ['chroot', 'nobody:nogroup'], ['runuser', 'app'],
    ]);
  });

  it('finds writes outside volumes: redirections, sed -i, envsubst > …, cp into /etc, tee, $HOME paths; ignores /dev', () => {
    const r = readScript([
      'envsubst < /tmpl/default.conf > /etc/nginx/conf.d/default.conf',
      'sed -i "s/a/b/" /etc/app/config.ini',
      'cp /defaults/app.conf /etc/app/',
      'echo ok | tee -a /var/log/app/start.log',
      'echo x >> "$HOME/.config/app.rc"',
      'echo x > /dev/stderr',
      'echo x 2>&1',
      'printf "%s" "$CFG" > "/etc/app/$NAME.json"',
    ].join('\n'));
    if (!('evidence' in r)) throw new Error('not read');
    expect(r.evidence.writes.map((w) => [w.how, w.path])).toEqual([
      ['>', '/etc/nginx/conf.d/default.conf'], ['sed -i', '/etc/app/config.ini'], ['cp', '/etc/app/'], ['tee', '/var/log/app/start.log'],
      ['>>', '$HOME/.config/app.rc'], ['>', '/etc/app/'],
    ]);
  });

  it('says why a binary or broken script cannot be read', () => {
    expect(readScript('\u007fELF\u0002\u0001')).toEqual({ unreadable: 'it is a binary, not a script' });
    expect(readScript('if then fi (')).toEqual({ unreadable: 'it could not be parsed as a shell script' });
  });
});

describe('process', () => {
  it('applies compose/docker override rules: entrypoint drops the image Cmd, command replaces it', () => {
    const cfg = { entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'] };
    expect(startedProcess(cfg).argv).toEqual(['docker-entrypoint.sh', 'postgres']);
    expect(startedProcess(cfg, { command: ['postgres', '-c', 'x=1'] }).argv).toEqual(['docker-entrypoint.sh', 'postgres', '-c', 'x=1']);
    expect(startedProcess(cfg, { entrypoint: ['/bin/sh'] })).toEqual({ argv: ['/bin/sh'], entrypointFrom: 'override', cmdFrom: 'none' });
  });

  it('finds the entrypoint file through init wrappers, shells and the image PATH', () => {
    const cfg = { env: ['PATH=/usr/local/bin:/usr/bin'], workingDir: '/app' };
    expect(entrypointFile(['tini', '-g', '--', 'docker-entrypoint.sh', 'x'], cfg)).toEqual({ name: 'docker-entrypoint.sh', paths: ['/usr/local/bin/docker-entrypoint.sh', '/usr/bin/docker-entrypoint.sh'] });
    expect(entrypointFile(['/docker-entrypoint.sh'], cfg)?.paths).toEqual(['/docker-entrypoint.sh']);
    expect(entrypointFile(['sh', './start.sh'], cfg)?.paths).toEqual(['/app/start.sh']);
    expect(entrypointFile(['sh', '-c', 'x'], cfg)).toBeUndefined();
    expect(entrypointFile(['$CMD'], cfg)).toBeUndefined();
    expect(withoutInit(['dumb-init', '--', 'a'])).toEqual(['a']);
    expect(inlineScripts(['gosu', 'app', 'sh', '-ec', 'echo hi > /etc/x'])).toEqual(['echo hi > /etc/x']);
  });

  it('splits compose string commands like shlex', () => {
    expect(splitCommand(`sh -c "envsubst < a > /etc/b && exec nginx -g 'daemon off;'"`)).toEqual(['sh', '-c', "envsubst < a > /etc/b && exec nginx -g 'daemon off;'"]);
    expect(splitCommand(`a 'b c' d\\ e ""`)).toEqual(['a', 'b c', 'd e', '']);
    expect(splitCommand(`a "b`)).toBeUndefined();
  });
});

describe('gatherEvidence / capabilityNeeds', () => {
  const config = { config: { user: '', entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'], exposedPorts: ['5432/tcp'] }, describe: 'the image config' };

  it('derives the user-switching capabilities from an entrypoint read from the layers, citing lines', () => {
    const ev = gatherEvidence({ config, entrypointFile: { path: '/usr/local/bin/docker-entrypoint.sh', content: POSTGRES_LIKE } });
    expect(ev.entrypointRead).toBe(true);
    const n = capabilityNeeds(ev);
    expect(n.decided).toBe(true);
    expect(n.caps).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
    expect(n.because.join('\n')).toContain('SETGID, SETUID: it switches user with gosu (the entrypoint /usr/local/bin/docker-entrypoint.sh, line 17: `exec gosu postgres');
  });

  it('is undecided for root without a privilege drop, and when the entrypoint is a binary or was not looked up', () => {
    const plain = gatherEvidence({ config, entrypointFile: { path: '/usr/local/bin/docker-entrypoint.sh', content: '#!/bin/sh\nexec "$@"\n' } });
    expect(capabilityNeeds(plain)).toMatchObject({ decided: false });
    expect(capabilityNeeds(plain).check).toContain('does not drop privileges');
    const bin = gatherEvidence({ config, entrypointFile: { path: '/usr/local/bin/docker-entrypoint.sh', content: '\u007fELF…' } });
    expect(bin.binary).toBe('/usr/local/bin/docker-entrypoint.sh');
    expect(capabilityNeeds(bin).check).toContain('its entrypoint was not read');
    expect(capabilityNeeds(gatherEvidence({ config })).check).toContain('docker-entrypoint.sh: not looked up');
  });

  it('needs nothing for a non-root user (the service user wins over the image config), NET_BIND_SERVICE for low ports as root', () => {
    const ev = gatherEvidence({ config, user: { value: '999:999', describe: "the service's `user:`" } });
    expect(capabilityNeeds(ev)).toMatchObject({ decided: true, caps: [] });
    expect(capabilityNeeds(gatherEvidence({ config, user: { value: '${UID}', describe: 'user' } })).decided).toBe(false);
    const web = gatherEvidence({
      config: { config: { user: '', exposedPorts: ['80/tcp'] }, describe: 'cfg' },
      overrides: { command: ['sh', '-c', 'chown -R app /srv && exec su-exec app server'], commandDescribe: "the service's `command:`" },
    });
    expect(capabilityNeeds(web).caps).toEqual(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'NET_BIND_SERVICE', 'SETGID', 'SETUID']);
    expect(capabilityNeeds(web).because.join('\n')).toContain("the `sh -c` script of the service's `command:`");
  });

  it('lists the writes a read-only root breaks', () => {
    const ev = gatherEvidence({ config, overrides: { command: ['sh', '-c', 'echo x > /etc/app.conf; echo y > /data/x; echo z > "$HOME/.rc"'] } });
    expect(writesOutside(ev.writes, (p) => p.startsWith('/data')).map((w) => w.fact.path)).toEqual(['/etc/app.conf', '$HOME/.rc']);
  });
});

describe('privilegeGainNeeds (no-new-privileges)', () => {
  const root = { config: { user: '' }, describe: 'cfg' };
  it('is safe for an image the knowledge base describes, and for a verified run; not for a runtime or an unknown image', () => {
    const ev = gatherEvidence({ config: root, overrides: { command: ['sh', '-c', 'exec gosu postgres postgres'] } });
    expect(privilegeGainNeeds(ev, { kb: { name: 'postgres', runsAsRoot: true } })).toMatchObject({ none: true });
    expect(privilegeGainNeeds(ev, { kb: { name: 'node', runsAsRoot: true, appDependent: true } })).toMatchObject({ none: false });
    expect(privilegeGainNeeds(ev, { unknown: '`x:1` is not in the knowledge base' }).because).toContain('`x:1` is not in the knowledge base');
    expect(privilegeGainNeeds(ev, { unknown: 'unknown', verified: 'verified by a run' })).toEqual({ none: true, because: 'verified by a run' });
  });

  it('cites sudo, su or ping run by a non-root user, not by root', () => {
    const asUser = gatherEvidence({ user: { value: '1000', describe: "the service's `user:`" }, overrides: { command: ['sh', '-c', 'ping -c1 db && exec app'], commandDescribe: "the service's `command:`" } });
    const n = privilegeGainNeeds(asUser, { kb: { name: 'redis', runsAsRoot: true } });
    expect(n.none).toBe(false);
    expect(n.because).toContain("line 1: `ping -c1 db` runs ping as user `1000`");
    expect(n.check).toContain('`no-new-privileges:false`');
    const asRoot = gatherEvidence({ config: root, overrides: { command: ['sh', '-c', 'su -c "app" app'] } });
    expect(privilegeGainNeeds(asRoot, { kb: { name: 'redis', runsAsRoot: true } }).none).toBe(true);
  });

  it('is unsafe for an entry whose program gains a file capability, when it does not run as root', () => {
    const kb = { name: 'caddy', runsAsRoot: true, privilegeGain: 'the caddy binary carries a file capability' };
    expect(privilegeGainNeeds(gatherEvidence({}), kb.runsAsRoot ? { kb } : {}).none).toBe(true);
    const n = privilegeGainNeeds(gatherEvidence({ user: { value: '1000', describe: 'user' } }), { kb, optOut: '`allowPrivilegeEscalation: true`' });
    expect(n).toMatchObject({ none: false });
    expect(n.check).toContain('`allowPrivilegeEscalation: true`');
  });
});
