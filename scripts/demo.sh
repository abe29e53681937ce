#!/usr/bin/env bash
# Sets up everything on a fresh Debian machine, then runs harden's main job on the bundled examples:
# `harden fix` (dry-run) on examples/, pinning images through a real registry started on 127.0.0.1.
# Usage: scripts/demo.sh [harden fix arguments…]   e.g. scripts/demo.sh --unsafe examples/basic
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker-registry >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build
exec node --import tsx scripts/demo.ts "$@"
