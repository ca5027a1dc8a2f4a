#!/usr/bin/env bash
# Server instructions per Forward call (callgrind) against plaintext, token,
# mutual TLS and mutual TLS + token servers: a measure of the security cost
# that a loaded, shared machine cannot disturb (docs/PERFORMANCE.md
# section 7). Each configuration runs twice (SHORT and LONG measuring
# windows, `identity` at concurrency 1); the slope of total instructions over
# the server's own Forward count removes start-up and handshakes. Also lists
# the functions whose self cost differs most between plaintext and token.
#
#   tests/bench/profile_security.sh          # ~4 min
# Environment: BUILD_DIR (default <repo>/build), OUT_DIR (default
# $BUILD_DIR/security-profile), SHORT_MS / LONG_MS (2000 / 8000).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
OUT=${OUT_DIR:-$BUILD/security-profile}
PY=/usr/bin/python3
mkdir -p "$OUT/pki"
rm -f "$OUT"/*.ready "$OUT"/callgrind.*
command -v valgrind >/dev/null || { echo "valgrind missing: scripts/install-deps.sh" >&2; exit 1; }

P=$OUT/pki
ossl() { openssl "$@" >/dev/null 2>&1; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=ca" \
  -keyout "$P/ca.key" -out "$P/ca.pem"
for who in server client; do
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$who" \
    -keyout "$P/$who.key" -out "$P/$who.csr"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$P/$who.ext"
  ossl x509 -req -in "$P/$who.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial \
    -days 2 -out "$P/$who.pem" -extfile "$P/$who.ext"
done
openssl rand -hex 32 >"$P/token"
printf 'reader %s bench\n' "$(tr -d '\n' <"$P/token" | sha256sum | cut -d' ' -f1)" >"$P/tokens"
echo '[{"name": "identity", "spec": {"input_shape": [64]}}]' >"$OUT/models.json"

TLS_S=(--tls_cert_file="$P/server.pem" --tls_key_file="$P/server.key" --tls_client_ca_file="$P/ca.pem")
TLS_C=(--tls-ca-file="$P/ca.pem" --tls-cert-file="$P/client.pem" --tls-key-file="$P/client.key")

run() {  # run CONFIG WINDOW_MS: prints "INSTRUCTIONS FORWARD_CALLS"
  local config=$1 window=$2 s=() c=()
  case $config in
    token) s=(--auth_tokens_file="$P/tokens"); c=(--token-file="$P/token") ;;
    tls) s=("${TLS_S[@]}"); c=("${TLS_C[@]}") ;;
    secure) s=("${TLS_S[@]}" --auth_tokens_file="$P/tokens"); c=("${TLS_C[@]}" --token-file="$P/token") ;;
  esac
  local profile=$OUT/callgrind.$config.$window ready=$OUT/$config.$window.ready
  valgrind --tool=callgrind --callgrind-out-file="$profile" "$BUILD/server/brainserve-server" \
    --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --http_listen= --store=memory: \
    --models_file="$OUT/models.json" --ready_file="$ready" ${s[@]+"${s[@]}"} 2>"$OUT/$config.$window.log" &
  local pid=$!
  for _ in $(seq 3000); do [ -s "$ready" ] && break; sleep 0.1; done
  local grpc metrics
  grpc=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$ready")
  metrics=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics_port"])' "$ready")
  "$BUILD/client/loadgen/brainserve-loadgen" --server="localhost:$grpc" ${c[@]+"${c[@]}"} \
    --model=identity --concurrency=1 --warmup-ms=0 --window-ms="$window" --min-windows=1 \
    --stable-windows=1 --max-duration-s=600 --timeout-ms=60000 >/dev/null
  local calls
  calls=$(curl -s "http://127.0.0.1:$metrics/metrics" |
    awk '/^brainserve_requests_total/ && /method="Forward"/ {s += $NF} END {print s}')
  kill -TERM "$pid"; wait "$pid" || true
  echo "$calls" >"$OUT/calls.$config.$window"
  echo "$(callgrind_annotate "$profile" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}') $calls"
}

echo "| server | instructions per Forward call | vs plaintext |"
echo "|---|---|---|"
base=""
for config in plain token tls secure; do
  read -r i1 n1 <<<"$(run "$config" "${SHORT_MS:-2000}")"
  read -r i2 n2 <<<"$(run "$config" "${LONG_MS:-8000}")"
  per=$(( (i2 - i1) / (n2 - n1) ))
  [ -z "$base" ] && base=$per
  echo "| $config | $per | $($PY -c "print(f'{$per / $base:.3f}')") |"
done
echo
echo "Self instructions per call, token minus plaintext (long runs), largest first:"
for config in plain token; do
  callgrind_annotate --auto=no --inclusive=no --threshold=100 "$OUT/callgrind.$config.${LONG_MS:-8000}" \
    2>/dev/null >"$OUT/self.$config.txt"
done
$PY - "$OUT" "${LONG_MS:-8000}" <<'PYEOF'
import re, sys
out, window = sys.argv[1], sys.argv[2]
def load(config):
    calls = float(open(f"{out}/calls.{config}.{window}").read())
    d = {}
    for line in open(f"{out}/self.{config}.txt"):
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)", line)
        if m:
            d[m.group(2)[:110]] = int(m.group(1).replace(",", "")) / calls
    return d
p, t = load("plain"), load("token")
diff = sorted(((t.get(k, 0) - p.get(k, 0), k) for k in set(p) | set(t)), reverse=True)
for d, k in diff[:9]:
    print(f"  {d:>8.0f}  {k}")
PYEOF
