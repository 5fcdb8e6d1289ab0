#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's RNN / LSTM / GRU layers.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_fixtures.py

Writes one safetensors file per configuration into tests/reference/fixtures/,
deletes stale *.safetensors files there that this run did not write, then
re-reads every file with an independent reader and checks it bit for bit.
Generation is deterministic: the configuration matrix comes from a fixed seed
and every fixture's tensors come from a seed derived from its name.

See tests/reference/README.md for the file layout and tensor names.
"""

import json
import os
import random
import struct
import sys
import zlib

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "fixtures")

CELLS = ["rnn_tanh", "rnn_relu", "lstm", "gru", "gru_reset_before"]
# How many configurations per cell (hand-picked + pairwise-covering + random fill).
TARGET_COUNT = {"rnn_tanh": 15, "rnn_relu": 15, "lstm": 20, "gru": 15, "gru_reset_before": 8}
MATRIX_SEED = 20240601

MAX_T, MAX_B, MAX_I, MAX_H = 6, 4, 5, 4

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# --------------------------------------------------------------------------------------------
# safetensors writer (the converter's, tools/pytorch_to_safetensors.py) and an independent reader
# --------------------------------------------------------------------------------------------

sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from pytorch_to_safetensors import write_safetensors  # noqa: E402,F401  (the fixture scripts import it from here)

_DTYPE_BY_NAME = {"F64": ("d", 8), "F32": ("f", 4), "I64": ("q", 8)}


def read_safetensors(path):
    """Independent reader: returns (metadata, {name: (dtype, shape, flat list)}) and checks layout."""
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    assert (8 + hlen) % 8 == 0, "data section not 8-byte aligned"
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    data = raw[8 + hlen:]
    metadata = header.pop("__metadata__")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    expect = 0
    out = {}
    for name, info in entries:
        begin, end = info["data_offsets"]
        assert begin == expect, "gap or overlap before %s" % name
        fmt, size = _DTYPE_BY_NAME[info["dtype"]]
        n = 1
        for s in info["shape"]:
            n *= s
        assert end - begin == n * size, "size mismatch for %s" % name
        out[name] = (info["dtype"], list(info["shape"]),
                     list(struct.unpack("<%d%s" % (n, fmt), data[begin:end])))
        expect = end
    assert expect == len(data), "trailing bytes after the last tensor"
    return metadata, out


# --------------------------------------------------------------------------------------------
# Manual GRU (both forms) with packed-sequence semantics, float64 torch ops + autograd
# --------------------------------------------------------------------------------------------

def manual_gru(x, lengths, h0, params, num_layers, bidirectional, hidden_size, bias,
               batch_first, reset_after):
    """x: padded input; lengths: int64 (B,) or None; h0: (L*D, B, H) or None.

    reset_after=True is torch.nn.GRU:  n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    reset_after=False is the original: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)
    Variable lengths follow pack_padded_sequence: padded outputs are zero, the reverse direction
    starts at each item's own last real step, h_n is taken at each item's real end.
    """
    if batch_first:
        x = x.transpose(0, 1)
    T, B, _ = x.shape
    H = hidden_size
    D = 2 if bidirectional else 1
    steps = torch.arange(T).unsqueeze(1)  # (T, 1)
    if lengths is None:
        mask = torch.ones(T, B, 1, dtype=torch.bool)
    else:
        mask = (steps < lengths.unsqueeze(0)).unsqueeze(2)  # (T, B, 1)
    zeros = torch.zeros(B, H, dtype=x.dtype)
    layer_in = x
    h_n = []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            sfx = "_l%d%s" % (layer, "_reverse" if d else "")
            w_ih = params["weight_ih" + sfx]
            w_hh = params["weight_hh" + sfx]
            w_ir, w_iz, w_in = w_ih.chunk(3, 0)
            w_hr, w_hz, w_hn = w_hh.chunk(3, 0)
            if bias:
                b_ir, b_iz, b_in = params["bias_ih" + sfx].chunk(3, 0)
                b_hr, b_hz, b_hn = params["bias_hh" + sfx].chunk(3, 0)
            else:
                b_ir = b_iz = b_in = b_hr = b_hz = b_hn = torch.zeros(H, dtype=x.dtype)
            h = h0[layer * D + d] if h0 is not None else zeros
            out = [None] * T
            order = range(T) if d == 0 else range(T - 1, -1, -1)
            for t in order:
                xt = layer_in[t]
                r = torch.sigmoid(xt @ w_ir.t() + b_ir + h @ w_hr.t() + b_hr)
                z = torch.sigmoid(xt @ w_iz.t() + b_iz + h @ w_hz.t() + b_hz)
                if reset_after:
                    n = torch.tanh(xt @ w_in.t() + b_in + r * (h @ w_hn.t() + b_hn))
                else:
                    n = torch.tanh(xt @ w_in.t() + b_in + (r * h) @ w_hn.t() + b_hn)
                h_new = (1 - z) * n + z * h
                m = mask[t]
                h = torch.where(m, h_new, h)
                out[t] = torch.where(m, h_new, zeros)
            outs.append(torch.stack(out))
            h_n.append(h)
        layer_in = torch.cat(outs, dim=2)
    output = layer_in
    if batch_first:
        output = output.transpose(0, 1)
    return output, torch.stack(h_n)


# --------------------------------------------------------------------------------------------
# Configurations
# --------------------------------------------------------------------------------------------

OPTION_VALUES = {
    "bidirectional": [0, 1],
    "num_layers": [1, 2, 3],
    "batch_first": [0, 1],
    "bias": [0, 1],
    "has_lengths": [0, 1],
    "has_h0": [0, 1],
    "proj": [0, 1],  # LSTM only
}


def options_for(cell):
    return [k for k in OPTION_VALUES if k != "proj" or cell == "lstm"]


def finish_config(cell, opts, rng, sizes=None):
    """Fill in sizes for a dict of options; sizes may force some of them."""
    c = {"cell": cell}
    for k in options_for(cell):
        c[k] = opts.get(k, 1 if k == "num_layers" else 0)
    if cell != "lstm":
        c["proj"] = 0
    sizes = dict(sizes or {})
    T = sizes.get("seq_len", rng.randint(2, MAX_T))
    B = sizes.get("batch", rng.randint(2 if c["has_lengths"] else 1, MAX_B))
    I = sizes.get("input_size", rng.randint(1, MAX_I))
    H = sizes.get("hidden_size", rng.randint(2 if c["proj"] else 1, MAX_H))
    if c["has_lengths"]:
        assert B >= 2, "lengths need two items (one of length T, one of length 1)"
    c.update(seq_len=T, batch=B, input_size=I, hidden_size=H)
    if c["proj"]:
        c["proj_size"] = sizes.get("proj_size", rng.randint(1, H - 1))
        assert 0 < c["proj_size"] < H
    else:
        c["proj_size"] = 0
    return c


def hand_picked(cell, rng):
    lstm = cell == "lstm"
    P = {"proj": 1} if lstm else {}
    cases = [
        # bidirectional + proj + lengths + h0
        (dict(bidirectional=1, num_layers=2, has_lengths=1, has_h0=1, bias=1, **P), {}),
        # 3 layers, bidirectional, lengths
        (dict(bidirectional=1, num_layers=3, has_lengths=1, bias=1, batch_first=1), {}),
        # bias off with lengths
        (dict(bias=0, has_lengths=1, num_layers=1, bidirectional=1, has_h0=1), {}),
        # everything on
        (dict(bidirectional=1, num_layers=3, batch_first=1, bias=0, has_lengths=1, has_h0=1, **P), {}),
        # smallest: one step, one item
        (dict(bias=1), dict(seq_len=1, batch=1)),
        # one step with lengths (every length is 1 == T)
        (dict(bias=1, bidirectional=1, has_lengths=1, has_h0=1), dict(seq_len=1, batch=3)),
        # size-1 input and hidden, full length T=6, B=4
        (dict(bias=1, num_layers=2, has_lengths=1, batch_first=1),
         dict(seq_len=6, batch=4, input_size=1, hidden_size=1)),
    ]
    if lstm:
        cases += [
            (dict(proj=1, num_layers=1, has_h0=1, bias=1), dict(hidden_size=4, proj_size=3)),
            (dict(proj=1, num_layers=2, bidirectional=1, batch_first=1, bias=0, has_h0=1),
             dict(hidden_size=4, proj_size=1)),
        ]
    if cell == "gru_reset_before":
        cases = cases[:4]
    return [finish_config(cell, o, rng, s) for o, s in cases]


def pairs_of(c, cell):
    keys = options_for(cell)
    out = set()
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            out.add((a, c[a], b, c[b]))
    return out


def all_pairs(cell):
    keys = options_for(cell)
    out = set()
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            for va in OPTION_VALUES[a]:
                for vb in OPTION_VALUES[b]:
                    out.add((a, va, b, vb))
    return out


def random_config(cell, rng):
    opts = {k: rng.choice(OPTION_VALUES[k]) for k in options_for(cell)}
    return finish_config(cell, opts, rng)


def build_matrix():
    rng = random.Random(MATRIX_SEED)
    configs = []
    for cell in CELLS:
        chosen = hand_picked(cell, rng)
        covered = set()
        for c in chosen:
            covered |= pairs_of(c, cell)
        wanted = all_pairs(cell)
        # Greedy pairwise coverage from seeded random candidates.
        while not wanted <= covered and len(chosen) < TARGET_COUNT[cell]:
            cands = [random_config(cell, rng) for _ in range(200)]
            best = max(cands, key=lambda c: len(pairs_of(c, cell) - covered))
            chosen.append(best)
            covered |= pairs_of(best, cell)
        while len(chosen) < TARGET_COUNT[cell]:
            chosen.append(random_config(cell, rng))
        # Every value of every option appears with this cell.
        for k in options_for(cell):
            seen = {c[k] for c in chosen}
            assert seen == set(OPTION_VALUES[k]), (cell, k, seen)
        if cell != "gru_reset_before":
            assert wanted <= covered, (cell, "pairwise coverage incomplete", wanted - covered)
        configs.extend(chosen)
    for i, c in enumerate(configs):
        c["name"] = config_name(c, i)
    names = [c["name"] for c in configs]
    assert len(set(names)) == len(names)
    return configs


def config_name(c, index):
    parts = [c["cell"], "bi" if c["bidirectional"] else "uni", "l%d" % c["num_layers"]]
    if c["proj_size"]:
        parts.append("proj%d" % c["proj_size"])
    if c["batch_first"]:
        parts.append("bf")
    if not c["bias"]:
        parts.append("nobias")
    if c["has_lengths"]:
        parts.append("len")
    if c["has_h0"]:
        parts.append("h0")
    parts.append("%03d" % index)
    return "_".join(parts)


# --------------------------------------------------------------------------------------------
# Running one configuration
# --------------------------------------------------------------------------------------------

def make_module(c):
    common = dict(input_size=c["input_size"], hidden_size=c["hidden_size"],
                  num_layers=c["num_layers"], bias=bool(c["bias"]),
                  batch_first=bool(c["batch_first"]), dropout=0.0,
                  bidirectional=bool(c["bidirectional"]))
    cell = c["cell"]
    if cell in ("rnn_tanh", "rnn_relu"):
        return nn.RNN(nonlinearity="tanh" if cell == "rnn_tanh" else "relu", **common)
    if cell == "lstm":
        return nn.LSTM(proj_size=c["proj_size"], **common)
    return nn.GRU(**common)  # gru and gru_reset_before share torch.nn.GRU's parameters/init


def make_lengths(T, B, gen):
    lengths = (torch.randint(1, T + 1, (B,), generator=gen)).tolist()
    perm = torch.randperm(B, generator=gen).tolist()
    lengths[perm[0]] = T
    lengths[perm[1]] = 1
    # Make sure the order is not already sorted (descending) so enforce_sorted=False matters.
    if T > 1 and all(lengths[i] >= lengths[i + 1] for i in range(B - 1)):
        lengths.reverse()
    return torch.tensor(lengths, dtype=torch.int64)


def f32_uniform(shape, gen, scale=1.0):
    """Uniform(-scale, scale) values rounded to float32, returned as float64."""
    v = (torch.rand(shape, generator=gen, dtype=torch.float32) * 2 - 1) * scale
    return v.to(torch.float32).double()


def run_torch(c, module, x, lengths, h0, c0):
    """Forward through torch.nn.{RNN,LSTM,GRU} with packed-sequence semantics if lengths."""
    lstm = c["cell"] == "lstm"
    bf = bool(c["batch_first"])
    state = None
    if h0 is not None:
        state = (h0, c0) if lstm else h0
    inp = x
    if lengths is not None:
        inp = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
    out, st = module(inp, state)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=bf, total_length=c["seq_len"])
    if lstm:
        return out, st[0], st[1]
    return out, st, None


def run_manual(c, params, x, lengths, h0, reset_after):
    out, h_n = manual_gru(x, lengths, h0, params, c["num_layers"], bool(c["bidirectional"]),
                          c["hidden_size"], bool(c["bias"]), bool(c["batch_first"]), reset_after)
    return out, h_n, None


def check_per_item(c, module, params, x, lengths, h0, c0, output, h_n, c_n):
    """Packed semantics, checked independently: running each item alone on its own unpadded
    prefix (no packing, batch of one) gives the same output rows and final states."""
    bf = bool(c["batch_first"])
    single = dict(c, has_lengths=0)
    with torch.no_grad():
        for b, n in enumerate(lengths.tolist()):
            xb = x[b:b + 1, :n] if bf else x[:n, b:b + 1]
            hb = h0[:, b:b + 1] if h0 is not None else None
            cb = c0[:, b:b + 1] if c0 is not None else None
            if c["cell"] == "gru_reset_before":
                ob, hnb, cnb = run_manual(single, params, xb, None, hb, reset_after=False)
            else:
                ob, hnb, cnb = run_torch(single, module, xb, None, hb, cb)
            ref = output[b:b + 1, :n] if bf else output[:n, b:b + 1]
            assert (ob - ref).abs().max().item() <= 1e-12, (c["name"], "output", b)
            assert (hnb - h_n[:, b:b + 1]).abs().max().item() <= 1e-12, (c["name"], "h_n", b)
            if cnb is not None:
                assert (cnb - c_n[:, b:b + 1]).abs().max().item() <= 1e-12, (c["name"], "c_n", b)


def generate(c, seed):
    """Returns (metadata, list of (name, tensor))."""
    cell = c["cell"]
    lstm = cell == "lstm"
    T, B, I, H = c["seq_len"], c["batch"], c["input_size"], c["hidden_size"]
    L = c["num_layers"]
    D = 2 if c["bidirectional"] else 1
    H_out = c["proj_size"] or H

    torch.manual_seed(seed)
    module = make_module(c)  # default init in float32
    module = module.double()  # exact: float32 -> float64
    gen = torch.Generator().manual_seed(seed + 1)

    x_shape = (B, T, I) if c["batch_first"] else (T, B, I)
    x = f32_uniform(x_shape, gen).requires_grad_(True)
    lengths = make_lengths(T, B, gen) if c["has_lengths"] else None
    h0 = c0 = None
    if c["has_h0"]:
        h0 = f32_uniform((L * D, B, H_out), gen).requires_grad_(True)
        if lstm:
            c0 = f32_uniform((L * D, B, H), gen).requires_grad_(True)

    param_names = [n for n, _ in module.named_parameters()]
    params = dict(module.named_parameters())

    if cell == "gru_reset_before":
        output, h_n, c_n = run_manual(c, params, x, lengths, h0, reset_after=False)
    else:
        output, h_n, c_n = run_torch(c, module, x, lengths, h0, c0)

    grad_output = f32_uniform(tuple(output.shape), gen)
    grad_h_n = f32_uniform(tuple(h_n.shape), gen)
    grad_c_n = f32_uniform(tuple(c_n.shape), gen) if lstm else None

    wrt = [x] + ([h0] if h0 is not None else []) + ([c0] if c0 is not None else [])
    wrt += [params[n] for n in param_names]
    outs = [output, h_n] + ([c_n] if lstm else [])
    gouts = [grad_output, grad_h_n] + ([grad_c_n] if lstm else [])
    grads = list(torch.autograd.grad(outs, wrt, gouts))

    # Shapes as documented by PyTorch.
    assert tuple(output.shape) == ((B, T, D * H_out) if c["batch_first"] else (T, B, D * H_out))
    assert tuple(h_n.shape) == (L * D, B, H_out)
    if lstm:
        assert tuple(c_n.shape) == (L * D, B, H)
    for p in module.parameters():
        assert p.dtype == torch.float64
        assert torch.equal(p.detach().float().double(), p.detach())  # float32-representable
    if lengths is not None:
        # Padded outputs are exactly zero; padded inputs get exactly zero gradient.
        tmask = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)
        if c["batch_first"]:
            tmask = tmask.t()
        pad = ~tmask
        assert torch.all(output.detach()[pad] == 0)
        assert torch.all(grads[0][pad] == 0)

    if lengths is not None:
        check_per_item(c, module, params, x, lengths, h0, c0, output, h_n, c_n)

    tensors = [("input", x)]
    if lengths is not None:
        tensors.append(("lengths", lengths))
    if h0 is not None:
        tensors.append(("h0", h0))
    if c0 is not None:
        tensors.append(("c0", c0))
    for n in param_names:
        tensors.append((n, params[n]))
    tensors += [("output", output), ("h_n", h_n)]
    if lstm:
        tensors.append(("c_n", c_n))
    tensors += [("grad_output", grad_output), ("grad_h_n", grad_h_n)]
    if lstm:
        tensors.append(("grad_c_n", grad_c_n))
    gi = iter(grads)
    tensors.append(("grad.input", next(gi)))
    if h0 is not None:
        tensors.append(("grad.h0", next(gi)))
    if c0 is not None:
        tensors.append(("grad.c0", next(gi)))
    for n in param_names:
        tensors.append(("grad." + n, next(gi)))
    tensors = [(n, t.detach() if t.dtype == torch.int64 else t.detach().double())
               for n, t in tensors]

    metadata = {
        "cell": cell,
        "input_size": I,
        "hidden_size": H,
        "num_layers": L,
        "proj_size": c["proj_size"],
        "bias": c["bias"],
        "batch_first": c["batch_first"],
        "bidirectional": c["bidirectional"],
        "has_h0": c["has_h0"],
        "has_lengths": c["has_lengths"],
        "seq_len": T,
        "batch": B,
        "seed": seed,
        "torch_version": torch.__version__,
    }
    return {k: str(v) for k, v in metadata.items()}, tensors


SMALL_OUTPUTS = "outputs too small"


def weak_fixture(c, t):
    """Reasons a random draw would make a poor test (dead ReLU units, vanishing outputs).

    Returns None when the draw is fine, else a short description; the caller then moves to the
    next seed (deterministically), so every fixture exercises every output and parameter.
    """
    T, B = c["seq_len"], c["batch"]
    out = t["output"]
    if c["batch_first"]:
        out = out.transpose(0, 1)
    if "lengths" in t:
        real = torch.arange(T).unsqueeze(1) < t["lengths"].unsqueeze(0)  # (T, B)
    else:
        real = torch.ones(T, B, dtype=torch.bool)
    vals = out[real]  # (n_real, D*H_out)
    if (vals != 0).double().mean().item() < 0.5:
        return "too many exact zeros in real outputs"
    if (vals != 0).sum(0).min().item() == 0:
        return "an output unit is zero at every real step"
    for name, g in t.items():
        if T == 1 and not c["has_h0"] and name.startswith("grad.weight_hh"):
            continue  # structurally zero: the only step sees h = 0
        if name.startswith("grad.") and g.abs().max().item() == 0:
            return "gradient %s is zero" % name
    if vals.abs().max().item() < 0.05:
        return SMALL_OUTPUTS  # checked last: means "this is the only flaw"
    return None


# --------------------------------------------------------------------------------------------
# Validation of the manual GRU against torch.nn.GRU (runs every time)
# --------------------------------------------------------------------------------------------

def validate_manual_gru():
    rng = random.Random(7)
    cases = [
        dict(bidirectional=0, num_layers=1, batch_first=0, bias=1, has_lengths=0, has_h0=0),
        dict(bidirectional=1, num_layers=2, batch_first=1, bias=1, has_lengths=1, has_h0=1),
        dict(bidirectional=1, num_layers=3, batch_first=0, bias=0, has_lengths=1, has_h0=0),
        dict(bidirectional=0, num_layers=2, batch_first=1, bias=0, has_lengths=0, has_h0=1),
        dict(bidirectional=1, num_layers=1, batch_first=0, bias=1, has_lengths=1, has_h0=1),
    ]
    worst = 0.0
    for k, opts in enumerate(cases):
        c = finish_config("gru", opts, rng, dict(seq_len=5, batch=4, input_size=3, hidden_size=4))
        torch.manual_seed(1000 + k)
        module = make_module(c).double()
        gen = torch.Generator().manual_seed(2000 + k)
        T, B, I, H = c["seq_len"], c["batch"], c["input_size"], c["hidden_size"]
        D = 2 if c["bidirectional"] else 1
        x = f32_uniform((B, T, I) if c["batch_first"] else (T, B, I), gen).requires_grad_(True)
        lengths = make_lengths(T, B, gen) if c["has_lengths"] else None
        h0 = f32_uniform((c["num_layers"] * D, B, H), gen).requires_grad_(True) if c["has_h0"] else None
        params = dict(module.named_parameters())
        wrt = [x] + ([h0] if h0 is not None else []) + list(params.values())

        o_ref, h_ref, _ = run_torch(c, module, x, lengths, h0, None)
        o_man, h_man, _ = run_manual(c, params, x, lengths, h0, reset_after=True)
        go = f32_uniform(tuple(o_ref.shape), gen)
        gh = f32_uniform(tuple(h_ref.shape), gen)
        g_ref = torch.autograd.grad([o_ref, h_ref], wrt, [go, gh])
        g_man = torch.autograd.grad([o_man, h_man], wrt, [go, gh])
        pairs = [(o_ref, o_man), (h_ref, h_man)] + list(zip(g_ref, g_man))
        for a, b in pairs:
            assert a.shape == b.shape
            worst = max(worst, (a.detach() - b.detach()).abs().max().item())
        # The reset-before form must really differ (otherwise the fixture tests nothing new).
        o_rb, _, _ = run_manual(c, params, x, lengths, h0, reset_after=False)
        assert (o_rb - o_ref).abs().max().item() > 1e-6
    assert worst <= 1e-12, "manual GRU disagrees with torch.nn.GRU: %g" % worst
    return worst


# --------------------------------------------------------------------------------------------

STATE_DICT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "state_dicts")
NOT_PARAMS = {"input", "lengths", "h0", "c0", "output", "h_n", "c_n", "grad_output", "grad_h_n", "grad_c_n"}


def write_state_dict(name, tensors):
    """The fixture's parameters alone, in float32, as `module.float().state_dict()` would be saved:
    what a user exports from PyTorch. The C++ side loads it with birnn::load (strict)."""
    os.makedirs(STATE_DICT_DIR, exist_ok=True)
    params = [(n, t.float()) for n, t in tensors if n not in NOT_PARAMS and not n.startswith("grad.")]
    write_safetensors(os.path.join(STATE_DICT_DIR, name + ".safetensors"), params, {"format": "pt"})


def main():
    if os.path.isdir(STATE_DICT_DIR):
        for fname in os.listdir(STATE_DICT_DIR):
            os.remove(os.path.join(STATE_DICT_DIR, fname))
    worst = validate_manual_gru()
    print("manual GRU (reset_after) matches torch.nn.GRU: max abs diff %.3g" % worst)

    os.makedirs(OUT_DIR, exist_ok=True)
    configs = build_matrix()
    written = set()
    retried = []
    small = []
    for c in configs:
        base = zlib.crc32(c["name"].encode("utf-8"))
        best = None  # fallback: largest outputs among draws whose only flaw is small outputs
        for attempt in range(100):
            seed = (base + attempt * 7919) & 0x7FFFFFFF
            metadata, tensors = generate(c, seed)
            problem = weak_fixture(c, dict(tensors))
            if problem is None:
                break
            if problem == SMALL_OUTPUTS:
                mag = dict(tensors)["output"].abs().max().item()
                if best is None or mag > best[0]:
                    best = (mag, attempt, metadata, tensors)
        else:
            if best is None:
                raise RuntimeError("%s: no usable seed (%s)" % (c["name"], problem))
            mag, attempt, metadata, tensors = best
            small.append("%s (max |output| %.2g)" % (c["name"], mag))
        if attempt:
            retried.append("%s (%d)" % (c["name"], attempt))
        fname = c["name"] + ".safetensors"
        path = os.path.join(OUT_DIR, fname)
        write_safetensors(path, tensors, metadata)
        written.add(fname)
        if c["cell"] != "gru_reset_before" and len(written) % 6 == 1:
            write_state_dict(c["name"], tensors)
        # Re-read with the independent reader and compare bit for bit.
        meta2, back = read_safetensors(path)
        assert meta2 == metadata
        assert list(back) == [n for n, _ in tensors]  # reader returns tensors in data order
        for n, t in tensors:
            dtype, shape, vals = back[n]
            assert shape == list(t.shape), n
            assert vals == t.reshape(-1).tolist(), n
    for fname in sorted(os.listdir(OUT_DIR)):
        if fname.endswith(".safetensors") and fname not in written:
            os.remove(os.path.join(OUT_DIR, fname))
            print("removed stale", fname)

    if retried:
        print("reseeded weak draws:", ", ".join(retried))
    if small:
        print("outputs inherently small (kept the largest draw):", ", ".join(small))
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in written)
    by_cell = {}
    for c in configs:
        by_cell[c["cell"]] = by_cell.get(c["cell"], 0) + 1
    print("wrote %d fixtures (%s), %d bytes total, into %s"
          % (len(written), ", ".join("%s %d" % kv for kv in by_cell.items()), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
