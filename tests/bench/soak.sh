#!/usr/bin/env bash
# Soak test (not in CI): a long run at a fixed fraction of the closed-loop
# capacity of W2 (tests/bench/serving_models.json, model w2_batch64) with
# model create/forward/delete churn and UpdateParameters at a steady rate,
# sampling the server's VmRSS. Reports the RSS growth after warm-up (goal
# < 1%) and every error count, as Markdown (also $OUT_DIR/report.md).
#
#   tests/bench/soak.sh                  # 10 minutes at 50% of the peak
#   DURATION=60 tests/bench/soak.sh      # a short check of the script
#
# Environment:
#   DURATION        seconds of load (600)
#   WARMUP          seconds excluded from the growth figure (max(60, DURATION/5))
#   LOAD_PCT        open-loop rate in % of the closed-loop peak (50)
#   PEAK_RPS        closed-loop peak of w2_batch64 in requests/s; measured
#                   here (concurrency 16, ~10 s) when unset
#   UPDATE_INTERVAL seconds between UpdateParameters calls (brainserve-cli
#                   update, REPLACE of fc1/bias, alternating two values) (0.5)
#   CHURN_INTERVAL  seconds between churn rounds: create a small model,
#                   3 forwards, delete it (3)
#   RSS_INTERVAL    seconds between VmRSS samples (5)
#   BUILD_DIR       build tree with brainserve-server, -loadgen and -cli
#                   (default <repo>/build; built here unless SKIP_BUILD=1)
#   OUT_DIR         results (default $BUILD_DIR/soak)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
OUT=${OUT_DIR:-$BUILD/soak}
DURATION=${DURATION:-600}
WARMUP=${WARMUP:-$(( DURATION / 5 > 60 ? DURATION / 5 : (DURATION >= 120 ? 60 : DURATION / 4) ))}
LOAD_PCT=${LOAD_PCT:-50}
UPDATE_INTERVAL=${UPDATE_INTERVAL:-0.5}
CHURN_INTERVAL=${CHURN_INTERVAL:-3}
RSS_INTERVAL=${RSS_INTERVAL:-5}
MODEL=w2_batch64
PY=/usr/bin/python3
SERVER_BIN=$BUILD/server/brainserve-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen
CLI_BIN=$BUILD/client/brainserve-cli
SERVER_PID="" SAMPLER_PID="" CHURN_PID="" UPDATER_PID=""

