#!/usr/bin/env bash
# Builds the brainserve image and runs it for real; exits non-zero on any failure.
#
#   deploy/smoke_test_image.sh
#
# 1. Makes a Docker daemon reachable: reuses a running one, else starts a private dockerd that
#    leaves the host's networking alone (--iptables=false --ip6tables=false --ip-forward=false
#    --ip-masq=false --bridge=none), with its data root in the cache (deploy/lib/docker_env.sh).
# 2. Creates debian:bookworm and debian:bookworm-slim with debootstrap when absent (no Docker Hub).
# 3. docker build --network=host (BuildKit; apt layers, and ccache in a cache mount, are reused
#    between runs through the cached data root).
# 4. Runs the image with --network=host on free non-default ports, read-only, all capabilities
#    dropped, and checks: brainserve-cli health is SERVING (whole server and ModelService); the
#    REST /v2/health/ready answers and a REST infer on identity returns its input; the
#    process runs as uid 10001; Forward on identity returns its input and on mlp a [1,10] output,
#    and UpdateParameters shifts mlp's output as expected (CLI inside the container); /metrics
#    answers and counts those calls; every brainserve_*
#    metric used by deploy/ alerts and dashboard is exported; Debian's Prometheus scrapes the
#    container with the alert rules loaded and evaluates them all without error; Docker's
#    HEALTHCHECK reports healthy; `docker stop` (SIGTERM) ends it with exit code 0 within the
#    grace period.
# 5. Stops the daemon it started, by its PID.
#
# Environment: BRAINSERVE_IMAGE (tag to build, default brainserve:smoke), BRAINSERVE_CACHE_DIR,
# DOCKER (client command), DOCKER_HOST (use that daemon), BUILD_JOBS (compile jobs in the image).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deploy/lib/docker_env.sh
source "$ROOT/deploy/lib/docker_env.sh"

