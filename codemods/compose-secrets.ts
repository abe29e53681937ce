/**
 * compose-secrets: move secret-looking environment variables of compose services to compose `secrets:`,
 * giving the service `<NAME>_FILE` (or the image's own file form) instead of the value.
 */
import { defineCodemod } from '../src/engine/define.js';
import { derived } from '../src/engine/derive.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, type Document, type YAMLMap } from 'yaml';
import { insertAt, replace, withHint } from '../src/engine/edits.js';
import type { Edit, ParsedCompose, Report } from '../src/engine/types.js';
import type { Fix, SideEffect } from '../src/engine/types.js';
import {
  childIndent, columnOf, composeDir, getPair, lineAfter, linesAt, listedSecrets, quoteLike, rangeOf, readOnlyRootClaim, services,
  topLevelSecrets, type EnvEntry, type ServiceInfo,
} from '../src/secrets/compose.js';
import { fileFormFor, repositoryOf } from '../src/secrets/images.js';
import { SECRET_NAME_OPTIONS, isSecretName, nameOptions, secretNameFor, SECRET_PATTERNS, type NameOptions } from '../src/secrets/names.js';
import { SecretValue } from '../src/engine/redacted.js';
import { reporter } from '../src/secrets/report.js';
import { composeAtLeast } from '../src/compose/target.js';
import { documentedEnvKeys, documentedIn, notASecretValue } from '../src/compose/documented-env.js';
import { PASSWORD_FLAG, afterPasswordFlag, looksSecret, lookupAll, mergeSources, resolveNode, scalarText, services as composeServices, walkScalars, type ComposeService } from '../src/compose/index.js';
import { decodedPassword, maskedUrl, passwordIsLiteral, passwordVariable, urlCredentials } from '../src/secrets/urls.js';
import type { Scalar } from 'yaml';

export const SECRETS_DIR = 'secrets';

/**
 * The mode of a secret file harden writes. Outside swarm, Compose bind-mounts a \`file:\` secret: the container sees
 * the host file's owner and mode, and the long syntax's uid/gid/mode are ignored for it (Compose warns since v2.21,
 * docker/compose#10904; the Compose file reference says so). A service running as another user (\`user: postgres\`,
 * an image's non-root USER, an entrypoint that drops to one with gosu) reads the file as "other": it must be
 * world-readable. The 0700 directory keeps other users of the host out; inside the container it is what Compose
 * gives \`environment:\` secrets anyway (0444).
 */
export const SECRET_FILE_MODE = 0o644;

interface NewSecret {
  name: string;
  def: { environment: string } | { file: string };
}

interface Planned {
  entry: EnvEntry;
  fileVar: string;
  secret: string;
  source: 'variable' | 'literal';
  variable?: string;
  droppedDefault: boolean;
  /** Other services that get this entry through an anchor (alias or merge key), and whether their own list is edited. */
  heirs?: { heir: ServiceInfo; list: boolean }[];
}

/** Text of the new top-level `secrets:` entries, or undefined when the existing `secrets:` cannot take them. */
export function topLevelEdit(file: ParsedCompose, doc: Document.Parsed, add: readonly NewSecret[]): Edit | undefined {
  const { text, eol } = file;
  const root = doc.contents as YAMLMap;
  const sp = getPair(root, 'services');
  const unit = sp && isMap(sp.value) ? ' '.repeat(Math.max(1, columnOf(text, rangeOf(sp.value).start) - columnOf(text, rangeOf(sp.key as never).start))) : '  ';
  const body = (ind: string) =>
    add.flatMap((s) => [`${ind}${s.name}:`, `${ind}${unit}${'environment' in s.def ? `environment: ${s.def.environment}` : `file: ${s.def.file}`}`]);
  const top = getPair(root, 'secrets');
  if (!top) {
    const rootInd = ' '.repeat(columnOf(text, rangeOf(root.items[0]?.key as never).start));
    const at = lineAfter(text, rangeOf(root).end);
    // A new last key of the root: other codemods' entries ending there (the last service's) go first, in the same pass.
    return withHint(insertAt(at, linesAt(text, at, [`${rootInd}secrets:`, ...body(rootInd + unit)], eol)), 'adds', { to: rangeOf(root).start, keys: ['secrets'] });
  }
  if (top.value === null || (isScalar(top.value) && top.value.value === null)) {
    const keyCol = columnOf(text, rangeOf(top.key as never).start);
    const at = lineAfter(text, rangeOf(top.key as never).end);
    return insertAt(at, linesAt(text, at, body(' '.repeat(keyCol) + unit), eol));
  }
  if (isMap(top.value) && top.value.flow !== true && top.value.items.length > 0) {
    const at = lineAfter(text, rangeOf(top.value).end);
    // No `adds`: another service's fix adding to this list was planned without this one's names (it may name the same
    // variable's secret otherwise), so it waits for the next pass.
    return insertAt(at, linesAt(text, at, body(childIndent(text, top.value, unit)), eol));
  }
  return undefined;
}

