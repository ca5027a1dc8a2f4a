#!/usr/bin/env bash
# Serving side by side: two brainserve-server binaries (a baseline, e.g. built
# from the previous commit, and a candidate), run alternately ROUNDS times
# with the same load generator, so both face the same background load.
# Per workload it prints the medians of each side and the candidate/baseline
# ratios (median of the per-round ratios, range in brackets) of req/s, p50,
# p99 and the server's CPU time per request (from /proc, user + system).
#
# Usage: tests/bench/compare_serving.sh BASELINE_SERVER CANDIDATE_SERVER LOADGEN
# Environment: ROUNDS (5), QUICK=1 (short windows: checks the script only),
#              OUT_DIR (default: a new temporary directory).
# Workloads (tests/bench/serving_models.json): W1 ("mlp") at concurrency 1,
# identity at concurrency 64, W1 at 64 (batches of several calls).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASELINE=$1
CANDIDATE=$2
LOADGEN_BIN=$3
ROUNDS=${ROUNDS:-5}
OUT=${OUT_DIR:-$(mktemp -d)}
PY=/usr/bin/python3
MODELS=$REPO/tests/bench/serving_models.json
BUILD=$(dirname "$LOADGEN_BIN")
SERVER_PID=""
mkdir -p "$OUT"
# shellcheck source=tests/bench/serving_lib.sh
. "$REPO/tests/bench/serving_lib.sh"
trap '[ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null || true' EXIT

if [ "${QUICK:-0}" = 1 ]; then
  MEASURE=(--warmup-ms=300 --window-ms=500 --min-windows=3 --max-duration-s=4)
else
  MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=5 --max-duration-s=15)
fi
WORKLOADS=("mlp 1" "identity 64" "mlp 64")

# Server CPU ticks (user + system) so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

for round in $(seq "$ROUNDS"); do
  for side in baseline candidate; do
    SERVER_BIN=$BASELINE
    [ "$side" = candidate ] && SERVER_BIN=$CANDIDATE
    start_server "$side"
    for w in "${WORKLOADS[@]}"; do
      read -r model c <<<"$w"
      key="${side}_${model}_c${c}_r$round"
      before=$(cpu_ticks)
      lg "$key" --model="$model" --concurrency="$c" "${MEASURE[@]}"
      echo "$(( $(cpu_ticks) - before ))" >"$OUT/$key.ticks"
    done
    stop_server
  done
  log "round $round/$ROUNDS done"
done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (after the runs); $ROUNDS rounds"
$PY - "$OUT" "$ROUNDS" "$(getconf CLK_TCK)" "${WORKLOADS[@]}" <<'PY'
import json, statistics, sys
out, rounds, hz, workloads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def run(side, model, c, r):
    level = json.load(open(f"{out}/{side}_{model}_c{c}_r{r}.json"))["levels"][0]
    ticks = int(open(f"{out}/{side}_{model}_c{c}_r{r}.ticks").read())
    # CPU over the whole run (warm-up included) per request sent.
    level["cpu_us"] = ticks * 1e6 / hz / max(level["sent"], 1)
    return level
metrics = [("req/s", lambda l: l["throughput_rps"]),
           ("p50 µs", lambda l: l["latency"]["p50_us"]),
           ("p99 µs", lambda l: l["latency"]["p99_us"]),
           ("server CPU µs/req", lambda l: l["cpu_us"])]
print("| workload | measure | baseline | candidate | candidate / baseline |")
print("|---|---|---|---|---|")
for w in workloads:
    model, c = w.split()
    base = [run("baseline", model, c, r) for r in range(1, rounds + 1)]
    cand = [run("candidate", model, c, r) for r in range(1, rounds + 1)]
    failed = sum(l["failed"] for l in base + cand)
    for name, get in metrics:
        ratios = [get(b2) / get(b1) for b1, b2 in zip(base, cand)]
        print(f"| {'W1' if model == 'mlp' else model} c={c} | {name} | "
              f"{statistics.median(map(get, base)):.1f} | {statistics.median(map(get, cand)):.1f} | "
              f"**{statistics.median(ratios):.3f}×** ({min(ratios):.2f}–{max(ratios):.2f}) |")
    if failed:
        print(f"| | failed requests | {failed} | | |")
PY
echo "raw results: $OUT"
