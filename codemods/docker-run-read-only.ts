/** docker-run-read-only: `--read-only` with `--tmpfs` for the paths the container writes, from evidence. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import { canInsert, flagsNamed, insertFlags, prepareShell, readOnlyPlan, runLabel, runLookups, runNeeds, runRange, runsOf } from '../src/dockerrun/index.js';
import { knowledgeBaseTable } from '../src/compose/image-kb.js';

export const dockerRunReadOnly = defineCodemod({
  id: 'docker-run-read-only',
  fileKinds: ['shell'],
  summary: '`docker run` lines get `--read-only` with a `--tmpfs` for each path the container writes, when the knowledge base or the image says which.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:000', 'seed:003'],
  docs: `## What it does
For each \`docker run\` / \`podman run\` line without \`--read-only\`, adds \`--read-only\` and a \`--tmpfs <path>\` for each
path the container writes that no \`-v\`/\`--volume\`, \`--mount\` or \`--tmpfs\` of the line (nor a VOLUME of the image)
makes writable, before the image and in the line's continuation style. The paths come from evidence, as for
compose-read-only:
- images in the knowledge base below: \`/tmp\`, \`/run\` and the paths the image is known to write;
- the entrypoint script read from the image's layers (the image config from the registry says which): its writes to
  scratch directories (\`/tmp\`, \`/run\`, \`/var/cache/…\`, \`/var/log/…\`) become tmpfs; a write anywhere else makes it
  a finding asking for a volume there, not a fix;
- an image built by a \`docker build -t <name> [-f Dockerfile] <context>\` line of the same file (script, Makefile or
  Markdown file; paths relative to that file): when its Dockerfile runs it as a non-root user it creates (or a
  numeric uid) and gives that user no files (no \`chown\`, \`COPY --chown\`, \`chmod\`, home directory, \`WORKDIR\` after
  \`USER\`), that user can only write world-writable directories: \`/tmp\` becomes a tmpfs.
Otherwise (an image harden cannot identify, an application image of a runtime such as python or node whose writes
depend on the application, a built image running as root) it is a **manual** finding saying what to check. Images
whose state is not in a volume (grafana's \`/var/lib/grafana\`) are asked for a volume first; images known not to work
read-only are reported with the reason. A line that already has \`--read-only\` gets the missing tmpfs paths only.

### Knowledge base

${knowledgeBaseTable(['writable'])}

## Why
A read-only root filesystem stops a compromised process from replacing binaries, planting files or editing
configuration: seed 000 asks for "container runtime hardening (read-only rootfs, dropped capabilities)" for its
\`docker run\`. A bare \`--read-only\` makes most images fail at start-up; the tmpfs paths keep them running.

## Example
\`\`\`sh
docker run -d -p 127.0.0.1:8080:80 nginx:1.27
\`\`\`
becomes
\`\`\`sh
docker run -d -p 127.0.0.1:8080:80 --read-only --tmpfs /run --tmpfs /tmp --tmpfs /var/cache/nginx nginx:1.27
\`\`\`

## Fix safety
Unsafe: a program that writes somewhere else fails with "Read-only file system" until a volume or tmpfs is mounted
there, and tmpfs content is lost when the container stops. Review the paths.
`,
  prepare: prepareShell,
  lookups(file, _options, global, answers) {
    return runLookups(file, undefined, global, answers);
  },
  run(ctx) {
    for (const run of runsOf(ctx)) {
      if (flagsNamed(run, 'privileged').length) continue;
      const already = flagsNamed(run, 'read-only').length > 0;
      const n = runNeeds(run, ctx.project, ctx.global, ctx.answers);
      const plan = readOnlyPlan(n);
      const label = runLabel(run);
      const range = runRange(run);
      if ('never' in plan) {
        if (!already) ctx.report({ range, severity: 'info', message: `${label} is not made read-only: ${plan.never}.` });
        continue;
      }
      if ('manual' in plan) {
        if (!already) ctx.report({ range, message: `${label} runs with a writable root filesystem; ${plan.manual}.` });
        continue;
      }
      if (already && plan.tmpfs.length === 0) continue;
      const flags = [...(already ? [] : ['--read-only']), ...plan.tmpfs.map((p) => `--tmpfs ${p}`)];
      if (!canInsert(run, flags)) continue;
      const paths = plan.tmpfs.join(', ');
      const from = plan.because.length ? ` (${plan.because.join('; ')})` : '';
      const message = already
        ? `${label} is read-only but writes to ${paths}: added as tmpfs${from}.`
        : `${label} runs with a writable root filesystem: added \`--read-only\`${plan.tmpfs.length ? ` with tmpfs at ${paths}` : ''}, so a compromised process cannot alter its binaries or plant files${from}.`;
      ctx.report({ range, message, fix: fix('Make the root filesystem read-only, with tmpfs for the paths it writes', 'unsafe', [insertFlags(run, flags)]) });
    }
  },
});
