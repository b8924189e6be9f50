#!/usr/bin/env python3
"""Compares the float tensors of two safetensors files (standard library only).

Usage: scripts/compare_weights.py A.safetensors B.safetensors [--rtol R] [--atol A]
Exit 0 when every tensor of A is in B with the same shape and |a - b| <= atol + rtol·|b| for every
element (NaN never matches); otherwise prints the worst tensors and exits 1. The multi-rank tests
use it to check that N ranks trained what one rank trains.
"""
import array
import json
import math
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        start, end = entry["data_offsets"]
        values = array.array("f")
        values.frombytes(body[start:end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (entry["shape"], values)
    return tensors


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    rtol = float(argv[argv.index("--rtol") + 1]) if "--rtol" in argv else 1e-4
    atol = float(argv[argv.index("--atol") + 1]) if "--atol" in argv else 1e-6
    a_path, b_path = args[0], args[1]
    a, b = read(a_path), read(b_path)
    problems = []
    worst = (0.0, "")
    for name, (shape, values) in a.items():
        if name not in b:
            problems.append(f"{name}: missing from {b_path}")
            continue
        other_shape, other = b[name]
        if shape != other_shape:
            problems.append(f"{name}: shape {shape} vs {other_shape}")
            continue
        bad = 0
        for x, y in zip(values, other):
            excess = abs(x - y) - (atol + rtol * abs(y))
            if math.isnan(x) or math.isnan(y) or excess > 0:
                bad += 1
            limit = atol + rtol * abs(y)
            if math.isnan(x) or math.isnan(y):
                ratio = math.inf
            elif limit > 0:
                ratio = abs(x - y) / limit
            else:  # --rtol 0 --atol 0: bit-for-bit
                ratio = 0.0 if x == y else math.inf
            if ratio > worst[0]:
                worst = (ratio, f"{name}: {x!r} vs {y!r}")
        if bad:
            problems.append(f"{name}: {bad} of {len(values)} elements differ beyond rtol {rtol}, atol {atol}")
    print(f"compared {len(a)} tensors; worst element at {worst[0]:.3g} of the tolerance ({worst[1]})")
    for p in problems[:20]:
        print("  " + p)
    return 1 if problems or not a else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
