#!/usr/bin/env bash
# Builds brainserve-engine-bench (Release) and runs it with repetitions, then
# ONNX Runtime on W1-W3 at the same thread counts (tests/bench/ort/, when node
# and npm are installed; ORT=0 skips it), and prints Markdown tables: engine
# vs raw oneDNN vs ONNX Runtime per workload/batch/threads, the
# weight-standardization comparison, and parameter-update costs. For engine
# and ONNX Runtime interleaved round by round, use run_ort_compare.sh.
#
# Usage: tests/bench/run_engine_bench.sh [--no-build] [benchmark flags...]
# Environment: BUILD_DIR (default <repo>/build-bench), REPETITIONS (10),
# MIN_TIME_S (0.2, per repetition), BENCH_THREADS (1,2), ORT (1; 0 skips ONNX
# Runtime).
# Extra flags go to the binary, e.g. --benchmark_filter='W2'.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build-bench}"
repetitions="${REPETITIONS:-10}"
min_time_s="${MIN_TIME_S:-0.2}"
bench_threads="${BENCH_THREADS:-1,2}"
python=/usr/bin/python3

build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
if [[ $build -eq 1 ]]; then
  cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
    -DBRAINSERVE_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build "$build_dir" -j2 \
    --target brainserve-engine-bench brainserve-onnx-export >&2
fi
binary="$build_dir/tests/bench/brainserve-engine-bench"
json="$build_dir/engine_bench.json"
table="$build_dir/engine_bench.md"

"$binary" --bench_threads="$bench_threads" \
  --benchmark_repetitions="$repetitions" \
  --benchmark_min_time="$min_time_s" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@" >&2