/** Edit adding `names` to the service's `secrets:` list (creating it after `environment:` if needed). */
function serviceListEdit(file: ParsedCompose, svc: ServiceInfo, names: readonly string[]): Edit | undefined {
  const { text, eol } = file;
  const sp = getPair(svc.node, 'secrets');
  const envKey = svc.envPair?.key as { range?: [number, number, number] } | undefined;
  const keyCol = columnOf(text, rangeOf((sp?.key ?? envKey) as never).start);
  if (!sp) {
    // After `environment:`, or after the service's last key when its environment comes from a merge key.
    const last = svc.envPair ?? svc.node.items[svc.node.items.length - 1];
    if (!last || svc.node.flow) return undefined;
    const at = lineAfter(text, rangeOf((last.value ?? last.key) as never).end);
    const ind = ' '.repeat(svc.envPair ? keyCol : columnOf(text, rangeOf(svc.node.items[0]?.key as never).start));
    // Right after `environment:` (entries other codemods add at the end of the service come after it), else at the end.
    const adds = { to: rangeOf(svc.node).start, keys: ['secrets'], ...(svc.envPair ? { after: true as const } : {}) };
    return withHint(insertAt(at, linesAt(text, at, [`${ind}secrets:`, ...names.map((n) => `${ind}  - ${n}`)], eol)), 'adds', adds);
  }
  if (sp.value === null || (isScalar(sp.value) && sp.value.value === null)) {
    const at = lineAfter(text, rangeOf(sp.key as never).end);
    return insertAt(at, linesAt(text, at, names.map((n) => `${' '.repeat(keyCol)}  - ${n}`), eol));
  }
  if (!isSeq(sp.value)) return undefined;
  const seq = sp.value;
  if (seq.flow) {
    const close = text.lastIndexOf(']', rangeOf(seq).end);
    if (close < 0) return undefined;
    return insertAt(close, (seq.items.length ? ', ' : '') + names.join(', '));
  }
  const first = seq.items[0] as { range?: [number, number, number] } | undefined;
  if (!first) return undefined;
  const firstStart = rangeOf(first).start;
  const prefix = text.slice(text.lastIndexOf('\n', firstStart - 1) + 1, firstStart);
  if (!/^\s*-\s+$/.test(prefix)) return undefined;
  const at = lineAfter(text, rangeOf(seq).end);
  return insertAt(at, linesAt(text, at, names.map((n) => prefix + n), eol));
}

function entryEdits(file: ParsedCompose, p: Planned): Edit[] {
  const path = `/run/secrets/${p.secret}`;
  const { entry } = p;
  if (entry.form === 'list') return [replace(rangeOf(entry.keyNode), quoteLike(entry.keyNode, `${p.fileVar}=${path}`))];
  const edits = [replace(rangeOf(entry.keyNode), quoteLike(entry.keyNode, p.fileVar))];
  const v = entry.valueNode;
  if (v && v.value !== null && v.range) edits.push(replace(rangeOf(v), quoteLike(v, path)));
  else if (v && v.range && v.range[0] > rangeOf(entry.keyNode).end) edits.push(insertAt(v.range[0], ` ${path}`));
  else {
    const colon = file.text.indexOf(':', rangeOf(entry.keyNode).end);
    edits.push(insertAt(colon + 1, ` ${path}`));
  }
  return edits;
}

function targetFor(svc: ServiceInfo, name: string): { fileVar: string } | { manual: string } {
  if (svc.hasBuild) {
    if (!svc.build) return { manual: `service ${svc.name} is built from a context harden cannot read; move ${name} to a secret by hand` };
    return { fileVar: `${name}_FILE` };
  }
  if (!svc.image) return { manual: `service ${svc.name} has no image; move ${name} to a secret by hand` };
  const form = fileFormFor(svc.image, name);
  if (!form) {
    return {
      manual: `${name} of service ${svc.name} looks like a secret, but harden does not know whether ${repositoryOf(svc.image)} can read it from a file (${name}_FILE); check the image's documentation and move it to a secret by hand`,
    };
  }
  if (form.kind === 'command') {
    return { manual: `${repositoryOf(svc.image)} reads ${name} only from its command line: pass the password with a config file or a shell wrapper reading /run/secrets/<name>` };
  }
  return { fileVar: form.fileVar };
}


/** A service's environment as Compose sees it: the entries (name → key node) and the nodes they come from. */
interface EffectiveEnv {
  entries: Map<string, unknown>;
  nodes: Set<unknown>;
  /** How the first environment reaches the service: its own mapping, an alias, or a YAML merge key. */
  via: 'own' | 'alias' | 'merge';
}

/** Computed once per service of a parse (every entry of every service asks for the others'); read-only. */
const effectiveEnv = derived((cs: ComposeService): EffectiveEnv => {
  const entries = new Map<string, unknown>();
  const nodes = new Set<unknown>();
  let via: EffectiveEnv['via'] = 'own';
  lookupAll(cs, 'environment').forEach((l, i) => {
    if (i === 0) via = l.via === 'merge' ? 'merge' : l.alias ? 'alias' : 'own';
    const v = l.value;
    if (isMap(v)) {
      for (const m of [v, ...mergeSources(cs.doc, v)]) {
        nodes.add(m);
        if (m !== v && i === 0 && via === 'own') via = 'merge';
        for (const p of m.items) {
          if (!isScalar(p.key) || p.key.value === '<<' || typeof p.key.value === 'symbol') continue;
          const name = String(p.key.value);
          if (!entries.has(name)) entries.set(name, p.key);
        }
      }
    } else if (isSeq(v)) {
      nodes.add(v);
      for (const it of v.items) {
        const n = resolveNode(cs.doc, it);
        if (!isScalar(n) || typeof n.value !== 'string') continue;
        const eq = n.value.indexOf('=');
        const name = eq < 0 ? n.value : n.value.slice(0, eq);
        if (!entries.has(name)) entries.set(name, n);
      }
    }
  });
  return { entries, nodes, via };
});

