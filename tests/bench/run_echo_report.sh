#!/usr/bin/env bash
# Server CPU per request against the gRPC floor (issue 16, item 5): the same
# pre-encoded brainserve.v1 Forward request (identity model, [1, 64] raw
# float32) sent by h2load with 128 calls in flight (2 connections x 64
# streams, one client thread) to brainserve-server and to
# brainserve-echo-server (same gRPC library and API, answers with the input),
# alternately, ROUNDS times. The server's CPU time (user + system, from
# /proc) over each measured run is divided by the calls it answered.
#
#   tests/bench/run_echo_report.sh             # ~3 min on 2 cores
#   ROUNDS=1 N=20000 tests/bench/run_echo_report.sh   # smoke run
#
# Environment: BUILD_DIR (Release tree, default <repo>/build-release;
# configured and built here unless SKIP_BUILD=1), OUT_DIR, ROUNDS (5),
# N (requests per measured run, 200000).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build-release}
OUT=${OUT_DIR:-$BUILD/echo-report}
ROUNDS=${ROUNDS:-5}
N=${N:-200000}
PY=/usr/bin/python3
MODELS=$REPO/tests/bench/serving_models.json
SERVER_BIN=$BUILD/server/brainserve-server
ECHO_BIN=$BUILD/tests/bench/brainserve-echo-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen
SERVER_PID=""
# shellcheck source=tests/bench/serving_lib.sh
. "$REPO/tests/bench/serving_lib.sh"
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.ready "$OUT"/*.body
trap '[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true' EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release into $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  cmake --build "$BUILD" -j2 --target brainserve-server brainserve-echo-server \
    brainserve-loadgen >>"$OUT/cmake.log"
fi
command -v h2load >/dev/null || { log "h2load missing: scripts/install-deps.sh"; exit 1; }

start_echo() {
  local ready=$OUT/echo.ready
  rm -f "$ready"
  "$ECHO_BIN" --listen=127.0.0.1:0 --ready_file="$ready" 2>"$OUT/echo.server.log" &
  SERVER_PID=$!
  for _ in $(seq 300); do [ -s "$ready" ] && break; sleep 0.1; done
  GRPC_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$ready")
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# measure KEY [MODEL]: warm-up, then N calls; saves the server's CPU ticks
# and h2load's output, and with MODEL the server's OK count for the N calls.
measure() {
  local key=$1 model=${2:-}
  local url=http://127.0.0.1:$GRPC_PORT/brainserve.v1.ModelService/Forward
  local args=(-c 2 -m 64 -t 1 -d "$OUT/identity.body"
              -H 'content-type: application/grpc' -H 'te: trailers' "$url")
  h2load -n $((N / 10)) "${args[@]}" >/dev/null
  local before before_ok=0
  [ -n "$model" ] && before_ok=$(scrape_ok "$model")
  before=$(cpu_ticks)
  run "$key" h2load -n "$N" "${args[@]}" >"$OUT/$key.h2load.txt"
  echo "$(( $(cpu_ticks) - before ))" >"$OUT/$key.ticks.txt"
  if [ -n "$model" ]; then
    echo "$(( $(scrape_ok "$model") - before_ok ))" >"$OUT/$key.ok.txt"
  fi
}

start_server dump
"$LOADGEN_BIN" --server=127.0.0.1:$GRPC_PORT --model=identity \
  --dump-request="$OUT/identity.body" 2>/dev/null
stop_server

for round in $(seq "$ROUNDS"); do
  start_server brainserve
  SERVER_FLAGS="--models_file=tests/bench/serving_models.json"
  measure "brainserve_r$round" identity
  stop_server
  start_echo
  SERVER_FLAGS="(brainserve-echo-server)"
  measure "echo_r$round"
  stop_server
  log "round $round/$ROUNDS done"
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (after the runs); $ROUNDS rounds of $N calls"
$PY - "$OUT" "$ROUNDS" "$N" "$(getconf CLK_TCK)" <<'PY'
import re, statistics, sys
out, rounds, n, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def run(side, r):
    text = open(f"{out}/{side}_r{r}.h2load.txt").read()
    done = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", text).group(2))
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text).group(1))
    ticks = int(open(f"{out}/{side}_r{r}.ticks.txt").read())
    return {"ok": done, "rps": rps, "cpu_us": ticks * 1e6 / hz / max(done, 1)}
bs = [run("brainserve", r) for r in range(1, rounds + 1)]
ec = [run("echo", r) for r in range(1, rounds + 1)]
grpc_ok = [int(open(f"{out}/brainserve_r{r}.ok.txt").read()) for r in range(1, rounds + 1)]
print("| measure | brainserve-server (identity) | brainserve-echo-server | brainserve / echo (median of per-round ratios, range) |")
print("|---|---|---|---|")
for name, key in (("server CPU µs per request", "cpu_us"), ("req/s", "rps")):
    ratios = [b[key] / e[key] for b, e in zip(bs, ec)]
    print(f"| {name} | {statistics.median(b[key] for b in bs):.1f} | "
          f"{statistics.median(e[key] for e in ec):.1f} | "
          f"**{statistics.median(ratios):.2f}×** ({min(ratios):.2f}–{max(ratios):.2f}) |")
print(f"\nbrainserve answered OK (its metrics) {sum(grpc_ok)} of {rounds * n} measured calls; "
      f"HTTP-level successes: brainserve {sum(b['ok'] for b in bs)}, echo {sum(e['ok'] for e in ec)}.")
PY
