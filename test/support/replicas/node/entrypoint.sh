#!/bin/sh
# harden test replica of the node image's entrypoint behaviour (not the official script).
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" 2>/dev/null)" ]; then set -- node "$@"; fi
exec "$@"
