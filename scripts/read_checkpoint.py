#!/usr/bin/env python3
"""Reads a qcs sharded checkpoint without qcs: the manifest, then only the zstd frames that hold
what is asked for (standard library, plus Python's `zstandard` module or else the `zstd` program).

Usage:
  scripts/read_checkpoint.py CKPT_DIR                         list buffers, tensors, shards
  scripts/read_checkpoint.py CKPT_DIR --tensor NAME           print a tensor's shape and first values
  scripts/read_checkpoint.py CKPT_DIR --to-safetensors OUT    write every tensor (official names) as F32

The layout it reads is docs/CHECKPOINTS.md's. The multi-rank tests use --to-safetensors to check
that this independent reader gives the weights qcs itself exports.
"""
import array
import json
import struct
import subprocess
import sys

try:
    import zstandard
except ImportError:
    zstandard = None


def decompress(frame):
    if zstandard is not None:
        return zstandard.ZstdDecompressor().decompress(frame)
    return subprocess.run(["zstd", "-dcq"], input=frame, stdout=subprocess.PIPE, check=True).stdout


class Checkpoint:
    def __init__(self, directory):
        self.directory = directory
        with open(f"{directory}/manifest.json") as f:
            self.manifest = json.load(f)
        if self.manifest.get("magic") != "qcs-sharded-checkpoint":
            sys.exit(f"{directory}: not a qcs checkpoint manifest")

    def raw(self, shard, start, end):
        """Bytes [start, end) of a shard's raw stream, decoding only the frames that overlap them."""
        out = bytearray()
        with open(f"{self.directory}/{shard['file']}", "rb") as f:
            for frame in shard["summary"]["frames"]:
                lo, hi = frame["rawOffset"], frame["rawOffset"] + frame["rawBytes"]
                if hi <= start or lo >= end:
                    continue
                f.seek(frame["offset"])
                data = decompress(f.read(frame["compressedBytes"]))
                out += data[max(start, lo) - lo:min(end, hi) - lo]
        return bytes(out)

    def elements(self, buffer, lower, upper):
        """Elements [lower, upper) of a flat buffer, gathered from every shard that holds part of them."""
        values = array.array("f", bytes(4 * (upper - lower)))
        for shard in self.manifest["shards"]:
            for r in shard["ranges"]:
                a, b = max(lower, r["lower"]), min(upper, r["upper"])
                if r["buffer"] != buffer or a >= b:
                    continue
                start = r["rawOffset"] + 4 * (a - r["lower"])
                part = array.array("f", self.raw(shard, start, start + 4 * (b - a)))
                values[a - lower:b - lower] = part
        if sys.byteorder != "little":
            values.byteswap()
        return values

    def tensor(self, entry):
        count = 1
        for d in entry["shape"]:
            count *= d
        return self.elements(entry["buffer"], entry["offset"], entry["offset"] + count)


def write_safetensors(path, named):
    header, offset, body = {}, 0, []
    for name, shape, values in named:
        data = values.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        body.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(body))


def main(argv):
    if not argv or argv[0].startswith("--"):
        sys.exit(__doc__)
    ckpt = Checkpoint(argv[0])
    m = ckpt.manifest
    tensors = {t["name"]: t for t in m["tensors"]}
    if "--tensor" in argv:
        entry = tensors[argv[argv.index("--tensor") + 1]]
        values = ckpt.tensor(entry)
        print(entry["name"], entry["shape"], list(values[:6]))
    elif "--to-safetensors" in argv:
        out = argv[argv.index("--to-safetensors") + 1]
        write_safetensors(out, [(t["name"], t["shape"], ckpt.tensor(t)) for t in m["tensors"]])
        print(f"wrote {out}: {len(m['tensors'])} tensors of step {m['step']}")
    else:
        print(f"step {m['step']}, {m['worldSize']} shards, frames of {m['frameBytes']} bytes")
        for b in m["buffers"]:
            print(f"  buffer {b['name']}: {b['count']} values")
        print(f"  {len(m['tensors'])} tensors, e.g. {m['tensors'][0]['name']} {m['tensors'][0]['shape']}")


if __name__ == "__main__":
    main(sys.argv[1:])
