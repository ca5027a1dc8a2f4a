#!/usr/bin/env bash
# Issue 12, item 4: what gRPC 1.51 buffers before it refuses an over-limit
# message. Starts brainserve-server (memory store, default message caps:
# Forward 16 MiB, UpdateParameters 64 MiB, gRPC's receive cap = the largest,
# 64 MiB), then sends with h2load, one at a time, a pre-encoded Forward of
#   (a) SIZE_MIB (default 512) MiB: over gRPC's own receive cap;
#   (b) 48 MiB: under gRPC's cap, over --max_forward_message_bytes;
#   (c) 48 MiB of UpdateParameters-sized Forward with --max_forward_message_bytes
#       raised to 1 GiB (the old single cap): the cost of a transport cap
#       of 1 GiB;
# and samples the server's VmRSS every 10 ms: before, peak during, after.
# Usage: tests/bench/measure_message_buffering.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
SERVER=$BUILD/server/brainserve-server
SIZE_MIB=${SIZE_MIB:-512}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A gRPC frame holding a ForwardRequest{model: "m", input: {shape: [n, 1],
# raw: n*4 bytes}} of about `mib` MiB.
frame() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
mib, path = int(sys.argv[1]), sys.argv[2]
def varint(v):
    out = b""
    while True:
        b = v & 0x7f; v >>= 7
        if v: out += bytes([b | 0x80])
        else: return out + bytes([b])
n = (mib << 20) // 4
raw = b"\0" * (n * 4)
shape = varint(n) + varint(1)
tensor = b"\x0a" + varint(len(shape)) + shape + b"\x1a" + varint(len(raw)) + raw
msg = b"\x0a\x01m" + b"\x12" + varint(len(tensor)) + tensor
with open(path, "wb") as f:
    f.write(b"\0" + struct.pack(">I", len(msg)) + msg)
PY
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Runs one h2load send against server pid $1 on port $2 with body $3;
# prints "before peak after" in MiB and the server's answer.
measure() {
  local pid=$1 port=$2 body=$3 label=$4
  local before peak=0 after
  sleep 0.5
  before=$(rss_kib "$pid")
  h2load -n 1 -c 1 -m 1 -d "$body" -H 'content-type: application/grpc' \
    -H 'te: trailers' "http://127.0.0.1:$port/brainserve.v1.ModelService/Forward" \
    > "$WORK/h2load.txt" 2>&1 &
  local client=$!
  while kill -0 "$client" 2>/dev/null; do
    local now; now=$(rss_kib "$pid")
    (( now > peak )) && peak=$now
    sleep 0.01
  done
  sleep 0.5
  after=$(rss_kib "$pid")
  printf '| %s | %d | %d | %d | %s |\n' "$label" $((before / 1024)) \
    $((peak / 1024)) $((after / 1024)) \
    "$(grep -E 'status codes' "$WORK/h2load.txt" | sed 's/^ *//')"
}

start() {
  "$SERVER" --listen=127.0.0.1:0 --http_listen= --metrics_listen= \
    --store=memory: --ready_file="$WORK/ready.json" "$@" \
    > "$WORK/server.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [[ -s $WORK/ready.json ]] && break; sleep 0.1; done
  PORT=$(/usr/bin/python3 -c "import json;print(json.load(open('$WORK/ready.json'))['grpc_port'])")
  SERVER_PID=${PIDS[-1]}
  rm -f "$WORK/ready.json"
}

frame "$SIZE_MIB" "$WORK/big.bin"
frame 48 "$WORK/mid.bin"
echo "| message | RSS before MiB | RSS peak MiB | RSS after MiB | h2load |"
echo "|---|---|---|---|---|"
start
measure "$SERVER_PID" "$PORT" "$WORK/big.bin" "$SIZE_MIB MiB Forward, over gRPC's cap (64 MiB)"
measure "$SERVER_PID" "$PORT" "$WORK/mid.bin" "48 MiB Forward, over --max_forward_message_bytes (16 MiB)"
grep -c "" "$WORK/server.log" >/dev/null
start --max_forward_message_bytes=1073741824 --max_message_bytes=1073741824
measure "$SERVER_PID" "$PORT" "$WORK/big.bin" "$SIZE_MIB MiB Forward, gRPC's cap raised to 1 GiB (refused as model 'm' is unknown)"
