#!/usr/bin/env bash
# npm test: dependencies, then the whole suite (unit, integration, end to end). Jest's global
# setup brings up RabbitMQ and a MongoDB-protocol server when AMQP_URL/MONGO_URL are not given.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash infra/scripts/ensure-deps.sh
npx tsc -p tsconfig.json
npx tsc -p dashboard/tsconfig.json
npx eslint .
npx prettier --check . >/dev/null
exec npx jest "$@"
