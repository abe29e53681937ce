/**
 * dockerfile-secret-env: secrets in ENV/ARG. Values are reported (never echoed); an ARG without a value used by
 * RUN becomes a secret mount (`RUN --mount=type=secret,id=…,env=…`), and compose files building that Dockerfile
 * get the matching `build.secrets` entry.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { DockerfileParser } from 'dockerfile-ast';
import { isMap } from 'yaml';
import { insertAt, remove, withHint } from '../src/engine/edits.js';
import { isOk } from '../src/engine/lookups.js';
import { computeLineStarts } from '../src/engine/text.js';
import type { CodemodContext, Edit, LookupKey, ParsedCompose, ParsedDockerfile } from '../src/engine/types.js';
import { childIndent, getPair, lineAfter, linesAt, listedSecrets, rangeOf, services, topLevelSecrets } from '../src/secrets/compose.js';
import { planDockerfile } from '../src/secrets/dockerfile.js';
import { SECRET_NAME_OPTIONS, nameOptions, SECRET_PATTERNS } from '../src/secrets/names.js';
import { MANUAL } from '../src/secrets/report.js';
import { topLevelEdit } from './compose-secrets.js';
import { composeFilesBuilding } from '../src/compose/images.js';
import { composeAtLeast } from '../src/compose/target.js';

export const SYNTAX_LINE = '# syntax=docker/dockerfile:1';

/** `build.secrets` with a secret from a variable (`secrets: NAME: environment: VAR`) is read by Compose 2.23 and later. */
const BUILD_SECRETS_COMPOSE = '2.23';

function composeTooOld(ctx: CodemodContext): string | undefined {
  return composeAtLeast(ctx.global, BUILD_SECRETS_COMPOSE)
    ? undefined
    : `build.secrets from a variable need Compose ${BUILD_SECRETS_COMPOSE} or later, which Compose ${ctx.global.composeVersion ?? ''} (composeVersion) is not`;
}

function runDockerfile(ctx: CodemodContext, file: ParsedDockerfile): void {
  const plan = planDockerfile(file.ast, file.text, file.lineStarts, nameOptions(ctx.options));
  for (const v of plan.valued) {
    ctx.report({
      range: v.range,
      message: `${v.kind} ${v.name} puts a secret value in the image${v.kind === 'ARG' ? ' build history' : ''} (docker history / inspect): pass it as a build secret (RUN --mount=type=secret) or at run time instead. If this Dockerfile is committed, rotate it.`,
      data: { name: v.name, instruction: v.kind },
      fix: MANUAL,
    });
  }
  // Who provides the secret: a compose file of this run building this Dockerfile gets build.secrets with the fix (its
  // side of this codemod). Anything else (a CI workflow, a script, a Makefile passing --build-arg) is not seen here,
  // and would build with a secret mount nobody provides: no such evidence, no fix.
  const builtByCompose = file.absPath !== undefined && composeFilesBuilding(ctx.project.files, file.absPath).length > 0;
  for (const a of plan.args) {
    if (a.manual) {
      ctx.report({ range: a.arg, message: `ARG ${a.name} passes a secret as a build argument (visible in the image history): ${a.manual}`, fix: MANUAL });
      continue;
    }
    const tooOld = builtByCompose ? composeTooOld(ctx) : undefined;
    if (tooOld) {
      ctx.report({
        range: a.arg,
        message: `ARG ${a.name} passes a secret as a build argument (visible in the image history). A compose file of this run builds this Dockerfile, but ${tooOld}: a secret mount it cannot provide would break that build. Build with --secret id=${a.id},env=${a.name} (or target a newer Compose), then mount it in each RUN using it (RUN --mount=type=secret,id=${a.id},env=${a.name} …) and remove the ARG`,
        data: { name: a.name, id: a.id },
        fix: MANUAL,
      });
      continue;
    }
    if (!builtByCompose) {
      ctx.report({
        range: a.arg,
        message: `ARG ${a.name} passes a secret as a build argument (visible in the image history). No compose file of this run builds this Dockerfile, so the commands that do (a CI workflow, a script passing --build-arg ${a.name}) are not visible, and a secret mount they do not provide would break that build: change them to --secret id=${a.id},env=${a.name}, then mount it in each RUN using it (RUN --mount=type=secret,id=${a.id},env=${a.name} …) and remove the ARG`,
        data: { name: a.name, id: a.id },
        fix: MANUAL,
      });
      continue;
    }
    const edits: Edit[] = [];
    if (!plan.syntax.present) edits.push(withHint(insertAt(0, SYNTAX_LINE + file.eol), 'shared', true));
    const end = a.arg.end < file.text.length && file.text[a.arg.end] === '\r' ? a.arg.end + 2 : file.text[a.arg.end] === '\n' ? a.arg.end + 1 : a.arg.end;
    edits.push(remove({ start: a.arg.start, end }));
    for (const at of a.runs) edits.push(insertAt(at, `--mount=type=secret,id=${a.id},env=${a.name} `));
    ctx.report({
      range: a.arg,
      message: `ARG ${a.name} passes a secret as a build argument (visible in the image history): RUN uses it through a secret mount (id ${a.id}) instead; build with --secret id=${a.id},env=${a.name}`,
      data: { name: a.name, id: a.id },
      fix: { title: `mount ${a.name} as a build secret`, safety: 'unsafe', edits },
    });
  }
}

