#!/usr/bin/python3
"""Checks a `bbrun --sim` run of the demo deployment (examples/demo/) against the metrics
format of docs/runtime.md and against what the demo promises.

    check_demo_run.py METRICS.json TRACE.jsonl     exit 0 if it holds, 1 with the reason

The metrics: exactly the keys of Appendix A, nodes keyed by peer text form, `network`,
`trace_sha256` = SHA-256 of the trace bytes. The demo: alice's attempts towards bob end
`unreachable` (or `timeout`) while bob is down (2 s .. 8 s) and some are held by
cooldown, the cooldowns grow 10, 20, 40 ms ..., carol and dave never see `unreachable`,
and after the restart at 8 s alice's ticks reach bob again.
"""
import hashlib
import json
import sys

S = 1_000_000_000
MS = 1_000_000


def fail(why):
    print(why)
    sys.exit(1)


def check_metrics(m, trace_bytes):
    if set(m) != {"nodes", "network", "trace_sha256"}:
        fail("top-level keys: %s" % sorted(m))
    if set(m["nodes"]) != {"id:alice", "id:bob", "id:carol", "id:dave"}:
        fail("nodes: %s" % sorted(m["nodes"]))
    node_keys = {"executions", "dispatches", "skipped", "attempts", "gates", "receives", "counters", "peers"}
    for peer, n in m["nodes"].items():
        if set(n) != node_keys:
            fail("%s: keys %s" % (peer, sorted(n)))
        if set(n["attempts"]) != {"delivered", "unreachable", "timeout", "rejected", "advised"}:
            fail("%s: attempts keys %s" % (peer, sorted(n["attempts"])))
        for gate, counts in n["gates"].items():
            if "allowed" not in counts:
                fail("%s: gate %s without allowed" % (peer, gate))
        if "accepted" not in n["receives"]:
            fail("%s: receives without accepted" % peer)
        for p in n["peers"]:
            if set(p) != {"peer", "failures", "next_retry_ns", "down"}:
                fail("%s: peer entry %r" % (peer, p))
    if set(m["network"]) != {"sent", "delivered", "lost", "duplicated"}:
        fail("network keys: %s" % sorted(m["network"]))
    if m["trace_sha256"] != hashlib.sha256(trace_bytes).hexdigest():
        fail("trace_sha256 is not the SHA-256 of the trace")

    alice, net = m["nodes"]["id:alice"], m["network"]
    if sum(alice["attempts"].values()) != net["sent"]:
        fail("alice's attempts %r do not add up to the %d envelopes sent" % (alice["attempts"], net["sent"]))
    if alice["attempts"]["unreachable"] < 5:
        fail("alice saw %d unreachable attempts: bob's crash did not show" % alice["attempts"]["unreachable"])
    if alice["gates"]["BackoffGateTx"].get("cooldown", 0) == 0:
        fail("BackoffGateTx held nothing while bob was down")
    if alice["counters"]["ticks_sent"] != 120:
        fail("alice ticked %d times in 12 s, not 120" % alice["counters"]["ticks_sent"])
    for peer in ("id:carol", "id:dave"):
        got = m["nodes"][peer]["counters"]["ticks_received"]
        if got < 110:
            fail("%s received %d ticks: it should be unaffected by bob's crash" % (peer, got))
    bob = m["nodes"]["id:bob"]["counters"]["ticks_received"]
    if not 20 <= bob <= 80:
        fail("bob received %d ticks: expected those before 2 s and after 8 s" % bob)


def check_trace(lines):
    by_peer = {}  # (peer) -> [(t, outcome)] of alice's attempts
    denied_bob = []
    bob_receives = []
    for ev in lines:
        if ev["node"] == "id:alice" and ev["event"] == "outcome":
            by_peer.setdefault(ev["peer"], []).append((ev["t_ns"], ev["outcome"]))
        if ev["node"] == "id:alice" and ev["event"] == "deny" and ev.get("peer") == "id:bob":
            if ev["reason"] != "cooldown":
                fail("alice held a send to bob for %r" % ev["reason"])
            denied_bob.append(ev["t_ns"])
        if ev["node"] == "id:bob" and ev["event"] == "receive":
            bob_receives.append(ev["t_ns"])
    for peer in ("id:carol", "id:dave"):
        bad = [o for t, o in by_peer[peer] if o not in ("delivered", "timeout")]
        if bad:
            fail("%s: outcomes %s: should be unaffected by bob's crash" % (peer, sorted(set(bad))))
    in_crash = [(t, o) for t, o in by_peer["id:bob"] if 2 * S < t < 8 * S]
    if not in_crash or any(o not in ("unreachable", "timeout") for t, o in in_crash):
        fail("outcomes towards bob during the crash: %r" % in_crash)
    if not denied_bob or min(denied_bob) < 2 * S or max(denied_bob) > 9 * S:
        fail("sends to bob held at %r: expected holds during the crash window" % denied_bob[:5])
    after = [t for t, o in by_peer["id:bob"] if t > 8 * S and o == "delivered"]
    if not after or min(after) > 9 * S + 200 * MS:
        fail("traffic to bob did not resume after the restart at 8 s (first delivery %r)" % after[:1])
    if not any(t > 8 * S for t in bob_receives) or any(2 * S <= t < 8 * S for t in bob_receives):
        fail("bob received at %r" % [t for t in bob_receives if 2 * S <= t < 8 * S][:5])
    # The cooldowns grow (10, 20, 40 ms ... up to the 1 s cap): the retries spread out
    # from one per tick to one per second.
    fails = [t for t, o in by_peer["id:bob"] if o == "unreachable"]
    gaps = [b - a for a, b in zip(fails, fails[1:])]
    if len(fails) < 5 or gaps[0] > 150 * MS or gaps[-1] < 900 * MS:
        fail("failures towards bob at %r: the retries should spread out" % fails)


def main():
    with open(sys.argv[1]) as f:
        metrics = json.load(f)
    with open(sys.argv[2], "rb") as f:
        trace_bytes = f.read()
    check_metrics(metrics, trace_bytes)
    check_trace([json.loads(line) for line in trace_bytes.decode().splitlines()])


if __name__ == "__main__":
    main()
