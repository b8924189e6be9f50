#!/usr/bin/env python3
"""Converts PyTorch `.pth` weights of QCS or IR-50 to one safetensors file under the official
QCS state-dict names, which `OfficialWeights.load` (Sources/Checkpoint) reads.

Run:  PYTHON scripts/convert_pth_to_safetensors.py ir50.pth ir50.safetensors
      PYTHON scripts/convert_pth_to_safetensors.py --list rafdb_best.pth
Needs torch only; the build and the tests never run this.

Inputs understood:
- a plain IR-50 state dict (`ir50.pth`: `input_layer.0.weight`, `body1.0.res_layer.1.weight`, ...):
  every key gets the `ir_back.` prefix the QCS model holds the backbone under;
- an official QCS checkpoint: the state dict itself, or a dict holding it under `state_dict`,
  `model_state_dict`, `model` or `net` (other entries such as the epoch or the optimizer state
  are reported and left out), keys possibly prefixed `module.` (DataParallel / DDP), the token
  embeddings possibly under the older names `embed_1/2/3` (renamed to `embed_q/k/v`: our
  assumption, see `OfficialNames.RenameRule.oldEmbeddingNames` in the Swift code, which applies
  the same three rules to files converted by other tools).

Output: floating tensors as F32 (F16/BF16/F64 converted), integer tensors keep their width
(`num_batches_tracked` stays I64, as PyTorch stores it); metadata `format: pt` and the source
file name. Keys and values are otherwise untouched: modules the QCS forward never runs (IR-50
stage 4 and output layer, `patch_embed`, `eca_block`, ...) are kept; the loader reports them.

How this script was checked (no .pth file is committed): a throwaway script built small fake
checkpoints with torch.save, one per input form above (plain IR-50 with an int64
`num_batches_tracked`; a QCS dict nested under `model_state_dict` with `module.` keys, an
`embed_1` name, float16 and bfloat16 tensors, an epoch and an optimizer entry; a bare state dict
with a duplicate after renaming, which must fail). Each converted file was read back with the
independent `safetensors` package and compared name by name, dtype by dtype and bit for bit with
the expected renaming; then a tiny QCS model exported by the Swift code was turned into such a
fake official `.pth` (DataParallel prefix, old embedding names, I64 batch counts, never-used
extras), converted here, and loaded strictly by `OfficialWeights.load`: parameters and buffers
equal bit for bit.
"""
import argparse
import json
import os
import struct
import sys
from collections import OrderedDict

import torch

# Keys under which training scripts commonly nest the model's state dict, tried in this order.
NESTING_KEYS = ("state_dict", "model_state_dict", "model", "net")
BARE_BACKBONE_MODULES = ("input_layer.", "body1.", "body2.", "body3.", "body4.", "output_layer.")
OLD_EMBEDDING_NAMES = (("embed_1.", "embed_q."), ("embed_2.", "embed_k."), ("embed_3.", "embed_v."))

