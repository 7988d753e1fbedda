#!/usr/bin/python3
"""The gossip-learning graphs, built with onnx.helper (docs/federated.md): one per node,
since each node's peer list names the others.

    /usr/bin/python3 examples/gossip_learning/make_graphs.py OUT_DIR --nodes 5 --rows 287
    for g in OUT_DIR/node*.onnx; do bbc compile $g -o ${g%.onnx}.bb; done

No coordinator. Every --period (--rounds times) each node takes its model (named state "model", zeros
until it has one), runs --steps minibatch-SGD steps on its own shard (inputs x, y), keeps
the result, records its accuracy on the test set (inputs test_x, test_y), and sends the
model to --k peers drawn with SamplePeers. A model received from a peer is averaged
into the node's own. A node that crashed restarts from zeros and catches up by training
and merging.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "digits"))
import softmax_regression as sr  # noqa: E402

WIRE = "ai.bytesandbrains.wire"
SYSCALL = "ai.bytesandbrains.syscall"


def peer(k):
    return f"id:node{k}"


def named(op, inputs, outputs, node_name, state):
    """A syscall op with a `name` attribute (make_node's own `name` keyword names the node)."""
    node = helper.make_node(op, inputs, outputs, name=node_name, domain=SYSCALL)
    node.attribute.append(helper.make_attribute("name", state))
    return node


def build(me, nodes, rows, batch, steps, lr, k, period_ns, rounds, deadline_ns):
    others = [peer(j) for j in range(1, nodes + 1) if j != me]
    inits = [sr.const("initial", np.zeros(sr.MODEL_SIZE, np.float32)), sr.const("half", np.float32(0.5))]
    ns = [helper.make_node("Interval", [], ["tick"], name="tick", domain=SYSCALL, period_ns=period_ns,
                           count=rounds),
          named("StateGet", ["tick", "initial"], ["model"], "get_model", "model")]
    for made in (sr.with_bias_column("x", "xa", "bias_"),
                 sr.with_bias_column("test_x", "test_xa", "test_bias_"),
                 sr.sgd_steps("model", "xa", "y", "trained", "sgd_", rows, batch, steps, lr),
                 sr.accuracy("trained", "test_xa", "test_y", "accuracy", "eval_")):
        ns += made[0]
        inits += made[1]
    keep = named("StateSet", ["trained"], [], "keep_trained", "model")
    record = named("Record", ["accuracy"], [], "record_accuracy", "accuracy")
    ns += [
        keep, record,
        helper.make_node("Peers", [], ["others"], name="others", domain=SYSCALL, peers=others),
        helper.make_node("SamplePeers", ["others", "tick"], ["targets"], name="sample", domain=SYSCALL, k=k),
        helper.make_node("Send", ["trained", "targets"], [], name="gossip", domain=WIRE, channel="gossip",
                         deadline_ns=deadline_ns),
        # a peer's model: averaged into ours
        helper.make_node("Recv", [], ["theirs", "sender"], name="recv_gossip", domain=WIRE, channel="gossip"),
    ]
    ns += [
        named("StateGet", ["theirs", "initial"], ["mine"], "get_mine", "model"),
        helper.make_node("Add", ["mine", "theirs"], ["sum"], name="sum"),
        helper.make_node("Mul", ["sum", "half"], ["merged"], name="average"),
        named("StateSet", ["merged"], [], "keep_merged", "model"),
    ]
    graph = helper.make_graph(
        ns, f"gossip_node{me}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, sr.FEATURES]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, sr.CLASSES]),
         helper.make_tensor_value_info("test_x", TensorProto.FLOAT, ["T", sr.FEATURES]),
         helper.make_tensor_value_info("test_y", TensorProto.INT64, ["T"])],
        [], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", sr.OPSET), helper.make_opsetid(WIRE, 1),
                                                   helper.make_opsetid(SYSCALL, 1)],
                             producer_name="bb examples", ir_version=8)


def main(argv):
    ap = argparse.ArgumentParser(description="Write one gossip-learning graph per node.")
    ap.add_argument("out_dir")
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--rows", type=int, required=True, help="examples in each node's shard")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=9)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--k", type=int, default=2, help="peers each model is sent to per round")
    ap.add_argument("--period-ms", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--deadline-ms", type=int, default=50)
    a = ap.parse_args(argv)
    os.makedirs(a.out_dir, exist_ok=True)
    for me in range(1, a.nodes + 1):
        model = build(me, a.nodes, a.rows, a.batch, a.steps, a.lr, a.k, a.period_ms * 1_000_000, a.rounds,
                      a.deadline_ms * 1_000_000)
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(a.out_dir, f"node{me}.onnx"))


if __name__ == "__main__":
    main(sys.argv[1:])
