#!/bin/sh
# harden test replica of nginx's entrypoint behaviour (not the official script): run /docker-entrypoint.d/*.sh, then nginx.
set -e
if [ "$1" = 'nginx' ] || [ "$1" = 'nginx-debug' ]; then
  for f in /docker-entrypoint.d/*.sh; do
    [ -x "$f" ] || continue
    echo "$0: Launching $f"
    "$f"
  done
  echo "$0: Configuration complete; ready for start up"
fi
exec "$@"
