/**
 * What a published port is for, for compose-bind-localhost: a port that only this host needs (a data store, cache,
 * queue, search engine, metrics/exporter, admin or debug port) can be bound to 127.0.0.1; a public entry point (a
 * reverse proxy or web server, HTTP(S) on 80/443, mail, voice/video media, other protocols outside clients connect to)
 * must stay on all interfaces. Each answer names its evidence: the knowledge base family of the image, a known image
 * (this table), or the port number's well-known use.
 */
import { imageRepository, matchImage, type Family } from './image-kb.js';

/** `internal`: only this host needs it (bind). `public`: other machines must reach it (leave). `ask`: depends (manual). */
export type PortRoleKind = 'internal' | 'public' | 'ask';

export interface PortRole {
  kind: PortRoleKind;
  /** The evidence, as a clause: "postgres is a database (knowledge base family database)". */
  evidence: string;
}

/** What an image is, when harden knows it (knowledge base family or the table below). */
export type ImageRole = 'database' | 'cache' | 'queue' | 'search' | 'metrics' | 'admin' | 'object-store' | 'proxy' | 'web' | 'media' | 'app';

export interface ImageIdentity {
  role: ImageRole;
  /** How the image is named in messages (`postgres`, `minio`). */
  name: string;
  /** Where the identification comes from: "knowledge base family database", "known image". */
  source: string;
}

const ROLE_WORDS: Record<ImageRole, string> = {
  database: 'a database',
  cache: 'a cache',
  queue: 'a message queue',
  search: 'a search engine',
  metrics: 'a metrics/monitoring component',
  admin: 'an admin UI',
  'object-store': 'an object store',
  proxy: 'a reverse proxy',
  web: 'a web server',
  media: 'a voice/video media server',
  app: 'an application',
};

/**
 * Images outside the knowledge base whose role is known from what they are (their projects' documentation), by
 * normalised repository (see imageRepository). Images not listed here and not in the knowledge base have no role.
 */
const KNOWN_IMAGES: Readonly<Record<Exclude<ImageRole, 'app'>, readonly string[]>> = {
  database: [
    'mongodb/mongodb-community-server', 'mongodb/mongodb-enterprise-server', 'bitnami/postgresql', 'bitnami/mysql', 'bitnami/mariadb',
    'bitnami/mongodb', 'pgvector/pgvector', 'ankane/pgvector', 'supabase/postgres', 'percona', 'percona/percona-server',
    'mcr.microsoft.com/mssql/server', 'cassandra', 'bitnami/cassandra', 'couchdb', 'apache/couchdb', 'neo4j', 'influxdb',
    'clickhouse/clickhouse-server', 'yandex/clickhouse-server', 'foundationdb/foundationdb', 'cockroachdb/cockroach',
    'questdb/questdb', 'surrealdb/surrealdb', 'scylladb/scylla', 'arangodb', 'jc21/mariadb-aria', 'linuxserver/mariadb',
    'quay.io/coreos/etcd', 'bitnami/etcd', 'gcr.io/etcd-development/etcd', 'tensorchord/pgvecto-rs', 'paradedb/paradedb',
  ],
  cache: [
    'bitnami/redis', 'eqalpha/keydb', 'docker.dragonflydb.io/dragonflydb/dragonfly', 'redis/redis-stack-server', 'bitnami/memcached',
    'bitnami/valkey',
  ],
  queue: [
    'nats', 'bitnami/rabbitmq', 'bitnami/kafka', 'confluentinc/cp-kafka', 'apache/kafka', 'wurstmeister/kafka', 'zookeeper',
    'bitnami/zookeeper', 'confluentinc/cp-zookeeper', 'redpandadata/redpanda', 'docker.redpanda.com/redpandadata/redpanda',
    'apache/pulsar', 'bitnami/nats',
  ],
  search: [
    'opensearchproject/opensearch', 'getmeili/meilisearch', 'typesense/typesense', 'qdrant/qdrant', 'chromadb/chroma',
    'semitechnologies/weaviate', 'milvusdb/milvus', 'solr', 'manticoresearch/manticore', 'bitnami/elasticsearch',
  ],
  metrics: [
    'prom/alertmanager', 'prom/pushgateway', 'quay.io/prometheus/alertmanager', 'quay.io/prometheus/pushgateway',
    'gcr.io/cadvisor/cadvisor', 'google/cadvisor', 'jaegertracing/all-in-one', 'jaegertracing/jaeger', 'openzipkin/zipkin',
    'otel/opentelemetry-collector', 'otel/opentelemetry-collector-contrib', 'grafana/loki', 'grafana/tempo', 'grafana/mimir',
    'grafana/alloy', 'grafana/agent', 'victoriametrics/victoria-metrics', 'victoriametrics/vmagent', 'statsd/statsd',
  ],
  admin: [
    'adminer', 'phpmyadmin', 'phpmyadmin/phpmyadmin', 'dpage/pgadmin4', 'mongo-express', 'redis/redisinsight', 'redislabs/redisinsight',
    'rediscommander/redis-commander', 'mailhog/mailhog', 'axllent/mailpit', 'sosedoff/pgweb', 'dockersamples/visualizer',
  ],
  'object-store': ['minio/minio', 'quay.io/minio/minio', 'bitnami/minio', 'cgr.dev/chainguard/minio'],
  proxy: [
    'jc21/nginx-proxy-manager', 'nginxproxy/nginx-proxy', 'jwilder/nginx-proxy', 'haproxy', 'haproxytech/haproxy-alpine',
    'haproxytech/haproxy-debian', 'haproxytech/haproxy-ubuntu', 'envoyproxy/envoy', 'lucaslorentz/caddy-docker-proxy',
    'linuxserver/swag', 'openresty/openresty', 'varnish', 'nginxproxy/acme-companion',
  ],
  web: [],
  media: [
    'coturn/coturn', 'jitsi/jvb', 'livekit/livekit-server', 'rocketchat/freeswitch', 'signalwire/freeswitch', 'safarov/freeswitch',
    'andrius/asterisk', 'drachtio/drachtio-server', 'bbernhard/signal-cli-rest-api',
  ],
};

