#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's BiGRUClassifier (include/birnn/models/bigru_classifier.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_bigru_classifier.py

The reference model is the PyTorch rendering of Keras' Bidirectional(GRU(H, return_sequences=True),
merge_mode) + Dense(1): `embedding` (nn.Embedding, padding_idx=0, only with a vocabulary), `gru`
(nn.GRU(bidirectional=True, batch_first=True) fed a pack_padded_sequence(enforce_sorted=False)), the merge
of output[..., :H] and output[..., H:] (concat | sum | mul | ave), then either a per-step `fc` (nn.Linear(M, 1))
or a pooling over each item's real steps (max with padded steps at -inf, mean over the length, or last =
merge(h_n[-2], h_n[-1])) and `fc`. reset_after=False (the original GRU) has no torch module: it runs
manual_gru from make_fixtures.py on the nn.GRU's parameters (same names, same init).

Writes into tests/reference/model_fixtures/, one file per configuration, everything in float64 (parameters
from torch's float32 init, float inputs drawn in float32; both exact in float32):
  <state_dict keys>  e.g. embedding.weight, gru.weight_ih_l0_reverse, fc.bias
  input (B, T, F) float or (B, T) int64 ids (0 at padding), lengths int64 (B) (absent = all T),
  target (B) or (B, T), logits (B) or (B, T), loss () = the model's loss (masked mean BCE-with-logits per
  step), grad.<key> = d loss / d parameter; metadata "config": BiGRUClassifierOptions JSON
