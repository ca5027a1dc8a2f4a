#!/usr/bin/env bash
# The whole test suite: installs the dependencies, builds everything, runs
# every ctest test (unit, golden, integration, CLI, load generator, metrics
# lint), then each libFuzzer target for 20 s (scripts/fuzz.sh: a clang build
# of its own), then the deployment checks (manifests, Prometheus rules, the
# Docker image smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 600
FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash scripts/fuzz.sh
bash deploy/verify.sh
