#!/usr/bin/python3
"""Scrapes a live `bbrun --metrics-listen` twice and checks what it serves.

    check_metrics_endpoint.py BBRUN GRAPH.bb     exit 0 if it holds, 1 with the reason

Starts BBRUN GRAPH.bb (a real-time run whose Sends fail: no transport) on a free port of
127.0.0.1, waits (bounded) until /metrics answers, scrapes it twice 0.8 s apart, parses
both with prometheus_client's parser, and checks: the bb_ families follow the naming
conventions (counters end in _total), executions, attempts and gate decisions grew
between the scrapes, the labels are the documented ones. Then stops the run with SIGTERM
(killing it if it does not exit in time).
"""
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

LABELS = {
    "bb_executions_total": {"node"},
    "bb_dispatches_total": {"node"},
    "bb_skipped_total": {"node"},
    "bb_attempts_total": {"node", "peer", "outcome"},
    "bb_sends_held_total": {"node", "peer", "reason"},
    "bb_gate_decisions_total": {"node", "gate", "outcome", "reason"},
    "bb_receives_total": {"node", "outcome", "reason"},
    "bb_peer_backoff_failures": {"node", "peer"},
    "bb_peer_backoff_remaining_seconds": {"node", "peer"},
    "bb_peer_up": {"node", "peer"},
    "bb_peers_down": {"node"},
    "bb_frames_alive": {"node"},
    "bb_attempts_in_flight": {"node"},
    "bb_graph_counter": {"node", "name"},
}


def fail(why):
    print(why)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        if r.status != 200:
            fail("%s: HTTP %d" % (url, r.status))
        return r.read().decode("utf-8")


def samples(text):
    out = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("bb_"):
            continue
        for s in family.samples:
            if family.type == "counter" and s.name.endswith("_created"):
                continue
            out[(s.name, tuple(sorted(s.labels.items())))] = (family.type, s.value)
    return out


def total(metrics, metric, labels=None):
    labels = labels or {}
    return sum(v for (n, l), (_, v) in metrics.items()
               if n == metric and all(dict(l).get(k) == x for k, x in labels.items()))


def start(bbrun, graph):
    for _ in range(3):  # another process may take the port between the probe and the bind
        port = free_port()
        proc = subprocess.Popen([bbrun, graph, "--peer", "id:alice", "--duration", "60s", "--metrics-listen",
                                 "127.0.0.1:%d" % port], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        url = "http://127.0.0.1:%d/metrics" % port
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if "bb_executions_total" in scrape(url):
                    return proc, url
            except OSError:
                pass
            time.sleep(0.05)
        stop(proc)
    fail("bbrun never served %s" % url)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    proc, url = start(sys.argv[1], sys.argv[2])
    try:
        first = samples(scrape(url))
        time.sleep(0.8)
        second = samples(scrape(url))
    finally:
        code = stop(proc)
    if code != 128 + signal.SIGTERM:
        fail("bbrun exit code %s after SIGTERM, expected %d: %s" % (code, 128 + signal.SIGTERM, proc.stderr.read()))
    for (name, labels), (kind, _) in second.items():
        if kind == "counter" and not name.endswith("_total"):
            fail("counter %s does not end in _total" % name)
        base = name if name in LABELS else None
        if base is None and not name.startswith("bb_transport_"):
            fail("undocumented metric %s" % name)
        if base is not None and {k for k, _ in labels} != LABELS[base]:
            fail("%s has labels %s, expected %s" % (name, sorted(k for k, _ in labels), sorted(LABELS[base])))
    for name, labels in (("bb_executions_total", {}), ("bb_gate_decisions_total", {}),
                         ("bb_attempts_total", {"outcome": "unreachable"}), ("bb_graph_counter", {"name": "ticks_sent"})):
        a, b = total(first, name, labels), total(second, name, labels)
        if not b > a:
            fail("%s%s did not grow between the scrapes: %s then %s" % (name, labels, a, b))
    for key, (_, value) in second.items():
        if key[0] == "bb_peer_up" and value not in (0, 1):
            fail("bb_peer_up %s = %s" % (key, value))
    print("ok: %d bb_ series, executions %d -> %d" % (len(second), total(first, "bb_executions_total"),
                                                       total(second, "bb_executions_total")))


if __name__ == "__main__":
    main()
