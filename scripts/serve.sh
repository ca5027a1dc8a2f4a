#!/usr/bin/env bash
# Installs the dependencies, builds the server and the CLI, and serves the
# bundled example models (examples/models.json) on 0.0.0.0:50051 (gRPC) and
# 0.0.0.0:8000 (HTTP/REST), with Prometheus metrics on 0.0.0.0:9464. Model
# state (created models, parameter
# updates) is kept in the embedded store brainserve-data/state.db under the
# repository root, so a restart continues where it stopped; pass
# --store=memory: to keep nothing. Extra arguments go to brainserve-server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh --target brainserve-server brainserve-cli
exec ./build/server/brainserve-server --models_file=examples/models.json "$@"
