#!/usr/bin/python3
"""The `birnn train pos` run in PyTorch: same split, same vocabulary rules, same model and defaults, to
compare held-out accuracy and seconds per epoch on this CPU.

    BIRNN_DATA_DIR=/tmp/birnn-data-cache /usr/bin/python3 bench/tasks/pos_pytorch.py [--epochs 11] [--limit N]
        [--lr-decay F --lr-decay-after N]   (as `birnn train pos`'s flags and defaults: 0.5 after 8)
        [--checkpoint FILE]   (save after every epoch; an existing FILE is resumed: bench/tasks/torch_checkpoint.py)

Rules copied from src/tasks/pos_task.cpp and src/data (Brown reader):
  - files c[a-r]NN sorted by name, file i held out when i % 10 == 9; one sentence per non-blank line of
    `word/tag` tokens (tag after the last '/'); tags normalised as data::normalize_brown_tag;
  - dev = every 20th sentence of the training part (i % 20 == 19), the rest trains;
  - words lowercased (ASCII) with digits -> '0' for the embedding, min count 2, <pad>=0 <unk>=1; characters
    (code points) of the word as written, min count 2, at most 30 per word; tags by frequency (ties in byte
    order), then dev/test-only tags appended;
  - model: word embedding 100, char embedding 30, Conv1d(30, 30, 3, padding 1), max over each word's
    characters then tanh, dropout 0.5, BiLSTM(hidden 200), dropout 0.5, Linear, CRF (NLL per token);
  - Adam(lr 2e-3, halved each epoch after epoch 8), batch 32, gradient norm clipped at 5, shuffled batches bucketed by length (chunks of
    16 batches sorted by length), torch.set_num_threads(1).
The CRF is a plain forward algorithm / Viterbi (pytorch-crf is not in Debian), start/end/transition scores.
"""
import argparse
import os
import random
import re
import time
from collections import Counter

# One thread: without this OpenBLAS starts its own thread beside torch.set_num_threads(1) (measured: 28 CPU-s
# over 15 s of wall time for one epoch, i.e. two cores).
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
import torch
import torch.nn as nn

import torch_checkpoint

torch.set_num_threads(1)


def normalize_tag(t):
    t = t.lower()
    while True:
        old = t
        if t.startswith("fw-") and len(t) > 3:
            t = t[3:]
        for s in ("-tl", "-hl", "-nc", "-t", "-n"):
            if t.endswith(s) and len(t) > len(s):
                t = t[: -len(s)]
        if t == old:
            return t


def load_brown(d):
    files = sorted(f for f in os.listdir(d) if re.fullmatch(r"c[a-r]\d\d", f))
    train, test = [], []
    for i, f in enumerate(files):
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            for line in fh:
                toks = line.split()
                if not toks:
                    continue
                words, tags = [], []
                for tok in toks:
                    w, _, t = tok.rpartition("/")
                    words.append(w)
                    tags.append(normalize_tag(t))
                (test if i % 10 == 9 else train).append((words, tags))
    return train, test


def norm_word(w):
    return "".join(c.lower() if "A" <= c <= "Z" else ("0" if "0" <= c <= "9" else c) for c in w)


def build_vocab(counter, min_count, reserved=True):
    items = sorted(((w, c) for w, c in counter.items() if c >= min_count), key=lambda x: (-x[1], x[0].encode()))
    base = ["<pad>", "<unk>"] if reserved else []
    return {w: i for i, w in enumerate(base + [w for w, _ in items])}