/** Whether a mapping merged into the service's own environment also sets `name` (the own entry shadows it). */
function shadows(eff: EffectiveEnv, svc: ServiceInfo, name: string): boolean {
  const own = svc.envPair?.value;
  for (const n of eff.nodes) {
    if (n === own || !isMap(n)) continue;
    if (n.items.some((p) => isScalar(p.key) && String(p.key.value) === name)) return true;
  }
  return false;
}

/** What a service that inherits a changed environment entry needs: nothing, names on its own secrets: list, or a refusal. */
type HeirNeed = { heir: ServiceInfo; list: boolean } | { refuse: string };

/**
 * The other services that get `entry` from `owner`'s environment mapping (an anchor they alias or merge): each must
 * read the same file variable and end up with the secret in its `secrets:` list, or the move is refused.
 */
function heirsOf(
  file: ParsedCompose, usersOf: () => ReadonlyMap<unknown, readonly ComposeService[]>, infos: ReadonlyMap<ComposeService, ServiceInfo>, owner: ServiceInfo, entry: EnvEntry, fileVar: string,
): HeirNeed[] {
  const own = owner.envPair?.value;
  if (!own) return [];
  const ownerCs = owner.service;
  const anchor = (own as { anchor?: string }).anchor;
  const via = anchor ? `the anchor &${anchor}` : `service ${owner.name}'s mapping`;
  const out: HeirNeed[] = [];
  // The services whose environment includes the owner's mapping, in document order (not a scan of every service).
  for (const cs of usersOf().get(own) ?? []) {
    if (cs.name === owner.name) continue;
    const eff = effectiveEnv(cs);
    if (!eff.nodes.has(own)) continue;
    const how = eff.via === 'alias' ? 'an alias' : 'a YAML merge key';
    const info = infos.get(cs);
    // Its image may itself come from a merge key (`<<: *db`).
    const image = info && !info.image && !info.hasBuild ? scalarText(lookupAll(cs, 'image')[0]?.value) : undefined;
    const heir = info && image !== undefined ? { ...info, image } : info;
    if (eff.entries.get(entry.name) !== entry.keyNode) {
      out.push({ refuse: `service ${cs.name} gets the environment of ${via} through ${how} but sets ${entry.name} itself: renaming it there would give ${cs.name} both ${entry.name} and ${fileVar}` });
      continue;
    }
    if (eff.entries.has(fileVar) || !heir) {
      out.push({ refuse: `service ${cs.name} gets ${entry.name} from ${via} through ${how} and already sets ${fileVar}` });
      continue;
    }
    const t = targetFor(heir, entry.name);
    if ('manual' in t || t.fileVar !== fileVar) {
      out.push({ refuse: `service ${cs.name} gets ${entry.name} from ${via} through ${how}, and ${'manual' in t ? `harden cannot tell whether its image reads ${fileVar}` : `its image reads ${t.fileVar}, not ${fileVar}`}` });
      continue;
    }
    // Its secrets: list after the move: its own list (edited here), or one it inherits from the owner's service map.
    const ownSecrets = getPair(heir.node, 'secrets');
    const inheritsOwner = cs.sources.some((src) => src.map === ownerCs.node && src.via !== 'own');
    if (ownSecrets) {
      if (!serviceListEdit(file, heir, ['x'])) {
        out.push({ refuse: `service ${cs.name} gets ${entry.name} from ${via} through ${how}, and its secrets: list has a form harden does not edit` });
        continue;
      }
      out.push({ heir, list: true });
      continue;
    }
    const inherited = lookupAll(cs, 'secrets')[0];
    if (inherited) {
      if (inheritsOwner && inherited.owner === ownerCs.node) out.push({ heir, list: false });
      else out.push({ refuse: `service ${cs.name} gets ${entry.name} from ${via} through ${how}, and its secrets: list comes from another anchor` });
      continue;
    }
    out.push(inheritsOwner ? { heir, list: false } : { heir, list: true });
  }
  return out;
}

/** The services of a document by each environment node they get entries from (own, aliased or merged), in document order. */
function envUsers(all: readonly ComposeService[]): Map<unknown, ComposeService[]> {
  const users = new Map<unknown, ComposeService[]>();
  for (const cs of all) {
    for (const n of effectiveEnv(cs).nodes) {
      const list = users.get(n);
      if (list) list.push(cs);
      else users.set(n, [cs]);
    }
  }
  return users;
}

interface DocScalar {
  node: Scalar;
  path: readonly (string | number)[];
  text: string;
  env?: { name: string; valueStart: number };
}

function docScalars(doc: Document.Parsed): DocScalar[] {
  const out: DocScalar[] = [];
  walkScalars(doc, ({ node, path, env }) => {
    const text = scalarText(node);
    if (text !== undefined) out.push({ node, path, text, ...(env ? { env } : {}) });
  });
  return out;
}

/** A scalar's words (each literal secret of the document is looked for in every scalar). */
const tokensOf = derived((s: DocScalar): readonly string[] => s.text.split(/\s+/));

/** `DATABASE_URL of service app`, or the key path outside services. */
function whereOf(s: Pick<DocScalar, 'path' | 'env'>): string {
  const { path } = s;
  if (path[0] === 'services' && typeof path[1] === 'string') {
    const what = s.env?.name ?? path.slice(2).filter((k) => typeof k === 'string').join('.');
    return `${what || 'a value'} of service ${path[1]}`;
  }
  return path.filter((k) => typeof k === 'string').join('.') || 'a value';
}

