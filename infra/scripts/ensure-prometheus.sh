#!/usr/bin/env bash
# Installs Prometheus and promtool from Debian's `prometheus` package when either is missing
# (`npm run observe`, and the tests that run promtool and a real Prometheus). The package's own
# service is not started here: on these machines policy-rc.d refuses it, and nothing needs it.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then exit 0; fi
echo "[deps] installing Prometheus (Debian package prometheus)" >&2
apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 ||
  (apt-get update >/dev/null && apt-get install -y --no-install-recommends prometheus >/dev/null)
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1