const KNOWN_BY_REPO = new Map<string, ImageRole>(
  Object.entries(KNOWN_IMAGES).flatMap(([role, repos]) => repos.map((r) => [r, role as ImageRole] as const)),
);

const FAMILY_ROLE: Record<Family, ImageRole> = {
  database: 'database',
  cache: 'cache',
  queue: 'queue',
  search: 'search',
  web: 'web',
  proxy: 'proxy',
  monitoring: 'metrics',
  runtime: 'app',
};

/** Knowledge-base entries whose family says less than their role here (grafana: a dashboard users open). */
const KB_ROLE_OVERRIDE: Readonly<Record<string, ImageRole>> = { grafana: 'app' };

/** The role of an image reference (or a literal repository), when the knowledge base or the table above knows it. */
export function identifyImage(ref: string): ImageIdentity | undefined {
  const repo = imageRepository(ref)?.repository;
  if (repo === undefined) return undefined;
  const kb = matchImage(ref);
  if (kb) {
    const role = KB_ROLE_OVERRIDE[kb.id] ?? FAMILY_ROLE[kb.family];
    return { role, name: kb.id, source: `knowledge base entry ${kb.id}, family ${kb.family}` };
  }
  const known = KNOWN_BY_REPO.get(repo);
  const short = repo.split('/').pop() ?? repo;
  if (known) return { role: known, name: repo, source: 'known image' };
  // Prometheus exporters are named `*-exporter` / `*_exporter` (prom/node-exporter, oliver006/redis_exporter…).
  if (/(?:^|[-_])exporter$/.test(short)) return { role: 'metrics', name: repo, source: 'a Prometheus exporter, by its name' };
  return undefined;
}

export function describeImage(id: ImageIdentity): string {
  return `\`${id.name}\` is ${ROLE_WORDS[id.role]} (${id.source})`;
}

/** Well-known ports of services that other machines do not need to reach, by container port. */
const INTERNAL_PORTS: Readonly<Record<number, string>> = {
  5432: 'PostgreSQL', 3306: 'MySQL/MariaDB', 27017: 'MongoDB', 6379: 'Redis', 11211: 'memcached', 5672: 'AMQP (RabbitMQ)',
  15672: 'the RabbitMQ management UI', 9200: 'Elasticsearch/OpenSearch', 9300: 'Elasticsearch transport', 2181: 'ZooKeeper', 9092: 'Kafka',
  4222: 'NATS', 6222: 'NATS cluster', 8222: 'NATS monitoring', 7700: 'Meilisearch', 6333: 'Qdrant', 6334: 'Qdrant gRPC', 8086: 'InfluxDB',
  5984: 'CouchDB', 7687: 'Neo4j Bolt', 9042: 'Cassandra', 1433: 'SQL Server', 1521: 'Oracle', 26257: 'CockroachDB', 2379: 'etcd',
  9100: 'the Prometheus node exporter', 9093: 'Alertmanager', 9121: 'the Redis exporter', 9187: 'the PostgreSQL exporter',
  9104: 'the MySQL exporter', 9113: 'the nginx exporter', 9216: 'the MongoDB exporter', 9419: 'the RabbitMQ exporter',
  9114: 'the Elasticsearch exporter', 9308: 'the Kafka exporter', 9115: 'the blackbox exporter',
  9229: 'the Node.js inspector (debugger)', 5005: 'the Java debugger (JDWP)', 2345: 'the Go debugger (delve)', 5678: 'the Python debugger (debugpy)',
  9222: 'the Chrome DevTools protocol', 2375: 'the Docker daemon API', 2376: 'the Docker daemon API (TLS)',
};

