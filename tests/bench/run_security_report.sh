#!/usr/bin/env bash
# Security overhead report (docs/PERFORMANCE.md section 7): W1 (`mlp`) at
# concurrency 1 and `identity` at concurrency 64 against four servers side by
# side: plaintext; plaintext + bearer token; mutual TLS; mutual TLS + token
# (the audit log is on in all). Besides latency and throughput it reports CPU
# time per call on both sides (server: /proc user+system time over its own
# Forward count; loadgen: its own figure), which a shared machine disturbs
# far less than wall-clock figures. Within each repeat the four run back to back,
# in an order that rotates between repeats. Prints Markdown tables of
# medians and of per-repeat ratios against plaintext.
#
#   tests/bench/run_security_report.sh                 # ~6 min on 2 cores
#   REPEATS=1 QUICK=1 tests/bench/run_security_report.sh  # smoke run
#
# Environment:
#   BUILD_DIR  build tree with brainserve-server and brainserve-loadgen
#              (default <repo>/build; built here with -j1 unless SKIP_BUILD=1)
#   OUT_DIR    results (default $BUILD_DIR/security-report)
#   REPEATS    repeats per configuration (default 3)
#   QUICK      1 = short windows (checks the script, not the numbers)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
OUT=${OUT_DIR:-$BUILD/security-report}
REPEATS=${REPEATS:-3}
QUICK=${QUICK:-0}
PY=/usr/bin/python3
MODELS=$REPO/tests/bench/serving_models.json
SERVER_BIN=$BUILD/server/brainserve-server
LOADGEN_BIN=$BUILD/client/loadgen/brainserve-loadgen
SERVER_PID=""
log() { echo "[security-report] $*" >&2; }

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.ready
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S "$REPO" -B "$BUILD" >"$OUT/cmake.log"
  cmake --build "$BUILD" -j1 --target brainserve-server brainserve-loadgen >>"$OUT/cmake.log"
fi
if [ "$QUICK" = 1 ]; then
  MEASURE=(--warmup-ms=300 --window-ms=500 --min-windows=3 --max-duration-s=4)
else
  MEASURE=(--warmup-ms=1000 --window-ms=1000 --min-windows=5 --max-duration-s=20)
fi

# Throwaway PKI and token (EC P-256, like cert-manager's default in deploy/).
PKI=$OUT/pki
mkdir -p "$PKI"
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=bench CA" -keyout "$PKI/ca.key" -out "$PKI/ca.pem"
for who in server client; do
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
    -keyout "$PKI/$who.key" -out "$PKI/$who.csr"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$PKI/$who.ext"
  ossl x509 -req -in "$PKI/$who.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 2 -out "$PKI/$who.pem" -extfile "$PKI/$who.ext"
done
TOKEN=$(openssl rand -hex 32)
printf 'reader %s bench-reader\nadmin %s bench-admin\n' \
  "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)" \
  "$(openssl rand -hex 32 | sha256sum | cut -d' ' -f1)" >"$PKI/tokens"
TLS_SERVER=(--tls_cert_file="$PKI/server.pem" --tls_key_file="$PKI/server.key"
  --tls_client_ca_file="$PKI/ca.pem")
TLS_CLIENT=(--tls-ca-file="$PKI/ca.pem" --tls-cert-file="$PKI/client.pem"
  --tls-key-file="$PKI/client.key")
TOKEN_SERVER=(--auth_tokens_file="$PKI/tokens")
TOKEN_CLIENT=(--token-file="$PKI/token")
printf '%s\n' "$TOKEN" >"$PKI/token"

