#!/usr/bin/env bash
# Byte-for-byte comparison of two bbc binaries on generated graphs (docs/performance.md,
# "Gate records"): the writer that emits recorded gates must give exactly the bytes the
# gate nodes did.
#
#   bench/gates_cmp.sh OLD_BBC NEW_BBC [SIZES...]      e.g. bench/gates_cmp.sh /tmp/bbc_old build/release/tools/bbc 10000 100000 1000000
#
# Per size (default 10000), on bench/gen_graph.py's graph (seed 1):
#   * every one of the 32 combinations of --skip over the five gate passes: output files
#     and exit codes equal;
#   * recompiles: the output of each --skip combination compiled again without --skip;
#   * `-o -` (the bytes on stdout);
# and at the smallest size also --print-after (every pass, and all) and --verify-each:
# stdout, stderr and output files equal. Prints one line per size and exits 1 at the first
# difference, naming it.
set -euo pipefail
old=${1:?usage: gates_cmp.sh OLD_BBC NEW_BBC [SIZES...]}
new=${2:?usage: gates_cmp.sh OLD_BBC NEW_BBC [SIZES...]}
shift 2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000)
root=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3  # has onnx; the python3 on PATH may not
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gates=(insert-dedup-gate-rx insert-peer-health-gate-rx insert-backoff-gate-rx insert-peer-health-gate-tx
       insert-backoff-gate-tx)

fail() { echo "gates_cmp.sh: DIFFERENT: $*" >&2; exit 1; }

# run BIN TAG ARGS...: output in $work/TAG.{out,stdout,stderr,rc}
run() {
  local bin=$1 tag=$2
  shift 2
  local rc=0
  "$bin" "$@" >"$work/$tag.stdout" 2>"$work/$tag.stderr" || rc=$?
  echo "$rc" >"$work/$tag.rc"
}

# same TAG_A TAG_B WHAT [streams]: the outputs of two runs agree
same() {
  local a=$1 b=$2 what=$3 streams=${4:-}
  cmp -s "$work/$a.rc" "$work/$b.rc" || fail "$what: exit codes $(cat "$work/$a.rc") vs $(cat "$work/$b.rc")"
  if [ -e "$work/$a.out" ] || [ -e "$work/$b.out" ]; then
    cmp -s "$work/$a.out" "$work/$b.out" || fail "$what: output files"
  fi
  for s in $streams; do cmp -s "$work/$a.$s" "$work/$b.$s" || fail "$what: $s"; done
}

for n in "${sizes[@]}"; do
  g="$work/g$n.onnx"
  "$python" "$root/bench/gen_graph.py" "$g" --nodes "$n" --seed 1
  compared=0
  for mask in $(seq 0 31); do
    skip=()
    for b in 0 1 2 3 4; do (( mask >> b & 1 )) && skip+=(--skip "${gates[$b]}"); done
    rm -f "$work"/{o,n}$mask.out
    run "$old" o$mask compile "$g" -o "$work/o$mask.out" "${skip[@]}"
    run "$new" n$mask compile "$g" -o "$work/n$mask.out" "${skip[@]}"
    same o$mask n$mask "$n nodes, ${skip[*]:-no --skip}" stderr
    compared=$((compared + 1))
    if [ "$mask" -ne 0 ] && [ "$(cat "$work/o$mask.rc")" = 0 ]; then  # compile the partial output again
      rm -f "$work"/{ro,rn}.out
      run "$old" ro compile "$work/o$mask.out" -o "$work/ro.out"
      run "$new" rn compile "$work/o$mask.out" -o "$work/rn.out"
      same ro rn "$n nodes, recompile of ${skip[*]}" stderr
      compared=$((compared + 1))
    fi
    [ "$mask" -eq 0 ] || rm -f "$work/o$mask.out" "$work/n$mask.out"
  done
  run "$old" so compile "$g" -o -
  run "$new" sn compile "$g" -o -
  same so sn "$n nodes, -o -" "stdout stderr"
  cmp -s "$work/so.stdout" "$work/o0.out" || fail "$n nodes: -o - differs from the file"
  compared=$((compared + 1))
  if [ "$n" = "${sizes[0]}" ]; then
    for pass in $("$old" passes | cut -f1) all; do
      rm -f "$work"/{po,pn}.out
      run "$old" po compile "$g" -o "$work/po.out" --print-after "$pass"
      run "$new" pn compile "$g" -o "$work/pn.out" --print-after "$pass"
      same po pn "$n nodes, --print-after $pass" "stdout stderr"
      compared=$((compared + 1))
    done
    for extra in "" "--skip insert-backoff-gate-rx" "--skip insert-peer-health-gate-tx"; do
      rm -f "$work"/{vo,vn}.out
      # shellcheck disable=SC2086
      run "$old" vo compile "$g" -o "$work/vo.out" --verify-each $extra
      # shellcheck disable=SC2086
      run "$new" vn compile "$g" -o "$work/vn.out" --verify-each $extra
      same vo vn "$n nodes, --verify-each $extra" "stdout stderr"
      compared=$((compared + 1))
    done
  fi
  rm -f "$g" "$work/o0.out" "$work/n0.out"
  echo "$n nodes: $compared comparisons, all identical"
done
