"""Golden values for Tests/NeuralTests/GoldenValues.swift (PyTorch CPU) and
Tests/StatisticsTests/GoldenValues.swift (scikit-learn).

    python3 -m venv .venv-ref && .venv-ref/bin/pip install 'torch==2.13.0+cpu' numpy scikit-learn
    .venv-ref/bin/python tools/reference/generate.py

Every case is seeded. For each layer it writes the input, the weights in Triage's layout
(convolutions channels-last: Conv1d (F, C, K) -> (F, K, C), Conv2d (F, C, KH, KW) -> (F, KH, KW, C);
LSTM bias = bias_ih + bias_hh), an upstream gradient R, the output, and the gradients of
sum(output * R) with respect to the input and every weight. The Swift file is rewritten only
between its BEGIN/END GENERATED markers. The metrics (scikit-learn) go to the Statistics tests.
"""
import os
import re

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "..", "Tests")
lines = []


def emit(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    a = a.astype(np.float64).ravel()
    body = ", ".join(f"{v:.9g}" for v in a)
    lines.append(f"    static let {name}: [Float] = [{body}]")


def emit_ints(name, values):
    lines.append(f"    static let {name}: [Int] = [{', '.join(str(int(v)) for v in values)}]")


def emit_double(name, value):
    lines.append(f"    static let {name}: Double = {float(value):.12g}")


def rand(*shape):
    return (torch.rand(*shape) * 2 - 1).requires_grad_(True)


def backward(y, prefix):
    r = torch.rand(y.shape) * 2 - 1
    (y * r).sum().backward()
    emit(prefix + "R", r)
    emit(prefix + "Y", y)


torch.manual_seed(0)

# Dense: x (3, 5) -> (3, 4)
lin = nn.Linear(5, 4)
x = rand(3, 5)
backward(lin(x), "dense")
emit("denseX", x); emit("denseW", lin.weight); emit("denseB", lin.bias)
emit("denseDX", x.grad); emit("denseDW", lin.weight.grad); emit("denseDB", lin.bias.grad)

# Conv1D: (B=2, L=9, C=3) -> F=4, K=3; case a: stride 2 valid; case b: stride 1, dilation 2, same.
for tag, stride, dil, pad in [("A", 2, 1, 0), ("B", 1, 2, "same")]:
    conv = nn.Conv1d(3, 4, 3, stride=stride, dilation=dil, padding=pad)
    x = rand(2, 9, 3)
    y = conv(x.transpose(1, 2)).transpose(1, 2)
    backward(y, f"conv1d{tag}")
    emit(f"conv1d{tag}X", x); emit(f"conv1d{tag}W", conv.weight.permute(0, 2, 1)); emit(f"conv1d{tag}B", conv.bias)
    emit(f"conv1d{tag}DX", x.grad); emit(f"conv1d{tag}DW", conv.weight.grad.permute(0, 2, 1)); emit(f"conv1d{tag}DB", conv.bias.grad)

# Conv2D: (B=2, H=6, W=5, C=2) -> F=3, 3x3; case a: stride (2, 1) valid; case b: stride 1, padding 1 (= same).
for tag, stride, pad in [("A", (2, 1), 0), ("B", (1, 1), 1)]:
    conv = nn.Conv2d(2, 3, 3, stride=stride, padding=pad)
    x = rand(2, 6, 5, 2)
    y = conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    backward(y, f"conv2d{tag}")
    emit(f"conv2d{tag}X", x); emit(f"conv2d{tag}W", conv.weight.permute(0, 2, 3, 1)); emit(f"conv2d{tag}B", conv.bias)
    emit(f"conv2d{tag}DX", x.grad); emit(f"conv2d{tag}DW", conv.weight.grad.permute(0, 2, 3, 1)); emit(f"conv2d{tag}DB", conv.bias.grad)

# LSTM and bidirectional LSTM over padded sequences (B=3, T=5, C=4), H=6, lengths 5, 2, 4.
lengths = [5, 2, 4]
emit_ints("lstmLengths", lengths)
for tag, bidir in [("lstm", False), ("bilstm", True)]:
    for mode in ["Last", "Seq"]:
        rnn = nn.LSTM(4, 6, batch_first=True, bidirectional=bidir)
        x = rand(3, 5, 4)
        mask = torch.zeros(3, 5, 1)
        for b, l in enumerate(lengths):
            mask[b, :l] = 1
        xm = x * mask  # padded steps hold zeros, as an embedding of the padding id would
        packed = nn.utils.rnn.pack_padded_sequence(xm, lengths, batch_first=True, enforce_sorted=False)
        out, (h, _) = rnn(packed)
        if mode == "Last":
            y = torch.cat([h[0], h[1]], dim=1) if bidir else h[0]
        else:
            y, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=5)
        name = tag + mode
        backward(y, name)
        emit(name + "X", xm)
        emit(name + "DX", x.grad * mask)
        dirs = [""] + (["_reverse"] if bidir else [])
        for d, suffix in enumerate(dirs):
            wi, wh = getattr(rnn, "weight_ih_l0" + suffix), getattr(rnn, "weight_hh_l0" + suffix)
            bi, bh = getattr(rnn, "bias_ih_l0" + suffix), getattr(rnn, "bias_hh_l0" + suffix)
            emit(f"{name}WI{d}", wi); emit(f"{name}WH{d}", wh); emit(f"{name}B{d}", bi + bh)
            emit(f"{name}DWI{d}", wi.grad); emit(f"{name}DWH{d}", wh.grad); emit(f"{name}DB{d}", bi.grad)

