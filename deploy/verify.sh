#!/usr/bin/env bash
# Runs every deployment check and exits non-zero if any of them fails.
#
#   deploy/verify.sh [--skip-image]
#
#   check_manifests.sh    Kubernetes manifests: kustomize render, kubernetes-models schemas,
#                         tsc --strict, cross-object invariants (offline, ~30 s)
#   check_monitoring.sh   promtool check config / check rules / test rules, Grafana dashboard
#                         queries, metric names, docker-compose schema (~5 s)
#   smoke_test_image.sh   builds the Docker image and runs it for real (2-10 min; --skip-image
#                         leaves it out)
#
# Every check runs even after one fails; the last line reads "deploy: N passed, M failed".
set -uo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

checks=(check_manifests.sh check_monitoring.sh smoke_test_image.sh)
for arg in "$@"; do
  case "$arg" in
    --skip-image) checks=(check_manifests.sh check_monitoring.sh) ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "usage: deploy/verify.sh [--skip-image]" >&2; exit 2 ;;
  esac
done

passed=0
failed=0
summary=()
for check in "${checks[@]}"; do
  echo "=== deploy/$check"
  started=$SECONDS
  if bash "$DEPLOY/$check"; then
    passed=$((passed + 1))
    summary+=("PASS  deploy/$check ($((SECONDS - started)) s)")
  else
    failed=$((failed + 1))
    summary+=("FAIL  deploy/$check ($((SECONDS - started)) s)")
  fi
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
