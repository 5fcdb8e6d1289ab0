#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's layers (Embedding, Conv1d, LayerNorm, activations, softmax,
pooling, bidirectional merges, permute).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_layer_fixtures.py

Writes one safetensors file per configuration into tests/reference/layer_fixtures/, deletes stale
*.safetensors files there that this run did not write, and re-reads every file with the independent
reader of make_fixtures.py. Deterministic: each fixture's tensors come from a seed derived from its name.
See tests/reference/README.md ("Layer fixtures") for the layout.
"""

import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ next to the fixtures
sys.path.insert(0, HERE)
from make_fixtures import read_safetensors, write_safetensors  # noqa: E402

OUT_DIR = os.path.join(HERE, "layer_fixtures")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def f32_values(shape, gen, lo=-1.0, hi=1.0):
    """Uniform values drawn in float32 and returned as float64, so float32 code can load them exactly."""
    return (torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo).double()


def exact_f32(t):
    """A float64 copy of t rounded to float32 (parameters from torch's init)."""
    return t.detach().float().double()


# ------------------------------------------------------------------------------------------------
# One function per layer family: each returns (inputs, module_or_None, forward) where inputs is a list
# of (name, tensor) stored before the parameters, and forward(module, inputs) -> output.
# ------------------------------------------------------------------------------------------------

def make_embedding(cfg, gen):
    V, D, ids_shape, pad = cfg["num_embeddings"], cfg["embedding_dim"], cfg["ids_shape"], cfg["padding_idx"]
    m = nn.Embedding(V, D, padding_idx=pad)
    ids = torch.randint(0, V, ids_shape, generator=gen, dtype=torch.int64)
    if pad is not None:  # make sure the padding id occurs, so its zero gradient is tested
        ids.view(-1)[0] = pad % V
    return [("input", ids)], m, lambda mod, x: mod(x)


def make_conv1d(cfg, gen):
    m = nn.Conv1d(cfg["in_channels"], cfg["out_channels"], cfg["kernel_size"], stride=cfg["stride"],
                  padding=cfg["padding"], dilation=cfg["dilation"], bias=cfg["bias"])
    x = f32_values((cfg["batch"], cfg["in_channels"], cfg["length"]), gen)
    return [("input", x)], m, lambda mod, x: mod(x)


def make_layer_norm(cfg, gen):
    m = nn.LayerNorm(cfg["shape"][-1], eps=cfg["eps"], elementwise_affine=cfg["elementwise_affine"])
    if cfg["elementwise_affine"] and cfg["random_affine"]:  # torch's init is ones/zeros; also test other values
        with torch.no_grad():
            m.weight.copy_(f32_values(m.weight.shape, gen, 0.5, 1.5))
            m.bias.copy_(f32_values(m.bias.shape, gen))
    x = f32_values(cfg["shape"], gen, -2.0, 2.0)
    return [("input", x)], m, lambda mod, x: mod(x)


def make_activation(cfg, gen):
    layer = cfg["layer"]
    if layer == "gelu":
        m = nn.GELU(approximate=cfg["approximate"])
    elif layer in ("softmax", "log_softmax"):
        m = nn.Softmax(dim=cfg["dim"]) if layer == "softmax" else nn.LogSoftmax(dim=cfg["dim"])
    else:
        m = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid()}[layer]
    x = f32_values(cfg["shape"], gen, -4.0, 4.0)
    return [("input", x)], m, lambda mod, x: mod(x)


def make_adaptive_pool(cfg, gen):
    cls = nn.AdaptiveAvgPool1d if cfg["layer"] == "adaptive_avg_pool1d" else nn.AdaptiveMaxPool1d
    m = cls(cfg["output_size"])
    x = f32_values(cfg["shape"], gen)
    return [("input", x)], m, lambda mod, x: mod(x)


