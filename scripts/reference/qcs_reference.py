#!/usr/bin/env python3
"""Independent PyTorch reference of the QCS model (Wang et al., "QCS: Feature Refining from
Quadruplet Cross Similarity for Facial Expression Recognition", AAAI 2025), written from
docs/MODEL.md. It exists to produce golden fixtures for the Swift engine; qcs never
needs PyTorch to build or test.

Shape legend used in the comments: B images, C channels, H/W spatial, N tokens per group,
T = 3N tokens, D embedding width, E head width, K classes.

Parameter and buffer names equal the official checkpoint's (`qcs_official_state_dict.tsv`).
Modules that the released model declares but never runs (IR-50 output layer,
VIT_*.patch_embed, eca_block, CON1, IRLinear1/2, blocks.*.conv) are not built.

Run as a script to check the names against the TSV, print parameter counts of the paper
preset and run the numerical self-checks:
    PYTHON scripts/reference/qcs_reference.py --tsv PATH [--skip-gradcheck]
"""
import argparse
import copy
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

BRANCHES = ("anchor", "positive", "negative", "negative2")

# MARK: - Configuration

PAPER = dict(
    image_size=224, downsample=2, stage_widths=[64, 128, 256], stage_units=[3, 4, 14],
    embed_dim=768, heads=8, base_depth=2, cross_depth=1, mlp_ratio=4, num_classes=7,
    cross_pos_dropout=0.0, cross_mlp_dropout=0.0, cross_proj_dropout=0.0,
    vit_ln_eps=1e-6, csa_ln_eps=1e-5,
)
PRESETS = {
    "paper": PAPER,
    "tiny": dict(PAPER, image_size=64, stage_widths=[8, 16, 32], stage_units=[1, 1, 2],
                 embed_dim=32, heads=2),
    "mid": dict(PAPER, image_size=96, stage_widths=[16, 32, 64], stage_units=[2, 2, 3],
                embed_dim=64, heads=4),
}


