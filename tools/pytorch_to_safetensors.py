#!/usr/bin/python3
"""Writes a PyTorch state_dict as a safetensors file that birnn loads unchanged (`birnn::load(module, FILE)`),
with nothing but torch (Debian's python3-torch; the `safetensors` package is not needed).

    /usr/bin/python3 tools/pytorch_to_safetensors.py IN.pt OUT.safetensors [--prefix P] [--keep-dtype]
    ./build/birnn info OUT.safetensors      # the tensors, and the RNN/LSTM/GRU layers with the C++ that builds them

IN.pt is what torch.save wrote: a state_dict, a whole nn.Module (its class must be importable, so run this
from the project that defines it, or save model.state_dict() instead), or a training checkpoint dict holding
the state_dict under "state_dict", "model_state_dict" or "model".
--prefix P keeps only the tensors whose names start with P, without it: `--prefix encoder.rnn.` turns the
LSTM inside a larger model into a bare torch.nn.LSTM state_dict that `birnn::load(lstm, OUT)` loads strictly.
Floating tensors are written as float32 (what birnn computes in) unless --keep-dtype; integer tensors as int64.
From Python code that has the model at hand, `save_state_dict(model.state_dict(), path)` does the same.
"""
import argparse
import json
import os
import sys

import torch

_DTYPE_NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors, a list of (name, tensor) in file order, exactly as they are (float32, float64 or int64), to
    path in the safetensors format, atomically (a temp file renamed over path). metadata: dict, values made str.
    The PyTorch fixture scripts (tests/reference/) write through this too, so it must stay byte for byte stable."""
    header, blobs, offset = {"__metadata__": {str(k): str(v) for k, v in (metadata or {}).items()}}, [], 0
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        if t.dtype not in _DTYPE_NAMES:
            raise ValueError("%s has dtype %s; safetensors for birnn hold float32, float64 or int64" % (name, t.dtype))
        a = t.numpy()
        blob = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()  # safetensors is little-endian
        header[name] = {"dtype": _DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-(8 + len(text))) % 8)  # the data starts 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def save_state_dict(state_dict, path, metadata=None, keep_dtype=False):
    """Writes the tensors of state_dict (name -> tensor) to path, sorted by name, with metadata format=pt.
    Floating tensors become float32 unless keep_dtype (float64 stays float64 then); integer tensors int64.
    Returns the names written; other entries (non-tensors, bool) raise ValueError."""
    tensors = []
    for name in sorted(state_dict):
        t = state_dict[name]
        if not isinstance(t, torch.Tensor):
            raise ValueError("%s is a %s, not a tensor" % (name, type(t).__name__))
        if t.is_floating_point():
            t = t.to(torch.float64 if keep_dtype and t.dtype == torch.float64 else torch.float32)
        elif t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
            t = t.to(torch.int64)
        else:
            raise ValueError("%s has dtype %s, which birnn does not read" % (name, t.dtype))
        tensors.append((name, t))
    write_safetensors(path, tensors, {"format": "pt", **(metadata or {})})
    return [name for name, _ in tensors]


def state_dict_of(obj, source):
    """The state_dict inside what torch.load returned."""
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model_state_dict", "model"):
            inner = obj.get(key)
            if isinstance(inner, torch.nn.Module):
                return inner.state_dict()
            if isinstance(inner, dict) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                return inner
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
        keys = ", ".join(map(str, list(obj)[:12]))
        raise SystemExit("%s: a dict, but neither a state_dict (name -> tensor) nor a checkpoint holding one under "
                         "'state_dict', 'model_state_dict' or 'model' (its keys: %s)" % (source, keys))
    raise SystemExit("%s: holds a %s, not a state_dict or an nn.Module" % (source, type(obj).__name__))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="a file torch.save wrote")
    ap.add_argument("output", help="the .safetensors file to write")
    ap.add_argument("--prefix", default="", help="keep only tensors named PREFIX..., without the prefix")
    ap.add_argument("--keep-dtype", action="store_true", help="keep float64 tensors float64")
    a = ap.parse_args(argv)
    try:
        # weights_only=False: a whole nn.Module or a checkpoint dict needs full unpickling (newer torch defaults to
        # True); unpickling runs code from the file, so convert only files you trust.
        obj = torch.load(a.input, map_location="cpu", weights_only=False)
    except Exception as e:  # torch.load raises whatever unpickling meets: OSError, UnpicklingError, ...
        raise SystemExit("%s: cannot be read by torch.load: %s" % (a.input, e))
    sd = state_dict_of(obj, a.input)
    if a.prefix:
        sd = {k[len(a.prefix):]: v for k, v in sd.items() if k.startswith(a.prefix)}
        if not sd:
            tops = sorted({k.split(".")[0] + "." for k in state_dict_of(obj, a.input)})
            raise SystemExit("%s: no tensor name starts with '%s' (they start with %s)"
                             % (a.input, a.prefix, ", ".join(tops[:12])))
    try:
        names = save_state_dict(sd, a.output, {"source": os.path.basename(a.input)}, a.keep_dtype)
    except (ValueError, OSError) as e:
        raise SystemExit("%s: %s" % (a.output, e))
    print("wrote %d tensors to %s" % (len(names), a.output))


if __name__ == "__main__":
    main(sys.argv[1:])
