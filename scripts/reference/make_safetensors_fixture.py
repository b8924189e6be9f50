#!/usr/bin/env python3
"""Writes Tests/AutogradTests/Fixtures/pytorch_dtypes.safetensors with PyTorch's own
`safetensors` package, so the Swift reader is tested against a file it did not write.

Run:  PYTHON scripts/reference/make_safetensors_fixture.py
Needs torch and safetensors (pip install safetensors); tests and builds never run this.
"""
import pathlib

import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/AutogradTests/Fixtures/pytorch_dtypes.safetensors"


def main():
    g = torch.Generator().manual_seed(1234)
    special = [0.0, -0.0, 1.0, -2.5, 65504.0, 2.0**-14, 2.0**-24, 3.0 * 2.0**-24, 0.1, 3.14159,
               float("inf"), float("-inf"), 1e-3, -1e4, 1.0 + 2.0**-11, 1.0 + 3.0 * 2.0**-11]
    # Random values over many binades exercise rounding; float32 ties are included on purpose.
    spread = torch.randn(200, generator=g) * torch.pow(10.0, torch.randint(-6, 5, (200,), generator=g).float())
    source = torch.cat([torch.tensor(special), spread]).to(torch.float32)
    tensors = {
        "f32": torch.tensor([[1.5, -2.25, 0.0], [3.0e-8, 1e30, -7.0]], dtype=torch.float32),
        # `source` rounded by PyTorch; the Swift test rounds `source` itself and compares.
        "source": source,
        "f16": source.to(torch.float16),
        "bf16": source.to(torch.bfloat16),
        "f64": torch.tensor([1.0 / 3.0, -1e-300, 2.5, 1e300], dtype=torch.float64),
        "bn.num_batches_tracked": torch.tensor(7, dtype=torch.int64),
        "i64": torch.tensor([-3, 0, 2**40 + 1], dtype=torch.int64),
        "i32": torch.tensor([1, -2, 2**30], dtype=torch.int32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
        "mask": torch.tensor([True, False, True]),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(OUT), metadata={"format": "pt", "producer": f"torch {torch.__version__}"})
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
