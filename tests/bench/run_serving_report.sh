#!/usr/bin/env bash
# Serving performance report: measures, side by side in one run, the figures
# of docs/PERFORMANCE.md sections 1 (serving floor), 2 (batching), 5 (h2load
# vs brainserve-loadgen) and 6 (metrics overhead) — section 3 (updates under
# load) is run_update_report.sh —, and
# prints them as Markdown (also saved to $OUT_DIR/report.md with every raw
# JSON/CSV result beside it).
#
#   tests/bench/run_serving_report.sh            # full run, ~30 min on 2 cores
#   REPEATS=1 QUICK=1 tests/bench/run_serving_report.sh   # smoke run, ~3 min
#
# Environment:
#   BUILD_DIR  Release build tree (default <repo>/build-release; configured
#              and built here: targets brainserve-server, brainserve-loadgen)
#   OUT_DIR    results (default $BUILD_DIR/serving-report)
#   REPEATS    repetitions of every measurement; tables show medians (3)
#   QUICK      1 = short windows (checks the script, not the numbers)
#   SKIP_BUILD 1 = use the binaries already in BUILD_DIR
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build-release}
OUT=${OUT_DIR:-$BUILD/serving-report}
REPEATS=${REPEATS:-3}
QUICK=${QUICK:-0}
PY=/usr/bin/python3
MODELS=$REPO/tests/bench/serving_models.json
SERVER_BIN=$BUILD/server/brainserve-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen
SERVER_PID=""

