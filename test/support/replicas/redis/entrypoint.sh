#!/bin/sh
# harden test replica of redis's entrypoint behaviour (not the official script).
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec gosu redis "$0" "$@"
fi
umask 0077
exec "$@"
