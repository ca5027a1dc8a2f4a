#!/usr/bin/env bash
# Issue 12, item 5: resident memory around the life of a ~1 GiB model,
# per allocator. For each variant, starts brainserve-server (memory store,
# HTTP on an ephemeral port), creates "big" ([2048] -> 64 x linear(2048): a
# 1 GiB of 16 MiB weights, each packed once more by oneDNN; one 1 GiB layer
# is mmapped by glibc and returned on free either way), runs 5 Forwards and 3 weight
# REPLACEs of a 4 MiB layer of a second model (timed by curl), deletes "big",
# and prints VmRSS before create, after create, 1 s and 12 s after delete.
# Variants:
#   glibc+trim   the server as built (malloc_trim(0) after a model is freed)
#   glibc        the same binary with malloc_trim made a no-op (LD_PRELOAD
#                of a 3-line shim): what the server did before
#   jemalloc     LD_PRELOAD=libjemalloc.so.2 (Debian's libjemalloc2; decay
#                returns dirty pages after ~10 s)
# Usage: tests/bench/measure_model_memory.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
SERVER=$BUILD/server/brainserve-server
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

printf 'int malloc_trim(unsigned long pad) { (void)pad; return 0; }\n' > "$WORK/notrim.c"
gcc -shared -fPIC -o "$WORK/notrim.so" "$WORK/notrim.c"
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2

rss_mib() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$SERVER_PID/status"; }

run() {
  local label=$1 preload=$2
  rm -f "$WORK/ready.json"
  env ${preload:+LD_PRELOAD=$preload} "$SERVER" --listen=127.0.0.1:0 \
    --http_listen=127.0.0.1:0 --metrics_listen= --store=memory: \
    --ready_file="$WORK/ready.json" > "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do [[ -s $WORK/ready.json ]] && break; sleep 0.1; done
  local port
  port=$(/usr/bin/python3 -c "import json;print(json.load(open('$WORK/ready.json'))['http_port'])")
  local url=http://127.0.0.1:$port
  # A 4 MiB ScaledWS-free Linear for the update timing: [1024] -> 1024.
  curl -sf -X POST "$url/v1/models" -d '{"name": "small", "spec": {"input_shape": [1024],
    "layers": [{"name": "fc", "linear": {"out_size": 1024}}]}}' > /dev/null
  sleep 1
  local before after_create after_1s after_12s
  before=$(rss_mib)
  curl -sf -X POST "$url/v1/models" -d "{\"name\": \"big\", \"spec\": {\"input_shape\": [2048],
    \"layers\": [$(/usr/bin/python3 -c 'print(",".join(["{\"linear\": {\"out_size\": 2048}}"] * 64))')]},
    \"batching\": {\"max_batch_size\": 1}}" > /dev/null
  after_create=$(rss_mib)
  # Forwards on the big model, then timed 4 MiB weight REPLACEs on "small".
  /usr/bin/python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
json.dump({"model": "big", "input": {"shape": [1, 2048], "values": [0.5] * 2048}},
          open(w + "/fwd.json", "w"))
json.dump({"updates": [{"layer": "fc", "name": "weight", "value": {"shape": [1024, 1024],
          "values": [0.001] * (1024 * 1024)}}]}, open(w + "/upd.json", "w"))
PY
  for _ in 1 2 3 4 5; do
    curl -sf -X POST "$url/v2/models/big/infer" -H 'Content-Type: application/json' \
      -d "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 2048], \"data\": $(python3 -c 'print([0.5]*2048)')}]}" \
      > /dev/null || echo "forward failed"
  done
  local times=()
  for _ in 1 2 3; do
    times+=("$(curl -sf -o /dev/null -w '%{time_total}' -X POST "$url/v1/models/small/parameters" \
      -H 'Content-Type: application/json' --data-binary @"$WORK/upd.json")")
  done
  curl -sf -X DELETE "$url/v1/models/big" > /dev/null
  sleep 1
  after_1s=$(rss_mib)
  sleep 11
  after_12s=$(rss_mib)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$before" "$after_create" \
    "$after_1s" "$after_12s" "${times[*]}"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

echo "| allocator | RSS before create MiB | after create | 1 s after delete | 12 s after delete | 4 MiB REPLACE over HTTP, s (3 runs) |"
echo "|---|---|---|---|---|---|"
run "glibc, no trim (before)" "$WORK/notrim.so"
run "glibc + malloc_trim after delete (chosen)" ""
run "jemalloc (LD_PRELOAD)" "$JEMALLOC"
