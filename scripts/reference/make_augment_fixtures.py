#!/usr/bin/env python3
"""Golden outputs of the deterministic augmentation steps, from Pillow and torchvision.

The official QCS code augments PIL images with torchvision transforms; the Swift pipeline
(Sources/DataPipeline/Augmentation) restates that arithmetic. This script runs the real thing
on a few small synthetic images and writes, into Tests/DataPipelineTests/Fixtures/Augmentation/:

  *.rgb      raw uint8 images, rows top to bottom, pixels R G B interleaved (no header)
  *.f32      raw little-endian float32 tensors, C x H x W
  cases.json one entry per case: op, parameters, input file and size, output file and size

Only deterministic operations are covered (each random transform is its deterministic core
called with fixed parameters): bilinear resize at the sizes the recipes use, horizontal flip,
centre crop, rotation by fixed angles, each colour-jitter adjustment with fixed factors, and
ToTensor + Normalize with the ImageNet statistics.

Run:  PYTHON scripts/reference/make_augment_fixtures.py
Needs numpy, Pillow, torch, torchvision; the Swift build and tests never run it. The inputs come
from a fixed numpy seed, so regenerating with the same library versions rewrites identical bytes.
"""
import json
import pathlib

import numpy as np
import PIL
import torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/DataPipelineTests/Fixtures/Augmentation"
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def test_image(width, height, seed):
    """A busy but natural-looking picture: a colour gradient, hard-edged discs, a fine stripe
    pattern (what antialiasing must average away) and pixel noise."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.zeros((height, width, 3))
    img[..., 0] = 40 + 150 * x / max(width - 1, 1)
    img[..., 1] = 60 + 120 * y / max(height - 1, 1)
    img[..., 2] = 120 + 80 * np.sin(x / 5.0) * np.cos(y / 7.0)
    for _ in range(6):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.08, 0.3) * min(width, height)
        colour = rng.uniform(0, 255, size=3)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[mask] = colour
    stripes = (np.floor(x / 2) % 2 == 0) & (y > height * 0.7)
    img[stripes] = img[stripes] * 0.3
    img += rng.normal(0, 6, size=img.shape)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), "RGB")


def save_rgb(name, image):
    assert image.mode == "RGB"
    (OUT / name).write_bytes(np.asarray(image, dtype=np.uint8).tobytes())
    return {"file": name, "width": image.width, "height": image.height}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    cases = []
    inputs = {
        "square100": test_image(100, 100, seed=1),   # RAF-DB / AffectNet-sized input
        "square48": test_image(48, 48, seed=2),      # FER2013-sized input
        "odd61x47": test_image(61, 47, seed=3),      # non-square, odd sides: centre and rounding
    }
    files = {name: save_rgb(f"input_{name}.rgb", img) for name, img in inputs.items()}

    def add(name, op, params, source, result):
        entry = {"name": name, "op": op, "params": params, "input": files[source]}
        if isinstance(result, torch.Tensor):
            data = result.detach().to(torch.float32).contiguous().numpy()
            (OUT / f"{name}.f32").write_bytes(data.astype("<f4").tobytes())
            entry["output"] = {"file": f"{name}.f32", "shape": list(data.shape)}
        else:
            entry["output"] = save_rgb(f"{name}.rgb", result)
        cases.append(entry)

    bilinear = torchvision.transforms.InterpolationMode.BILINEAR
    # Resize: upsampling at the recipes' sizes, then a 2x downscale of the 224 result.
    for source, size in [("square100", 224), ("square48", 232), ("square100", 236)]:
        out = TF.resize(inputs[source], [size, size], interpolation=bilinear)
        add(f"resize_{source}_{size}", "resize", {"width": size, "height": size}, source, out)
        if size == 224:
            inputs["resized224"] = out
            files["resized224"] = cases[-1]["output"]
    add("resize_resized224_112", "resize", {"width": 112, "height": 112}, "resized224",
        TF.resize(inputs["resized224"], [112, 112], interpolation=bilinear))
    # Non-square, different factor per axis (one axis up, the other down by 1.57).
    add("resize_odd61x47_to_80x30", "resize", {"width": 80, "height": 30}, "odd61x47",
        TF.resize(inputs["odd61x47"], [30, 80], interpolation=bilinear))

    odd = inputs["odd61x47"]
    add("hflip_odd61x47", "hflip", {}, "odd61x47", TF.hflip(odd))
    # Margins 21 and 7: (21/2 = 10.5 → 10, 7/2 = 3.5 → 4) exercise round-half-to-even.
    add("centercrop_odd61x47_40", "centerCrop", {"width": 40, "height": 40}, "odd61x47",
        TF.center_crop(odd, [40, 40]))
    nearest = torchvision.transforms.InterpolationMode.NEAREST
    for source, angle in [("odd61x47", 7.5), ("odd61x47", -10.0), ("odd61x47", 12.0), ("odd61x47", 90.0),
                          ("square48", 90.0), ("square48", -90.0), ("square48", 180.0), ("square100", 3.3)]:
        out = TF.rotate(inputs[source], angle, interpolation=nearest, expand=False, fill=0)
        add(f"rotate_{source}_{angle:+g}", "rotate", {"degrees": angle}, source, out)
    for factor in [0.8, 1.2, 1.537]:
        add(f"brightness_{factor:g}", "brightness", {"factor": factor}, "odd61x47",
            TF.adjust_brightness(odd, factor))
        add(f"contrast_{factor:g}", "contrast", {"factor": factor}, "odd61x47", TF.adjust_contrast(odd, factor))
        add(f"saturation_{factor:g}", "saturation", {"factor": factor}, "odd61x47",
            TF.adjust_saturation(odd, factor))
    for factor in [-0.1, -0.037, 0.0, 0.05, 0.1, 0.5]:
        add(f"hue_{factor:+g}", "hue", {"factor": factor}, "odd61x47", TF.adjust_hue(odd, factor))
    normalized = TF.normalize(TF.to_tensor(odd), IMAGENET_MEAN, IMAGENET_STD)
    add("normalize_odd61x47", "normalize", {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}, "odd61x47", normalized)

    manifest = {
        "generator": "scripts/reference/make_augment_fixtures.py",
        "versions": {"pillow": PIL.__version__, "torchvision": torchvision.__version__, "torch": torch.__version__},
        "cases": cases,
    }
    (OUT / "cases.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(cases)} cases, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    main()
