"""The synthetic data of `triage bench engine`, regenerated bit for bit from the SplitMix64 stream
of EngineBench/EngineBenchmark.swift, for the peers (numpy only: the Keras venv has no torch).
"""
import numpy as np

POOL = 1024


def splitmix64(seed, n):
    """The first n outputs of peer.py's SplitMix64(seed).next(), at once (uint64 arithmetic wraps)."""
    z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def sequence_data():
    """Tokens (N, 100) and labels (N,); per example the draws are: label, 100 tokens, 3 marker positions."""
    r = splitmix64(1, POOL * 104).reshape(POOL, 104)
    y = (r[:, 0] % 20).astype(np.int32)
    x = (20 + r[:, 1:101] % 4980).astype(np.int32)
    for i in range(POOL):
        x[i, (r[i, 101:] % 100).astype(np.int64)] = 1 + y[i]
    return x, y


def image_data():
    """Images (N, 28, 28, 1) and labels (N,); per example: label, 784 pixels, patch top, patch left."""
    r = splitmix64(2, POOL * 787).reshape(POOL, 787)
    y = (r[:, 0] % 2).astype(np.int32)
    x = (r[:, 1:785] >> np.uint64(40)).astype(np.float32) / np.float32(1 << 24) * np.float32(0.5)
    x = x.reshape(POOL, 28, 28, 1)
    top = (r[:, 785] % 8).astype(np.int64) + 14 * y
    left = (r[:, 786] % 22).astype(np.int64)
    for i in range(POOL):
        x[i, top[i]:top[i] + 6, left[i]:left[i] + 6, 0] += np.float32(0.5)
    return x, y
