#!/usr/bin/python3
"""Per-round report of a federated run of bbrun --sim (docs/federated.md).

    /usr/bin/python3 examples/digits/report.py fedavg|gossip METRICS.json TRACE.jsonl
        [--round-ms 100] [--timeout-ms 40] [--real-time S] [--accuracy-out FILE.jsonl]

Reads what the graphs recorded (the Record op's series in the metrics: `accuracy`, and
for FedAvg `clients_heard`) and what the engine traced (BackoffGateTx holding sends, the
Aggregate's updates), prints one line per round and a closing line, and writes the
accuracy records tools/bb-plot draws ({"node", "round", "accuracy", "t_ns"} per line).
"""
import argparse
import json
import sys

GATE = "BackoffGateTx"


def load(metrics_path, trace_path):
    with open(metrics_path) as f:
        metrics = json.load(f)
    trace = []
    with open(trace_path) as f:
        for line in f:
            trace.append(json.loads(line))
    return metrics, trace


def series(metrics, node, name):
    return metrics["nodes"][node].get("series", {}).get(name, [])


def window(t, round_ns):
    return t // round_ns


def held_per_round(trace, node, round_ns):
    """Sends a BackoffGateTx of `node` held (peers in cooldown), by round window."""
    out = {}
    for e in trace:
        if e["op_type"] == GATE and e["event"] == "deny" and (node is None or e["node"] == node):
            out.setdefault(window(e["t_ns"], round_ns), []).append(e.get("peer", "?"))
    return out


def fedavg_rounds(metrics, trace, round_ns, server="id:server"):
    """One dict per round r = 1..R: the model sent at (r-1)·T, the round's close, the
    accuracy evaluated at r·T."""
    acc = series(metrics, server, "accuracy")
    heard = series(metrics, server, "clients_heard")
    held = held_per_round(trace, server, round_ns)
    first_update = {}
    for e in trace:
        if e["node"] == server and e["op_type"] == "Aggregate" and e["event"] == "fire":
            first_update.setdefault(window(e["t_ns"], round_ns), e["t_ns"])
    rounds = []
    for r in range(1, len(acc)):
        w = r - 1
        closes = [(t, v) for t, v in heard if window(t, round_ns) == w]
        close_t, n = closes[0] if closes else (None, 0)
        rounds.append({"round": r, "t_ns": acc[r][0], "accuracy": acc[r][1], "heard": int(n),
                       "close_ns": close_t, "first_update_ns": first_update.get(w),
                       "held": sorted(held.get(w, []))})
    return acc[0][1] if acc else None, rounds


def gossip_rounds(metrics, trace, round_ns):
    nodes = sorted(metrics["nodes"])
    table = {}
    for n in nodes:
        for t, v in series(metrics, n, "accuracy"):
            table.setdefault(window(t, round_ns), {})[n] = v
    held = held_per_round(trace, None, round_ns)
    rounds = []
    for w in sorted(table):
        rounds.append({"round": w + 1, "t_ns": w * round_ns, "accuracy": table[w], "held": len(held.get(w, []))})
    return nodes, rounds


def states(metrics, node):
    return metrics["nodes"][node].get("states", {})


def pct(v):
    return f"{100 * v:5.1f} %"


def print_fedavg(metrics, trace, a):
    initial, rounds = fedavg_rounds(metrics, trace, a.round_ms * 1_000_000)
    print(f"  round   accuracy   clients heard   held back by {GATE}")
    print(f"      0    {pct(initial)}   (initial model)")
    late = []
    for r in rounds:
        held = ", ".join(p.replace("id:", "") for p in r["held"]) or "-"
        how = "" if r["heard"] in (0, 5) else "  (closed at the timeout)"
        if r["heard"] == 0:
            how = "  (no quorum: round dropped, model unchanged)"
        print(f"  {r['round']:5d}    {pct(r['accuracy'])}   {r['heard']:>8} of 5    {held}{how}")
        if r["close_ns"] is not None and r["first_update_ns"] is not None and \
                r["close_ns"] - r["first_update_ns"] > a.timeout_ms * 1_000_000:
            late.append(r["round"])
    final = rounds[-1] if rounds else {"accuracy": initial, "t_ns": 0}
    sha = states(metrics, "id:server").get("model", {}).get("sha256")
    return {"protocol": "fedavg", "final": final["accuracy"], "rounds": len(rounds), "late": late, "sha256": sha,
            "curve": [initial] + [r["accuracy"] for r in rounds]}


def print_gossip(metrics, trace, a):
    nodes, rounds = gossip_rounds(metrics, trace, a.round_ms * 1_000_000)
    names = [n.replace("id:", "") for n in nodes]
    print("  round   " + "  ".join(f"{n:>7}" for n in names) + "   held back by " + GATE)
    for r in rounds:
        cells = [pct(r["accuracy"][n]) if n in r["accuracy"] else "   down" for n in nodes]
        print(f"  {r['round']:5d}   " + "  ".join(f"{c:>7}" for c in cells) + f"   {r['held']:>6}")
    # Each live node's last evaluation (a restarted node's clock restarts with it).
    last = {}
    for n in nodes:
        points = series(metrics, n, "accuracy")
        if points and metrics["nodes"][n].get("states"):
            last[n] = points[-1][1]
    shas = {n: states(metrics, n).get("model", {}).get("sha256") for n in nodes}
    return {"protocol": "gossip", "final": min(last.values()) if last else None, "final_by_node": last,
            "rounds": len(rounds), "sha256": shas, "late": []}


def accuracy_records(metrics, path):
    with open(path, "w") as f:
        for node in sorted(metrics["nodes"]):
            for k, (t, v) in enumerate(series(metrics, node, "accuracy")):
                f.write(json.dumps({"node": node, "round": k, "accuracy": v, "t_ns": t}) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description="Per-round report of a federated bbrun --sim run.")
    ap.add_argument("protocol", choices=["fedavg", "gossip"])
    ap.add_argument("metrics")
    ap.add_argument("trace")
    ap.add_argument("--round-ms", type=int, default=100)
    ap.add_argument("--timeout-ms", type=int, default=40)
    ap.add_argument("--real-time", type=float)
    ap.add_argument("--virtual-time")
    ap.add_argument("--accuracy-out")
    ap.add_argument("--json", help="write the figures as JSON here")
    a = ap.parse_args(argv)
    metrics, trace = load(a.metrics, a.trace)
    result = (print_fedavg if a.protocol == "fedavg" else print_gossip)(metrics, trace, a)
    if a.accuracy_out:
        accuracy_records(metrics, a.accuracy_out)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