# shellcheck source=tests/bench/serving_lib.sh
. "$REPO/tests/bench/serving_lib.sh"

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.body "$OUT"/*.ready

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release into $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  cmake --build "$BUILD" -j2 --target brainserve-server brainserve-loadgen \
    >>"$OUT/cmake.log"
fi
command -v h2load >/dev/null || { log "h2load missing: scripts/install-deps.sh"; exit 1; }

if [ "$QUICK" = 1 ]; then
  MEASURE=(--warmup-ms=300 --window-ms=500 --min-windows=3 --max-duration-s=4)
  UPDATE_MEASURE=(--warmup-ms=500 --window-ms=500 --min-windows=3 --max-duration-s=5)
  H2_N1=2000 H2_N64=20000
else
  MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=5 --max-duration-s=20)
  UPDATE_MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=10 --max-duration-s=30)
  H2_N1=20000 H2_N64=200000
fi

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT


# h2 KEY MODEL CONNECTIONS STREAMS N: h2load with a pre-encoded request; the
# server's OK delta is saved next to h2load's output.
h2() {
  local key=$1 model=$2 conns=$3 streams=$4 n=$5
  local url=http://127.0.0.1:$GRPC_PORT/brainserve.v1.ModelService/Forward
  local h2args=(-c "$conns" -m "$streams" -t 1 -d "$OUT/$model.body"
                -H 'content-type: application/grpc' -H 'te: trailers')
  h2load -n $((n / 10)) "${h2args[@]}" "$url" >/dev/null  # warm-up
  local before after
  before=$(scrape_ok "$model")
  run "$key" h2load -n "$n" "${h2args[@]}" "$url" >"$OUT/$key.h2load.txt"
  after=$(scrape_ok "$model")
  echo "$n $((after - before))" >"$OUT/$key.okdelta.txt"
}

date -u '+%Y-%m-%d %H:%M UTC' >"$OUT/date.txt"
{
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores visible)"
  echo "kernel: $(uname -sr); $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

# ---- sections 1, 2, 5 share one server with the exporter on -----------
start_server main
SERVER_FLAGS="--models_file=tests/bench/serving_models.json"
# Each level runs for both models back to back, so a pair sees the same
# background load; ratios are taken within a pair, then the median.
for rep in $(seq "$REPEATS"); do
  log "repeat $rep/$REPEATS: 1. serving floor"
  for c in 1 64; do
    for model in identity mlp; do
      lg "s1_${model}_c${c}_r$rep" --model=$model --concurrency=$c "${MEASURE[@]}" \
        --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
    done
  done
  log "repeat $rep/$REPEATS: 2. batching"
  for c in 1 16 64; do
    for model in w2_batch1 w2_batch64; do
      lg "s2_${model}_c${c}_r$rep" --model=$model --concurrency=$c "${MEASURE[@]}" \
        --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
    done
  done
done

# Section 3 (updates under load) has its own script: run_update_report.sh.

for model in identity mlp; do
  "$LOADGEN_BIN" --server=127.0.0.1:$GRPC_PORT --model=$model \
    --dump-request="$OUT/$model.body" 2>/dev/null
done
for rep in $(seq "$REPEATS"); do
  log "repeat $rep/$REPEATS: 5. h2load vs brainserve-loadgen"
  for model in identity mlp; do
    lg "s5_lg_${model}_c1_r$rep" --model=$model --concurrency=1 --connections=1 \
      "${MEASURE[@]}" --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
    h2 "s5_h2_${model}_c1_r$rep" $model 1 1 $H2_N1
    lg "s5_lg_${model}_c64_r$rep" --model=$model --concurrency=64 --connections=2 \
      "${MEASURE[@]}" --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
    h2 "s5_h2_${model}_c64_r$rep" $model 2 32 $H2_N64
  done
done
stop_server

# ---- section 6: the same load with the exporter on and off, alternating ----
for rep in $(seq "$REPEATS"); do
  log "repeat $rep/$REPEATS: 6. metrics exporter on/off"
  for mode in on off; do
    if [ $mode = on ]; then
      start_server "s6_on_r$rep"
      SERVER_FLAGS="--models_file=tests/bench/serving_models.json"
    else
      start_server "s6_off_r$rep" --metrics_listen=
      SERVER_FLAGS="--models_file=tests/bench/serving_models.json --metrics_listen="
    fi
    for model in identity mlp; do
      lg "s6_${mode}_${model}_r$rep" --model=$model --concurrency=64 "${MEASURE[@]}"
    done
    stop_server
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

# ---- Markdown --------------------------------------------------------------
$PY - "$OUT" <<'EOF' | tee "$OUT/report.md"
import glob, json, os, re, statistics, sys

out = sys.argv[1]
med = statistics.median

def levels(prefix):
    """{(concurrency or rate, phase): [level dicts over repeats, by repeat]}"""
    result = {}
    files = glob.glob(f"{out}/{prefix}_r*.json") + glob.glob(f"{out}/{prefix}_c*_r*.json")
    for f in sorted(files, key=lambda f: int(re.search(r"_r(\d+)\.json$", f).group(1))):
        for l in json.load(open(f))["levels"]:
            key = (l["concurrency"] or l["request_rate"], l["phase"])
            result.setdefault(key, []).append(l)
    return result

def m(ls, *path):
    vals = []
    for l in ls:
        v = l
        for p in path:
            v = v.get(p, {}) if isinstance(v, dict) else {}
        vals.append(v if isinstance(v, (int, float)) else float("nan"))
    return med(vals)

def spread(ls, *path):
    vals = [l for l in ls]
    xs = []
    for l in vals:
        v = l
        for p in path: v = v[p]
        xs.append(v)
    return f"{min(xs):.0f}–{max(xs):.0f}"

def cmd(key_prefix):
    for line in open(f"{out}/commands.txt"):
        key, flags, command = line.rstrip("\n").split("|", 2)
        if key.startswith(key_prefix):
            command = re.sub(r"--server=127.0.0.1:\d+", "--server=$GRPC", command)
            command = re.sub(r"127.0.0.1:\d+/brainserve", "$GRPC/brainserve", command)
            command = re.sub(r"127.0.0.1:\d+/metrics", "$METRICS/metrics", command)
            command = re.sub(r"--json=\S+", "--json=OUT.json", command)
            command = command.replace("client/loadgen/brainserve-loadgen", "brainserve-loadgen")
            return f"server: `brainserve-server {flags}`\n\n`{command}`"
    return "(not run)"

def codes(ls):
    fails = sum(l["failed"] for l in ls)
    sent = sum(l["sent"] for l in ls)
    srv = sum(l.get("server", {}).get("forward_total", 0) for l in ls)
    return sent, fails, srv

reps = len(glob.glob(f"{out}/s1_identity_c1_r*.json"))

def paired(a, b, *path):
    """Median and range of a/b over repeats (same repeat = adjacent runs)."""
    def get(l):
        for p in path: l = l[p]
        return l
    rs = [get(x) / get(y) for x, y in zip(a, b)]
    return med(rs), min(rs), max(rs)
print(f"Measured {open(out + '/date.txt').read().strip()}; every figure is the median of {reps} runs "
      f"(range in brackets where it matters).\n")
print("```\n" + open(out + "/machine.txt").read().strip() + "\n```\n")

# 1. serving floor
print("## 1. The serving floor\n")
idt, mlp = levels("s1_identity"), levels("s1_mlp")
print("| model | concurrency | req/s | p50 µs | p90 µs | p99 µs | server queue µs | server compute µs | mean batch | loadgen CPU µs/req |")
print("|---|---|---|---|---|---|---|---|---|---|")
for c in (1, 64):
    for name, d in (("identity", idt), ("mlp (W1)", mlp)):
        ls = d[(c, "")]
        print(f"| {name} | {c} | {m(ls,'throughput_rps'):.0f} ({spread(ls,'throughput_rps')}) | {m(ls,'latency','p50_us'):.0f} | "
              f"{m(ls,'latency','p90_us'):.0f} | {m(ls,'latency','p99_us'):.0f} | {m(ls,'server','queue_mean_us'):.1f} | "
              f"{m(ls,'server','compute_mean_us'):.1f} | {m(ls,'server','batch_size_mean'):.2f} | {m(ls,'client_cpu_us_per_call'):.1f} |")
r1 = paired(mlp[(1, "")], idt[(1, "")], "latency", "p50_us")
r64 = paired(mlp[(64, "")], idt[(64, "")], "throughput_rps")
print(f"\nW1 p50 / identity p50 at concurrency 1 (median of per-repeat ratios): **{r1[0]:.2f}×** "
      f"({r1[1]:.2f}–{r1[2]:.2f}; goal ≤ 1.3×). W1 / identity throughput at 64: {r64[0]:.2f}× ({r64[1]:.2f}–{r64[2]:.2f}).\n")
print(cmd("s1_identity_c64") + "\n\n" + cmd("s1_mlp_c64") + "\n")

# 2. batching
print("## 2. Batching\n")
b1, b64 = levels("s2_w2_batch1"), levels("s2_w2_batch64")
print("| W2 | concurrency | req/s | p50 µs | p99 µs | server queue µs | server compute µs/batch | mean batch |")
print("|---|---|---|---|---|---|---|---|")
for c in (1, 16, 64):
    for name, d in (("batching off (max_batch_size 1)", b1), ("batching on (max_batch_size 64)", b64)):
        ls = d[(c, "")]
        print(f"| {name} | {c} | {m(ls,'throughput_rps'):.0f} ({spread(ls,'throughput_rps')}) | {m(ls,'latency','p50_us'):.0f} | "
              f"{m(ls,'latency','p99_us'):.0f} | {m(ls,'server','queue_mean_us'):.0f} | {m(ls,'server','compute_mean_us'):.0f} | "
              f"{m(ls,'server','batch_size_mean'):.2f} |")
for c in (1, 16, 64):
    r = paired(b64[(c, "")], b1[(c, "")], "throughput_rps")
    print(f"\nThroughput on/off at concurrency {c} (median of per-repeat ratios): **{r[0]:.2f}×** ({r[1]:.2f}–{r[2]:.2f})"
          + (" (goal ≥ 4×)." if c == 64 else "."))
print("\n" + cmd("s2_w2_batch1_c64") + "\n\n" + cmd("s2_w2_batch64_c64") + "\n")

# 5. h2load
print("## 5. An independent load generator (h2load)\n")
def h2stats(key_prefix):
    rps, mean, okmatch = [], [], []
    for f in sorted(glob.glob(f"{out}/{key_prefix}_r*.h2load.txt")):
        t = open(f).read()
        rps.append(float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", t).group(1)))
        tr = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)", t)
        v = tr.group(3)
        mean.append(float(v[:-2]) if v.endswith("us") else float(v[:-2]) * 1e3 if v.endswith("ms") else float(v[:-1]) * 1e6)
        n, delta = open(f.replace(".h2load.txt", ".okdelta.txt")).read().split()
        okmatch.append((int(n), int(delta)))
    return rps, mean, okmatch
print("| model | concurrency | tool | req/s | mean µs | p50 µs | p99 µs | calls OK at the server / sent |")
print("|---|---|---|---|---|---|---|---|")
for model in ("identity", "mlp"):
    for c in (1, 64):
        ls = levels(f"s5_lg_{model}_c{c}")[(c, "")]
        sent, fails, srv = codes(ls)
        print(f"| {model} | {c} | brainserve-loadgen | {m(ls,'throughput_rps'):.0f} | {m(ls,'latency','mean_us'):.0f} | "
              f"{m(ls,'latency','p50_us'):.0f} | {m(ls,'latency','p99_us'):.0f} | {srv:.0f} / {sent} |")
        rps, mean, ok = h2stats(f"s5_h2_{model}_c{c}")
        print(f"| {model} | {c} | h2load | {med(rps):.0f} | {med(mean):.0f} | – | – | "
              f"{sum(d for _, d in ok)} / {sum(n for n, _ in ok)} |")
print("\n" + cmd("s5_lg_identity_c64") + "\n\n" + cmd("s5_h2_identity_c64") + "\n")

# 6. metrics overhead
print("## 6. Metrics overhead\n")
print("| model (concurrency 64) | exporter on req/s | exporter off req/s | on/off | p50 on µs | p50 off µs |")
print("|---|---|---|---|---|---|")
for model in ("identity", "mlp"):
    on, off = levels(f"s6_on_{model}")[(64, "")], levels(f"s6_off_{model}")[(64, "")]
    ratios = [a["throughput_rps"] / b["throughput_rps"] for a, b in zip(on, off)]
    print(f"| {model} | {m(on,'throughput_rps'):.0f} | {m(off,'throughput_rps'):.0f} | {med(ratios):.3f} "
          f"({min(ratios):.3f}–{max(ratios):.3f}) | {m(on,'latency','p50_us'):.0f} | {m(off,'latency','p50_us'):.0f} |")
print("\n" + cmd("s6_on_identity") + "\n\n" + cmd("s6_off_identity") + "\n")
EOF
