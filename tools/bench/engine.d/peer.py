"""PyTorch peer of `triage bench engine`: same synthetic data (regenerated from the same
SplitMix64 stream as Neural/EngineBenchmark.swift), same models, same steps, 2 threads.

usage: peer.py NAME STEPS [WARMUP]   -> one JSON object on stdout
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

MASK = (1 << 64) - 1
POOL = 1024


class SplitMix64:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def sequence_data():
    rng = SplitMix64(1)
    x = np.zeros((POOL, 100), dtype=np.int64)
    y = np.zeros(POOL, dtype=np.int64)
    for i in range(POOL):
        label = rng.next() % 20
        y[i] = label
        for s in range(100):
            x[i, s] = 20 + rng.next() % 4980
        for _ in range(3):
            x[i, rng.next() % 100] = 1 + label
    return torch.from_numpy(x), torch.from_numpy(y)


def image_data():
    rng = SplitMix64(2)
    x = np.zeros((POOL, 1, 28, 28), dtype=np.float32)
    y = np.zeros(POOL, dtype=np.int64)
    for i in range(POOL):
        label = rng.next() % 2
        y[i] = label
        for p in range(784):
            x[i, 0, p // 28, p % 28] = np.float32(rng.next() >> 40) / np.float32(1 << 24) * np.float32(0.5)
        top = rng.next() % 8 + (0 if label == 0 else 14)
        left = rng.next() % 22
        x[i, 0, top:top + 6, left:left + 6] += np.float32(0.5)
    return torch.from_numpy(x), torch.from_numpy(y)


class LSTMText(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5000, 64)
        self.lstm = nn.LSTM(64, 128, batch_first=True)
        self.head = nn.Linear(128, 20)

    def forward(self, x):
        _, (h, _) = self.lstm(self.emb(x))
        return self.head(h[-1])


class ConvText(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5000, 64)
        self.conv = nn.Conv1d(64, 128, 5)
        self.head = nn.Linear(128, 20)

    def forward(self, x):
        h = torch.relu(self.conv(self.emb(x).transpose(1, 2)))
        return self.head(h.max(dim=2).values)


def cnn2d():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 2))


def main():
    name, steps = sys.argv[1], int(sys.argv[2])
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    torch.set_num_threads(2)
    torch.manual_seed(int(os.environ.get("SEED", "1")))
    if name == "lstm":
        (x, y), model, batch = sequence_data(), LSTMText(), 64
    elif name == "conv1d":
        (x, y), model, batch = sequence_data(), ConvText(), 64
    else:
        (x, y), model, batch = image_data(), cnn2d(), 128
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    start = time.perf_counter()
    for k in range(warmup + steps):
        if k == warmup:
            start = time.perf_counter()
        first = (k * batch) % POOL
        xb, yb = x[first:first + batch], y[first:first + batch]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    seconds = time.perf_counter() - start
    last = min(POOL // batch, len(losses))  # the last pass through the synthetic pool
    print(json.dumps({"samples_per_second": steps * batch / seconds, "loss": sum(losses[-last:]) / last,
                      "steps": steps, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
