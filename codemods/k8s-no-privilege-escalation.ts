/**
 * k8s-no-privilege-escalation: `allowPrivilegeEscalation: false` for every container, and `runAsNonRoot: true` with the
 * uid the image already runs as (see src/kubernetes/security.ts).
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { loadShell } from '../src/shell/index.js';
import { containerLookups } from '../src/kubernetes/evidence.js';
import { runSecurityContext } from '../src/kubernetes/security.js';

export const k8sNoPrivilegeEscalation = defineCodemod({
  id: 'k8s-no-privilege-escalation',
  fileKinds: ['kubernetes'],
  summary: 'Adds `allowPrivilegeEscalation: false` to containers, and `runAsNonRoot: true` with `runAsUser` when the image already runs as a non-root uid.',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:001', 'kube-linter:privilege-escalation-container', 'kube-linter:run-as-non-root', 'polaris:privilegeEscalationAllowed', 'polaris:runAsRootAllowed'],
  docs: `## What it does
For each container and init container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod, adds to
its \`securityContext\` (created when missing; keys already there are never changed):

- \`allowPrivilegeEscalation: false\`, unless the container is \`privileged\` or adds \`SYS_ADMIN\` (Kubernetes rejects
  that combination; \`k8s-dangerous-options\` reports those): safe for images of the knowledge base, unsafe otherwise
  (see Fix safety).
- \`runAsNonRoot: true\` and \`runAsUser: <uid>\` when the image already runs as a non-root user: the image config's numeric
  \`User\` (\`1001\`, \`472:0\`), or a user name (\`nobody\`) looked up in the image's own \`/etc/passwd\`, read from its layers
  (the kubelet refuses \`runAsNonRoot\` with a user name it cannot check). Nothing is added when the pod or the container
  already sets \`runAsUser\` or \`runAsNonRoot\`. An image that runs as root (or whose config cannot be read) gets an info
  finding saying what to check: many official images start as root and switch user in their entrypoint (the finding
  cites the line), and need their data directories writable by the uid (\`fsGroup\`) to run as it directly.

Ephemeral containers are left alone. Manifests listed as patches of a \`kustomization.yaml\` of the same run are skipped.

## Why
Seed 001's audit asks for \`runAsNonRoot: true\`, \`runAsUser: 1001\` and \`allowPrivilegeEscalation: false\` on
Kubernetes; kube-linter and Polaris report both gaps. Without \`allowPrivilegeEscalation: false\` a process can gain
privileges through setuid binaries or file capabilities (\`no_new_privs\` stops that); \`runAsNonRoot\` makes the kubelet
refuse to start the container if a later image runs as root.

## Example
\`\`\`yaml
      containers:
        - name: orchestrator
          image: example/orchestrator:1.0.0     # image config: User 1001
\`\`\`
becomes
\`\`\`yaml
      containers:
        - name: orchestrator
          image: example/orchestrator:1.0.0
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            runAsUser: 1001
\`\`\`

## Fix safety
\`runAsNonRoot\`/\`runAsUser\` are safe: they name the uid the image already runs as, so nothing changes at run time;
they only make the kubelet refuse a future image that runs as root.

\`allowPrivilegeEscalation: false\` (the kernel's \`no_new_privs\`, compose's \`no-new-privileges\`) is safe only where
harden has evidence that nothing in the container gains privileges on exec, and a fix of its own, unsafe, otherwise
(so a safe run still gets the non-root user). It does not stop a process from giving privileges up: a root entrypoint
switching user with gosu, su-exec or setpriv uses the capabilities it has, and a process that stays root needs nothing
more. What stops working is a non-root process relying on a setuid bit or file capability: \`sudo\`, \`su\`, \`ping\`
with \`cap_net_raw\` file capabilities, \`fusermount\`, a browser's setuid sandbox. The evidence rules are
compose-no-new-privileges': safe for an image of the knowledge base (an image, not a runtime that runs any application;
caddy, whose binary carries a file capability, only while it runs as root), unsafe for other images and when the
container's \`command\`/\`args\` or the image's entrypoint script (read from its layers) runs sudo, su or ping as a
non-root user; the message cites the evidence and says what to check. Set \`allowPrivilegeEscalation: true\` for a
container that needs it, and this codemod leaves it alone.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    return containerLookups(file, global, answers);
  },
  run(ctx) {
    runSecurityContext(ctx, 'safe');
  },
});
