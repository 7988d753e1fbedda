#!/usr/bin/env bash
# The main job behind `make run`: compile every example graph with bbc, show what the
# compiler inserted, then compile the demo's graphs and run its simulated deployment
# with bbrun (the feedback loop is logged as it happens; the summary follows), and draw
# it: the demo graph (Graphviz), the run's Chrome trace (for Perfetto) and its plots.
set -euo pipefail
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
bbc="$build/tools/bbc"
bbrun="$build/tools/bbrun"
out="$build/examples"
mkdir -p "$out"

shopt -s nullglob
for src in "$root"/examples/*.onnxtxt; do
  dst="$out/$(basename "${src%.onnxtxt}").bb"
  echo "== bbc compile examples/$(basename "$src") -o ${dst#$root/}"
  "$bbc" compile "$src" -o "$dst"
done
for script in "$root"/examples/*.py; do
  onnx="$out/$(basename "${script%.py}").onnx"
  /usr/bin/python3 "$script" "$onnx"
  echo "== bbc compile ${onnx#$root/}"
  "$bbc" compile "$onnx" -o "${onnx%.onnx}.bb"
done

if [ -f "$out/ping_pong.bb" ]; then
  echo "== bbc inspect ping_pong.bb"
  "$bbc" inspect "$out/ping_pong.bb"
fi
# The demo deployment: alice ticks to bob, carol and dave every 100 ms of virtual time;
# bob crashes at 2 s and restarts at 8 s (examples/demo/deploy.toml).
demo="$out/demo"
mkdir -p "$demo"
for graph in alice receiver; do
  echo "== bbc compile examples/demo/$graph.onnxtxt -o ${demo#$root/}/$graph.bb"
  "$bbc" compile "$root/examples/demo/$graph.onnxtxt" -o "$demo/$graph.bb"
done
cp "$root/examples/demo/deploy.toml" "$demo/"
echo "== bbrun --sim ${demo#$root/}/deploy.toml --metrics ${demo#$root/}/metrics.json --trace ${demo#$root/}/trace.jsonl"
"$bbrun" --sim "$demo/deploy.toml" --metrics "$demo/metrics.json" --trace "$demo/trace.jsonl"

# Federated averaging: the feeder's first model goes to three clients
# (federated_client.py), whose updates the server (aggregation_round.onnxtxt) averages
# into the next model, round after round (examples/federated/deploy.toml).
federated="$out/federated"
mkdir -p "$federated"
cp "$out/aggregation_round.bb" "$out/federated_client.bb" "$federated/"
echo "== bbc compile examples/federated/feeder.onnxtxt -o ${federated#$root/}/feeder.bb"
"$bbc" compile "$root/examples/federated/feeder.onnxtxt" -o "$federated/feeder.bb"
cp "$root/examples/federated/deploy.toml" "$federated/"
echo "== bbrun --sim ${federated#$root/}/deploy.toml --metrics ${federated#$root/}/metrics.json"
"$bbrun" --sim "$federated/deploy.toml" --metrics "$federated/metrics.json"
# The pictures (docs/observability.md): the same run (same seed, same trace fingerprint)
# with its trace in the Chrome format, plotted by tools/bb-plot; the sender's graph
# drawn by Graphviz from `bbc inspect --format dot`.
rel=${demo#$root/}
echo "== bbrun --sim $rel/deploy.toml --trace $rel/trace.chrome.json --trace-format chrome (open it in https://ui.perfetto.dev)"
"$bbrun" --sim "$demo/deploy.toml" --trace "$demo/trace.chrome.json" --trace-format chrome --log-level warn \
  2>"$demo/chrome-run.log"
echo "== tools/bb-plot --metrics $rel/metrics.json --trace $rel/trace.chrome.json --out $rel/plots"
/usr/bin/python3 "$root/tools/bb-plot" --metrics "$demo/metrics.json" --trace "$demo/trace.chrome.json" \
  --out "$demo/plots"
if command -v dot >/dev/null; then
  echo "== bbc inspect --format dot $rel/alice.bb | dot -Tpng -o $rel/plots/alice.png"
  "$bbc" inspect --format dot "$demo/alice.bb" | dot -Tpng -o "$demo/plots/alice.png"
  echo "$demo/plots/alice.png"
fi
# Federated learning on the handwritten digits (docs/federated.md), both protocols on
# the simulated network with faults (5 % loss, a client crashed for 10 of the 30 rounds,
# one partition): protocol 1, federated averaging with a coordinator; protocol 2, gossip
# learning without one. Each prints its rounds; one closing line per protocol follows.
echo
echo "== federated averaging (examples/fedavg): coordinator id:server, 5 clients, 30 rounds of 100 ms"
echo "   faults: 5 % loss; client3 down from 1.003 s to 2.003 s; client5 partitioned 2.25-2.55 s"
"$root/examples/digits/run_sim.sh" fedavg "$build" "$out/fedavg"
echo
echo "== gossip learning (examples/gossip_learning): 5 peers, no coordinator, 2 peers per round"
echo "   faults: 5 % loss; node3 down from 1.003 s to 2.003 s (restarts from zeros); node5 partitioned 2.25-2.55 s"
"$root/examples/digits/run_sim.sh" gossip "$build" "$out/gossip"
for protocol in fedavg gossip; do
  echo "== tools/bb-plot --metrics ${out#$root/}/$protocol/metrics.json --trace ${out#$root/}/$protocol/trace.jsonl --accuracy ${out#$root/}/$protocol/accuracy.jsonl --out ${out#$root/}/$protocol/plots"
  /usr/bin/python3 "$root/tools/bb-plot" --metrics "$out/$protocol/metrics.json" --trace "$out/$protocol/trace.jsonl" \
    --accuracy "$out/$protocol/accuracy.jsonl" --out "$out/$protocol/plots"
done
echo
/usr/bin/python3 - "$out/fedavg/result.json" "$out/gossip/result.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    r = json.load(open(path))
    name = {"fedavg": "federated averaging", "gossip": "gossip learning"}[r["protocol"]]
    what = "test accuracy" if r["protocol"] == "fedavg" else "lowest test accuracy of a live node"
    sha = r["sha256"] if isinstance(r["sha256"], str) else r["sha256"]["id:node1"]
    who = "global model" if r["protocol"] == "fedavg" else "node1's model"
    print(f"== {name}: final {what} {100 * r['final']:.1f} %, {r['rounds']} rounds, "
          f"{r['virtual_time']} virtual, {r['real_time_s']:.2f} s real; {who} sha256 {sha[:16]}…")
PY
