/** docker-run-dangerous-options: report `--privileged`, the docker socket, host namespaces and unconfined profiles. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fileRange, prepareShell, runLabel, runsOf } from '../src/dockerrun/index.js';

const SOCKET = /^\/(?:var\/)?run\/(?:docker|podman\/podman|containerd\/containerd)\.sock$|^\/run\/user\/\d+\/(?:docker|podman\/podman)\.sock$/;

export const dockerRunDangerousOptions = defineCodemod({
  id: 'docker-run-dangerous-options',
  fileKinds: ['shell'],
  summary: 'Reports `--privileged`, docker.sock mounts, host namespaces (`--net=host`, `--pid=host`…), `--cap-add ALL` and unconfined profiles on `docker run` lines.',
  safety: 'manual',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:000', 'kics:docker-socket-mounted'],
  docs: `## What it does
Reports, on \`docker run\` / \`podman run\` lines of scripts, Makefiles, Markdown and CI workflows:
- \`--privileged\`: every capability, every device, no seccomp or AppArmor profile;
- a bind mount of the container engine's socket (\`-v /var/run/docker.sock:…\`, \`--mount …,source=/run/docker.sock\`,
  podman's and containerd's sockets): whoever controls the container controls the host;
- host namespaces: \`--net\`/\`--network host\`, \`--pid host\`, \`--ipc host\`, \`--uts host\`, \`--userns host\`;
- \`--cap-add ALL\` and \`--cap-add SYS_ADMIN\`;
- \`--security-opt seccomp=unconfined\` / \`apparmor=unconfined\` / \`label=disable\`.
Nothing is changed: each of these is usually there on purpose, and what replaces it depends on why.

## Why
Each one removes an isolation boundary between the container and the host, the same list compose-dangerous-options
reports for compose services.

## Example
\`\`\`sh
docker run -v /var/run/docker.sock:/var/run/docker.sock --net=host ci-agent:1
\`\`\`
is reported twice: the socket mount (use a socket proxy that allows only the API calls needed) and the host network.

## Fix safety
Manual: reported with advice only.
`,
  prepare: prepareShell,
  run(ctx) {
    for (const run of runsOf(ctx)) {
      const label = runLabel(run);
      for (const f of run.flags) {
        const range = fileRange(run.snippet, f.range);
        const v = f.value?.text ?? '';
        const say = (message: string) => ctx.report({ range, message: `${label}: ${message}` });
        if (f.name === 'privileged') say('`--privileged` gives the container every capability and device, without seccomp or AppArmor: it is root on the host. Grant only the capabilities (`--cap-add`) and devices (`--device`) it needs.');
        else if (f.name === 'volume' || f.name === 'mount') {
          const src = f.name === 'volume' ? v.split(':')[0] ?? '' : /(?:^|,)(?:source|src)=([^,]+)/.exec(v)?.[1] ?? '';
          if (SOCKET.test(src)) say(`mounts the container engine's socket (${src}): anything in the container can start a privileged container and take the host. Keep it out, or use a socket proxy that allows only the API calls needed.`);
        } else if (['network', 'net', 'pid', 'ipc', 'uts', 'userns'].includes(f.name) && v === 'host') {
          const what: Record<string, string> = {
            network: 'the host\'s network stack (every host port and interface, no network isolation)', net: 'the host\'s network stack (every host port and interface, no network isolation)',
            pid: 'the host\'s processes (it can see and signal them)', ipc: 'the host\'s shared memory', uts: 'the host\'s hostname', userns: 'the host\'s user namespace (no user remapping)',
          };
          const instead = f.name === 'network' || f.name === 'net' ? 'publish the ports it needs instead (`-p 127.0.0.1:…`)' : 'drop the flag unless sharing it is the point of the container';
          say(`\`${f.spelled} host\` shares ${what[f.name] ?? 'a host namespace'}; ${instead}.`);
        } else if (f.name === 'cap-add' && /^(?:CAP_)?(?:ALL|SYS_ADMIN)$/i.test(v)) say(`\`--cap-add ${v}\` is nearly root on the host; add the specific capabilities it needs instead.`);
        else if (f.name === 'security-opt' && /^(?:seccomp|apparmor)[:=]unconfined$|^label[:=]disable$/.test(v)) say(`\`--security-opt ${v}\` turns off a kernel security profile; keep the default profile, or write one that allows what it needs.`);
      }
    }
  },
});
