#!/usr/bin/python3
"""One federated protocol end to end on the simulated network with faults
(examples/digits/run_sim.sh), run twice with the same seed:

  fedavg  the global model reaches >= 90 % test accuracy within 30 rounds while client3
          is down for 10 of them; no round waited for the crashed client past the
          Aggregate's timeout (close - first update <= 40 ms) and the rounds it missed
          closed without it; the accuracy rises from the initial 10 %.
  gossip  every live node ends at >= 85 %; node3, restarted from zeros, is back above
          80 % by the end.
  both    the same seed gives the same trace hash and bit-identical final weights
          (SHA-256 of the model state).

    /usr/bin/python3 tests/federated/check_protocol.py fedavg|gossip SOURCE_DIR BUILD_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

protocol, src, build, work = sys.argv[1:5]
FAILURES = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}")
    if not ok:
        FAILURES.append(what)


def run(out):
    script = os.path.join(src, "examples", "digits", "run_sim.sh")
    p = subprocess.run(["bash", script, protocol, build, out], capture_output=True, text=True, timeout=240)
    if p.returncode != 0:
        sys.exit(f"run_sim.sh failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    print(p.stdout)
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)


first = run(os.path.join(work, "run1"))
second = run(os.path.join(work, "run2"))
check("same seed, same trace hash", first["trace_sha256"] == second["trace_sha256"] and first["trace_sha256"],
      first["trace_sha256"])
check("same seed, bit-identical final weights", first["sha256"] == second["sha256"] and first["sha256"],
      json.dumps(first["sha256"]))
check("30 rounds", first["rounds"] == 30, str(first["rounds"]))

if protocol == "fedavg":
    curve = first["curve"]
    check("accuracy >= 90 % within 30 rounds", max(curve) >= 0.90 and first["final"] >= 0.90,
          f"final {first['final']:.3f}, best {max(curve):.3f}")
    check("accuracy rises from the initial model", curve[0] < 0.2 and curve[5] > curve[0] + 0.5,
          f"{curve[0]:.3f} -> {curve[5]:.3f}")
    check("no round waited past the timeout for a crashed client", not first["late"], str(first["late"]))
    with open(os.path.join(work, "run1", "metrics.json")) as f:
        metrics = json.load(f)
    # Rounds whose model went out while client3 was down (1.003 s to 2.003 s): 1.1 s … 2.0 s.
    down = [v for t, v in metrics["nodes"]["id:server"]["series"]["clients_heard"] if 1.1e9 <= t < 2.1e9]
    check("the 10 rounds client3 was down for closed without it", len(down) == 10 and max(down) <= 4, str(down))
    counters = metrics["nodes"]["id:server"]["counters"]
    timeouts = [v for k, v in counters.items() if k.endswith(".rounds_timeout")]
    check("some rounds closed at the timeout", timeouts and timeouts[0] >= 9, json.dumps(counters))
else:
    final = first["final_by_node"]
    check("every live node >= 85 %", len(final) == 5 and min(final.values()) >= 0.85, json.dumps(final))
    with open(os.path.join(work, "run1", "metrics.json")) as f:
        metrics = json.load(f)
    node3 = metrics["nodes"]["id:node3"]["series"]["accuracy"]
    before = [v for t, v in node3 if t < 1.003e9]
    after = [v for t, v in node3 if t >= 2.003e9]
    check("node3 was down for 10 rounds", len(before) == 11 and len(after) == 10, f"{len(before)} + {len(after)}")
    check("node3 restarted from zeros and caught up", after[0] < 0.8 and after[-1] >= 0.85,
          f"{after[0]:.3f} at its first round back, {after[-1]:.3f} at the end")

if FAILURES:
    sys.exit(f"{len(FAILURES)} check(s) failed")
print("all checks passed")
