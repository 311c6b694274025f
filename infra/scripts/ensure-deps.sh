#!/usr/bin/env bash
# Installs npm dependencies when they are missing or older than the lockfile.
# `npm install --no-save` rather than `npm ci`: the lockfile pins every version, but the registry
# reachable from our machines does not serve other platforms' optional binaries (e.g. darwin
# builds of @swc/core), which `npm ci` insists on finding in the lockfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] installing npm dependencies"
  npm install --no-save --no-audit --no-fund
fi
