#!/usr/bin/python3
"""A federated-learning client built with onnx.helper: receive the global model from the
server, take a local training step (a model-local function), send the update back.

    /usr/bin/python3 examples/federated_client.py federated_client.onnx
    bbc compile federated_client.onnx

Unlike the ONNX text syntax, onnx.helper can name nodes: the Send and Recv names below
become the keys of their gates (e.g. BackoffGateTx@send_update).
"""
import sys

import onnx
from onnx import TensorProto, helper

WIRE = "ai.bytesandbrains.wire"
SYSCALL = "ai.bytesandbrains.syscall"
LOCAL = "local.training"


def train_step_function():
    """weights' = weights - lr * (weights - target): a toy gradient step."""
    nodes = [
        helper.make_node("Sub", ["weights", "target"], ["gradient"], name="gradient"),
        helper.make_node("Mul", ["gradient", "lr"], ["step"], name="scale"),
        helper.make_node("Sub", ["weights", "step"], ["updated"], name="apply"),
    ]
    return helper.make_function(
        LOCAL, "TrainStep", ["weights", "target", "lr"], ["updated"], nodes,
        opset_imports=[helper.make_opsetid("", 13)])


def build():
    nodes = [
        helper.make_node("Recv", [], ["global_model", "server"], name="recv_model", domain=WIRE,
                         channel="model"),
        helper.make_node("TrainStep", ["global_model", "local_target", "learning_rate"], ["local_model"],
                         name="train", domain=LOCAL),
        helper.make_node("Relu", ["local_model"], ["update"], name="clip"),
        helper.make_node("Send", ["update"], [], name="send_update", domain=WIRE,
                         peer="id:server", channel="update", deadline_ns=2_000_000_000),
        helper.make_node("Log", ["update"], [], name="log_update", domain=SYSCALL, message="sent update"),
    ]
    initializers = [
        helper.make_tensor("local_target", TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0]),
        helper.make_tensor("learning_rate", TensorProto.FLOAT, [4], [0.1, 0.1, 0.1, 0.1]),
    ]
    graph = helper.make_graph(nodes, "federated_client", [], [], initializer=initializers)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(WIRE, 1),
                       helper.make_opsetid(SYSCALL, 1), helper.make_opsetid(LOCAL, 1)],
        functions=[train_step_function()],
        producer_name="bb examples",
        ir_version=8)
    return model


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: federated_client.py OUTPUT.onnx")
    onnx.save(build(), sys.argv[1])
