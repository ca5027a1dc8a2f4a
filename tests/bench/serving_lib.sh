# Shell functions shared by the serving benchmark scripts (sourced, not run).
# The sourcing script sets: OUT (results directory), SERVER_BIN, LOADGEN_BIN,
# MODELS (a --models_file), PY (/usr/bin/python3), BUILD and REPO (stripped
# from recorded commands). SERVER_FLAGS is recorded with every command.

log() { echo "[$(basename "$0" .sh)] $*" >&2; }

# start_server TAG [server flags...]: starts brainserve-server on ephemeral
# ports with the bench models, with the environment assignments in the array
# SERVER_ENV (if any); sets GRPC_PORT, METRICS_PORT and SERVER_PID.
SERVER_ENV=()
start_server() {
  local tag=$1; shift
  local ready=$OUT/$tag.ready
  rm -f "$ready"  # a previous server of the same tag left its own
  env "${SERVER_ENV[@]}" "$SERVER_BIN" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --http_listen=127.0.0.1:0 \
    --models_file="$MODELS" --ready_file="$ready" "$@" 2>"$OUT/$tag.server.log" &
  SERVER_PID=$!
  for _ in $(seq 600); do
    [ -s "$ready" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/$tag.server.log" >&2; exit 1; }
    sleep 0.1
  done
  GRPC_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$ready")
  METRICS_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics_port"])' "$ready")
  log "server $tag: grpc $GRPC_PORT metrics $METRICS_PORT ($*)"
}

stop_server() {
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=""
}

# run KEY COMMAND...: records the command (with the server flags in force) in
# $OUT/commands.txt and runs it.
SERVER_FLAGS=""
run() {
  local quoted
  quoted=$(printf '%q ' "${@:2}")
  echo "$1|$SERVER_FLAGS|${quoted% }" | sed "s|$BUILD/||g; s|$OUT/||g; s|$REPO/||g" \
    >>"$OUT/commands.txt"
  "${@:2}"
}

# lg KEY [loadgen flags...]: one loadgen run whose JSON lands in $OUT/KEY.json.
lg() {
  local key=$1; shift
  run "$key" "$LOADGEN_BIN" --server=127.0.0.1:$GRPC_PORT "$@" --json="$OUT/$key.json" \
    >"$OUT/$key.txt"
}

# scrape_ok MODEL: the server's Forward OK counter for MODEL (from
# METRICS_PORT, set by start_server).
scrape_ok() {
  $PY - "$METRICS_PORT" "$1" <<'EOF'
import re, sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics").read().decode()
pat = re.compile(r'^brainserve_requests_total\{(.*)\} (\S+)$')
total = 0.0
for line in body.splitlines():
    m = pat.match(line)
    if not m: continue
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
    if labels.get("model") == sys.argv[2] and labels.get("method") == "Forward" \
            and labels.get("code") == "OK":
        total += float(m.group(2))
print(int(total))
EOF
}
