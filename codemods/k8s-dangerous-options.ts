/** k8s-dangerous-options: report pod and container settings that hand the node to the workload (manual). */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { isMap, isSeq } from 'yaml';
import type { Range } from '../src/engine/types.js';
import { rangeOf, scalarText } from '../src/compose/scalars.js';
import { resolveNode } from '../src/compose/services.js';
import { boolValue, get, pairOf, stringList, workloads } from '../src/kubernetes/workloads.js';

/** Host paths of container engine sockets (and the directories holding them). */
const SOCKET = /^\/(?:var\/)?run(?:\/(?:docker|containerd\/containerd|crio\/crio|podman\/podman|k3s\/containerd\/containerd)\.sock|\/docker|\/containerd|\/crio)?\/?$|\.sock$/;
const DANGEROUS_CAPS = new Set(['ALL', 'SYS_ADMIN', 'NET_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'DAC_READ_SEARCH', 'BPF', 'PERFMON', 'SYS_RAWIO']);

export const k8sDangerousOptions = defineCodemod({
  id: 'k8s-dangerous-options',
  fileKinds: ['kubernetes'],
  summary: 'Reports privileged containers, container-engine sockets and the host root mounted with hostPath, host namespaces, and dangerous added capabilities.',
  safety: 'manual',
  roles: PRODUCTION_ONLY,
  severity: 'error',
  sources: ['kube-linter:privileged-container', 'kube-linter:docker-sock', 'kube-linter:host-network', 'kube-linter:host-pid', 'kube-linter:host-ipc', 'polaris:hostPathSet', 'kics:docker-daemon-socket-is-exposed-to-containers'],
  docs: `## What it does
Reports, for each Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob and Pod:
- \`privileged: true\` on a container (every device, every capability, no seccomp or AppArmor confinement);
- \`hostPath\` volumes of a container engine's socket (\`/var/run/docker.sock\`, containerd's, CRI-O's, podman's, any
  \`*.sock\`) or of \`/\`, \`/run\`, \`/var/run\`: whoever controls the container controls the node;
- \`hostNetwork\`, \`hostPID\`, \`hostIPC: true\` on the pod;
- \`allowPrivilegeEscalation: true\` and added capabilities that amount to root on the node (ALL, SYS_ADMIN, NET_ADMIN,
  SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, BPF, PERFMON, SYS_RAWIO).

Nothing is changed: these are set on purpose for node agents (log shippers, CNI plugins, CI runners), and removing
them breaks exactly those. The finding says what the setting gives away; suppress it with a
\`# harden-ignore k8s-dangerous-options\` comment above the line once you have decided it is needed.

## Why
Each of these lets a compromised container escape to the node (seed 001's CI example mounts
\`/var/run/docker.sock\` into a scanner). kube-linter, Polaris and KICS report the same settings.

## Example
\`\`\`yaml
      volumes:
        - name: docker
          hostPath:
            path: /var/run/docker.sock   # reported: the container controls the node's Docker daemon
\`\`\`

## Fix safety
Manual: never changed automatically.
`,
  run(ctx) {
    const file = ctx.file;
    for (const w of workloads(file)) {
      const doc = w.doc;
      const at = (node: unknown): Range => rangeOf(node as { range?: [number, number, number] });
      for (const ns of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
        const p = pairOf(w.podSpec, ns);
        if (p && boolValue(resolveNode(doc, p.value)) === true) {
          const what = { hostNetwork: "the node's network stack (its interfaces, localhost services, and any port)", hostPID: "the node's processes (it can see and signal them, and read their environment through /proc)", hostIPC: "the node's shared memory and IPC objects" }[ns];
          ctx.report({ range: at(p.key), message: `${w.label}: \`${ns}: true\` shares ${what} with the pod; remove it unless this is a node agent that needs it.` });
        }
      }
      const volumes = get(doc, w.podSpec, 'volumes');
      if (isSeq(volumes)) {
        for (const it of volumes.items) {
          const v = resolveNode(doc, it);
          const hp = get(doc, v, 'hostPath');
          const pathNode = get(doc, hp, 'path');
          const path = scalarText(pathNode);
          if (path === undefined) continue;
          const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
          if (p === '/' || SOCKET.test(p)) {
            ctx.report({
              range: at(pathNode),
              message: `${w.label}: volume \`${scalarText(get(doc, v, 'name')) ?? ''}\` mounts ${p === '/' ? "the node's root filesystem" : `the host path ${p}, a container engine's socket (or its directory)`}: whoever controls this container controls the node. Use a narrower API (a scoped service account, a rootless build tool) or isolate it on dedicated nodes.`,
            });
          }
        }
      }
      for (const c of w.containers) {
        const sc = get(doc, c.node, 'securityContext');
        if (!isMap(sc)) continue;
        const priv = pairOf(sc, 'privileged');
        const who = `${w.label} container \`${c.name}\``;
        if (priv && boolValue(resolveNode(doc, priv.value)) === true) {
          ctx.report({ range: at(priv.key), message: `${who}: \`privileged: true\` gives it every device and capability of the node without confinement; grant the few capabilities it needs instead.` });
        }
        const ape = pairOf(sc, 'allowPrivilegeEscalation');
        if (ape && boolValue(resolveNode(doc, ape.value)) === true && !(priv && boolValue(resolveNode(doc, priv.value)) === true)) {
          ctx.report({ range: at(ape.key), severity: 'warning', message: `${who}: \`allowPrivilegeEscalation: true\` lets setuid binaries and file capabilities raise its privileges; set it to false unless a setuid program it runs needs it.` });
        }
        const addNode = get(doc, get(doc, sc, 'capabilities'), 'add');
        const bad = stringList(doc, addNode).map((x) => x.toUpperCase().replace(/^CAP_/, '')).filter((x) => DANGEROUS_CAPS.has(x));
        if (bad.length) ctx.report({ range: at(addNode), message: `${who}: adds ${bad.join(', ')}, which ${bad.length > 1 ? 'amount' : 'amounts'} to root on the node for most escapes; keep only what it provably needs.` });
      }
    }
  },
});
