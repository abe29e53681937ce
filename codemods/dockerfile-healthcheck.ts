/**
 * dockerfile-healthcheck: the final stage of a service image has no HEALTHCHECK and no compose service building it
 * declares a `healthcheck:` → a finding. Build and tool images (no EXPOSE, no long-running CMD/ENTRYPOINT) are skipped.
 */
import { defineCodemod } from '../src/engine/define.js';
import { PRODUCTION_ONLY } from '../src/engine/roles.js';
import { dirname, join } from 'node:path';
import { isOk } from '../src/engine/lookups.js';
import { parseCompose } from '../src/engine/parse.js';
import type { LookupKey, ParsedCompose, ParsedDockerfile, ProjectView } from '../src/engine/types.js';
import { composeFilesBuilding } from '../src/compose/images.js';
import { services as composeServices, lookup } from '../src/compose/services.js';
import { services as buildServices } from '../src/secrets/compose.js';
import { detectDistro } from '../src/dockerfile/distro.js';
import { stageBaseImage } from '../src/dockerfile/images.js';
import { shortRepository } from '../src/images/reference.js';
import { execForm, staged } from '../src/dockerfile/instructions.js';
import { derived } from '../src/engine/derive.js';

const MANUAL = { title: 'add a HEALTHCHECK by hand', safety: 'manual' as const, edits: [] };
const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];

/** Programs that run until stopped: servers, workers, supervisors. */
const SERVERS = new Set([
  'gunicorn', 'uvicorn', 'hypercorn', 'daphne', 'waitress-serve', 'celery', 'nginx', 'httpd', 'apache2-foreground', 'apache2ctl',
  'php-fpm', 'caddy', 'traefik', 'haproxy', 'envoy', 'puma', 'unicorn', 'thin', 'passenger', 'rails', 'supervisord', 'redis-server',
  'postgres', 'mongod', 'mysqld', 'memcached', 'rabbitmq-server', 'catalina.sh', 'jetty', 'streamlit', 'flask', 'next', 'serve',
  'pm2-runtime', 'http-server', 'sidekiq', 'temporal', 'consul', 'vault', 'nomad', 'prometheus', 'grafana-server', 'node-red',
]);
/** Base images that are services by themselves (their own CMD runs a server). */
const SERVICE_IMAGES = new Set([
  'nginx', 'httpd', 'postgres', 'redis', 'mysql', 'mariadb', 'mongo', 'rabbitmq', 'caddy', 'traefik', 'haproxy', 'tomcat',
  'wordpress', 'nextcloud', 'ghost', 'elasticsearch', 'memcached', 'nginxinc/nginx-unprivileged', 'grafana/grafana', 'prom/prometheus',
]);

function isServerCommand(words: readonly string[]): boolean {
  const w = words.map((x) => x.split('/').pop() ?? x);
  const first = w[0] ?? '';
  if (SERVERS.has(first)) return true;
  if (/^(npm|yarn|pnpm|bun)$/.test(first) && /^(start|serve|run)$/.test(w[1] ?? '') && (w[1] !== 'run' || /^(start|serve|prod)/.test(w[2] ?? ''))) return true;
  if (first === 'java' && w.includes('-jar')) return true;
  if (first === 'dotnet' && /\.dll$/.test(w[1] ?? '')) return true;
  if (/^(python[0-9.]*|node|deno|bun)$/.test(first) && words.some((x) => /(server|app|main|manage)\.(py|js|mjs|ts)$|runserver|-m\s*(uvicorn|gunicorn|http\.server)/.test(x))) return true;
  return false;
}

/**
 * Compose files that may build this Dockerfile: those of the run with a service building it (an index, so the cost
 * does not grow with the run), and compose files on disk next to it or one level up that are not part of the run.
 */
function composeFiles(file: ParsedDockerfile, project: ProjectView, read: (abs: string) => string | undefined): ParsedCompose[] {
  if (!file.absPath) return [];
  const out: ParsedCompose[] = [...composeFilesBuilding(project.files, file.absPath)];
  for (const abs of candidatePaths(file)) {
    if (project.byAbsPath(abs) !== undefined) continue;
    const text = read(abs);
    if (text === undefined) continue;
    try {
      out.push(parseCompose(abs, abs, text));
    } catch {
      // not a usable compose file
    }
  }
  return out;
}

/** The compose files next to the Dockerfile and one level up, in that order: once per parse (every lookup round and the run ask). */
const candidatePaths = derived((file: ParsedDockerfile): readonly string[] => {
  if (!file.absPath) return [];
  return [dirname(file.absPath), dirname(dirname(file.absPath))].flatMap((d) => COMPOSE_NAMES.map((n) => join(d, n)));
});

