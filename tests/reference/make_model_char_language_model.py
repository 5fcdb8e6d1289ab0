#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's CharLanguageModel (include/birnn/models/char_language_model.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_char_language_model.py

Writes model_fixtures/char_language_model_<config>.safetensors (deleting stale ones of this model) with:
  metadata "config"        the CharLanguageModelOptions JSON the C++ test builds the model from
  ids (B, T) int64, lengths (B) int64 (only when the config has lengths)
  <state_dict names>       torch's init, rounded to float32 (so float32 code loads them exactly)
  logits (B, T, V)         model(ids, lengths), eval mode
  loss ()                  next-char cross-entropy: inputs ids[:, :-1], targets ids[:, 1:], lengths - 1
  grad.<name>              d loss / d parameter
  next_ids (B, T2), next_logits (B, T2, V)   the next chunk, started from the (h, c) that forward(ids, lengths) ended in
Everything is computed in float64. Deterministic: seeds are derived from the fixture names.
"""

import json
import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from model_fixture_util import total_bytes, write_fixture_files  # noqa: E402

OUT_DIR = os.path.join(HERE, "model_fixtures")
PREFIX = "char_language_model_"

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


class CharLanguageModel(nn.Module):
    def __init__(self, V, E, one_hot, cell, H, L, dropout, bidirectional):
        super().__init__()
        self.V, self.one_hot = V, one_hot
        if not one_hot:
            self.embedding = nn.Embedding(V, E, padding_idx=0)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(V if one_hot else E, H, L, batch_first=True, dropout=dropout, bidirectional=bidirectional)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear((2 if bidirectional else 1) * H, V)

    def forward(self, ids, lengths=None, state=None):
        x = F.one_hot(ids, self.V).to(self.fc.weight.dtype) if self.one_hot else self.embedding(ids)
        T = ids.shape[1]
        if lengths is not None:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, state = self.rnn(packed, state)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
        else:
            out, state = self.rnn(x, state)
        return self.fc(self.drop(out)), state

    def loss(self, ids, lengths=None):
        inputs, targets = ids[:, :-1], ids[:, 1:]
        short = None if lengths is None else lengths - 1
        logits, _ = self.forward(inputs, short)
        B, T = targets.shape
        per = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1), reduction="none").reshape(B, T)
        if short is None:
            return per.mean()
        mask = (torch.arange(T).unsqueeze(0) < short.unsqueeze(1)).to(per.dtype)
        return (per * mask).sum() / mask.sum()


def configs():
    c = []

    def add(name, B, T, T2, lengths, **o):
        c.append((name, dict(B=B, T=T, T2=T2, lengths=lengths), o))

    base = dict(vocab_size=11, embedding_dim=6, one_hot=False, cell="lstm", hidden_size=8, num_layers=1, dropout=0.0,
                bidirectional=False)
    add("lstm_embedding", 3, 7, 4, None, **base)
    add("gru_embedding_2layers_lengths", 3, 7, 5, [7, 4, 2], **dict(base, cell="gru", num_layers=2, dropout=0.25))
    add("lstm_one_hot_2layers_lengths", 2, 6, 3, [3, 6], **dict(base, one_hot=True, num_layers=2, hidden_size=7))
    add("gru_one_hot", 2, 5, 3, None, **dict(base, cell="gru", one_hot=True, vocab_size=9))
    add("lstm_bidirectional_lengths", 3, 6, 4, [6, 2, 5], **dict(base, bidirectional=True, hidden_size=5))
    return c


def generate(name, shape, o):
    seed = zlib.crc32((PREFIX + name).encode("utf-8"))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    m = CharLanguageModel(o["vocab_size"], o["embedding_dim"], o["one_hot"], o["cell"], o["hidden_size"], o["num_layers"],
                          o["dropout"], o["bidirectional"]).double().eval()
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(p.float().double())
    B, T, V = shape["B"], shape["T"], o["vocab_size"]
    ids = torch.randint(1, V, (B, T), generator=gen, dtype=torch.int64)
    lengths = None if shape["lengths"] is None else torch.tensor(shape["lengths"], dtype=torch.int64)
    if lengths is not None:
        for b in range(B):
            ids[b, lengths[b]:] = 0  # padding id

    loss = m.loss(ids, lengths)
    params = list(m.named_parameters())
    grads = torch.autograd.grad(loss, [p for _, p in params])
    with torch.no_grad():
        logits, state = m(ids, lengths)
        next_ids = torch.randint(1, V, (B, shape["T2"]), generator=gen, dtype=torch.int64)
        next_logits, _ = m(next_ids, None, state)

    tensors = [("ids", ids)] + ([("lengths", lengths)] if lengths is not None else [])
    tensors += [(n, p) for n, p in params]
    tensors += [("logits", logits), ("loss", loss), ("next_ids", next_ids), ("next_logits", next_logits)]
    tensors += [("grad." + n, g) for (n, _), g in zip(params, grads)]
    tensors = [(n, t.detach()) for n, t in tensors]
    metadata = {"config": json.dumps(o), "seed": str(seed), "torch_version": torch.__version__}
    return tensors, metadata


def main():
    jobs = [(n, lambda n=n, a=a: generate(n, *a)) for n, *a in configs()]
    written = write_fixture_files(OUT_DIR, PREFIX, jobs)
    total = total_bytes(OUT_DIR, written)
    print("wrote %d char_language_model fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
