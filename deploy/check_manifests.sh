#!/usr/bin/env bash
# Validates the Kubernetes manifests offline (no cluster needed); exits non-zero on any failure.
#   1. deploy/k8s/models.json and prometheusrule.yaml match examples/models.json and
#      deploy/prometheus/alerts.yml;
#   2. `kubectl kustomize deploy/k8s` renders, and so do the hpa-queue-time and tls-auth components
#      on top;
#   3. every rendered object passes deploy/k8s/validate/validate.mjs: its kubernetes-models schema
#      (.validate()), `tsc --noEmit --strict` with the object typed by its model interface (catches
#      misspelled fields), and brainserve's cross-object invariants;
#   4. the checker itself rejects known-bad fixtures and mutated renderings, each for the expected
#      reason (so it cannot pass vacuously);
#   5. the Prometheus adapter rule's PromQL parses (promtool).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VALIDATE="$ROOT/deploy/k8s/validate"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
log() { echo "[check_manifests] $*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
need() {  # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  log "installing $2 (for $1)"
  as_root apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "$2"
}
need kubectl kubectl
need node nodejs
need npm npm
need promtool prometheus

log "npm ci (kubernetes-models, @kubernetes-models/prometheus-operator, @kubernetes-models/cert-manager, yaml, typescript)"
(cd "$VALIDATE" && npm ci --no-audit --no-fund --loglevel=error --prefer-offline >/dev/null)

log "copies in deploy/k8s are up to date"
node "$VALIDATE/sync.mjs" --check

log "kubectl kustomize deploy/k8s"
kubectl kustomize "$ROOT/deploy/k8s" >"$WORK/base.yaml"

log "kubectl kustomize: deploy/k8s + components/hpa-queue-time"
mkdir -p "$WORK/overlay"
rel="$(realpath --relative-to="$WORK/overlay" "$ROOT/deploy/k8s")"
printf '%s\n' \
  "apiVersion: kustomize.config.k8s.io/v1beta1" \
  "kind: Kustomization" \
  "resources:" \
  "  - $rel" \
  "components:" \
  "  - $rel/components/hpa-queue-time" >"$WORK/overlay/kustomization.yaml"
kubectl kustomize "$WORK/overlay" >"$WORK/queue-time.yaml"
if ! grep -q "name: brainserve_queue_seconds_per_request" "$WORK/queue-time.yaml"; then
  echo "FAIL: the hpa-queue-time component did not add the custom metric to the HPA" >&2
  exit 1
fi

log "kubectl kustomize: deploy/k8s + components/postgres"
mkdir -p "$WORK/overlay-pg"
rel="$(realpath --relative-to="$WORK/overlay-pg" "$ROOT/deploy/k8s")"
printf '%s\n' \
  "apiVersion: kustomize.config.k8s.io/v1beta1" \
  "kind: Kustomization" \
  "resources:" \
  "  - $rel" \
  "components:" \
  "  - $rel/components/postgres" >"$WORK/overlay-pg/kustomization.yaml"
kubectl kustomize "$WORK/overlay-pg" >"$WORK/postgres.yaml"
for want in "--store=postgresql://brainserve@brainserve-postgres:5432/brainserve" \
            "name: PGPASSWORD" "kind: StatefulSet" "storage: 10Gi"; do
  if ! grep -qF -- "$want" "$WORK/postgres.yaml"; then
    echo "FAIL: the postgres component rendering lacks: $want" >&2
    exit 1
  fi
done
if grep -qF -- "--store=sqlite:" "$WORK/postgres.yaml"; then
  echo "FAIL: the postgres component left the sqlite --store flag in place" >&2
  exit 1
fi


log "kubectl kustomize: deploy/k8s + components/tls-auth"
mkdir -p "$WORK/tls-overlay"
printf '%s\n' \
  "apiVersion: kustomize.config.k8s.io/v1beta1" \
  "kind: Kustomization" \
  "resources:" \
  "  - $rel" \
  "components:" \
  "  - $rel/components/tls-auth" >"$WORK/tls-overlay/kustomization.yaml"
kubectl kustomize "$WORK/tls-overlay" >"$WORK/tls-auth.yaml"
for expect in "--tls_client_ca_file=/etc/brainserve/tls/ca.crt" "--health_listen=0.0.0.0:50052" \
    "kind: Certificate" "basicAuth:"; do
  if ! grep -q -- "$expect" "$WORK/tls-auth.yaml"; then
    echo "FAIL: the tls-auth component did not add '$expect'" >&2
    exit 1
  fi
done


log "validate the renderings (and a known-good fixture)"
node "$VALIDATE/validate.mjs" "$WORK/base.yaml" "$WORK/queue-time.yaml" \
  "$WORK/postgres.yaml" "$WORK/tls-auth.yaml" "$VALIDATE/testdata/good-minimal.yaml"

log "the validator rejects known-bad fixtures and mutated renderings of deploy/k8s"
mutants=()
mutate() {  # mutate NAME EXPECTED-TEXT SED-EXPRESSION [RENDERING, default base.yaml]
  local name="$1" expect="$2" expr="$3" source="$WORK/${4:-base.yaml}" file="$WORK/mutant-$1.yaml"
  { echo "# expect: $expect"; sed -e "$expr" "$source"; } >"$file"
  if cmp -s <(tail -n +2 "$file") "$source"; then
    echo "FAIL: mutation $name changed nothing (sed: $expr)" >&2
    exit 1
  fi
  mutants+=("$file")
}
mutate short-grace "terminationGracePeriodSeconds 20 <" \
  's/terminationGracePeriodSeconds: 30/terminationGracePeriodSeconds: 20/'
mutate writable-root "root filesystem is writable" \
  's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/'
mutate escalation "allowPrivilegeEscalation" \
  's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: true/'
mutate wrong-metrics-port "--metrics_listen" \
  's/--metrics_listen=0.0.0.0:9464/--metrics_listen=0.0.0.0:9465/'
mutate models-path "--models_file=/etc/brainserve/other.json is not a key" \
  's#--models_file=/etc/brainserve/models.json#--models_file=/etc/brainserve/other.json#'
mutate misspelled-field "\"terminationGracePeriodSecond\"' does not exist" \
  's/terminationGracePeriodSeconds:/terminationGracePeriodSecond:/'
mutate service-target-port "targetPort grpcc is not a container port" \
  '0,/targetPort: grpc$/s//targetPort: grpcc/'
mutate http-probe "readinessProbe is not a gRPC probe" \
  '/readinessProbe:/,/service:/{s/grpc:/tcpSocket:/;/service:/d}'
mutate replicas-vs-hpa "sets replicas although HPA" \
  's/^  revisionHistoryLimit: 5$/  replicas: 3\n  revisionHistoryLimit: 5/'
mutate tls-probe-on-grpc "TLS is on: probes need the plaintext --health_listen port" \
  '0,/port: 50052$/s//port: 50051/' tls-auth.yaml
mutate tls-tokens-not-secret "--auth_tokens_file=/etc/brainserve/models.json is not in a mounted Secret" \
  's#--auth_tokens_file=/etc/brainserve/auth/tokens#--auth_tokens_file=/etc/brainserve/models.json#' \
  tls-auth.yaml
mutate tls-certificate-secret "no cert-manager Certificate writes the TLS Secret brainserve-tls" \
  's/^  secretName: brainserve-tls$/  secretName: brainserve-tls-old/' tls-auth.yaml
mutate tls-health-port "--health_listen (0.0.0.0:50053) must listen on the \"health\" container port" \
  's/--health_listen=0.0.0.0:50052/--health_listen=0.0.0.0:50053/' tls-auth.yaml
node "$VALIDATE/validate.mjs" --expect-fail "$VALIDATE"/testdata/bad-*.yaml "${mutants[@]}"

log "Prometheus adapter rule: the metricsQuery parses"
VALIDATE="$VALIDATE" node --input-type=module - \
  "$ROOT/deploy/k8s/components/hpa-queue-time/prometheus-adapter-rules.yaml" \
  "$WORK/adapter-rules.yml" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(`${process.env.VALIDATE}/`);
const { parse, stringify } = require("yaml");
const [input, output] = process.argv.slice(2);
const { rules } = parse(readFileSync(input, "utf8"));
if (!Array.isArray(rules) || rules.length === 0) throw new Error(`${input}: no rules`);
const expanded = rules.map((rule, i) => ({
  record: `adapter_rule_${i}`,
  expr: rule.metricsQuery
    .replaceAll("<<.GroupBy>>", "namespace, pod")
    .replaceAll("<<.LabelMatchers>>", 'namespace="default", pod=~"brainserve-.*"'),
}));
writeFileSync(output, stringify({ groups: [{ name: "adapter", rules: expanded }] }));
JS
promtool check rules "$WORK/adapter-rules.yml" >/dev/null

log "OK"