IMAGE="${BRAINSERVE_IMAGE:-brainserve:smoke}"
GRACE_SECONDS=10
CONTAINER="brainserve-smoke-$$"
WORK="$(mktemp -d)"
PROM_PID=""
started_at=$SECONDS
log() { echo "[smoke $(( SECONDS - started_at ))s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  if [ -n "${DOCKER:-}" ] && $DOCKER inspect "$CONTAINER" >/dev/null 2>&1; then
    echo "--- container logs ---" >&2
    $DOCKER logs --tail 50 "$CONTAINER" >&2 || true
  fi
  exit 1
}
cleanup() {
  local rc=$?
  if [ -n "$PROM_PID" ]; then kill "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; fi
  if [ -n "${DOCKER:-}" ]; then $DOCKER rm -f "$CONTAINER" >/dev/null 2>&1 || true; fi
  docker_env_stop
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

log "Docker daemon"
docker_env_start || fail "no Docker daemon (see above)"
docker_env_base_images || fail "could not create the debian base images"

log "docker build -t $IMAGE (BuildKit, --network=host)"
build_started=$SECONDS
$DOCKER build --network=host --progress=plain \
  --build-arg BUILD_JOBS="${BUILD_JOBS:-$(nproc)}" \
  -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >"$WORK/build.log" 2>&1 ||
  { tail -n 60 "$WORK/build.log" >&2; fail "docker build failed"; }
# Time per build step (BuildKit's plain progress: "#N [stage i/n] STEP" ... "#N DONE 12.3s").
awk '/^#[0-9]+ \[/ { id = $1; sub(/^#[0-9]+ /, ""); step[id] = substr($0, 1, 90) }
     /^#[0-9]+ (DONE|CACHED)/ { if ($1 in step) { printf "  %-8s %s\n", ($2 == "CACHED" ? "cached" : $3), step[$1]; delete step[$1] } }' \
  "$WORK/build.log"
grep -E 'Hits:|Misses:' "$WORK/build.log" | sed -E 's/^#[0-9]+ [0-9.]+ +/  ccache /' || true
log "built in $(( SECONDS - build_started ))s"

log "image size and what takes the space"
size=$($DOCKER image inspect -f '{{.Size}}' "$IMAGE")
echo "  $IMAGE: $(( size / 1000000 )) MB"
$DOCKER history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" |
  awk -F'\t' '$1 != "0B" { printf "  %-8s %s\n", $1, substr($2, 1, 100) }'
packages() {  # packages IMAGE: "KiB<TAB>package" lines, sorted
  $DOCKER run --rm --network=none --entrypoint dpkg-query "$1" -W -f='${Installed-Size}\t${Package}\n' | sort
}
packages "$IMAGE" >"$WORK/image-packages.txt"
packages debian:bookworm-slim >"$WORK/base-packages.txt"
echo "  packages added to debian:bookworm-slim ($(comm -23 "$WORK/image-packages.txt" "$WORK/base-packages.txt" | wc -l)), largest first:"
comm -23 "$WORK/image-packages.txt" "$WORK/base-packages.txt" | sort -rn | head -n 12 |
  awk -F'\t' '{ printf "    %6.1f MB  %s\n", $1 / 1024, $2 }'
$DOCKER run --rm --network=none --entrypoint sh "$IMAGE" -c \
  'du -sk /usr/local/bin/brainserve-* | awk "{ printf \"    %6.1f MB  %s\n\", \$1 / 1024, \$2 }"'

GRPC_PORT="$(free_port)"
METRICS_PORT="$(free_port)"
while [ "$METRICS_PORT" = "$GRPC_PORT" ]; do METRICS_PORT="$(free_port)"; done
HTTP_PORT="$(free_port)"
while [ "$HTTP_PORT" = "$GRPC_PORT" ] || [ "$HTTP_PORT" = "$METRICS_PORT" ]; do HTTP_PORT="$(free_port)"; done
log "docker run --network=host: gRPC 127.0.0.1:$GRPC_PORT, HTTP 127.0.0.1:$HTTP_PORT, metrics 127.0.0.1:$METRICS_PORT"
# The image's default command (models file and the store on its volume; flags given here replace
# the CMD) with the listen addresses appended, hardened the way deploy/k8s runs it.
$DOCKER run -d --name "$CONTAINER" --network=host \
  --read-only --tmpfs /tmp --cap-drop=ALL --security-opt=no-new-privileges \
  --health-interval=2s --health-start-period=10s \
  -e BRAINSERVE_SERVER="127.0.0.1:$GRPC_PORT" \
  "$IMAGE" --models_file=/opt/brainserve/examples/models.json \
  --store=sqlite:/var/lib/brainserve/state.db \
  --listen="127.0.0.1:$GRPC_PORT" --metrics_listen="127.0.0.1:$METRICS_PORT" \
  --http_listen="127.0.0.1:$HTTP_PORT" \
  --shutdown_grace_seconds="$GRACE_SECONDS" >/dev/null
cli() { $DOCKER exec -i "$CONTAINER" brainserve-cli --timeout_ms=5000 "$@"; }

log "waiting for health SERVING"
for i in $(seq 1 120); do
  if [ "$($DOCKER inspect -f '{{.State.Running}}' "$CONTAINER")" != true ]; then
    fail "the container exited during start-up (exit code $($DOCKER inspect -f '{{.State.ExitCode}}' "$CONTAINER"))"
  fi
  if cli health >/dev/null 2>&1; then break; fi
  [ "$i" -eq 120 ] && fail "health did not become SERVING within 60 s"
  sleep 0.5
done
[ "$(cli health)" = SERVING ] || fail "health is not SERVING"
[ "$(cli health --service=brainserve.v1.ModelService)" = SERVING ] ||
  fail "brainserve.v1.ModelService is not SERVING"
$DOCKER logs "$CONTAINER" 2>&1 | grep -q "brainserve-server: serving gRPC on 127.0.0.1:$GRPC_PORT, HTTP on 127.0.0.1:$HTTP_PORT, metrics on 127.0.0.1:$METRICS_PORT" ||
  fail "missing the 'serving gRPC on ...' start-up line"
# The Open Inference Protocol's REST form answers (readiness and one inference).
curl -fsS --max-time 5 "http://127.0.0.1:$HTTP_PORT/v2/health/ready" >/dev/null ||
  fail "/v2/health/ready does not answer 200 on 127.0.0.1:$HTTP_PORT"
curl -fsS --max-time 5 "http://127.0.0.1:$HTTP_PORT/v2/models/identity/infer" \
  -d '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,64],"data":['"$(seq -s, 64)"']}]}' |
  grep -q '"data":\[1,2,3,' || fail "REST infer on identity did not return its input"
# The server is the container's PID 1: its real, effective, saved and file-system uids.
uid="$($DOCKER exec "$CONTAINER" awk '/^Uid:/ { print $2, $3, $4, $5 }' /proc/1/status)"
[ "$uid" = "10001 10001 10001 10001" ] || fail "the server runs with uids $uid, not 10001"
uid=10001
log "SERVING; runs as uid $uid"

log "models and Forward through the CLI"
models="$(cli list)"
for m in mlp conv identity; do
  grep -qw "$m" <<<"$models" || fail "model $m is not listed: $models"
done
input="$(/usr/bin/python3 -c 'import json; print(json.dumps([[round(0.25 * i - 8, 2) for i in range(64)]]))')"
cli --json forward identity --input=- <<<"$input" >"$WORK/identity.json" || fail "Forward identity failed"
cli --json forward mlp --input=- --encoding=values <<<"$input" >"$WORK/mlp.json" || fail "Forward mlp failed"
/usr/bin/python3 - "$WORK/identity.json" "$WORK/mlp.json" "$input" <<'PY' || fail "unexpected Forward output"
import json, math, sys
identity, mlp, sent = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.loads(sys.argv[3]))
shape = lambda r: [int(d) for d in r["output"]["shape"]]
assert shape(identity) == [1, 64], identity
assert identity["output"]["values"] == sent[0], "identity changed its input"
assert shape(mlp) == [1, 10], mlp
values = mlp["output"]["values"]
assert len(values) == 10 and all(math.isfinite(v) for v in values), values
assert any(v != 0 for v in values), values
print(f"  identity: [1, 64] returned unchanged; mlp: [1, 10] = {[round(v, 4) for v in values[:4]]}...")
PY
# UpdateParameters: add 0.5 to mlp's output bias; the same input then gives outputs 0.5 higher, at
# version 2.
cli update mlp --layer=fc2 --param=bias --mode=add --value=- <<<"[$(printf '0.5,%.0s' {1..9})0.5]" |
  grep -qx "version 2" || fail "UpdateParameters on mlp did not answer version 2"
