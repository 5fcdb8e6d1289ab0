#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's PooledTextClassifier (include/birnn/models/pooled_text_classifier.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_pooled_text_classifier.py

Builds the same model in PyTorch (same attribute names, so the state_dict keys are birnn's), with torch's
random init, in eval mode, and writes one safetensors file per configuration into
tests/reference/model_fixtures/pooled_text_classifier_<config>.safetensors holding
  - the state_dict under its own names (float32, or float64 for *_f64 configurations),
  - input.ids (B, T) int64 (0 beyond each length), input.lengths (B) int64, input.labels (B) int64,
  - output.logits (B, C) and output.loss (the mean cross-entropy against input.labels),
  - grad.<parameter name>: the gradient of output.loss w.r.t. every parameter,
and the options in the metadata. Stale pooled_text_classifier_*.safetensors files are deleted; every
file is re-read with the independent reader of make_fixtures.py.
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
PREFIX = "pooled_text_classifier_"

torch.set_num_threads(1)


class PooledTextClassifier(nn.Module):
    """embedding -> Linear + GELU (+ dropout) -> LSTM (packed) -> LayerNorm -> [masked mean, masked max]
    over time -> Linear + GELU + Dropout -> Linear."""

    def __init__(self, vocab_size, embedding_dim, mlp_dim, hidden_size, num_layers, lstm_dropout,
                 bidirectional, head_dim, dropout, num_classes):
        super().__init__()
        d = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.proj = nn.Linear(embedding_dim, mlp_dim)
        self.lstm = nn.LSTM(mlp_dim, hidden_size, num_layers, dropout=lstm_dropout, bidirectional=bidirectional,
                            batch_first=True)
        self.norm = nn.LayerNorm(d * hidden_size)
        self.head1 = nn.Linear(2 * d * hidden_size, head_dim)
        self.head2 = nn.Linear(head_dim, num_classes)
        self.p = dropout

    def forward(self, ids, lengths):
        T = ids.shape[1]
        u = F.dropout(F.gelu(self.proj(self.embedding(ids))), self.p, self.training)
        packed = pack_padded_sequence(u, lengths, batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True, total_length=T)
        n = self.norm(h)
        mask = (torch.arange(T)[None, :] < lengths[:, None]).unsqueeze(-1)  # (B, T, 1)
        mean = (n * mask).sum(1) / lengths[:, None].to(n.dtype)
        mx = n.masked_fill(~mask, float("-inf")).max(1).values
        z = F.dropout(F.gelu(self.head1(torch.cat([mean, mx], 1))), self.p, self.training)
        return self.head2(z)


BASE = dict(vocab_size=20, embedding_dim=6, mlp_dim=5, hidden_size=4, num_layers=3, lstm_dropout=0.5,
            bidirectional=True, head_dim=5, dropout=0.2, num_classes=3)


def configs():
    # (name, options, lengths or None = all T, float64)
    yield "uni_1layer_full", dict(BASE, num_layers=1, bidirectional=False), None, False
    yield "bi_3layers_varlen", dict(BASE), [7, 3, 5, 1], False
    yield "uni_2layers_varlen", dict(BASE, num_layers=2, bidirectional=False), [2, 7, 4, 6], False
    yield "bi_3layers_varlen_f64", dict(BASE), [7, 3, 5, 1], True
    yield "uni_1layer_varlen_f64", dict(BASE, num_layers=1, bidirectional=False), [4, 7, 1, 2], True


def make(name, opts, lengths, f64):
    torch.manual_seed(zlib.crc32(name.encode()))
    model = PooledTextClassifier(**opts)
    if f64:
        model = model.double()
    model.eval()
    B, T = 4, 7
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
    meta = {k: (int(v) if isinstance(v, bool) else v) for k, v in opts.items()}
    meta["dtype"] = "f64" if f64 else "f32"
    meta["full_lengths"] = int(lengths is None)
    return tensors, meta


def main():
    jobs = [(n, lambda n=n, a=a: make(n, *a)) for n, *a in configs()]
    written = write_fixture_files(OUT_DIR, PREFIX, jobs, max_bytes=200_000)
    total = total_bytes(OUT_DIR, written)
    print("wrote %d fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    main()
