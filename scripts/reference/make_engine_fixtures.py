#!/usr/bin/env python3
"""Golden forward/backward results from PyTorch for the engine's ops.

Writes one safetensors file per case into Tests/AutogradTests/Fixtures/ and a README.md
listing them. Each file holds the case's inputs and parameters, a fixed upstream gradient `dy`,
the forward output `y` and, for every input and parameter `name`, its gradient `dname` from
`y.backward(dy)`. Hyper-parameters are in the file's metadata as strings.

Inputs are drawn as float32 (so the stored values are exactly what was used); PyTorch then
computes in float64 and the results are stored as float32, so the fixtures carry no float32
rounding of their own and the Swift tests measure only the engine's error.

Run:  PYTHON scripts/reference/make_engine_fixtures.py
Needs torch only; tests and builds never run this. Files are written by `save_safetensors`
below rather than the `safetensors` package, whose header order changes from run to run: this
way regenerating unchanged cases gives byte-identical files.
"""
import json
import pathlib
import struct

import torch
import torch.nn.functional as F

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "Tests/AutogradTests/Fixtures"
CASES = []  # (file stem, description) for the README


def save_safetensors(path, tensors, metadata):
    """Minimal safetensors writer: sorted names, data in that order, header padded to 8 bytes."""
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": dict(sorted(metadata.items()))}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        blob = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def randn(gen, *shape, scale=1.0, shift=0.0):
    return (torch.randn(*shape, generator=gen) * scale + shift).to(torch.float32)


def run_case(stem, description, seed, forward, inputs, metadata, extra=None):
    """Runs `forward(**leaves)` in float64 with every tensor of `inputs` a leaf, back-propagates
    a random `dy` (a fixed scalar for scalar outputs) and saves everything.

    inputs: name -> float32 tensor (int64 tensors are passed through without gradients).
    extra:  called as extra(leaves, y) after backward; returns more tensors to save.
    """
    gen = torch.Generator().manual_seed(seed + 1000)
    leaves = {}
    for name, t in inputs.items():
        leaves[name] = t.double().requires_grad_() if t.is_floating_point() else t
    y = forward(**leaves)
    dy = torch.tensor(0.75, dtype=torch.float32) if y.dim() == 0 else randn(gen, *y.shape)
    y.backward(dy.double())

    out = dict(inputs)
    out["dy"] = dy
    out["y"] = y.detach()
    for name, leaf in leaves.items():
        if leaf.is_floating_point():
            out["d" + name] = leaf.grad
    if extra is not None:
        out.update(extra(leaves, y))
    out = {k: (v.detach().to(torch.float32) if v.is_floating_point() else v).contiguous() for k, v in out.items()}
    meta = {k: str(v) for k, v in metadata.items()}
    meta.update(case=stem, reference=f"torch {torch.__version__}, float64 compute, stored as float32")
    save_safetensors(FIXTURES / f"{stem}.safetensors", out, meta)
    CASES.append((stem, description, sorted(out), meta))


# MARK: - Convolution

def conv_cases():
    specs = [  # stem, x shape, weight shape, stride, padding, bias
        ("conv2d_3x3_s1_p1", (2, 3, 6, 6), (4, 3, 3, 3), 1, 1, True),
        ("conv2d_3x3_s2_p1_odd", (2, 3, 7, 7), (4, 3, 3, 3), 2, 1, False),
        ("conv2d_1x1_s1", (2, 4, 5, 5), (6, 4, 1, 1), 1, 0, True),
        ("conv2d_1x1_s2", (2, 4, 6, 6), (6, 4, 1, 1), 2, 0, False),
    ]
    for i, (stem, xs, ws, stride, padding, has_bias) in enumerate(specs):
        gen = torch.Generator().manual_seed(10 + i)
        inputs = {"x": randn(gen, *xs), "weight": randn(gen, *ws, scale=0.3)}
        if has_bias:
            inputs["bias"] = randn(gen, ws[0], scale=0.1)
        run_case(stem, f"conv2d {ws[2]}x{ws[3]} stride {stride} padding {padding} on {xs[2]}x{xs[3]}"
                 f"{' with' if has_bias else ', no'} bias", 10 + i,
                 lambda x, weight, bias=None, s=stride, p=padding: F.conv2d(x, weight, bias, stride=s, padding=p),
                 inputs, {"op": "conv2d", "stride": stride, "padding": padding, "bias": int(has_bias)})


# MARK: - Normalisation

