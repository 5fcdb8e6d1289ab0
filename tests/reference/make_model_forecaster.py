#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's Forecaster (include/birnn/models/forecaster.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_forecaster.py

Writes model_fixtures/forecaster_<config>.safetensors (deleting stale ones of this model) with:
  metadata "config"        the ForecasterOptions JSON, normalisation constants included (the C++ test
                           builds the model from it with from_json)
  values (B, W), features (B, W, K) (if K > 0), lengths (B) int64 (if the config has lengths), targets (B, horizon)
  <state_dict names>       torch's init, rounded to float32
  forecast (B, horizon)    in original units;  normalized (B, horizon): before de-normalisation
  loss ()                  MSE of normalized against (targets - target_mean) / target_std
  grad.<name>              d loss / d parameter
Everything is computed in float64; inputs and constants are exact float32 values.
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
PREFIX = "forecaster_"

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


class Forecaster(nn.Module):
    def __init__(self, o):
        super().__init__()
        self.o = o
        K, H, L = o["num_features"], o["hidden_size"], o["num_layers"]
        self.D = 2 if o["bidirectional"] else 1
        rnn = nn.LSTM if o["cell"] == "lstm" else nn.GRU
        self.rnn = rnn(1 + K, H, L, batch_first=True, dropout=o["dropout"], bidirectional=o["bidirectional"])
        self.drop = nn.Dropout(o["dropout"])
        self.fc = nn.Linear(self.D * H, o["horizon"])

    def forward_normalized(self, values, features=None, lengths=None):
        o = self.o
        x = ((values - o["target_mean"]) / o["target_std"]).unsqueeze(-1)
        if o["num_features"] > 0:
            fm = torch.tensor(o["feature_mean"] or [0.0] * o["num_features"], dtype=torch.float64)
            fs = torch.tensor(o["feature_std"] or [1.0] * o["num_features"], dtype=torch.float64)
            x = torch.cat([x, (features - fm) / fs], dim=-1)
        if lengths is not None:
            x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, state = self.rnn(x)
        h_n = state[0] if isinstance(state, tuple) else state
        last = h_n[-self.D:].transpose(0, 1).reshape(values.shape[0], -1)
        return self.fc(self.drop(last))

    def forward(self, values, features=None, lengths=None):
        return self.forward_normalized(values, features, lengths) * self.o["target_std"] + self.o["target_mean"]


def f32_values(shape, gen, lo, hi):
    return (torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo).double()


def configs():
    c = []

    def add(name, B, W, lengths, **o):
        c.append((name, dict(B=B, W=W, lengths=lengths), o))

    base = dict(horizon=3, num_features=0, cell="lstm", hidden_size=6, num_layers=1, dropout=0.0, bidirectional=False,
                target_mean=50.25, target_std=12.5, feature_mean=[], feature_std=[])
    add("lstm_values_only", 3, 8, None, **base)
    add("gru_features_2layers", 3, 7, None, **dict(base, cell="gru", num_layers=2, dropout=0.5, num_features=3, horizon=4,
                                                   feature_mean=[0.5, 3.0, -1.25], feature_std=[0.5, 2.0, 1.5]))
    add("lstm_bidirectional_features_lengths", 3, 6, [6, 3, 1],
        **dict(base, bidirectional=True, num_features=2, hidden_size=5, feature_mean=[1.0, -2.0], feature_std=[0.25, 4.0]))
    add("gru_lengths_default_feature_norm", 2, 5, [2, 5], **dict(base, cell="gru", num_features=1, horizon=2))
    return c


def generate(name, shape, o):
    seed = zlib.crc32((PREFIX + name).encode("utf-8"))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    m = Forecaster(o).double().eval()
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(p.float().double())
    B, W, K = shape["B"], shape["W"], o["num_features"]
    values = f32_values((B, W), gen, 20.0, 80.0)
    features = f32_values((B, W, K), gen, -3.0, 5.0) if K > 0 else None
    targets = f32_values((B, o["horizon"]), gen, 20.0, 80.0)
    lengths = None if shape["lengths"] is None else torch.tensor(shape["lengths"], dtype=torch.int64)

    normalized = m.forward_normalized(values, features, lengths)
    loss = F.mse_loss(normalized, (targets - o["target_mean"]) / o["target_std"])
    params = list(m.named_parameters())
    grads = torch.autograd.grad(loss, [p for _, p in params])
    with torch.no_grad():
        forecast = m(values, features, lengths)

    tensors = [("values", values)] + ([("features", features)] if K > 0 else [])
    tensors += ([("lengths", lengths)] if lengths is not None else []) + [("targets", targets)]
    tensors += [(n, p) for n, p in params]
    tensors += [("forecast", forecast), ("normalized", normalized), ("loss", loss)]
    tensors += [("grad." + n, g) for (n, _), g in zip(params, grads)]
    tensors = [(n, t.detach()) for n, t in tensors]
    metadata = {"config": json.dumps(o), "seed": str(seed), "torch_version": torch.__version__}
    return tensors, metadata


def main():
    jobs = [(n, lambda n=n, a=a: generate(n, *a)) for n, *a in configs()]
    written = write_fixture_files(OUT_DIR, PREFIX, jobs)
    total = total_bytes(OUT_DIR, written)
    print("wrote %d forecaster fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
