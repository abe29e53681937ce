#!/bin/sh
# Render /etc/nginx/templates/*.template into /etc/nginx/conf.d with the environment (as the official image does).
set -e
dir=/etc/nginx/templates
out=/etc/nginx/conf.d
[ -d "$dir" ] || exit 0
if [ ! -w "$out" ]; then
  echo "$0: ERROR: $dir exists, but $out is not writable" >&2
  exit 0
fi
vars=$(env | cut -d= -f1 | sed 's/^/$/' | tr '\n' ' ')
for t in "$dir"/*.template; do
  [ -f "$t" ] || continue
  dest="$out/$(basename "$t" .template)"
  echo "$0: Running envsubst on $t to $dest"
  envsubst "$vars" < "$t" > "$dest"
done
