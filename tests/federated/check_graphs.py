#!/usr/bin/python3
"""Checks the federated examples' graphs against the numpy reference
(examples/digits/softmax_regression.py), before and independently of the C++ kernels: a
small numpy interpreter runs the ai.onnx part of each graph, with the bb ops' values
supplied by hand (a Recv's payload, a StateGet's value), and the results must match the
reference SGD step, accuracy and merge.

    /usr/bin/python3 tests/federated/check_graphs.py SOURCE_DIR WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SRC = sys.argv[1]
WORK = sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "examples", "digits"))
import softmax_regression as sr  # noqa: E402

PY = "/usr/bin/python3"
FAILURES = []


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run_onnx_op(node, ins):
    a = attrs(node)
    t = node.op_type
    if t == "Shape":
        return [np.array(ins[0].shape, np.int64)]
    if t == "Slice":
        data, starts, ends = ins[0], ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
        index = [slice(None)] * data.ndim
        for ax, lo, hi in zip(axes, starts, ends):
            index[int(ax)] = slice(int(lo), int(hi))
        return [data[tuple(index)]]
    if t == "Concat":
        return [np.concatenate(ins, axis=a["axis"])]
    if t == "ConstantOfShape":
        value = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(ins[0]), value[0], dtype=value.dtype)]
    if t == "Cast":
        return [ins[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])]
    if t == "Reshape":
        return [ins[0].reshape(tuple(ins[1]))]
    if t == "MatMul":
        return [(ins[0] @ ins[1]).astype(np.float32)]
    if t == "Softmax":
        return [softmax(ins[0], a.get("axis", -1)).astype(np.float32)]
    if t == "Sub":
        return [ins[0] - ins[1]]
    if t == "Add":
        return [ins[0] + ins[1]]
    if t == "Mul":
        return [ins[0] * ins[1]]
    if t == "Gemm":
        A = ins[0].T if a.get("transA", 0) else ins[0]
        B = ins[1].T if a.get("transB", 0) else ins[1]
        return [(np.float32(a.get("alpha", 1.0)) * (A @ B) + np.float32(a.get("beta", 1.0)) * ins[2]).astype(np.float32)]
    if t == "ArgMax":
        out = ins[0].argmax(axis=a.get("axis", 0))
        return [out if a.get("keepdims", 1) == 0 else np.expand_dims(out, a.get("axis", 0))]
    if t == "Equal":
        return [ins[0] == ins[1]]
    if t == "ReduceMean":
        return [np.array(ins[0].mean(axis=None if "axes" not in a else tuple(a["axes"]),
                                     keepdims=bool(a.get("keepdims", 1))), dtype=ins[0].dtype)]
    raise NotImplementedError(t)


def evaluate(model, feeds, bb_values):
    """Runs every ai.onnx node whose inputs are known; bb ops' outputs come from
    bb_values (by output name). Returns every value computed."""
    env = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    env.update(feeds)
    env.update(bb_values)
    progress = True
    while progress:
        progress = False
        for node in model.graph.node:
            if node.domain not in ("", "ai.onnx") or all(o in env for o in node.output):
                continue
            if not all(i == "" or i in env for i in node.input):
                continue
            outs = run_onnx_op(node, [env[i] if i else None for i in node.input])
            env.update(zip(node.output, outs))
            progress = True
    return env


def check(what, got, want, tol=1e-5):
    err = float(np.max(np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64))))
    ok = err <= tol
    print(f"{'ok  ' if ok else 'FAIL'} {what}: max abs difference {err:.2e}")
    if not ok:
        FAILURES.append(what)


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def main():
    data = os.path.join(WORK, "data")
    subprocess.run([PY, os.path.join(SRC, "examples/digits/prepare_data.py"), data], check=True)
    x, y = load(f"{data}/client1_x.pb"), load(f"{data}/client1_y.pb")
    tx, ty = load(f"{data}/test_x.pb"), load(f"{data}/test_y.pb")
    rows = x.shape[0]
    rng = np.random.default_rng(1)
    theta = (rng.standard_normal(sr.MODEL_SIZE) * 0.1).astype(np.float32)

    # FedAvg client: one round of local SGD
    subprocess.run([PY, os.path.join(SRC, "examples/fedavg/make_client.py"), f"{WORK}/client.onnx", "--rows",
                    str(rows)], check=True)
    client = onnx.load(f"{WORK}/client.onnx")
    env = evaluate(client, {"x": x, "y": y}, {"global_model": theta, "sender": None})
    want = sr.np_sgd(theta, sr.np_with_bias(x), y, 32, 9, 1.0)
    check("client: 9 SGD steps equal the numpy reference", env["local_model"], want)
    check("client: example count", env["count"], [rows], 0)

    # FedAvg server: the accuracy of a model on the test set
    server = onnx.parser.parse_model(open(os.path.join(SRC, "examples/fedavg/server.onnxtxt")).read())
    env = evaluate(server, {"test_x": tx, "test_y": ty}, {"model": want, "tick": None})
    check("server: accuracy equals the numpy reference", env["accuracy"], sr.np_accuracy(want, sr.np_with_bias(tx), ty))
    env = evaluate(server, {"test_x": tx, "test_y": ty}, {"model": env["initial"], "tick": None})
    check("server: the initial model is 650 zeros", env["initial"], np.zeros(sr.MODEL_SIZE))

    # Gossip node: train, evaluate, merge
    subprocess.run([PY, os.path.join(SRC, "examples/gossip_learning/make_graphs.py"), f"{WORK}/gossip", "--rows",
                    str(rows)], check=True)
    node = onnx.load(f"{WORK}/gossip/node1.onnx")
    theirs = (rng.standard_normal(sr.MODEL_SIZE)).astype(np.float32)
    env = evaluate(node, {"x": x, "y": y, "test_x": tx, "test_y": ty},
                   {"model": theta, "mine": theta, "theirs": theirs, "tick": None, "sender": None})
    check("gossip: training equals the numpy reference", env["trained"], want)
    check("gossip: accuracy of the trained model", env["accuracy"],
          sr.np_accuracy(want, sr.np_with_bias(tx), ty))
    check("gossip: merge is the mean of both models", env["merged"], (theta + theirs) / 2)
    peers = [n for n in node.graph.node if n.op_type == "Peers"][0]
    names = [p.decode() for p in attrs(peers)["peers"]]
    check("gossip: node1's peer list names the 4 others, not itself", [len(names), "id:node1" in names], [4, False], 0)

    if FAILURES:
        sys.exit(f"{len(FAILURES)} check(s) failed")
    print("all graph checks passed")


if __name__ == "__main__":
    import onnx.parser  # noqa: F401
    main()
