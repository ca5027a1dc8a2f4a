#!/usr/bin/env bash
# Profiles brainserve-server under callgrind while brainserve-loadgen sends a
# fixed number of Forward calls, then prints the functions with the most
# inclusive and self instructions. Use it to explain a missed serving goal
# (perf is often unavailable on these VMs).
#
#   tests/bench/profile_serving.sh [MODEL] [CONCURRENCY] [REQUESTS] [loadgen flags...]
#   e.g. tests/bench/profile_serving.sh w2_batch64 64 640
#        tests/bench/profile_serving.sh w2_batch64 4 200 --update-rate=10
#
# Environment: BUILD_DIR (default <repo>/build-release, must hold
# brainserve-server and brainserve-loadgen; RelWithDebInfo gives better
# symbols), OUT_DIR (default $BUILD_DIR/serving-profile).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build-release}
OUT=${OUT_DIR:-$BUILD/serving-profile}
MODEL=${1:-mlp}
CONCURRENCY=${2:-1}
REQUESTS=${3:-2000}
EXTRA=("${@:4}")
PY=/usr/bin/python3
command -v valgrind >/dev/null || { echo "valgrind missing: scripts/install-deps.sh" >&2; exit 1; }

mkdir -p "$OUT"
rm -f "$OUT/ready.json"
PROFILE=$OUT/callgrind.$MODEL.c$CONCURRENCY${EXTRA:+.extra}.out
valgrind --tool=callgrind --callgrind-out-file="$PROFILE" \
  "$BUILD/server/brainserve-server" --listen=127.0.0.1:0 \
  --metrics_listen=127.0.0.1:0 --http_listen= --ready_file="$OUT/ready.json" \
  --models_file="$REPO/tests/bench/serving_models.json" 2>"$OUT/server.log" &
SERVER_PID=$!
trap 'kill -TERM $SERVER_PID 2>/dev/null || true' EXIT
for _ in $(seq 6000); do  # up to 10 min: start-up is slow under callgrind
  [ -s "$OUT/ready.json" ] && break
  kill -0 $SERVER_PID 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
GRPC_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$OUT/ready.json")

# Under callgrind the server runs ~50x slower: generous windows and deadlines.
"$BUILD/client/loadgen/brainserve-loadgen" --server=127.0.0.1:$GRPC_PORT \
  --model="$MODEL" --concurrency="$CONCURRENCY" --max-requests="$REQUESTS" \
  --warmup-ms=2000 --window-ms=600000 --max-duration-s=600 --timeout-ms=120000 \
  "${EXTRA[@]}"
kill -TERM $SERVER_PID
wait $SERVER_PID || true
trap - EXIT

echo "== $PROFILE: top inclusive =="
callgrind_annotate --inclusive=yes "$PROFILE" 2>/dev/null | sed -n '1,60p' | cut -c1-200
echo "== top self =="
callgrind_annotate "$PROFILE" 2>/dev/null | sed -n '1,45p' | cut -c1-200
