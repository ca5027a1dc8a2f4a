#!/usr/bin/env bash
# Checks the monitoring configuration offline; exits non-zero on any failure.
#   1. promtool check config on the compose Prometheus config (which also checks its rule files);
#   2. promtool check rules + promtool test rules (every alert fires on synthetic series and stays
#      quiet on healthy ones), and a few mutated thresholds that the tests must catch;
#   3. the Grafana dashboard: well-formed, unique panel ids, every query valid PromQL (promtool);
#   4. every brainserve_* metric the rules, dashboard and adapter rule use is one the server
#      defines (server/metrics sources), so a renamed metric can't silently blank an alert;
#   5. docker-compose config validates deploy/compose/docker-compose.yml against the compose
#      schema, and the files it mounts exist.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log() { echo "[check_monitoring] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need() {  # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 (for $1)"
  as_root apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "$2"
}
need promtool prometheus
need docker-compose docker-compose
PY=/usr/bin/python3

PROM="$ROOT/deploy/prometheus"
DASHBOARD="$ROOT/deploy/grafana/brainserve-dashboard.json"

log "promtool check config deploy/compose/prometheus.yml"
promtool check config "$ROOT/deploy/compose/prometheus.yml"

log "promtool check rules + test rules"
promtool check rules "$PROM/alerts.yml"
promtool test rules "$PROM/alerts_test.yml"

log "the rule tests catch broken alerts"
cp "$PROM/alerts_test.yml" "$WORK/"
for mutation in \
    's/ratio_rate5m > 0.05/ratio_rate5m > 0.5/' \
    's/up{job="brainserve"} == 0/up{job="brainserve"} == 2/' \
    's/absent(up{job="brainserve"})/absent(up{job="brainserve-typo"})/' \
    's/) > 0.8$/) > 0.95/' \
    's/> 819$/> 1000/' \
    's/p99_5m > 0.1$/p99_5m > 0.3/' \
    's/method="Forward"}\[5m\])))/method="Predict"}[5m])))/' \
    's/(brainserve_auth_denied_total{job="brainserve"}\[5m\])) > 1$/(brainserve_auth_denied_total{job="brainserve"}[5m])) > 5/'; do
  sed -e "$mutation" "$PROM/alerts.yml" >"$WORK/alerts.yml"
  cmp -s "$WORK/alerts.yml" "$PROM/alerts.yml" && fail "mutation changed nothing: $mutation"
  if promtool test rules "$WORK/alerts_test.yml" >/dev/null 2>&1; then
    fail "promtool test rules passed with a broken alerts.yml ($mutation)"
  fi
done
echo "  ok: 8 mutated rule files fail the tests"

log "Grafana dashboard: structure and PromQL"
$PY - "$DASHBOARD" "$WORK/dashboard-rules.yml" <<'PY'
import json, re, sys
path, out = sys.argv[1], sys.argv[2]
dash = json.load(open(path))
problems = []
for key in ("title", "uid", "panels", "templating", "schemaVersion"):
    if key not in dash:
        problems.append(f"missing top-level {key}")
ids = [p.get("id") for p in dash.get("panels", [])]
if len(ids) != len(set(ids)) or None in ids:
    problems.append(f"panel ids are missing or not unique: {ids}")
variables = {v["name"] for v in dash["templating"]["list"]}
exprs = []
for p in dash["panels"]:
    g = p.get("gridPos", {})
    if not all(k in g for k in "hwxy") or g["x"] + g["w"] > 24:
        problems.append(f"panel {p.get('title')}: bad gridPos {g}")
    if p["type"] == "row":
        continue
    if not p.get("targets"):
        problems.append(f"panel {p.get('title')}: no queries")
    if p.get("datasource", {}).get("uid") != "${datasource}":
        problems.append(f"panel {p.get('title')}: datasource must be the ${{datasource}} variable")
    for t in p.get("targets", []):
        exprs.append((p["title"], t.get("expr", "")))
for v in dash["templating"]["list"]:
    if v["type"] == "query":
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", v["query"]["query"])
        if not m:
            problems.append(f"variable {v['name']}: not label_values(selector, label)")
        else:
            exprs.append((f"variable {v['name']}", m.group(1)))
rules = []
for i, (title, expr) in enumerate(exprs):
    used = set(re.findall(r"\$(\w+)", expr)) - {"__rate_interval", "__interval", "__range"}
    if used - variables:
        problems.append(f"{title}: unknown variables {used - variables}")
    concrete = (expr.replace("$__rate_interval", "1m").replace("$__interval", "15s")
                .replace("$__range", "1h"))
    concrete = re.sub(r"\$(\w+)", ".*", concrete)
    rules.append({"record": f"dashboard_query_{i}", "expr": concrete})
if problems:
    sys.exit("FAIL: " + "\n".join(problems))
json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(out, "w"), indent=1)
print(f"  ok: {len(dash['panels'])} panels, {len(exprs)} queries")
PY
promtool check rules "$WORK/dashboard-rules.yml" >/dev/null ||
  { promtool check rules "$WORK/dashboard-rules.yml"; fail "a dashboard query is not valid PromQL"; }

log "metric names used by rules, dashboard and adapter exist in the server"
defined="$(grep -rhoE '"brainserve_[a-z0-9_]+"' "$ROOT/server" | tr -d '"' | sort -u)"
[ -n "$defined" ] || fail "found no brainserve_* metric names under server/"
# Optional on purpose: alerts.yml uses it when exported and falls back to a fixed bound otherwise.
optional="brainserve_queue_capacity"
used="$(cat "$PROM/alerts.yml" "$DASHBOARD" \
          "$ROOT/deploy/k8s/components/hpa-queue-time/prometheus-adapter-rules.yaml" |
        sed -E 's/[a-z_]*:[a-z0-9_]+:[a-z0-9_]+//g' |  # recording rule names (level:metric:ops)
        grep -oE 'brainserve_[a-z0-9_]+' | grep -vE '^brainserve_(queue_seconds_per_request)$' |
        sed -E 's/_(bucket|sum|count)$//' | sort -u)"
missing=()
for name in $used; do
  grep -qx "$name" <<<"$defined" && continue
  grep -qx "$name" <<<"$optional" && continue
  missing+=("$name")
done
[ ${#missing[@]} -eq 0 ] || fail "metrics used in deploy/ but not defined under server/: ${missing[*]}"
echo "  ok: $(wc -w <<<"$used") metric names, all defined by the server"

log "docker-compose config (compose schema) and mounted files"
(cd "$ROOT/deploy/compose" && docker-compose -f docker-compose.yml config -q)
while read -r src; do
  [ -e "$ROOT/deploy/compose/$src" ] || fail "docker-compose.yml mounts $src, which does not exist"
done < <(grep -oE '^\s*- \.\.?/[^:]+' "$ROOT/deploy/compose/docker-compose.yml" | sed -E 's/^\s*- //')

log "OK"
