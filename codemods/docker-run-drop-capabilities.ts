/** docker-run-drop-capabilities: `--cap-drop ALL` plus the `--cap-add` the evidence says the container needs. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import { canInsert, flagsNamed, insertFlags, kbWhere, prepareShell, runLabel, runLookups, runNeeds, runRange, runsOf } from '../src/dockerrun/index.js';
import { knowledgeBaseTable } from '../src/compose/image-kb.js';

const USER_SWITCH = new Set(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID']);
const capName = (c: string): string => c.trim().toUpperCase().replace(/^CAP_/, '');

export const dockerRunDropCapabilities = defineCodemod({
  id: 'docker-run-drop-capabilities',
  fileKinds: ['shell'],
  summary: '`docker run` lines get `--cap-drop ALL` and a `--cap-add` for each capability the evidence says the container needs.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  network: true,
  sources: ['seed:000', 'seed:003'],
  docs: `## What it does
For each \`docker run\` / \`podman run\` line without \`--cap-drop ALL\`, adds \`--cap-drop ALL\` and a \`--cap-add\` for each
capability the container needs (existing \`--cap-add\` flags are kept), before the image. What it needs comes from
evidence, as for compose-drop-capabilities:
- a container that runs as a non-root user (the line's \`--user\`, the image config's \`User\`, or the \`USER\` of the
  Dockerfile a \`docker build -t\` line of the same file builds it from) needs none;
- one that runs as root and whose entrypoint script was read from the image's layers: SETUID/SETGID for a privilege drop
  (gosu, su-exec, setpriv…), CHOWN/DAC_OVERRIDE/FOWNER when it changes ownership first, NET_BIND_SERVICE for a port below
  1024 (\`-p\`, \`--expose\`, the image's ExposedPorts); each cited by line;
- images in the knowledge base below: what their default entrypoint needs.
Otherwise it is a **manual** finding saying what to check. \`--privileged\` and \`--cap-add ALL\` lines are left to
docker-run-dangerous-options.

### Knowledge base

${knowledgeBaseTable(['capAdd'])}

## Why
Docker's default set has 14 capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW…) that most services never use after
start-up and that turn a compromise into privilege escalation; seed 000 asks for "dropped capabilities".

## Example
\`\`\`sh
docker run -d redis:7.2
\`\`\`
becomes
\`\`\`sh
docker run -d --cap-drop ALL --cap-add CHOWN --cap-add SETGID --cap-add SETUID redis:7.2
\`\`\`

## Fix safety
Unsafe: a program doing something privileged the evidence did not show (binding a low port from a config file, writing
files it does not own) fails with "Operation not permitted" until that capability is added back.
`,
  prepare: prepareShell,
  lookups(file, _options, global, answers) {
    return runLookups(file, undefined, global, answers);
  },
  run(ctx) {
    for (const run of runsOf(ctx)) {
      if (flagsNamed(run, 'privileged').length) continue;
      const drops = flagsNamed(run, 'cap-drop').map((f) => capName(f.value?.text ?? ''));
      const adds = flagsNamed(run, 'cap-add').map((f) => capName(f.value?.text ?? ''));
      if (drops.includes('ALL') || adds.includes('ALL')) continue;
      const n = runNeeds(run, ctx.project, ctx.global, ctx.answers);
      const m = n.img.match;
      const label = runLabel(run);
      const range = runRange(run);
      let caps: string[];
      let because: string[];
      if (n.caps.decided) {
        caps = [...n.caps.caps];
        because = [...n.caps.because];
      } else if (m && !m.appDependent) {
        const nonRoot = n.evidence.user?.root === false;
        caps = m.capAdd.filter((c) => !(nonRoot && USER_SWITCH.has(c)));
        because = [`${caps.length ? `what ${m.name} needs` : `${m.name} needs none`} (${kbWhere(n.img) ?? ''})`];
      } else {
        const check = (n.caps.check ?? 'what it needs is not known').replace('`cap_drop: [ALL]` with those in `cap_add`', '`--cap-drop ALL` with a `--cap-add` for each');
        ctx.report({ range, message: `${label} runs with docker's default capabilities; which it needs cannot be decided: ${check}.` });
        continue;
      }
      caps.sort();
      const add = caps.filter((c) => !adds.includes(c));
      const flags = ['--cap-drop ALL', ...add.map((c) => `--cap-add ${c}`)];
      if (!canInsert(run, flags)) continue;
      const kept = adds.length ? ` Its existing --cap-add (${adds.join(', ')}) is kept.` : '';
      const message = `${label} runs with docker's default capabilities: dropped ALL, ${caps.length ? `added back ${caps.join(', ')}` : 'none added back'} (${because.join('; ')}).${kept}`;
      ctx.report({ range, message, fix: fix('Drop every capability but the ones it needs', 'unsafe', [insertFlags(run, flags)]) });
    }
  },
});
