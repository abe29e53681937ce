#!/bin/bash
# harden test replica of mongo's entrypoint behaviour (not the official script).
set -eo pipefail
if [ "${1:0:1}" = '-' ]; then set -- mongod "$@"; fi
if [ "$1" != 'mongod' ]; then exec "$@"; fi
# *_FILE variables (docker secrets), as the official entrypoint reads them.
for v in MONGO_INITDB_ROOT_USERNAME MONGO_INITDB_ROOT_PASSWORD; do
  f="${v}_FILE"
  if [ -n "${!f:-}" ]; then export "$v"="$(< "${!f}")"; unset "$f"; fi
done
if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ] && [ -z "${MONGO_INITDB_ROOT_PASSWORD:-}" ] || [ -z "${MONGO_INITDB_ROOT_USERNAME:-}" ] && [ -n "${MONGO_INITDB_ROOT_PASSWORD:-}" ]; then
  echo 'error: missing MONGO_INITDB_ROOT_USERNAME or MONGO_INITDB_ROOT_PASSWORD (both must be specified for a user to be created)' >&2
  exit 1
fi
if [ "$(id -u)" = '0' ]; then
  find /data/db /data/configdb \! -user mongodb -exec chown mongodb '{}' +
  exec gosu mongodb "$BASH_SOURCE" "$@"
fi
if [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ] && [ ! -f /data/db/.harden-replica-users ]; then
  echo "{\"user\": \"$MONGO_INITDB_ROOT_USERNAME\"}" > /data/db/.harden-replica-users
  echo 'MongoDB init process complete; ready for start up.'
fi
exec "$@" --bind_ip_all
