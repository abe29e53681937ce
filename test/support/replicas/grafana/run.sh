#!/bin/sh
# harden test replica of grafana's run.sh behaviour (not the official script).
set -e
# GF_<SECTION>_<KEY>__FILE: the value is read from that file (docker secrets), as the official run.sh does.
for var in $(env | sed -n 's/^\(GF_[A-Z0-9_]*\)__FILE=.*/\1/p'); do
  file=$(printenv "${var}__FILE")
  export "$var=$(cat "$file")"
  unset "${var}__FILE"
done
if [ ! -r "$GF_PATHS_DATA" ] || [ ! -w "$GF_PATHS_DATA" ]; then echo "GF_PATHS_DATA='$GF_PATHS_DATA' is not writable." >&2; fi
exec python3 /usr/share/grafana/bin/grafana-server.py "$@"
