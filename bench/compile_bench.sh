#!/usr/bin/env bash
# Whole-tool figures for bbc (docs/performance.md): `bbc compile` and
# `bbc lint` on generated graphs (10 % Sends, 5 % Recvs) beside their floors, measured
# side by side in one run (the machines are shared and noisy: only ratios mean much).
#
#   bench/compile_bench.sh [BUILD_DIR] [SIZES...]     e.g. bench/compile_bench.sh build/release 10000 100000 1000000
#
# Environment: RUNS (default 3) runs per figure, the median is kept; PYTHON_GATES=0
# skips the Python `onnx` script (bench/gate_insertion.py, tens of seconds at 1M);
# BENCH_JSON=FILE also writes the targets table as {"suite": "compile", "rows": [{"what",
# "measured", "floor", "ratio", "target", "pass"}]} (bench/table.py merges the suites).
#
# Per size it prints wall seconds (whole processes, start to exit) of
#   floor    bb_parse_floor IN OUT: read + protobuf parse + deterministic serialize + atomic write
#   compile  bbc compile IN -o OUT
#   parse    bb_parse_floor IN: read + protobuf parse
#   lint     bbc lint IN
# and the peak RSS of compile and of the plain parse. Then the table of the targets,
# judged at the largest size (and the one a tenth of it for the scaling). Before and
# after, bb_host_probe says what fresh memory and a cache miss cost on the machine then:
# on a virtual machine both move by several times from hour to hour, and the compile's
# wall time with them (docs/performance.md, "The host's memory").
set -euo pipefail
build=${1:-build/release}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bbc="$build/tools/bbc"
floor="$build/bench/bb_parse_floor"
probe="$build/bench/bb_host_probe"
python=/usr/bin/python3  # has onnx; the python3 on PATH may not
for tool in "$bbc" "$floor" "$probe"; do
  [ -x "$tool" ] || { echo "compile_bench.sh: $tool is missing: build first (make bench does)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wall seconds of one run of a command, its output discarded; a failure stops the bench
wall() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/err" || { echo "compile_bench.sh: failed: $*" >&2; cat "$work/err" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# peak RSS in MB of one run
rss() {
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || { echo "compile_bench.sh: failed: $*" >&2; exit 1; }
  echo "$(tail -1 "$work/rss") / 1024" | bc -l
}

ratio() { echo "$1 / $2" | bc -l; }

declare -A floor_s compile_s parse_s lint_s compile_mb parse_mb
host_before=$("$probe")
echo "before: $host_before"
printf '%9s %9s %9s %7s %9s %9s %7s %10s %9s %7s\n' nodes floor_s compile_s ratio parse_s lint_s ratio compile_MB parse_MB ratio
for n in "${sizes[@]}"; do
  g="$work/g$n.onnx"
  "$python" "$root/bench/gen_graph.py" "$g" --nodes "$n" --seed 1
  f=() c=() p=() l=()
  for _ in $(seq "$runs"); do  # interleaved, so that load changes hit all of them alike
    f+=("$(wall "$floor" "$g" "$work/floor.onnx")")
    c+=("$(wall "$bbc" compile "$g" -o "$work/out.bb")")
    p+=("$(wall "$floor" "$g")")
    l+=("$(wall "$bbc" lint "$g")")
  done
  floor_s[$n]=$(median "${f[@]}")
  compile_s[$n]=$(median "${c[@]}")
  parse_s[$n]=$(median "${p[@]}")
  lint_s[$n]=$(median "${l[@]}")
  compile_mb[$n]=$(rss "$bbc" compile "$g" -o "$work/out.bb")
  parse_mb[$n]=$(rss "$floor" "$g")
  printf '%9d %9.3f %9.3f %7.2f %9.3f %9.3f %7.2f %10.0f %9.0f %7.2f\n' "$n" "${floor_s[$n]}" "${compile_s[$n]}" \
    "$(ratio "${compile_s[$n]}" "${floor_s[$n]}")" "${parse_s[$n]}" "${lint_s[$n]}" \
    "$(ratio "${lint_s[$n]}" "${parse_s[$n]}")" "${compile_mb[$n]}" "${parse_mb[$n]}" \
    "$(ratio "${compile_mb[$n]}" "${parse_mb[$n]}")"
done

# ---- the targets, at the largest size -------------------------------------------------
big=${sizes[$((${#sizes[@]} - 1))]}
tenth=$((big / 10))
label() { if [ $(($1 % 1000000)) = 0 ]; then echo "$(($1 / 1000000))M"; elif [ $(($1 % 1000)) = 0 ]; then echo "$(($1 / 1000))k"; else echo "$1"; fi; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo pass; else echo FAIL; fi; }
json_rows=()
# one table row; with a verdict (pass/FAIL) it is a target and joins BENCH_JSON too
row() {
  printf '| %s | %s | %s | %s | %s | %s |\n' "$@"
  case "$6" in
    pass | FAIL)
      local ok=false
      [ "$6" = pass ] && ok=true
      json_rows+=("$(printf '{"what": "%s", "measured": "%s", "floor": "%s", "ratio": "%s", "target": "%s", "pass": %s}' \
        "$1" "$2" "$3" "$4" "$5" "$ok")")
      ;;
  esac
}
echo
echo "Targets at $big nodes (docs/performance.md), measured in this run:"
echo
row "what" "measured" "floor (same run)" "ratio" "target" "result"
row "---" "---" "---" "---" "---" "---"
r=$(ratio "${compile_s[$big]}" "${floor_s[$big]}")
row "bbc compile $(label "$big") nodes" "$(printf '%.2f s' "${compile_s[$big]}")" "$(printf '%.2f s parse+serialize' "${floor_s[$big]}")" \
  "$(printf '%.2f×' "$r")" "≤ 1.5×" "$(verdict "$r <= 1.5")"
if [ -n "${compile_s[$tenth]:-}" ]; then
  r=$(ratio "${compile_s[$big]}" "${compile_s[$tenth]}")
  row "compile scaling" "$(printf '%.2f s / %.2f s' "${compile_s[$big]}" "${compile_s[$tenth]}")" \
    "time($big)/time($tenth)" "$(printf '%.1f' "$r")" "≤ 11" "$(verdict "$r <= 11")"
fi
r=$(ratio "${compile_mb[$big]}" "${parse_mb[$big]}")
row "compile peak RSS" "$(printf '%.0f MB' "${compile_mb[$big]}")" "$(printf '%.0f MB plain parse' "${parse_mb[$big]}")" \
  "$(printf '%.2f×' "$r")" "≤ 1.3×" "$(verdict "$r <= 1.3")"
if [ "${PYTHON_GATES:-1}" != 0 ]; then
  py=$(wall "$python" "$root/bench/gate_insertion.py" "$work/g$big.onnx" "$work/py.onnx")
  r=$(ratio "$py" "${compile_s[$big]}")
  row "compile vs. Python onnx script" "$(printf '%.2f s' "${compile_s[$big]}")" "$(printf '%.2f s script' "$py")" \
    "$(printf '%.1f× faster' "$r")" "≥ 20×" "$(verdict "$r >= 20")"
  # Not a target, for scale: the same script against the floor (protobuf's parse, serialize
  # and write of the input, no pass at all; bbc writes 2.6× the input's bytes).
  r=$(ratio "$py" "${floor_s[$big]}")
  row "the script vs. the floor alone" "$(printf '%.2f s' "${floor_s[$big]}")" "$(printf '%.2f s script' "$py")" \
    "$(printf '%.1f× faster' "$r")" "(for scale)" "—"
fi
r=$(ratio "${lint_s[$big]}" "${parse_s[$big]}")
row "bbc lint" "$(printf '%.2f s' "${lint_s[$big]}")" "$(printf '%.2f s parse' "${parse_s[$big]}")" \
  "$(printf '%.2f×' "$r")" "≤ 2×" "$(verdict "$r <= 2")"

host_after=$("$probe")
echo
echo "after: $host_after"

if [ -n "${BENCH_JSON:-}" ]; then
  {
    printf '{"suite": "compile", "host": ["%s", "%s"], "rows": [\n' "before: $host_before" "after: $host_after"
    for ((k = 0; k < ${#json_rows[@]}; k++)); do
      printf '  %s%s\n' "${json_rows[$k]}" "$([ $k -lt $((${#json_rows[@]} - 1)) ] && echo ,)"
    done
    printf ']}\n'
  } >"$BENCH_JSON"
fi
