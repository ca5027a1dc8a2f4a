#!/usr/bin/env bash
# Threads per batch and workers per model (issue 16, item 3): W2 with
# batching under Poisson open-loop load, served three ways, alternately,
# ROUNDS times, on one build: one batch worker with every batch on all
# threads ("all": w2_batch64, --min_rows_for_all_threads=0); one worker with
# batches under 16 rows on one thread ("small1"); two workers of one thread
# each ("2workers": w2_batch64_2workers, num_batch_workers 2).
# Each round measures the closed-loop peak of each policy (concurrency 64),
# then offers both the same open-loop rates: FRACTIONS of the all-threads
# peak of round 1. Prints per policy and rate the medians of req/s, p99,
# failed calls and server CPU per request, and each policy's highest rate
# with 0 failures and p99 <= 10 ms against its closed-loop peak.
#
# Usage: tests/bench/run_threads_report.sh [BUILD_DIR]   (default: build)
# Environment: ROUNDS (3), FRACTIONS ("0.5 0.7 0.85 1.0"), QUICK=1 (short
#              windows: checks the script only), OUT_DIR (a new temp dir),
#              ONLY (a space-separated subset of the policy names, e.g. "all").
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$REPO/build}
SERVER_BIN=$BUILD/server/brainserve-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen
ROUNDS=${ROUNDS:-3}
FRACTIONS=${FRACTIONS:-"0.5 0.7 0.85 1.0"}
OUT=${OUT_DIR:-$(mktemp -d)}
PY=/usr/bin/python3
MODELS=$REPO/tests/bench/serving_models.json
SERVER_PID=""
mkdir -p "$OUT"
# shellcheck source=tests/bench/serving_lib.sh
. "$REPO/tests/bench/serving_lib.sh"
trap '[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true' EXIT

if [ "${QUICK:-0}" = 1 ]; then
  MEASURE=(--warmup-ms=300 --window-ms=500 --min-windows=2 --max-duration-s=3)
else
  MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=5 --max-duration-s=12)
fi
# name, model (tests/bench/serving_models.json), --min_rows_for_all_threads
POLICIES=("all w2_batch64 0" "small1 w2_batch64 16" "2workers w2_batch64_2workers 0")
if [ -n "${ONLY:-}" ]; then
  KEPT=()
  for p in "${POLICIES[@]}"; do
    [[ " $ONLY " == *" ${p%% *} "* ]] && KEPT+=("$p")
  done
  [ ${#KEPT[@]} -gt 0 ] || { echo "ONLY=$ONLY names no policy" >&2; exit 2; }
  POLICIES=("${KEPT[@]}")
fi
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
PEAK=""
for round in $(seq "$ROUNDS"); do
  for p in "${POLICIES[@]}"; do
    read -r name model rows <<<"$p"
    SERVER_FLAGS="--min_rows_for_all_threads=$rows --store=memory:"
    start_server "$name" --min_rows_for_all_threads="$rows" --store=memory:
    lg "${name}_peak_r$round" --model="$model" --concurrency=64 "${MEASURE[@]}"
    if [ -z "$PEAK" ]; then
      PEAK=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["levels"][0]["throughput_rps"])' "$OUT/${name}_peak_r$round.json")
      log "all-threads closed-loop peak (round 1): $PEAK req/s"
    fi
    for f in $FRACTIONS; do
      rate=$($PY -c "print(int($PEAK * $f))")
      key="${name}_f${f}_r$round"
      before=$(cpu_ticks)
      lg "$key" --model="$model" --request-rate="$rate" --arrival=poisson "${MEASURE[@]}"
      echo "$(( $(cpu_ticks) - before ))" >"$OUT/$key.ticks"
    done
    stop_server
  done
  log "round $round/$ROUNDS done"
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (after the runs); $ROUNDS rounds; results in $OUT"
$PY - "$OUT" "$ROUNDS" "$(getconf CLK_TCK)" "$FRACTIONS" "$(for p in "${POLICIES[@]}"; do echo "${p%% *}"; done)" <<'PY'
import json, statistics, sys
out, rounds, hz, fractions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split()
def level(key):
    return json.load(open(f"{out}/{key}.json"))["levels"][0]
med = statistics.median
print("| policy | closed-loop peak req/s | offered | req/s | p99 ms | failed | server CPU µs/req |")
print("|---|---|---|---|---|---|---|")
best = {}
names = sys.argv[5].split()
for name in names:
    peak = med(level(f"{name}_peak_r{r}")["throughput_rps"] for r in range(1, rounds + 1))
    for f in fractions:
        rows = [level(f"{name}_f{f}_r{r}") for r in range(1, rounds + 1)]
        ticks = [int(open(f"{out}/{name}_f{f}_r{r}.ticks").read()) for r in range(1, rounds + 1)]
        rps = med(x["throughput_rps"] for x in rows)
        p99 = med(x["latency"]["p99_us"] for x in rows) / 1000
        failed = [x["failed"] for x in rows]
        cpu = med(t / hz * 1e6 / max(1, x["latency"]["count"] + x["failed"]) for t, x in zip(ticks, rows))
        print(f"| {name} | {peak:.0f} | {f} × all-peak | {rps:.0f} | {p99:.2f} | {sum(failed)} ({'/'.join(map(str, failed))}) | {cpu:.1f} |")
        ok = all(x["failed"] == 0 and x["latency"]["p99_us"] <= 10000 for x in rows)
        if ok:
            best[name] = max(best.get(name, 0), rps / peak)
for name in names:
    print(f"{name}: highest open-loop rate with 0 failures and p99 <= 10 ms in every round: "
          f"{best.get(name, 0):.2f} x its closed-loop peak")
PY
