#!/usr/bin/python3
"""The FedAvg client graph, built with onnx.helper (docs/federated.md).

    /usr/bin/python3 examples/fedavg/make_client.py client.onnx --rows 287
    bbc compile client.onnx -o client.bb

On every global model received from the coordinator (channel "model") the client runs
--steps minibatch-SGD steps of softmax regression on its shard (graph inputs x: float[rows,
64] and y: float[rows, 10] one-hot, fed by the deployment file) and sends the new weights
with its example count back (channel "update"). The minibatches are static slices of the
shard: the engine cuts them once at start. Every client runs this same graph on its own
shard; the shard size (--rows) fixes the slices (prepare_data.py makes equal shards).
"""
import argparse
import os
import sys

import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "digits"))
import softmax_regression as sr  # noqa: E402

WIRE = "ai.bytesandbrains.wire"


def build(rows, batch, steps, lr, server, deadline_ns):
    nodes = [helper.make_node("Recv", [], ["global_model", "sender"], name="recv_model", domain=WIRE,
                              channel="model")]
    inits = []
    for made in (sr.with_bias_column("x", "xa", "bias_"),
                 sr.example_count("x", "count", "count_"),
                 sr.sgd_steps("global_model", "xa", "y", "local_model", "sgd_", rows, batch, steps, lr)):
        nodes += made[0]
        inits += made[1]
    nodes.append(helper.make_node("Send", ["local_model", "count"], [], name="send_update", domain=WIRE,
                                  peer=server, channel="update", deadline_ns=deadline_ns))
    graph = helper.make_graph(
        nodes, "fedavg_client",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, sr.FEATURES]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [rows, sr.CLASSES])],
        [], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", sr.OPSET), helper.make_opsetid(WIRE, 1)],
                             producer_name="bb examples", ir_version=8)


def main(argv):
    ap = argparse.ArgumentParser(description="Write the FedAvg client graph.")
    ap.add_argument("output")
    ap.add_argument("--rows", type=int, required=True, help="examples in each client's shard")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=9, help="local SGD steps per round (9 x 32: one pass)")
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--server", default="id:server")
    ap.add_argument("--deadline-ms", type=int, default=50)
    a = ap.parse_args(argv)
    model = build(a.rows, a.batch, a.steps, a.lr, a.server, a.deadline_ms * 1_000_000)
    onnx.checker.check_model(model)
    onnx.save(model, a.output)


if __name__ == "__main__":
    main(sys.argv[1:])
