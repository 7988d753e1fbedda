#!/usr/bin/env bash
# The runtime suite of `make bench` (docs/performance.md):
# in-process Google Benchmark figures for the runtime targets, measured in one run.
#
#   bench/runtime_bench.sh [BUILD_DIR]        e.g. bench/runtime_bench.sh build/release
#
#   bb_runtime_bench  dispatch ns per node and heap allocations per dispatch on a
#                     1,000-node PassThrough chain (Interval, virtual clock); BackoffGateTx
#                     decisions per second through the dispatch path with 100k tracked
#                     peers (38-byte PeerIds), and bytes per tracked peer
#   bb_sim_bench      gated Send → Recv messages per second of real time, 100 nodes
#   bb_kernel_bench   ai.onnx MatMul/Gemm (256², 1024²) in GFLOP/s against Eigen called
#                     directly, Add of 1M floats against a plain loop, and a 1,000-node Add
#                     chain through the dispatch path (ns per node, allocations per dispatch)
#   bb_startup_bench  bbrun load + resolve + plan of a 100k-node .bb vs. protobuf parse
#                     of the same file (the graph: bench/gen_graph.py --seed 1, compiled
#                     by BUILD_DIR's bbc), interleaved repetitions, medians
#
# Right before and after the simulator, bb_host_probe says what fresh memory, a cache
# miss and a CPU step cost on the machine then: the simulator's row is real time over a
# working set larger than a core's cache (docs/performance.md, "Round 15: the simulator
# and the host").
#
# Prints each program's own output, then the table of the targets. With BENCH_JSON=FILE
# it also writes {"suite": "runtime", "host": [2 lines], "rows": [...]} for bench/table.py.
# Environment: STARTUP_NODES (default 100000), REPS (default 5) startup repetitions.
set -euo pipefail
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3  # has onnx; the python3 on PATH may not
nodes=${STARTUP_NODES:-100000}
reps=${REPS:-5}
bbc="$build/tools/bbc"
probe="$build/bench/bb_host_probe"
for tool in "$bbc" "$build/bench/bb_runtime_bench" "$build/bench/bb_sim_bench" "$build/bench/bb_startup_bench" \
  "$build/bench/bb_kernel_bench" "$probe"; do
  [ -x "$tool" ] || { echo "runtime_bench.sh: $tool is missing: build first (make bench does)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # NAME PROGRAM ARGS...: console output to the terminal, JSON to $work/NAME.json
  local name=$1
  shift
  echo "== $name"
  "$@" --benchmark_out="$work/$name.json" --benchmark_out_format=json ||
    { echo "runtime_bench.sh: $name failed" >&2; exit 1; }
  echo
}

run runtime "$build/bench/bb_runtime_bench"
run kernels "$build/bench/bb_kernel_bench"
host_before=$("$probe")
run sim "$build/bench/bb_sim_bench"
host_after=$("$probe")
echo "host before the simulator: $host_before"
echo "host after the simulator: $host_after"
"$python" "$root/bench/gen_graph.py" "$work/g.onnx" --nodes "$nodes" --seed 1
"$bbc" compile "$work/g.onnx" -o "$work/g.bb" >/dev/null 2>"$work/bbc.err" ||
  { echo "runtime_bench.sh: bbc compile failed" >&2; cat "$work/bbc.err" >&2; exit 1; }
run startup "$build/bench/bb_startup_bench" --graph="$work/g.bb" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true

"$python" - "$work" "$nodes" "${BENCH_JSON:-}" "before the simulator: $host_before" "after the simulator: $host_after" <<'EOF'
import json
import sys

work, nodes, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
host = sys.argv[4:6]


def results(name, keep_args=False, errors_ok=False):
    with open(f"{work}/{name}.json", encoding="utf-8") as f:
        report = json.load(f)
    by_name = {}
    for b in report["benchmarks"]:
        if b.get("error_occurred") and not errors_ok:
            sys.exit(f"runtime_bench.sh: {b['name']}: {b.get('error_message', 'failed')}")
        name = b.get("run_name", b["name"])
        # Google Benchmark names carry the run's options ("BM_X/256/min_time:0.500").
        name = "/".join(p for p in name.split("/") if not p.startswith(("min_time:", "real_time")))
        if not keep_args:
            name = name.split("/")[0]
        if b.get("run_type") == "aggregate":
            name += "_" + b["aggregate_name"]
        by_name[name] = b
    return by_name


