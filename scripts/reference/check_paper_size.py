#!/usr/bin/env python3
"""Paper-size check of the QCS base path: build the `paper` preset with docs/MODEL.md's
initialisation, save its weights (official names) with one normalised 224x224 image and the
PyTorch base logits, so the Swift engine can load the same file and compare.

    scripts/reference/check_paper_size.sh [PYTHON] [OUT.safetensors]
    PYTHON scripts/reference/check_paper_size.py --out /tmp/qcs_paper_check/paper.safetensors

The file (about 270 MB) holds: every parameter and buffer under its official name (F32;
num_batches_tracked I64 []), `input` [1, 3, 224, 224], `base_logits.eval` [1, K] (eval mode:
BatchNorm with the initial running stats, mean 0 / var 1), `tokens.eval` [1, 147, 768] (T after
VIT_base's final norm), and `base_logits.train` [1, K] (train mode: BatchNorm with the statistics
of this one image; run after the eval pass, on a copy, so the stored buffers are the initial ones).
Computed in float32, like the Swift engine; a float64 run of the same gives the noise level.
Metadata: config (JSON), seed, float32-vs-float64 differences. Not for committing.
"""
import argparse
import copy
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qcs_reference as ref  # noqa: E402


MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def normalised_image(seed, size):
    """Pixels U(0, 1), normalised with the ImageNet mean and std, as the loader would."""
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.rand(1, 3, size, size, generator=gen)
    return (pixels - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="/tmp/qcs_paper_check/paper.safetensors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    cfg = ref.make_config("paper")
    model = ref.build(cfg, seed=args.seed)
    counts = ref.parameter_counts(model)
    print(f"paper preset: inference part {counts['inference']:,} parameters, training total {counts['total']:,}")
    weights = {n: t.detach().clone().contiguous() for n, t in model.state_dict().items()}
    image = normalised_image(args.seed + 1, cfg["image_size"])

    model.eval()
    with torch.no_grad():
        start = time.perf_counter()
        logits, tokens = model.forward_base(image)
        seconds = time.perf_counter() - start
    print(f"eval forward (float32, batch 1, {torch.get_num_threads()} threads): {seconds:.2f} s")

    trained = copy.deepcopy(model).train()
    with torch.no_grad():
        logits_train, _ = trained.forward_base(image)

    model64 = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        logits64, tokens64 = model64.forward_base(image.double())
        logits64_train, _ = copy.deepcopy(model64).train().forward_base(image.double())
    noise = {
        "base_logits.eval": (logits.double() - logits64).abs().max().item(),
        "tokens.eval": (tokens.double() - tokens64).abs().max().item(),
        "base_logits.train": (logits_train.double() - logits64_train).abs().max().item(),
    }

    tensors = dict(weights)
    tensors.update({"input": image, "base_logits.eval": logits, "tokens.eval": tokens,
                    "base_logits.train": logits_train})
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    metadata = {"format": "qcs-paper-check", "version": "1", "config": json.dumps(cfg, sort_keys=True),
                "seed": str(args.seed), "init": "spec (qcs_reference.init_spec_)", "compute": "float32",
                "float32_vs_float64_max_abs": json.dumps(noise), "torch": torch.__version__,
                "generator": "scripts/reference/check_paper_size.py"}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    ref.write_safetensors(args.out, tensors, metadata)
    torch.set_printoptions(precision=8, linewidth=160)
    print("base logits (eval):", logits)
    print("base logits (train-mode BatchNorm):", logits_train)
    print("float32 vs float64 max |diff|:", ", ".join(f"{k} {v:.1e}" for k, v in noise.items()))
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.0f} MB, {len(tensors)} tensors)")
    summary = os.path.splitext(args.out)[0] + ".json"
    with open(summary, "w") as f:
        json.dump({"config": cfg, "seed": args.seed, "base_logits_eval": logits.tolist(),
                   "base_logits_train": logits_train.tolist(), "float32_vs_float64_max_abs": noise,
                   "parameters": counts}, f, indent=1)
    print(f"wrote {summary}")


if __name__ == "__main__":
    main()