def make_time_pool(cfg, gen):
    """Masked pooling over time, written with plain torch ops: padded steps are -inf for the max and
    excluded from the mean's sum and count."""
    T, B, Fd, bf = cfg["T"], cfg["B"], cfg["F"], cfg["batch_first"]
    x = f32_values((B, T, Fd) if bf else (T, B, Fd), gen)
    lengths = torch.tensor(cfg["lengths"], dtype=torch.int64) if cfg["lengths"] else None
    inputs = [("input", x)] + ([("lengths", lengths)] if lengths is not None else [])

    def forward(_, xx):
        xt = xx.transpose(0, 1) if bf else xx  # (T, B, F)
        lens = lengths if lengths is not None else torch.full((B,), T, dtype=torch.int64)
        valid = (torch.arange(T).unsqueeze(1) < lens.unsqueeze(0)).unsqueeze(2)  # (T, B, 1)
        if cfg["layer"] == "max_over_time":
            return xt.masked_fill(~valid, float("-inf")).max(dim=0).values
        return (xt * valid).sum(dim=0) / lens.unsqueeze(1).double()
    return inputs, None, forward


def make_merge(cfg, gen):
    x = f32_values(cfg["shape"], gen)

    def forward(_, xx):
        H = xx.shape[-1] // 2
        fwd, bwd = xx[..., :H], xx[..., H:]
        return {"concat": xx, "sum": fwd + bwd, "mul": fwd * bwd, "ave": (fwd + bwd) / 2}[cfg["mode"]]
    return [("input", x)], None, forward


def make_permute(cfg, gen):
    x = f32_values(cfg["shape"], gen)
    return [("input", x)], None, lambda _, xx: xx.permute(*cfg["dims"])


MAKERS = {
    "embedding": make_embedding, "conv1d": make_conv1d, "layer_norm": make_layer_norm,
    "gelu": make_activation, "relu": make_activation, "tanh": make_activation, "sigmoid": make_activation,
    "softmax": make_activation, "log_softmax": make_activation,
    "adaptive_avg_pool1d": make_adaptive_pool, "adaptive_max_pool1d": make_adaptive_pool,
    "max_over_time": make_time_pool, "mean_over_time": make_time_pool,
    "merge_directions": make_merge, "permute": make_permute,
}


def configs():
    """(name, cfg) pairs. Every cfg value is written to __metadata__ (lists as comma-separated ints,
    None as "none", booleans as 1/0)."""
    out = []

    def add(name, **cfg):
        out.append((name, cfg))

    add("embedding_v7_d4", layer="embedding", num_embeddings=7, embedding_dim=4, ids_shape=[5], padding_idx=None)
    add("embedding_pad2_ids2d", layer="embedding", num_embeddings=6, embedding_dim=3, ids_shape=[2, 4], padding_idx=2)
    add("embedding_padneg1_ids3d", layer="embedding", num_embeddings=5, embedding_dim=5, ids_shape=[2, 2, 3],
        padding_idx=-1)

    conv = [  # in, out, k, stride, padding, dilation, bias, batch, length
        (3, 4, 3, 1, 0, 1, True, 2, 8), (2, 3, 3, 2, 1, 1, True, 2, 9), (3, 2, 2, 1, 2, 2, False, 1, 7),
        (4, 3, 5, 3, 2, 1, True, 2, 12), (1, 2, 1, 1, 0, 1, True, 3, 4), (2, 2, 3, 2, 3, 2, True, 1, 5),
        (3, 3, 4, 1, 0, 3, False, 2, 11), (2, 2, 2, 1, 2, 1, True, 1, 3),  # the last: outputs that see only padding
    ]
    for i, (ci, co, k, s, p, d, b, bt, L) in enumerate(conv):
        add("conv1d_k%d_s%d_p%d_d%d%s_%d" % (k, s, p, d, "" if b else "_nobias", i), layer="conv1d", in_channels=ci,
            out_channels=co, kernel_size=k, stride=s, padding=p, dilation=d, bias=b, batch=bt, length=L)

    add("layer_norm_default_3d", layer="layer_norm", shape=[2, 3, 5], eps=1e-5, elementwise_affine=True, random_affine=False)
    add("layer_norm_affine_eps_0p001", layer="layer_norm", shape=[3, 4], eps=1e-3, elementwise_affine=True, random_affine=True)
    add("layer_norm_no_affine", layer="layer_norm", shape=[4, 6], eps=1e-5, elementwise_affine=False, random_affine=False)

    add("gelu_none", layer="gelu", shape=[3, 5], approximate="none")
    add("gelu_tanh", layer="gelu", shape=[3, 5], approximate="tanh")
    for act in ("relu", "tanh", "sigmoid"):
        add(act, layer=act, shape=[3, 5])
    for layer in ("softmax", "log_softmax"):
        for dim in (0, 1, -1):
            add("%s_dim%s" % (layer, "_neg1" if dim < 0 else dim), layer=layer, shape=[2, 3, 4], dim=dim)

    for layer in ("adaptive_avg_pool1d", "adaptive_max_pool1d"):
        for shape, o in (([2, 3, 7], 3), ([2, 2, 5], 5), ([1, 2, 3], 5), ([3, 8], 3), ([2, 4, 6], 1)):
            add("%s_%s_to%d" % (layer, "x".join(map(str, shape)), o), layer=layer, shape=shape, output_size=o)

    for layer in ("max_over_time", "mean_over_time"):
        add(layer + "_lengths", layer=layer, T=5, B=3, F=4, batch_first=False, lengths=[3, 5, 1])
        add(layer + "_lengths_bf", layer=layer, T=4, B=4, F=3, batch_first=True, lengths=[4, 1, 2, 3])
        add(layer + "_full", layer=layer, T=3, B=2, F=3, batch_first=False, lengths=None)

    for mode in ("concat", "sum", "mul", "ave"):
        add("merge_" + mode, layer="merge_directions", shape=[3, 2, 6], mode=mode)

    add("permute_transpose12", layer="permute", shape=[2, 3, 4], dims=[0, 2, 1])
    add("permute_201", layer="permute", shape=[2, 3, 4], dims=[2, 0, 1])
    return out


