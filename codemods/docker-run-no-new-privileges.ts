/** docker-run-no-new-privileges: `--security-opt no-new-privileges` on `docker run` / `podman run` lines. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import { canInsert, flagsNamed, insertFlags, prepareShell, runLabel, runLookups, runNeeds, runRange, runsOf, type RunNeeds } from '../src/dockerrun/index.js';
import { privilegeGainNeeds } from '../src/evidence/index.js';

const NNP = /^no-new-privileges(?:[:=](.*))?$/;

export const dockerRunNoNewPrivileges = defineCodemod({
  id: 'docker-run-no-new-privileges',
  fileKinds: ['shell'],
  summary: '`docker run` / `podman run` lines get `--security-opt no-new-privileges` (before the image, in the line\'s style).',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  // Under --no-network it still runs: the knowledge base and the line's own flags decide, without image configs.
  offlineFindings: true,
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
As for compose-no-new-privileges, and from the same evidence: \`safe\` when the image is in the knowledge base (an
image, not a runtime such as node or python that runs any application; caddy only while it runs as root, its binary
carrying a file capability), \`unsafe\` otherwise, and when the line's command or the image's entrypoint script runs
sudo, su or ping as a non-root user; the message cites the evidence and says what to check. The flag does not stop a
root entrypoint from switching user with gosu, su-exec or setpriv; it stops a non-root process from gaining
privileges through a setuid bit or file capability (\`sudo\`, \`su\`, \`ping\`, \`fusermount\`, a browser's setuid
sandbox).
`,
  prepare: prepareShell,
  lookups(file, _options, global, answers) {
    return runLookups(file, undefined, global, answers);
  },
  run(ctx) {
    for (const run of runsOf(ctx)) {
      if (flagsNamed(run, 'privileged').length) continue;
      if (flagsNamed(run, 'security-opt').some((f) => NNP.test(f.value?.text ?? ''))) continue;
      const flags = ['--security-opt no-new-privileges'];
      if (!canInsert(run, flags)) continue;
      const n = gainOf(runNeeds(run, ctx.project, ctx.global, ctx.answers));
      const verdict = n.none ? ` Safe: ${n.because}.` : ` Unsafe: ${n.because}; ${n.check ?? ''}.`;
      const message = `${runLabel(run)} lets processes gain privileges through setuid binaries: added \`--security-opt no-new-privileges\`.${verdict}`;
      ctx.report({ range: runRange(run), message, fix: fix('Add --security-opt no-new-privileges', n.none ? 'safe' : 'unsafe', [insertFlags(run, flags)]) });
    }
  },
});

function gainOf(n: RunNeeds): ReturnType<typeof privilegeGainNeeds> {
  const m = n.img.match;
  const unknown = n.img.built || n.img.build
    ? `the image is built here${n.img.built ? ` (${n.img.built.describe})` : ''}: its Dockerfile may install setuid programs`
    : !n.img.ref
      ? 'its image is not a literal reference'
      : !m
        ? `\`${n.img.ref}\` is not in the knowledge base`
        : m.appDependent
          ? `${m.name} runs whatever application it is given`
          : undefined;
  return privilegeGainNeeds(n.evidence, {
    ...(m ? { kb: { name: m.name, runsAsRoot: m.runsAsRoot, ...(m.appDependent ? { appDependent: true } : {}), ...(m.privilegeGain ? { privilegeGain: m.privilegeGain } : {}) } } : {}),
    ...(unknown ? { unknown } : {}),
    optOut: '`--security-opt no-new-privileges=false`',
  });
}