cli --json forward mlp --input=- --encoding=values <<<"$input" >"$WORK/mlp2.json" || fail "Forward mlp failed after the update"
/usr/bin/python3 - "$WORK/mlp.json" "$WORK/mlp2.json" <<'PY' || fail "the update did not take effect as expected"
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
assert int(before["version"]) == 1 and int(after["version"]) == 2, (before["version"], after["version"])
diffs = [b - a for a, b in zip(before["output"]["values"], after["output"]["values"])]
assert len(diffs) == 10 and all(abs(d - 0.5) < 1e-5 for d in diffs), diffs
print("  UpdateParameters (fc2.bias += 0.5): version 2, outputs +0.5")
PY
# A call the server must reject, so the error path is counted too.
if cli forward mlp --input=- <<<'[[1, 2, 3]]' >/dev/null 2>&1; then
  fail "Forward with a wrong input shape succeeded"
fi

log "/metrics"
curl -fsS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt" ||
  fail "/metrics does not answer on 127.0.0.1:$METRICS_PORT"
sample() {  # sample METRIC [LABEL=VALUE...]: sum of the matching series' values (0 if none)
  /usr/bin/python3 - "$WORK/metrics.txt" "$@" <<'PY'
import re, sys
path, name, wanted = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
total = 0.0
for line in open(path):
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
    if not m or m.group(1) != name:
        continue
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    if all(labels.get(k) == v for k, v in wanted.items()):
        total += float(m.group(3))
print(f"{total:g}")
PY
}
[ "$(sample brainserve_requests_total model=identity method=Forward code=OK)" = 1 ] ||
  fail "brainserve_requests_total does not count the identity Forward"
[ "$(sample brainserve_requests_total model=mlp method=Forward code=OK)" = 2 ] ||
  fail "brainserve_requests_total does not count the mlp Forward"
[ "$(sample brainserve_requests_total model=mlp method=Forward code=INVALID_ARGUMENT)" = 1 ] ||
  fail "brainserve_requests_total does not count the rejected Forward as INVALID_ARGUMENT"
[ "$(sample brainserve_batch_size_count model=mlp)" = 2 ] ||
  fail "brainserve_batch_size does not count the two mlp batches"
[ "$(sample brainserve_models)" = 3 ] || fail "brainserve_models is not 3"
[ "$(sample brainserve_model_version model=mlp)" = 2 ] || fail "brainserve_model_version{model=mlp} is not 2"
[ "$(sample brainserve_parameter_updates_total model=mlp code=OK)" = 1 ] ||
  fail "brainserve_parameter_updates_total does not count the update"
echo "  ok: $(grep -c '^brainserve_' "$WORK/metrics.txt") brainserve_* samples"

log "every metric used by deploy/ alerts and dashboard is exported"
used="$(cat "$ROOT/deploy/prometheus/alerts.yml" "$ROOT/deploy/grafana/brainserve-dashboard.json" |
        sed -E 's/[a-z_]*:[a-z0-9_]+:[a-z0-9_]+//g' | grep -oE 'brainserve_[a-z0-9_]+' |
        sed -E 's/_(bucket|sum|count)$//' | sort -u | grep -vx 'brainserve_queue_capacity')"
for name in $used; do
  grep -qE "^# TYPE $name " "$WORK/metrics.txt" || fail "$name is used in deploy/ but not exported"
done
echo "  ok: $(wc -w <<<"$used") metric families"