def meta_value(v):
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v)


def generate(name, cfg):
    seed = zlib.crc32(name.encode("utf-8"))
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # torch's own init of the module's parameters
    inputs, module, forward = MAKERS[cfg["layer"]](cfg, gen)
    params = []
    if module is not None:
        module = module.double()
        with torch.no_grad():
            for _, p in module.named_parameters():
                p.copy_(exact_f32(p))
        params = [(n, p) for n, p in module.named_parameters()]

    x = inputs[0][1]
    if x.dtype == torch.float64:
        x = x.clone().requires_grad_(True)
    out = forward(module, x)
    grad_out = f32_values(out.shape, gen)
    targets = [t for t in [x] if t.requires_grad] + [p for _, p in params]
    grads = torch.autograd.grad(out, targets, grad_out, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for t, g in zip(targets, grads)]
    grad_names = (["grad.input"] if x.requires_grad else []) + ["grad." + n for n, _ in params]

    if torch.count_nonzero(out) == 0:
        raise RuntimeError(name + ": output is all zeros, a weak fixture")
    if cfg["layer"] == "embedding" and cfg["padding_idx"] is not None:
        pad_grad = dict(zip(grad_names, grads))["grad.weight"][cfg["padding_idx"]]
        assert torch.count_nonzero(pad_grad) == 0, name + ": padding row got a gradient"

    tensors = inputs + params + [("output", out), ("grad_output", grad_out)] + list(zip(grad_names, grads))
    tensors = [(n, t.detach()) for n, t in tensors]
    metadata = {k: meta_value(v) for k, v in cfg.items()}
    metadata["seed"] = str(seed)
    metadata["torch_version"] = torch.__version__
    return tensors, metadata


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    written = set()
    for name, cfg in configs():
        tensors, metadata = generate(name, cfg)
        fname = name + ".safetensors"
        path = os.path.join(OUT_DIR, fname)
        write_safetensors(path, tensors, metadata)
        written.add(fname)
        meta2, back = read_safetensors(path)
        assert meta2 == metadata
        for n, t in tensors:
            _, shape, vals = back[n]
            assert shape == list(t.shape) and vals == t.reshape(-1).tolist(), n
    for fname in sorted(os.listdir(OUT_DIR)):
        if fname.endswith(".safetensors") and fname not in written:
            os.remove(os.path.join(OUT_DIR, fname))
            print("removed stale", fname)
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in written)
    print("wrote %d layer fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
