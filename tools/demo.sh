#!/usr/bin/env bash
# The main job behind `make run`: compile every example graph with bbc, show what the
# compiler inserted, then compile the demo's graphs and run its simulated deployment
# with bbrun (the feedback loop is logged as it happens; the summary follows).
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
