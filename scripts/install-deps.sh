#!/usr/bin/env bash
# Installs brainserve's build, test and deploy-check dependencies from Debian 12 packages.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config git ca-certificates curl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libdnnl-dev ocl-icd-opencl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-grpcio python3-numpy python3-protobuf
  python3-venv python3-pip python3-setuptools python3-wheel openssl
  libcpp-httplib-dev nlohmann-json3-dev
  prometheus nghttp2-client valgrind
  docker.io debootstrap docker-compose
  libsqlite3-dev sqlite3 postgresql libpq-dev
  libssl-dev openssl
  clang-14 libclang-rt-14-dev libomp-14-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"; exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
