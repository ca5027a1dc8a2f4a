#!/usr/bin/env bash
# Updates under load: regenerates docs/PERFORMANCE.md section 3 in one run.
#
# W2 with batching (w2_batch64) under Poisson arrivals at fractions of its
# closed-loop peak (measured first, in the same run), while UpdateParameters
# runs at 10 Hz in two variants: REPLACE of every parameter (9 MiB) and ADD of
# the 4 MiB fc2/weight (a gradient push). brainserve-loadgen alternates
# 1-second segments without updates (baseline) and with them, so both see the
# same background; the figure is updates p99 / baseline p99 of the same run.
# Servers run side by side on the durable store (sqlite, fsync on), one per
# policy in POLICIES, and every run alternates between them, so the policies
# are compared under the same noise. A policy is niceN (--background_nice=N),
# optionally +heap: glibc's mmap and trim thresholds fixed at 1 GiB
# (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_), so an update's multi-MiB
# buffers are reused heap memory instead of fresh pages (docs/PERFORMANCE.md
# §4 found first-touch page faults dominate an update on this VM).
#
#   tests/bench/run_update_report.sh                  # ~15 min on 2 cores
#   QUICK=1 REPEATS=1 tests/bench/run_update_report.sh  # smoke run, ~3 min
#
# Environment:
#   BUILD_DIR   Release build tree (default <repo>/build-release; configured
#               and built here: brainserve-server, brainserve-loadgen)
#   OUT_DIR     results (default $BUILD_DIR/update-report)
#   REPEATS     runs of every cell; tables show the median and range (2)
#   PERCENTS    forward rates in % of the closed-loop peak ("25 50 70")
#   POLICIES    policies compared ("nice10 nice0 nice10+heap"; the first is
#               the server's default)
#   QUICK       1 = short windows (checks the script, not the numbers)
#   SKIP_BUILD  1 = use the binaries already in BUILD_DIR
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build-release}
OUT=${OUT_DIR:-$BUILD/update-report}
REPEATS=${REPEATS:-2}
PERCENTS=${PERCENTS:-25 50 70}
POLICIES=${POLICIES:-nice10 nice0 nice10+heap}
QUICK=${QUICK:-0}
PY=/usr/bin/python3
MODELS=$REPO/tests/bench/serving_models.json
SERVER_BIN=$BUILD/server/brainserve-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen

