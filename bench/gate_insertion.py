#!/usr/bin/python3
"""The gate insertion of `bbc compile`, written as the short Python `onnx` script a user
would otherwise write (docs/performance.md: bbc must be at least 20x faster at 1M nodes).

    /usr/bin/python3 bench/gate_insertion.py IN.onnx OUT.onnx

It does what the five gate passes do on a valid, canonical graph (the generator's): a
PeerHealthGateTx -> BackoffGateTx chain before every Send with a destination, carrying
the Send's peer (or dynamic_peers = 1), a DedupGateRx -> PeerHealthGateRx ->
BackoffGateRx chain after every Recv with every consumer rewired, the stamps, the
syscall opset import. It skips what a quick script would skip: validation, canonical
peers and names, verification, the passport. Its output is therefore a lower bound on
the work, which makes the comparison generous to the script.
"""
import sys

import onnx
from onnx import helper

WIRE = "ai.bytesandbrains.wire"
SYSCALL = "ai.bytesandbrains.syscall"
TX = [("PeerHealthGateTx", "peer_health_tx_gated"), ("BackoffGateTx", "backoff_tx_gated")]
RX = [("DedupGateRx", "dedup_rx_out", "dedup_rx_gated"),
      ("PeerHealthGateRx", "peer_health_rx_out", "peer_health_rx_gated"),
      ("BackoffGateRx", "backoff_rx_out", "backoff_rx_gated")]


def attr(node, name):
    for a in node.attribute:
        if a.name == name:
            return a
    return None


def main(src, dst):
    model = onnx.load(src)
    graph = model.graph
    # Rx: every consumer of a Recv output reads the last rx gate's output instead.
    renames = {}
    for i, node in enumerate(graph.node):
        if node.domain == WIRE and node.op_type == "Recv":
            key = node.name or "Recv_%d" % i
            prev = list(node.output)
            for op, infix, _ in RX:
                outs = ["%s#%s.%d" % (key, infix, j) for j in range(len(prev))]
                prev = outs
            for old, new in zip(node.output, prev):
                renames[old] = new
    out = []
    for i, node in enumerate(graph.node):
        for j, name in enumerate(node.input):
            if name in renames:
                node.input[j] = renames[name]
        if node.domain == WIRE and node.op_type == "Send":
            key = node.name or "Send_%d" % i
            node.name = key
            peer = attr(node, "peer")
            inputs = list(node.input)
            for op, stamp in TX:
                outs = ["%s#%s.%d" % (key, stamp, j) for j in range(len(inputs))]
                gate = helper.make_node(op, inputs, outs, name="%s@%s" % (op, key), domain=SYSCALL, source=key)
                if peer is not None:
                    gate.attribute.append(helper.make_attribute("peer", peer.s))
                else:
                    gate.attribute.append(helper.make_attribute("dynamic_peers", 1))
                out.append(gate)
                inputs = outs
                node.attribute.append(helper.make_attribute(stamp, 1))
            del node.input[:]
            node.input.extend(inputs)
            out.append(node)
        elif node.domain == WIRE and node.op_type == "Recv":
            key = node.name or "Recv_%d" % i
            node.name = key
            out.append(node)
            prev = list(node.output)
            for op, infix, stamp in RX:
                outs = ["%s#%s.%d" % (key, infix, j) for j in range(len(prev))]
                out.append(helper.make_node(op, prev, outs, name="%s@%s" % (op, key), domain=SYSCALL, source=key))
                node.attribute.append(helper.make_attribute(stamp, 1))
                prev = outs
        else:
            out.append(node)
    del graph.node[:]
    graph.node.extend(out)
    if not any(o.domain == SYSCALL for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(SYSCALL, 1))
    onnx.save(model, dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gate_insertion.py IN.onnx OUT.onnx")
    main(sys.argv[1], sys.argv[2])
