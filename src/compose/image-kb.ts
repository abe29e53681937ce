/**
 * What harden knows about common official images, for the compose runtime-hardening codemods
 * (compose-read-only, compose-drop-capabilities, compose-resource-limits, compose-healthcheck).
 *
 * One entry per image, keyed by repository (as normalised by `imageRepository`: `nginx`, `docker.io/library/nginx`
 * and `library/nginx` are all `nginx`), with variants matched on tag families (`alpine`, major versions…). Every fact
 * here is what the image's own Dockerfile and entrypoint do; `test/compose/image-kb.test.ts` checks the table's shape and
 * the matching, and docs/codemods/*.md render the table for users (see `knowledgeBaseTable`).
 *
 * What an entry says:
 * - `writable`: paths the image writes at run time that are not VOLUMEs (scratch: pid files, sockets, caches). With
 *   `read_only: true` they become `tmpfs:` mounts unless a volume is mounted there. `/tmp` is always added.
 * - `volumes`: the VOLUMEs the image declares; docker creates an anonymous volume there, so they stay writable.
 * - `data`: state that must survive restarts and is not a VOLUME of the image: a read-only root needs a volume there
 *   (a tmpfs would lose the data), so the codemod asks for one instead of guessing.
 * - `readOnly`: set when a read-only root is known not to work (the reason is reported instead of a fix).
 * - `capAdd`: capabilities to add back after `cap_drop: [ALL]` for the image's default entrypoint (root entrypoints that
 *   chown their data and switch user need CHOWN/SETUID/SETGID…; servers binding ports < 1024 need NET_BIND_SERVICE).
 * - `healthcheck`: a probe using a tool the image contains; `noHealthcheck` says why there is none.
 * - `family`: selects the default resource limits (see `FAMILY_RESOURCES`).
 *
 * Entries with `builtOn` (and no repositories) describe images built here (compose `build:`) rather than pulled: they
 * match a Dockerfile whose final stage starts from one of `bases` and copies files from a stage built on one of
 * `builders` (a Go binary on `scratch`). Other built images match the entry of their final stage's base image.
 */
import { shortRepository, splitRef } from '../images/reference.js';

export type Family = 'database' | 'cache' | 'queue' | 'search' | 'web' | 'proxy' | 'monitoring' | 'runtime';

export interface Healthcheck {
  /** `healthcheck.test`, e.g. ['CMD', 'pg_isready', …] or ['CMD-SHELL', '…']. `$$` is compose's escaped `$`. */
  test: readonly string[];
  /** What the probe checks, for findings and docs. */
  what: string;
  /** The port the probe talks to, when it is a network probe (checked against the service's published ports). */
  port?: number;
  /** Defaults: interval 10s, timeout 5s, retries 5; start_period per image (slow starters get more). */
  startPeriod?: string;
}

export interface KbFacts {
  family: Family;
  writable: readonly string[];
  volumes: readonly string[];
  data?: readonly string[];
  readOnly?: { ok: false; reason: string };
  /** Whether the image runs as root by default (its entrypoint may switch to another user). */
  runsAsRoot: boolean;
  capAdd: readonly string[];
  /** Ports the server listens on by default. */
  ports: readonly number[];
  healthcheck?: Healthcheck;
  noHealthcheck?: string;
  /** Whether the paths/capabilities depend on the application the image runs (runtime images): findings say so. */
  appDependent?: boolean;
  /** One line on anything users should know (shown in the docs table). */
  note?: string;
  /**
   * For servers that keep their whole data set in memory (redis, valkey): the command-line option that bounds it
   * (`--maxmemory`). Their memory use is the data they are given, not the server's defaults (redis bounds nothing by
   * default): a family memory limit is safe only when the service's command sets this option to at most half of it.
   */
  memoryBound?: string;
  /**
   * Set when the image's program gains privileges on exec when started by a non-root user (a setuid bit, a file
   * capability): no-new-privileges is then safe only while it runs as root. Says what gains them.
   */
  privilegeGain?: string;
  /**
   * The image (tag) a real run confirmed the entry on: test/verify/verify.e2e.test.ts runs a replica of it (the same users,
   * paths, VOLUMEs and entrypoint behaviour on Debian's packages; test/support/replicas) read-only with these tmpfs paths,
   * `cap_drop: [ALL]` plus these capabilities, the family's limits and this probe, and it stays healthy.
   */
  verified?: string | readonly string[];
  /** What the replica of a `verified` run is, when not the same build (e.g. Debian's package of the same server). */
  replica?: string;
  /**
   * The image a run checked the entry against a stand-in of (a small server written for the tests with the image's
   * users, paths, VOLUMEs and entrypoint behaviour, not the software itself): weaker than `verified`.
   */
  standIn?: string;
}

