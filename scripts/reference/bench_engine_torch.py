#!/usr/bin/env python3
"""PyTorch side of `qcs bench engine`: the same shapes, forward + backward, median seconds.

Prints one JSON object {case: seconds} as its last line (keys match qcs: conv64, conv128,
conv256, vit, sgemm). --autocast runs the forwards under torch.autocast("cpu", torch.bfloat16) and
times a bfloat16 1024³ matmul for "sgemm". Optional tool: qcs never needs PyTorch to build or test.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


class Block(nn.Module):
    """Pre-norm transformer block written from docs/MODEL.md (LN, MHSA with qkv bias, MLP with GELU)."""

    def __init__(self, width, heads, ratio=4):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, eps=1e-6)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width, eps=1e-6)
        self.fc1 = nn.Linear(width, ratio * width)
        self.fc2 = nn.Linear(ratio * width, width)

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * (d // h) ** -0.5
        out = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(out)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--autocast", action="store_true", help="bfloat16 autocast around the forwards")
    args = parser.parse_args()
    autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.autocast)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    result = {}

    dtype = torch.bfloat16 if args.autocast else torch.float32
    a = torch.randn(1024, 1024).to(dtype)
    b = torch.randn(1024, 1024).to(dtype)
    result["sgemm"] = median_time(lambda: a @ b, args.repeats)

    for c, size in [(64, 56), (128, 28), (256, 14)]:
        x = torch.randn(args.batch, c, size, size, requires_grad=True)
        w = (torch.randn(c, c, 3, 3) * 0.05).requires_grad_()
        bias = torch.zeros(c, requires_grad=True)
        dy = torch.randn(args.batch, c, size, size)

        def step():
            with autocast():
                y = F.conv2d(x, w, bias, stride=1, padding=1)
            y.backward(dy.to(y.dtype))
            x.grad = w.grad = bias.grad = None

        result[f"conv{c}"] = median_time(step, args.repeats)

    block = Block(768, 8)
    x = torch.randn(args.batch, 148, 768, requires_grad=True)
    dy = torch.randn(args.batch, 148, 768)

    def vit_step():
        with autocast():
            y = block(x)
        y.backward(dy.to(y.dtype))
        block.zero_grad(set_to_none=True)
        x.grad = None

    result["vit"] = median_time(vit_step, args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
