#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer harnesses with clang-14 + ASan + UBSan and runs each
# for FUZZ_SECONDS (default 60) from its seed corpus. Findings land in build/fuzz/findings.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/fuzz}
seconds=${FUZZ_SECONDS:-60}
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1 -g"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DBB_FUZZ=ON -DBB_BUILD_TESTS=OFF -DBB_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target bb_fuzzers
mkdir -p "$build/findings" "$build/corpus"

# Seeds made from the project and from libonnx-testdata (docs/security.md): the compile
# harness reads a format byte first (0 binary, 1 text); the load harness wants .bb files.
seeds_dir="$build/seeds"
rm -rf "$seeds_dir" && mkdir -p "$seeds_dir/model_compile" "$seeds_dir/bb_load"
i=0
while IFS= read -r model; do
  i=$((i + 1))
  { printf '\0'; cat "$model"; } > "$seeds_dir/model_compile/testdata-$i"
done < <(find -L /usr/include/onnx/backend/test/data -name model.onnx | sort)
for text in "$root"/examples/*.onnxtxt "$root"/examples/demo/*.onnxtxt; do
  { printf '\1'; cat "$text"; } > "$seeds_dir/model_compile/$(basename "$text")"
done
bbc="$root/build/release/tools/bbc"
if [ -x "$bbc" ]; then
  for text in "$root"/examples/*.onnxtxt "$root"/examples/demo/*.onnxtxt; do
    "$bbc" compile "$text" -o "$seeds_dir/bb_load/$(basename "${text%.onnxtxt}").bb" 2>/dev/null || true
  done
fi
status=0
for harness in "$build"/fuzz/fuzz_*; do
  [ -x "$harness" ] || continue
  name=$(basename "$harness")
  seeds="$root/fuzz/corpus/${name#fuzz_}"
  work="$build/corpus/${name#fuzz_}"
  mkdir -p "$work"
  extra_seeds=()
  [ -d "$seeds" ] && extra_seeds+=("$seeds")
  [ -d "$seeds_dir/${name#fuzz_}" ] && extra_seeds+=("$seeds_dir/${name#fuzz_}")
  echo "== $name: ${seconds}s"
  if ! "$harness" -max_total_time="$seconds" -artifact_prefix="$build/findings/$name-" \
      -print_final_stats=1 "$work" "${extra_seeds[@]}" 2>"$build/$name.log"; then
    echo "   FINDING: see $build/$name.log and $build/findings/" >&2
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$name.log" | sed 's/^/   /'
  echo "   corpus: $(find "$work" -type f | wc -l) inputs"
done
exit $status