mkdir -p "$OUT"
rm -f "$OUT"/*
log() { echo "[soak] $*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building into $BUILD"
  cmake -S "$REPO" -B "$BUILD" >"$OUT/cmake.log"
  cmake --build "$BUILD" -j2 --target brainserve-server brainserve-loadgen \
    brainserve-cli >>"$OUT/cmake.log"
fi

cleanup() {
  for pid in "$CHURN_PID" "$UPDATER_PID" "$SAMPLER_PID"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

"$SERVER_BIN" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --models_file="$REPO/tests/bench/serving_models.json" \
  --ready_file="$OUT/ready.json" 2>"$OUT/server.log" &
SERVER_PID=$!
for _ in $(seq 600); do
  [ -s "$OUT/ready.json" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
GRPC_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$OUT/ready.json")
METRICS_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics_port"])' "$OUT/ready.json")
SERVER=127.0.0.1:$GRPC_PORT
log "server pid $SERVER_PID on $SERVER"

if [ -z "${PEAK_RPS:-}" ]; then
  log "measuring the closed-loop peak of $MODEL (concurrency 16)"
  "$LOADGEN_BIN" --server="$SERVER" --model=$MODEL --concurrency=16 \
    --warmup-ms=2000 --window-ms=1000 --min-windows=5 --max-duration-s=15 \
    --json="$OUT/peak.json" >"$OUT/peak.txt"
  PEAK_RPS=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["levels"][0]["throughput_rps"])' "$OUT/peak.json")
fi
RATE=$($PY -c "print(max(1, round(float('$PEAK_RPS') * $LOAD_PCT / 100)))")
log "peak $PEAK_RPS req/s; soak at $RATE req/s ($LOAD_PCT%) for ${DURATION}s, warm-up ${WARMUP}s"

# VmRSS sampler: "seconds_since_start rss_kib" lines.
(
  start=$(date +%s)
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)
    echo "$(( $(date +%s) - start )) $rss" >>"$OUT/rss.txt"
    sleep "$RSS_INTERVAL"
  done
) &
SAMPLER_PID=$!

# Churn: create a small model, forward it three times, delete it; each
# failed step is counted per operation in churn.txt ("op status").
cat >"$OUT/churn_spec.json" <<'JSON'
{"name": "churn", "seed": 3, "spec": {"input_shape": [64], "layers": [
  {"name": "fc", "linear": {"out_size": 64}},
  {"name": "act", "activation": {"function": "RELU"}},
  {"name": "head", "linear": {"out_size": 8}}]}}
JSON
$PY -c 'import json; print(json.dumps([[i / 64 for i in range(64)]]))' >"$OUT/churn_input.json"
(
  i=0
  cli() { "$CLI_BIN" --server="$SERVER" --timeout_ms=10000 "$@" >/dev/null 2>>"$OUT/churn_errors.txt"; }
  while true; do
    name=churn-$i
    if cli create --spec "$OUT/churn_spec.json" --name "$name"; then echo "create ok"; else echo "create fail"; fi
    for _ in 1 2 3; do
      if cli forward "$name" --input "$OUT/churn_input.json"; then echo "forward ok"; else echo "forward fail"; fi
    done
    if cli delete "$name"; then echo "delete ok"; else echo "delete fail"; fi
    i=$((i + 1))
    sleep "$CHURN_INTERVAL"
  done >>"$OUT/churn.txt"
) &
CHURN_PID=$!

# Updates: REPLACE fc1/bias of the loaded model (1024 floats), alternating
# two values; "update ok|fail" lines in churn.txt.
$PY -c 'import json; print(json.dumps([0.01] * 1024))' >"$OUT/bias_a.json"
$PY -c 'import json; print(json.dumps([-0.01] * 1024))' >"$OUT/bias_b.json"
(
  n=0
  while true; do
    value=$OUT/bias_a.json; [ $((n % 2)) = 1 ] && value=$OUT/bias_b.json
    if "$CLI_BIN" --server="$SERVER" --timeout_ms=10000 update $MODEL --layer fc1 \
        --param bias --value "$value" >/dev/null 2>>"$OUT/update_errors.txt"; then
      echo "update ok"; else echo "update fail"; fi
    n=$((n + 1))
    sleep "$UPDATE_INTERVAL"
  done >>"$OUT/updates.txt"
) &
UPDATER_PID=$!

WINDOW_MS=5000
WINDOWS=$(( DURATION * 1000 / WINDOW_MS ))
[ "$WINDOWS" -lt 1 ] && WINDOWS=1
"$LOADGEN_BIN" --server="$SERVER" --model=$MODEL --request-rate="$RATE" \
  --warmup-ms=0 --window-ms=$WINDOW_MS --min-windows="$WINDOWS" \
  --stability-pct=0 --max-duration-s=$(( DURATION + 5 )) \
  --metrics-url="http://127.0.0.1:$METRICS_PORT/metrics" \
  --json="$OUT/load.json" >"$OUT/load.txt"

for pid in "$CHURN_PID" "$UPDATER_PID"; do
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
done
CHURN_PID="" UPDATER_PID=""
sleep "$RSS_INTERVAL"
kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""
kill -0 "$SERVER_PID" 2>/dev/null && SERVER_ALIVE=yes || SERVER_ALIVE=no

$PY - "$OUT" "$WARMUP" "$DURATION" "$PEAK_RPS" "$RATE" "$UPDATE_INTERVAL" "$SERVER_ALIVE" <<'PYEOF' | tee "$OUT/report.md"
import collections, json, statistics, sys
out, warmup, duration, peak, rate, update_interval, alive = sys.argv[1:]
warmup, duration = int(warmup), int(duration)
samples = [tuple(map(int, l.split())) for l in open(f"{out}/rss.txt") if l.strip()]
samples = [(t, kib) for t, kib in samples if kib > 0]
after = [s for s in samples if s[0] >= warmup]
if len(after) < 2:
    after = samples
span = max(1, len(after) // 10)
start_kib = statistics.median(k for _, k in after[:span])
end_kib = statistics.median(k for _, k in after[-span:])
growth = 100.0 * (end_kib - start_kib) / start_kib
level = json.load(open(f"{out}/load.json"))["levels"][0]
churn = collections.Counter(tuple(l.split()) for l in open(f"{out}/churn.txt") if l.strip())
ops = ["create", "forward", "delete"]
lat = level["latency"]
print(f"| soak | value |\n|---|---|")
print(f"| duration (s) / warm-up excluded (s) | {duration} / {warmup} |")
print(f"| closed-loop peak of w2_batch64 (req/s) / soak rate (req/s) | {float(peak):.0f} / {rate} |")
print(f"| Forward: sent / failed / codes | {level['sent']} / {level['failed']} / {json.dumps(level['codes'])} |")
print(f"| Forward throughput (req/s); latency p50 / p99 (ms) | {level['throughput_rps']:.1f}; "
      f"{lat['p50_us'] / 1000:.2f} / {lat['p99_us'] / 1000:.2f} |")
upd = collections.Counter(tuple(l.split()) for l in open(f"{out}/updates.txt") if l.strip())
print(f"| UpdateParameters (fc1/bias, every {update_interval} s) | {upd[('update', 'ok')]} ok / {upd[('update', 'fail')]} failed |")
print(f"| churn (create, 3 forwards, delete) | " + ", ".join(
    f"{op}: {churn[(op, 'ok')]} ok / {churn[(op, 'fail')]} failed" for op in ops) + " |")
print(f"| VmRSS after warm-up (median of first {span} samples) | {start_kib / 1024:.1f} MiB |")
print(f"| VmRSS at the end (median of last {span} samples) | {end_kib / 1024:.1f} MiB |")
print(f"| VmRSS max / min after warm-up | {max(k for _, k in after) / 1024:.1f} / {min(k for _, k in after) / 1024:.1f} MiB |")
print(f"| **RSS growth after warm-up** (goal < 1%) | **{growth:+.2f}%** |")
print(f"| server alive at the end | {alive} |")
PYEOF