class CRF(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.start = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))
        self.end = nn.Parameter(torch.empty(k).uniform_(-0.1, 0.1))
        self.trans = nn.Parameter(torch.empty(k, k).uniform_(-0.1, 0.1))

    def nll(self, em, tags, mask):  # em (B, T, K), tags (B, T), mask (B, T) bool; returns sum over batch
        B, T, K = em.shape
        ar = torch.arange(B)
        score = self.start[tags[:, 0]] + em[ar, 0, tags[:, 0]]
        alpha = self.start + em[:, 0]
        for t in range(1, T):
            m = mask[:, t]
            score = score + (self.trans[tags[:, t - 1], tags[:, t]] + em[ar, t, tags[:, t]]) * m
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.trans + em[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(m.unsqueeze(1), nxt, alpha)
        last = tags[ar, mask.sum(1) - 1]
        score = score + self.end[last]
        logz = torch.logsumexp(alpha + self.end, dim=1)
        return (logz - score).sum()

    def viterbi(self, em, lengths):
        out = []
        for b in range(em.shape[0]):
            n = int(lengths[b])
            v = self.start + em[b, 0]
            back = []
            for t in range(1, n):
                s = v.unsqueeze(1) + self.trans
                v, idx = s.max(0)
                v = v + em[b, t]
                back.append(idx)
            best = [int((v + self.end).argmax())]
            for idx in reversed(back):
                best.append(int(idx[best[-1]]))
            out.append(best[::-1])
        return out


class Tagger(nn.Module):
    def __init__(self, nw, nc, nt, wd=100, cd=30, cf=30, hidden=200, dropout=0.5):
        super().__init__()
        self.word_embedding = nn.Embedding(nw, wd, padding_idx=0)
        self.char_embedding = nn.Embedding(nc, cd, padding_idx=0)
        self.char_conv = nn.Conv1d(cd, cf, 3, padding=1)
        self.lstm = nn.LSTM(wd + cf, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, nt)
        self.crf = CRF(nt)

    def emissions(self, words, chars, lengths):
        B, T, C = chars.shape
        c = self.char_embedding(chars.view(B * T, C)).transpose(1, 2)  # (BT, cd, C)
        z = self.char_conv(c)
        z = z.masked_fill((chars.view(B * T, 1, C) == 0), float("-inf")).max(2).values
        z = torch.tanh(torch.where(torch.isinf(z), torch.zeros_like(z), z)).view(B, T, -1)
        x = self.drop(torch.cat([self.word_embedding(words), z], 2))
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=T)
        return self.fc(self.drop(h))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=11)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr-decay", type=float, default=0.5)
    ap.add_argument("--lr-decay-after", type=int, default=8)
    ap.add_argument("--checkpoint", default="")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    d = os.path.join(os.environ.get("BIRNN_DATA_DIR", os.path.expanduser("~/.cache/birnn")), "brown")
    train_part, test = load_brown(d)
    if a.limit:
        train_part = train_part[: a.limit]
    dev = [s for i, s in enumerate(train_part) if i % 20 == 19]
    train = [s for i, s in enumerate(train_part) if i % 20 != 19]
    wv = build_vocab(Counter(norm_word(w) for s in train for w in s[0]), 2)
    cv = build_vocab(Counter(c for s in train for w in s[0] for c in w), 2)
    tv = build_vocab(Counter(t for s in train for t in s[1]), 1, reserved=False)
    for t in sorted({t for s in dev + test for t in s[1] if t not in tv}, key=str.encode):
        tv[t] = len(tv)

    def encode(s):
        w = [wv.get(norm_word(x), 1) for x in s[0]]
        c = [[cv.get(ch, 1) for ch in x[:30]] for x in s[0]]
        return w, c, [tv[t] for t in s[1]]

    def batch(data):
        T = max(len(x[0]) for x in data)
        C = max(len(c) for x in data for c in x[1])
        B = len(data)
        W = torch.zeros(B, T, dtype=torch.long)
        Ch = torch.zeros(B, T, C, dtype=torch.long)
        Y = torch.zeros(B, T, dtype=torch.long)
        L = torch.tensor([len(x[0]) for x in data])
        for b, (w, c, y) in enumerate(data):
            W[b, : len(w)] = torch.tensor(w)
            Y[b, : len(y)] = torch.tensor(y)
            for t, cc in enumerate(c):
                Ch[b, t, : len(cc)] = torch.tensor(cc)
        return W, Ch, L, Y

    tr, dv, te = [encode(s) for s in train], [encode(s) for s in dev], [encode(s) for s in test]
    model = Tagger(len(wv), len(cv), len(tv))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    bs = 32

    def evaluate(data):
        model.eval()
        ok = n = 0
        with torch.no_grad():
            for i in range(0, len(data), 64):
                W, Ch, L, Y = batch(data[i : i + 64])
                paths = model.crf.viterbi(model.emissions(W, Ch, L), L)
                for b, p in enumerate(paths):
                    ok += sum(int(p[t] == Y[b, t]) for t in range(len(p)))
                    n += len(p)
        return ok / max(n, 1)

    best, best_state, first = -1, None, 0
    loop = torch_checkpoint.load(a.checkpoint, model, opt)
    if loop:
        best, best_state, first = loop["best"], loop["best_state"], loop["epoch"]
    for epoch in range(first, a.epochs):
        for g in opt.param_groups:  # constant for the first N epochs, then times F every epoch
            g["lr"] = 2e-3 * a.lr_decay ** max(0, epoch + 1 - a.lr_decay_after)
        model.train()
        idx = list(range(len(tr)))
        random.shuffle(idx)
        plan = []
        for i in range(0, len(idx), 16 * bs):
            chunk = sorted(idx[i : i + 16 * bs], key=lambda j: -len(tr[j][0]))
            plan += [chunk[k : k + bs] for k in range(0, len(chunk), bs)]
        random.shuffle(plan)
        t0, c0, tokens, total = time.time(), time.process_time(), 0, 0.0
        for step, p in enumerate(plan):
            W, Ch, L, Y = batch([tr[j] for j in p])
            mask = torch.arange(W.shape[1]).unsqueeze(0) < L.unsqueeze(1)
            loss = model.crf.nll(model.emissions(W, Ch, L), Y, mask) / L.sum()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tokens += int(L.sum())
            total += float(loss)
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}/{len(plan)} loss {total / (step + 1):.4f} {tokens / (time.time() - t0):.0f} tokens/s", flush=True)
        secs = time.time() - t0
        acc = evaluate(dv)
        # epoch = training steps + dev evaluation, as birnn's epoch lines (and bench/tasks/birnn_epoch_cpu.py) count it
        wall, cpu = time.time() - t0, time.process_time() - c0
        print(f"epoch {epoch + 1}: train loss {total / len(plan):.4f}, {secs:.1f} s ({tokens / secs:.0f} tokens/s), dev accuracy {acc:.4f}"
              f"  [epoch {wall:.1f} s wall, {cpu:.1f} s CPU]", flush=True)
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
        torch_checkpoint.save(a.checkpoint, model, opt, {"epoch": epoch + 1, "best": best, "best_state": best_state})
    model.load_state_dict(best_state)
    print(f"held-out accuracy {evaluate(te):.4f}")


if __name__ == "__main__":
    main()