export interface KbVariant {
  /** Tag family, matched against the tag (`alpine`, `^5\.`, …). */
  tags: RegExp;
  /** How the family is named in findings: `nginx (alpine)`. */
  name: string;
  facts: Partial<KbFacts>;
}

export interface KbEntry extends KbFacts {
  /** The key of the entry, e.g. `nginx`. */
  id: string;
  /** Repositories it matches (normalised; see imageRepository). */
  repositories: readonly string[];
  /**
   * For images built here: the final stage's base (`scratch` or a repository) and the repository of a stage it copies
   * files from (`COPY --from=<stage>`). Variants match the base image's tag.
   */
  builtOn?: { bases: readonly string[]; builders: readonly string[] };
  /** How the docs table names the entry when it has no repositories. */
  label?: string;
  variants?: readonly KbVariant[];
}

/** A matched entry with its variant's facts applied. */
export interface KbMatch extends KbFacts {
  id: string;
  /** `nginx` or `nginx (alpine)`: for findings ("knowledge base entry nginx (alpine)"). */
  name: string;
  repository: string;
  tag: string | undefined;
}

const ROOT_DROPS_TO_USER = ['CHOWN', 'SETGID', 'SETUID'];

export const KNOWLEDGE_BASE: readonly KbEntry[] = [
  {
    id: 'caddy',
    repositories: ['caddy'],
    family: 'proxy',
    writable: [],
    volumes: ['/config', '/data'],
    runsAsRoot: true,
    // The caddy binary carries the file capability cap_net_bind_service: exec fails if it is not in the bounding set.
    capAdd: ['NET_BIND_SERVICE'],
    privilegeGain: 'the caddy binary carries the file capability cap_net_bind_service, which a non-root user gets only on exec',
    ports: [80, 443],
    noHealthcheck: 'what caddy serves depends on the Caddyfile; add a probe for a route you know',
  },
  {
    id: 'elasticsearch',
    repositories: ['elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch'],
    family: 'search',
    writable: [],
    volumes: [],
    data: ['/usr/share/elasticsearch/data'],
    readOnly: {
      ok: false,
      reason: 'it writes its keystore and generated TLS certificates into /usr/share/elasticsearch/config at start-up',
    },
    runsAsRoot: false,
    capAdd: [],
    ports: [9200, 9300],
    healthcheck: {
      // No -f: with security on, 401 still proves the node answers; the second try covers HTTPS (8.x auto-TLS).
      test: ['CMD-SHELL', 'curl -s -o /dev/null http://127.0.0.1:9200 || curl -sk -o /dev/null https://127.0.0.1:9200'],
      what: 'the HTTP port answers (curl, in the image)',
      port: 9200,
      startPeriod: '60s',
    },
  },
  {
    id: 'golang',
    repositories: ['golang'],
    family: 'runtime',
    writable: ['/root/.cache'],
    volumes: [],
    runsAsRoot: true,
    capAdd: [],
    ports: [],
    appDependent: true,
    noHealthcheck: 'the application decides what healthy means',
    note: '`go run`/`go build` at start-up write the build cache (/root/.cache); a compiled binary needs only /tmp',
  },
  {
    id: 'golang-app',
    repositories: [],
    builtOn: {
      bases: [
        'scratch', 'gcr.io/distroless/static', 'gcr.io/distroless/static-debian11', 'gcr.io/distroless/static-debian12',
        'gcr.io/distroless/base', 'gcr.io/distroless/base-debian11', 'gcr.io/distroless/base-debian12', 'alpine',
      ],
      builders: ['golang'],
    },
    label: '`scratch`, `gcr.io/distroless/static`/`base`, `alpine` with a binary from a `golang` build stage (built here)',
    family: 'runtime',
    writable: [],
    volumes: [],
    // scratch and distroless run as root unless the Dockerfile sets USER (or the base is a :nonroot tag).
    runsAsRoot: true,
    capAdd: [],
    ports: [],
    appDependent: true,
    noHealthcheck: 'scratch and distroless images have no shell, curl or wget: give the binary a health subcommand and a HEALTHCHECK running it',
    note: 'a compiled Go binary needs no writable path but /tmp (os.TempDir) unless the application writes files',
    variants: [{ tags: /nonroot/, name: 'golang-app (nonroot)', facts: { runsAsRoot: false } }],
  },
  {
    id: 'grafana',
    repositories: ['grafana/grafana', 'grafana/grafana-oss', 'grafana/grafana-enterprise'],
    standIn: 'grafana/grafana:10.2.2',
    family: 'monitoring',
    writable: [],
    volumes: [],
    data: ['/var/lib/grafana'],
    runsAsRoot: false,
    capAdd: [],
    ports: [3000],
    healthcheck: {
      test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:3000/api/health || exit 1'],
      what: 'GET /api/health (busybox wget, in the Alpine-based image)',
      port: 3000,
      startPeriod: '30s',
    },
    variants: [
      {
        tags: /ubuntu/,
        name: 'grafana (ubuntu)',
        facts: {
          healthcheck: {
            test: ['CMD-SHELL', 'curl -fsS -o /dev/null http://127.0.0.1:3000/api/health || exit 1'],
            what: 'GET /api/health (curl, in the Ubuntu-based image)',
            port: 3000,
            startPeriod: '30s',
          },
        },
      },
    ],
  },
  {
    id: 'httpd',
    repositories: ['httpd'],
    family: 'web',
    // PidFile logs/httpd.pid (ServerRoot /usr/local/apache2).
    writable: ['/usr/local/apache2/logs'],
    volumes: [],
    runsAsRoot: true,
    capAdd: ['NET_BIND_SERVICE', 'SETGID', 'SETUID'],
    ports: [80],
    noHealthcheck: 'the image has neither curl nor wget',
  },
  {
    id: 'mariadb',
    repositories: ['mariadb'],
    verified: 'mariadb:10.11',
    family: 'database',
    writable: ['/run/mysqld'],
    volumes: ['/var/lib/mysql'],
    runsAsRoot: true,
    capAdd: ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'],
    ports: [3306],
    healthcheck: {
      // The image's own script, as its documentation suggests: it logs in as the healthcheck user the entrypoint
      // creates at initialisation (credentials in /var/lib/mysql/.my-healthcheck.cnf) and checks InnoDB is ready.
      // `mariadb-admin ping` exits 0 even when the server denies the login (`Access denied for user 'root'`).
      test: ['CMD', 'healthcheck.sh', '--connect', '--innodb_initialized'],
      what: "the image's `healthcheck.sh --connect --innodb_initialized` (logs in as the entrypoint's healthcheck user, InnoDB ready)",
      port: 3306,
      startPeriod: '30s',
    },
    variants: [
      {
        tags: /^(?:5\.|10\.[0-4](?:\D|$))/,
        name: 'mariadb (10.4 and older)',
        facts: {
          healthcheck: {
            test: ['CMD', 'mysqladmin', 'ping', '-h', '127.0.0.1', '--silent'],
            what: '`mysqladmin ping` over TCP',
            port: 3306,
            startPeriod: '30s',
          },
        },
      },
    ],
  },
  {
    id: 'memcached',
    repositories: ['memcached'],
    family: 'cache',
    writable: [],
    volumes: [],
    runsAsRoot: false,
    capAdd: [],
    ports: [11211],
    noHealthcheck: 'the image has no client to probe memcached with',
  },
  {
    id: 'mongo',
    repositories: ['mongo'],
    standIn: 'mongo:7.0.3',
    family: 'database',
    writable: [],
    volumes: ['/data/db', '/data/configdb'],
    runsAsRoot: true,
    capAdd: [...ROOT_DROPS_TO_USER],
    ports: [27017],
    healthcheck: {
      test: ['CMD', 'mongosh', '--quiet', '--eval', "db.adminCommand('ping')"],
      what: "`mongosh --eval db.adminCommand('ping')`",
      port: 27017,
      startPeriod: '30s',
    },
    variants: [
      {
        tags: /^[34]\./,
        name: 'mongo (4.x and older)',
        facts: {
          healthcheck: {
            test: ['CMD', 'mongo', '--quiet', '--eval', "db.adminCommand('ping')"],
            what: "`mongo --eval db.adminCommand('ping')` (the legacy shell; mongosh ships from 5.0)",
            port: 27017,
            startPeriod: '30s',
          },
        },
      },
    ],
  },
  {
    id: 'mysql',
    repositories: ['mysql'],
    family: 'database',
    writable: ['/var/run/mysqld'],
    volumes: ['/var/lib/mysql'],
    runsAsRoot: true,
    capAdd: ['CHOWN', 'DAC_OVERRIDE', 'SETGID', 'SETUID'],
    ports: [3306],
    healthcheck: {
      // TCP, so the socket-only server the entrypoint runs while initialising does not count as ready.
      test: ['CMD', 'mysqladmin', 'ping', '-h', '127.0.0.1', '--silent'],
      what: '`mysqladmin ping` over TCP',
      port: 3306,
      startPeriod: '30s',
    },
  },
  {
    id: 'nginx',
    repositories: ['nginx'],
    verified: 'nginx:1.22',
    family: 'web',
    writable: ['/var/cache/nginx', '/var/run'],
    volumes: [],
    runsAsRoot: true,
    // Master binds :80 as root, chowns its cache dirs and starts workers as user nginx.
    capAdd: ['CHOWN', 'NET_BIND_SERVICE', 'SETGID', 'SETUID'],
    ports: [80],
    healthcheck: {
      // No -f: any HTTP answer (even a 404 or 502 from a proxied backend) proves nginx itself serves.
      test: ['CMD-SHELL', 'curl -s -o /dev/null http://127.0.0.1:80/ || exit 1'],
      what: 'port 80 answers HTTP (curl, in both the Debian and Alpine images)',
      port: 80,
    },
  },
  {
    id: 'nginx-unprivileged',
    repositories: ['nginxinc/nginx-unprivileged'],
    family: 'web',
    // Runs as uid 101; pid file in /tmp.
    writable: ['/var/cache/nginx'],
    volumes: [],
    runsAsRoot: false,
    capAdd: [],
    ports: [8080],
    healthcheck: {
      test: ['CMD-SHELL', 'curl -s -o /dev/null http://127.0.0.1:8080/ || exit 1'],
      what: 'port 8080 answers HTTP (curl, in the image)',
      port: 8080,
    },
  },
  {
    id: 'node',
    repositories: ['node'],
    verified: 'node:20-alpine',
    replica: "Debian's nodejs 18 and npm; seed 001's app built and ran hardened on it; the app decides its paths",
    family: 'runtime',
    writable: [],
    volumes: [],
    runsAsRoot: true,
    capAdd: [],
    ports: [],
    appDependent: true,
    noHealthcheck: 'the application decides what healthy means',
    note: '`npm start` writes logs under ~/.npm (mount a tmpfs there or run node directly)',
  },
  {
    id: 'postgres',
    repositories: ['postgres', 'postgis/postgis', 'timescale/timescaledb'],
    verified: 'postgres:15',
    family: 'database',
    writable: ['/var/run/postgresql'],
    volumes: ['/var/lib/postgresql/data'],
    runsAsRoot: true,
    // The entrypoint chowns PGDATA and the socket directory, then gosu postgres.
    capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
    ports: [5432],
    healthcheck: {
      // TCP (-h 127.0.0.1): the temporary server of the init scripts listens on the socket only.
      test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -U "$${POSTGRES_USER:-postgres}"'],
      what: '`pg_isready` over TCP',
      port: 5432,
      startPeriod: '30s',
    },
    variants: [
      // From 18, the image's VOLUME moved to /var/lib/postgresql (PGDATA below it).
      { tags: /^(?:1[89]|[2-9]\d)(?:\D|$)/, name: 'postgres (18 and newer)', facts: { volumes: ['/var/lib/postgresql'] } },
    ],
  },
  {
    id: 'prometheus',
    repositories: ['prom/prometheus', 'quay.io/prometheus/prometheus'],
    verified: 'prom/prometheus:v2.48.0',
    replica: "Debian's prometheus 2.42 package",
    family: 'monitoring',
    writable: [],
    volumes: ['/prometheus'],
    runsAsRoot: false,
    capAdd: [],
    ports: [9090],
    healthcheck: {
      test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:9090/-/healthy || exit 1'],
      what: 'GET /-/healthy (busybox wget, in the image)',
      port: 9090,
    },
  },
  {
    id: 'python',
    repositories: ['python'],
    family: 'runtime',
    writable: [],
    volumes: [],
    runsAsRoot: true,
    capAdd: [],
    ports: [],
    appDependent: true,
    noHealthcheck: 'the application decides what healthy means',
    note: 'set PYTHONDONTWRITEBYTECODE=1 so a read-only root does not log failed .pyc writes',
  },
  {
    id: 'rabbitmq',
    repositories: ['rabbitmq'],
    family: 'queue',
    writable: [],
    volumes: ['/var/lib/rabbitmq'],
    runsAsRoot: true,
    capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
    ports: [5672],
    healthcheck: {
      test: ['CMD', 'rabbitmq-diagnostics', '-q', 'ping'],
      what: '`rabbitmq-diagnostics ping`',
      startPeriod: '60s',
    },
  },
  {
    id: 'redis',
    repositories: ['redis'],
    verified: ['redis:7.0', 'redis:7.0.10-alpine'],
    replica: "Debian's redis-server 7.0 package for both",
    family: 'cache',
    writable: [],
    volumes: ['/data'],
    runsAsRoot: true,
    // The entrypoint chowns /data, then switches to user redis.
    capAdd: [...ROOT_DROPS_TO_USER],
    memoryBound: '--maxmemory',
    ports: [6379],
    healthcheck: { test: ['CMD', 'redis-cli', 'ping'], what: '`redis-cli ping`', port: 6379 },
  },
  {
    id: 'traefik',
    repositories: ['traefik'],
    family: 'proxy',
    writable: [],
    volumes: [],
    runsAsRoot: true,
    capAdd: ['NET_BIND_SERVICE'],
    ports: [80, 443],
    noHealthcheck: '`traefik healthcheck --ping` needs the ping endpoint enabled (`--ping=true`); add it by hand',
  },
  {
    id: 'valkey',
    repositories: ['valkey/valkey'],
    family: 'cache',
    writable: [],
    volumes: ['/data'],
    runsAsRoot: true,
    capAdd: [...ROOT_DROPS_TO_USER],
    memoryBound: '--maxmemory',
    ports: [6379],
    healthcheck: { test: ['CMD', 'valkey-cli', 'ping'], what: '`valkey-cli ping`', port: 6379 },
  },
];

