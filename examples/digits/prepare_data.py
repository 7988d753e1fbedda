#!/usr/bin/python3
"""The handwritten digits (1,797 8x8 images, 10 classes) that Debian's python3-sklearn
ships in sklearn/datasets/data/digits.csv.gz, split for federated learning: a held-out
test set and one shard per client, written as TensorProto .pb files that bbrun feeds to
a node (`bbrun --input x=FILE.pb`, or `inputs = { … }` of a [[node]] in a deployment
file). Nothing is downloaded.

    /usr/bin/python3 examples/digits/prepare_data.py OUT_DIR [--clients 5] [--split iid|non-iid]
                                                    [--test-fraction 0.2] [--seed 0]

Pixels are scaled from 0..16 to [0, 1]. The test set is a seeded, stratified draw.
Shards all have the same number of examples (the rest is dropped):
  iid      the training rows shuffled, then cut into equal parts;
  non-iid  label-skewed: the training rows sorted by label and cut into 2 x clients
           equal slices; each client gets two slices drawn without replacement, so it
           sees about two of the ten digits (McMahan et al., 2017).
Writes OUT_DIR/test_x.pb (float [n, 64]), test_y.pb (int64 [n]), and per client k =
1..N client<k>_x.pb (float [m, 64]), client<k>_y.pb (float [m, 10], one-hot),
client<k>_labels.pb (int64 [m]), plus split.json describing what was written.
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
from onnx import numpy_helper

DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
CLASSES = 10


def load_digits(path=DIGITS):
    with gzip.open(path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", dtype=np.float64)
    x = (data[:, :-1] / 16.0).astype(np.float32)
    y = data[:, -1].astype(np.int64)
    return x, y


def stratified_test(y, fraction, rng):
    test = []
    for c in range(CLASSES):
        rows = np.flatnonzero(y == c)
        rng.shuffle(rows)
        test.extend(rows[: int(round(fraction * len(rows)))])
    test = np.sort(np.array(test, dtype=np.int64))
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


def shards(train, y, clients, split, rng):
    per_client = len(train) // clients
    if split == "iid":
        rows = train.copy()
        rng.shuffle(rows)
        return [np.sort(rows[k * per_client:(k + 1) * per_client]) for k in range(clients)]
    # non-iid: sort by label (stable, so ties keep the seeded order), 2 slices per client
    rows = train.copy()
    rng.shuffle(rows)
    rows = rows[np.argsort(y[rows], kind="stable")]
    slice_len = per_client // 2
    slices = [rows[s * slice_len:(s + 1) * slice_len] for s in range(2 * clients)]
    order = rng.permutation(2 * clients)
    out = []
    for k in range(clients):
        mine = np.concatenate([slices[order[2 * k]], slices[order[2 * k + 1]]])
        rng.shuffle(mine)  # minibatches mix the two digits
        out.append(mine)
    return out


def save(path, array, name):
    tensor = numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def one_hot(labels):
    out = np.zeros((len(labels), CLASSES), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--clients", type=int, default=5)
    ap.add_argument("--split", choices=["iid", "non-iid"], default="iid")
    ap.add_argument("--test-fraction", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.clients < 1 or not 0 < a.test_fraction < 1:
        ap.error("--clients must be >= 1 and --test-fraction in (0, 1)")
    if not os.path.exists(DIGITS):
        sys.exit(f"prepare_data.py: {DIGITS}: not found [hint: apt-get install python3-sklearn]")
    x, y = load_digits()
    rng = np.random.default_rng(a.seed)
    train, test = stratified_test(y, a.test_fraction, rng)
    parts = shards(train, y, a.clients, a.split, rng)
    os.makedirs(a.out_dir, exist_ok=True)
    save(os.path.join(a.out_dir, "test_x.pb"), x[test], "test_x")
    save(os.path.join(a.out_dir, "test_y.pb"), y[test], "test_y")
    info = {"source": DIGITS, "split": a.split, "seed": a.seed, "test": len(test), "clients": []}
    for k, rows in enumerate(parts, start=1):
        save(os.path.join(a.out_dir, f"client{k}_x.pb"), x[rows], "x")
        save(os.path.join(a.out_dir, f"client{k}_y.pb"), one_hot(y[rows]), "y")
        save(os.path.join(a.out_dir, f"client{k}_labels.pb"), y[rows], "labels")
        info["clients"].append({"examples": len(rows),
                                "labels": np.bincount(y[rows], minlength=CLASSES).tolist()})
    with open(os.path.join(a.out_dir, "split.json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"prepare_data.py: {len(test)} test and {a.clients} x {len(parts[0])} training examples "
          f"({a.split}) in {a.out_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