export const dockerfileHealthcheck = defineCodemod({
  id: 'dockerfile-healthcheck',
  fileKinds: ['dockerfile'],
  summary: 'Report service images without a HEALTHCHECK (in the Dockerfile or the compose service building it).',
  safety: 'manual',
  roles: PRODUCTION_ONLY,
  severity: 'info',
  sources: ['hadolint:DL3057'],
  docs: `## What it does
Reports the final stage of a service image that has no \`HEALTHCHECK\` (its own or one inherited from the stage it is
built \`FROM\`; \`HEALTHCHECK NONE\` counts as a decision) when no compose service building this Dockerfile declares a
\`healthcheck:\` either. Compose files are those of the same run and \`compose.yaml\` / \`docker-compose.yml\` (and the
\`.yml\`/\`.yaml\` variants) next to the Dockerfile or one directory up; \`build.dockerfile\` and \`build.context\` are
followed, and \`healthcheck:\` is found through YAML merge keys and \`extends\`.

A service image is one that \`EXPOSE\`s a port, or whose CMD/ENTRYPOINT runs a server (gunicorn, uvicorn, nginx, php-fpm,
\`npm start\`, \`java -jar\`, \`node server.js\`…), or whose base image is a server (nginx, postgres, redis…) with its CMD
kept. Build and tool images (no EXPOSE, no long-running command) are skipped.

## Why
Without a health check, Docker and compose only know whether the process exists: a server that deadlocks, loses its
database or stops answering stays "running", \`depends_on: condition: service_healthy\` cannot work, and orchestrators
keep routing traffic to it. hadolint's DL3057 asks for HEALTHCHECK on every image, tools included; this one only asks
where something can be probed, and accepts a compose healthcheck instead.

## Example
\`\`\`dockerfile
FROM node:20-alpine
COPY . .
EXPOSE 3000
CMD ["node", "server.js"]
\`\`\`
is reported; for instance \`HEALTHCHECK --interval=30s --timeout=3s CMD wget -q --spider http://127.0.0.1:3000/health || exit 1\`
would settle it (curl on Debian-based images if installed; distroless and scratch images need a probe built into the
application, since there is no shell).

## Fix safety
Manual: the probe (endpoint, command available in the image, timings) depends on the application.
`,
  lookups(file) {
    return candidatePaths(file).map((path): LookupKey => ({ kind: 'file', path }));
  },
  run(ctx) {
    const file = ctx.file;
    const sf = staged(file);
    if (sf.stages.length === 0) return;
    const final = sf.stages.length - 1;
    const chain = sf.chain(final);
    if (chain.some((i) => i.kw === 'HEALTHCHECK')) return;
    const own = sf.of(final);
    const fromIns = own[0];
    if (!fromIns) return;
    const base = stageBaseImage(file, final);
    const expose = chain.filter((i) => i.kw === 'EXPOSE').flatMap((i) => (i.ins.getArgumentsContent() ?? '').trim().split(/\s+/)).filter(Boolean);
    let entrypoint: string[] | null = null;
    let cmd: string[] | null = null;
    for (const i of chain) {
      if (i.kw !== 'CMD' && i.kw !== 'ENTRYPOINT') continue;
      const words = execForm(file, i.ins) ?? (i.ins.getArgumentsContent() ?? '').trim().split(/\s+/);
      if (i.kw === 'ENTRYPOINT') {
        entrypoint = words;
        cmd = null;
      } else cmd = words;
    }
    const start = [...(entrypoint ?? []), ...(cmd ?? [])];
    const service =
      expose.length > 0 ||
      (start.length > 0 && (isServerCommand(start) || isServerCommand(cmd ?? []) || (start[0] === 'sh' || start[0] === '/bin/sh' ? isServerCommand((start[2] ?? '').split(/\s+/)) : false))) ||
      (entrypoint === null && cmd === null && SERVICE_IMAGES.has(base.kind === 'image' ? shortRepository(base.ref).name : ''));
    if (!service) return;

    // A compose service building this Dockerfile with a healthcheck settles it.
    const read = (abs: string) => {
      const a = ctx.answers.get({ kind: 'file', path: abs });
      return isOk(a) && a.ok.exists ? a.ok.text : undefined;
    };
    if (file.absPath) {
      for (const cf of composeFiles(file, ctx.project, read)) {
        const named = new Map(composeServices(cf).map((s) => [s.name, s]));
        for (const doc of cf.docs) {
          for (const b of buildServices(cf, doc)) {
            if (!b.build || b.build.dockerfile !== file.absPath) continue;
            const svc = named.get(b.name);
            if (svc && lookup(svc, 'healthcheck')) return;
          }
        }
      }
    }
    const distro = base.kind === 'scratch' ? detectDistro('scratch') : base.kind === 'image' ? detectDistro(base.ref) : detectDistro('');
    const port = expose.map((p) => p.split('/')[0]).find((p) => /^\d+$/.test(p ?? ''));
    const url = `http://127.0.0.1:${port ?? '<port>'}/`;
    const probe = distro.family === 'windows'
      ? `e.g. HEALTHCHECK CMD powershell -Command "try { Invoke-WebRequest ${url} -UseBasicParsing } catch { exit 1 }"`
      : !distro.hasShell
      ? 'a probe built into the application (this image has no shell or curl), e.g. HEALTHCHECK CMD ["/app", "healthcheck"]'
      : distro.family === 'alpine' || distro.family === 'busybox'
        ? `e.g. HEALTHCHECK CMD wget -q --spider ${url} || exit 1`
        : `e.g. HEALTHCHECK CMD curl -fsS ${url} || exit 1 (if curl is installed)`;
    ctx.report({
      range: fromIns.range,
      message: `service image${port ? ` (port ${port})` : ''} without HEALTHCHECK, and no compose service building it declares a healthcheck: a hung process still counts as running; add one: ${probe}`,
      fix: MANUAL,
      ...(port ? { data: { port } } : {}),
    });
  },
});