/**
 * Other places of the file holding the same literal secret: secret-named variables with that value, URLs with it
 * as their password, a command's password flag with it as argument. Moving one copy to a file would split values
 * that must stay equal (the database's password and the application's connection URL).
 */
function sharedCopies(all: readonly DocScalar[], value: string, self: readonly unknown[], names: NameOptions): string[] {
  const out = new Set<string>();
  all.forEach((s, i) => {
    if (self.includes(s.node)) return;
    if (s.env) {
      const v = s.text.slice(s.env.valueStart);
      if (v === value && (isSecretName(s.env.name, names) || looksSecret(s.env.name))) out.add(whereOf(s));
    }
    for (const c of urlCredentials(s.text)) if (c.password === value || decodedPassword(c) === value) out.add(`${whereOf(s)} (inside a URL)`);
    if (s.env) return;
    const tokens = tokensOf(s);
    const prev = all[i - 1];
    const last = s.path[s.path.length - 1];
    const prevItem = typeof last === 'number' && prev && prev.path.length === s.path.length && prev.path[prev.path.length - 1] === last - 1 ? prev.text : undefined;
    tokens.forEach((t, j) => {
      const before = j > 0 ? tokens[j - 1] : prevItem;
      const eq = /^(-{1,2}[a-z-]+)=(.*)$/i.exec(t);
      if ((t === value && before !== undefined && PASSWORD_FLAG.test(before)) || (eq && eq[2] === value && PASSWORD_FLAG.test(eq[1] ?? ''))) {
        out.add(`${whereOf(s)} (a command-line password)`);
      }
    });
  });
  return [...out];
}