function dockerfileText(ctx: CodemodContext, abs: string): string | undefined {
  const p = ctx.project.byAbsPath(abs);
  if (p?.kind === 'dockerfile') return p.text;
  const a = ctx.answers.get({ kind: 'file', path: abs });
  return isOk(a) && a.ok.text !== undefined ? a.ok.text : undefined;
}

function runCompose(ctx: CodemodContext, file: ParsedCompose): void {
  const names = nameOptions(ctx.options);
  for (const doc of file.docs) {
    const top = topLevelSecrets(doc);
    // A `build:` several services get from one anchor or extended service is edited (and reported) once.
    const done = new Set<unknown>();
    for (const svc of services(file, doc)) {
      if (!svc.build?.dockerfile || done.has(svc.build.node)) continue;
      done.add(svc.build.node);
      const text = dockerfileText(ctx, svc.build.dockerfile);
      if (text === undefined) continue;
      const plan = planDockerfile(DockerfileParser.parse(text), text, computeLineStarts(text), names);
      const needed = new Map(plan.mounted);
      // Under an older Compose the Dockerfile's ARGs stay (see runDockerfile): only mounts it already has need a provider.
      const tooOld = composeTooOld(ctx);
      if (!tooOld) for (const a of plan.args) if (!a.manual) needed.set(a.id, a.name);
      const build = svc.build.node;
      const listed = new Set(isMap(build) ? listedSecrets(getPair(build, 'secrets')?.value) : []);
      const missing = [...needed].filter(([id]) => !listed.has(id));
      if (!missing.length) continue;
      if (tooOld) {
        ctx.report({ range: svc.keyRange, message: `service ${svc.name}: its Dockerfile mounts build secrets ${missing.map(([id]) => id).join(', ')}, but ${tooOld}: build it with docker build --secret, by hand`, fix: MANUAL });
        continue;
      }
      if (!isMap(build) || build.flow || getPair(build, 'secrets')) {
        ctx.report({ range: svc.keyRange, message: `service ${svc.name}: its Dockerfile mounts build secrets ${missing.map(([id]) => id).join(', ')}; add them to build.secrets by hand`, fix: MANUAL });
        continue;
      }
      const ind = childIndent(file.text, build, '  ');
      const at = lineAfter(file.text, rangeOf(build).end);
      const edits: Edit[] = [insertAt(at, linesAt(file.text, at, [`${ind}secrets:`, ...missing.map(([id]) => `${ind}  - ${id}`)], file.eol))];
      const add = missing.filter(([id]) => !top.has(id)).map(([id, name]) => ({ name: id, def: { environment: name } }));
      if (add.length) {
        const e = topLevelEdit(file, doc, add);
        if (!e) continue;
        if (e.start === at) edits[0] = { ...(edits[0] as Edit), text: (edits[0] as Edit).text + e.text.replace(/^\r?\n/, '') };
        else edits.push(e);
      }
      const args = getPair(build, 'args');
      const argNote = args && missing.some(([, n]) => JSON.stringify(args.value).includes(n)) ? ' Remove the matching build.args entry.' : '';
      const sharing = services(file, doc).filter((s) => s.build?.node === build).map((s) => s.name);
      const sharedNote = sharing.length > 1 ? ` Services ${sharing.slice(0, -1).join(', ')} and ${sharing[sharing.length - 1] ?? ''} share this \`build:\` mapping: it gets them once, for all of them.` : '';
      ctx.report({
        range: svc.keyRange,
        message: `service ${svc.name}: its Dockerfile mounts build secrets ${missing.map(([id, n]) => `${id} (from ${n})`).join(', ')}: provide them with build.secrets.${argNote}${sharedNote}`,
        data: { service: svc.name, secrets: missing.map(([id]) => id) },
        fix: { title: `provide build secrets to ${svc.name}`, safety: 'unsafe', edits },
      });
    }
  }
}