/** Default `deploy.resources` and `pids_limit` per family (overridable with the codemod's options). */
export interface ResourceProfile {
  limits: { cpus: string; memory: string };
  reservations: { cpus: string; memory: string };
  pids: number;
}

export const FAMILY_RESOURCES: Readonly<Record<Family | 'default', ResourceProfile>> = {
  database: { limits: { cpus: '2', memory: '2G' }, reservations: { cpus: '0.5', memory: '512M' }, pids: 1024 },
  cache: { limits: { cpus: '1', memory: '512M' }, reservations: { cpus: '0.25', memory: '128M' }, pids: 256 },
  queue: { limits: { cpus: '2', memory: '1G' }, reservations: { cpus: '0.5', memory: '256M' }, pids: 1024 },
  search: { limits: { cpus: '2', memory: '4G' }, reservations: { cpus: '1', memory: '2G' }, pids: 4096 },
  web: { limits: { cpus: '1', memory: '256M' }, reservations: { cpus: '0.1', memory: '64M' }, pids: 512 },
  proxy: { limits: { cpus: '1', memory: '256M' }, reservations: { cpus: '0.1', memory: '64M' }, pids: 256 },
  monitoring: { limits: { cpus: '1', memory: '1G' }, reservations: { cpus: '0.25', memory: '128M' }, pids: 256 },
  runtime: { limits: { cpus: '1', memory: '512M' }, reservations: { cpus: '0.25', memory: '128M' }, pids: 256 },
  default: { limits: { cpus: '1', memory: '512M' }, reservations: { cpus: '0.25', memory: '128M' }, pids: 256 },
};