def make_config(preset="paper", **overrides):
    """A full config dict: the named preset with `overrides` applied; unknown keys are errors."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    cfg = copy.deepcopy(PRESETS[preset])
    for key, value in overrides.items():
        if key not in cfg:
            raise ValueError(f"unknown config key {key!r}")
        cfg[key] = value
    validate_config(cfg)
    return cfg


def validate_config(cfg):
    side = cfg["image_size"] // cfg["downsample"]
    if cfg["image_size"] % cfg["downsample"] or side % 16 or side < 16:
        raise ValueError(f"image_size/downsample must be a multiple of 16, got {cfg['image_size']}/{cfg['downsample']}")
    if cfg["embed_dim"] % cfg["heads"]:
        raise ValueError(f"heads ({cfg['heads']}) must divide embed_dim ({cfg['embed_dim']})")
    if len(cfg["stage_widths"]) != 3 or len(cfg["stage_units"]) != 3:
        raise ValueError("stage_widths and stage_units need three entries (IR-50 stages 1-3)")


def grid_size(cfg):
    """Side of each token grid: the network input (image_size/downsample) after four stride-2 steps."""
    return cfg["image_size"] // cfg["downsample"] // 16


def tokens_per_group(cfg):
    return grid_size(cfg) ** 2


# MARK: - IR-50 stages 1-3 (ir_back.*)

class BottleneckIR(nn.Module):
    """IR unit in→out with stride s (x [B, in, H, W] → [B, out, H/s, W/s]).

    residual = BN(in) → conv3x3 s1 → PReLU → conv3x3 stride s → BN(out);
    shortcut = subsample by s (keep pixels (s·i, s·j)) when in == out, else conv1x1 stride s → BN.
    Output = residual + shortcut, no activation after the sum.
    """

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.stride = stride
        if cin == cout:
            self.shortcut_layer = None  # 1x1 max-pool with stride s = plain subsampling, no parameters
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(cin),
            nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
            nn.PReLU(cout),
            nn.Conv2d(cout, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
        )

    def forward(self, x):
        if self.shortcut_layer is None:
            shortcut = x[:, :, ::self.stride, ::self.stride]
        else:
            shortcut = self.shortcut_layer(x)
        return self.res_layer(x) + shortcut


class IRBackbone(nn.Module):
    """x [B, 3, S, S] → stage outputs [B, w1, S/2, S/2], [B, w2, S/4, S/4], [B, w3, S/8, S/8]."""

    def __init__(self, widths, units):
        super().__init__()
        self.input_layer = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.PReLU(widths[0]))
        cin = widths[0]
        for stage, (width, count) in enumerate(zip(widths, units), start=1):
            blocks = [BottleneckIR(cin, width, 2)] + [BottleneckIR(width, width, 1) for _ in range(count - 1)]
            setattr(self, f"body{stage}", nn.Sequential(*blocks))
            cin = width

    def forward(self, x):
        x = self.input_layer(x)
        x1 = self.body1(x)
        x2 = self.body2(x1)
        x3 = self.body3(x2)
        return x1, x2, x3


class Proj(nn.Module):
    """Holds one layer under the name `proj` (embed_v.proj in the official names)."""

    def __init__(self, layer):
        super().__init__()
        self.proj = layer

    def forward(self, x):
        return self.proj(x)


# MARK: - Vision transformer (VIT_base, VIT_cross)

class Attention(nn.Module):
    """x [B, T, D] → [B, T, D]: qkv Linear(D, 3D) → per head softmax(q·kᵀ·E^-½)·v → proj → dropout."""

    def __init__(self, dim, heads, proj_drop=0.0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        e = d // h
        qkv = self.qkv(x).reshape(b, t, 3, h, e).permute(2, 0, 3, 1, 4)  # [3, B, H, T, E]
        q, k, v = qkv[0], qkv[1], qkv[2]
        weights = torch.softmax((q @ k.transpose(-2, -1)) * e ** -0.5, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(b, t, d)
        return self.proj_drop(self.proj(out))


class Mlp(nn.Module):
    """x [..., D] → [..., D]: fc1 → GELU (erf) → dropout → fc2 → dropout (timm's order)."""

    def __init__(self, dim, hidden, drop=0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return self.drop(self.fc2(self.drop(F.gelu(self.fc1(x)))))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm1 x), then + mlp(norm2 x)."""

    def __init__(self, dim, heads, mlp_ratio, eps, mlp_drop=0.0, proj_drop=0.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, proj_drop)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp_ratio * dim, mlp_drop)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SEBlock(nn.Module):
    """c [B, D] → c · sigmoid(linear2(relu(linear1 c)))."""

    def __init__(self, dim):
        super().__init__()
        self.linear1 = nn.Linear(dim, dim)
        self.linear2 = nn.Linear(dim, dim)

    def forward(self, c):
        return c * torch.sigmoid(self.linear2(F.relu(self.linear1(c))))


class Head(nn.Module):
    def __init__(self, dim, classes):
        super().__init__()
        self.linear = nn.Linear(dim, classes)

    def forward(self, c):
        return self.linear(c)


class VisionTransformer(nn.Module):
    """tokens [B, T, D] → (logits [B, K], normalised patch tokens [B, T, D]).

    Prepend cls, add pos_embed [1, 1+T, D], dropout, blocks, final LayerNorm; the cls row goes
    through the SE gate and the head.
    """

    def __init__(self, tokens, dim, heads, depth, mlp_ratio, classes, eps,
                 pos_drop=0.0, mlp_drop=0.0, proj_drop=0.0):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + tokens, dim))
        self.pos_drop = nn.Dropout(pos_drop)
        self.blocks = nn.ModuleList(
            [Block(dim, heads, mlp_ratio, eps, mlp_drop, proj_drop) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.se_block = SEBlock(dim)
        self.head = Head(dim, classes)

    def forward(self, tokens):
        b = tokens.shape[0]
        x = torch.cat([self.cls_token.expand(b, -1, -1), tokens], dim=1) + self.pos_embed
        x = self.pos_drop(x)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        logits = self.head(self.se_block(x[:, 0]))
        return logits, x[:, 1:]


# MARK: - Cross Similarity Attention

def pairwise_distance(a, b):
    """a [B, N, E], b [B, M, E] → [B, N, M], entry [i, j] = ‖a_i − b_j‖₂.

    Computed from the differences (not the |a|²+|b|²−2ab expansion). The gradient at distance 0
    is defined as 0 (double `where`, so no NaN/inf reaches the graph).
    """
    diff = a.unsqueeze(2) - b.unsqueeze(1)
    sq = (diff * diff).sum(-1)
    positive = sq > 0
    safe = torch.where(positive, sq, torch.ones_like(sq))
    return torch.where(positive, torch.sqrt(safe), torch.zeros_like(sq))


def pooled_rows(m, eps=1e-12):
    """m [B, P, N] (rows = partner tokens, columns = target tokens) → [B, N]:
    each row divided by max(‖row‖₂, eps), then the rows summed."""
    norms = m.norm(dim=-1, keepdim=True).clamp_min(eps)
    return (m / norms).sum(dim=-2)


class CrossSimilarityAttention(nn.Module):
    """One CSA module (cross_attention_{1,2,3}) over the four branches' token groups.

    Inputs: four groups G_b [B, N, D] in the order anchor, positive, negative, negative2.
    1. X_b = norm1(G_b); [QK_b | V_b] = proj(X_b), each [B, N, D].
    2. D21 = dist(QK_2, QK_1), D43 = dist(QK_4, QK_3), D31 = dist(QK_3, QK_1), D42 = dist(QK_4, QK_2)
       ([B, N, N], rows = first argument's tokens).
    3. S = max(D) − D for D21, D43; D' = D − min(D) for D31, D42; max/min over the whole [B, N, N].
    4. m_b = softmax_N(pool(sim_b) + k·pool(diff_b)), k = 1 + tanh θ, pool = row L2 norm + row sum,
       with (sim, diff) = anchor (S21, D'31), positive (S21ᵀ, D'42), negative (S43, D'31ᵀ),
       negative2 (S43ᵀ, D'42ᵀ).
    5. Y_b = X_b + m_b ⊙ V_b (m broadcast over features); Z_b = norm2(Y_b); O_b = Z_b + mlp(Z_b).
    """

    def __init__(self, dim, mlp_ratio, eps):
        super().__init__()
        self.dim = dim
        self.theta = nn.Parameter(torch.zeros(()))
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.proj = nn.Linear(dim, 2 * dim)
        self.mlp = Mlp(dim, mlp_ratio * dim)

    def project(self, groups):
        xs = [self.norm1(g) for g in groups]
        qk, v = zip(*[self.proj(x).split(self.dim, dim=-1) for x in xs])
        return xs, list(qk), list(v)

    def weights_from_table(self, qk):
        """The four m vectors [B, N] from four distance matrices and transposes (docs/MODEL.md's table)."""
        t = lambda m: m.transpose(-2, -1)
        d21 = pairwise_distance(qk[1], qk[0])
        d43 = pairwise_distance(qk[3], qk[2])
        d31 = pairwise_distance(qk[2], qk[0])
        d42 = pairwise_distance(qk[3], qk[1])
        s21, s43 = d21.max() - d21, d43.max() - d43
        p31, p42 = d31 - d31.min(), d42 - d42.min()
        table = [(s21, p31), (t(s21), p42), (s43, t(p31)), (t(s43), t(p42))]
        return self._weights(table)

    def weights_direct(self, qk):
        """The same m vectors from eight partner-by-target distance matrices, written with
        different library calls (torch.cdist, F.normalize) — for verification only."""
        # (target, same-class partner, cross-class partner) per docs/MODEL.md's pairing list.
        pairs = [(0, 1, 2), (1, 0, 3), (2, 3, 0), (3, 2, 1)]
        k = 1 + torch.tanh(self.theta)
        dist = lambda a, b: torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")
        ms = []
        for target, same, cross in pairs:
            ds = dist(qk[same], qk[target])
            dc = dist(qk[cross], qk[target])
            s = F.normalize(ds.amax(dim=(0, 1, 2)) - ds, p=2, dim=2, eps=1e-12).sum(1)
            d = F.normalize(dc - dc.amin(dim=(0, 1, 2)), p=2, dim=2, eps=1e-12).sum(1)
            ms.append(F.softmax(s + k * d, dim=1))
        return ms

    def _weights(self, table):
        k = 1 + torch.tanh(self.theta)
        return [torch.softmax(pooled_rows(s) + k * pooled_rows(d), dim=-1) for s, d in table]

    def forward(self, groups):
        """groups: four [B, N, D] → (four O_b [B, N, D], four m_b [B, N])."""
        xs, qk, v = self.project(groups)
        ms = self.weights_from_table(qk)
        outs = []
        for x, vb, m in zip(xs, v, ms):
            z = self.norm2(x + m.unsqueeze(-1) * vb)
            outs.append(z + self.mlp(z))
        return outs, ms


# MARK: - QCS

class QCS(nn.Module):
    """The full QCS model. Inference = `forward_base`; training = `training_loss` (four branches)."""

    def __init__(self, cfg):
        super().__init__()
        validate_config(cfg)
        self.cfg = dict(cfg)
        w, d = cfg["stage_widths"], cfg["embed_dim"]
        n = tokens_per_group(cfg)
        self.ir_back = IRBackbone(w, cfg["stage_units"])
        self.conv1 = nn.Conv2d(w[0], w[0], 3, 2, 1)
        self.conv2 = nn.Conv2d(w[1], w[1], 3, 2, 1)
        self.conv3 = nn.Conv2d(w[2], w[2], 3, 2, 1)
        self.embed_q = nn.Sequential(nn.Conv2d(w[0], d, 3, 2, 1), nn.Conv2d(d, d, 3, 2, 1))
        self.embed_k = nn.Sequential(nn.Conv2d(w[1], d, 3, 2, 1))
        self.embed_v = Proj(nn.Conv2d(w[2], d, 1))
        common = dict(tokens=3 * n, dim=d, heads=cfg["heads"], mlp_ratio=cfg["mlp_ratio"],
                      classes=cfg["num_classes"], eps=cfg["vit_ln_eps"])
        self.VIT_base = VisionTransformer(depth=cfg["base_depth"], **common)
        self.VIT_cross = VisionTransformer(
            depth=cfg["cross_depth"], pos_drop=cfg["cross_pos_dropout"],
            mlp_drop=cfg["cross_mlp_dropout"], proj_drop=cfg["cross_proj_dropout"], **common)
        for i in (1, 2, 3):
            setattr(self, f"cross_attention_{i}",
                    CrossSimilarityAttention(d, cfg["mlp_ratio"], cfg["csa_ln_eps"]))

    # -- base path

    def tokens(self, x, trace=None):
        """x [B, 3, image_size, image_size] → tokens [B, 3N, D] (groups q, k, v)."""
        s = self.cfg["downsample"]
        x = x[:, :, ::s, ::s]  # nearest downsample: keeps pixels (s·i, s·j)
        x1, x2, x3 = self.ir_back(x)
        q = self.embed_q(self.conv1(x1))
        k = self.embed_k(self.conv2(x2))
        v = self.embed_v(self.conv3(x3))
        flat = lambda m: m.flatten(2).transpose(1, 2)  # [B, D, h, w] → [B, h·w, D], row-major
        tokens = torch.cat([flat(q), flat(k), flat(v)], dim=1)
        if trace is not None:
            trace.update(body1=x1, body2=x2, body3=x3, vit_input=tokens)
        return tokens

    def forward_base(self, x, trace=None):
        """x [B, 3, S, S] → (base logits [B, K], normalised patch tokens T [B, 3N, D])."""
        return self.VIT_base(self.tokens(x, trace))

    def forward(self, x):
        return self.forward_base(x)[0]

    # -- training path

    def cross_attention_modules(self):
        return [self.cross_attention_1, self.cross_attention_2, self.cross_attention_3]

    def training_loss(self, a, p, n, n2, y, y2, trace=None):
        """Four images [B, 3, S, S] and labels y (anchor, positive), y2 (negatives) [B] →
        (loss, parts). The base path runs once per branch, in the order a, p, n, n2, so each
        BatchNorm sees four separate batches (four running-stat updates per call).

        parts: base_logits / cross_logits (lists of four [B, K]), m (three lists — one per CSA
        module — of four [B, N]), tokens (four T_b), csa_out (four O_b [B, 3N, D]), ce_base,
        ce_cross (four scalars each), acc_base, acc_cross (fraction correct over all four branches).
        """
        images, labels = (a, p, n, n2), (y, y, y2, y2)
        base_logits, tokens = [], []
        for i, img in enumerate(images):
            branch_trace = {} if (trace is not None and i == 0) else None
            logits, t = self.forward_base(img, branch_trace)
            if branch_trace is not None:
                trace.update(branch_trace)
            base_logits.append(logits)
            tokens.append(t)
        nt = tokens_per_group(self.cfg)
        group_outs = []  # per CSA module: four [B, N, D]
        ms = []
        for g, module in enumerate(self.cross_attention_modules()):
            outs, m = module([t[:, g * nt:(g + 1) * nt] for t in tokens])
            group_outs.append(outs)
            ms.append(m)
        csa_out = [torch.cat([group_outs[g][b] for g in range(3)], dim=1) for b in range(4)]
        cross_logits = [self.VIT_cross(t + o)[0] for t, o in zip(tokens, csa_out)]
        ce_base = [F.cross_entropy(l, lab) for l, lab in zip(base_logits, labels)]
        ce_cross = [F.cross_entropy(l, lab) for l, lab in zip(cross_logits, labels)]
        loss = (sum(ce_base) + sum(ce_cross)) / 8
        with torch.no_grad():
            total = 4 * y.shape[0]
            acc = lambda ls: sum((l.argmax(-1) == lab).sum().item() for l, lab in zip(ls, labels)) / total
            parts = dict(base_logits=base_logits, cross_logits=cross_logits, m=ms, tokens=tokens,
                         csa_out=csa_out, acc_base=acc(base_logits), acc_cross=acc(cross_logits))
        parts["ce_base"], parts["ce_cross"] = ce_base, ce_cross
        return loss, parts


# MARK: - Initialisation

def init_spec_(model):
    """docs/MODEL.md's initialisation. Construction already gave PyTorch's defaults everywhere
    (Kaiming-uniform a=√5 weights, U(±1/√fan_in) biases, PReLU 0.25, BN/LN 1 and 0, θ = 0);
    inside both ViTs: Linear weights truncated normal std 0.01 (cut at ±2 absolute, i.e. not
    cut in practice), biases 0, LayerNorm 1/0, cls token and position embedding truncated
    normal std 0.02. Uses the global torch RNG."""
    for vit in (model.VIT_base, model.VIT_cross):
        nn.init.trunc_normal_(vit.pos_embed, std=0.02)
        nn.init.trunc_normal_(vit.cls_token, std=0.02)
        for module in vit.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.01)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
    return model


def build(cfg_or_preset="paper", seed=None):
    """A QCS model with docs/MODEL.md's initialisation (seeded if `seed` is given)."""
    cfg = make_config(cfg_or_preset) if isinstance(cfg_or_preset, str) else cfg_or_preset
    if seed is not None:
        torch.manual_seed(seed)
    return init_spec_(QCS(cfg))


# MARK: - Parameter accounting

def sam_adam_step(params, optimizer, loss, rho=0.05):
    """One SAM step around `optimizer`, as qcs takes it: gradients at the weights, a step of rho along
    their global norm, gradients there, the weights restored, the optimiser's update with the second
    gradients. `loss()` computes the batch's loss (called twice)."""
    optimizer.zero_grad(set_to_none=True)
    loss().backward()
    with torch.no_grad():
        norm = torch.norm(torch.stack([p.grad.norm(2) for p in params if p.grad is not None]), 2)
        scale = rho / (norm + 1e-12)
        saved = [p.detach().clone() for p in params]
        for p in params:
            if p.grad is not None:
                p.add_(p.grad * scale)
    optimizer.zero_grad(set_to_none=True)
    loss().backward()
    with torch.no_grad():
        for p, w in zip(params, saved):
            p.copy_(w)
    optimizer.step()


def inference_parameter_names(model):
    prefixes = ("ir_back.", "conv1.", "conv2.", "conv3.", "embed_q.", "embed_k.", "embed_v.", "VIT_base.")
    return [n for n, _ in model.named_parameters() if n.startswith(prefixes)]


def parameter_counts(model):
    sizes = {n: p.numel() for n, p in model.named_parameters()}
    inference = sum(sizes[n] for n in inference_parameter_names(model))
    group = lambda prefix: sum(v for n, v in sizes.items() if n.startswith(prefix))
    return dict(inference=inference, total=sum(sizes.values()),
                csa=group("cross_attention_"), vit_cross=group("VIT_cross."),
                backbone=group("ir_back."), vit_base=group("VIT_base."))


NEVER_USED = ("ir_back.output_layer.", ".patch_embed.", ".eca_block.", ".CON1.", ".IRLinear1.",
              ".IRLinear2.", "ir_back.body4.")


def is_never_used(name):
    return any(tag in name for tag in NEVER_USED) or (".blocks." in name and ".conv." in name)


def read_tsv(path):
    shapes = {}
    with open(path) as f:
        header = f.readline()
        if not header.startswith("name"):
            raise ValueError(f"{path}:1: expected a 'name<TAB>shape' header")
        for lineno, line in enumerate(f, start=2):
            line = line.rstrip("\n")
            if not line:
                continue
            name, _, shape = line.partition("\t")
            try:
                shapes[name] = tuple(int(s) for s in shape.split("x")) if shape else ()
            except ValueError:
                raise ValueError(f"{path}:{lineno}: cannot read shape {shape!r}")
    return shapes


def check_names(model, tsv_path):
    """Every name of ours is in the TSV with the same shape; every TSV name we lack is never used."""
    official = read_tsv(tsv_path)
    ours = {n: tuple(t.shape) for n, t in model.state_dict().items()}
    problems = []
    for name, shape in ours.items():
        if name not in official:
            problems.append(f"ours, not official: {name} {shape}")
        elif official[name] != shape:
            problems.append(f"shape differs: {name} ours {shape} official {official[name]}")
    missing = [n for n in official if n not in ours]
    unexpected_missing = [n for n in missing if not is_never_used(n)]
    problems += [f"official, used, but missing here: {n}" for n in unexpected_missing]
    return dict(ours=len(ours), official=len(official), missing_never_used=len(missing),
                problems=problems)


# MARK: - Deterministic safetensors writer

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
                      torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32"}


def write_safetensors(path, tensors, metadata=None):
    """Writes a safetensors file with sorted names and sorted metadata, so the same tensors give the
    same bytes (the `safetensors` package orders the metadata by hash). Data in name order,
    little-endian, header padded with spaces to a multiple of 8 bytes."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in SAFETENSORS_DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} is not written by this helper")
        data = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if sys.byteorder != "little":
        raise RuntimeError("write_safetensors assumes a little-endian host")
    if metadata:
        header["__metadata__"] = {k: str(metadata[k]) for k in sorted(metadata)}
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)
    os.replace(tmp, path)


# MARK: - Self-checks

def random_quadruplet(cfg, batch, generator, dtype=torch.float32):
    s = cfg["image_size"]
    imgs = [torch.randn(batch, 3, s, s, generator=generator, dtype=dtype) for _ in range(4)]
    k = cfg["num_classes"]
    y = torch.randint(0, k, (batch,), generator=generator)
    y2 = (y + torch.randint(1, k, (batch,), generator=generator)) % k  # y2 != y
    return imgs, y, y2


def check_downsample():
    x = torch.randn(2, 3, 224, 224)
    ours = x[:, :, ::2, ::2]
    assert torch.equal(ours, F.interpolate(x, scale_factor=0.5, mode="nearest"))
    assert torch.equal(ours, F.interpolate(x, size=(112, 112), mode="nearest"))
    return "nearest 2x downsample == F.interpolate(nearest) (scale 0.5 and size 112): ok"


def check_attention():
    torch.manual_seed(1)
    attn = Attention(16, 4).double()
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    q, k, v = attn.qkv(x).reshape(2, 5, 3, 4, 4).permute(2, 0, 3, 1, 4)
    ref = attn.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 5, 16))
    err = (attn(x) - ref).abs().max().item()
    assert err < 1e-12, err
    return f"attention == F.scaled_dot_product_attention: max diff {err:.1e}"


def check_pairing(model, generator):
    """docs/MODEL.md's table (4 matrices + transposes) equals 8 directly computed distance matrices."""
    cfg = model.cfg
    n, d = tokens_per_group(cfg), cfg["embed_dim"]
    worst = 0.0
    for module in model.cross_attention_modules():
        groups = [torch.randn(3, n, d, generator=generator, dtype=torch.float64) for _ in range(4)]
        _, qk, _ = module.project(groups)
        for a, b in zip(module.weights_from_table(qk), module.weights_direct(qk)):
            worst = max(worst, (a - b).abs().max().item())
    assert worst < 1e-12, worst
    return f"CSA pairing: table (4 matrices, transposes) == 8 direct matrices, max diff {worst:.1e}"


def check_loss_and_flow(model, generator):
    """loss == mean of 8 CEs computed independently; the cross head alone sends non-zero gradient
    into the shared base network, and none into VIT_base's SE gate and head."""
    (a, p, n, n2), y, y2 = random_quadruplet(model.cfg, 3, generator, torch.float64)
    loss, parts = model.training_loss(a, p, n, n2, y, y2)
    ces = []
    for logits, lab in zip(parts["base_logits"] + parts["cross_logits"], [y, y, y2, y2] * 2):
        logp = logits - logits.logsumexp(-1, keepdim=True)
        ces.append(-logp.gather(1, lab[:, None]).mean())
    err = abs(loss.item() - torch.stack(ces).mean().item())
    assert err < 1e-12, err
    model.zero_grad()
    sum(parts["ce_cross"]).backward()
    g = {nme: (prm.grad.abs().max().item() if prm.grad is not None else 0.0)
         for nme, prm in model.named_parameters()}
    into_base = ["ir_back.input_layer.0.weight", "conv1.weight", "embed_v.proj.weight",
                 "VIT_base.blocks.0.attn.qkv.weight", "VIT_base.pos_embed", "VIT_base.cls_token"]
    for name in into_base:
        assert g[name] > 0, f"no gradient from the cross head into {name}"
    for name in ("VIT_base.head.linear.weight", "VIT_base.se_block.linear1.weight"):
        assert g[name] == 0, f"unexpected gradient from the cross head into {name}"
    model.zero_grad()
    return (f"loss == mean of 8 CEs (diff {err:.1e}); cross-only loss reaches "
            + ", ".join(f"{nm} (max |g| {g[nm]:.1e})" for nm in into_base[:3]) + ", ...; "
            "VIT_base head/SE get none")


def check_gradcheck(generator):
    """torch.autograd.gradcheck in float64 on the tiny model for a few parameters."""
    model = build("tiny", seed=3).double().train()
    imgs, y, y2 = random_quadruplet(model.cfg, 2, generator, torch.float64)
    names = ["cross_attention_1.theta", "cross_attention_2.proj.bias", "VIT_cross.head.linear.bias",
             "ir_back.body1.0.res_layer.4.weight", "embed_k.0.bias", "ir_back.input_layer.2.weight",
             "VIT_base.norm.weight", "conv3.bias"]
    params = dict(model.named_parameters())

    # functional_call only reaches forward(); wrap training_loss through a tiny adapter module.
    class LossOnly(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *batch):
            return self.inner.training_loss(*batch)[0]

    wrapper = LossOnly(model)

    def loss_fn(*chosen):
        values = {f"inner.{n}": v for n, v in zip(names, chosen)}
        return torch.func.functional_call(wrapper, values, (*imgs, y, y2), strict=False)

    inputs = tuple(params[n].detach().clone().requires_grad_(True) for n in names)
    ok = torch.autograd.gradcheck(loss_fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-5, fast_mode=False)
    assert ok
    count = sum(p.numel() for p in inputs)
    return f"gradcheck (float64, tiny, B=2, {count} elements of {len(names)} parameters): ok"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tsv", required=True, help="official state-dict names and shapes (name, shape per line)")
    parser.add_argument("--skip-gradcheck", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    paper = build("paper", seed=0)
    counts = parameter_counts(paper)
    print("paper preset parameters:")
    print(f"  inference (ir_back stages 1-3 + conv1-3 + embed_* + VIT_base): {counts['inference']:,}"
          f" ({counts['inference'] / 1e6:.2f}M; spec: about 40.7M)")
    print(f"    of which backbone {counts['backbone']:,}, VIT_base {counts['vit_base']:,}")
    print(f"  CSA modules: {counts['csa']:,}, VIT_cross: {counts['vit_cross']:,}")
    print(f"  training total: {counts['total']:,} ({counts['total'] / 1e6:.2f}M; spec: about 66.8M)")
    if os.path.exists(args.tsv):
        result = check_names(paper, args.tsv)
        print(f"names vs {os.path.basename(args.tsv)}: ours {result['ours']} state-dict entries, "
              f"official {result['official']}, official-only (never used) {result['missing_never_used']}")
        for problem in result["problems"]:
            print("  PROBLEM:", problem)
        if result["problems"]:
            sys.exit(1)
        print("  every name of ours is official with the same shape; every official name we lack is never used: ok")
    else:
        print(f"(no TSV at {args.tsv}; name check skipped)")
    del paper

    generator = torch.Generator().manual_seed(7)
    tiny = build("tiny", seed=1).double().train()
    print(check_downsample())
    print(check_attention())
    print(check_pairing(tiny, generator))
    print(check_loss_and_flow(tiny, generator))
    if not args.skip_gradcheck:
        print(check_gradcheck(generator))
    print("all reference checks passed")


if __name__ == "__main__":
    main()
