#!/usr/bin/env bash
# npm run cluster: dependencies, the project's own RabbitMQ cluster, then the stack against it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/ensure-deps.sh
exec node --import tsx infra/local/cluster.ts "$@"
