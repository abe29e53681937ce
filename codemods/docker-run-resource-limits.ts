/** docker-run-resource-limits: `--memory` and `--pids-limit` per image family, from the knowledge base. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import { canInsert, flagsNamed, insertFlags, kbWhere, prepareShell, resourceProfile, runImage, runLabel, runLookups, runRange, runsOf } from '../src/dockerrun/index.js';

export const dockerRunResourceLimits = defineCodemod({
  id: 'docker-run-resource-limits',
  fileKinds: ['shell'],
  summary: '`docker run` lines get `--memory` and `--pids-limit` from the image family\'s defaults (safe only for images the knowledge base knows).',
  safety: 'safe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:000', 'seed:001'],
  docs: `## What it does
Adds the missing \`--memory\` (\`-m\`) and \`--pids-limit\` to \`docker run\` / \`podman run\` lines, before the image,
with the defaults of the image's family in the knowledge base (the same table as compose-resource-limits: databases
2G / 1024 processes, caches 512M / 256, web servers 256M / 512, …). Limits the line already sets are kept.
- Images the knowledge base knows as servers (postgres, redis, nginx…): a **safe** fix.
- Application images of a runtime (python, node, golang…) and images built by a \`docker build -t\` of the same file
  (matched through their Dockerfile's base image): an **unsafe** fix, the finding saying the sizes are the family's
  defaults, not measured.
- Images it cannot identify: a **manual** finding.

## Why
Without limits one container can take all the host's memory (the kernel then kills whatever it picks) or fork until
the host cannot start processes.

## Example
\`\`\`sh
docker run -d redis:7.2
\`\`\`
becomes
\`\`\`sh
docker run -d --memory 512M --pids-limit 256 redis:7.2
\`\`\`

## Fix safety
Safe for known server images: the sizes are well above what they use idle, as for compose-resource-limits. Unsafe for
applications: their memory use depends on the application and its load.
`,
  prepare: prepareShell,
  lookups(file, _options, global, answers) {
    return runLookups(file, undefined, global, answers).filter((k) => k.kind === 'file');
  },
  run(ctx) {
    for (const run of runsOf(ctx)) {
      const hasMemory = flagsNamed(run, 'memory').length > 0;
      const hasPids = flagsNamed(run, 'pids-limit').length > 0;
      if (hasMemory && hasPids) continue;
      const img = runImage(run, ctx.project, ctx.answers);
      const p = resourceProfile(img);
      const label = runLabel(run);
      const range = runRange(run);
      if (!p) {
        ctx.report({ range, message: `${label} has no ${hasMemory ? '' : '`--memory`'}${!hasMemory && !hasPids ? ' or ' : ''}${hasPids ? '' : '`--pids-limit`'}, and harden does not know the image${img.buildUnknown ? ` (${img.buildUnknown})` : ''}: set limits from what it uses under load (\`docker stats\`).` });
        continue;
      }
      const flags = [...(hasMemory ? [] : [`--memory ${p.profile.limits.memory}`]), ...(hasPids ? [] : [`--pids-limit ${p.profile.pids}`])];
      if (!canInsert(run, flags)) continue;
      const guess = p.guess ? ` These are the ${p.family} family's defaults, not measured: the application decides what it uses.` : '';
      const message = `${label} has no resource limits: added ${flags.map((f) => `\`${f}\``).join(' and ')} (${p.family} defaults, ${kbWhere(img) ?? ''}).${guess}`;
      ctx.report({ range, message, fix: fix('Limit memory and processes', p.guess ? 'unsafe' : 'safe', [insertFlags(run, flags)]) });
    }
  },
});