def batchnorm_cases():
    for i, training in enumerate([True, False]):
        gen = torch.Generator().manual_seed(20 + i)
        c = 3
        inputs = {"x": randn(gen, 4, c, 5, 5, scale=2.0, shift=0.5),
                  "weight": randn(gen, c, scale=0.1, shift=1.0), "bias": randn(gen, c, scale=0.1)}
        running_mean = randn(gen, c, scale=0.1)
        running_var = (torch.rand(c, generator=gen) * 0.5 + 0.75).to(torch.float32)
        stats = {}

        def forward(x, weight, bias):
            stats["mean"], stats["var"] = running_mean.double(), running_var.double()
            return F.batch_norm(x, stats["mean"], stats["var"], weight, bias, training=training,
                                momentum=0.1, eps=1e-5)

        mode = "train" if training else "eval"
        run_case(f"batchnorm2d_{mode}",
                 "batch-norm 2d, " + ("train mode: batch statistics; new_running_* after one update "
                                      "(momentum 0.1, unbiased variance)" if training
                                      else "eval mode: running statistics, which stay unchanged"),
                 20 + i, forward, inputs,
                 {"op": "batchNorm2d", "training": int(training), "momentum": 0.1, "eps": 1e-5},
                 extra=lambda leaves, y: {"running_mean": running_mean, "running_var": running_var,
                                          "new_running_mean": stats["mean"], "new_running_var": stats["var"]})


def layernorm_cases():
    for i, eps in enumerate([1e-6, 1e-5]):
        gen = torch.Generator().manual_seed(30 + i)
        x = randn(gen, 2, 5, 8)
        # One row of tiny variance (~1e-5) so that eps visibly changes the result.
        x[0, 0] *= 0.003
        inputs = {"x": x, "weight": randn(gen, 8, scale=0.1, shift=1.0), "bias": randn(gen, 8, scale=0.1)}
        run_case(f"layernorm_eps{eps:.0e}".replace("e-0", "e-"), f"layer-norm over the last axis (8), eps {eps:g}",
                 30 + i, lambda x, weight, bias, e=eps: F.layer_norm(x, (8,), weight, bias, eps=e),
                 inputs, {"op": "layerNorm", "eps": f"{eps:g}", "normalized_shape": 8})


# MARK: - Activations

def activation_cases():
    gen = torch.Generator().manual_seed(40)
    run_case("gelu", "exact (erf) GELU", 40, lambda x: F.gelu(x), {"x": randn(gen, 4, 16, scale=2.5)},
             {"op": "gelu", "approximate": "none"})
    gen = torch.Generator().manual_seed(41)
    run_case("prelu", "PReLU with one slope per channel (axis 1)", 41, lambda x, slopes: F.prelu(x, slopes),
             {"x": randn(gen, 2, 3, 4, 4), "slopes": randn(gen, 3, scale=0.1, shift=0.25)}, {"op": "prelu"})


def softmax_cases():
    for i, (fn, op) in enumerate([(torch.softmax, "softmax"), (torch.log_softmax, "log_softmax")]):
        for j, axis in enumerate([1, 3]):
            gen = torch.Generator().manual_seed(50 + 2 * i + j)
            suffix = "lastaxis" if axis == 3 else f"axis{axis}"
            run_case(f"{op}_{suffix}", f"{op} over axis {axis} of a rank-4 tensor", 50 + 2 * i + j,
                     lambda x, f=fn, a=axis: f(x, dim=a), {"x": randn(gen, 2, 4, 3, 5, scale=3.0)},
                     {"op": op, "axis": axis})


# MARK: - Linear and attention

def linear_case():
    gen = torch.Generator().manual_seed(60)
    run_case("linear", "y = x·Wᵀ + b on a rank-3 input", 60, lambda x, weight, bias: F.linear(x, weight, bias),
             {"x": randn(gen, 3, 4, 6), "weight": randn(gen, 5, 6, scale=0.4), "bias": randn(gen, 5, scale=0.1)},
             {"op": "linear"})


