#!/usr/bin/env bash
# The network rows of `make bench` (docs/performance.md, docs/wire.md): gated Send → Recv
# between two bbrun processes on 127.0.0.1, beside a bare gRPC stream of the same service
# carrying envelopes of the same size, in the same run: once in plaintext (--insecure,
# id: names), once with mutual TLS (keys from `bbrun keygen`, the bare stream on the
# same credentials).
#
#   bench/net_bench.sh [BUILD_DIR]     e.g. bench/net_bench.sh build/release
#
# bbrun: a sender whose Interval fires every 8 µs (COUNT times, default 20000) into a
# gated Send to a receiver (examples/demo/receiver.onnxtxt); throughput is the sender's
# delivered attempts over the time from its first attempt to its last outcome (its
# trace), latency the time from an attempt to its outcome (the receiver's ack). The
# sender offers 125 k msgs/s, more than the bare stream carries on this machine, so the
# ratio measures the link, not the offer; what the link cannot carry waits in the
# sender's queue (the latency includes it), and an overloaded receiver may answer
# `advised`. Its bound on sends in flight is raised to COUNT: the row measures the link,
# not the backpressure (at the default 1,024 the surplus ends `too_many_in_flight` and
# the cooldown holds it).
# Bare: bb_net_bench streams COUNT frames, at most 1024 unacknowledged, to a server
# that acks each one. With BENCH_JSON=FILE it writes {"suite": "net", "rows": [...]}.
set -euo pipefail
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
count=${COUNT:-20000}
for tool in "$build/tools/bbc" "$build/tools/bbrun" "$build/bench/bb_net_bench"; do
  [ -x "$tool" ] || { echo "net_bench.sh: $tool is missing: build first (make bench does)" >&2; exit 2; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One pair of bbrun processes, then the bare stream, in MODE (insecure | tls), in $work/MODE.
run_pair() {
  local mode=$1 dir="$work/$1" bob=id:bob alice=id:alice
  local -a bob_sec=(--insecure) alice_sec=(--insecure) bare_serve=() bare_send=()
  mkdir -p "$dir"
  if [ "$mode" = tls ]; then
    bob=$("$build/tools/bbrun" keygen "$dir/bob.pem")
    alice=$("$build/tools/bbrun" keygen "$dir/alice.pem")
    bob_sec=(--key "$dir/bob.pem")
    alice_sec=(--key "$dir/alice.pem")
    bare_serve=("$dir/bob.pem")
    bare_send=("$dir/alice.pem" "$bob")
  fi
  cat >"$dir/sender.onnxtxt" <<GRAPH
<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
sender () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 8000, count = $count>()
  = ai.bytesandbrains.wire.Send<peer = "$bob", channel = "tick">(tick)
}
GRAPH
  "$build/tools/bbc" compile "$dir/sender.onnxtxt" -o "$dir/sender.bb" 2>/dev/null
  "$build/tools/bbc" compile "$root/examples/demo/receiver.onnxtxt" -o "$dir/receiver.bb" 2>/dev/null

  local bob_port alice_port bare_port bytes
  bob_port=$(free_port)
  alice_port=$(free_port)
  printf '[[peer]]\nid = "%s"\naddress = "127.0.0.1:%s"\n' "$bob" "$bob_port" >"$dir/peers.toml"
  "$build/tools/bbrun" "$dir/receiver.bb" --peer "$bob" --listen "127.0.0.1:$bob_port" "${bob_sec[@]}" \
    --executions "$count" --duration 120s --log-level warn 2>"$dir/bob.err" &
  pids+=($!)
  disown
  sleep 0.5
  "$build/tools/bbrun" "$dir/sender.bb" --peer "$alice" --listen "127.0.0.1:$alice_port" --peers "$dir/peers.toml" \
    "${alice_sec[@]}" --executions "$count" --duration 120s --send-timeout 30s --send-max-in-flight "$count" --log-level warn \
    --metrics "$dir/alice.json" --trace "$dir/alice.jsonl" 2>"$dir/alice.err" ||
    { echo "net_bench.sh: the sender ($mode) failed" >&2; cat "$dir/alice.err" >&2; exit 1; }

  bare_port=$(free_port)
  "$build/bench/bb_net_bench" --serve "$bare_port" "${bare_serve[@]}" &
  pids+=($!)
  disown
  sleep 0.5
  bytes=$("$python" -c 'import json,sys; n=json.load(open(sys.argv[1]))["nodes"]; l=next(iter(n.values()))["links"][0]; print(max(1, l["bytes_sent"] // max(1, l["outcomes"]["delivered"])))' "$dir/alice.json")
  "$build/bench/bb_net_bench" --send "127.0.0.1:$bare_port" "$count" 1024 "$bytes" "${bare_send[@]}" >"$dir/bare.json"
}

run_pair insecure
run_pair tls

"$python" - "$work" "$count" "${BENCH_JSON:-}" <<'PY'
import json
import sys

work, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def row(mode, label):
    attempts, outcomes, kinds = {}, {}, {}
    delivered = 0
    with open(f"{work}/{mode}/alice.jsonl", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("event") == "attempt":
                attempts[r["exec"]] = r["t_ns"]
            elif r.get("event") == "outcome":
                outcomes[r["exec"]] = r["t_ns"]
                delivered += r.get("outcome") == "delivered"
                kinds[r.get("outcome")] = kinds.get(r.get("outcome"), 0) + 1
    lat = sorted((outcomes[e] - attempts[e]) / 1e3 for e in outcomes if e in attempts)
    span = (max(outcomes.values()) - min(attempts.values())) / 1e9
    rate = delivered / span
    p50, p99 = lat[len(lat) // 2], lat[int(0.99 * (len(lat) - 1))]
    with open(f"{work}/{mode}/bare.json", encoding="utf-8") as f:
        bare = json.load(f)
    ratio = rate / bare["msgs_per_s"]
    return {"what": f"gated Send → Recv, two bbrun processes, 127.0.0.1 ({label}), {count:,} msgs",
            "measured": f"{rate / 1e3:.1f} k msgs/s, p50 {p50:.0f} µs, p99 {p99:.0f} µs (" +
                        ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items())) + ")",
            "floor": f"{bare['msgs_per_s'] / 1e3:.1f} k msgs/s bare gRPC stream, {label} "
                     f"(p50 {bare['p50_us']:.0f} µs, p99 {bare['p99_us']:.0f} µs)",
            "ratio": f"{ratio:.2f}×", "target": "≥ 0.7×", "pass": ratio >= 0.7 and delivered >= 0.99 * count}


rows = [row("insecure", "plaintext gRPC"), row("tls", "mutual TLS")]
print("Network target, measured in this run (real time, both ends on this machine):")
print()
print("| what | measured | floor (same run) | ratio | target | result |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r['what']} | {r['measured']} | {r['floor']} | {r['ratio']} | {r['target']} | {'pass' if r['pass'] else 'FAIL'} |")
if out:
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"suite": "net", "rows": rows}, f, ensure_ascii=False, indent=1)
        f.write("\n")
PY
