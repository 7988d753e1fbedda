#!/usr/bin/python3
"""Federated averaging across processes: the coordinator and its clients as separate
bbrun processes on 127.0.0.1, talking over gRPC with mutual TLS (docs/federated.md).

    /usr/bin/python3 examples/fedavg/run_net.py BUILD_DIR OUT_DIR [--rounds 10] [--clients 5]
        [--round-ms 200] [--split iid|non-iid] [--compare-sim] [--insecure]

What it does, in OUT_DIR:
  1. prepares the digits (examples/digits/prepare_data.py: data/);
  2. makes one key per node (`bbrun keygen keys/NAME.pem`, printing its PeerId);
  3. writes the graphs of examples/fedavg with those PeerIds (the coordinator's client
     list, each client's coordinator) and real-time periods, and compiles them with bbc;
  4. writes deploy.toml: the example's deployment with a free loopback port and the key
     of every node, `[transport] security = "tls"` and no faults;
  5. starts one `bbrun --deploy deploy.toml --node PEER` per client, waits (bounded)
     until each listens, then the coordinator, which runs for the rounds and stops;
  6. prints the accuracy per round (the coordinator's `accuracy` series in
     coordinator.json) and writes result.json ({"rounds", "curve", "heard", "final"}).
With --compare-sim it also runs the same deployment with `bbrun --sim` for the same
rounds and prints both final accuracies (result.json: "sim_curve", "sim_final").

Timing: the example's deployment is sized for the simulator's virtual time (a round
every 100 ms, 50 ms send deadlines, a 40 ms round timeout). Here a round is --round-ms
of real time (default 200 ms) and the deadlines and the round timeout scale with it
(1/2 and 2/5 of a round), so 10 rounds take about two seconds. Every wait is bounded,
and every process this script started is stopped on any exit (SIGTERM, then SIGKILL).
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PY = "/usr/bin/python3"


def tool(build, name):
    for p in (os.path.join(build, "tools", name, name), os.path.join(build, "tools", name)):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    sys.exit(f"run_net.py: no {name} in {build}/tools [hint: cmake --build {build}]")


def free_ports(n):
    """n distinct ports nobody listens on right now (the kernel's picks, held together)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if p.returncode != 0:
        sys.exit(f"run_net.py: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return p.stdout


def substitute(text, pattern, replacement):
    out, n = re.subn(pattern, replacement, text)
    if n != 1:
        sys.exit(f"run_net.py: examples/fedavg/server.onnxtxt: expected one '{pattern}', found {n}")
    return out


def server_graph(peers, rounds, round_ns):
    """The example's coordinator with these client PeerIds, rounds + 1 ticks (the model
    after 0 … rounds rounds) every round_ns, and the deadline and round timeout scaled."""
    with open(os.path.join(HERE, "server.onnxtxt")) as f:
        text = f.read()
    text = substitute(text, r"period_ns = \d+, count = \d+", f"period_ns = {round_ns}, count = {rounds + 1}")
    text = substitute(text, r'(channel = "model", deadline_ns = )\d+', rf"\g<1>{round_ns // 2}")
    text = substitute(text, r"timeout_ns = \d+", f"timeout_ns = {round_ns * 2 // 5}")
    text = substitute(text, r"quorum = \d+", f"quorum = {min(3, len(peers))}")
    text = substitute(text, r"count = 5, quorum", f"count = {len(peers)}, quorum")
    listed = ", ".join(f'"{p}"' for p in peers)
    return substitute(text, r"Peers<peers = \[[^\]]*\]>", f"Peers<peers = [{listed}]>")


def write_deploy(path, nodes, security, round_ns):
    """nodes: (name, peer, graph, inputs, port), the coordinator first."""
    lines = ["# Written by examples/fedavg/run_net.py: examples/fedavg/deploy.toml with the PeerIds",
             "# of fresh keys, free loopback ports and real-time periods; no faults.",
             "[run]", "seed = 7", "",
             "[backoff]", 'base = "10ms"', 'cap = "200ms"', "",
             "[send]", f'timeout = "{round_ns // 2_000_000}ms"', "",
             "[transport]", f'security = "{security}"', ""]
    for name, peer, graph, inputs, port in nodes:
        table = ", ".join(f'{k} = "{v}"' for k, v in inputs.items())
        lines += ["[[node]]", f'peer = "{peer}"', f'graph = "{graph}"', f"inputs = {{ {table} }}",
                  f'address = "127.0.0.1:{port}"']
        if security == "tls":
            lines.append(f'key = "keys/{name}.pem"')
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


class Processes:
    """The bbrun children: stopped on every exit of the script."""

    def __init__(self):
        self.children = []

    def start(self, cmd, log):
        out = open(log, "w")
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True)
        out.close()
        self.children.append(p)
        return p

    def stop_all(self, grace_s=5.0):
        for p in self.children:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + grace_s
        for p in self.children:
            try:
                p.wait(timeout=max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def wait_for(path, text, proc, limit_s):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        with open(path) as f:
            if text in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def series(metrics_path, peer, name):
    with open(metrics_path) as f:
        metrics = json.load(f)
    return [v for _, v in metrics["nodes"][peer].get("series", {}).get(name, [])]


def main(argv):
    ap = argparse.ArgumentParser(description="FedAvg on the digits, one bbrun process per node.")
    ap.add_argument("build")
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=5)
    ap.add_argument("--round-ms", type=int, default=200)
    ap.add_argument("--split", choices=["iid", "non-iid"], default="iid")
    ap.add_argument("--compare-sim", action="store_true", help="also run the deployment with bbrun --sim")
    ap.add_argument("--insecure", action="store_true", help="plaintext and id: names instead of keys and TLS")
    a = ap.parse_args(argv)
    if a.rounds < 1 or a.clients < 1 or a.round_ms < 20:
        sys.exit("run_net.py: --rounds and --clients are at least 1, --round-ms at least 20")
    bbc, bbrun = tool(a.build, "bbc"), tool(a.build, "bbrun")
    out = os.path.abspath(a.out)
    os.makedirs(os.path.join(out, "keys"), exist_ok=True)
    round_ns = a.round_ms * 1_000_000
    security = "insecure" if a.insecure else "tls"

    run([PY, os.path.join(ROOT, "examples", "digits", "prepare_data.py"), os.path.join(out, "data"),
         "--clients", str(a.clients), "--split", a.split])
    with open(os.path.join(out, "data", "split.json")) as f:
        rows = json.load(f)["clients"][0]["examples"]

    names = ["server"] + [f"client{k}" for k in range(1, a.clients + 1)]
    peers = {}
    for name in names:
        if a.insecure:
            peers[name] = f"id:{name}"
        else:
            peers[name] = run([bbrun, "keygen", "--force", os.path.join(out, "keys", f"{name}.pem")]).strip()

    with open(os.path.join(out, "server.onnxtxt"), "w") as f:
        f.write(server_graph([peers[n] for n in names[1:]], a.rounds, round_ns))
    run([PY, os.path.join(HERE, "make_client.py"), os.path.join(out, "client.onnx"), "--rows", str(rows),
         "--server", peers["server"], "--deadline-ms", str(a.round_ms // 2)])
    run([bbc, "compile", os.path.join(out, "server.onnxtxt"), "-o", os.path.join(out, "server.bb")])
    run([bbc, "compile", os.path.join(out, "client.onnx"), "-o", os.path.join(out, "client.bb")])

    ports = free_ports(len(names))
    nodes = [("server", peers["server"], "server.bb",
              {"test_x": "data/test_x.pb", "test_y": "data/test_y.pb"}, ports[0])]
    for k, name in enumerate(names[1:], start=1):
        nodes.append((name, peers[name], "client.bb",
                      {"x": f"data/{name}_x.pb", "y": f"data/{name}_y.pb"}, ports[k]))
    deploy = os.path.join(out, "deploy.toml")
    write_deploy(deploy, nodes, security, round_ns)

    # The coordinator's last tick is at rounds x round; it stops half a round later.
    server_s = (a.rounds + 0.5) * a.round_ms / 1000
    procs = Processes()

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    start = time.monotonic()
    try:
        clients = []
        for name in names[1:]:
            log = os.path.join(out, f"{name}.log")
            # A bounded life even if this script is killed without a chance to stop it.
            p = procs.start([bbrun, "--deploy", deploy, "--node", peers[name], "--duration",
                             f"{int(server_s + 60)}s", "--metrics", os.path.join(out, f"{name}.json")], log)
            clients.append((name, p, log))
        for name, p, log in clients:
            if not wait_for(log, "listening on", p, 15):
                with open(log) as f:
                    sys.exit(f"run_net.py: {name} did not start listening:\n{f.read()}")
        server_log = os.path.join(out, "server.log")
        server = procs.start([bbrun, "--deploy", deploy, "--node", peers["server"], "--duration",
                              f"{int(server_s * 1000)}ms", "--metrics", os.path.join(out, "server.json"),
                              "--trace", os.path.join(out, "server.jsonl")], server_log)
        try:
            code = server.wait(timeout=server_s + 30)
        except subprocess.TimeoutExpired:
            sys.exit("run_net.py: the coordinator did not stop in time (see server.log)")
        if code != 0:
            with open(server_log) as f:
                sys.exit(f"run_net.py: the coordinator exited with {code}:\n{f.read()}")
    finally:
        procs.stop_all()
    real_s = time.monotonic() - start

    curve = series(os.path.join(out, "server.json"), peers["server"], "accuracy")
    heard = series(os.path.join(out, "server.json"), peers["server"], "clients_heard")
    print(f"FedAvg across {len(names)} processes ({security}), a round every {a.round_ms} ms")
    for r, acc in enumerate(curve):
        line = f"round {r:2d}  accuracy {acc:.3f}"
        if 1 <= r <= len(heard):
            line += f"  clients heard {int(heard[r - 1])}"
        print(line)
    result = {"rounds": len(curve) - 1, "curve": curve, "heard": heard, "final": curve[-1] if curve else None,
              "real_time_s": round(real_s, 2), "security": security}

    if a.compare_sim:
        metrics = os.path.join(out, "sim.json")
        sim_ns = a.rounds * round_ns + 1_000_000  # ticks at 0 … rounds x round
        p = subprocess.run([bbrun, "--sim", deploy, "--duration", f"{sim_ns}ns", "--metrics", metrics],
                           capture_output=True, text=True, timeout=120)
        with open(os.path.join(out, "sim.log"), "w") as f:
            f.write(p.stderr)
        if p.returncode != 0:
            sys.exit(f"run_net.py: bbrun --sim failed ({p.returncode}):\n{p.stderr}")
        sim_curve = series(metrics, peers["server"], "accuracy")
        result.update({"sim_curve": sim_curve, "sim_final": sim_curve[-1] if sim_curve else None})
        print(f"after {a.rounds} rounds: {curve[-1]:.3f} across processes, {sim_curve[-1]:.3f} in the simulator")
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
