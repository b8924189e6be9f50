"""How far PyTorch's bfloat16 autocast moves the tiny model's loss and gradients from float32.

The figure qcs's bf16 mode is judged against (docs/ENGINE.md, "Mixed precision"): the same model
(qcs_reference), the same initialisation and random quadruplets as the model fixtures, one
training forward and backward in float32, one under torch.autocast("cpu", torch.bfloat16), and
one in qcs's scheme (`QCSScheme`: bfloat16 operands, float32 results, Winograd aside).
Prints the loss of each, the relative difference of all gradients together (in norm) and the
largest per-tensor relative difference. Needs only torch.

    PYTHON scripts/reference/bf16_gradient_error.py [--batch 3 8 24]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_fixtures as fixtures  # noqa: E402


class RoundedOperand(torch.autograd.Function):
    """Forward: x rounded to bfloat16 (kept as float32). Backward: the gradient passes unchanged."""

    @staticmethod
    def forward(ctx, x):
        return x.bfloat16().float()

    @staticmethod
    def backward(ctx, g):
        return g


class RoundedGradient(torch.autograd.Function):
    """Forward: identity. Backward: the incoming gradient rounded to bfloat16, as the GEMMs of
    the backward pass read it."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g.bfloat16().float()


class QCSScheme:
    """qcs's bf16 mode in PyTorch: convolutions, linear layers and attention products read
    bfloat16-rounded operands (forward and backward) and write float32; nothing else changes."""

    def __enter__(self):
        F = torch.nn.functional
        self.saved = (F.conv2d, F.linear, torch.Tensor.__matmul__)
        conv2d, linear, matmul = self.saved
        r, rg = RoundedOperand.apply, RoundedGradient.apply
        F.conv2d = lambda x, w, b=None, *a, **k: rg(conv2d(r(x), r(w), b, *a, **k))
        F.linear = lambda x, w, b=None: rg(linear(r(x), r(w), b))
        torch.Tensor.__matmul__ = lambda x, y: rg(matmul(r(x), r(y)))

    def __exit__(self, *exc):
        F = torch.nn.functional
        F.conv2d, F.linear, torch.Tensor.__matmul__ = self.saved


def loss_and_gradients(model, images, y, y2, mode):
    model.zero_grad(set_to_none=True)
    model.train()
    context = {"fp32": torch.autocast("cpu", enabled=False),
               "autocast": torch.autocast("cpu", dtype=torch.bfloat16),
               "qcs": QCSScheme()}[mode]
    with context:
        loss, _ = model.training_loss(*images, y, y2)
    loss.backward()
    return loss.item(), {n: p.grad.detach().float().clone() for n, p in model.named_parameters() if p.grad is not None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[3, 8, 24])
    parser.add_argument("--seed", type=int, default=fixtures.CASES["tiny"]["seed"])
    args = parser.parse_args()
    torch.set_num_threads(2)
    for batch in args.batch:
        _, model, images, y, y2 = fixtures.build_case("tiny", args.seed, batch, torch.float32)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        loss32, grads32 = loss_and_gradients(model, images, y, y2, "fp32")
        for mode in ("autocast", "qcs"):
            model.load_state_dict(state)
            loss16, grads16 = loss_and_gradients(model, images, y, y2, mode)
            diff = sum(float(((grads16[n] - g) ** 2).sum()) for n, g in grads32.items())
            norm = sum(float((g ** 2).sum()) for g in grads32.values())
            per = {n: float((grads16[n] - g).norm() / g.norm().clamp_min(1e-12)) for n, g in grads32.items()}
            worst = max(per, key=per.get)
            print(f"batch {batch}, {mode}: loss fp32 {loss32:.6f} bf16 {loss16:.6f} "
                  f"(relative {abs(loss16 - loss32) / abs(loss32):.2e}); gradients relative {(diff / norm) ** 0.5:.4f}; "
                  f"worst {worst} {per[worst]:.3f}; median tensor {sorted(per.values())[len(per) // 2]:.4f}")


if __name__ == "__main__":
    main()
