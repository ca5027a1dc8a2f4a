#!/usr/bin/env bash
# The engine against ONNX Runtime in the same run, on the same machine, with
# the same weights, inputs and thread counts (issue 16, item 5).
#
# 1. Builds brainserve-engine-bench and brainserve-onnx-export (Release).
# 2. Installs onnxruntime-node (tests/bench/ort/package-lock.json) from the npm
#    registry into BUILD_DIR/ort, without its install script (the CPU library
#    ships in the package; the script only fetches GPU providers).
# 3. Exports W1, W2 and W3 as ONNX models with the benchmark fixture's seeds,
#    plus the benchmark inputs and the engine's outputs
#    (tests/bench/onnx/onnx_export_main.cc).
# 4. ROUNDS times, for each thread count: the engine benchmark's engine/ and
#    raw/ rows for W1-W3, then ONNX Runtime on the same rows
#    (tests/bench/ort/ort_bench.mjs, which first checks ONNX Runtime's output
#    against the engine's and refuses to time a mismatch).
# 5. Prints a Markdown table (also BUILD_DIR/ort_compare.md): medians over all
#    repetitions of all rounds, engine / ORT as the ratio of those medians and
#    the range of the per-round ratios.
#
# Usage: tests/bench/run_ort_compare.sh [--no-build]
# Environment: BUILD_DIR (<repo>/build-bench), ROUNDS (3), REPETITIONS (5 per
# round and side), MIN_TIME_S (0.2), BENCH_THREADS ("1 2").
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
rounds="${ROUNDS:-3}"
repetitions="${REPETITIONS:-5}"
min_time_s="${MIN_TIME_S:-0.2}"
thread_counts="${BENCH_THREADS:-1 2}"
python=/usr/bin/python3

if [[ "${1:-}" != "--no-build" ]]; then
  cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
    -DBRAINSERVE_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$build_dir" -j2 \
    --target brainserve-engine-bench brainserve-onnx-export >&2
fi
bench="$build_dir/tests/bench/brainserve-engine-bench"

# shellcheck source=tests/bench/ort/setup.sh
. "$repo/tests/bench/ort/setup.sh"
ort_prepare "$repo" "$build_dir" || exit 1
ort_dir="$build_dir/ort"
models="$build_dir/onnx"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq 1 "$rounds"); do
  for threads in $thread_counts; do
    echo "round $round, $threads thread(s)" >&2
    "$bench" --bench_threads="$threads" \
      --benchmark_filter='^(engine|raw)/W[123]/' \
      --benchmark_repetitions="$repetitions" \
      --benchmark_min_time="$min_time_s" \
      --benchmark_enable_random_interleaving=true \
      --benchmark_out="$out/engine.$round.$threads.json" \
      --benchmark_out_format=json >/dev/null
    node "$ort_dir/ort_bench.mjs" --models="$models" --threads="$threads" \
      --repetitions="$repetitions" --min_time_s="$min_time_s" \
      --out="$out/ort.$round.$threads.json" >&2
  done
done

"$python" - "$out" <<'PY' | tee "$build_dir/ort_compare.md"
import glob, json, os, re, statistics, sys
from collections import defaultdict

out = sys.argv[1]
# (kind, workload, batch, threads) -> round -> [µs per repetition]
times = defaultdict(lambda: defaultdict(list))
diff = {}
ctx = {}
name_re = re.compile(r"^(engine|raw|ort)/(W\d)/batch:(\d+)/threads:(\d+)(?:/.*)?$")
for path in glob.glob(f"{out}/engine.*.json"):
    rnd = os.path.basename(path).split(".")[1]
    doc = json.load(open(path))
    ctx.update(doc["context"])
    for b in doc["benchmarks"]:
        if b.get("error_occurred"):
            sys.exit(f'{b["name"]}: {b.get("error_message")}')
        m = name_re.match(b.get("run_name", ""))
        if b.get("run_type") != "iteration" or not m:
            continue
        assert b["time_unit"] == "us"
        times[m.groups()][rnd].append(b["real_time"])
        if "max_abs_diff" in b:
            diff[m.groups()[1:]] = b["max_abs_diff"]
ort_ctx = {}
for path in glob.glob(f"{out}/ort.*.json"):
    rnd = os.path.basename(path).split(".")[1]
    doc = json.load(open(path))
    ort_ctx = doc["context"]
    for b in doc["benchmarks"]:
        m = name_re.match(b["name"])
        times[m.groups()][rnd].extend(b["real_time_us"])
        diff[("ort",) + m.groups()[1:]] = b["max_abs_diff"]

def median_all(key):
    rounds = times.get(key)
    return statistics.median([t for r in rounds.values() for t in r]) if rounds else None

print(f'Host: {ctx.get("host_name")}, {ctx.get("num_cpus")} CPUs, oneDNN '
      f'{ctx.get("onednn")} ({ctx.get("onednn_isa")}); ONNX Runtime '
      f'{ort_ctx.get("onnxruntime")} (node {ort_ctx.get("node")}, '
      f'{ort_ctx.get("api")} run()); load average after the run: '
      f'{open("/proc/loadavg").read().split()[0]}')
print()
print("| workload | batch | threads | engine p50 µs | raw oneDNN p50 µs | ORT p50 µs "
      "| **engine / ORT** | per-round range | raw / ORT | max abs diff engine-raw, ORT-engine |")
print("|---|---|---|---|---|---|---|---|---|---|")
rows = sorted({k[1:] for k in times}, key=lambda r: (r[0], int(r[1]), int(r[2])))
for w, b, t in rows:
    e, r, o = (median_all((k, w, b, t)) for k in ("engine", "raw", "ort"))
    per_round = [statistics.median(times[("engine", w, b, t)][n]) /
                 statistics.median(times[("ort", w, b, t)][n])
                 for n in times[("engine", w, b, t)] if n in times[("ort", w, b, t)]]
    f = lambda x: "–" if x is None else f"{x:,.1f}"
    ratio = f"**{e / o:.2f}**" if e and o else "–"
    rng = f"{min(per_round):.2f}–{max(per_round):.2f}" if per_round else "–"
    raw_ratio = f"{r / o:.2f}" if r and o else "–"
    d = f'{diff.get((w, b, t), float("nan")):.1e}, {diff.get(("ort", w, b, t), float("nan")):.1e}'
    print(f"| {w} | {b} | {t} | {f(e)} | {f(r)} | {f(o)} | {ratio} | {rng} | {raw_ratio} | {d} |")
PY