/** Mirrors that serve Docker Hub's images under another name (for matching only; Hub's own names are shortRepository's). */
const HUB_MIRRORS = ['public.ecr.aws/docker/library/', 'mirror.gcr.io/library/', 'mirror.gcr.io/'];

/**
 * The repository of an image reference for knowledge-base matching: lower-cased, Docker Hub prefixes removed
 * (`docker.io/library/nginx` → `nginx`), and the tag (undefined when none or digest only). Undefined when the text is
 * not a reference (variables, spaces).
 */
export function imageRepository(ref: string): { repository: string; tag: string | undefined } | undefined {
  let r = repositories.get(ref);
  if (r === undefined) {
    r = readRepository(ref) ?? null;
    remember(repositories, ref, r);
  }
  return r === null ? undefined : { ...r };
}

function readRepository(ref: string): { repository: string; tag: string | undefined } | undefined {
  if (!splitRef(ref.trim())) return undefined;
  const short = shortRepository(ref);
  let repo = short.name;
  for (const p of HUB_MIRRORS) {
    if (repo.startsWith(p) && repo.length > p.length) {
      repo = repo.slice(p.length);
      break;
    }
  }
  return { repository: repo, tag: short.tag };
}

/**
 * Answers kept per reference text (the same references come back in file after file); null for "none". Bounded: a
 * map past `MAX_REMEMBERED` entries starts again. Callers get their own copy of an answer.
 */
