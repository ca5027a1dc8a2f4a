#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang-14, ASan and UBSan in
# their own build dir and runs each one on its seed corpus. Fails if any
# target crashes, leaks, times out or runs out of memory.
#
#   FUZZ_RUNS=100000   executions per target (libFuzzer -runs). With a fixed
#                 seed and FUZZ_FRESH=1 two runs try largely the same inputs
#                 (scripts/test.sh sets both), whatever the machine's speed;
#                 not bitwise the same, since hash-map seeds and addresses
#                 change coverage a little. FUZZ_SECONDS still caps it.
#   FUZZ_FRESH=1  start from the seeds alone, forgetting what earlier runs
#                 added to $FUZZ_BUILD_DIR/corpus/<target>/
#   FUZZ_SECONDS=25   time per target (libFuzzer -max_total_time)
#   FUZZ_TARGETS="npy_fuzzer forward_fuzzer"   a subset (default: all)
#   FUZZ_BUILD_DIR=build-fuzz
#   FUZZ_JOBS=$(nproc)   build parallelism
#   FUZZ_EXTRA="-runs=..."   more libFuzzer flags (e.g. for a long campaign)
#   FUZZ_SEED=1   libFuzzer's random seed (0 = a new one each run). Fixed by
#                 default, so the test suite's short runs are repeatable; a
#                 campaign passes FUZZ_SEED=0 to explore.
#
# Inputs that grow coverage go to $FUZZ_BUILD_DIR/corpus/<target>/ (the
# repo's seed corpus is only read); crash inputs to $FUZZ_BUILD_DIR/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-25}
ALL_TARGETS=(model_spec_fuzzer tensor_decode_fuzzer update_fuzzer npy_fuzzer
             json_tensor_fuzzer forward_fuzzer model_infer_fuzzer v2_json_fuzzer)
read -r -a TARGETS <<< "${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

# oneDNN (Debian's) runs on libgomp: link that OpenMP runtime, not clang's
# libomp, so only one runtime is loaded. omp.h comes from libomp-14-dev.
GOMP=$(g++ -print-file-name=libgomp.so)
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DBRAINSERVE_FUZZ=ON \
  -DBRAINSERVE_BUILD_TESTS=OFF -DBRAINSERVE_BUILD_BENCHMARKS=OFF \
  -DOpenMP_CXX_FLAGS=-fopenmp=libgomp -DOpenMP_CXX_LIB_NAMES=gomp \
  -DOpenMP_gomp_LIBRARY="$GOMP" >/dev/null
cmake --build "$BUILD" -j"${FUZZ_JOBS:-$(nproc)}" --target fuzz_targets

# The seed corpus: binary files are used as they are; *.textproto files are
# text-format protos, encoded here into the binary form the targets read.
declare -A MESSAGE=(
  [model_spec_fuzzer]=brainserve.v1.CreateModelRequest
  [tensor_decode_fuzzer]=brainserve.v1.Tensor
  [update_fuzzer]=brainserve.v1.UpdateParametersRequest
  [forward_fuzzer]=brainserve.v1.ForwardRequest
  [model_infer_fuzzer]=inference.ModelInferRequest
)
seeds_for() {  # target -> directory of seeds the target can read
  local target=$1 out="$BUILD/seeds/$1"
  rm -rf "$out"; mkdir -p "$out"
  local f
  for f in tests/fuzz/corpus/"$target"/*; do
    [ -e "$f" ] || continue
    if [[ "$f" == *.textproto ]]; then
      local proto=proto/brainserve/v1/model_service.proto
      [ "$target" = model_infer_fuzzer ] && proto=proto/inference/grpc_predict_v2.proto
      protoc -Iproto --encode="${MESSAGE[$target]}" "$proto" \
        < "$f" > "$out/$(basename "${f%.textproto}").pb"
    else
      cp "$f" "$out/"
    fi
  done
  echo "$out"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
mkdir -p "$BUILD/artifacts"
failed=()
for target in "${TARGETS[@]}"; do
  seeds=$(seeds_for "$target")
  corpus="$BUILD/corpus/$target"
  [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
  mkdir -p "$corpus"
  runs=()
  [ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
  echo "== fuzz $target for ${FUZZ_RUNS:+$FUZZ_RUNS runs, at most }${SECONDS_PER_TARGET}s"
  # shellcheck disable=SC2086
  if ! "$BUILD/tests/fuzz/$target" "$corpus" "$seeds" "${runs[@]}" \
      -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
      -max_len=4096 -timeout=10 -print_final_stats=1 -seed="${FUZZ_SEED:-1}" \
      -artifact_prefix="$BUILD/artifacts/$target-" ${FUZZ_EXTRA:-} \
      > "$BUILD/$target.log" 2>&1; then
    failed+=("$target")
    tail -n 60 "$BUILD/$target.log"
  fi
  grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb" \
    "$BUILD/$target.log" || true
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $BUILD/artifacts/)"
  exit 1
fi
echo "fuzz: all ${#TARGETS[@]} targets ran ${FUZZ_RUNS:+$FUZZ_RUNS inputs or }${SECONDS_PER_TARGET}s without a crash"
