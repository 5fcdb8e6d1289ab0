#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's CNNLSTMBiGRUClassifier (include/birnn/models/cnn_lstm_bigru_classifier.hpp)
and for the MaxPool1d layer it uses.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_cnn_lstm_bigru_classifier.py

Writes into tests/reference/model_fixtures/:
  cnn_lstm_bigru_classifier_<config>.safetensors: the state_dict (same attribute names as birnn, float32 or
    float64 for *_f64), input.ids (B, T) int64 (0 past each length), input.lengths, input.labels,
    output.logits, output.loss (mean cross-entropy) and grad.<parameter> for every parameter; options in
    the metadata. Eval mode, torch's random init.
  cnn_lstm_bigru_classifier_maxpool_<config>.safetensors: torch.nn.MaxPool1d(kernel_size, stride) on
    input (float32/float64) -> output, and grad.input of sum(output * weight) with the stored weight.
Stale cnn_lstm_bigru_classifier_*.safetensors files are deleted; every file is re-read with the
independent reader of make_fixtures.py.
"""

import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from model_fixture_util import fixture_tensors, total_bytes, write_fixture_files  # noqa: E402

OUT_DIR = os.path.join(HERE, "model_fixtures")
PREFIX = "cnn_lstm_bigru_classifier_"

torch.set_num_threads(1)


class CNNLSTMBiGRUClassifier(nn.Module):
    """embedding (masked past each length) -> Conv1d 'same' + ReLU (masked) -> zero right-pad to a multiple
    of pool_size + MaxPool1d(pool_size) -> LSTM -> BiGRU (packed, lengths ceil(len / pool_size)) ->
    masked max or mean over time -> Dropout -> Linear."""

    def __init__(self, vocab_size, embedding_dim, filters, kernel_size, pool_size, lstm_hidden, gru_hidden, pooling,
                 dropout, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(embedding_dim, filters, kernel_size, padding=kernel_size // 2)
        self.lstm = nn.LSTM(filters, lstm_hidden, batch_first=True)
        self.gru = nn.GRU(lstm_hidden, gru_hidden, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * gru_hidden, num_classes)
        self.pool_size, self.pooling, self.p = pool_size, pooling, dropout

    def forward(self, ids, lengths):
        T, P = ids.shape[1], self.pool_size
        mask = torch.arange(T)[None, :] < lengths[:, None]                      # (B, T)
        e = self.embedding(ids) * mask[:, :, None]
        c = F.relu(self.conv(e.transpose(1, 2))) * mask[:, None, :]            # (B, F, T)
        Tp = (T + P - 1) // P
        c = F.pad(c, (0, Tp * P - T))
        if P > 1:
            c = nn.MaxPool1d(P)(c)                                                 # (B, F, Tp)
        plen = (lengths + P - 1) // P
        x = c.transpose(1, 2)
        h, _ = self.lstm(pack_padded_sequence(x, plen, batch_first=True, enforce_sorted=False))
        g, _ = pad_packed_sequence(self.gru(h)[0], batch_first=True, total_length=Tp)  # (B, Tp, 2*Hg)
        m = (torch.arange(Tp)[None, :] < plen[:, None]).unsqueeze(-1)
        if self.pooling == "max":
            p = g.masked_fill(~m, float("-inf")).max(1).values
        else:
            p = (g * m).sum(1) / plen[:, None].to(g.dtype)
        return self.fc(F.dropout(p, self.p, self.training))


BASE = dict(vocab_size=20, embedding_dim=5, filters=6, kernel_size=3, pool_size=2, lstm_hidden=4, gru_hidden=3,
            pooling="max", dropout=0.2, num_classes=3)


def model_configs():
    # (name, options, lengths or None = all T, T, float64)
    yield "k3_p2_max_full", dict(BASE), None, 9, False
    yield "k3_p2_max_varlen", dict(BASE), [9, 4, 1, 6], 9, False
    yield "k5_p3_mean_varlen", dict(BASE, kernel_size=5, pool_size=3, pooling="mean"), [9, 5, 2, 7], 9, False
    yield "k1_p1_max_varlen", dict(BASE, kernel_size=1, pool_size=1), [3, 6, 1, 5], 6, False
    yield "k3_p2_max_varlen_f64", dict(BASE), [9, 4, 1, 6], 9, True
    yield "k5_p3_mean_varlen_f64", dict(BASE, kernel_size=5, pool_size=3, pooling="mean"), [9, 5, 2, 7], 9, True


def make_model(name, opts, lengths, T, f64):
    torch.manual_seed(zlib.crc32(name.encode()))
    model = CNNLSTMBiGRUClassifier(**opts)
    if f64:
        model = model.double()
    model.eval()
    B = 4
    ids = torch.randint(1, opts["vocab_size"], (B, T), dtype=torch.int64)
    lens = torch.tensor(lengths if lengths else [T] * B, dtype=torch.int64)
    for b in range(B):
        ids[b, lens[b]:] = 0
    labels = torch.randint(0, opts["num_classes"], (B,), dtype=torch.int64)
    logits = model(ids, lens)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    tensors = fixture_tensors(model, [("input.ids", ids), ("input.lengths", lens), ("input.labels", labels),
                                      ("output.logits", logits), ("output.loss", loss.reshape(1))])
    meta = dict(opts)
    meta["dtype"] = "f64" if f64 else "f32"
    meta["full_lengths"] = int(lengths is None)
    return tensors, meta


def maxpool_configs():
    # (name, input shape, kernel_size, stride or None (= kernel_size), float64)
    yield "maxpool_k2", (2, 3, 8), 2, None, False
    yield "maxpool_k3_s2_overlap", (2, 3, 9), 3, 2, False
    yield "maxpool_k3_s1_2d", (4, 7), 3, 1, False
    yield "maxpool_k2_s3_gaps", (1, 2, 10), 2, 3, False
    yield "maxpool_k3_s2_f64", (2, 3, 9), 3, 2, True


def make_maxpool(name, shape, k, s, f64):
    gen = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    dt = torch.float64 if f64 else torch.float32
    x = torch.rand(shape, generator=gen, dtype=torch.float32).to(dt) * 2 - 1
    x.view(-1)[1] = x.view(-1)[0]  # a tie: the first position wins, as in torch
    x.requires_grad_(True)
    y = nn.MaxPool1d(k, stride=s)(x)
    w = (torch.rand(y.shape, generator=gen, dtype=torch.float32) * 2 - 1).to(dt)
    (y * w).sum().backward()
    tensors = [("input", x), ("weight", w), ("output", y), ("grad.input", x.grad)]
    meta = {"kernel_size": k, "stride": s if s is not None else 0, "dtype": "f64" if f64 else "f32"}
    return tensors, meta


def main():
    jobs = [(n, lambda n=n, a=a: make_model(n, *a)) for n, *a in model_configs()]
    jobs += [(n, lambda n=n, a=a: make_maxpool(n, *a)) for n, *a in maxpool_configs()]
    written = write_fixture_files(OUT_DIR, PREFIX, jobs, max_bytes=200_000)
    total = total_bytes(OUT_DIR, written)
    print("wrote %d fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    main()
