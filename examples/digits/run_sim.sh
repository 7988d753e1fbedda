#!/usr/bin/env bash
# One federated protocol on the simulated network, from the digits to the per-round
# report (docs/federated.md):
#   examples/digits/run_sim.sh fedavg|gossip BUILD_DIR OUT_DIR [--seed S] [--split iid|non-iid]
#                               [--no-faults]
# prepares the data split, writes and compiles the graphs with bbc, runs the protocol's
# deployment with bbrun --sim (its log in OUT_DIR/run.log, metrics.json, trace.jsonl),
# then prints one line per round and writes OUT_DIR/result.json and accuracy.jsonl.
set -euo pipefail
protocol=$1 build=$2 out=$3
shift 3
seed="" split=iid faults=1
while [ $# -gt 0 ]; do
  case $1 in
    --seed) seed=$2; shift 2 ;;
    --split) split=$2; shift 2 ;;
    --no-faults) faults=0; shift ;;
    *) echo "run_sim.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
bbc="$build/tools/bbc/bbc"
bbrun="$build/tools/bbrun/bbrun"
[ -x "$bbc" ] || bbc="$build/tools/bbc"
[ -x "$bbrun" ] || bbrun="$build/tools/bbrun"
mkdir -p "$out"
"$py" "$root/examples/digits/prepare_data.py" "$out/data" --split "$split" > /dev/null
rows=$("$py" -c "import json,sys; print(json.load(open(sys.argv[1]))['clients'][0]['examples'])" "$out/data/split.json")
case $protocol in
  fedavg)
    dir=fedavg
    "$py" "$root/examples/fedavg/make_client.py" "$out/client.onnx" --rows "$rows"
    "$bbc" compile "$root/examples/fedavg/server.onnxtxt" -o "$out/server.bb"
    "$bbc" compile "$out/client.onnx" -o "$out/client.bb" ;;
  gossip)
    dir=gossip_learning
    "$py" "$root/examples/gossip_learning/make_graphs.py" "$out" --rows "$rows"
    for g in "$out"/node*.onnx; do "$bbc" compile "$g" -o "${g%.onnx}.bb"; done ;;
  *) echo "run_sim.sh: protocol is fedavg or gossip" >&2; exit 2 ;;
esac
deploy="$out/deploy.toml"
if [ "$faults" = 1 ]; then
  cp "$root/examples/$dir/deploy.toml" "$deploy"
else  # the same run on a perfect network: no loss, no fault
  sed -e '/^loss = /d' -e '/^\[\[fault\]\]/,$d' "$root/examples/$dir/deploy.toml" > "$deploy"
fi
args=(--sim "$deploy" --metrics "$out/metrics.json" --trace "$out/trace.jsonl")
[ -n "$seed" ] && args+=(--seed "$seed")
start=$(date +%s.%N)
"$bbrun" "${args[@]}" 2> "$out/run.log"
end=$(date +%s.%N)
real=$("$py" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$end")
virtual=$(sed -n 's/^== bbrun --sim .*: ran \([^ ]*\) (virtual time).*/\1/p' "$out/run.log")
"$py" "$root/examples/digits/report.py" "$protocol" "$out/metrics.json" "$out/trace.jsonl" \
  --accuracy-out "$out/accuracy.jsonl" --json "$out/result.json"
"$py" - "$out/result.json" "$virtual" "$real" "$(grep '^trace sha256' "$out/run.log" | cut -d' ' -f3)" <<'PY'
import json, sys
path, virtual, real, trace = sys.argv[1:]
r = json.load(open(path))
r.update({"virtual_time": virtual, "real_time_s": float(real), "trace_sha256": trace})
json.dump(r, open(path, "w"), indent=1)
PY