def kernel_rows():
    """The ai.onnx kernel rows; a kernel this build lacks is a failed row, not an error."""
    k = results("kernels", keep_args=True, errors_ok=True)
    rows = []

    def measured(b, counter, fmt):
        return (False, b.get("error_message", "failed")) if b.get("error_occurred") else (True, fmt(b[counter]))

    for op in ("MatMul", "Gemm"):
        for n in (256, 1024):
            floor = k[f"BM_EigenProduct/{n}"]["gflops"]
            ok, text = measured(k[f"BM_{op}/{n}"], "gflops", lambda g: f"{g:.1f} GFLOP/s")
            ratio = k[f"BM_{op}/{n}"]["gflops"] / floor if ok else 0
            rows.append({"what": f"{op} {n}×{n} float (registry kernel)", "measured": text,
                         "floor": f"{floor:.1f} GFLOP/s Eigen product", "ratio": f"{ratio:.2f}×" if ok else "—",
                         "target": "≥ 0.85×", "pass": ok and ratio >= 0.85})
    loop = k["BM_AddLoop1M"]["ns_per_element"]
    ok, text = measured(k["BM_Add1M"], "ns_per_element", lambda v: f"{v:.3f} ns/element")
    ratio = loop / k["BM_Add1M"]["ns_per_element"] if ok else 0
    rows.append({"what": "Add, 1M floats (registry kernel)", "measured": text, "floor": f"{loop:.3f} ns/element plain loop",
                 "ratio": f"{ratio:.2f}×" if ok else "—", "target": "≥ 0.8× the loop's speed",
                 "pass": ok and ratio >= 0.8})
    chain = k["BM_AddChain"]
    if chain.get("error_occurred"):
        rows.append({"what": "dispatch, 1,000-node Add chain (4 floats)", "measured": chain.get("error_message", "failed"),
                     "floor": "—", "ratio": "—", "target": "≤ 150 ns; 0 allocs", "pass": False})
    else:
        ns, allocs = chain["ns_per_node"], chain["allocs_per_dispatch"]
        rows.append({"what": "dispatch, 1,000-node Add chain (4 floats)",
                     "measured": f"{ns:.1f} ns/node, {allocs:.4f} allocs/dispatch", "floor": "—", "ratio": "—",
                     "target": "≤ 150 ns; 0 allocs", "pass": ns <= 150 and allocs == 0})
    return rows


run = results("runtime")
dispatch = run["BM_DispatchPassThroughChain"]
gates = run["BM_BackoffGateTxDecisions"]
sim = results("sim")["BM_SimGatedSendToRecv"]
startup = results("startup")
parse_ms = startup["BM_ProtobufParse_median"]["real_time"]
load_ms = startup["BM_BbrunLoad_median"]["real_time"]
load_cpu_ms = startup["BM_BbrunLoad_median"]["cpu_ms_all_threads"]

ns, allocs = dispatch["ns_per_node"], dispatch["allocs_per_dispatch"]
rate, per_peer = gates["decisions_per_s"], gates["bytes_per_peer"]
msgs, msgs_cpu, msg_allocs = sim["messages_per_s"], sim["messages_per_cpu_s"], sim["allocs_per_message"]
ratio = load_ms / parse_ms
alloc_text = "0 allocs" if allocs == 0 else f"{allocs:.4f} allocs/dispatch"
rows = [
    {"what": "dispatch, 1,000-node PassThrough chain", "measured": f"{ns:.1f} ns/node, {alloc_text}",
     "floor": "—", "ratio": "—", "target": "≤ 50 ns; 0 allocs", "pass": ns <= 50 and allocs == 0},
    {"what": "BackoffGateTx decisions, 100k tracked peers (through dispatch)", "measured": f"{rate / 1e6:.1f} M/s",
     "floor": "—", "ratio": "—", "target": "≥ 20 M/s per core", "pass": rate >= 20e6},
    {"what": "bytes per tracked peer (38-byte PeerId included)", "measured": f"{per_peer:.1f} B",
     "floor": "—", "ratio": "—", "target": "≤ 96 B", "pass": per_peer <= 96},
    {"what": "simulated gated Send → Recv, 100 nodes", "measured": f"{msgs / 1e6:.2f} M msgs/s real time ({msgs_cpu / 1e6:.2f} M per CPU s, {msg_allocs:.2f} allocs/msg)",
     "floor": "—", "ratio": "—", "target": "≥ 1 M/s", "pass": msgs >= 1e6},
    {"what": f"bbrun load + resolve + plan, {nodes:,} nodes", "measured": f"{load_ms:.1f} ms ({load_cpu_ms:.1f} ms CPU, both threads)",
     "floor": f"{parse_ms:.1f} ms protobuf parse", "ratio": f"{ratio:.2f}×", "target": "≤ 2×", "pass": ratio <= 2},
] + kernel_rows()
print("Runtime targets (docs/performance.md), measured in this run (CPU time of one core; the simulator and start-up in real time):")
print()
print("| what | measured | floor (same run) | ratio | target | result |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r['what']} | {r['measured']} | {r['floor']} | {r['ratio']} | {r['target']} | {'pass' if r['pass'] else 'FAIL'} |")
if out:
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"suite": "runtime", "host": host, "rows": rows}, f, ensure_ascii=False, indent=1)
        f.write("\n")
EOF
