#!/usr/bin/env bash
# Runs two brainserve-engine-bench binaries (a baseline, e.g. built from main,
# and a candidate) interleaved, ROUNDS times each, and prints per benchmark
# the median over all repetitions of each and the candidate/baseline ratio.
# On a shared machine both face the same background load.
#
# Usage: tests/bench/compare_engine_bench.sh BASELINE_BIN CANDIDATE_BIN [filter]
# Environment: ROUNDS (3), REPETITIONS (5 per round), BENCH_THREADS (1).
set -euo pipefail
baseline=$1
candidate=$2
filter=${3:-'update|engine/W2/batch:8/|engine/W3/batch:8/'}
rounds=${ROUNDS:-3}
repetitions=${REPETITIONS:-5}
threads=${BENCH_THREADS:-1}
out=$(mktemp -d)
for round in $(seq 1 "$rounds"); do
  for side in baseline candidate; do
    bin=$baseline
    [[ $side == candidate ]] && bin=$candidate
    "$bin" --bench_threads="$threads" --benchmark_filter="$filter" \
      --benchmark_repetitions="$repetitions" \
      --benchmark_report_aggregates_only=false \
      --benchmark_display_aggregates_only=true \
      --benchmark_out="$out/$side.$round.json" \
      --benchmark_out_format=json >/dev/null 2>"$out/$side.$round.err" ||
      { cat "$out/$side.$round.err" >&2; exit 1; }
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (after the runs)"
/usr/bin/python3 - "$out" <<'PY'
import glob, json, statistics, sys
from collections import defaultdict
times = {"baseline": defaultdict(list), "candidate": defaultdict(list)}
for side in times:
    for path in sorted(glob.glob(f"{sys.argv[1]}/{side}.*.json")):
        for b in json.load(open(path))["benchmarks"]:
            if b.get("run_type") == "iteration" and not b.get("error_occurred"):
                assert b["time_unit"] == "us"
                times[side][b["run_name"]].append(b["real_time"])
names = sorted(set(times["baseline"]) | set(times["candidate"]))
print("| benchmark | baseline median µs | candidate median µs | candidate / baseline | n |")
print("|---|---|---|---|---|")
for n in names:
    b, c = times["baseline"].get(n), times["candidate"].get(n)
    mb = statistics.median(b) if b else None
    mc = statistics.median(c) if c else None
    ratio = f"{mc / mb:.3f}" if mb and mc else "–"
    f = lambda x: "–" if x is None else f"{x:,.1f}"
    print(f"| {n} | {f(mb)} | {f(mc)} | {ratio} | {len(b or [])}/{len(c or [])} |")
PY
