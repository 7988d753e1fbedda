#!/usr/bin/python3
"""Checks a file written by `bbrun --trace-format chrome` against the Trace Event Format.

    check_chrome_trace.py TRACE.json [--expect-nodes N]    exit 0 if it holds, 1 with the reason

The file must parse with Python's json module as an object with a `traceEvents` list;
every event has name (string), ph, ts (number), pid and tid (integers); complete events
(ph X) have a non-negative dur; instant events (ph i) a scope s in t/p/g; metadata
events (ph M) are process_name / thread_name / *_sort_index with their args. Every pid
and (pid, tid) used by an event is named by metadata, and complete slices on one track
never overlap (they may only nest), so Perfetto draws every slice.
"""
import json
import sys


def fail(why):
    print(why)
    sys.exit(1)


def check(doc, expect_nodes):
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("not an object with a traceEvents list")
    events = doc["traceEvents"]
    if not events:
        fail("no events")
    processes, threads, slices = {}, {}, {}
    for n, e in enumerate(events):
        for key, kind in (("name", str), ("ph", str), ("ts", (int, float)), ("pid", int), ("tid", int)):
            if key not in e or not isinstance(e[key], kind) or isinstance(e[key], bool):
                fail("event %d: %s missing or not %s: %r" % (n, key, kind, e))
        ph = e["ph"]
        if ph == "X":
            if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                fail("event %d: complete event without a non-negative dur: %r" % (n, e))
            slices.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"], n))
        elif ph == "i":
            if e.get("s") not in ("t", "p", "g"):
                fail("event %d: instant event without scope: %r" % (n, e))
        elif ph == "M":
            args = e.get("args", {})
            if e["name"] == "process_name":
                processes[e["pid"]] = args.get("name")
            elif e["name"] == "thread_name":
                threads[(e["pid"], e["tid"])] = args.get("name")
            elif e["name"] in ("process_sort_index", "thread_sort_index"):
                if not isinstance(args.get("sort_index"), int):
                    fail("event %d: sort index without args.sort_index: %r" % (n, e))
            else:
                fail("event %d: unknown metadata %r" % (n, e["name"]))
        else:
            fail("event %d: unexpected phase %r" % (n, ph))
    for e in events:
        if e["ph"] == "M":
            continue
        if e["pid"] not in processes:
            fail("pid %d has no process_name" % e["pid"])
        if (e["pid"], e["tid"]) not in threads:
            fail("pid %d tid %d has no thread_name" % (e["pid"], e["tid"]))
    for track, spans in slices.items():
        spans.sort(key=lambda s: (s[0], -s[1]))
        open_ends = []
        for start, end, n in spans:
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            if open_ends and end > open_ends[-1]:
                fail("track %s: slice of event %d [%s, %s] overlaps an enclosing one ending at %s"
                     % (track, n, start, end, open_ends[-1]))
            open_ends.append(end)
    if expect_nodes is not None and len(processes) != expect_nodes:
        fail("%d processes, expected %d: %s" % (len(processes), expect_nodes, sorted(processes.values())))
    return len(events)


def main():
    args = sys.argv[1:]
    expect = None
    if "--expect-nodes" in args:
        i = args.index("--expect-nodes")
        expect = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        fail(__doc__)
    with open(args[0], "rb") as f:
        raw = f.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("not valid JSON: %s" % e)
    print("%d events" % check(doc, expect))


if __name__ == "__main__":
    main()
