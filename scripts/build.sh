#!/usr/bin/env bash
# Configures and builds brainserve into ./build (or $BUILD_DIR). Extra arguments
# are passed to `cmake --build` (e.g. --target brainserve-server).
# BUILD_TYPE: Release by default, the build the benchmarks measure.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" "$@"
