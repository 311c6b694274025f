#!/usr/bin/env bash
# Builds the operator dashboard (dashboard/ → dashboard/dist, served by the gateway at /) when its
# build is missing or older than any of its sources. The build is not committed: every checkout
# makes its own, here, from `npm start`, `npm test` and CI alike (ensure-deps.sh runs this).
set -euo pipefail
cd "$(dirname "$0")/../.."
built=dashboard/dist/index.html
sources=(dashboard/src dashboard/index.html dashboard/vite.config.ts dashboard/package.json package-lock.json)
[ -d dashboard/public ] && sources+=(dashboard/public)
if [ -f "$built" ] && [ -z "$(find "${sources[@]}" -newer "$built" -print -quit)" ]; then
  exit 0
fi
echo "[deps] building the dashboard (vite build)"
npm run --silent build -w dashboard -- --logLevel warn
