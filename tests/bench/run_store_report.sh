#!/usr/bin/env bash
# The model store's costs, measured side by side in one run (docs/PERFORMANCE.md
# section 8): UpdateParameters latency on memory:, sqlite: and postgresql://
# stores; group commit; restart time and store size after 10,000 logged
# updates; the forward p99 under the section-3 update load, sqlite: against
# memory:; propagation to other replicas on PostgreSQL and the forward p99 of a
# replica applying remote updates. Prints Markdown (also $OUT_DIR/report.md).
#
#   tests/bench/run_store_report.sh              # ~15 min on 2 cores
#   QUICK=1 tests/bench/run_store_report.sh      # smoke run (checks the script)
#
# Environment:
#   BUILD_DIR  build tree (default <repo>/build-release, configured Release and
#              built here: brainserve-server, brainserve-store-bench,
#              brainserve-loadgen); SKIP_BUILD=1 uses what is there
#   OUT_DIR    results (default $BUILD_DIR/store-report)
#   PG_BIN     PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   SECTIONS   which parts to run (default "latency throughput restart forward
#              propagation"; "forward" is the forward p99 under section 3's
#              update load, memory: against sqlite:, FORWARD_RATE req/s;
#              PROPAGATION_FORWARD_RATE paces the replicas' forwards)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build-release}
OUT=${OUT_DIR:-$BUILD/store-report}
QUICK=${QUICK:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PY=/usr/bin/python3
SERVER=$BUILD/server/brainserve-server
BENCH=$BUILD/tests/bench/brainserve-store-bench
LOADGEN=$BUILD/client/loadgen/brainserve-loadgen
mkdir -p "$OUT"
WORK=$(mktemp -d)
PIDS=()
PG_DIR=""
log() { echo "[store-report] $*" >&2; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$PG_DIR" ]; then as_pg "$PG_BIN/pg_ctl -D $PG_DIR/data -m fast -w stop" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building Release into $BUILD"
  cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$OUT/cmake.log"
  cmake --build "$BUILD" -j2 --target brainserve-server brainserve-store-bench \
    brainserve-loadgen >>"$OUT/cmake.log"
fi

if [ "$QUICK" = 1 ]; then
  ROUNDS=20 SECONDS_PER=2 FILL=500 REPEATS=${REPEATS:-1}
  UPDATE_MEASURE=(--warmup-ms=500 --window-ms=500 --min-windows=3 --max-duration-s=5)
else
  ROUNDS=200 SECONDS_PER=30 FILL=10000 REPEATS=${REPEATS:-3}
  UPDATE_MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=10 --max-duration-s=30)
fi
# The forward load of the "forward" section: 50% of section 2's closed-loop
# peak (18493 req/s), the load of section 3's headline rows.
FORWARD_RATE=${FORWARD_RATE:-9246}
SECTIONS=${SECTIONS:-latency throughput restart forward propagation}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- sh -c "$1"; else sh -c "$1"; fi; }
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A throwaway PostgreSQL (run as the postgres user when we are root); sets PG_URL.
start_pg() {
  PG_DIR=$(mktemp -d /tmp/store-report-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
  local port; port=$(free_port)
  as_pg "$PG_BIN/initdb -D $PG_DIR/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >$PG_DIR/initdb.log 2>&1"
  as_pg "$PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log -w -o '-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR' start >/dev/null"
  as_pg "$PG_BIN/psql -h 127.0.0.1 -p $port -U postgres -q -c 'CREATE DATABASE brainserve'"
  PG_URL="postgresql://postgres@127.0.0.1:$port/brainserve"
}

need_pg() { want latency || want throughput || want propagation; }

# start TAG FLAGS...: a server on ephemeral ports; sets ADDR_<TAG> and METRICS_<TAG>.
start() {
  local tag=$1; shift
  local ready=$WORK/$tag.ready
  rm -f "$ready"
  "$SERVER" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --http_listen= --ready_file="$ready" \
    --engine_threads=2 "$@" 2>"$OUT/$tag.log" &
  PIDS+=($!)
  eval "PID_$tag=$!"
  for _ in $(seq 600); do [ -s "$ready" ] && break; sleep 0.1; done
  [ -s "$ready" ] || { cat "$OUT/$tag.log" >&2; exit 1; }
  eval "ADDR_$tag=127.0.0.1:$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$ready")"
  eval "METRICS_$tag=127.0.0.1:$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics_port"])' "$ready")"
}
stop() { local pid; pid=$(eval echo "\$PID_$1"); kill -TERM "$pid"; wait "$pid" || true; }

