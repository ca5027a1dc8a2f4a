#!/usr/bin/env bash
# Protocol report (docs/PERFORMANCE.md section 7): the same inference through
# brainserve's Forward, the Open Inference Protocol's ModelInfer over gRPC, and
# its REST infer over HTTP (JSON data, and binary tensor data), side by side
# on one server. For every repeat the protocols run back to back (interleaved
# A/B), at each level:
#   W1 (`mlp`) at concurrency 1 -> p50;  `identity` at concurrency 64 -> req/s.
# Also the server's CPU time per request (/proc/PID/stat utime+stime over the
# whole loadgen run, divided by the delta of brainserve_requests_total for
# the model), which a busy shared machine disturbs far less than latency.
# Prints a Markdown table of medians (ranges in brackets) and the median of
# the per-repeat ratios against Forward; raw JSON in $OUT_DIR.
#
#   tests/bench/run_protocol_report.sh            # ~10 min on 2 cores
#   REPEATS=1 QUICK=1 tests/bench/run_protocol_report.sh   # smoke run
#
# Environment: BUILD_DIR (Release tree, default <repo>/build-release, built
# here unless SKIP_BUILD=1), OUT_DIR (default $BUILD_DIR/protocol-report),
# REPEATS (4), QUICK (1 = short windows).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build-release}
OUT=${OUT_DIR:-$BUILD/protocol-report}
REPEATS=${REPEATS:-4}
PY=/usr/bin/python3
SERVER_BIN=$BUILD/server/brainserve-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen
SERVER_PID=""
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.log "$OUT"/*.cpu "$OUT"/ready
log() { echo "[protocol-report] $*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release into $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  cmake --build "$BUILD" -j1 --target brainserve-server brainserve-loadgen \
    >>"$OUT/cmake.log"
fi
if [ "${QUICK:-0}" = 1 ]; then
  MEASURE=(--warmup-ms=300 --window-ms=500 --min-windows=3 --max-duration-s=4)
else
  MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=5 --max-duration-s=20)
fi

cleanup() { if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
"$SERVER_BIN" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
  --store=memory: --models_file="$REPO/tests/bench/serving_models.json" \
  --ready_file="$OUT/ready" 2>"$OUT/server.log" &
SERVER_PID=$!
for _ in $(seq 600); do
  [ -s "$OUT/ready" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
port() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$OUT/ready" "$1"; }
GRPC=127.0.0.1:$(port grpc_port)
HTTP=127.0.0.1:$(port http_port)
METRICS=http://127.0.0.1:$(port metrics_port)/metrics
log "server: grpc $GRPC http $HTTP"

# name -> loadgen flags
declare -A PROTOCOL=(
  [forward]="--protocol=brainserve --encoding=raw"
  [modelinfer]="--protocol=oip --encoding=raw"
  [rest-binary]="--protocol=http --encoding=raw"
  [rest-json]="--protocol=http --encoding=values"
)
ORDER=(forward modelinfer rest-binary rest-json)
TICKS_PER_S=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
requests_total() {
  curl -s "$METRICS" | awk -v m="model=\"$1\"" \
    '/^brainserve_requests_total\{/ && index($0, m) {s += $NF} END {printf "%d\n", s}'
}
echo "server: $SERVER_BIN --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 --store=memory: --models_file=tests/bench/serving_models.json" >"$OUT/commands.txt"
for repeat in $(seq "$REPEATS"); do
  for level in "mlp 1" "identity 64"; do
    read -r model concurrency <<<"$level"
    order=("${ORDER[@]}")
    if [ $((repeat % 2)) = 0 ]; then order=(rest-json rest-binary modelinfer forward); fi
    for name in "${order[@]}"; do
      # shellcheck disable=SC2086
      cmd=("$LOADGEN_BIN" --server="$GRPC" --http-server="$HTTP" --model="$model"
           --concurrency="$concurrency" --connections=2 ${PROTOCOL[$name]} "${MEASURE[@]}"
           --metrics-url="$METRICS" --json="$OUT/$name-$model-c$concurrency-r$repeat.json")
      echo "${cmd[*]}" >>"$OUT/commands.txt"
      log "repeat $repeat: $name $model c=$concurrency"
      ticks0=$(cpu_ticks); requests0=$(requests_total "$model")
      "${cmd[@]}" >"$OUT/$name-$model-c$concurrency-r$repeat.log" 2>&1
      ticks1=$(cpu_ticks); requests1=$(requests_total "$model")
      echo "$(( (ticks1 - ticks0) * 1000000 / TICKS_PER_S )) $((requests1 - requests0))" \
        >"$OUT/$name-$model-c$concurrency-r$repeat.cpu"
    done
  done
done

$PY - "$OUT" "$REPEATS" <<'PYEOF'
import json, statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
order = ["forward", "modelinfer", "rest-binary", "rest-json"]
def level(name, model, c, r):
    return json.load(open(f"{out}/{name}-{model}-c{c}-r{r}.json"))["levels"][0]
def fmt(values, digits=0):
    med = statistics.median(values)
    return f"{med:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"
def cpu(name, model, c, r):
    us, requests = map(int, open(f"{out}/{name}-{model}-c{c}-r{r}.cpu").read().split())
    return us / requests
R = range(1, repeats + 1)
print("| protocol | W1 p50 µs, c=1 | W1 p50 / Forward | identity req/s, c=64 | req/s / Forward | server CPU µs/req W1 c=1 | / Forward | server CPU µs/req identity c=64 | / Forward | failed |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name in order:
    p50 = [level(name, "mlp", 1, r)["latency"]["p50_us"] for r in range(1, repeats + 1)]
    rps = [level(name, "identity", 64, r)["throughput_rps"] for r in range(1, repeats + 1)]
    p50_ratio = [level(name, "mlp", 1, r)["latency"]["p50_us"] / level("forward", "mlp", 1, r)["latency"]["p50_us"] for r in range(1, repeats + 1)]
    rps_ratio = [level(name, "identity", 64, r)["throughput_rps"] / level("forward", "identity", 64, r)["throughput_rps"] for r in range(1, repeats + 1)]
    failed = sum(level(name, m, c, r)["failed"] for m, c in (("mlp", 1), ("identity", 64)) for r in range(1, repeats + 1))
    cpu1 = [cpu(name, "mlp", 1, r) for r in R]
    cpu64 = [cpu(name, "identity", 64, r) for r in R]
    cpu1_ratio = [cpu(name, "mlp", 1, r) / cpu("forward", "mlp", 1, r) for r in R]
    cpu64_ratio = [cpu(name, "identity", 64, r) / cpu("forward", "identity", 64, r) for r in R]
    print(f"| {name} | {fmt(p50)} | {fmt(p50_ratio, 2)} | {fmt(rps)} | {fmt(rps_ratio, 2)} | "
          f"{fmt(cpu1, 1)} | {fmt(cpu1_ratio, 2)} | {fmt(cpu64, 1)} | {fmt(cpu64_ratio, 2)} | {failed} |")
PYEOF