def attention_case():
    B, T, D, H = 2, 5, 8, 2
    Dh = D // H
    gen = torch.Generator().manual_seed(70)
    inputs = {"x": randn(gen, B, T, D),
              "qkv_weight": randn(gen, 3 * D, D, scale=0.5), "qkv_bias": randn(gen, 3 * D, scale=0.1),
              "proj_weight": randn(gen, D, D, scale=0.4), "proj_bias": randn(gen, D, scale=0.1)}
    saved = {}

    def forward(x, qkv_weight, qkv_bias, proj_weight, proj_bias):
        # timm's Attention: one qkv Linear, heads split from the last axis as (3, H, Dh).
        qkv = F.linear(x, qkv_weight, qkv_bias)
        qkv.retain_grad()
        q, k, v = qkv.reshape(B, T, 3, H, Dh).permute(2, 0, 3, 1, 4)
        attn = torch.softmax((q * Dh ** -0.5) @ k.transpose(-2, -1), dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(B, T, D)
        out.retain_grad()
        saved.update(qkv=qkv, attn_out=out)
        return F.linear(out, proj_weight, proj_bias)

    run_case("attention", "timm multi-head self-attention: qkv Linear, softmax(q·kᵀ/√Dh)·v, proj Linear; "
             "qkv/attn_out are the intermediate values and dqkv/dattn_out their gradients", 70, forward, inputs,
             {"op": "selfAttention", "heads": H, "scale": Dh ** -0.5},
             extra=lambda leaves, y: {"qkv": saved["qkv"], "attn_out": saved["attn_out"],
                                      "dqkv": saved["qkv"].grad, "dattn_out": saved["attn_out"].grad})


# MARK: - Loss

def cross_entropy_cases():
    variants = [("cross_entropy_mean", 0.0, False), ("cross_entropy_smooth", 0.1, False),
                ("cross_entropy_weighted", 0.0, True), ("cross_entropy_weighted_smooth", 0.1, True)]
    for i, (stem, smoothing, weighted) in enumerate(variants):
        gen = torch.Generator().manual_seed(80 + i)
        N, C = 6, 5
        logits = randn(gen, N, C, scale=2.0)
        labels = torch.randint(0, C, (N,), generator=gen, dtype=torch.int64)
        weights = (torch.rand(C, generator=gen) + 0.5).to(torch.float32)

        def forward(logits, ls=smoothing, w=weights.double() if weighted else None):
            return F.cross_entropy(logits, labels, weight=w, label_smoothing=ls, reduction="mean")

        extra = (lambda leaves, y, w=weights: {"labels": labels, "class_weights": w}) if weighted \
            else (lambda leaves, y: {"labels": labels})
        run_case(stem, f"cross-entropy, mean over the batch, label smoothing {smoothing:g}"
                 + (", class weights (mean divides by Σ weight[label])" if weighted else ""),
                 80 + i, forward, {"logits": logits}, {"op": "crossEntropy", "label_smoothing": smoothing,
                                                       "weighted": int(weighted)}, extra=extra)


# MARK: - README

def write_readme():
    lines = [
        "# Engine fixtures",
        "",
        "Golden results from PyTorch for `PyTorchFixtureTests.swift`, one safetensors file per case.",
        "Regenerate (needs the PyTorch venv, plus `safetensors` for the second script; tests never do):",
        "",
        "    PYTHON scripts/reference/make_engine_fixtures.py",
        "    PYTHON scripts/reference/make_safetensors_fixture.py",
        "",
        "Naming: inputs and parameters under their own names (`x`, `weight`, `bias`, ...), the fixed",
        "upstream gradient `dy` (a scalar 0.75 for losses), the forward output `y`, and for every",
        "floating-point input or parameter `name` its gradient `dname` from `y.backward(dy)`.",
        "Hyper-parameters are string metadata (`stride`, `padding`, `eps`, `axis`, `heads`, ...).",
        "Inputs were drawn as float32; PyTorch computed in float64; everything is stored as float32",
        "(integer labels as I64).",
        "",
        "| file | case | tensors | metadata |",
        "|---|---|---|---|",
    ]
    for stem, description, names, meta in CASES:
        shown = ", ".join(f"{k}={v}" for k, v in meta.items() if k not in ("case", "reference"))
        lines.append(f"| `{stem}.safetensors` | {description} | {', '.join(f'`{n}`' for n in names)} | {shown} |")
    lines += [
        "| `pytorch_dtypes.safetensors` | written by PyTorch's `safetensors` for the Safetensors reader tests: "
        "F32, F16, BF16, F64, I64, I32, BOOL and an empty tensor | | format=pt |",
        "",
    ]
    (FIXTURES / "README.md").write_text("\n".join(lines))


def main():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    conv_cases()
    batchnorm_cases()
    layernorm_cases()
    activation_cases()
    softmax_cases()
    linear_case()
    attention_case()
    cross_entropy_cases()
    write_readme()
    total = sum((FIXTURES / f"{stem}.safetensors").stat().st_size for stem, *_ in CASES)
    print(f"wrote {len(CASES)} cases, {total} bytes, into {FIXTURES}")


if __name__ == "__main__":
    main()