const repositories = new Map<string, { repository: string; tag: string | undefined } | null>();
const matches = new Map<string, KbMatch | null>();
const MAX_REMEMBERED = 10_000;

function remember<V>(m: Map<string, V>, k: string, v: V): void {
  if (m.size >= MAX_REMEMBERED) m.clear();
  m.set(k, v);
}

/** The first knowledge-base entry listing each repository (what a search of the list in order finds). */
let entryByRepository: Map<string, KbEntry> | undefined;

function entryFor(repository: string): KbEntry | undefined {
  if (!entryByRepository) {
    entryByRepository = new Map();
    for (const e of KNOWLEDGE_BASE) for (const r of e.repositories) if (!entryByRepository.has(r)) entryByRepository.set(r, e);
  }
  return entryByRepository.get(repository);
}

/** The knowledge-base entry for an image reference, with the variant of its tag family applied. */
export function matchImage(ref: string): KbMatch | undefined {
  let m = matches.get(ref);
  if (m === undefined) {
    m = readMatch(ref) ?? null;
    remember(matches, ref, m);
  }
  return m === null ? undefined : { ...m };
}

function readMatch(ref: string): KbMatch | undefined {
  const r = imageRepository(ref);
  if (!r) return undefined;
  const entry = entryFor(r.repository);
  if (!entry) return undefined;
  const { id, repositories: _r, builtOn: _b, label: _l, variants, ...facts } = entry;
  const variant = r.tag !== undefined ? variants?.find((v) => v.tags.test(r.tag as string)) : undefined;
  return { ...facts, ...(variant?.facts ?? {}), id, name: variant?.name ?? id, repository: r.repository, tag: r.tag };
}

