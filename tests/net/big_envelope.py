#!/usr/bin/python3
"""A 256 MiB tensor from one bbrun process to another over gRPC with mutual TLS, the
envelope limit raised on both (docs/wire.md, Limits), and the peak memory of both.

    /usr/bin/python3 tests/net/big_envelope.py BUILD_DIR WORK_DIR [MIB]

The sender's graph makes a float tensor of MIB MiB (ConstantOfShape, default 256) once and
sends it; the receiver's Recv checks it through the kernels (its element count and mean,
recorded as series). Both run with --max-envelope-bytes = the tensor plus 1 MiB; without
the raised limit the same send is refused before it leaves (`rejected(oversized)`).
Prints one JSON line: {"mib", "seconds", "sender_peak_mib", "receiver_peak_mib"} (peak
RSS, VmHWM, from wait4's ru_maxrss). Every wait is bounded; both children are killed on
any exit.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

build, work = sys.argv[1], os.path.abspath(sys.argv[2])
mib = int(sys.argv[3]) if len(sys.argv) > 3 else 256
bbc = os.path.join(build, "tools", "bbc")
bbrun = os.path.join(build, "tools", "bbrun")
os.makedirs(work, exist_ok=True)
FAILURES = []


def check(what, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        FAILURES.append(what)


def slurp(path):
    with open(path, errors="replace") as f:
        return f.read()


def keygen(name):
    return subprocess.run([bbrun, "keygen", "--force", os.path.join(work, name + ".pem")], capture_output=True,
                          text=True, check=True, timeout=30).stdout.strip()


def compile_graph(name, text):
    with open(os.path.join(work, name + ".onnxtxt"), "w") as f:
        f.write(text)
    subprocess.run([bbc, "compile", os.path.join(work, name + ".onnxtxt"), "-o", os.path.join(work, name + ".bb")],
                   check=True, capture_output=True, timeout=60)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


elements = mib * (1 << 20) // 4
limit = mib * (1 << 20) + (1 << 20)
alice, bob = keygen("alice"), keygen("bob")
HEADER = ('<ir_version: 8, opset_import: ["" : 13, "ai.bytesandbrains.syscall" : 1, '
          '"ai.bytesandbrains.wire" : 1]>\n')
compile_graph("big_sender", HEADER + f"""big_sender (int64[1] shape = {{{elements}}}) => () {{
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 1000000, count = 1>()
  big = ConstantOfShape<value = float[1] {{0.5}}>(shape)
  sent = ai.bytesandbrains.wire.Send<peer = "{bob}", channel = "big", deadline_ns = 60000000000>(tick, big)
  = ai.bytesandbrains.syscall.IncrMetric<name = "delivered">(sent)
}}
""")
compile_graph("big_receiver", HEADER + """big_receiver () => () {
  tick, big, sender = ai.bytesandbrains.wire.Recv<channel = "big">()
  n = Size(big)
  n_f = Cast<to = 1>(n)
  = ai.bytesandbrains.syscall.Record<name = "elements">(n_f)
  mean = ReduceMean<keepdims = 0>(big)
  = ai.bytesandbrains.syscall.Record<name = "mean">(mean)
}
""")
bob_port, alice_port = free_port(), free_port()
with open(os.path.join(work, "peers.toml"), "w") as f:
    f.write(f'[[peer]]\nid = "{bob}"\naddress = "127.0.0.1:{bob_port}"\n')

children = []


def start(args, log):
    with open(log, "w") as err:
        p = subprocess.Popen([bbrun] + args, stdout=subprocess.DEVNULL, stderr=err)
    children.append(p)
    return p


def reap(p, limit_s):
    """(exit code, peak RSS in MiB) of a child, waiting at most limit_s."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return p.returncode, usage.ru_maxrss / 1024
        time.sleep(0.05)
    return None, None


def sender(extra, name):
    return start([os.path.join(work, "big_sender.bb"), "--listen", f"127.0.0.1:{alice_port}", "--key",
                  os.path.join(work, "alice.pem"), "--peers", os.path.join(work, "peers.toml"), "--metrics",
                  os.path.join(work, name + ".json")] + extra, os.path.join(work, name + ".err"))


try:
    receiver = start([os.path.join(work, "big_receiver.bb"), "--listen", f"127.0.0.1:{bob_port}", "--key",
                      os.path.join(work, "bob.pem"), "--duration", "120s", "--max-envelope-bytes", str(limit),
                      "--metrics", os.path.join(work, "receiver.json")], os.path.join(work, "receiver.err"))
    end = time.monotonic() + 15
    while "listening on" not in slurp(os.path.join(work, "receiver.err")) and time.monotonic() < end:
        time.sleep(0.05)
    check("the receiver listens", "listening on" in slurp(os.path.join(work, "receiver.err")),
          slurp(os.path.join(work, "receiver.err")))

    # At the default limit (16 MiB) the sender refuses its own envelope before sending it.
    small = sender(["--duration", "2s"], "refused")
    code, _ = reap(small, 40)
    log = slurp(os.path.join(work, "refused.err"))
    check("at the default limit the send is refused before it leaves",
          code == 0 and re.search(r"rejected a Send: oversized: \d+ bytes, over this node's envelope limit", log)
          is not None, log[-2000:])

    # Raised on both ends: delivered; the sender stops after its one execution, once the
    # attempt has ended (--grace bounds the wait).
    start_t = time.monotonic()
    big = sender(["--max-envelope-bytes", str(limit), "--executions", "1", "--grace", "60s", "--duration", "90s"],
                 "sender")
    code, sender_peak = reap(big, 100)
    seconds = time.monotonic() - start_t
    check("the sender exits 0 after the delivery", code == 0, slurp(os.path.join(work, "sender.err"))[-3000:])
    metrics = json.load(open(os.path.join(work, "sender.json")))
    node = next(iter(metrics["nodes"].values()))
    check("delivered", node["attempts"]["delivered"] == 1, json.dumps(node["attempts"]))
    receiver.send_signal(signal.SIGTERM)
    code, receiver_peak = reap(receiver, 30)
    check("the receiver stops on SIGTERM with exit 0", code == 0, slurp(os.path.join(work, "receiver.err"))[-3000:])
    got = json.load(open(os.path.join(work, "receiver.json")))
    series = next(iter(got["nodes"].values())).get("series", {})
    check("the receiver's graph got every element", [v for _, v in series.get("elements", [])] == [float(elements)],
          json.dumps(series))
    check("and their values", [v for _, v in series.get("mean", [])] == [0.5], json.dumps(series))
    print(json.dumps({"mib": mib, "seconds": round(seconds, 2), "sender_peak_mib": round(sender_peak or 0),
                      "receiver_peak_mib": round(receiver_peak or 0)}))
finally:
    for p in children:
        if p.returncode is None:
            p.kill()
            try:
                os.waitpid(p.pid, 0)
            except ChildProcessError:
                pass
if FAILURES:
    sys.exit(f"{len(FAILURES)} check(s) failed")
print("all checks passed")