SAFETENSORS_DTYPES = {
    torch.float32: "F32", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
    torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def official_name(key):
    """The official QCS name of state-dict key `key`, and the renaming rules applied (the same
    rules as `OfficialNames.officialName(forFileKey:)` in Swift)."""
    rules = []
    while key.startswith("module."):
        key = key[len("module."):]
        if "module." not in rules:
            rules.append("module.")
    if key.startswith(BARE_BACKBONE_MODULES):
        key = "ir_back." + key
        rules.append("ir_back.")
    for old, new in OLD_EMBEDDING_NAMES:
        if key.startswith(old):
            key = new + key[len(old):]
            rules.append("embed_1/2/3")
    return key, rules


def find_state_dict(loaded, path):
    """The name → tensor mapping inside whatever `torch.load` returned, and the names of the
    entries that were left out (epoch, optimizer state...)."""
    if isinstance(loaded, torch.nn.Module):
        return loaded.state_dict(), []
    if not isinstance(loaded, dict):
        fail(f"{path}: holds a {type(loaded).__name__}, not a dict of tensors")
    if loaded and all(torch.is_tensor(v) for v in loaded.values()):
        return loaded, []
    for key in NESTING_KEYS:
        inner = loaded.get(key)
        if isinstance(inner, torch.nn.Module):
            inner = inner.state_dict()
        if isinstance(inner, dict) and inner and any(torch.is_tensor(v) for v in inner.values()):
            return inner, [k for k in loaded if k != key]
    tensors = {k: v for k, v in loaded.items() if torch.is_tensor(v)}
    if not tensors:
        fail(f"{path}: no tensors at the top level nor under {', '.join(NESTING_KEYS)}; "
             f"top-level keys: {', '.join(map(str, loaded))}")
    return tensors, [k for k in loaded if k not in tensors]


def converted(tensor):
    """`tensor` as it is stored: floating point as float32, integers and booleans unchanged."""
    t = tensor.detach().cpu().contiguous()
    if t.is_floating_point():
        t = t.to(torch.float32)
    if t.dtype not in SAFETENSORS_DTYPES:
        return None
    return t


def rename_all(state, path):
    """OrderedDict official name → (original key, rules, tensor); fails on two keys that become
    one name. Non-tensor entries are reported and skipped."""
    out = OrderedDict()
    for key, value in state.items():
        if not torch.is_tensor(value):
            print(f"  skipped {key}: a {type(value).__name__}, not a tensor", file=sys.stderr)
            continue
        name, rules = official_name(key)
        if name in out:
            fail(f"{path}: keys '{out[name][0]}' and '{key}' both name '{name}'; remove one of them")
        out[name] = (key, rules, value)
    return out


def write_safetensors(path, tensors, metadata):
    """Writes name → tensor in order: an 8-byte little-endian header length, the JSON header
    (padded with spaces to 8 bytes), then each tensor's little-endian bytes back to back."""
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, t in tensors.items():
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="a .pth file (IR-50 or QCS)")
    parser.add_argument("output", nargs="?", help="the .safetensors file to write (default: input with .safetensors)")
    parser.add_argument("--list", action="store_true",
                        help="print every key (official name, shape, dtype in the .pth, original key when renamed) and exit")
    parser.add_argument("--unsafe-pickle", action="store_true",
                        help="allow arbitrary pickled objects (torch.load weights_only=False); only for files you trust")
    args = parser.parse_args()

    try:
        loaded = torch.load(args.input, map_location="cpu", weights_only=not args.unsafe_pickle)
    except Exception as error:  # torch raises several types; the message is what the user needs
        hint = "" if args.unsafe_pickle else (" If the file holds more than tensors (e.g. an argparse Namespace) "
                                              "and you trust it, add --unsafe-pickle.")
        fail(f"{args.input}: cannot load ({error}).{hint}")
    state, left_out = find_state_dict(loaded, args.input)
    renamed = rename_all(state, args.input)

    if args.list:
        for name, (key, _, t) in renamed.items():
            origin = f"  (from {key})" if key != name else ""
            print(f"{name}\t{'x'.join(map(str, t.shape)) or 'scalar'}\t{str(t.dtype).replace('torch.', '')}{origin}")
        print(f"{len(renamed)} tensors", file=sys.stderr)
        return

    tensors = OrderedDict()
    for name, (key, _, t) in renamed.items():
        c = converted(t)
        if c is None:
            fail(f"{args.input}: tensor '{key}' has dtype {t.dtype}, which safetensors here does not store")
        tensors[name] = c
    output = args.output or os.path.splitext(args.input)[0] + ".safetensors"
    write_safetensors(output, tensors, {"format": "pt", "source": os.path.basename(args.input)})

    print(f"wrote {output}: {len(tensors)} tensors, {os.path.getsize(output)} bytes")
    for rule, what in (("module.", "'module.' prefix stripped"), ("ir_back.", "'ir_back.' prefix added"),
                       ("embed_1/2/3", "embed_1/2/3 renamed to embed_q/k/v")):
        count = sum(rule in rules for _, rules, _ in renamed.values())
        if count:
            print(f"  {count} keys: {what}")
    if left_out:
        print(f"  left out (not tensors of the model): {', '.join(map(str, left_out))}")


if __name__ == "__main__":
    main()
