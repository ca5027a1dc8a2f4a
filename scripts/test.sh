#!/usr/bin/env bash
# The whole test suite: installs the dependencies, builds everything, runs
# every ctest test (unit, golden, integration, CLI, load generator, metrics
# lint), then 100,000 inputs of each libFuzzer target (scripts/fuzz.sh: a
# clang build of its own; a fixed seed from the seed corpus alone, so the
# budget does not depend on the machine's speed), then the deployment checks (manifests, Prometheus rules, the
# Docker image smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 600
FUZZ_RUNS=${FUZZ_RUNS:-100000} FUZZ_SECONDS=${FUZZ_SECONDS:-120} FUZZ_FRESH=1 \
  bash scripts/fuzz.sh
bash deploy/verify.sh