/**
 * The knowledge-base entry for an image built here, from its Dockerfile: `base` is the final (or target) stage's base
 * image (`scratch` for none), `copiedFrom` the base images of the stages it copies files from. An entry built for that
 * combination (`builtOn`: a Go binary on scratch) wins; otherwise the base image's own entry.
 */
export function matchBuilt(base: string, copiedFrom: readonly string[]): KbMatch | undefined {
  const b = base.toLowerCase() === 'scratch' ? { repository: 'scratch', tag: undefined } : imageRepository(base);
  if (!b) return undefined;
  const builders = copiedFrom.map((r) => imageRepository(r)?.repository).filter((r): r is string => r !== undefined);
  const entry = KNOWLEDGE_BASE.find((e) => e.builtOn?.bases.includes(b.repository) && e.builtOn.builders.some((x) => builders.includes(x)));
  if (!entry) return b.repository === 'scratch' ? undefined : matchImage(base);
  const { id, repositories: _r, builtOn: _b, label: _l, variants, ...facts } = entry;
  const variant = b.tag !== undefined ? variants?.find((v) => v.tags.test(b.tag as string)) : undefined;
  return { ...facts, ...(variant?.facts ?? {}), id, name: variant?.name ?? id, repository: b.repository, tag: b.tag };
}

