#!/usr/bin/python3
"""Generate a bb graph for benchmarks, reproducibly from a seed.

    /usr/bin/python3 bench/gen_graph.py OUT.onnx --nodes 1000000 [--send-ratio 0.10]
        [--recv-ratio 0.05] [--seed 1]

The graph is valid for bbc: Interval sources, ai.onnx compute (Relu, Identity, Add)
and syscall ops (PassThrough, OnTrigger), static and dynamic Sends (names left empty
for a share of them, so canonicalize names them), Recvs whose payloads feed the
compute. Nodes are written in topological order. Node counts are exact.
"""
import argparse
import random

import onnx
from onnx import TensorProto

WIRE = "ai.bytesandbrains.wire"
SYSCALL = "ai.bytesandbrains.syscall"


def attr_int(node, name, value):
    a = node.attribute.add()
    a.name = name
    a.type = onnx.AttributeProto.INT
    a.i = value


def attr_str(node, name, value):
    a = node.attribute.add()
    a.name = name
    a.type = onnx.AttributeProto.STRING
    a.s = value


def generate(nodes, send_ratio, recv_ratio, seed):
    rng = random.Random(seed)
    model = onnx.ModelProto()
    model.ir_version = 8
    model.producer_name = "bb bench/gen_graph.py"
    for domain, version in (("", 13), (WIRE, 1), (SYSCALL, 1)):
        o = model.opset_import.add()
        o.domain = domain
        o.version = version
    graph = model.graph
    graph.name = "bench"
    x = graph.input.add()
    x.name = "x"
    x.type.tensor_type.elem_type = TensorProto.FLOAT
    x.type.tensor_type.shape.dim.add().dim_value = 4

    values = ["x"]   # values a node may read (recent ones are preferred: local structure)
    peer_lists = []
    n_send = int(nodes * send_ratio)
    n_recv = int(nodes * recv_ratio)
    kinds = ["send"] * n_send + ["recv"] * n_recv + ["compute"] * (nodes - n_send - n_recv)
    rng.shuffle(kinds)
    add = graph.node.add
    for i, kind in enumerate(kinds):
        out = "v%d" % i
        node = add()
        if kind == "send":
            node.domain = WIRE
            node.op_type = "Send"
            if i % 3:
                node.name = "send%d" % i
            # Channel "pair" carries two payloads, the default channel one: every Send
            # matches the Recvs of its channel (no BB015).
            payloads = 1 + (i % 2)
            if payloads == 2:
                attr_str(node, "channel", b"pair")
            for _ in range(payloads):
                node.input.append(values[-1 - rng.randrange(min(len(values), 64))])
            if peer_lists and i % 5 == 0:
                node.input.append(peer_lists[-1])
            else:
                attr_str(node, "peer", b"id:peer%d" % rng.randrange(1000))
        elif kind == "recv":
            node.domain = WIRE
            node.op_type = "Recv"
            node.name = "recv%d" % i
            if i % 2:
                attr_str(node, "channel", b"pair")
                node.output.extend([out, out + "_b", out + "_from"])
            else:
                node.output.extend([out, out + "_from"])
            values.append(out)
        else:
            r = i % 10
            if r == 0:
                node.domain = SYSCALL
                node.op_type = "Interval"
                attr_int(node, "period_ns", 1000000 + i)
            elif r == 1:
                node.domain = SYSCALL
                node.op_type = "Peers"
                a = node.attribute.add()
                a.name = "peers"
                a.type = onnx.AttributeProto.STRINGS
                a.strings.extend([b"id:peer%d" % rng.randrange(1000) for _ in range(3)])
                peer_lists.append(out)
            elif r in (2, 3):
                node.domain = SYSCALL
                node.op_type = "PassThrough" if r == 2 else "OnTrigger"
                node.input.append(values[-1 - rng.randrange(min(len(values), 64))])
            elif r in (4, 5, 6):
                node.op_type = "Relu"
                node.input.append(values[-1 - rng.randrange(min(len(values), 64))])
            elif r == 7:
                node.op_type = "Add"
                node.input.append(values[-1 - rng.randrange(min(len(values), 64))])
                node.input.append(values[-1 - rng.randrange(min(len(values), 64))])
            else:
                node.op_type = "Identity"
                node.input.append(values[-1 - rng.randrange(min(len(values), 64))])
            node.name = "n%d" % i
            node.output.append(out)
            if r != 1:
                values.append(out)
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--nodes", type=int, default=100000)
    p.add_argument("--send-ratio", type=float, default=0.10)
    p.add_argument("--recv-ratio", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    model = generate(args.nodes, args.send_ratio, args.recv_ratio, args.seed)
    with open(args.out, "wb") as f:
        f.write(model.SerializeToString(deterministic=True))


if __name__ == "__main__":
    main()
