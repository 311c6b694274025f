#!/usr/bin/env bash
# Installs npm dependencies when they are missing or older than the lockfile.
# `npm install --no-save` rather than `npm ci`: the lockfile pins every version, but the registry
# reachable from our machines does not serve other platforms' optional binaries (e.g. darwin
# builds of @swc/core), which `npm ci` insists on finding in the lockfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The sqlite3 command indexes reads by _id in FerretDB's SQLite files (shared/src/mongo/idLookups.ts).
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "[deps] installing sqlite3 (Debian package)"
  (apt-get install -y sqlite3 >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y sqlite3 >/dev/null)) ||
    echo "[deps] could not install sqlite3: reads on FerretDB stay scans"
fi
# Debian's Chromium renders the API reference page (/docs) in its browser test; playwright-core drives
# it and never downloads a browser of its own.
if [ ! -x /usr/bin/chromium ]; then
  echo "[deps] installing chromium (Debian package)"
  (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null)) ||
    echo "[deps] could not install chromium: the browser test of /docs cannot run"
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] installing npm dependencies"
  npm install --no-save --no-audit --no-fund
fi
# The dashboard the gateway serves at / is built from dashboard/ (not committed), when missing or stale.
bash infra/scripts/ensure-dashboard.sh