# ONNX Runtime on the same machine, right after: ort.<T>.json per thread count.
ort_json_dir="$build_dir/ort_results"
rm -rf "$ort_json_dir"
mkdir -p "$ort_json_dir"
if [[ "${ORT:-1}" != 0 ]]; then
  # shellcheck source=tests/bench/ort/setup.sh
  . "$repo/tests/bench/ort/setup.sh"
  if ort_prepare "$repo" "$build_dir"; then
    for threads in ${bench_threads//,/ }; do
      node "$build_dir/ort/ort_bench.mjs" --models="$build_dir/onnx" \
        --threads="$threads" --repetitions="$repetitions" \
        --min_time_s="$min_time_s" --out="$ort_json_dir/ort.$threads.json" >&2
    done
  fi
fi

"$python" - "$json" "$ort_json_dir" <<'EOF' | tee "$table"
import glob, json, statistics, sys
from collections import defaultdict

# ONNX Runtime p50 (µs) measured in this run: {(workload, batch): {threads: µs}}.
ORT = defaultdict(dict)
ort_version = None
for path in glob.glob(f"{sys.argv[2]}/ort.*.json"):
    ort_doc = json.load(open(path))
    ort_version = ort_doc["context"]["onnxruntime"]
    for b in ort_doc["benchmarks"]:
        _, w, batch, threads = b["name"].split("/")
        ORT[(w, int(batch.split(":")[1]))][int(threads.split(":")[1])] = \
            statistics.median(b["real_time_us"])

doc = json.load(open(sys.argv[1]))
times = defaultdict(list)   # run name -> [real_time µs per repetition]
cpu_times = defaultdict(list)  # run name -> [process cpu_time µs]
cpu = defaultdict(list)     # run name -> [cpu_time / real_time]
diff = {}
errors = []
for b in doc["benchmarks"]:
    if b.get("error_occurred"):
        errors.append(f'{b["name"]}: {b.get("error_message")}')
        continue
    if b.get("run_type") != "iteration":
        continue
    assert b["time_unit"] == "us", b["time_unit"]
    name = b["run_name"]
    times[name].append(b["real_time"])
    cpu_times[name].append(b["cpu_time"])
    cpu[name].append(b["cpu_time"] / b["real_time"])
    if "max_abs_diff" in b:
        diff[name] = b["max_abs_diff"]

def parse(name):
    kind, workload, *rest = name.split("/")
    fields = dict(p.split(":", 1) for p in rest if ":" in p)
    return kind, workload, fields

def med(name, series=times):
    return statistics.median(series[name]) if series.get(name) else None

def fmt(x, digits=1):
    return "–" if x is None else f"{x:,.{digits}f}"

ctx = doc["context"]
print(f'Host: {ctx.get("host_name")}, {ctx.get("num_cpus")} CPUs, '
      f'oneDNN {ctx.get("onednn")} ({ctx.get("onednn_isa")}), '
      f'{len(next(iter(times.values()), []))} repetitions, medians; '
      + (f'ONNX Runtime {ort_version} (onnxruntime-node) right after, same '
         'machine and threads.\n' if ort_version else
         'ONNX Runtime not run (ORT=0, or no node and npm).\n'))

print("| workload | batch | threads | engine p50 µs | raw p50 µs | ratio p50 "
      "| ratio min | engine − raw µs | ratio cpu | engine cpu/real "
      "| max abs diff | ORT p50 µs | engine / ORT |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
rows = []
for name in times:
    kind, workload, f = parse(name)
    if kind == "engine":
        rows.append((workload, int(f["batch"]), int(f["threads"]), name))
order = {"W1": 0, "W2": 1, "W3": 2}
rows.sort(key=lambda r: (order.get(r[0], 9), r[0], r[1], r[2]))
for workload, batch, threads, name in rows:
    raw_name = "raw" + name[len("engine"):]
    e, r = med(name), med(raw_name)
    ratio = e / r if e and r else None
    ratio_min = (min(times[name]) / min(times[raw_name])
                 if times.get(raw_name) else None)
    ec, rc = med(name, cpu_times), med(raw_name, cpu_times)
    ort = ORT.get((workload, batch), {}).get(threads)
    print(f"| {workload} | {batch} | {threads} | {fmt(e)} | {fmt(r)} | "
          f"{fmt(ratio, 3)} | {fmt(ratio_min, 3)} | "
          f"{fmt(e - r if e and r else None)} | "
          f"{fmt(ec / rc if ec and rc else None, 3)} | "
          f"{fmt(statistics.median(cpu[name]), 2)} | "
          f"{diff.get(name, float('nan')):.1e} | {fmt(ort)} | "
          f"{fmt(e / ort if ort else None, 2)} |")

ws_names = [n for n in sorted(times) if n.startswith("engine/plain_linear/")]
if ws_names:
    print("\nWeight standardization / derived weights (engine, 1024→1024 "
          "layer):\n")
    print("| batch | threads | Linear p50 µs | ScaledWSLinear p50 µs "
          "| WS / Linear | SignedWLinear p50 µs | Signed / Linear |")
    print("|---|---|---|---|---|---|---|")
for name in ws_names:
    kind, workload, f = parse(name)
    if kind != "engine" or workload != "plain_linear":
        continue
    suffix = name[len("engine/plain_linear"):]
    p = med(name)
    ws = med("engine/ws_linear" + suffix)
    sg = med("engine/signed_linear" + suffix)
    print(f'| {f["batch"]} | {f["threads"]} | {fmt(p)} | {fmt(ws)} | '
          f'{fmt(ws / p if ws else None, 3)} | {fmt(sg)} | '
          f'{fmt(sg / p if sg else None, 3)} |')

update_names = [n for n in sorted(times) if n.startswith("update")]
if update_names:
    print("\nParameter updates on W2 (Model::Update, new snapshot incl. "
          "derived weights):\n")
    print("| update | threads | p50 µs | min µs |")
    print("|---|---|---|---|")
for name in update_names:
    kind, workload, f = parse(name)
    what = name.split("/")[2]
    label = what if kind == "update" else f"{what} (raw: copy+WS+reorder)"
    print(f'| {label} | {f["threads"]} | {fmt(med(name))} | '
          f'{fmt(min(times[name]))} |')

if errors:
    print("\nERRORS:")
    for e in errors:
        print(f"- {e}")
    sys.exit(1)
EOF
