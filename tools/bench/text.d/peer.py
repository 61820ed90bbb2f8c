"""Peer on the same split: a PyTorch word-level 1D CNN (Kim 2014, widths 1-3, max-pooled, plus the
mean embedding), trained like triage's (Adam 2e-3, batch 16, label smoothing 0.05, dropout 0.4,
10% validation, early stopping with patience 4, at most 30 epochs), on 2 threads.

usage: peer.py TRAIN.csv TEST.csv TEXT_COLUMN LABEL_COLUMN [MAX_TOKENS]
prints {"accuracy", "macroF1", "seconds"} (seconds: training only).
"""
import csv, json, random, re, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(1)
random.seed(1)
train_path, test_path, text_col, label_col = sys.argv[1:5]
max_tokens = int(sys.argv[5]) if len(sys.argv) > 5 else 256
csv.field_size_limit(1 << 30)
read = lambda p: [(r[text_col], r[label_col]) for r in csv.DictReader(open(p, newline="", encoding="utf-8"))]
train, test = read(train_path), read(test_path)
tok = lambda s: re.findall(r"[a-z0-9]+", s.lower())[:max_tokens]
classes = sorted({y for _, y in train})
cid = {c: i for i, c in enumerate(classes)}
vocab = {}
for t, _ in train:
    for w in tok(t):
        vocab.setdefault(w, len(vocab) + 2)

def encode(rows):
    ids = [[vocab.get(w, 1) for w in tok(t)] or [1] for t, _ in rows]
    ys = [cid.get(y, -1) for _, y in rows]
    return ids, ys

class Net(nn.Module):
    def __init__(self, v, k, d=64, f=96):
        super().__init__()
        self.emb = nn.Embedding(v, d, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(d, f, w, padding="same") for w in (1, 2, 3))
        self.drop = nn.Dropout(0.4)
        self.out = nn.Linear(d + 3 * f, k)
    def forward(self, x, lengths):
        e = self.emb(x)                                    # (B, T, D)
        mask = (torch.arange(x.shape[1])[None, :] < lengths[:, None]).float()
        bag = (e * mask[..., None]).sum(1) / lengths[:, None].float()
        h = e.transpose(1, 2)
        pools = [F.relu(c(h)).masked_fill(mask[:, None, :] == 0, -1e9).max(2).values for c in self.convs]
        return self.out(self.drop(torch.cat([bag] + pools, 1)))

def batch(ids):
    t = max(len(s) for s in ids)
    x = torch.zeros(len(ids), t, dtype=torch.long)
    for i, s in enumerate(ids):
        x[i, :len(s)] = torch.tensor(s)
    return x, torch.tensor([len(s) for s in ids])

ids, ys = encode(train)
order = list(range(len(ids)))
random.shuffle(order)
by = {}
for i in order:
    by.setdefault(ys[i], []).append(i)
val = [i for c in by.values() for i in c[: round(len(c) * 0.1)] if len(c) >= 2]
val_set = set(val)
tr = [i for i in order if i not in val_set]
net = Net(len(vocab) + 2, len(classes))
opt = torch.optim.Adam(net.parameters(), lr=2e-3)
best, best_state, since = float("inf"), None, 0
start = time.time()
for epoch in range(30):
    net.train()
    random.shuffle(tr)
    for b in range(0, len(tr), 16):
        idx = tr[b:b + 16]
        x, l = batch([ids[i] for i in idx])
        loss = F.cross_entropy(net(x, l), torch.tensor([ys[i] for i in idx]), label_smoothing=0.05)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        x, l = batch([ids[i] for i in val])
        vl = F.cross_entropy(net(x, l), torch.tensor([ys[i] for i in val])).item()
    if vl < best - 1e-4:
        best, best_state, since = vl, {k: v.clone() for k, v in net.state_dict().items()}, 0
    else:
        since += 1
        if since >= 4:
            break
seconds = time.time() - start
net.load_state_dict(best_state)
net.eval()
tids, tys = encode(test)
with torch.no_grad():
    preds = []
    for b in range(0, len(tids), 256):
        x, l = batch(tids[b:b + 256])
        preds += net(x, l).argmax(1).tolist()
right = sum(p == y for p, y in zip(preds, tys))
f1s = []
for c in range(len(classes)):
    tp = sum(1 for p, y in zip(preds, tys) if p == c and y == c)
    fp = sum(1 for p, y in zip(preds, tys) if p == c and y != c)
    fn = sum(1 for p, y in zip(preds, tys) if p != c and y == c)
    if tp + fp + fn:
        f1s.append(2 * tp / (2 * tp + fp + fn))
print(json.dumps({"accuracy": right / len(tys), "macroF1": sum(f1s) / len(f1s), "seconds": seconds}))