export const dockerfileSecretEnv = defineCodemod({
  id: 'dockerfile-secret-env',
  fileKinds: ['dockerfile', 'compose'],
  summary: 'Report secrets in ENV/ARG and turn secret build arguments used by RUN into secret mounts.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001'],
  securitySeverity: 8.0,
  defaultOptions: { secretNames: [], ignoreNames: [] },
  optionsSchema: SECRET_NAME_OPTIONS,
  docs: `## What it does
In Dockerfiles:

- \`ENV\` or \`ARG\` with a secret-looking name (${SECRET_PATTERNS.slice(0, 6).map((p) => `\`${p}\``).join(', ')}, … as in
  \`compose-secrets\`) **and a value** → a finding (manual); the value is never echoed.
- \`ARG TOKEN\` without a value, used by \`RUN\` in its stage → the ARG is removed and each \`RUN\` using it gets
  \`--mount=type=secret,id=token,env=TOKEN\`, so the value is an environment variable of that \`RUN\` only and never
  reaches the image or its history. A \`# syntax=docker/dockerfile:1\` line is added first when there is no syntax
  directive: \`env=\` on secret mounts needs the **Dockerfile frontend 1.10 or later** (docker/dockerfile:1 resolves to
  the latest 1.x); a directive pinning an older frontend (e.g. \`docker/dockerfile:1.4\`) gives a manual finding.
  ARGs declared before \`FROM\`, sharing an instruction with other names, or used by other instructions are reported.
  The mount is written only when a compose file of the same run builds the Dockerfile (and gets the matching
  \`build.secrets\`, below): otherwise whatever builds it (a CI workflow, a release script passing
  \`--build-arg TOKEN\`) is out of sight, and would build with a secret mount it does not provide. That ARG is a manual
  finding saying what to change on both sides.

In compose files: a service whose Dockerfile (one of this run's files, or read from disk) mounts or will mount such
secrets gets the matching \`build.secrets\` entry and a top-level \`secrets:\` entry taking the value from the
environment variable of the same name (\`environment: TOKEN\`). Build with \`docker compose build\`, or
\`docker build --secret id=token,env=TOKEN\`.
\`build.secrets\` with a secret from a variable need Compose 2.23 or later: when the target Compose is older
(\`composeVersion\`, e.g. docker-compose 1.29, which has no \`build.secrets\`), neither side is written and both are
reported: a secret mount nothing provides would break the build.

## Why
Build arguments are recorded in the image history (\`docker history\`), and \`ENV\` values in the image config.

## Example
\`\`\`dockerfile
FROM node:20
ARG NPM_TOKEN
RUN npm ci
\`\`\`
(where \`.npmrc\` reads \`\${NPM_TOKEN}\`) — when RUN uses \`$NPM_TOKEN\` it becomes
\`\`\`dockerfile
# syntax=docker/dockerfile:1
FROM node:20
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
\`\`\`

## Fix safety
Unsafe: builds must now pass the secret (\`--secret\` / compose \`build.secrets\`) instead of \`--build-arg\`, and need
BuildKit with Dockerfile frontend 1.10+. The evidence that something provides the secret is a compose file of the run
building the Dockerfile, whose \`build.secrets\` the same run adds; without it the Dockerfile is not changed (a
build command harden cannot see would break).
`,
  lookups(file) {
    if (file.kind !== 'compose') return [];
    return file.docs.flatMap((doc) => services(file, doc).flatMap((s): LookupKey[] => (s.build?.dockerfile ? [{ kind: 'file', path: s.build.dockerfile }] : [])));
  },
  run(ctx) {
    if (ctx.file.kind === 'dockerfile') runDockerfile(ctx, ctx.file);
    else if (ctx.file.kind === 'compose') runCompose(ctx, ctx.file);
  },
});