# BatchNorm in training mode: 1D (6, 3) and 2D NHWC (2, 3, 2, 3); weights random.
for tag, shape in [("1", (6, 3)), ("2", (2, 3, 2, 3))]:
    bn = nn.BatchNorm1d(3) if tag == "1" else nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5); bn.bias.uniform_(-0.5, 0.5)
    x = rand(*shape)
    y = bn(x) if tag == "1" else bn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    backward(y, f"batchNorm{tag}")
    emit(f"batchNorm{tag}X", x); emit(f"batchNorm{tag}G", bn.weight); emit(f"batchNorm{tag}Beta", bn.bias)
    emit(f"batchNorm{tag}DX", x.grad); emit(f"batchNorm{tag}DG", bn.weight.grad); emit(f"batchNorm{tag}DBeta", bn.bias.grad)
    emit(f"batchNorm{tag}RunningMean", bn.running_mean); emit(f"batchNorm{tag}RunningVar", bn.running_var)

# Softmax cross-entropy: plain, and with class weights + label smoothing 0.1.
logits = (torch.randn(4, 5) * 2).requires_grad_(True)
targets = torch.tensor([0, 3, 4, 3])
weights = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0])
emit("ceLogits", logits); emit_ints("ceTargets", targets.tolist()); emit("ceClassWeights", weights)
for tag, kw in [("Plain", {}), ("Weighted", {"weight": weights, "label_smoothing": 0.1})]:
    logits.grad = None
    loss = F.cross_entropy(logits, targets, **kw)
    loss.backward()
    emit(f"ce{tag}Loss", loss.reshape(1)); emit(f"ce{tag}DLogits", logits.grad)


def write(target, lines):
    """Rewrites the lines between the markers of `target` (or creates it)."""
    text = "\n".join(lines)
    begin, end = "// BEGIN GENERATED", "// END GENERATED"
    if os.path.exists(target):
        src = open(target).read()
        src = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: f"{begin}\n{text}\n    {end}", src, flags=re.S)
    else:
        src = ("// Golden values from tools/reference/generate.py. Do not edit by hand:\n"
               "// rerun the script, which rewrites the lines between the markers.\n\n"
               f"enum Golden {{\n    {begin}\n{text}\n    {end}\n}}\n")
    open(target, "w").write(src)
    print(f"wrote {len(lines)} arrays to {os.path.relpath(target)}")


write(os.path.join(TESTS, "NeuralTests", "GoldenValues.swift"), lines)
lines.clear()

# Metrics (scikit-learn), for the Statistics target.
from sklearn import metrics as skm

rng = np.random.default_rng(0)
scores = np.round(rng.random(40), 2)  # rounded so ties occur
labels = (rng.random(40) < 0.2 + 0.6 * scores).astype(int)
emit("metricScores", scores); emit_ints("metricLabels", labels)
emit_double("metricROCAUC", skm.roc_auc_score(labels, scores))
emit_double("metricPRAUC", skm.average_precision_score(labels, scores))
actual = rng.integers(0, 4, 50)
predicted = np.where(rng.random(50) < 0.6, actual, rng.integers(0, 4, 50))
emit_ints("metricActual", actual); emit_ints("metricPredicted", predicted)
for avg in ["micro", "macro"]:
    p, r, f, _ = skm.precision_recall_fscore_support(actual, predicted, average=avg, zero_division=0)
    emit(f"metricPRF{avg.capitalize()}", [p, r, f])
emit_ints("metricConfusion", skm.confusion_matrix(actual, predicted, labels=range(4)).ravel())
class_scores = rng.random((50, 4)).astype(np.float32)
emit("metricClassScores", class_scores)
emit_double("metricTop2", skm.top_k_accuracy_score(actual, class_scores, k=2, labels=range(4)))

write(os.path.join(TESTS, "StatisticsTests", "GoldenValues.swift"), lines)