{
# The block runs in a pipeline subshell: its servers and the PostgreSQL it
# starts (PG_DIR is set here, not in the outer shell) are cleaned up here.
trap 'for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
      wait 2>/dev/null || true
      if [ -n "$PG_DIR" ]; then
        as_pg "$PG_BIN/pg_ctl -D $PG_DIR/data -m fast -w stop" >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
      fi' EXIT
if need_pg; then start_pg; fi
if want latency || want throughput; then
start mem --store=memory:
start lite --store=sqlite:$WORK/lite/state.db
start pg --store="$PG_URL"
fi
if want latency; then
echo "### UpdateParameters latency by store (W2, $ROUNDS rounds, stores interleaved)"
echo
"$BENCH" --servers="memory=$ADDR_mem,sqlite=$ADDR_lite,postgresql=$ADDR_pg" --mode=latency --rounds=$ROUNDS
echo
fi
if want throughput; then
echo "### Group commit: 1 KiB updates/s, 8 writers"
echo
"$BENCH" --servers="memory=$ADDR_mem,sqlite=$ADDR_lite,postgresql=$ADDR_pg" --mode=throughput --seconds=$SECONDS_PER --writers=8 | sed '1,2!{/^|---/d;/^| store/d}'
fi
if want latency || want throughput; then stop mem; stop lite; stop pg; fi

if want restart; then
echo
echo "### Restart after $FILL logged updates of W2's out/bias (1 KiB each)"
echo
echo "| compaction | store size | restart: restore time (log line) | replayed |"
echo "|---|---|---|---|"
for mode in off default; do
  flags=(--store=sqlite:$WORK/restart-$mode/state.db)
  [ "$mode" = off ] && flags+=(--snapshot_every_updates=0 --snapshot_every_bytes=0)
  start fill "${flags[@]}"
  "$BENCH" --servers="w=$ADDR_fill" --mode=fill --updates=$FILL >&2
  stop fill
  size=$(du -sh "$WORK/restart-$mode" | cut -f1)
  start again "${flags[@]}"
  line=$(grep -o 'replaying [0-9]* logged update(s), in [0-9.]* s' "$OUT/again.log")
  echo "| $mode | $size | $(echo "$line" | grep -o 'in [0-9.]* s' | cut -c4-) | $(echo "$line" | grep -o '^replaying [0-9]*' | cut -c11-) |"
  stop again
done
fi

if want forward; then
echo
echo "### Forward p99 under section 3's update load, by store (W2 w2_batch64, $FORWARD_RATE req/s Poisson, REPLACE at 10 Hz)"
echo
for rep in $(seq "$REPEATS"); do
  for store in memory sqlite; do
    for kind in all fc2w; do
      flags=(--store=memory:)
      [ "$store" = sqlite ] && flags=(--store=sqlite:$WORK/fwd-$rep-$kind/state.db)
      start fwd "${flags[@]}" --models_file="$REPO/tests/bench/serving_models.json"
      params=()
      [ "$kind" = fc2w ] && params=(--update-params=fc2/weight)
      log "forward: repeat $rep/$REPEATS, $store, $kind"
      "$LOADGEN" --server="$ADDR_fwd" --model=w2_batch64 --request-rate=$FORWARD_RATE \
        --arrival=poisson --update-rate=10 --update-mode=replace "${params[@]}" \
        "${UPDATE_MEASURE[@]}" --metrics-url=http://$METRICS_fwd/metrics \
        --json="$OUT/fwd_${store}_${kind}_r$rep.json" >/dev/null 2>>"$OUT/fwd.log"
      stop fwd
    done
  done
done
$PY - "$OUT" "$REPEATS" <<'PYEOF'
import json, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
def phase(store, kind, rep, name):
    levels = json.load(open(f"{out}/fwd_{store}_{kind}_r{rep}.json"))["levels"]
    return next(l for l in levels if l["phase"] == name)
med = statistics.median
print("| updated | store | baseline p99 µs | updates p99 µs | p99 ratio (updates / baseline, same run) | update p50 / p99 ms | failed forwards | version regressions |")
print("|---|---|---|---|---|---|---|---|")
for kind, label in (("all", "every parameter (9 MiB)"), ("fc2w", "`fc2/weight` (4 MiB)")):
    upd_p99 = {}
    for store in ("memory", "sqlite"):
        b = [phase(store, kind, r, "baseline") for r in range(1, reps + 1)]
        u = [phase(store, kind, r, "updates") for r in range(1, reps + 1)]
        ratios = [x["latency"]["p99_us"] / y["latency"]["p99_us"] for x, y in zip(u, b)]
        upd_p99[store] = [x["latency"]["p99_us"] for x in u]
        print(f"| {label} | {store} | {med([y['latency']['p99_us'] for y in b]):.0f} | "
              f"{med(upd_p99[store]):.0f} | {med(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) | "
              f"{med([x['updates']['latency']['p50_us'] for x in u])/1e3:.1f} / "
              f"{med([x['updates']['latency']['p99_us'] for x in u])/1e3:.1f} | "
              f"{sum(x['failed'] for x in b + u)} / {sum(x['sent'] for x in b + u)} | "
              f"{sum(x['version_regressions'] for x in b + u)} |")
    r = [s / m for s, m in zip(upd_p99["sqlite"], upd_p99["memory"])]
    print(f"| {label} | sqlite / memory, updates phase | | | **{med(r):.2f}×** ({min(r):.2f}–{max(r):.2f}) | | | |")
PYEOF
fi

if want propagation; then
echo
# PROPAGATION_FORWARD_RATE: forwards/s per replica (0: closed loop, saturating).
PFR=${PROPAGATION_FORWARD_RATE:-0}
echo "### Propagation on PostgreSQL: 3 replicas, 10 updates/s for ${SECONDS_PER} s, forwards on every replica ($([ "$PFR" = 0 ] && echo "closed loop" || echo "$PFR/s each"))"
echo
echo "| update | versions x replicas | p50 ms | p99 ms | max ms | forwards | forward errors | replica forward p50 ms | replica forward p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in a b c; do start $r --store="$PG_URL"; done
"$BENCH" --servers="a=$ADDR_a,b=$ADDR_b,c=$ADDR_c" --mode=propagation --rate=0 --seconds=$SECONDS_PER --forward_rate=$PFR
for kind in bias fc2_weight; do
  "$BENCH" --servers="a=$ADDR_a,b=$ADDR_b,c=$ADDR_c" --mode=propagation --update=$kind --rate=10 --seconds=$SECONDS_PER --forward_rate=$PFR
done
"$BENCH" --servers="a=$ADDR_a,b=$ADDR_b,c=$ADDR_c" --mode=propagation --rate=0 --seconds=$SECONDS_PER --forward_rate=$PFR
fi
} | tee "$OUT/report.md"
