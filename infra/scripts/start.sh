#!/usr/bin/env bash
# npm start: dependencies, infrastructure, then every service under one supervisor.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/ensure-deps.sh
exec node --import tsx infra/local/supervisor.ts "$@"
