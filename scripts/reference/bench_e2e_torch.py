#!/usr/bin/env python3
"""PyTorch side of `scripts/bench e2e`: trains our reference QCS model
(scripts/reference/qcs_reference.py) as a PyTorch user would with DistributedDataParallel on gloo:
the same RAF-DB-layout image folder read from disk by a DataLoader (PIL decode, resize, random
flip, normalisation: fewer steps than qcs's RAF-DB recipe, so the peer's data work is lighter),
quadruplets as qcs samples them, SAM around Adam with both passes' gradients averaged by DDP.

    PYTHON scripts/reference/bench_e2e_torch.py --data DIR --ranks 2 --batch 8 --steps 4

--batch is the global batch (quadruplets over all ranks). The first step is a warm-up. Prints one
JSON object as its last line: median seconds per step, median data wait, quadruplets/s and the
largest peak RSS of the ranks (MiB). Needs torch, numpy and pillow.
"""
import argparse
import json
import os
import random
import socket
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qcs_reference  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def read_rafdb(root):
    """Training images and labels 0-6 of a RAF-DB basic layout."""
    items = []
    with open(os.path.join(root, "basic/EmoLabel/list_patition_label.txt")) as f:
        for line in f:
            name, label = line.split()
            if name.startswith("train_"):
                stem = name.rsplit(".", 1)[0]
                items.append((os.path.join(root, "basic/Image/aligned", stem + "_aligned.jpg"), int(label) - 1))
    return items


class Quadruplets(torch.utils.data.Dataset):
    """Item k: anchor k of this rank's plan, a positive of its class, two negatives of one other class."""

    def __init__(self, items, size, plan):
        self.items, self.size, self.plan = items, size, plan
        self.by_class = {}
        for i, (_, label) in enumerate(items):
            self.by_class.setdefault(label, []).append(i)

    def __len__(self):
        return len(self.plan)

    def image(self, i, rng):
        picture = Image.open(self.items[i][0]).convert("RGB").resize((self.size, self.size), Image.BILINEAR)
        if rng.random() < 0.5:
            picture = picture.transpose(Image.FLIP_LEFT_RIGHT)
        x = (np.asarray(picture, dtype=np.float32) / 255 - MEAN) / STD
        return torch.from_numpy(x.transpose(2, 0, 1).copy())

    def __getitem__(self, k):
        rng = random.Random(k)
        a = self.plan[k]
        y = self.items[a][1]
        p = rng.choice(self.by_class[y])
        y2 = rng.choice([c for c in self.by_class if c != y])
        n, n2 = rng.choice(self.by_class[y2]), rng.choice(self.by_class[y2])
        return (self.image(a, rng), self.image(p, rng), self.image(n, rng), self.image(n2, rng),
                torch.tensor(y), torch.tensor(y2))


class TrainingLoss(torch.nn.Module):
    """DDP reduces gradients of what forward() used: forward is the training loss."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, a, p, n, n2, y, y2):
        return self.model.training_loss(a, p, n, n2, y, y2)[0]


def worker(rank, args, port, out):
    torch.set_num_threads(args.threads)
    if args.ranks > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        dist.init_process_group("gloo", rank=rank, world_size=args.ranks)
    qcs_reference.pairwise_distance = torch.cdist
    model = qcs_reference.build(args.preset, seed=0).train()
    for name, parameter in model.named_parameters():
        if qcs_reference.is_never_used(name):
            parameter.requires_grad_(False)
    net = TrainingLoss(model)
    if args.ranks > 1:
        net = torch.nn.parallel.DistributedDataParallel(net)
    params = [p for p in net.parameters() if p.requires_grad]
    adam = torch.optim.Adam(params, lr=3e-6, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    items = read_rafdb(args.data)
    per_rank = args.batch // args.ranks
    order = list(range(len(items)))
    random.Random(0).shuffle(order)
    plan = order[rank::args.ranks]
    loader = torch.utils.data.DataLoader(Quadruplets(items, model.cfg["image_size"], plan), batch_size=per_rank,
                                         num_workers=args.loader_workers, drop_last=True)
    batches = iter(loader)

    def step(batch):
        qcs_reference.sam_adam_step(params, adam, lambda: net(*batch))

    steps, waits = [], []
    for _ in range(args.steps):
        start = time.perf_counter()
        batch = next(batches)
        waited = time.perf_counter() - start
        step(batch)
        if args.ranks > 1:
            dist.barrier()
        steps.append(time.perf_counter() - start)
        waits.append(waited)
    out[rank] = (steps[1:], waits[1:], peak_rss_mib())
    if args.ranks > 1:
        dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--ranks", type=int, default=1)
    parser.add_argument("--batch", type=int, default=8, help="global batch, quadruplets")
    parser.add_argument("--steps", type=int, default=4, help="steps, the first one a warm-up")
    parser.add_argument("--threads", type=int, default=1, help="compute threads per rank")
    parser.add_argument("--loader-workers", type=int, default=1)
    args = parser.parse_args()
    assert args.batch % args.ranks == 0 and args.steps >= 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = mp.Manager().dict()
    if args.ranks == 1:
        worker(0, args, port, out)
    else:
        mp.spawn(worker, args=(args, port, out), nprocs=args.ranks, join=True)
    steps = [max(out[r][0][k] for r in range(args.ranks)) for k in range(args.steps - 1)]
    waits = [out[0][1][k] for k in range(args.steps - 1)]
    step = sorted(steps)[len(steps) // 2]
    print(json.dumps({"step_s": step, "data_s": sorted(waits)[len(waits) // 2], "quadruplets_per_s": args.batch / step,
                      "rss_mib": max(out[r][2] for r in range(args.ranks))}))


if __name__ == "__main__":
    main()
