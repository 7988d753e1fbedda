#!/usr/bin/env bash
# The main job behind `make run`: compile every example graph with bbc, show what the
# compiler inserted, then run the simulated deployment of the demo with bbrun.
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
if [ -x "$bbrun" ] && [ -f "$root/examples/demo/deploy.toml" ]; then
  echo "== bbrun --sim examples/demo/deploy.toml"
  "$bbrun" --sim "$root/examples/demo/deploy.toml"
fi
