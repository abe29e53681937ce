#!/bin/bash
# harden test replica of the official image's healthcheck.sh (not the official script), for the two tests harden's
# probe uses: --connect (the server answers over TCP; a denied login still proves it answers) and
# --innodb_initialized (a query as the healthcheck user: fails when the login is denied).
# Credentials: /var/lib/mysql/.my-healthcheck.cnf, written by the entrypoint at initialisation; else root without a password.
set -u
cnf=/var/lib/mysql/.my-healthcheck.cnf
args=(--protocol=tcp -h 127.0.0.1)
if [ -r "$cnf" ]; then args=(--defaults-extra-file="$cnf" "${args[@]}"); else args+=(-uroot); fi
rc=0
for t in "$@"; do
  case "$t" in
    --connect)
      if ! out=$(mariadb "${args[@]}" -e 'select 1' 2>&1); then
        case "$out" in
          *"Access denied"*) echo "healthcheck.sh: connected: $out" ;;
          *) echo "healthcheck.sh: --connect failed: $out" >&2; rc=1 ;;
        esac
      fi ;;
    --innodb_initialized)
      out=$(mariadb "${args[@]}" -sN -e "select 1 from information_schema.ENGINES where engine='innodb' and support in ('YES','DEFAULT','ENABLED')" 2>&1)
      if [ "$out" != 1 ]; then echo "healthcheck.sh: --innodb_initialized failed: $out" >&2; rc=1; fi ;;
    *) echo "healthcheck.sh: unknown test $t" >&2; rc=1 ;;
  esac
done
exit $rc
