#!/usr/bin/env python3
"""The first N images of each split of a MedMNIST .npz, as a smaller .npz (standard library only):
for benchmarks whose result does not depend on how well a model is trained, such as time per image.
    npz_subset.py FILE.npz OUT.npz N
"""
import ast
import struct
import sys
import zipfile

path, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with zipfile.ZipFile(path) as z, zipfile.ZipFile(out, "w") as w:
    for name in z.namelist():
        data = z.read(name)
        major = data[6]
        size = 2 if major == 1 else 4
        length = struct.unpack("<H" if major == 1 else "<I", data[8:8 + size])[0]
        start = 8 + size + length
        header = ast.literal_eval(data[8 + size:start].decode("latin1"))
        shape = header["shape"]
        per = len(data[start:]) // shape[0]
        kept = (min(n, shape[0]),) + tuple(shape[1:])
        text = repr({"descr": header["descr"], "fortran_order": False, "shape": kept}).encode("latin1")
        text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
        w.writestr(name, b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data[start:start + kept[0] * per])
print(f"{out}: the first {n} images of each split of {path}")
