"""End-of-epoch checkpoints for the PyTorch task scripts, so a full run (hours on a slow CPU) can be stopped
and resumed across sessions: `--checkpoint FILE` saves after every epoch and, when FILE exists, resumes from
it. Saved: model and optimizer state, Python's and torch's random generators, and the script's own loop state
(epoch, best dev score and weights, epoch times; a script that also saves part-way through an epoch adds
where it stands under "partial"). Resuming from a checkpoint continues the
same sequence of random numbers, so the run is the one an uninterrupted run would have made.
"""
import os
import random

import torch


def load(path, model, opt):
    """Restores model, optimizer and generators from `path`; returns the script's saved loop state, or None.
    Creates the checkpoint's folder if missing, so a bad path fails now rather than after the first epoch."""
    if not path:
        return None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if not os.path.exists(path):
        return None
    ck = torch.load(path)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    torch.set_rng_state(ck["torch_rng"])
    random.setstate(ck["python_rng"])
    part = ck["loop"].get("partial")
    where = f"batch {part['done']} of epoch {ck['loop']['epoch'] + 1}" if part else f"epoch {ck['loop']['epoch']}"
    print(f"resumed from {path} after {where}", flush=True)
    return ck["loop"]


def save(path, model, opt, loop):
    """Writes the checkpoint atomically (a crash mid-write leaves the previous one)."""
    if not path:
        return
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "torch_rng": torch.get_rng_state(),
                "python_rng": random.getstate(), "loop": loop}, tmp)
    os.replace(tmp, path)
