"""PyTorch peer of `triage bench engine`: same synthetic data (synthetic.py), same models, same steps, 2 threads.

usage: peer.py NAME STEPS [WARMUP]   -> one JSON object on stdout
env: SEED (PyTorch's own initialisation, default 1), or INIT=FILE to start from the weights
     `triage bench engine --initial-weights DIR` wrote (DIR/NAME.safetensors, Triage's layouts).
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from synthetic import POOL, image_data, sequence_data  # beside this script


def torch_data(name):
    """The synthetic set as torch tensors: int64 tokens, or images channels-first (N, 1, 28, 28)."""
    if name == "cnn2d":
        x, y = image_data()
        # One channel: (N, 28, 28, 1) and (N, 1, 28, 28) share a memory layout. A reshape keeps
        # PyTorch's usual strides (a transposed copy gets others, and oneDNN another kernel).
        return torch.from_numpy(x.reshape(len(x), 1, 28, 28)), torch.from_numpy(y.astype(np.int64))
    x, y = sequence_data()
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))


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


def triage_weights(name, path):
    """Triage's initial weights (safetensors, Triage's names and layouts) as a PyTorch state dict."""
    from safetensors.torch import load_file
    w = load_file(path)
    if name == "lstm":
        return {"emb.weight": w["0.weight"], "lstm.weight_ih_l0": w["1.weight_ih"],
                "lstm.weight_hh_l0": w["1.weight_hh"], "lstm.bias_ih_l0": w["1.bias"],  # one fused bias
                "lstm.bias_hh_l0": torch.zeros_like(w["1.bias"]), "head.weight": w["2.weight"], "head.bias": w["2.bias"]}
    if name == "conv1d":  # Conv1D weight (F, K, C) -> (F, C, K)
        return {"emb.weight": w["0.weight"], "conv.weight": w["1.weight"].permute(0, 2, 1).contiguous(),
                "conv.bias": w["1.bias"], "head.weight": w["4.weight"], "head.bias": w["4.bias"]}
    # cnn2d: Triage's convolutions apply their ReLU in place, so its layers 0, 2, 5, 7 are
    # PyTorch's 0, 3, 7, 9. Conv2D (F, KH, KW, C) -> (F, C, KH, KW); Triage flattens (H, W, C),
    # PyTorch (C, H, W).
    dense = w["5.weight"].reshape(128, 5, 5, 64).permute(0, 3, 1, 2).reshape(128, 1600)
    return {"0.weight": w["0.weight"].permute(0, 3, 1, 2).contiguous(), "0.bias": w["0.bias"],
            "3.weight": w["2.weight"].permute(0, 3, 1, 2).contiguous(), "3.bias": w["2.bias"],
            "7.weight": dense.contiguous(), "7.bias": w["5.bias"], "9.weight": w["7.weight"], "9.bias": w["7.bias"]}


def main():
    name, steps = sys.argv[1], int(sys.argv[2])
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    torch.set_num_threads(2)
    torch.manual_seed(int(os.environ.get("SEED", "1")))
    x, y = torch_data(name)
    if name == "lstm":
        model, batch = LSTMText(), 64
    elif name == "conv1d":
        model, batch = ConvText(), 64
    else:
        model, batch = cnn2d(), 128
    if os.environ.get("INIT"):
        model.load_state_dict(triage_weights(name, os.environ["INIT"]), strict=True)
        if name == "lstm":
            # One trainable bias, as in Triage and Keras: with bias_ih and bias_hh both trained,
            # Adam moves their sum twice as far per step, and the losses part (0.3% after 63 steps).
            model.lstm.bias_hh_l0.requires_grad_(False)
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
