#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's losses (include/birnn/loss.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_loss_fixtures.py

Writes one small safetensors file per configuration into tests/reference/loss_fixtures/, deletes
stale *.safetensors files there that this run did not write, and re-reads every file with the
independent reader of make_fixtures.py. Deterministic: each fixture's tensors come from a seed derived
from its name (CRC-32). See tests/reference/README.md for the layout.

Masking by length has no torch counterpart, so its reference is built from torch's own semantics:
for cross-entropy, padded targets are set to ignore_index (F.cross_entropy then skips them exactly);
for BCE and MSE, reduction="none" times the mask, summed, divided by the number of real elements.
"""

import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_fixtures import read_safetensors, write_safetensors  # noqa: E402

OUT_DIR = os.path.join(HERE, "loss_fixtures")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def f32_values(t):
    """Values representable in float32, stored as float64, so both runs of the C++ test start equal."""
    return t.float().double()


def uniform(shape, gen, lo=-2.0, hi=2.0):
    return f32_values(torch.rand(shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo)


def lengths_for(T, B, gen):
    """1..T each, unsorted, at least one T and one 1 when B > 1."""
    L = torch.randint(1, T + 1, (B,), generator=gen)
    L[0] = T
    if B > 1:
        L[-1] = 1
    return L


def step_mask(T, B, lengths, batch_first):
    t = torch.arange(T).unsqueeze(1)  # (T, 1)
    m = t < lengths.unsqueeze(0)      # (T, B)
    return m.t() if batch_first else m


# ------------------------------------------------------------------------------------ cross-entropy

def ce_fixture(gen, logits_shape, reduction, label_smoothing, weighted, ignore_index, n_ignored):
    C = logits_shape[1] if len(logits_shape) > 1 else logits_shape[0]
    tshape = (logits_shape[0],) + tuple(logits_shape[2:]) if len(logits_shape) > 1 else ()
    x = uniform(logits_shape, gen).requires_grad_(True)
    y = torch.randint(0, C, tshape, generator=gen)
    flat = y.view(-1)
    step = flat.numel() // n_ignored if n_ignored else 1
    for k in range(n_ignored):  # deterministic, distinct positions
        flat[(1 + k * step) % flat.numel()] = ignore_index
    w = f32_values(torch.rand(C, generator=gen, dtype=torch.float64) * 1.5 + 0.25) if weighted else None
    loss = F.cross_entropy(x, y, weight=w, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)
    meta = {"loss": "cross_entropy", "reduction": reduction, "ignore_index": ignore_index,
            "label_smoothing": repr(label_smoothing)}
    return finish(meta, [("input", x), ("target", y)] + ([("weight", w)] if weighted else []), loss, gen)


def seq_ce_fixture(gen, T, B, C, reduction, label_smoothing, weighted, batch_first):
    shape = (B, T, C) if batch_first else (T, B, C)
    x = uniform(shape, gen).requires_grad_(True)
    y = torch.randint(0, C, shape[:2], generator=gen)
    lengths = lengths_for(T, B, gen)
    mask = step_mask(T, B, lengths, batch_first)
    y = torch.where(mask, y, torch.full_like(y, 999))  # padding ids are garbage on purpose
    w = f32_values(torch.rand(C, generator=gen, dtype=torch.float64) + 0.5) if weighted else None
    # Reference: padded steps become ignore_index, classes last -> rows of (T*B, C).
    y_ref = torch.where(mask, y, torch.full_like(y, -100)).reshape(-1)
    loss = F.cross_entropy(x.reshape(-1, C), y_ref, weight=w, reduction=reduction, label_smoothing=label_smoothing)
    if reduction == "none":
        loss = loss.reshape(shape[:2])
    meta = {"loss": "sequence_cross_entropy", "reduction": reduction, "ignore_index": -100,
            "label_smoothing": repr(label_smoothing), "batch_first": int(batch_first)}
    tensors = [("input", x), ("target", y), ("lengths", lengths)] + ([("weight", w)] if weighted else [])
    return finish(meta, tensors, loss, gen)


# ------------------------------------------------------------------------------------ BCE and MSE

def masked_reduce(per_elem, mask, reduction):
    v = per_elem * mask
    if reduction == "none":
        return v
    return v.sum() if reduction == "sum" else v.sum() / mask.sum()


def pointwise_fixture(gen, kind, shape, reduction, weighted=False, pos_weighted=False, lengths_bf=None):
    x = uniform(shape, gen, -4.0, 4.0).requires_grad_(True)
    if kind == "bce_with_logits":
        y = f32_values(torch.rand(shape, generator=gen, dtype=torch.float64))
        y.view(-1)[0] = 1.0  # hard labels too
        y.view(-1)[1] = 0.0
    else:
        y = uniform(shape, gen)
    y.requires_grad_(True)
    C = shape[-1]
    w = f32_values(torch.rand(C, generator=gen, dtype=torch.float64) * 2) if weighted else None
    pw = f32_values(torch.rand(C, generator=gen, dtype=torch.float64) * 3 + 0.2) if pos_weighted else None
    extra = []
    meta = {"loss": kind, "reduction": reduction}
    if lengths_bf is None:
        if kind == "bce_with_logits":
            loss = F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=reduction)
        else:
            loss = F.mse_loss(x, y, reduction=reduction)
    else:
        T, B = (shape[1], shape[0]) if lengths_bf else (shape[0], shape[1])
        lengths = lengths_for(T, B, gen)
        mask = step_mask(T, B, lengths, lengths_bf).unsqueeze(-1).expand(shape).double()
        if kind == "bce_with_logits":
            per = F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction="none")
        else:
            per = F.mse_loss(x, y, reduction="none")
        loss = masked_reduce(per, mask, reduction)
        extra = [("lengths", lengths)]
        meta["batch_first"] = int(lengths_bf)
    tensors = [("input", x), ("target", y)] + extra
    if weighted:
        tensors.append(("weight", w))
    if pos_weighted:
        tensors.append(("pos_weight", pw))
    return finish(meta, tensors, loss, gen)


# ------------------------------------------------------------------------------------ common

def finish(meta, tensors, loss, gen):
    """Backward with a random upstream gradient; returns (metadata, [(name, tensor)])."""
    g = f32_values(torch.rand(loss.shape, generator=gen, dtype=torch.float64) + 0.5)
    inputs = [(n, t) for n, t in tensors if t.requires_grad]
    grads = torch.autograd.grad(loss, [t for _, t in inputs], g, allow_unused=True)
    out = [(n, t.detach()) for n, t in tensors] + [("loss", loss.detach()), ("grad_loss", g)]
    for (n, t), d in zip(inputs, grads):
        out.append(("grad." + n, d if d is not None else torch.zeros_like(t)))
    meta = dict(meta)
    meta["torch_version"] = torch.__version__
    return {k: str(v) for k, v in meta.items()}, out


def build():
    """(name, function of a generator) for every fixture."""
    jobs = []
    for reduction in ["mean", "sum", "none"]:
        for ls in [0.0, 0.1]:
            for weighted in [False, True]:
                for ig_name, ig, n_ig in [("ign", -100, 2), ("ign2", 2, 1)]:
                    name = "ce_%s_ls%s%s_%s" % (reduction, "01" if ls else "0", "_w" if weighted else "", ig_name)
                    jobs.append((name, lambda g, r=reduction, ls=ls, w=weighted, ig=ig, n=n_ig:
                                 ce_fixture(g, (6, 4), r, ls, w, ig, n)))
        jobs.append(("ce_nd_%s" % reduction, lambda g, r=reduction:
                     ce_fixture(g, (2, 3, 3, 2), r, 0.2, True, -100, 2)))
        jobs.append(("seq_ce_tb_%s" % reduction, lambda g, r=reduction:
                     seq_ce_fixture(g, 4, 3, 5, r, 0.1, True, False)))
        jobs.append(("seq_ce_bt_%s" % reduction, lambda g, r=reduction:
                     seq_ce_fixture(g, 3, 4, 3, r, 0.0, False, True)))
        for w in [False, True]:
            for pw in [False, True]:
                name = "bce_%s%s%s" % (reduction, "_w" if w else "", "_pw" if pw else "")
                jobs.append((name, lambda g, r=reduction, w=w, pw=pw:
                             pointwise_fixture(g, "bce_with_logits", (5, 3), r, w, pw)))
        jobs.append(("bce_len_%s" % reduction, lambda g, r=reduction:
                     pointwise_fixture(g, "bce_with_logits", (3, 4, 2), r, False, True, lengths_bf=False)))
        jobs.append(("mse_%s" % reduction, lambda g, r=reduction:
                     pointwise_fixture(g, "mse", (4, 3), r)))
        jobs.append(("mse_len_bf_%s" % reduction, lambda g, r=reduction:
                     pointwise_fixture(g, "mse", (3, 4, 2), r, lengths_bf=True)))
    jobs.append(("ce_unbatched_mean", lambda g: ce_fixture(g, (5,), "mean", 0.1, True, -100, 0)))
    jobs.append(("ce_all_ignored_mean", lambda g: ce_fixture(g, (3, 4), "mean", 0.1, False, -100, 3)))
    return jobs


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    written = set()
    total = 0
    for name, make in build():
        gen = torch.Generator().manual_seed(zlib.crc32(name.encode("utf-8")))
        meta, tensors = make(gen)
        meta["seed"] = str(zlib.crc32(name.encode("utf-8")))
        fname = name + ".safetensors"
        path = os.path.join(OUT_DIR, fname)
        write_safetensors(path, tensors, meta)
        written.add(fname)
        total += os.path.getsize(path)
        meta2, back = read_safetensors(path)
        assert meta2 == meta
        for n, t in tensors:
            dtype, shape, vals = back[n]
            assert shape == list(t.shape), n
            want = t.reshape(-1).tolist()
            assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(vals, want)), n
    for fname in sorted(os.listdir(OUT_DIR)):
        if fname.endswith(".safetensors") and fname not in written:
            os.remove(os.path.join(OUT_DIR, fname))
            print("removed stale", fname)
    print("wrote %d loss fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
