"""Softmax regression on the digits, written with plain ai.onnx ops (opset 13), for the
federated examples (examples/fedavg, examples/gossip_learning).

The model travels as ONE flat float vector of 650 values: the 65 x 10 weight matrix
whose last row is the bias (the inputs get a constant 1 appended), row-major.
Reshape unpacks it and packs it again.

One minibatch-SGD step on rows [s*B, (s+1)*B) of the shard, cross-entropy loss:
    Z = Xb W;  P = softmax(Z);  W <- W - lr/B * Xb^T (P - Yb)
is four nodes: MatMul, Softmax, Sub and one Gemm (alpha = -lr/B, beta = 1, transA = 1).
The minibatches are Slices of the graph inputs with constant bounds, so the engine cuts
them once, in the static run, before the first execution.

Every function returns (nodes, initializers) and prefixes the names it makes, so two
uses in one graph do not collide.
"""
import numpy as np
from onnx import TensorProto, helper, numpy_helper

FEATURES = 64
CLASSES = 10
ROWS = FEATURES + 1  # the bias row
MODEL_SIZE = ROWS * CLASSES  # 650
OPSET = 13


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def with_bias_column(x, out, prefix):
    """out = [x, 1]: x float[n, 64] -> float[n, 65] (n read from x's shape)."""
    p = prefix
    nodes = [
        helper.make_node("Shape", [x], [p + "shape"], name=p + "shape"),
        helper.make_node("Slice", [p + "shape", p + "zero", p + "one"], [p + "rows"], name=p + "rows"),
        helper.make_node("Concat", [p + "rows", p + "one"], [p + "ones_shape"], name=p + "ones_shape", axis=0),
        helper.make_node("ConstantOfShape", [p + "ones_shape"], [p + "ones"], name=p + "ones",
                         value=helper.make_tensor(p + "one_f", TensorProto.FLOAT, [1], [1.0])),
        helper.make_node("Concat", [x, p + "ones"], [out], name=p + "append_one", axis=1),
    ]
    inits = [const(p + "zero", np.array([0], np.int64)), const(p + "one", np.array([1], np.int64))]
    return nodes, inits


def example_count(x, out, prefix):
    """out = int64[1]: the number of rows of x (the shard's example count)."""
    p = prefix
    nodes = [
        helper.make_node("Shape", [x], [p + "shape"], name=p + "shape"),
        helper.make_node("Slice", [p + "shape", p + "zero", p + "one"], [out], name=p + "count"),
    ]
    inits = [const(p + "zero", np.array([0], np.int64)), const(p + "one", np.array([1], np.int64))]
    return nodes, inits


def unpack(theta, out, prefix):
    """float[650] -> float[65, 10]."""
    return ([helper.make_node("Reshape", [theta, prefix + "matrix_shape"], [out], name=prefix + "unpack")],
            [const(prefix + "matrix_shape", np.array([ROWS, CLASSES], np.int64))])


def pack(w, out, prefix):
    """float[65, 10] -> float[650]."""
    return ([helper.make_node("Reshape", [w, prefix + "flat_shape"], [out], name=prefix + "pack")],
            [const(prefix + "flat_shape", np.array([MODEL_SIZE], np.int64))])


def batches(n_rows, batch, steps):
    """The row ranges of `steps` minibatches of `batch` rows, wrapping around the shard
    (a range never crosses the end: the last one of a pass may be shorter)."""
    out, start = [], 0
    for _ in range(steps):
        end = min(start + batch, n_rows)
        out.append((start, end))
        start = 0 if end >= n_rows else end
    return out


def sgd_steps(theta, xa, y, out, prefix, n_rows, batch, steps, lr):
    """`steps` minibatch-SGD steps from the flat model `theta` on the shard (xa: float[n,
    65] with the bias column, y: float[n, 10] one-hot); `out` is the flat result."""
    p = prefix
    nodes, inits = unpack(theta, p + "w0", p)
    inits.append(const(p + "axis0", np.array([0], np.int64)))
    w = p + "w0"
    for s, (lo, hi) in enumerate(batches(n_rows, batch, steps)):
        q = f"{p}s{s}_"
        inits += [const(q + "lo", np.array([lo], np.int64)), const(q + "hi", np.array([hi], np.int64))]
        nodes += [
            helper.make_node("Slice", [xa, q + "lo", q + "hi", p + "axis0"], [q + "x"], name=q + "x"),
            helper.make_node("Slice", [y, q + "lo", q + "hi", p + "axis0"], [q + "y"], name=q + "y"),
            helper.make_node("MatMul", [q + "x", w], [q + "z"], name=q + "logits"),
            helper.make_node("Softmax", [q + "z"], [q + "p"], name=q + "softmax", axis=1),
            helper.make_node("Sub", [q + "p", q + "y"], [q + "d"], name=q + "error"),
            helper.make_node("Gemm", [q + "x", q + "d", w], [q + "w"], name=q + "update",
                             alpha=-lr / batch, beta=1.0, transA=1),
        ]
        w = q + "w"
    n, i = pack(w, out, p)
    return nodes + n, inits + i


def accuracy(theta, test_xa, test_y, out, prefix):
    """out = float scalar: the share of test rows whose arg-max class is the label."""
    p = prefix
    nodes, inits = unpack(theta, p + "w", p)
    nodes += [
        helper.make_node("MatMul", [test_xa, p + "w"], [p + "logits"], name=p + "logits"),
        helper.make_node("ArgMax", [p + "logits"], [p + "pred"], name=p + "predict", axis=1, keepdims=0),
        helper.make_node("Equal", [p + "pred", test_y], [p + "hit"], name=p + "compare"),
        helper.make_node("Cast", [p + "hit"], [p + "hit_f"], name=p + "to_float", to=TensorProto.FLOAT),
        helper.make_node("ReduceMean", [p + "hit_f"], [out], name=p + "accuracy", keepdims=0),
    ]
    return nodes, inits


# ---- The same computation in numpy (the reference the graphs are checked against) ----

def np_with_bias(x):
    return np.concatenate([x, np.ones((x.shape[0], 1), np.float32)], axis=1)


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_sgd(theta, xa, y, batch, steps, lr):
    w = theta.reshape(ROWS, CLASSES).astype(np.float32)
    for lo, hi in batches(xa.shape[0], batch, steps):
        xb, yb = xa[lo:hi], y[lo:hi]
        d = np_softmax(xb @ w) - yb
        w = (np.float32(-lr / batch) * (xb.T @ d) + w).astype(np.float32)
    return w.reshape(MODEL_SIZE)


def np_accuracy(theta, test_xa, test_y):
    pred = (test_xa @ theta.reshape(ROWS, CLASSES)).argmax(axis=1)
    return float((pred == test_y).mean())
