/** docker-run-no-new-privileges: `--security-opt no-new-privileges` on `docker run` / `podman run` lines. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import { canInsert, flagsNamed, insertFlags, prepareShell, runLabel, runRange, runsOf } from '../src/dockerrun/index.js';

const NNP = /^no-new-privileges(?:[:=](.*))?$/;

export const dockerRunNoNewPrivileges = defineCodemod({
  id: 'docker-run-no-new-privileges',
  fileKinds: ['shell'],
  summary: '`docker run` / `podman run` lines get `--security-opt no-new-privileges` (before the image, in the line\'s style).',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:000', 'seed:003'],
  docs: `## What it does
Adds \`--security-opt no-new-privileges\` to every \`docker run\`, \`docker container run\` and \`podman run\` line of
shell scripts, Makefile recipes, Markdown code blocks and CI workflow steps that has no \`no-new-privileges\` security
option. The flag goes right before the image: on the same line for a one-line command, on a line of its own (with the
image line's indentation and a \`\\\` continuation) when the command is already continued over several lines.
\`no-new-privileges:false\` is a deliberate choice and left alone; \`--privileged\` lines are left to
docker-run-dangerous-options.

## Why
With no-new-privileges the kernel refuses to grant more privileges on \`execve\`: setuid binaries and file
capabilities inside the container cannot be used to escalate (\`sudo\`, \`su\`, a planted setuid shell). It is the
\`docker run\` form of compose-no-new-privileges.

## Example
\`\`\`sh
docker run --rm \\
  -e MODE=prod \\
  app:1.2
\`\`\`
becomes
\`\`\`sh
docker run --rm \\
  -e MODE=prod \\
  --security-opt no-new-privileges \\
  app:1.2
\`\`\`

## Fix safety
Safe, as for compose-no-new-privileges: entrypoints that switch users as root (gosu, su-exec, setpriv) keep working;
only gaining privileges through setuid/setgid binaries or file capabilities stops.
`,
  prepare: prepareShell,
  run(ctx) {
    for (const run of runsOf(ctx)) {
      if (flagsNamed(run, 'privileged').length) continue;
      if (flagsNamed(run, 'security-opt').some((f) => NNP.test(f.value?.text ?? ''))) continue;
      const flags = ['--security-opt no-new-privileges'];
      if (!canInsert(run, flags)) continue;
      const message = `${runLabel(run)} lets processes gain privileges through setuid binaries: added \`--security-opt no-new-privileges\`.`;
      ctx.report({ range: runRange(run), message, fix: fix('Add --security-opt no-new-privileges', 'safe', [insertFlags(run, flags)]) });
    }
  },
});