if command -v prometheus >/dev/null 2>&1; then
  log "Debian's Prometheus scrapes the container with the compose job and the alert rules"
  PROM_PORT="$(free_port)"
  # deploy/compose/prometheus.yml itself, with the target pointed at the container and the
  # intervals shortened; its relative rule path resolves through the symlinked rules directory.
  mkdir -p "$WORK/compose"
  ln -s "$ROOT/deploy/prometheus" "$WORK/prometheus"
  sed -e "s/\"brainserve:9464\"/\"127.0.0.1:$METRICS_PORT\"/" \
      -e 's/^\(\s*\)\(scrape_interval\|evaluation_interval\): .*/\1\2: 1s/' \
      -e 's/^\(\s*\)scrape_timeout: .*/\1scrape_timeout: 1s/' \
      "$ROOT/deploy/compose/prometheus.yml" >"$WORK/compose/prometheus.yml"
  grep -q "127.0.0.1:$METRICS_PORT" "$WORK/compose/prometheus.yml" ||
    fail "could not point deploy/compose/prometheus.yml at the container"
  prometheus --config.file="$WORK/compose/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
  PROM_PID=$!
  api() { curl -fsS --max-time 5 "http://127.0.0.1:$PROM_PORT/api/v1/$1"; }
  ok=""
  for i in $(seq 1 40); do
    sleep 0.5
    if api 'query?query=up%7Bjob%3D%22brainserve%22%7D' 2>/dev/null | grep -q '"value":\[[0-9.]*,"1"\]' &&
       api rules 2>/dev/null | /usr/bin/python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"]
sys.exit(0 if rules and not bad else 1)' 2>/dev/null; then
      ok=1
      break
    fi
  done
  if [ -z "$ok" ]; then
    api rules >&2 || true
    tail -n 20 "$WORK/prometheus.log" >&2
    fail "Prometheus did not scrape the container (up == 1) or a rule failed to evaluate"
  fi
  echo "  ok: target up, $(api rules | grep -o '"health":"ok"' | wc -l) rules evaluated without error"
  # Every dashboard query (variables set to "all") runs and returns series for this server; rate()
  # needs a few scrapes first.
  for i in $(seq 1 40); do
    api 'query?query=count_over_time(up%7Bjob%3D%22brainserve%22%7D%5B1m%5D)' |
      grep -qE '"value":\[[0-9.]*,"([4-9]|[1-9][0-9]+)"\]' && break
    sleep 0.5
  done
  /usr/bin/python3 - "$ROOT/deploy/grafana/brainserve-dashboard.json" "$PROM_PORT" <<'PY' ||
import json, re, sys, urllib.parse, urllib.request
dashboard, port = json.load(open(sys.argv[1])), sys.argv[2]
queries = [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]
empty = []
for title, expr in queries:
    expr = re.sub(r"\$(\w+)", lambda m: "1m" if m.group(1) == "__rate_interval" else ".*", expr)
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    answer = json.load(urllib.request.urlopen(url, timeout=5))
    if answer["status"] != "success":
        sys.exit(f"dashboard panel {title!r}: {answer}")
    if not answer["data"]["result"]:
        empty.append(title)
if empty:
    sys.exit(f"dashboard queries with no data from a live server: {empty}")
print(f"  ok: {len(queries)} dashboard queries return data")
PY
    fail "a dashboard query failed against the live server"
  kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true; PROM_PID=""
fi

log "Docker HEALTHCHECK (brainserve-cli health)"
for i in $(seq 1 60); do
  status="$($DOCKER inspect -f '{{.State.Health.Status}}' "$CONTAINER")"
  [ "$status" = healthy ] && break
  [ "$status" = unhealthy ] && fail "the HEALTHCHECK reports unhealthy"
  [ "$i" -eq 60 ] && fail "the HEALTHCHECK did not report healthy within 30 s (status: $status)"
  sleep 0.5
done
echo "  ok: healthy"

log "docker stop (SIGTERM), grace $GRACE_SECONDS s"
stop_started=$(date +%s.%N)
$DOCKER stop -t "$(( GRACE_SECONDS + 5 ))" "$CONTAINER" >/dev/null
stop_seconds=$(/usr/bin/python3 -c "print(round($(date +%s.%N) - $stop_started, 2))")
exit_code="$($DOCKER inspect -f '{{.State.ExitCode}}' "$CONTAINER")"
[ "$exit_code" = 0 ] || fail "the server exited with code $exit_code after SIGTERM (137 = killed after the grace period)"
/usr/bin/python3 -c "import sys; sys.exit(0 if $stop_seconds <= $GRACE_SECONDS else 1)" ||
  fail "the server took ${stop_seconds}s to stop, more than the ${GRACE_SECONDS}s grace period"
echo "  ok: exit code 0 after ${stop_seconds}s"

# Keep the cache bounded: drop images replaced by this build and build cache beyond 4 GB.
$DOCKER image prune -f >/dev/null 2>&1 || true
$DOCKER builder prune -f --keep-storage 4gb >/dev/null 2>&1 || true

log "OK"