plus bigru_classifier_state_dict.safetensors: one configuration's parameters alone in float32.
"""

import json
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
from make_fixtures import manual_gru  # noqa: E402
from model_fixture_util import fixture_tensors, write_fixtures_and_state_dict  # noqa: E402

OUT_DIR = os.path.join(HERE, "model_fixtures")
PREFIX = "bigru_classifier_"

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def merge(a, b, mode):
    if mode == "concat":
        return torch.cat([a, b], dim=-1)
    if mode == "sum":
        return a + b
    if mode == "mul":
        return a * b
    return (a + b) / 2  # ave


class BiGRUClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        if cfg["vocab_size"] > 0:
            self.embedding = nn.Embedding(cfg["vocab_size"], cfg["embedding_dim"], padding_idx=0)
            features = cfg["embedding_dim"]
        else:
            features = cfg["input_size"]
        self.gru = nn.GRU(features, cfg["hidden_size"], num_layers=cfg["num_layers"], batch_first=True,
                          bidirectional=True, dropout=cfg["dropout"])
        merged = 2 * cfg["hidden_size"] if cfg["merge_mode"] == "concat" else cfg["hidden_size"]
        self.fc = nn.Linear(merged, 1)

    def forward(self, x, lengths=None):
        cfg = self.cfg
        H, T = cfg["hidden_size"], x.shape[1]
        e = self.embedding(x) if cfg["vocab_size"] > 0 else x
        if not cfg["reset_after"]:
            out, h_n = manual_gru(e, lengths, None, dict(self.gru.named_parameters()), cfg["num_layers"], True, H,
                                  True, True, reset_after=False)
        elif lengths is None:
            out, h_n = self.gru(e)
        else:
            packed = pack_padded_sequence(e, lengths, batch_first=True, enforce_sorted=False)
            out, h_n = self.gru(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        m = merge(out[..., :H], out[..., H:], cfg["merge_mode"])  # (B, T, M)
        if cfg["head"] == "per_step":
            return self.fc(m).squeeze(-1)
        B = x.shape[0]
        lens = lengths if lengths is not None else torch.full((B,), T, dtype=torch.int64)
        mask = (torch.arange(T).unsqueeze(0) < lens.unsqueeze(1)).unsqueeze(2)  # (B, T, 1)
        if cfg["pooling"] == "max":
            pooled = m.masked_fill(~mask, float("-inf")).max(dim=1).values
        elif cfg["pooling"] == "mean":
            pooled = (m * mask).sum(dim=1) / lens.unsqueeze(1).to(m.dtype)
        else:  # last: each direction's final state, from h_n of the last layer
            pooled = merge(h_n[-2], h_n[-1], cfg["merge_mode"])
        return self.fc(pooled).squeeze(-1)

    def loss(self, x, y, lengths=None):
        logits = self(x, lengths)
        if self.cfg["head"] == "pooled":
            return F.binary_cross_entropy_with_logits(logits, y)
        T = x.shape[1]
        lens = lengths if lengths is not None else torch.full((x.shape[0],), T, dtype=torch.int64)
        mask = (torch.arange(T).unsqueeze(0) < lens.unsqueeze(1)).to(logits.dtype)
        per = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
        return (per * mask).sum() / mask.sum()


def config(head, pooling="max", merge_mode="concat", reset_after=True, num_layers=1, vocab=0, lengths=True):
    return {"input_size": 0 if vocab else 3, "vocab_size": vocab, "embedding_dim": 3 if vocab else 0,
            "hidden_size": 4, "num_layers": num_layers, "reset_after": reset_after, "merge_mode": merge_mode,
            "head": head, "pooling": pooling, "dropout": 0.0 if num_layers == 1 else 0.2, "has_lengths": lengths}


CONFIGS = {
    "per_step_concat_lengths": config("per_step"),
    "per_step_ave_2layers_lengths": config("per_step", merge_mode="ave", num_layers=2),
    "per_step_ids_sum_lengths": config("per_step", merge_mode="sum", vocab=7),
    "pooled_max_concat_lengths": config("pooled", "max"),
    "pooled_mean_sum_lengths": config("pooled", "mean", "sum"),
    "pooled_last_mul_2layers_lengths": config("pooled", "last", "mul", num_layers=2),
    "pooled_last_ids_concat_full": config("pooled", "last", vocab=7, lengths=False),
    "pooled_mean_ids_ave_lengths": config("pooled", "mean", "ave", vocab=7),
    "reset_before_per_step_concat_lengths": config("per_step", reset_after=False),
    "reset_before_pooled_max_sum_2layers_lengths": config("pooled", "max", "sum", reset_after=False, num_layers=2),
    "reset_before_pooled_last_ids_concat_lengths": config("pooled", "last", vocab=7, reset_after=False),
}
STATE_DICT_CONFIG = "per_step_ids_sum_lengths"


def birnn_config(cfg):
    return {k: v for k, v in cfg.items() if k != "has_lengths"}


def generate(name, cfg):
    seed = zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF
    torch.manual_seed(seed)
    model = BiGRUClassifier(cfg).double().eval()  # float32 init, kept exactly; eval: no dropout
    gen = torch.Generator().manual_seed(seed + 1)
    B, T = 4, 5
    lengths = torch.tensor([5, 2, 4, 1], dtype=torch.int64) if cfg["has_lengths"] else None
    lens = lengths if lengths is not None else torch.full((B,), T, dtype=torch.int64)
    real = torch.arange(T).unsqueeze(0) < lens.unsqueeze(1)  # (B, T)
    if cfg["vocab_size"] > 0:
        x = torch.randint(1, cfg["vocab_size"], (B, T), generator=gen, dtype=torch.int64) * real
    else:
        x = (torch.rand(B, T, cfg["input_size"], generator=gen, dtype=torch.float32) * 2 - 1).double()
    if cfg["head"] == "per_step":
        y = torch.randint(0, 2, (B, T), generator=gen).double() * real
    else:
        y = torch.rand(B, generator=gen, dtype=torch.float32).double()  # soft targets in [0, 1]
    logits = model(x, lengths)
    loss = model.loss(x, y, lengths)
    model.zero_grad()
    loss.backward()
    data = [("input", x), ("lengths", lengths), ("target", y), ("logits", logits), ("loss", loss)]
    tensors = fixture_tensors(model, data)
    metadata = {"config": json.dumps(birnn_config(cfg), sort_keys=True)}
    return model, tensors, metadata


def describe(name, tensors):
    print("%-48s logits max %.3f loss %.4f" % (name, dict(tensors)["logits"].abs().max().item(),
                                              dict(tensors)["loss"].item()))


def main():
    written = write_fixtures_and_state_dict(OUT_DIR, PREFIX, CONFIGS, generate, STATE_DICT_CONFIG, describe,
                                            max_bytes=200 * 1024)
    print("wrote %d files to %s" % (len(written), OUT_DIR))


if __name__ == "__main__":
    main()
