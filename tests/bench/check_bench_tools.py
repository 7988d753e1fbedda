#!/usr/bin/python3
"""Checks the benchmark tools themselves: a benchmark is only as good as its inputs.

    check_bench_tools.py CHECK SOURCE_DIR WORK_DIR [BBC]

CHECK is one of:
  gen-determinism  the same seed gives the same bytes; another seed other bytes
  gen-mix          exact node count and the asked share of Sends and Recvs, static and
                   dynamic Sends, named and unnamed ones
  gen-compiles     a generated graph compiles with bbc and lints without errors
  table            bench/table.py merges suites' rows and host lines, and refuses a
                   missing report
  host-probe       bb_host_probe (its path instead of BBC) prints four positive figures
Exit 0 when the check holds, 1 with the reason otherwise.
"""
import json
import os
import re
import subprocess
import sys

import onnx

PYTHON = "/usr/bin/python3"  # has python3-onnx; the python3 on PATH may not
WIRE = "ai.bytesandbrains.wire"


def fail(why):
    print(why)
    sys.exit(1)


def generate(source, out, nodes, seed, *extra):
    subprocess.run([PYTHON, os.path.join(source, "bench", "gen_graph.py"), out, "--nodes", str(nodes),
                    "--seed", str(seed), *extra], check=True)
    with open(out, "rb") as handle:
        return handle.read()


def check_determinism(source, work):
    first = generate(source, os.path.join(work, "a.onnx"), 3000, 7)
    second = generate(source, os.path.join(work, "b.onnx"), 3000, 7)
    other = generate(source, os.path.join(work, "c.onnx"), 3000, 8)
    if first != second:
        fail("seed 7 twice gave different bytes")
    if first == other:
        fail("seeds 7 and 8 gave the same bytes: the seed is ignored")


def check_mix(source, work):
    nodes = 10000
    path = os.path.join(work, "mix.onnx")
    generate(source, path, nodes, 1, "--send-ratio", "0.2", "--recv-ratio", "0.1")
    graph = onnx.load(path).graph
    if len(graph.node) != nodes:
        fail(f"{len(graph.node)} nodes, asked for {nodes}")
    sends = [n for n in graph.node if n.domain == WIRE and n.op_type == "Send"]
    recvs = [n for n in graph.node if n.domain == WIRE and n.op_type == "Recv"]
    if len(sends) != 2000 or len(recvs) != 1000:
        fail(f"{len(sends)} Sends and {len(recvs)} Recvs, asked for 2000 and 1000")
    static = [n for n in sends if any(a.name == "peer" for a in n.attribute)]
    if not static or len(static) == len(sends):
        fail(f"{len(static)} of {len(sends)} Sends are static: want both static and dynamic ones")
    unnamed = [n for n in sends if not n.name]
    if not unnamed or len(unnamed) == len(sends):
        fail(f"{len(unnamed)} of {len(sends)} Sends are unnamed: want both")
    produced = {"x"} | {o for n in graph.node for o in n.output}
    seen = {"x"}
    for index, node in enumerate(graph.node):
        for value in node.input:
            if value not in produced:
                fail(f"node {index} reads {value!r}, which nothing produces")
            if value not in seen:
                fail(f"node {index} reads {value!r} before it is produced: not topological")
        seen.update(node.output)


def check_compiles(source, work, bbc):
    graph = os.path.join(work, "compile.onnx")
    out = os.path.join(work, "compile.bb")
    generate(source, graph, 5000, 2)
    result = subprocess.run([bbc, "compile", graph, "-o", out], capture_output=True, text=True)
    if result.returncode != 0 or not os.path.exists(out):
        fail(f"bbc compile exited {result.returncode}: {result.stderr}")
    result = subprocess.run([bbc, "lint", "--format", "json", graph], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"bbc lint exited {result.returncode}: {result.stdout}{result.stderr}")
    summary = json.loads(result.stdout)["summary"]
    if summary["errors"] or summary["warnings"]:
        fail(f"the generated graph has findings: {summary}")


def check_table(source, work):
    table = os.path.join(source, "bench", "table.py")
    rows = lambda suite, ok: {"suite": suite, "rows": [
        {"what": f"{suite} row", "measured": "1 s", "floor": "2 s", "ratio": "0.5×", "target": "≤ 1×", "pass": ok}]}
    paths = []
    for suite, ok in (("one", True), ("two", False)):
        paths.append(os.path.join(work, f"{suite}.json"))
        report = rows(suite, ok)
        if suite == "one":
            report["host"] = ["before: first touch 6 ms", "after: first touch 9 ms"]
        with open(paths[-1], "w", encoding="utf-8") as handle:
            json.dump(report, handle)
    result = subprocess.run([PYTHON, table, *paths], capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"table.py exited {result.returncode}: {result.stderr}")
    lines = result.stdout.splitlines()
    for expected in ("| one | one row | 1 s | 2 s | 0.5× | ≤ 1× | pass |",
                     "| two | two row | 1 s | 2 s | 0.5× | ≤ 1× | FAIL |", "1 of 2 targets held.",
                     "Host (one suite), before: first touch 6 ms.",
                     "Host (one suite), after: first touch 9 ms."):
        if expected not in lines:
            fail(f"missing line {expected!r} in:\n{result.stdout}")
    result = subprocess.run([PYTHON, table, paths[0], os.path.join(work, "absent.json")],
                            capture_output=True, text=True)
    if result.returncode != 2 or "absent.json" not in result.stderr:
        fail(f"a missing report must exit 2 naming the file; got {result.returncode}: {result.stderr}")


def check_host_probe(probe):
    result = subprocess.run([probe], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        fail(f"bb_host_probe exited {result.returncode}: {result.stderr}")
    figures = re.findall(r"(\d+(?:\.\d+)?) (?:ms|ns)", result.stdout)
    if len(figures) != 4 or not all(float(f) > 0 for f in figures):
        fail(f"want four positive figures (ms, ms, ns, ns), got: {result.stdout!r}")
    result = subprocess.run([probe, "extra"], capture_output=True, text=True, timeout=60)
    if result.returncode != 2 or "usage" not in result.stderr:
        fail(f"an argument must exit 2 with the usage; got {result.returncode}: {result.stderr!r}")


def main():
    if len(sys.argv) < 4:
        fail(__doc__)
    check, source, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    if check == "gen-determinism":
        check_determinism(source, work)
    elif check == "gen-mix":
        check_mix(source, work)
    elif check == "gen-compiles":
        check_compiles(source, work, sys.argv[4])
    elif check == "table":
        check_table(source, work)
    elif check == "host-probe":
        check_host_probe(sys.argv[4])
    else:
        fail(f"unknown check {check!r}")


if __name__ == "__main__":
    main()
