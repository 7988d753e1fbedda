#!/usr/bin/python3
"""Merges the suites' result files into the one table of the targets of docs/performance.md.

    bench/table.py RESULTS.json...

Each suite (bench/compile_bench.sh, bench/runtime_bench.sh) writes, when BENCH_JSON
names a file, {"suite": NAME, "rows": [{"what", "measured", "floor", "ratio",
"target", "pass"}]}, and may say in "host" what memory and a CPU step cost on the
machine during the suite (bench/host_probe.cc). This prints the machine the run used,
those lines, and every row as one Markdown table, in the order of the files given, then
how many targets held. A missing or malformed file is an error (exit 2): a suite that
did not report must not look like one that passed.
"""
import json
import os
import platform
import sys

COLUMNS = ("what", "measured", "floor", "ratio", "target", "pass")


def fail(message):
    print(f"table.py: {message}", file=sys.stderr)
    sys.exit(2)


def load_rows(path):
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as error:
        fail(f"{path}: cannot read the suite's results: {error}")
    rows = report.get("rows") if isinstance(report, dict) else None
    if not isinstance(rows, list) or not rows:
        fail(f"{path}: no \"rows\" list: did the suite finish?")
    for index, row in enumerate(rows):
        missing = [column for column in COLUMNS if column not in row]
        if missing:
            fail(f"{path}: row {index} lacks {', '.join(missing)}")
    host = report.get("host", []) if isinstance(report, dict) else []
    if not isinstance(host, list) or not all(isinstance(line, str) for line in host):
        fail(f"{path}: \"host\" is not a list of lines")
    return report.get("suite", os.path.basename(path)), rows, host


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line():
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    return (f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} "
            f"{platform.release()}, load average {load} (1/5/15 min) at the end of the run.")


def cell(value):
    return str(value).replace("|", "\\|")


def main(paths):
    if not paths:
        fail("usage: bench/table.py RESULTS.json...")
    suites = [load_rows(path) for path in paths]
    print()
    print("Targets (docs/performance.md), measured side by side in this run")
    print()
    print(machine_line())
    for suite, _, host in suites:
        for line in host:
            print(f"Host ({suite} suite), {line}.")
    print()
    print("| suite | " + " | ".join(COLUMNS[:-1]) + " | result |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    held = total = 0
    for suite, rows, _ in suites:
        for row in rows:
            total += 1
            held += bool(row["pass"])
            verdict = "pass" if row["pass"] else "FAIL"
            print("| " + " | ".join(cell(v) for v in [suite] + [row[c] for c in COLUMNS[:-1]]) + f" | {verdict} |")
    print()
    print(f"{held} of {total} targets held.")


if __name__ == "__main__":
    main(sys.argv[1:])