cleanup() { if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

start_server() {  # start_server TAG [flags...]; sets GRPC_PORT and METRICS_PORT
  local tag=$1; shift
  "$SERVER_BIN" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --http_listen= --store=memory: \
    --models_file="$MODELS" --ready_file="$OUT/$tag.ready" "$@" 2>"$OUT/$tag.server.log" &
  SERVER_PID=$!
  for _ in $(seq 600); do
    [ -s "$OUT/$tag.ready" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/$tag.server.log" >&2; exit 1; }
    sleep 0.1
  done
  GRPC_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$OUT/$tag.ready")
  METRICS_PORT=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics_port"])' "$OUT/$tag.ready")
}

# "CPU_SECONDS FORWARD_CALLS" of the server now: its user+system time from
# /proc and its own count of finished Forward calls (all codes).
server_usage() {
  $PY - "$SERVER_PID" "$METRICS_PORT" <<'PYEOF'
import os, re, sys, urllib.request
pid, port = sys.argv[1], sys.argv[2]
fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
calls = sum(float(v) for labels, v in re.findall(r'^brainserve_requests_total\{(.*)\} (\S+)$', body, re.M)
            if 'method="Forward"' in labels)
print(cpu, int(calls))
PYEOF
}

# lg KEY [loadgen flags...]: one run; its JSON in KEY.json and the server's
# CPU seconds and Forward calls over the run (warm-up included) in KEY.server.
lg() {
  local key=$1; shift
  local before after
  before=$(server_usage)
  "$LOADGEN_BIN" --server="localhost:$GRPC_PORT" "$@" "${MEASURE[@]}" \
    --json="$OUT/$key.json" >"$OUT/$key.txt"
  after=$(server_usage)
  echo "$before $after" >"$OUT/$key.server"
}
stop_server() { kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""; }

measure() {  # measure CONFIG REPEAT [client flags...]
  local config=$1 rep=$2; shift 2
  lg "$config-w1-c1-r$rep" "$@" --model=mlp --concurrency=1
  lg "$config-identity-c64-r$rep" "$@" --model=identity --concurrency=64
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores visible)"
  echo "commit: $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet || echo ' (+ uncommitted changes)')"
  echo "build: $(grep -m1 CMAKE_BUILD_TYPE "$BUILD/CMakeCache.txt" | cut -d= -f2)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

CONFIGS=(plain token tls secure)
for rep in $(seq "$REPEATS"); do
  for i in 0 1 2 3; do
    config=${CONFIGS[$(((i + rep - 1) % 4))]}
    log "repeat $rep: $config"
    server_flags=(--audit_log_file="$OUT/audit.log")
    client_flags=()
    case $config in
      token) server_flags+=("${TOKEN_SERVER[@]}"); client_flags+=("${TOKEN_CLIENT[@]}") ;;
      tls) server_flags+=("${TLS_SERVER[@]}"); client_flags+=("${TLS_CLIENT[@]}") ;;
      secure) server_flags+=("${TLS_SERVER[@]}" "${TOKEN_SERVER[@]}")
              client_flags+=("${TLS_CLIENT[@]}" "${TOKEN_CLIENT[@]}") ;;
    esac
    start_server "$config-r$rep" "${server_flags[@]}"
    measure "$config" "$rep" ${client_flags[@]+"${client_flags[@]}"}
    stop_server
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

$PY - "$OUT" "$REPEATS" <<'PYEOF' | tee "$OUT/report.md"
import json, statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
CONFIGS = [("plain", "plaintext"), ("token", "token"), ("tls", "mTLS"), ("secure", "mTLS + token")]
def level(config, key, rep):
    l = json.load(open(f"{out}/{config}-{key}-r{rep}.json"))["levels"][0]
    assert l["failed"] == 0, (config, key, rep, l["codes"])
    return l
def med(xs): return statistics.median(xs)
def get(config, key, path, rep):
    if path == ("server_cpu_us_per_call",):
        cpu0, calls0, cpu1, calls1 = map(float, open(f"{out}/{config}-{key}-r{rep}.server").read().split())
        return (cpu1 - cpu0) / (calls1 - calls0) * 1e6
    v = level(config, key, rep)
    for p in path: v = v[p]
    return v
print(open(f"{out}/machine.txt").read().replace("\n", "; ").rstrip("; ") + "\n")
rows = []
for key, label in (("w1-c1", "W1, c=1"), ("identity-c64", "identity, c=64")):
    for metric, path in (("p50 µs", ("latency", "p50_us")), ("req/s", ("throughput_rps",)),
                         ("server CPU µs/call", ("server_cpu_us_per_call",)),
                         ("loadgen CPU µs/call", ("client_cpu_us_per_call",))):
        rows.append((f"{label} {metric}", key, path))
print("Medians of " + str(repeats) + " repeats:\n")
print("| | " + " | ".join(name for _, name in CONFIGS) + " |")
print("|---|" + "---|" * len(CONFIGS))
for title, key, path in rows:
    cells = [med([get(c, key, path, r) for r in range(1, repeats + 1)]) for c, _ in CONFIGS]
    print(f"| {title} | " + " | ".join(f"{v:.1f}" if v < 100 else f"{v:.0f}" for v in cells) + " |")
print("\nPer-repeat ratio against plaintext (median, range):\n")
print("| | " + " | ".join(name for _, name in CONFIGS[1:]) + " |")
print("|---|" + "---|" * (len(CONFIGS) - 1))
for title, key, path in rows:
    cells = []
    for c, _ in CONFIGS[1:]:
        ratios = [get(c, key, path, r) / get("plain", key, path, r) for r in range(1, repeats + 1)]
        cells.append(f"{med(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})")
    print(f"| {title} | " + " | ".join(cells) + " |")
PYEOF
