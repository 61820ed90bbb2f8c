#!/usr/bin/env python3
"""One split of a MedMNIST .npz as raw files for the node and browser benchmarks (standard library
only: zipfile and the .npy header): OUT.bin (the uint8 images, N x H x W [x C]), OUT.json (shape and
labels) and, with --png K, the first K images as PNG files OUT-<i>.png.
    npz_split.py FILE.npz SPLIT OUT [--png K]
"""
import ast
import json
import struct
import sys
import zipfile
import zlib


def npy(data):
    assert data[:6] == b"\x93NUMPY", "not a .npy array"
    major = data[6]
    length = struct.unpack("<H" if major == 1 else "<I", data[8:10] if major == 1 else data[8:12])[0]
    start = (10 if major == 1 else 12) + length
    header = ast.literal_eval(data[(10 if major == 1 else 12):start].decode("latin1"))
    assert header["descr"] in ("|u1", "<u1", "u1") and not header["fortran_order"], header
    return header["shape"], data[start:]


def png(path, width, height, channels, pixels):
    raw = b"".join(b"\x00" + pixels[y * width * channels:(y + 1) * width * channels] for y in range(height))
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


path, split, out = sys.argv[1], sys.argv[2], sys.argv[3]
pngs = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--png" else 0
with zipfile.ZipFile(path) as z:
    shape, images = npy(z.read(f"{split}_images.npy"))
    label_shape, labels = npy(z.read(f"{split}_labels.npy"))
open(out + ".bin", "wb").write(images)
per = len(labels) // shape[0]
json.dump({"shape": list(shape), "labels": [list(labels[i * per:(i + 1) * per]) for i in range(shape[0])]}, open(out + ".json", "w"))
height, width = shape[1], shape[2]
channels = shape[3] if len(shape) > 3 else 1
size = height * width * channels
for i in range(pngs):
    png(f"{out}-{i}.png", width, height, channels, images[i * size:(i + 1) * size])
print(f"{split}: {shape[0]} images of {width}x{height}x{channels}" + (f", {pngs} written as PNG" if pngs else ""))
