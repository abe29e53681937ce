/** docker-run-secret-env: a literal secret in `-e NAME=value` becomes `-e NAME`, passed from the caller's environment. */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import type { Edit } from '../src/engine/types.js';
import { fileRange, flagsNamed, prepareShell, runLabel, runsOf, type RunFlag } from '../src/dockerrun/index.js';
import { isSecretName, nameOptions, SECRET_NAME_OPTIONS } from '../src/secrets/names.js';

/** The edit deleting `=value` from the value as written (`NAME=v`, `"NAME=v"`, `'NAME=v'`, `NAME="v w"`), if it can. */
function dropValue(f: RunFlag): { start: number; end: number } | undefined {
  const v = f.value;
  if (!v || v.inWord) return undefined;
  const raw = v.raw;
  const q = raw[0] === '"' || raw[0] === "'" ? raw[0] : '';
  const m = /^(["']?)[A-Za-z_][A-Za-z0-9_]*=/.exec(raw);
  if (!m) return undefined;
  const eq = m[0].length - 1;
  if (q) {
    if (raw[raw.length - 1] !== q || raw.slice(1, -1).includes(q)) return undefined;
    return { start: v.range.start + eq, end: v.range.end - 1 };
  }
  return { start: v.range.start + eq, end: v.range.end };
}

export const dockerRunSecretEnv = defineCodemod({
  id: 'docker-run-secret-env',
  fileKinds: ['shell'],
  summary: 'A literal secret in `docker run -e NAME=value` becomes `-e NAME` (passed through from the caller\'s environment); the value is never printed.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'error',
  sources: ['seed:000'],
  docs: `## What it does
For each \`-e\`/\`--env\` of a \`docker run\` / \`podman run\` line whose name looks like a secret (the names of
compose-secrets: \`*_PASSWORD\`, \`*_SECRET\`, \`*_TOKEN\`, \`*_API_KEY\`, …, see src/secrets/names.ts) and whose value is
a literal, removes \`=value\`: \`-e MVAR_EXEC_TOKEN_SECRET=change_me_in_prod\` becomes \`-e MVAR_EXEC_TOKEN_SECRET\`, which
docker fills from the environment of the shell that runs it. Quoting is kept (\`"NAME=v"\` → \`"NAME"\`). Values that
are already expansions (\`-e TOKEN="$TOKEN"\`, \`\${{ secrets.TOKEN }}\`) are left alone, and so are empty values and
switches (\`0\`, \`1\`, \`true\`, \`false\`, \`yes\`, \`no\`, \`on\`, \`off\`: \`-e REQUIRE_TOKEN=1\` is a setting).

The value is never printed: messages, JSON and SARIF name the variable only, and the fix's edit is a deletion (a diff
still shows the line it removes, which is the user's own file).

## Why
A secret on the command line is in the shell history, in \`ps\` output of every user on the host, in CI logs, in the
documentation people copy from, and in \`docker inspect\`'s \`Config.Env\`… for its whole life; seed 000's cookbook asks
to "keep the secret out of the command" and in a secret store.

## Example
\`\`\`sh
docker run --rm -e API_TOKEN=abc123 app:1
\`\`\`
becomes
\`\`\`sh
docker run --rm -e API_TOKEN app:1
\`\`\`
Run it with the variable set from your secret store (\`API_TOKEN=$(pass show app/token) ./run.sh\`), or move the
variables to a file outside the repository and use \`--env-file\`.

## Fix safety
Unsafe: the command now needs the variable in its environment. If it is not set, docker passes nothing and the
container starts without it (an application that requires it fails at start-up, one that has a default uses it).
`,
  defaultOptions: { secretNames: [], ignoreNames: [] },
  optionsSchema: SECRET_NAME_OPTIONS,
  prepare: prepareShell,
  run(ctx) {
    const names = nameOptions(ctx.options);
    for (const run of runsOf(ctx)) {
      for (const f of flagsNamed(run, 'env')) {
        const text = f.value?.text;
        if (!text) continue;
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(text);
        if (!m || !isSecretName(m[1] as string, names)) continue;
        // An empty value or a switch (`MVAR_REQUIRE_EXECUTION_TOKEN=1`) is a setting, not a secret.
        if (/^(?:|0|1|true|false|yes|no|on|off)$/i.test(m[2] as string)) continue;
        const name = m[1] as string;
        const range = fileRange(run.snippet, f.range);
        const drop = dropValue(f);
        const base = `${runLabel(run)} passes the secret ${name} as a literal on the command line (shell history, \`ps\`, CI logs, \`docker inspect\`)`;
        if (!drop) {
          ctx.report({ range, message: `${base}; remove the value and pass it from the environment (\`${f.spelled} ${name}\`) or an \`--env-file\` kept out of the repository.`, data: { name } });
          continue;
        }
        const edit: Edit = { ...fileRange(run.snippet, drop), text: '' };
        const message = `${base}: now \`${f.spelled} ${name}\`, passed through from the caller's environment; set ${name} from a secret store before running it.`;
        ctx.report({ range, message, data: { name }, fix: fix(`Pass ${name} from the environment`, 'unsafe', [edit]) });
      }
    }
  },
});
