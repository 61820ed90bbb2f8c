#!/usr/bin/env python3
"""The rounding of Winograd F(2x2, 3x3), the runtime's, against F(4x4, 3x3), which would take 2.25
multiplies per output and channel pair instead of 4: one 3x3 'same' Conv2D of 64 channels into 64
filters on a 16x16 input (ReLU'd normal activations, He-scaled normal weights, seeded), with float32
transforms, products and sums, against the float64 direct product; the error given relative to the
mean |output|, mean and worst over the outputs, beside the direct product in float32. Needs numpy.
    python3 tools/bench/web.d/winograd_error.py
"""
import numpy as np
rng = np.random.default_rng(1)
C, F, H = 64, 64, 16
x = np.maximum(rng.standard_normal((H + 2, H + 2, C)), 0).astype(np.float32)  # relu'd activations, padded
w = (rng.standard_normal((F, 3, 3, C)) * np.sqrt(2 / (9 * C))).astype(np.float32)
def direct64():
    out = np.zeros((H, H, F))
    for i in range(3):
        for j in range(3):
            out += np.einsum("hwc,fc->hwf", x[i:i + H, j:j + H].astype(np.float64), w[:, i, j, :].astype(np.float64))
    return out
ref = direct64()
def wino(BT, G, AT, m):
    r = 3; a = m + r - 1; f32 = np.float32
    U = np.einsum("ij,fjkc,lk->ilcf", G.astype(np.float64), w.astype(np.float64), G.astype(np.float64)).astype(f32)  # (a, a, C, F)
    out = np.zeros((H, H, F), f32)
    BT32, AT32 = BT.astype(f32), AT.astype(f32)
    for ty in range(0, H, m):
        for tx in range(0, H, m):
            d = x[ty:ty + a, tx:tx + a]
            if d.shape[0] < a or d.shape[1] < a:
                d2 = np.zeros((a, a, C), f32); d2[:d.shape[0], :d.shape[1]] = d; d = d2
            V = np.einsum("ij,jkc,lk->ilc", BT32, d, BT32).astype(f32)
            M = np.einsum("ilc,ilcf->ilf", V, U).astype(f32)
            Y = np.einsum("ij,jkf,lk->ilf", AT32, M, AT32).astype(f32)
            hh, ww = min(m, H - ty), min(m, H - tx)
            out[ty:ty + hh, tx:tx + ww] = Y[:hh, :ww]
    return out
BT2 = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], float)
G2 = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]])
AT2 = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], float)
BT4 = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], float)
G4 = np.array([[1/4, 0, 0], [-1/6, -1/6, -1/6], [-1/6, 1/6, -1/6], [1/24, 1/12, 1/6], [1/24, -1/12, 1/6], [0, 0, 1]])
AT4 = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]], float)
def direct32():
    out = np.zeros((H, H, F), np.float32)
    for i in range(3):
        for j in range(3):
            out += np.einsum("hwc,fc->hwf", x[i:i + H, j:j + H], w[:, i, j, :]).astype(np.float32)
    return out
scale = np.abs(ref).mean()
for name, o in [("direct32", direct32()), ("F(2x2)", wino(BT2, G2, AT2, 2)), ("F(4x4)", wino(BT4, G4, AT4, 4))]:
    e = np.abs(o - ref)
    print(f"{name}: mean abs err / mean |y| {e.mean() / scale:.2e}, max abs err / mean |y| {e.max() / scale:.2e}")
