/**
 * compose-require-secret-vars: `${PASSWORD:-changeme}` → `${PASSWORD:?PASSWORD must be set}` for secret-looking
 * variables, so a weak default secret never ships inside the compose file.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { fix } from '../src/engine/edits.js';
import { SecretValue } from '../src/engine/redacted.js';
import { documentedEnvKeys, documentedIn, notASecretValue } from '../src/compose/documented-env.js';
import { afterPasswordFlag, looksSecret, parseInterpolation, rangeOf, scalarText, spliceScalar, valueOffsets, walkScalars, type ScalarVisit } from '../src/compose/index.js';
import { decodedPassword, maskedUrl, passwordIsLiteral, urlCredentials } from '../src/secrets/urls.js';

/**
 * Whether a default ends in literal text somewhere: `admin`, `` (empty), `${OTHER:-admin}`; not `${OTHER}` alone
 * (a deliberate fallback to another variable).
 */
function hasLiteralDefault(arg: string, depth = 0): boolean {
  const { refs } = parseInterpolation(arg);
  let rest = arg;
  for (const r of [...refs].reverse()) rest = rest.slice(0, r.start) + rest.slice(r.end);
  if (rest !== '' || refs.length === 0) return true;
  return depth < 10 && refs.some((r) => (r.op === ':-' || r.op === '-') && hasLiteralDefault(r.arg ?? '', depth + 1));
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export const composeRequireSecretVars = defineCodemod({
  id: 'compose-require-secret-vars',
  fileKinds: ['compose'],
  summary: 'Secret-looking `${VAR:-default}` interpolations become `${VAR:?VAR must be set}`: no default secret in the file.',
  safety: 'unsafe',
  roles: PRODUCTION_ONLY,
  severity: 'warning',
  sources: ['seed:001', 'compose-lint:CL-0020', 'kics:passwords-and-secrets-generic'],
  securitySeverity: 7.0,
  defaultOptions: { patterns: [], ignore: [] },
  optionsSchema: { type: 'object', additionalProperties: false, properties: { patterns: { type: 'array', items: { type: 'string' }, description: 'Extra glob patterns (`*` only, case-insensitive, whole name) of secret names.' }, ignore: { type: 'array', items: { type: 'string' }, description: 'Glob patterns of names never treated as secrets; wins over everything.' } } },
  docs: `## What it does
Finds compose interpolations with a default value, \`\${VAR:-default}\` and \`\${VAR-default}\`, where the variable name
or the environment variable it is assigned to looks like a secret, and makes the variable required instead:
\`\${VAR:?VAR must be set}\`. Every scalar value of the file is checked (environment in map form \`KEY: value\` and list
form \`- KEY=value\`, build \`args\`, \`command\`, extension fields, anchors), whatever its quoting.

A value is also a secret when it is the argument of a password flag in a command, whatever the variable is called:
\`--requirepass \${REDIS_PW:-…}\`, \`--masterauth=…\`, \`["--password", "\${DB_PW:-…}"]\` (flags ending in requirepass, masterauth,
password, passwd, pass, pwd, secret, token, apikey, api-key, access-key, secret-key, auth; numeric defaults are left alone).

A name looks like a secret when one of its words (split at \`_\`, \`-\`, \`.\` and camelCase) is PASSWORD, PASSWD, PASS,
PWD, PASSPHRASE, SECRET, TOKEN, CREDENTIAL(S), APIKEY, ACCESSKEY, SECRETKEY, PRIVATEKEY, SALT; or it ends with the word AUTH
(\`REDIS_AUTH\`); or it has API/ACCESS/PRIVATE/
SECRET/SIGNING/ENCRYPTION/MASTER/AUTH/LICENSE followed by KEY, or ends with the word KEY (\`APP_KEY\`). Not secrets:
names whose last word is FILE, PATH, DIR, URL, URI, ENDPOINT, HOST, PORT, USER, USERNAME, NAME, ID, LENGTH, TTL,
EXPIRY, EXPIRES, ENABLED, REQUIRED, HEADER, TYPE, ALGORITHM, POLICY, METHOD, FORMAT, PREFIX, TIMEOUT… (so
\`*_PASSWORD_FILE\`, \`*_TOKEN_URL\`, \`AWS_ACCESS_KEY_ID\` are left alone), names with the words PUBLIC, ALLOW, RANDOM,
ONETIME, EMPTY (\`*_PUBLIC_KEY\`, \`MYSQL_RANDOM_ROOT_PASSWORD\`), and words merely containing a keyword
(\`KEYCLOAK_URL\`, \`PASSPORT\`, \`BYPASS\`).

Left alone: defaults made only of other variables without defaults of their own (\`\${DB_PASSWORD:-\${POSTGRES_PASSWORD}}\`, a
deliberate fallback; \`\${A_PASSWORD:-\${DEFAULT:-admin}}\` still ends in a literal and is rewritten as a whole),
\`\${VAR:?…}\`, \`\${VAR}\` and \`\${VAR:+…}\`. Messages never print the default value (it may be a real secret).

## Why
A default secret is a secret committed to the repository, and the one a deployment silently gets when someone forgets
to set the variable (\`\${GRAFANA_PASSWORD:-admin}\` runs Grafana with \`admin\`). With \`:?\`, \`docker compose\` refuses
to start until the variable is set.

## Example
\`\`\`yaml
services:
  grafana:
    environment:
      GF_SECURITY_ADMIN_PASSWORD: \${GRAFANA_PASSWORD:-admin}
\`\`\`
becomes
\`\`\`yaml
services:
  grafana:
    environment:
      GF_SECURITY_ADMIN_PASSWORD: \${GRAFANA_PASSWORD:?GRAFANA_PASSWORD must be set}
\`\`\`

## Fix safety
Unsafe, always. A literal default secret is a value existing deployments depend on: every deployment that never set
the variable runs with the default, and what it stored (a database initialised with that password, sessions signed
with that key, a Grafana admin created with it) was made with it. Requiring the variable makes \`docker compose\`
refuse to start such a deployment until it sets the variable to the value it uses; the message says so. That one of
the env files the project documents next to the compose file (\`.env\`, \`.env.example\`, \`.env.dist\`,
\`.env.sample\`) gives the variable a value is named in the message (\`docker compose config\` with that env still
accepts the file), but does not make the fix safe: a deployment's own \`.env\` need not have copied that line (a
\`.env.example\` saying \`GRAFANA_ADMIN_PASSWORD=rc-admin\` documents the very default the fix removes). Only the
interpolation's characters change, in the scalar's own quoting. A URL of the file whose literal password is the same
default (\`DATABASE_URL: \${DATABASE_URL:-postgresql://app:apppass@db/app}\` beside \`\${POSTGRES_PASSWORD:-apppass}\`)
is named in the message (masked) and left unchanged: a deployment that sets the variable to another value must change
it too. \`\${VAR-default}\` (default only when unset) also
becomes \`:?\`, which rejects an empty value too.

Not touched, because they are not default secrets: empty defaults (\`\${AWS_SESSION_TOKEN:-}\`, an optional feature),
paths (\`\${REDIS_TLS_KEY:-/certs/redis.key}\`), URLs without credentials, booleans and mode words (\`true\`, \`none\`,
\`login\`).
`,
  lookups(file) {
    return documentedEnvKeys(file);
  },
  run(ctx) {
    const file = ctx.file;
    const opts = { patterns: list(ctx.options.patterns), ignore: list(ctx.options.ignore) };
    // Every default this codemod reports is a `${NAME:-…}` / `${NAME-…}` of a value. A value can only hold `${` when
    // the text does, or through a double-quoted escape (`\x24`, an escaped line break…), which needs a backslash:
    // a file with neither has nothing to report.
    if (!file.text.includes('${') && !file.text.includes('\\')) return;
    for (const doc of file.docs) {
      // URLs with a literal password (also inside another variable's default): a default secret they repeat must
      // change with the variable, which the message says (they are not changed). Read when a default is reported.
      let urlsRead: { where: string; url: string; password: string }[] | undefined;
      const urls = (): { where: string; url: string; password: string }[] => {
        if (urlsRead) return urlsRead;
        const found: { where: string; url: string; password: string }[] = [];
        walkScalars(doc, ({ node, env, path }) => {
          const text = scalarText(node);
          if (text === undefined || !text.includes('://')) return;
          for (const c of urlCredentials(text)) {
            if (!passwordIsLiteral(c)) continue;
            const svc = path[0] === 'services' && path[1] !== undefined ? ` of service ${String(path[1])}` : '';
            found.push({ where: `\`${env?.name ?? path.map(String).join('.')}\`${svc}`, url: maskedUrl(c), password: decodedPassword(c) });
          }
        });
        return (urlsRead = found);
      };
      let previous: ScalarVisit | undefined;
      walkScalars(doc, (visit) => {
        const { node, env, path } = visit;
        const before = previous;
        previous = visit;
        const value = scalarText(node);
        // Most values hold no variable: nothing to read, not even the list item before them.
        if (value === undefined || !value.includes('$')) return;
        // The item before this one in the same list (`command: ["--requirepass", "${X:-…}"]`).
        const last = path[path.length - 1];
        const prevItem = typeof last === 'number' && before && before.path.length === path.length && before.path[path.length - 1] === last - 1 && before.path.slice(0, -1).every((k, i) => k === path[i]) ? scalarText(before.node) : undefined;
        const { refs } = parseInterpolation(value);
        for (const ref of refs) {
          if (ref.op !== ':-' && ref.op !== '-') continue;
          if (env && ref.start < env.valueStart) continue;
          const envSecret = env !== undefined && looksSecret(env.name, opts);
          // A password flag's argument is a secret whatever the variable is called (`--requirepass ${REDIS_PW:-…}`).
          const flagSecret = !env && afterPasswordFlag(value, ref.start, prevItem) && !/^\d+$/.test((ref.arg ?? '').trim());
          if (!looksSecret(ref.name, opts) && !envSecret && !flagSecret) continue;
          if (!hasLiteralDefault(ref.arg ?? '')) continue;
          if (notASecretValue(ref.arg ?? '')) continue;
          const documented = documentedIn(file, ctx.answers, ref.name);
          const required = `\${${ref.name}:?${ref.name} must be set}`;
          const map = valueOffsets(file, node);
          const range = map ? { start: map(ref.start), end: map(ref.end) } : rangeOf(node);
          const where = env ? `\`${env.name}\` is set from` : 'This value uses';
          const edit = spliceScalar(file, node, ref.start, ref.end, required);
          const existing = `Existing deployments that never set ${ref.name} run with this default, and data they created (a database's stored password, signed sessions, encrypted values) was initialised with it: set ${ref.name} to the value they use before upgrading.`;
          const same = [...new Map(urls().filter((u) => u.password === ref.arg).map((u) => [`${u.where} ${u.url}`, u])).values()];
          const repeated = same.length
            ? ` ${same.map((u) => `${u.where} (${u.url})`).join(', ')} ${same.length > 1 ? 'hold' : 'holds'} the same value inside a URL, unchanged: a deployment that sets ${ref.name} to another value must change ${same.length > 1 ? 'them' : 'it'} too.`
            : '';
          const why = (documented
            ? ` ${documented} defines it, so \`docker compose config\` with the project's documented env still works. ${existing}`
            : ` ${existing}`) + repeated;
          ctx.report({
            range,
            message: `${where} \`\${${ref.name}}\` with a default value, and ${looksSecret(ref.name, opts) || envSecret ? 'the name looks like a secret' : 'it is the argument of a password flag'}: a default secret ships with the file. Require the variable: \`${required}\`.${why}`,
            // The default dropped is a secret: printed diffs show it as ****.
            ...(edit ? { fix: { ...fix(`Require ${ref.name} to be set`, 'unsafe', [edit]), redact: [new SecretValue(ref.arg ?? '')] } } : {}),
            data: { variable: ref.name, ...(env ? { environment: env.name } : {}) },
          });
        }
      });
    }
  },
});
