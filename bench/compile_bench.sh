#!/usr/bin/env bash
# Whole-tool figures for bbc (QUALITY.md): `bbc compile` and `bbc lint` on generated
# graphs (10 % Sends, 5 % Recvs) beside the protobuf parse + serialize floor of the same
# file, measured side by side in one run. Prints the ratios.
#
#   bench/compile_bench.sh [BUILD_DIR] [SIZES...]     e.g. bench/compile_bench.sh build/release 10000 100000 1000000
set -euo pipefail
build=${1:-build/release}
shift || true
sizes=("${@:-10000 100000 1000000}")
root=$(cd "$(dirname "$0")/.." && pwd)
bbc="$build/tools/bbc"
floor="$build/bench/bb_parse_floor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wall() {  # wall seconds of a command, its output discarded
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

printf '%10s %10s %10s %10s %8s %10s %8s %8s\n' nodes floor_s compile_s ratio parse_s lint_s ratio rss_MB
for n in ${sizes[@]}; do
  g="$work/g$n.onnx"
  /usr/bin/python3 "$root/bench/gen_graph.py" "$g" --nodes "$n" --seed 1
  f=$(wall "$floor" "$g" "$work/floor.onnx")
  parse=$("$floor" "$g" "$work/floor.onnx" | awk '{print $2 + $4}')
  c=$(wall "$bbc" compile "$g" -o "$work/out.bb")
  l=$(wall "$bbc" lint "$g")
  /usr/bin/time -f '%M' -o "$work/rss" "$bbc" compile "$g" -o "$work/out.bb" >/dev/null 2>&1 || true
  rss=$(tail -1 "$work/rss")
  printf '%10d %10.3f %10.3f %10.2f %8.3f %10.3f %8.2f %8.0f\n' "$n" "$f" "$c" "$(echo "$c / $f" | bc -l)" \
    "$parse" "$l" "$(echo "$l / $parse" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done
