/**
 * k8s-security-context: the capabilities, read-only root filesystem (with emptyDir volumes) and seccomp profile a
 * workload can run with, from evidence (see src/kubernetes/security.ts).
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { loadShell } from '../src/shell/index.js';
import { knowledgeBaseTable } from '../src/compose/image-kb.js';
import { containerLookups } from '../src/kubernetes/evidence.js';
import { runSecurityContext } from '../src/kubernetes/security.js';

export const k8sSecurityContext = defineCodemod({
  id: 'k8s-security-context',
  fileKinds: ['kubernetes'],
  summary: 'Adds the `securityContext` a workload can run with: `capabilities.drop: [ALL]` + the adds it needs, `readOnlyRootFilesystem` with emptyDir volumes, seccomp RuntimeDefault.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:001', 'kube-linter:no-read-only-root-fs', 'polaris:dangerousCapabilities', 'polaris:notReadOnlyRootFilesystem', 'kics:seccomp-profile-is-not-configured'],
  defaultOptions: { images: {} },
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      images: {
        type: 'object',
        description:
          'A project\'s own knowledge-base entries, by repository (or repository:tag), for images harden cannot know: `{ "registry.example/app": { "writable": ["/app/logs", "/app/data"], "capAdd": [] } }`. An entry counts as the evidence for the read-only root (its `writable` paths get emptyDir volumes unless a volume is mounted there) and, with `capAdd`, for the capabilities.',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            writable: { type: 'array', items: { type: 'string', pattern: '^/' }, description: 'Absolute paths the application writes (emptyDir volumes under a read-only root).' },
            capAdd: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Capabilities it needs after dropping ALL.' },
          },
        },
      },
    },
  },
  docs: `## What it does
For each container and init container of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or Pod, adds
to its \`securityContext\` (created when missing, existing keys never changed) what the evidence says it can run with,
and names that evidence in each finding (\`k8s-no-privilege-escalation\` adds the safe part: \`allowPrivilegeEscalation\`
and the non-root user):

- \`capabilities: {drop: [ALL], add: […]}\` (unsafe), with the capabilities the entrypoint needs: read from the entrypoint
  script in the image's layers (a user switch with gosu/su-exec/setpriv: SETUID, SETGID; chown: CHOWN, DAC_OVERRIDE,
  FOWNER; a containerPort below 1024: NET_BIND_SERVICE), and the knowledge base's list for official images. A
  non-root image needs none. No evidence (an application image the knowledge base does not know, whose user and
  entrypoint cannot be read): a finding saying what to check, no fix.
- \`readOnlyRootFilesystem: true\` (unsafe) with an \`emptyDir\` volume and a \`volumeMount\` for each path the image
  writes that no volume covers: \`/tmp\`, the image's VOLUMEs (image config, else knowledge base), the scratch paths of the
  knowledge base (nginx's \`/var/cache/nginx\`, …), and scratch directories the entrypoint writes. Only for images the
  knowledge base knows (not the runtime images, which run any application) or that the \`images\` option describes;
  otherwise a finding. State outside a volume (grafana's \`/var/lib/grafana\`) or writes outside scratch directories
  (\`/etc/…\`) are reported: an emptyDir there would lose data or hide image content.
- On the pod: \`seccompProfile: {type: RuntimeDefault}\` (unsafe) when neither the pod nor a container sets one.

Ephemeral containers are left alone (they are added through the API for debugging). Manifests listed as patches of a
\`kustomization.yaml\` of the same run are partial and are skipped.

### Knowledge base

${knowledgeBaseTable(['writable', 'capAdd'])}

## Why
Seed 001's audit asks for exactly this block on Kubernetes (\`runAsNonRoot\`, \`runAsUser: 1001\`,
\`readOnlyRootFilesystem\`, \`allowPrivilegeEscalation: false\`, \`capabilities.drop: [ALL]\`). Polaris and kube-linter
report these gaps, and Polaris can add a fixed block, but a bare \`readOnlyRootFilesystem\` or \`drop: [ALL]\` makes
most images crash at start-up: the emptyDir volumes and the added-back capabilities come from what the image does.

## Example
\`\`\`yaml
      containers:
        - name: web
          image: nginx:1.25
\`\`\`
becomes (with \`--unsafe\`)
\`\`\`yaml
      containers:
        - name: web
          image: nginx:1.25
          securityContext:
            capabilities:
              drop:
                - ALL
              add:
                - CHOWN
                - NET_BIND_SERVICE
                - SETGID
                - SETUID
            readOnlyRootFilesystem: true
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: var-cache-nginx
              mountPath: /var/cache/nginx
            - name: var-run
              mountPath: /var/run
      volumes:
        - name: tmp
          emptyDir: {}
        …
      securityContext:
        seccompProfile:
          type: RuntimeDefault
\`\`\`

## Fix safety
Unsafe: an application that does something the evidence does not show
  (writes to another path, binds a low port from its own configuration, uses an unusual syscall) fails until you add
  a volume, a capability or a profile. tmpfs-like emptyDir volumes are empty at start and lost with the pod.
`,
  async prepare() {
    await loadShell();
  },
  lookups(file, _options, global, answers) {
    return containerLookups(file, global, answers);
  },
  run(ctx) {
    runSecurityContext(ctx, 'unsafe');
  },
});