/** A Markdown table of the knowledge base, for the codemods' docs. */
export function knowledgeBaseTable(columns: readonly ('writable' | 'capAdd' | 'healthcheck' | 'family' | 'privilegeGain')[]): string {
  const head: Record<string, string> = { writable: 'writable paths (tmpfs)', capAdd: 'cap_add after cap_drop ALL', healthcheck: 'healthcheck', family: 'family', privilegeGain: 'no-new-privileges' };
  const cell = (e: KbFacts, c: string): string => {
    if (c === 'writable') {
      const t = ['/tmp', ...e.writable].map((p) => `\`${p}\``).join(', ');
      const v = e.volumes.length ? `; VOLUMEs ${e.volumes.map((p) => `\`${p}\``).join(', ')}` : '';
      const d = e.data?.length ? `; needs a volume at ${e.data.map((p) => `\`${p}\``).join(', ')}` : '';
      return e.readOnly ? `not made read-only: ${e.readOnly.reason}` : `${t}${v}${d}`;
    }
    if (c === 'capAdd') return e.capAdd.length ? e.capAdd.join(', ') : 'none';
    if (c === 'healthcheck') return e.healthcheck ? e.healthcheck.what : `none: ${e.noHealthcheck ?? 'unknown'}`;
    if (c === 'privilegeGain') {
      if (e.appDependent) return 'unsafe: it runs whatever application it is given';
      return e.privilegeGain ? `safe while it runs as root (its default); unsafe as a non-root user: ${e.privilegeGain}` : 'safe: no setuid or file-capability program is used';
    }
    return e.family;
  };
  const rows = KNOWLEDGE_BASE.flatMap((e) => {
    const tags = e.verified === undefined ? [] : typeof e.verified === 'string' ? [e.verified] : e.verified;
    const verified = tags.length ? ` (verified by a run: ${tags.map((t) => `\`${t}\``).join(', ')} replica${tags.length > 1 ? 's' : ''}${e.replica ? `, ${e.replica}` : ''})` : '';
    const standIn = e.standIn ? ` (run against a stand-in for \`${e.standIn}\`, not the server itself: its users, paths and probe held)` : '';
    const main = `| ${e.label ?? e.repositories.map((r) => `\`${r}\``).join(', ')}${verified}${standIn} | ${columns.map((c) => cell(e, c)).join(' | ')} |`;
    const vs = (e.variants ?? [])
      .filter((v) => columns.some((c) => c in v.facts || (c === 'writable' && ('volumes' in v.facts || 'writable' in v.facts))))
      .map((v) => `| ${v.name} (tags matching \`${v.tags.source}\`) | ${columns.map((c) => cell({ ...e, ...v.facts }, c)).join(' | ')} |`);
    return [main, ...vs];
  });
  return [`| image | ${columns.map((c) => head[c]).join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`, ...rows].join('\n');
}
