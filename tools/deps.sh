#!/usr/bin/env bash
# Installs the Debian bookworm packages bb builds and tests with.
# As root: installs whatever is missing with apt-get. Otherwise: prints the exact
# apt-get line and exits 2. Usage: tools/deps.sh [build|fuzz]
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  protobuf-compiler libprotobuf-dev
  libonnx-dev libonnx-testdata python3-onnx python3-numpy
  libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev libssl-dev libabsl-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev librapidcheck-dev
  libgrpc++-dev protobuf-compiler-grpc libeigen3-dev prometheus-cpp-dev
  libjemalloc-dev graphviz python3-sklearn python3-matplotlib python3-prometheus-client python3-yaml groff-base
)
if [ "${1:-build}" = fuzz ]; then
  packages+=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "bb: missing Debian packages; as root run:" >&2
  echo "  apt-get update && $line" >&2
  exit 2
fi
echo "bb: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
