#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's optimizers, gradient clipping and learning-rate schedules.

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_optim_fixtures.py

Writes into tests/reference/optim_fixtures/:
  - one file per optimizer configuration (torch.optim.SGD / Adam / AdamW, some with a schedule stepped
    after every optimizer step): initial parameters, a gradient per parameter per step (absent where
    the gradient is None), the parameters after every step, and the final optimizer state;
  - clip.safetensors: torch.nn.utils.clip_grad_norm_ / clip_grad_value_ on fixed gradients;
  - schedules.safetensors: the lr sequence of each torch.optim.lr_scheduler configuration.
Deletes stale *.safetensors files there that this run did not write, and re-reads every file with the
independent reader of make_fixtures.py. Deterministic: tensors come from a seed derived from each
fixture's name. See tests/reference/README.md ("Optimizer fixtures") for the layout.
"""

import json
import math
import os
import sys
import warnings
import zlib

import torch
from torch.optim import lr_scheduler as lrs

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ next to the fixtures
sys.path.insert(0, HERE)
from make_fixtures import read_safetensors, write_safetensors  # noqa: E402

OUT_DIR = os.path.join(HERE, "optim_fixtures")
SHAPES = [(3, 4), (4,), (2, 1, 3)]
STEPS = 6
# Gradient scale per step: rises and falls so AMSGrad's running maximum differs from the average.
GRAD_SCALE = [1.0, 0.3, 2.0, 0.1, 0.5, 0.05]
MISSING = {(2, 2)}  # (step, parameter) pairs whose gradient is None: that parameter is skipped then

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
# SequentialLR calls scheduler.step(0) at a milestone, which warns about its own deprecated argument.
warnings.filterwarnings("ignore", message="The epoch parameter", category=UserWarning)

# name -> (optimizer class, keyword arguments, schedule spec or None)
OPTIMIZERS = {
    "sgd_plain": ("SGD", {"lr": 0.1}, None),
    "sgd_momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}, None),
    "sgd_dampening_wd": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, None),
    "sgd_nesterov_wd": ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}, None),
    "sgd_maximize": ("SGD", {"lr": 0.1, "momentum": 0.5, "maximize": True}, None),
    "sgd_momentum_steplr": ("SGD", {"lr": 0.1, "momentum": 0.9}, {"type": "StepLR", "step_size": 2, "gamma": 0.5}),
    "adam_default": ("Adam", {"lr": 0.01}, None),
    "adam_l2_betas": ("Adam", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.1}, None),
    "adam_amsgrad_eps": ("Adam", {"lr": 0.01, "amsgrad": True, "eps": 1e-6}, None),
    "adam_maximize": ("Adam", {"lr": 0.02, "maximize": True}, None),
    "adam_warmup_cosine": ("Adam", {"lr": 0.05}, {"type": "SequentialLR", "milestones": [2], "schedulers": [
        {"type": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 2},
        {"type": "CosineAnnealingLR", "T_max": 4, "eta_min": 0.001}]}),
    "adamw_default": ("AdamW", {"lr": 0.01}, None),
    "adamw_wd_amsgrad": ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, None),
    "adamw_l2_betas_maximize": ("AdamW", {"lr": 0.03, "betas": [0.5, 0.9], "weight_decay": 0.05, "maximize": True}, None),
}

# name -> (base lr, schedule spec, number of scheduler steps)
SCHEDULES = {
    "steplr": (0.1, {"type": "StepLR", "step_size": 3, "gamma": 0.5}, 10),
    "steplr_default_gamma": (0.1, {"type": "StepLR", "step_size": 1}, 6),
    "linear_warmup": (0.1, {"type": "LinearLR", "start_factor": 0.25, "end_factor": 1.0, "total_iters": 4}, 8),
    "linear_defaults": (0.1, {"type": "LinearLR"}, 8),
    "linear_decay": (0.1, {"type": "LinearLR", "start_factor": 1.0, "end_factor": 0.1, "total_iters": 5}, 8),
    "cosine": (0.1, {"type": "CosineAnnealingLR", "T_max": 6, "eta_min": 0.001}, 20),
    "cosine_to_zero": (0.05, {"type": "CosineAnnealingLR", "T_max": 10}, 12),
    "warmup_cosine": (0.1, {"type": "SequentialLR", "milestones": [3], "schedulers": [
        {"type": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 3},
        {"type": "CosineAnnealingLR", "T_max": 7, "eta_min": 1e-4}]}, 14),
    "step_then_linear": (0.1, {"type": "SequentialLR", "milestones": [4], "schedulers": [
        {"type": "StepLR", "step_size": 2, "gamma": 0.5},
        {"type": "LinearLR", "start_factor": 0.5, "end_factor": 1.0, "total_iters": 3}]}, 10),
    "three_phases": (0.2, {"type": "SequentialLR", "milestones": [2, 5], "schedulers": [
        {"type": "LinearLR", "start_factor": 0.5, "total_iters": 2},
        {"type": "StepLR", "step_size": 1, "gamma": 0.9},
        {"type": "CosineAnnealingLR", "T_max": 4}]}, 9),
}

# Clipping cases: name -> keyword arguments (kind "norm" or "value").
CLIPS = {
    "norm2_clipped": {"kind": "norm", "max_norm": 1.0, "norm_type": 2.0},
    "norm2_unclipped": {"kind": "norm", "max_norm": 100.0, "norm_type": 2.0},
    "norm1_clipped": {"kind": "norm", "max_norm": 2.0, "norm_type": 1.0},
    "norm3_clipped": {"kind": "norm", "max_norm": 0.5, "norm_type": 3.0},
    "norminf_clipped": {"kind": "norm", "max_norm": 0.25, "norm_type": "inf"},
    "value": {"kind": "value", "clip_value": 0.3},
}


def generator(name):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(name.encode()))
    return g


def f32_randn(shape, gen, scale=1.0):
    """Normal values drawn in float32 and returned as float64, so float32 code can load them exactly."""
    return (torch.randn(shape, generator=gen, dtype=torch.float32) * scale).double()


def make_optimizer(kind, params, kwargs):
    kw = dict(kwargs)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[kind](params, **kw)


def make_scheduler(opt, spec):
    args = {k: v for k, v in spec.items() if k not in ("type", "schedulers")}
    if spec["type"] == "SequentialLR":
        children = [make_scheduler(opt, c) for c in spec["schedulers"]]
        return lrs.SequentialLR(opt, children, milestones=args["milestones"])
    return getattr(lrs, spec["type"])(opt, **args)


def optimizer_fixture(name, kind, kwargs, schedule):
    gen = generator(name)
    init = [f32_randn(s, gen) for s in SHAPES]
    grads = [[None if (s, i) in MISSING else f32_randn(shape, gen, GRAD_SCALE[s]) for i, shape in enumerate(SHAPES)]
             for s in range(STEPS)]
    params = [p.clone().requires_grad_(True) for p in init]
    opt = make_optimizer(kind, params, kwargs)
    sched = make_scheduler(opt, schedule) if schedule else None
    tensors = [("param.%d.init" % i, p) for i, p in enumerate(init)]
    lrs_used = []
    for s in range(STEPS):
        for i, p in enumerate(params):
            p.grad = None if grads[s][i] is None else grads[s][i].clone()
            if grads[s][i] is not None:
                tensors.append(("grad.%d.%d" % (s, i), grads[s][i]))
        lrs_used.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched:
            sched.step()
        tensors += [("param.%d.after%d" % (i, s), p.detach().clone()) for i, p in enumerate(params)]
    tensors.append(("lr_used", torch.tensor(lrs_used, dtype=torch.float64)))
    # The final state under PyTorch's names; "step" is a float32 scalar tensor in torch 1.13.
    for i, p in enumerate(params):
        for key, value in sorted(opt.state[p].items()):
            if value is not None:
                tensors.append(("state.%d.%s" % (i, key), value.detach().double().reshape(value.shape)))
    metadata = {"kind": "optimizer", "optimizer": kind, "options": json.dumps(kwargs, sort_keys=True),
                "schedule": json.dumps(schedule, sort_keys=True) if schedule else "", "steps": STEPS,
                "params": len(SHAPES), "torch_version": torch.__version__}
    return tensors, metadata


def schedules_fixture():
    tensors, specs = [], {}
    for name, (base_lr, spec, steps) in SCHEDULES.items():
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base_lr)
        sched = make_scheduler(opt, spec)
        values = [opt.param_groups[0]["lr"]]
        for _ in range(steps):
            opt.step()
            sched.step()
            values.append(opt.param_groups[0]["lr"])
            assert sched.get_last_lr()[0] == values[-1]
        tensors.append(("lr." + name, torch.tensor(values, dtype=torch.float64)))
        specs[name] = {"base_lr": base_lr, "schedule": spec, "steps": steps}
    metadata = {"kind": "schedules", "schedules": json.dumps(specs, sort_keys=True), "torch_version": torch.__version__}
    return tensors, metadata


def clip_fixture():
    tensors = []
    for name, case in CLIPS.items():
        gen = generator("clip." + name)
        grads = [f32_randn(s, gen) for s in SHAPES]
        params = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        if case["kind"] == "norm":
            norm_type = math.inf if case["norm_type"] == "inf" else case["norm_type"]
            total = torch.nn.utils.clip_grad_norm_(params, case["max_norm"], norm_type=norm_type)
            tensors.append(("clip.%s.total_norm" % name, total.detach().double().reshape([])))
        else:
            torch.nn.utils.clip_grad_value_(params, case["clip_value"])
        tensors += [("clip.%s.grad.%d" % (name, i), g) for i, g in enumerate(grads)]
        tensors += [("clip.%s.out.%d" % (name, i), p.grad.detach().clone()) for i, p in enumerate(params)]
    metadata = {"kind": "clip", "cases": json.dumps(CLIPS, sort_keys=True), "torch_version": torch.__version__}
    return tensors, metadata


def write_checked(fname, tensors, metadata):
    path = os.path.join(OUT_DIR, fname)
    metadata = {k: str(v) for k, v in metadata.items()}
    write_safetensors(path, tensors, metadata)
    meta2, back = read_safetensors(path)
    assert meta2 == metadata
    assert list(back) == [n for n, _ in tensors]
    for n, t in tensors:
        assert back[n][1] == list(t.shape), n
        assert back[n][2] == t.reshape(-1).tolist(), n


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    written = set()
    for name, (kind, kwargs, schedule) in OPTIMIZERS.items():
        write_checked(name + ".safetensors", *optimizer_fixture(name, kind, kwargs, schedule))
        written.add(name + ".safetensors")
    write_checked("schedules.safetensors", *schedules_fixture())
    write_checked("clip.safetensors", *clip_fixture())
    written |= {"schedules.safetensors", "clip.safetensors"}
    for fname in sorted(os.listdir(OUT_DIR)):
        if fname.endswith(".safetensors") and fname not in written:
            os.remove(os.path.join(OUT_DIR, fname))
            print("removed stale", fname)
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in written)
    print("wrote %d files (%d optimizer configurations, schedules, clipping), %d bytes, into %s"
          % (len(written), len(OPTIMIZERS), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
