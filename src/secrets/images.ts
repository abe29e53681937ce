/**
 * Images whose entrypoints can read a secret from a file instead of an environment variable.
 * Each entry is checked against the image's documentation (see `doc`); test/secrets/images.test.ts covers every entry.
 */
import { shortRepository } from '../images/reference.js';

export type FileForm =
  /** Set `<fileVar>` to the secret's path instead of `<name>`. */
  | { kind: 'env'; fileVar: string }
  /** The secret is passed in the command (redis `--requirepass`): read it from the file in a shell wrapper. */
  | { kind: 'command' };

export interface ImageEntry {
  /** Repository names (Docker Hub short names without `library/`, or full names), without tag or digest. */
  repos: readonly string[];
  /** The file form of a variable, or undefined when the image does not read that variable from a file. */
  fileForm(name: string): FileForm | undefined;
  doc: string;
}

const suffix = (s: string) => (names: readonly string[] | RegExp) => (name: string): FileForm | undefined =>
  (Array.isArray(names) ? names.includes(name) : (names as RegExp).test(name)) ? { kind: 'env', fileVar: `${name}${s}` } : undefined;
const fileSuffix = suffix('_FILE');

export const IMAGE_TABLE: readonly ImageEntry[] = [
  { repos: ['postgres', 'postgis/postgis', 'timescale/timescaledb'], fileForm: fileSuffix(/^POSTGRES_(PASSWORD|USER|DB|INITDB_ARGS)$/), doc: 'https://hub.docker.com/_/postgres (Docker Secrets)' },
  { repos: ['mysql', 'percona'], fileForm: fileSuffix(/^MYSQL_(ROOT_PASSWORD|PASSWORD|USER|DATABASE|ROOT_HOST)$/), doc: 'https://hub.docker.com/_/mysql (Docker Secrets)' },
  { repos: ['mariadb'], fileForm: fileSuffix(/^(MARIADB|MYSQL)_(ROOT_PASSWORD|PASSWORD|USER|DATABASE|ROOT_HOST)(_HASH)?$/), doc: 'https://hub.docker.com/_/mariadb (Docker Secrets)' },
  { repos: ['mongo'], fileForm: fileSuffix(/^MONGO_INITDB_ROOT_(USERNAME|PASSWORD)$/), doc: 'https://hub.docker.com/_/mongo (Docker Secrets)' },
  { repos: ['grafana/grafana', 'grafana/grafana-oss', 'grafana/grafana-enterprise'], fileForm: suffix('__FILE')(/^GF_[A-Z0-9_]+$/), doc: 'https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/#override-configuration-with-environment-variables (`__FILE`)' },
  { repos: ['minio/minio', 'quay.io/minio/minio'], fileForm: fileSuffix(/^MINIO_(ROOT_USER|ROOT_PASSWORD|ACCESS_KEY|SECRET_KEY|KMS_SECRET_KEY)$/), doc: 'MinIO docker-entrypoint.sh (`*_FILE` docker secrets)' },
  { repos: ['wordpress'], fileForm: fileSuffix(/^WORDPRESS_(DB_HOST|DB_USER|DB_PASSWORD|DB_NAME|AUTH_KEY|SECURE_AUTH_KEY|LOGGED_IN_KEY|NONCE_KEY|AUTH_SALT|SECURE_AUTH_SALT|LOGGED_IN_SALT|NONCE_SALT)$/), doc: 'https://hub.docker.com/_/wordpress (Docker Secrets)' },
  { repos: ['nextcloud'], fileForm: fileSuffix(/^(NEXTCLOUD_ADMIN_(USER|PASSWORD)|MYSQL_(DATABASE|USER|PASSWORD)|POSTGRES_(DB|USER|PASSWORD)|REDIS_HOST_PASSWORD|SMTP_PASSWORD|OBJECTSTORE_S3_(KEY|SECRET)|OBJECTSTORE_SWIFT_PASSWORD)$/), doc: 'https://github.com/nextcloud/docker#docker-secrets' },
  { repos: ['bitnami/redis'], fileForm: fileSuffix(/^REDIS_(PASSWORD|MASTER_PASSWORD)$/), doc: 'https://hub.docker.com/r/bitnami/redis (REDIS_PASSWORD_FILE)' },
  { repos: ['bitnami/postgresql'], fileForm: fileSuffix(/^(POSTGRESQL|POSTGRES)_(PASSWORD|POSTGRES_PASSWORD|REPLICATION_PASSWORD)$/), doc: 'https://hub.docker.com/r/bitnami/postgresql (*_FILE)' },
  { repos: ['bitnami/mysql', 'bitnami/mariadb'], fileForm: fileSuffix(/^(MYSQL|MARIADB)_(ROOT_PASSWORD|PASSWORD|REPLICATION_PASSWORD)$/), doc: 'https://hub.docker.com/r/bitnami/mysql (*_FILE)' },
  { repos: ['redis', 'redis/redis-stack-server', 'valkey/valkey'], fileForm: (name) => (/PASS|SECRET|TOKEN/i.test(name) ? { kind: 'command' } : undefined), doc: 'redis reads its password only from `--requirepass` / a config file: the command is wrapped to read /run/secrets/<name>' },
];

/** The table's name for an image (`docker.io/library/postgres:${TAG:-17}` → `postgres`): see shortRepository. */
export function repositoryOf(image: string): string {
  return shortRepository(image).name;
}

export function imageEntry(image: string): ImageEntry | undefined {
  const repo = repositoryOf(image);
  return IMAGE_TABLE.find((e) => e.repos.includes(repo));
}

/**
 * How `name` can be given as a file to this image, if the table knows. The repository decides: a variable tag
 * (`postgres:${TAG:-16}`) is still postgres; a variable in the repository itself (`${REGISTRY}/app`) matches no entry.
 */
export function fileFormFor(image: string, name: string): FileForm | undefined {
  return imageEntry(image)?.fileForm(name);
}
