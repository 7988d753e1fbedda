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
