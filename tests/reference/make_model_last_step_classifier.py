#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's LastStepClassifier (include/birnn/models/last_step_classifier.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_last_step_classifier.py

The reference model is written the way a PyTorch user would: `rnn` (nn.RNN / nn.LSTM / nn.GRU,
batch_first, fed a pack_padded_sequence(enforce_sorted=False)) and `fc` (nn.Linear) on the last layer's
h_n (forward and backward rows concatenated). The original GRU form (gru_reset_before) has no torch module:
it runs manual_gru from make_fixtures.py on the parameters of an nn.GRU (same names, same init).

Writes into tests/reference/model_fixtures/, one file per configuration, everything in float64 (parameters
drawn by torch's float32 init, inputs drawn in float32; both exact in float32):
  <state_dict keys>      the model's parameters, e.g. rnn.weight_ih_l0, fc.weight
  input (B, T, F), lengths int64 (B) (absent = all T), labels int64 (B)
  logits (B, C), loss () = F.cross_entropy(logits, labels), grad.<key> = d loss / d parameter
  metadata "config": the birnn options as JSON (LastStepClassifierOptions::from_json)
plus last_step_classifier_state_dict.safetensors: one configuration's parameters alone in float32, as a
user exports `model.float().state_dict()` (loaded by birnn::load, strict).
Stale last_step_classifier_*.safetensors files are removed; every file is re-read and checked.
"""

import json
import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from make_fixtures import manual_gru  # noqa: E402
from model_fixture_util import fixture_tensors, write_fixtures_and_state_dict  # noqa: E402

OUT_DIR = os.path.join(HERE, "model_fixtures")
PREFIX = "last_step_classifier_"

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


class LastStepClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        cell = cfg["cell"]
        args = dict(input_size=cfg["input_size"], hidden_size=cfg["hidden_size"], num_layers=cfg["num_layers"],
                    batch_first=True, bidirectional=cfg["bidirectional"], dropout=cfg["dropout"])
        if cell in ("rnn_tanh", "rnn_relu"):
            self.rnn = nn.RNN(nonlinearity=cell[4:], **args)
        elif cell == "lstm":
            self.rnn = nn.LSTM(proj_size=cfg["proj_size"], **args)
        else:  # gru, gru_reset_before (the latter runs manual_gru on these parameters)
            self.rnn = nn.GRU(**args)
        d = 2 if cfg["bidirectional"] else 1
        h_out = cfg["proj_size"] or cfg["hidden_size"]
        self.fc = nn.Linear(d * h_out, cfg["num_classes"])

    def features(self, x, lengths):
        cfg = self.cfg
        if cfg["cell"] == "gru_reset_before":
            _, h_n = manual_gru(x, lengths, None, dict(self.rnn.named_parameters()), cfg["num_layers"],
                                cfg["bidirectional"], cfg["hidden_size"], True, True, reset_after=False)
        else:
            inp = x if lengths is None else pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, h_n = self.rnn(inp)
            if cfg["cell"] == "lstm":
                h_n = h_n[0]
        if cfg["bidirectional"]:
            return torch.cat([h_n[-2], h_n[-1]], dim=1)  # last layer: forward, backward
        return h_n[-1]

    def forward(self, x, lengths=None):
        return self.fc(self.features(x, lengths))


def config(cell, bidirectional, num_layers, lengths, proj_size=0, input_size=3, hidden_size=4, num_classes=3):
    return {"cell": cell, "input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers,
            "bidirectional": bidirectional, "dropout": 0.0 if num_layers == 1 else 0.3,
            "num_classes": num_classes, "proj_size": proj_size, "has_lengths": lengths}


CONFIGS = {
    "lstm_uni_lengths": config("lstm", False, 1, True),
    "lstm_bi_2layers_lengths": config("lstm", True, 2, True),
    "lstm_bi_proj_lengths": config("lstm", True, 2, True, proj_size=2, hidden_size=5),
    "gru_bi_lengths": config("gru", True, 1, True),
    "gru_uni_2layers_full": config("gru", False, 2, False),
    "gru_reset_before_bi_2layers_lengths": config("gru_reset_before", True, 2, True),
    "rnn_tanh_bi_lengths": config("rnn_tanh", True, 1, True, num_classes=2),
    "rnn_relu_uni_2layers_lengths": config("rnn_relu", False, 2, True),
}
STATE_DICT_CONFIG = "lstm_bi_2layers_lengths"


def birnn_config(cfg):
    return {k: v for k, v in cfg.items() if k != "has_lengths"}


def generate(name, cfg):
    seed = zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF
    torch.manual_seed(seed)
    model = LastStepClassifier(cfg)  # torch's float32 init
    model = model.double().eval()  # eval: dropout off, parameters exactly float32 values
    gen = torch.Generator().manual_seed(seed + 1)
    B, T = 4, 5
    x = (torch.rand(B, T, cfg["input_size"], generator=gen, dtype=torch.float32) * 2 - 1).double()
    lengths = torch.tensor([5, 2, 4, 1], dtype=torch.int64) if cfg["has_lengths"] else None
    labels = torch.randint(0, cfg["num_classes"], (B,), generator=gen, dtype=torch.int64)
    logits = model(x, lengths)
    loss = F.cross_entropy(logits, labels)
    model.zero_grad()
    loss.backward()
    data = [("input", x), ("lengths", lengths), ("labels", labels), ("logits", logits), ("loss", loss)]
    tensors = fixture_tensors(model, data)
    metadata = {"config": json.dumps(birnn_config(cfg), sort_keys=True)}
    return model, tensors, metadata


def describe(name, tensors):
    print("%-40s logits max %.3f" % (name, dict(tensors)["logits"].abs().max().item()))


def main():
    written = write_fixtures_and_state_dict(OUT_DIR, PREFIX, CONFIGS, generate, STATE_DICT_CONFIG, describe,
                                            max_bytes=200 * 1024)
    print("wrote %d files to %s" % (len(written), OUT_DIR))


if __name__ == "__main__":
    main()
