#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh Debian machine, then runs it.
# Usage: scripts/test.sh [vitest args…]      (what .ci/run calls; the README's test command)
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: a real registry for the registry client's tests, htpasswd/openssl for its auth variants,
# docker-compose (v1, without the engine) to validate compose output, git for the bot tests, xz for index files, curl,
# buildah + debootstrap for the build that proves apt pins install (vfs storage, chroot isolation: no runtime needed),
# docker.io (dockerd, started by the `harden verify` end-to-end tests with no bridge and no iptables, its own data root),
# podman + runc (the podman end-to-end test of `harden verify`: rootful, runc, its own storage; no podman-compose).
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v git >/dev/null 2>&1 || need+=(git)
command -v script >/dev/null 2>&1 || need+=(bsdutils)   # util-linux `script`: a pseudo-terminal for the colour/progress tests
command -v curl >/dev/null 2>&1 || need+=(curl)   # the checksum rewrites are run for real in their e2e test
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
{ command -v debootstrap || [ -x /usr/sbin/debootstrap ]; } >/dev/null 2>&1 || need+=(debootstrap)   # in /usr/sbin
[ -x /usr/sbin/dockerd ] || need+=(docker.io)
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Node packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Static checks: each failure is reported and counted as a failed check in the closing line,
# but never stops the test suite from running.
checks_failed=""
npm run --silent typecheck || checks_failed="$checks_failed typecheck"
npm run --silent lint || checks_failed="$checks_failed lint"
npm run --silent build || checks_failed="$checks_failed build"

status=0
results=$(mktemp)
npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@" || status=$?
HARDEN_FAILED_CHECKS="$checks_failed" node scripts/summarize-tests.mjs "$results" || status=$?
rm -f "$results"
exit $status
