#!/usr/bin/python3
"""Protocol 1 across processes (examples/fedavg/run_net.py): the coordinator and five
clients as separate bbrun processes on 127.0.0.1 over gRPC with mutual TLS, for a few
real-time rounds, then the same deployment in the simulator for the same rounds.

  - the script exits 0 within its bounds and every process it started is gone;
  - the accuracy rises from the initial model's;
  - after the last round it is within 2 points of the simulator's.

    /usr/bin/python3 tests/federated/check_net.py SOURCE_DIR BUILD_DIR WORK_DIR [ROUNDS] [--round-ms MS]

A round is MS of real time (run_net.py's default when not given). An update that comes
back after its round closed counts in the next one, as the coordinator's Aggregate
defines rounds; a build whose bbrun is several times slower (the sanitizers') gives the
rounds more time, so that its updates arrive in the round they were made for.
"""
import json
import os
import shutil
import subprocess
import sys

args = sys.argv[1:]
round_ms = []
if "--round-ms" in args:
    at = args.index("--round-ms")
    round_ms = ["--round-ms", args[at + 1]]
    del args[at:at + 2]
src, build, work = args[:3]
rounds = int(args[3]) if len(args) > 3 else 8
FAILURES = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}")
    if not ok:
        FAILURES.append(what)


shutil.rmtree(work, ignore_errors=True)
script = os.path.join(src, "examples", "fedavg", "run_net.py")
p = subprocess.run(["/usr/bin/python3", script, build, work, "--rounds", str(rounds), "--compare-sim"] + round_ms,
                   capture_output=True, text=True, timeout=50)
print(p.stdout)
if p.returncode != 0:
    sys.exit(f"run_net.py failed ({p.returncode}):\n{p.stderr}")
with open(os.path.join(work, "result.json")) as f:
    r = json.load(f)
curve, sim = r["curve"], r["sim_curve"]
check(f"{rounds} rounds across processes", len(curve) == rounds + 1, str(len(curve)))
check("the accuracy rises from the initial model", curve[0] < 0.2 and curve[-1] > curve[0] + 0.5,
      f"{curve[0]:.3f} -> {curve[-1]:.3f}")
check(f"within 2 points of the simulator after {rounds} rounds", abs(curve[-1] - sim[-1]) <= 0.02,
      f"{curve[-1]:.4f} across processes, {sim[-1]:.4f} simulated")
check("over TLS", r["security"] == "tls")
# No bbrun of this run is left behind.
left = subprocess.run(["pgrep", "-f", os.path.join(work, "deploy.toml")], capture_output=True, text=True).stdout
check("every process stopped", not left.strip(), left)
if FAILURES:
    sys.exit(f"{len(FAILURES)} check(s) failed")
print("all checks passed")