/** Mail ports: servers and clients on other machines connect to them. */
const MAIL_PORTS: Readonly<Record<number, string>> = {
  25: 'SMTP', 465: 'SMTP submission (TLS)', 587: 'SMTP submission', 143: 'IMAP', 993: 'IMAPS', 110: 'POP3', 995: 'POP3S', 4190: 'ManageSieve',
};

/** Other ports that exist for outside clients: voice/video, VPN, DNS, chat federation, git over SSH. */
const PUBLIC_PORTS: Readonly<Record<number, string>> = {
  5060: 'SIP', 5061: 'SIP over TLS', 5080: 'SIP', 5081: 'SIP over TLS', 3478: 'STUN/TURN', 5349: 'TURN over TLS', 53: 'DNS', 853: 'DNS over TLS',
  1194: 'OpenVPN', 51820: 'WireGuard', 5222: 'XMPP client', 5269: 'XMPP federation', 8448: 'Matrix federation', 6697: 'IRC over TLS', 22: 'SSH',
};

export interface PortFacts {
  /** Host port (first of a range), when literal. */
  host?: number;
  /** Container port (first of a range), when literal. */
  container?: number;
  protocol?: string;
  /** The spec publishes a range of ports. */
  range: boolean;
}

/** The role of a port from the port alone (number classes), whatever the image. */
export function portClass(p: PortFacts): PortRole | undefined {
  for (const n of [p.host, p.container]) {
    if (n === undefined) continue;
    const mail = MAIL_PORTS[n];
    if (mail) return { kind: 'public', evidence: `${n} is the ${mail} port of a mail server, which other mail servers and clients connect to` };
  }
  for (const n of [p.host, p.container]) {
    if (n === 80 || n === 443) return { kind: 'public', evidence: `${n} is the standard HTTP${n === 443 ? 'S' : ''} port, a public entry point` };
  }
  for (const n of [p.container, p.host]) {
    if (n === undefined) continue;
    const pub = PUBLIC_PORTS[n];
    if (pub) return { kind: 'public', evidence: `${n} is the ${pub} port, which clients on other machines connect to` };
  }
  if (p.protocol?.toLowerCase() === 'udp') return { kind: 'public', evidence: 'it is a UDP port (voice/video media, VPN, game or discovery traffic from other machines)' };
  if (p.range) return { kind: 'public', evidence: 'it publishes a port range (media/RTP ports other machines send to)' };
  return undefined;
}

/** Internal by the container port's well-known use. */
export function wellKnownInternal(p: PortFacts): PortRole | undefined {
  const n = p.container;
  const what = n === undefined ? undefined : INTERNAL_PORTS[n];
  return what ? { kind: 'internal', evidence: `${n} is the well-known port of ${what}` } : undefined;
}

/**
 * The role of one published port of a service running `image` (undefined identity: harden does not know the image),
 * with the service's `command:` as text (for traefik's `api.insecure`). Undefined: no evidence either way.
 */
export function portRole(p: PortFacts, image: ImageIdentity | undefined, command: string): PortRole | undefined {
  const cls = portClass(p);
  if (image) {
    const is = describeImage(image);
    switch (image.role) {
      case 'proxy':
      case 'web': {
        if (image.name === 'traefik' && p.container === 8080 && /api\.insecure(?:=true)?(?:\s|$|")/.test(command)) {
          return { kind: 'internal', evidence: `${is}, and 8080 is its API and dashboard, served without authentication (\`api.insecure\` in its command)` };
        }
        if (image.name === 'jc21/nginx-proxy-manager' && p.container === 81) return { kind: 'internal', evidence: `${is}, and 81 is its admin UI` };
        return { kind: 'public', evidence: `${is}, so its ports are how users reach the stack` };
      }
      case 'media':
        return { kind: 'public', evidence: `${is}, and outside peers send calls and media to its ports` };
      case 'database':
      case 'cache':
      case 'queue':
      case 'search':
      case 'metrics':
      case 'admin':
        if (cls?.kind === 'public' && cls.evidence.includes('mail')) return cls;
        return { kind: 'internal', evidence: `${is}, reached by the other services over the compose network` };
      case 'object-store':
        if (p.container === 9001) return { kind: 'internal', evidence: `${is}, and 9001 is its admin console` };
        return { kind: 'ask', evidence: `${is}, and browsers and other hosts may reach its S3 API directly (presigned upload/download URLs)` };
      case 'app':
        break;
    }
  }
  return cls ?? wellKnownInternal(p);
}

/**
 * `${VAR:-default}` / `${VAR-default}` resolved to their defaults; undefined when a variable has none, unless
 * `placeholder` is given: variables without a default are then replaced by it (to read the literal parts).
 */
export function withDefaults(text: string, placeholder?: string): string | undefined {
  let unresolved = false;
  const out = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, _n: string, def: string | undefined) => {
    if (def === undefined) unresolved = true;
    return def ?? placeholder ?? '';
  });
  return (unresolved && placeholder === undefined) || out.includes('$') ? undefined : out;
}
