#!/usr/bin/python3
"""Writes the numpy references of onnx_math_test's model tests into a folder.

Usage: math_reference.py OUT_DIR

perceptron_*.pb: a two-layer perceptron (Gemm, Relu, Gemm, Softmax) over a 64x784
batch: inputs x, w1, b1, w2, b2 and the expected probabilities y.
regression_*.pb: one step of softmax-regression training written with plain ops:
inputs x, w, labels (one-hot), lr; expected new weights w_next and loss.
Inputs are drawn from a fixed seed, so the files are the same on every run.
"""
import os
import sys

import numpy as np
from onnx import numpy_helper


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def save(folder, name, array):
    with open(os.path.join(folder, name + ".pb"), "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def main(folder):
    rng = np.random.default_rng(20261204)
    batch, features, hidden, classes = 64, 784, 128, 10

    x = rng.standard_normal((batch, features)).astype(np.float32)
    w1 = (rng.standard_normal((features, hidden)) * 0.05).astype(np.float32)
    b1 = (rng.standard_normal(hidden) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((hidden, classes)) * 0.1).astype(np.float32)
    b2 = (rng.standard_normal(classes) * 0.1).astype(np.float32)
    h = np.maximum(x @ w1 + b1, 0)
    y = softmax(h @ w2 + b2).astype(np.float32)
    for name, a in [("x", x), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("y", y)]:
        save(folder, "perceptron_" + name, a)

    w = (rng.standard_normal((features, classes)) * 0.01).astype(np.float32)
    labels = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, batch)]
    lr = np.array(0.5, dtype=np.float32)
    p = softmax(x @ w)
    d = p - labels
    grad = (x.T @ d) * np.float32(1.0 / batch)
    w_next = (w - lr * grad).astype(np.float32)
    loss = np.array(np.mean(d * d), dtype=np.float32)
    for name, a in [("x", x), ("w", w), ("labels", labels), ("lr", lr), ("w_next", w_next), ("loss", loss)]:
        save(folder, "regression_" + name, a)


if __name__ == "__main__":
    main(sys.argv[1])