# shellcheck source=tests/bench/serving_lib.sh
. "$REPO/tests/bench/serving_lib.sh"

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.ready "$OUT"/*.db*

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release into $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  cmake --build "$BUILD" -j2 --target brainserve-server brainserve-loadgen \
    >>"$OUT/cmake.log"
fi

if [ "$QUICK" = 1 ]; then
  PEAK_MEASURE=(--warmup-ms=300 --window-ms=500 --min-windows=3 --max-duration-s=4)
  UPDATE_MEASURE=(--warmup-ms=500 --window-ms=500 --min-windows=3 --max-duration-s=5)
else
  PEAK_MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=5 --max-duration-s=20)
  UPDATE_MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=10 --max-duration-s=30)
fi

declare -A GRPC METRICS PIDS
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

date -u '+%Y-%m-%d %H:%M UTC' >"$OUT/date.txt"
{
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores visible)"
  echo "kernel: $(uname -sr); $(. /etc/os-release; echo "$PRETTY_NAME")"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

# One idle server per policy; only the one under load uses the CPU.
declare -A ENVS
for policy in $POLICIES; do
  nice=${policy%%+*}; nice=${nice#nice}
  SERVER_ENV=()
  case $policy in
    *+heap) SERVER_ENV=(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824) ;;
  esac
  ENVS[$policy]="${SERVER_ENV[*]}"
  start_server "${policy//+/_}" --store="sqlite:$OUT/${policy//+/_}.db" --background_nice="$nice"
  GRPC[$policy]=$GRPC_PORT METRICS[$policy]=$METRICS_PORT PIDS[$policy]=$SERVER_PID
done
SERVER_PID="" SERVER_ENV=()

use() {  # use POLICY: the server later lg calls talk to
  GRPC_PORT=${GRPC[$1]} METRICS_PORT=${METRICS[$1]}
  local nice=${1%%+*}
  SERVER_FLAGS="${ENVS[$1]:+${ENVS[$1]} }--models_file=tests/bench/serving_models.json --store=sqlite:STATE.db --background_nice=${nice#nice}"
}

first=${POLICIES%% *}
use "$first"
for rep in $(seq "$REPEATS"); do
  log "repeat $rep/$REPEATS: closed-loop peak (w2_batch64, concurrency 64)"
  lg "peak_r$rep" --model=w2_batch64 --concurrency=64 "${PEAK_MEASURE[@]}" \
    --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
done
PEAK=$($PY - "$OUT" <<'EOF'
import glob, json, statistics, sys
v = [l["throughput_rps"] for f in glob.glob(sys.argv[1] + "/peak_r*.json")
     for l in json.load(open(f))["levels"]]
print(f"{statistics.median(v):.0f}")
EOF
)
echo "$PEAK" >"$OUT/peak.txt"

for rep in $(seq "$REPEATS"); do
  for pct in $PERCENTS; do
    RATE=$((PEAK * pct / 100))
    for policy in $POLICIES; do
      use "$policy"
      tag=${policy//+/_}
      log "repeat $rep/$REPEATS: $RATE req/s ($pct% of $PEAK), $policy"
      lg "p${pct}_all_${tag}_r$rep" --model=w2_batch64 --request-rate=$RATE \
        --arrival=poisson --update-rate=10 --update-mode=replace "${UPDATE_MEASURE[@]}" \
        --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
      lg "p${pct}_fc2add_${tag}_r$rep" --model=w2_batch64 --request-rate=$RATE \
        --arrival=poisson --update-rate=10 --update-mode=add --update-params=fc2/weight \
        "${UPDATE_MEASURE[@]}" --metrics-url=http://127.0.0.1:$METRICS_PORT/metrics
    done
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

# ---- Markdown --------------------------------------------------------------
$PY - "$OUT" "$PERCENTS" "$POLICIES" <<'EOF' | tee "$OUT/report.md"
import glob, json, re, statistics, sys

out, percents, policies = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
tag = lambda policy: policy.replace("+", "_")
med = statistics.median
peak = int(open(f"{out}/peak.txt").read())

def runs(key):
    """[(baseline level, updates level)] over repeats."""
    result = []
    for f in sorted(glob.glob(f"{out}/{key}_r*.json")):
        levels = {l["phase"]: l for l in json.load(open(f))["levels"]}
        result.append((levels["baseline"], levels["updates"]))
    return result

def get(level, *path):
    for p in path:
        level = level.get(p, {}) if isinstance(level, dict) else {}
    return level if isinstance(level, (int, float)) else float("nan")

def stat(xs, fmt="{:.2f}"):
    if len(xs) == 1:
        return fmt.format(xs[0])
    return f"{fmt.format(med(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"

def cmd(prefix):
    for line in open(f"{out}/commands.txt"):
        key, flags, command = line.rstrip("\n").split("|", 2)
        if key.startswith(prefix):
            command = re.sub(r"--server=127.0.0.1:\d+", "--server=$GRPC", command)
            command = re.sub(r"127.0.0.1:\d+/metrics", "$METRICS/metrics", command)
            command = re.sub(r"--json=\S+", "--json=OUT.json", command)
            command = command.replace("client/loadgen/brainserve-loadgen", "brainserve-loadgen")
            return f"server: `brainserve-server {flags}`\n\n`{command}`"
    return "(not run)"

reps = len(glob.glob(f"{out}/peak_r*.json"))
print(f"Measured {open(out + '/date.txt').read().strip()}; {reps} run(s) per cell, "
      "median (range over runs).\n")
print("```\n" + open(out + "/machine.txt").read().strip() + "\n```\n")
print(f"Closed-loop peak of w2_batch64 at concurrency 64: **{peak} req/s** (median of {reps}).\n")
print("| load | updates at 10 Hz | policy | forward req/s | baseline p99 µs | with updates p99 µs "
      "| **p99 ratio** | failed forwards (baseline / updates) | version regressions | updates OK | "
      "update p50 / p99 ms | server update mean ms |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
goals = {}
for pct in percents:
    rate = peak * int(pct) // 100
    for variant, label in (("all", "REPLACE all 9 MiB"), ("fc2add", "ADD fc2/weight 4 MiB")):
        for nice in policies:
            rs = runs(f"p{pct}_{variant}_{tag(nice)}")
            if not rs:
                continue
            ratios = [u["latency"]["p99_us"] / b["latency"]["p99_us"] for b, u in rs]
            upd_p99 = [get(u, "updates", "latency", "p99_us") / 1e3 for _, u in rs]
            fails = (sum(b["failed"] for b, _ in rs), sum(u["failed"] for _, u in rs))
            sent = (sum(b["sent"] for b, _ in rs), sum(u["sent"] for _, u in rs))
            regress = sum(b["version_regressions"] + u["version_regressions"] for b, u in rs)
            n_upd = sum(get(u, "updates", "latency", "count") for _, u in rs)
            n_ok = sum(u.get("updates", {}).get("codes", {}).get("OK", 0) for _, u in rs)
            goals[(pct, variant, nice)] = (med(ratios), med(upd_p99), fails, regress, n_ok, n_upd)
            print(f"| {rate}/s ({pct}%) | {label} | {nice} | "
                  f"{stat([u['throughput_rps'] for _, u in rs], '{:.0f}')} | "
                  f"{stat([b['latency']['p99_us'] for b, _ in rs], '{:.0f}')} | "
                  f"{stat([u['latency']['p99_us'] for _, u in rs], '{:.0f}')} | "
                  f"**{stat(ratios)}×** | {fails[0]}/{sent[0]} / {fails[1]}/{sent[1]} | {regress} | "
                  f"{n_ok:.0f}/{n_upd:.0f} | "
                  f"{stat([get(u, 'updates', 'latency', 'p50_us') / 1e3 for _, u in rs], '{:.1f}')} / "
                  f"{stat(upd_p99, '{:.1f}')} | "
                  f"{stat([get(u, 'server', 'update_mean_us') / 1e3 for _, u in rs], '{:.1f}')} |")

default = policies[0]
print(f"\nAgainst the goals (policy {default}, the server's default):\n")
print("| goal | measured | met |")
print("|---|---|---|")
for variant, label in (("all", "REPLACE all 9 MiB"), ("fc2add", "ADD fc2/weight")):
    for pct in percents:
        g = goals.get((pct, variant, default))
        if g:
            print(f"| forward p99 ratio ≤ 1.2×, {label}, {pct}% | {g[0]:.2f}× | {'yes' if g[0] <= 1.2 else 'no'} |")
g = goals.get(("50", "all", default))
if g:
    print(f"| update p99 < 20 ms, REPLACE all, 50% | {g[1]:.1f} ms | {'yes' if g[1] < 20 else 'no'} |")
fails = sum(v[2][1] for k, v in goals.items() if k[2] == default)
base_fails = sum(v[2][0] for k, v in goals.items() if k[2] == default)
regress = sum(v[3] for k, v in goals.items() if k[2] == default)
print(f"| failed forwards with updates / version regressions = 0 / 0 | {fails} / {regress} "
      f"(baseline segments: {base_fails} failed) | {'yes' if fails == 0 and regress == 0 else 'no'} |")

print("\n" + cmd("peak_r1") + "\n\n" + cmd(f"p{percents[0]}_all_{tag(default)}") + "\n\n"
      + cmd(f"p{percents[0]}_fc2add_{tag(default)}") + "\n")
EOF
