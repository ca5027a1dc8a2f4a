#!/usr/bin/env bash
# The model store's costs, measured side by side in one run (docs/PERFORMANCE.md
# section 7): UpdateParameters latency on memory:, sqlite: and postgresql://
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
#   SECTIONS   which parts to run (default "latency throughput restart propagation")
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

if [ "$QUICK" = 1 ]; then ROUNDS=20 SECONDS_PER=2 FILL=500; else ROUNDS=200 SECONDS_PER=30 FILL=10000; fi
SECTIONS=${SECTIONS:-latency throughput restart propagation}
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

# start TAG FLAGS...: a server on ephemeral ports; sets ADDR_<TAG> and METRICS_<TAG>.
start() {
  local tag=$1; shift
  local ready=$WORK/$tag.ready
  rm -f "$ready"
  "$SERVER" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --ready_file="$ready" \
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
# The block runs in a pipeline subshell: its servers are cleaned up here.
trap 'for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done' EXIT
start_pg
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

if want propagation; then
echo
echo "### Propagation on PostgreSQL: 3 replicas, 10 updates/s for ${SECONDS_PER} s, forwards on every replica"
echo
echo "| update | versions x replicas | p50 ms | p99 ms | max ms | forwards | forward errors | replica forward p50 ms | replica forward p99 ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in a b c; do start $r --store="$PG_URL"; done
"$BENCH" --servers="a=$ADDR_a,b=$ADDR_b,c=$ADDR_c" --mode=propagation --rate=0 --seconds=$SECONDS_PER
for kind in bias fc2_weight; do
  "$BENCH" --servers="a=$ADDR_a,b=$ADDR_b,c=$ADDR_c" --mode=propagation --update=$kind --rate=10 --seconds=$SECONDS_PER
done
"$BENCH" --servers="a=$ADDR_a,b=$ADDR_b,c=$ADDR_c" --mode=propagation --rate=0 --seconds=$SECONDS_PER
fi
} | tee "$OUT/report.md"
