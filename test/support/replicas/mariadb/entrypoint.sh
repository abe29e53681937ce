#!/bin/bash
# harden test replica of mariadb's entrypoint behaviour (not the official script).
set -eo pipefail
if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi
if [ "$1" != 'mariadbd' ] && [ "$1" != 'mysqld' ]; then exec "$@"; fi
# *_FILE variables are read first, as root (the official entrypoint does the same), then passed on in the environment.
if [ -z "${MARIADB_ROOT_PASSWORD:-}" ] && [ -n "${MARIADB_ROOT_PASSWORD_FILE:-}" ]; then export MARIADB_ROOT_PASSWORD="$(< "$MARIADB_ROOT_PASSWORD_FILE")"; unset MARIADB_ROOT_PASSWORD_FILE; fi
if [ "$(id -u)" = '0' ]; then
  mkdir -p /var/lib/mysql /run/mysqld
  find /var/lib/mysql /run/mysqld \! -user mysql -exec chown mysql:mysql '{}' +
  exec gosu mysql "$BASH_SOURCE" "$@"
fi
pw="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
if [ ! -d /var/lib/mysql/mysql ]; then
  if [ -z "$pw" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then
    echo 'error: database is uninitialized and password option is not specified (MARIADB_ROOT_PASSWORD or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)' >&2
    exit 1
  fi
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db --auth-root-authentication-method=normal >/dev/null
  "$@" --skip-networking --socket=/run/mysqld/mysqld.sock &
  pid=$!
  for _ in $(seq 60); do mariadb-admin --socket=/run/mysqld/mysqld.sock ping --silent 2>/dev/null && break; sleep 1; done
  # mariadb-install-db also creates root@127.0.0.1, root@::1 and root@<hostname> without a password: removed, as the
  # official entrypoint keeps only root@localhost (and root@% with the password).
  sql="DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(hostname)'; ALTER USER 'root'@'localhost' IDENTIFIED BY '${pw//\'/\'\'}'; CREATE USER 'root'@'%' IDENTIFIED BY '${pw//\'/\'\'}'; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
  if [ -n "${MARIADB_DATABASE:-}" ]; then sql="$sql CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;"; fi
  # The healthcheck user healthcheck.sh logs in as (the official entrypoint creates one too), unless told not to.
  if [ -z "${HARDEN_REPLICA_NO_HEALTHCHECK_USER:-}" ]; then
    hpw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    sql="$sql CREATE USER 'healthcheck'@'127.0.0.1' IDENTIFIED BY '$hpw'; CREATE USER 'healthcheck'@'localhost' IDENTIFIED BY '$hpw'; GRANT USAGE ON *.* TO 'healthcheck'@'127.0.0.1', 'healthcheck'@'localhost';"
    printf '[mariadb-client]\nport=3306\nsocket=/run/mysqld/mysqld.sock\nuser=healthcheck\npassword=%s\n' "$hpw" > /var/lib/mysql/.my-healthcheck.cnf
    chmod 600 /var/lib/mysql/.my-healthcheck.cnf
  fi
  mariadb --socket=/run/mysqld/mysqld.sock -uroot -e "$sql"
  kill "$pid"; wait "$pid" || true
  echo 'MariaDB init process done. Ready for start up.'
fi
exec "$@"
