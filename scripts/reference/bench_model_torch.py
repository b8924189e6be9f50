#!/usr/bin/env python3
"""PyTorch side of `qcs bench model`: one full SAM(Adam) training step of our reference QCS
model (scripts/reference/qcs_reference.py) in eager mode, on random quadruplets.

Distances use torch.cdist here (as an optimised PyTorch implementation would), not the
reference's difference form, so the peer is as fast as plain PyTorch gets. --autocast runs the
forward passes under torch.autocast("cpu", dtype=torch.bfloat16), as a user after speed on a CPU
with bfloat16 units would (the backward follows the forward's dtypes). --compile runs the training
loss through torch.compile (Inductor, its default mode), forward and backward; the warm-up step pays
for the compilation, which is not timed.
Prints one JSON object as its last line: {"step": median seconds, "rss_mib": peak RSS}.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qcs_reference  # noqa: E402


def peak_rss_mib():
    """VmHWM of this process; ru_maxrss would include the parent's peak (Linux keeps it across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cdist_distance(a, b):
    return torch.cdist(a, b)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--autocast", action="store_true", help="bfloat16 autocast around the forward passes")
    parser.add_argument("--compile", action="store_true", help="the training loss through torch.compile")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    qcs_reference.pairwise_distance = cdist_distance

    model = qcs_reference.build(args.preset, seed=0).train()
    cfg = model.cfg
    params = [p for p in model.parameters() if p.requires_grad]
    adam = torch.optim.Adam(params, lr=1e-6, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    s, b, k = cfg["image_size"], args.batch, cfg["num_classes"]
    images = [torch.randn(b, 3, s, s) for _ in range(4)]
    y = torch.arange(b) % k
    y2 = (y + 1) % k

    training_loss = torch.compile(model.training_loss) if args.compile else model.training_loss

    def loss():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast):
            return training_loss(*images, y, y2)[0]

    def step():
        qcs_reference.sam_adam_step(params, adam, loss)

    step()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    rss = peak_rss_mib()
    print(json.dumps({"step": times[len(times) // 2], "rss_mib": rss}))


if __name__ == "__main__":
    main()
