/** compose-dangerous-options: report options that hand a container (part of) the host. Advice only, no fix. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isScalar, type Node } from 'yaml';
import { lookup, lookupMerged, onceGuard, ownPair, rangeOf, resolveNode, scalarText, services, sharedWhere, stringItems, type Lookup } from '../src/compose/index.js';

interface Risk {
  what: string;
  risk: string;
  instead: string;
}

const HOST_MODES: Record<string, Risk> = {
  pid: { what: '`pid: host`', risk: 'the container sees and can signal (and, as root, ptrace) every process on the host', instead: 'drop it; use `pid: service:<name>` to share with one service, or `docker top` / a sidecar for debugging' },
  ipc: { what: '`ipc: host`', risk: "the container shares the host's System V IPC and /dev/shm with every host process", instead: 'use `ipc: shareable` on one service and `ipc: service:<name>` on the other, or `shm_size` for more shared memory' },
  network_mode: { what: '`network_mode: host`', risk: "the container uses the host's network stack: it can bind any host port and reach services listening on 127.0.0.1", instead: 'use a bridge network with published ports (bound to 127.0.0.1 if local-only)' },
  userns_mode: { what: '`userns_mode: host`', risk: 'it opts out of user-namespace remapping: root in the container is root on the host', instead: 'remove it so the daemon\'s userns-remap applies' },
  uts: { what: '`uts: host`', risk: "the container can change the host's hostname and domain name (with CAP_SYS_ADMIN)", instead: 'set `hostname:` instead' },
  cgroup: { what: '`cgroup: host`', risk: "the container runs in the host's cgroup namespace and sees the host's cgroup hierarchy", instead: 'remove it (the default `private` is enough for almost every workload)' },
};

const HOST_MODE_ENTRIES = Object.entries(HOST_MODES);

const SOCK = /(^|\/)(docker|podman|containerd)\.sock$/;

export const composeDangerousOptions = defineCodemod({
  id: 'compose-dangerous-options',
  fileKinds: ['compose'],
  summary: 'Reports privileged mode, docker.sock mounts, host namespaces, cap_add ALL, unconfined seccomp/AppArmor and root users.',
  safety: 'manual',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['compose-lint:CL-0001', 'compose-lint:CL-0002', 'compose-lint:CL-0010', 'kics:privileged-containers-enabled', 'kics:docker-socket-mounted-in-container', 'kics:host-namespace-is-shared'],
  securitySeverity: 8.0,
  docs: `## What it does
Reports, per service (through anchors, \`<<\` merge keys and same-file \`extends\`), each option that gives the container
(part of) the host, with the specific risk and the usual alternative:
- \`privileged: true\`;
- a Docker/Podman/containerd socket mounted, short (\`/var/run/docker.sock:/var/run/docker.sock\`) or long syntax
  (\`source: /var/run/docker.sock\`);
- host namespaces: \`pid: host\`, \`ipc: host\`, \`network_mode: host\`, \`userns_mode: host\`, \`uts: host\`, \`cgroup: host\`;
- \`cap_add: [ALL]\` (and \`SYS_ADMIN\`, nearly as broad);
- \`security_opt\` \`seccomp:unconfined\`, \`apparmor:unconfined\`, \`label:disable\` (either \`:\` or \`=\`);
- \`user: root\`, \`user: 0\`, \`root:…\`, \`0:…\`.
A value shared through an anchor is reported once (on the first service using it). Values that are only a variable
(\`network_mode: \${NET_MODE}\`) are not judged.

## Why
Each of these removes an isolation layer between the container and the host; a compromised process in such a container
can usually take over the host (a docker.sock mount alone is equivalent to root on the host).

## Example
\`\`\`yaml
services:
  agent:
    image: portainer/agent
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
\`\`\`
is reported: "Service \`agent\` mounts the Docker socket: … root on the host …; use a socket proxy that only allows
the API calls it needs (read-only), or rootless Docker."

## Fix safety
No fix (manual): each option is usually there for a reason, and the alternative depends on what the service does.
Suppress a finding you have reviewed with \`# harden-ignore compose-dangerous-options\`.
`,
  run(ctx) {
    const file = ctx.file;
    const once = onceGuard();
    for (const svc of services(file)) {
      const report = (node: Node | null | undefined, l: Lookup | undefined, r: Risk) => {
        if (!node || !once(node)) return;
        const where = l ? sharedWhere(l) : undefined;
        ctx.report({
          range: rangeOf(node),
          message: `Service \`${svc.name}\` uses ${r.what}${where ? ` (from ${where})` : ''}: ${r.risk}. Instead, ${r.instead}.`,
        });
      };
      const priv = lookup(svc, 'privileged');
      if (priv && isScalar(priv.value) && (priv.value.value === true || priv.value.value === 'true')) {
        report(priv.value, priv, { what: '`privileged: true`', risk: 'it gets every capability, all host devices and no seccomp/AppArmor confinement; escaping to the host is trivial', instead: 'grant only the capabilities (`cap_add`) and devices (`devices:`) it needs' });
      }
      for (const [key, risk] of HOST_MODE_ENTRIES) {
        const l = lookup(svc, key);
        if (l && scalarText(l.value) === 'host') report(l.value, l, risk);
      }
      for (const l of lookupMerged(svc, 'cap_add')) {
        for (const it of stringItems(svc.doc, l.value)) {
          const cap = it.value.toUpperCase().replace(/^CAP_/, '');
          if (cap === 'ALL') report(it.node, l, { what: '`cap_add: ALL`', risk: 'it gets every Linux capability, close to `privileged`', instead: 'add only the capabilities it needs (after `cap_drop: [ALL]`)' });
          else if (cap === 'SYS_ADMIN') report(it.node, l, { what: '`cap_add: SYS_ADMIN`', risk: 'CAP_SYS_ADMIN allows mounts, namespaces and many kernel interfaces: a common container-escape path', instead: 'find the narrower capability or device it needs (e.g. `devices:` for FUSE)' });
        }
      }
      for (const l of lookupMerged(svc, 'security_opt')) {
        for (const it of stringItems(svc.doc, l.value)) {
          const v = it.value.trim().toLowerCase();
          if (/^seccomp[:=]unconfined$/.test(v)) report(it.node, l, { what: '`seccomp:unconfined`', risk: 'the seccomp filter is off, so every syscall (including the ones most kernel exploits use) is allowed', instead: 'keep the default profile or write a custom profile that adds only the syscalls it needs' });
          else if (/^apparmor[:=]unconfined$/.test(v)) report(it.node, l, { what: '`apparmor:unconfined`', risk: 'the AppArmor profile that blocks writes to /proc and /sys and mounts is off', instead: 'keep `docker-default` or load a custom profile' });
          else if (/^label[:=]disable$/.test(v)) report(it.node, l, { what: '`label:disable`', risk: 'SELinux separation is off for this container', instead: 'use a specific `label:type:` or relabel volumes with `:z`/`:Z`' });
        }
      }
      const user = lookup(svc, 'user');
      const u = scalarText(user?.value);
      if (user && u !== undefined && /^(root|0)(:.*)?$/.test(u.trim())) {
        report(user.value, user, { what: `\`user: ${u}\``, risk: 'the main process runs as root, so any escape or writable host mount is root on the host', instead: 'run as an unprivileged user (`user: "1000:1000"`, or a USER in the image) and grant only what needs root' });
      }
      for (const l of lookupMerged(svc, 'volumes')) {
        const vols = resolveNode(svc.doc, l.value);
        if (!vols || !('items' in vols) || isMap(vols)) continue;
        for (const raw of (vols as { items: unknown[] }).items) {
          const v = resolveNode(svc.doc, raw);
          let source: string | undefined;
          if (isScalar(v)) source = scalarText(v)?.split(':')[0];
          else if (isMap(v)) source = scalarText(resolveNode(svc.doc, ownPair(v, 'source')?.value));
          if (source !== undefined && SOCK.test(source.trim())) {
            report(v as Node, l, { what: `a mount of the container runtime socket \`${source}\``, risk: 'whoever can talk to that socket can start a privileged container: it is root on the host, even when mounted read-only', instead: 'use a socket proxy that only allows the API calls it needs, or rootless Docker' });
          }
        }
      }
    }
  },
});
