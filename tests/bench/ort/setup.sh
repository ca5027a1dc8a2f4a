# Sourced by the benchmark scripts that run ONNX Runtime next to the engine
# (run_ort_compare.sh, run_engine_bench.sh).
#
# ort_prepare REPO BUILD_DIR: installs onnxruntime-node as pinned in
# tests/bench/ort/package-lock.json into BUILD_DIR/ort (npm ci, without the
# package's install script: the CPU library ships in the package, the script
# only fetches GPU providers), copies ort_bench.mjs next to it, and exports
# the benchmark workloads with BUILD_DIR's brainserve-onnx-export into
# BUILD_DIR/onnx. Returns 1 with a message if node or npm is missing.
ort_prepare() {
  local repo=$1 build_dir=$2
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "ONNX Runtime peer: needs node and npm (apt-get install nodejs npm)" >&2
    return 1
  fi
  local ort_dir="$build_dir/ort"
  mkdir -p "$ort_dir" "$build_dir/onnx"
  cp "$repo/tests/bench/ort/package.json" "$repo/tests/bench/ort/ort_bench.mjs" \
    "$ort_dir/"
  if ! cmp -s "$repo/tests/bench/ort/package-lock.json" \
    "$ort_dir/package-lock.json" || [[ ! -d "$ort_dir/node_modules" ]]; then
    cp "$repo/tests/bench/ort/package-lock.json" "$ort_dir/"
    (cd "$ort_dir" && npm ci --ignore-scripts --no-audit --no-fund \
      --loglevel=error >&2) || return 1
  fi
  "$build_dir/tests/bench/brainserve-onnx-export" --out_dir="$build_dir/onnx" >&2
}