export const composeSecrets = defineCodemod({
  id: 'compose-secrets',
  fileKinds: ['compose'],
  summary: 'Move secret-looking environment variables of services to compose secrets read from files.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001'],
  securitySeverity: 8.0,
  defaultOptions: { secretNames: [], ignoreNames: [] },
  optionsSchema: SECRET_NAME_OPTIONS,
  lookups(file) {
    return documentedEnvKeys(file);
  },
  docs: `## What it does
For each service, environment entries whose **names look like secrets** and whose value is a literal, \`\${VAR}\`,
\`\${VAR:-default}\` or nothing (passed from the host) are moved to compose \`secrets:\`:

- a top-level \`secrets:\` entry is added: \`environment: VAR\` when the value came from a variable (or from the host),
  else \`file: ./${SECRETS_DIR}/<name>\`;
  (\`environment:\` secrets are Compose Specification syntax that Docker Compose v2.23 and later understand; the
  legacy docker-compose 1.x rejects them, so when the target Compose is older — \`composeVersion\` in \`.harden.yaml\`,
  \`--compose-version\`, or the version \`harden verify\` runs with — such a variable is reported and left in place);
- the secret is added to the service's \`secrets:\` list;
- the variable is replaced by its **file form**, \`<NAME>_FILE: /run/secrets/<name>\` (grafana: \`GF_…__FILE\`).

The file form depends on the image. Images whose entrypoints read \`*_FILE\` (src/secrets/images.ts): postgres,
postgis, timescaledb, mysql, percona, mariadb, mongo (\`MONGO_INITDB_ROOT_*\`), grafana (\`GF_*__FILE\`), minio,
wordpress, nextcloud, bitnami/redis, bitnami/postgresql, bitnami/mysql, bitnami/mariadb. Services **built from this
repository** (\`build:\`) get \`<NAME>_FILE\`, and \`source-read-secret-files\` rewrites their sources to read it.
Other images (and redis, which takes its password only on the command line) get a finding and no change. The
repository decides: a variable tag (\`postgres:\${POSTGRES_TAG:-16}\`) is still postgres; a variable in the repository
itself (\`\${REGISTRY}/postgres\`) can be any image.

Secret-looking names (case-insensitive): ${SECRET_PATTERNS.map((p) => `\`${p}\``).join(', ')}; never names ending
in \`_FILE\`, \`*_PUBLIC_KEY\` or the official images' switches (\`MYSQL_ALLOW_EMPTY_PASSWORD\`, …).

Not moved, with a \`manual\` finding that says why:
- a **literal shared with another place** of the file: a secret-named variable of another service with the same value
  (\`DB_PASS\` of the app and \`POSTGRES_PASSWORD\` of its database), a URL holding it as its password
  (\`postgresql://app:PASSWORD@db/app\`), a command's password flag (\`--requirepass PASSWORD\`). Moving one copy to a
  file splits values that must stay equal: the next person to change the password changes one of them;
- a variable with a **default** (\`\${VAR:-admin}\`, or the \`\${VAR:?VAR must be set}\` that compose-require-secret-vars writes in
  its place in the same run) that no documented env file (\`.env\`, \`.env.example\`, \`.env.dist\`, \`.env.sample\`) sets:
  a secret read from a variable has no default, and Compose refuses to start a container whose secret's variable is
  unset (docker/compose \`pkg/compose/secrets.go\`: \`environment variable "X" required by secret "x" is not set\`), so every
  deployment that relied on the default would stop starting. Values that are not secrets (empty, paths, URLs without
  credentials, booleans and mode words such as \`SMTP_AUTH: login\`) are left alone.

**Passwords on a command line** (\`command:\`/\`entrypoint:\` arguments of \`--requirepass\`, \`--masterauth\`, \`--password\`…) are
reported, literal or from a variable: they show in \`docker inspect\` and the process list (redis reads its password only
this way or from a config file). An argument that reads a file (\`$(cat /run/secrets/x)\`) is not reported.

**URLs with credentials** are reported, never rewritten (the password is masked in the message): a literal password in
a URL (\`DATABASE_URL: postgresql://app:PASSWORD@db/app\`, \`redis://:PASSWORD@cache\`), and a URL that still holds
\`\${VAR}\` after VAR became a compose secret (the value stays in that container's environment).

Literal values are **never** copied into the patch, the findings or any output: the diff shows the reference, and
with \`--write\` the value is written to \`./${SECRETS_DIR}/<name>\` (mode 0644, directory 0700; see *Secret file mode*) and \`${SECRETS_DIR}/\` is added
to \`.gitignore\`; a dry run only says it would. A literal (or a \`:-default\`) was in the compose file: if that file
is committed, the finding tells you to rotate the secret (harden cannot know whether it was committed).

## Secret file mode
Outside swarm, Docker Compose v2 **bind-mounts** a \`file:\` secret into \`/run/secrets/\`: the container sees the host
file's owner and mode, and \`uid\`, \`gid\` and \`mode\` of the long syntax are ignored for it (the Compose file reference
says so; Compose prints "secrets \`uid\`, \`gid\` and \`mode\` are not supported, they will be ignored" since
docker/compose#10904; tracked in docker/compose#9648). An \`environment:\` secret is copied into the container instead,
owned by root with mode 0444 unless \`uid\`/\`gid\`/\`mode\` say otherwise (docker/compose#10784).
So a secret file written 0600 by the host user is unreadable for a service that runs as another user — \`user: postgres\`,
an image whose USER is not root, an entrypoint that drops to its user with gosu/su-exec (postgres, mariadb and mongo
read \`*_FILE\` again after the drop). harden writes the file **0644 inside a 0700 directory**: readable by whatever user
the container runs as, while other users of the host cannot reach it (the directory is checked on the host path, not
in the container). harden writes no \`uid\`/\`gid\`/\`mode\` (Compose would only warn). A file an older run wrote 0600 with
the same value is made readable (\`--write\`).

## Why
Environment variables show up in \`docker inspect\`, in crash dumps and in child processes; compose secrets are
mounted as files readable only inside the container (seed 001: \`OPENAI_API_KEY\`, \`\${GRAFANA_PASSWORD:-admin}\`).

## Example
\`\`\`yaml
services:
  grafana:
    image: grafana/grafana:10.2.2
    environment:
      GF_SECURITY_ADMIN_PASSWORD: \${GRAFANA_PASSWORD:-admin}
\`\`\`
becomes
\`\`\`yaml
services:
  grafana:
    image: grafana/grafana:10.2.2
    environment:
      GF_SECURITY_ADMIN_PASSWORD__FILE: /run/secrets/grafana_password
    secrets:
      - grafana_password
secrets:
  grafana_password:
    environment: GRAFANA_PASSWORD
\`\`\`

## Fix safety
Unsafe: the value must exist at deploy time (the variable must be set, the default is dropped), and code reading
the variable directly must read the file instead (see \`source-read-secret-files\`). Values mixing text and
variables, and block scalars are reported, not changed.

**Anchors.** An \`environment: &anchor\` mapping (or list) of one service that other services alias
(\`environment: *anchor\`) or merge (\`<<: *anchor\`, also through a merged whole service \`<<: *db\`) is changed for all of
them at once, so every such service gets the secret in its own \`secrets:\` list too (or inherits the owner's list when
it merges the owner's whole service). The move is refused, with a \`manual\` finding naming the service and the reason,
when one of them runs an image harden does not know reads the same file variable, sets the variable itself (renaming it
in the anchor would give it both \`NAME\` and \`NAME_FILE\`), already sets the file variable, or takes its \`secrets:\`
from another anchor; and when a service's own entry shadows the same name from a mapping it merges. Secrets in an \`x-\`
extension that services merge or alias are reported on each service (changing the anchor changes every user).
`,
  run(ctx) {
    const file = ctx.file;
    const names = nameOptions(ctx.options);
    const dir = composeDir(file);
    const report = reporter(ctx);
    for (const doc of file.docs) {
      const top = topLevelSecrets(doc);
      const taken = new Set(top.keys());
      // The document's scalars with their texts, for the copies of a literal secret (read when one is moved).
      let scalarsRead: DocScalar[] | undefined;
      const scalars = (): DocScalar[] => (scalarsRead ??= docScalars(doc));
      // Variables whose value a compose secret now carries: a URL still holding one keeps it in an environment.
      const secretOfVar = new Map<string, string>();
      for (const [name, def] of top) if (def.environment) secretOfVar.set(def.environment, name);
      const infos = services(file, doc);
      const all = composeServices(file).filter((c) => c.doc === doc);
      // Entry key nodes that sit in some service's own environment mapping: that service's plan moves them.
      const ownedBySomeService = new Set<unknown>(infos.flatMap((i) => i.env.map((e) => e.keyNode)));
      const infoOf = new Map(infos.map((i) => [i.service, i]));
      let users: Map<unknown, ComposeService[]> | undefined;
      const usersOf = (): Map<unknown, ComposeService[]> => (users ??= envUsers(all));
      for (const svc of infos) {
        // Secret-looking entries this service inherits from a mapping that is not a service's own environment (an
        // `x-` anchor): changing the anchor would change every service using it.
        const ownEff = effectiveEnv(svc.service);
        const foreign: string[] = [];
        for (const [k, node] of ownEff.entries) if (!ownedBySomeService.has(node) && isSecretName(k, names)) foreign.push(k);
        if (foreign.length) {
          const how = ownEff.via === 'alias' ? 'a YAML alias' : 'a YAML merge key';
          report({ range: svc.keyRange, message: `service ${svc.name} gets ${foreign.join(', ')} from ${how}; move ${foreign.length > 1 ? 'them' : 'it'} to secrets by hand (changing the anchor would change every service using it)` });
        }
        const existingNames = new Set(svc.env.map((e) => e.name));
        const planned: Planned[] = [];
        const add: NewSecret[] = [];
        const sideEffects: SideEffect[] = [];
        const redact: SecretValue[] = [];
        const listed = new Set(listedSecrets(getPair(svc.node, 'secrets')?.value));
        for (const entry of svc.env) {
          if (!isSecretName(entry.name, names)) continue;
          const v = entry.value;
          if (v.kind === 'literal' && notASecretValue(v.value)) continue;
          if (v.kind === 'complex') {
            report({ range: entry.range, message: `${entry.name} of service ${svc.name} looks like a secret inside a larger value; move it to a secret by hand` });
            continue;
          }
          const target = targetFor(svc, entry.name);
          if ('manual' in target) {
            report({ range: entry.range, message: target.manual, data: { service: svc.name, variable: entry.name } });
            continue;
          }
          if (existingNames.has(target.fileVar)) {
            report({ range: entry.range, message: `service ${svc.name} sets both ${entry.name} and ${target.fileVar}; remove ${entry.name} by hand` });
            continue;
          }
          if (ownEff.entries.has(target.fileVar)) {
            report({ range: entry.range, message: `service ${svc.name} sets both ${entry.name} and ${target.fileVar} (through a merge key); remove ${entry.name} by hand` });
            continue;
          }
          if (shadows(ownEff, svc, entry.name)) {
            report({
              range: entry.range,
              message: `${entry.name} of service ${svc.name} is not moved: its environment merges an anchor that sets ${entry.name} too, so renaming it here would let the anchor's ${entry.name} through next to ${target.fileVar}. Move it in the anchor and every service using it by hand.`,
              data: { service: svc.name, variable: entry.name },
            });
            continue;
          }
          const needs = heirsOf(file, usersOf, infoOf, svc, entry, target.fileVar);
          const refusals = needs.flatMap((n) => ('refuse' in n ? [n.refuse] : []));
          if (refusals.length) {
            report({
              range: entry.range,
              message: `${entry.name} of service ${svc.name} is not moved: ${refusals.join('; ')}. Move it to a secret in every service using that environment by hand.`,
              data: { service: svc.name, variable: entry.name },
            });
            continue;
          }
          const heirs = needs.flatMap((n) => ('heir' in n ? [n] : []));
          if (v.kind === 'literal' && !dir) {
            report({ range: entry.range, message: `${entry.name} of service ${svc.name} holds a literal secret; move it to a secret file by hand (no directory to write it to). If this file is committed, rotate it.` });
            continue;
          }
          if (v.kind === 'literal') {
            const copies = sharedCopies(scalars(), v.value, [entry.keyNode, entry.valueNode], names);
            if (copies.length) {
              report({
                range: entry.range,
                message: `${entry.name} of service ${svc.name} holds a literal secret that is also written in ${copies.join(', ')}: moving only this copy to a file splits values that must stay equal. Put the value in one variable (or one secret file) that every copy reads, by hand. If this file is committed, rotate it.`,
                data: { service: svc.name, variable: entry.name },
              });
              continue;
            }
            let secret = secretNameFor(entry.name);
            if (taken.has(secret)) secret = secretNameFor(`${svc.name}_${entry.name}`);
            for (let i = 2; taken.has(secret); i++) secret = secretNameFor(`${svc.name}_${entry.name}_${i}`);
            taken.add(secret);
            add.push({ name: secret, def: { file: `./${SECRETS_DIR}/${secret}` } });
            const absPath = join(dir as string, SECRETS_DIR, secret);
            sideEffects.push({ kind: 'write-secret-file', absPath, value: new SecretValue(v.value), mode: SECRET_FILE_MODE });
            sideEffects.push({ kind: 'gitignore-entry', absPath: join(dir as string, '.gitignore'), entry: `${SECRETS_DIR}/` });
            planned.push({ entry, fileVar: target.fileVar, secret, source: 'literal', droppedDefault: false, heirs });
          } else {
            const variable = v.kind === 'variable' ? v.name : entry.name;
            // compose-require-secret-vars writes `${V:?V must be set}` in place of a default earlier in the same run:
            // that is still a default existing deployments depend on.
            const hardenRequired = v.kind === 'variable' && v.required === `${variable} must be set`;
            if (v.kind === 'variable' && (v.hasDefault || hardenRequired) && !documentedIn(file, ctx.answers, variable)) {
              // Compose refuses to start a container whose secret's variable is unset (`environment variable "X"
              // required by secret "x" is not set`), and such a secret has no default.
              report({
                range: entry.range,
                message: `${entry.name} of service ${svc.name} is set from \${${variable}} with a default, and no documented env file (.env, .env.example, .env.dist, .env.sample) sets ${variable}: a secret read from a variable has no default, and Compose refuses to start the service while ${variable} is unset, so a deployment that never set it would stop starting (and its data was initialised with the default). Set ${variable} in the documented env (then harden moves it), or move it by hand.`,
                data: { service: svc.name, variable: entry.name },
              });
              continue;
            }
            let secret = secretNameFor(variable);
            const def = top.get(secret);
            const mine = add.find((a) => a.name === secret);
            if (!mine && !(def && def.environment === variable) && !composeAtLeast(ctx.global, '2.23')) {
              // `secrets: NAME: environment: VAR` is Compose 2.23+ syntax: older Compose rejects the whole file.
              report({
                range: entry.range,
                message: `${entry.name} of service ${svc.name} comes from \${${variable}}: a secret from a variable needs \`secrets: ${secret}: environment: ${variable}\`, which Compose ${ctx.global.composeVersion ?? ''} (composeVersion) cannot read (Compose 2.23 and later can); left in the environment. Move it to a secret file by hand, or target a newer Compose.`,
                data: { service: svc.name, variable: entry.name },
              });
              continue;
            }
            if (readOnlyRoot(svc.node)) {
              // Compose copies a secret defined from a variable into the container when it creates it; a read-only root
              // filesystem refuses the copy (`container rootfs is marked read-only`), so the service would not start.
              report({
                range: entry.range,
                message: `${entry.name} of service ${svc.name} comes from \${${variable}}, and the service runs with \`read_only: true\`: Compose copies a secret from a variable (\`secrets: ${secret}: environment: ${variable}\`) into the container's /run/secrets when it creates it, which a read-only root filesystem refuses (\`container rootfs is marked read-only\`); left in the environment. Move it to a secret file (\`file:\`, which Compose mounts) by hand.`,
                data: { service: svc.name, variable: entry.name },
              });
              continue;
            }
            if (mine || (def && def.environment === variable)) {
              // already defined with the same source: reuse it
            } else {
              if (taken.has(secret)) secret = secretNameFor(`${svc.name}_${variable}`);
              for (let i = 2; taken.has(secret) && top.get(secret)?.environment !== variable; i++) secret = secretNameFor(`${svc.name}_${variable}_${i}`);
              if (!taken.has(secret)) {
                taken.add(secret);
                add.push({ name: secret, def: { environment: variable } });
              }
            }
            planned.push({ entry, fileVar: target.fileVar, secret, source: 'variable', variable, droppedDefault: v.kind === 'variable' && v.hasDefault, heirs });
            if (v.kind === 'variable' && v.default) redact.push(new SecretValue(v.default));
          }
        }
        if (!planned.length) continue;
        const edits: Edit[] = planned.flatMap((p) => entryEdits(file, p));
        // Services that inherit a moved entry through an anchor get the secret in their own list too.
        const heirNames = new Map<ServiceInfo, Set<string>>();
        for (const p of planned) for (const h of p.heirs ?? []) if (h.list) heirNames.set(h.heir, (heirNames.get(h.heir) ?? new Set()).add(p.secret));
        let heirFailed = false;
        for (const [heir, set] of heirNames) {
          const have = new Set(listedSecrets(getPair(heir.node, 'secrets')?.value));
          const missing = [...set].filter((n) => !have.has(n));
          if (!missing.length) continue;
          const e = serviceListEdit(file, heir, missing);
          if (!e) heirFailed = true;
          else edits.push(e);
        }
        if (heirFailed) {
          report({ range: svc.keyRange, message: `service ${svc.name}: a service sharing its environment has a secrets: list harden does not edit; move ${planned.map((p) => p.entry.name).join(', ')} to secrets by hand` });
          continue;
        }
        const newListed = [...new Set(planned.map((p) => p.secret))].filter((s) => !listed.has(s));
        if (newListed.length) {
          const e = serviceListEdit(file, svc, newListed);
          if (!e) {
            report({ range: svc.keyRange, message: `service ${svc.name}: its secrets: list has a form harden does not edit; move ${planned.map((p) => p.entry.name).join(', ')} to secrets by hand` });
            continue;
          }
          edits.push(e);
        }
        if (add.length) {
          const e = topLevelEdit(file, doc, add);
          if (!e) {
            report({ range: svc.keyRange, message: `the top-level secrets: has a form harden does not edit; move ${planned.map((p) => p.entry.name).join(', ')} to secrets by hand` });
            continue;
          }
          const same = edits.find((x) => x.start === e.start && x.end === e.start && e.end === e.start);
          if (same && !(same.adds && e.adds && !/^\r?\n/.test(e.text))) {
            // Both insertions at the end of the file: the service's list first, then the top-level secrets.
            // Entries of two mappings as one edit, which others' entries there wait for: when one does not say where it
            // adds, or the file has no final newline (the second would repeat the first line break). Else they stay
            // apart: the engine puts the service's first, then other codemods' entries, then the root's.
            edits.splice(edits.indexOf(same), 1, { start: same.start, end: same.end, text: same.text + (same.text.endsWith('\n') ? e.text.replace(/^\r?\n/, '') : e.text) });
          } else edits.push(e);
        }
        const parts = planned.map((p) => {
          const to = `${p.fileVar} (secret ${p.secret}`;
          if (p.source === 'literal') return `${p.entry.name} → ${to}, value ${ctx.global.write ? 'written' : 'to be written with --write'} to ./${SECRETS_DIR}/${p.secret}, mode 0644 in a 0700 directory)`;
          return `${p.entry.name} → ${to} from \${${p.variable}}${p.droppedDefault ? `, default dropped: set ${p.variable}` : ''})`;
        });
        const rotate = planned.some((p) => p.source === 'literal' || p.droppedDefault)
          ? ' A secret value was written in this file: if it is committed, rotate it.'
          : '';
        const heirList = [...new Set(planned.flatMap((p) => (p.heirs ?? []).map((h) => h.heir.name)))];
        const inherit = heirList.length
          ? ` ${heirList.length > 1 ? 'Services' : 'Service'} ${heirList.join(', ')} ${heirList.length > 1 ? 'get' : 'gets'} this environment through an anchor: ${heirList.length > 1 ? 'they get' : 'it gets'} the secret too.`
          : '';
        const user = scalarText(lookupAll(svc.service, 'user')[0]?.value);
        const readable = planned.some((p) => p.source === 'literal')
          ? ` Compose bind-mounts a file secret with the host file's owner and mode (uid/gid/mode are ignored outside swarm), so the file is world-readable for whichever user the container runs as${user ? ` (user: ${user})` : ''}; its directory keeps other host users out.`
          : '';
        const built = svc.hasBuild ? ' The code built here must read the _FILE variable (source-read-secret-files).' : '';
        const fromVariables = planned.filter((p) => p.source === 'variable');
        const copiedTo = fromVariables.length ? [svc.name, ...new Set(fromVariables.flatMap((p) => (p.heirs ?? []).map((h) => h.heir.name)))] : [];
        const fix: Fix = {
          title: `move ${planned.map((p) => p.entry.name).join(', ')} of ${svc.name} to compose secrets`,
          safety: 'unsafe',
          edits,
          ...(sideEffects.length ? { sideEffects } : {}),
          ...(redact.length ? { redact } : {}),
          // A secret from a variable is copied into the containers, which a read-only root refuses (see readOnlyRoot).
          ...(copiedTo.length ? { claims: copiedTo.map(readOnlyRootClaim) } : {}),
        };
        const finding: Report = {
          range: planned[0]?.entry.range ?? svc.keyRange,
          message: `service ${svc.name} passes secrets in its environment: ${parts.join('; ')}.${inherit}${readable}${rotate}${built}`,
          data: { service: svc.name, variables: planned.map((p) => p.entry.name), secrets: planned.map((p) => p.secret) },
          fix,
        };
        report(finding);
        for (const p of planned) if (p.variable) secretOfVar.set(p.variable, p.secret);
      }
      // Every scalar with a text, in order (the visits themselves: no object per scalar), and the one before it.
      let prevPath: readonly (string | number)[] | undefined;
      let prevText: string | undefined;
      walkScalars(doc, (s) => {
        const text = scalarText(s.node);
        if (text === undefined) return;
        const beforePath = prevPath;
        const beforeText = prevText;
        prevPath = s.path;
        prevText = text;
        const key = s.path[2];
        if (s.path[0] === 'services' && (key === 'command' || key === 'entrypoint')) {
          const last = s.path[s.path.length - 1];
          const prevItem = typeof last === 'number' && beforePath && beforePath.length === s.path.length && beforePath[s.path.length - 1] === last - 1 ? beforeText : undefined;
          for (const m of text.matchAll(/[^\s=]+/g)) {
            const start = m.index ?? 0;
            if (!afterPasswordFlag(text, start, prevItem)) continue;
            const arg = m[0].replace(/^['"]+|['"]+$/g, '');
            // `$(cat /run/secrets/x)` already reads a file; `$$VAR` is the container's variable, `${VAR}` compose's.
            if (arg === '' || arg.startsWith('$(') || arg.startsWith('`')) continue;
            const variable = /^\$\$?\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(arg)?.[1];
            const shown = arg.startsWith('$$') ? `the container's $${variable ?? ''}` : `\${${variable ?? ''}}`;
            report({
              range: rangeOf(s.node),
              message: variable
                ? `${whereOf(s)} passes ${shown} as a password on the command line: it shows in \`docker inspect\` and the container's process list. Give the program a config file or a wrapper that reads /run/secrets/<name> instead, by hand.`
                : `${whereOf(s)} holds a literal password on the command line: it is written in the compose file and shows in \`docker inspect\` and the process list. Pass it from a secret file (a config file or a wrapper reading /run/secrets/<name>), by hand; if this file is committed, rotate it.`,
              ...(variable ? { data: { variable } } : {}),
            });
          }
        }
        for (const c of urlCredentials(text)) {
          const variable = passwordVariable(c);
          const secret = variable !== undefined ? secretOfVar.get(variable) : undefined;
          if (secret !== undefined) {
            report({
              range: rangeOf(s.node),
              message: `${whereOf(s)} still holds the password of secret ${secret} (\${${variable}}) inside a URL (${maskedUrl(c)}): the value stays in this container's environment. Have the application build the URL from /run/secrets/${secret}, or read the whole URL from a secret file.`,
              data: { secret, variable },
            });
          } else if (passwordIsLiteral(c)) {
            report({
              range: rangeOf(s.node),
              message: `${whereOf(s)} holds a password inside a URL (${maskedUrl(c)}): it is written in the compose file and passed in the container's environment. Take it from a variable or a secret file the application reads, by hand; if this file is committed, rotate it.`,
            });
          }
        }
      });
    }
  },
});

/** Whether the service's own mapping sets `read_only: true`. */
function readOnlyRoot(node: YAMLMap): boolean {
  const v = node.items.find((p) => isScalar(p.key) && p.key.value === 'read_only')?.value;
  return isScalar(v) && (v.value === true || String(v.value).toLowerCase() === 'true');
}
