#!/usr/bin/python3
"""ONNX's own conformance data for its RNN, LSTM and GRU operators, as small safetensors fixtures.

A second oracle beside PyTorch, written by other people from the ONNX operator spec: in particular it checks
birnn's reset-before GRU (`GRUOptions::reset_after(false)`, ONNX's default `linear_before_reset=0`), which
PyTorch does not have. The C++ side is tests/reference/test_onnx_conformance.cpp; it maps ONNX's gate order
and tensor layout onto PyTorch's itself, so the fixtures hold the tensors exactly as ONNX ships them.

    apt-get install libonnx-testdata python3-onnx      (only to regenerate; the fixtures are committed)
    /usr/bin/python3 tests/reference/make_onnx_fixtures.py

Two kinds of fixture in tests/reference/onnx_fixtures/:
- shipped_<case>.safetensors: the cases of /usr/share/libonnx-testdata/data/node/test_{lstm,gru,rnn,simple_rnn}_*
  (model.onnx and test_data_set_0/*.pb): tensors X, W, R, B (if the case has it), Y and Y_h (those it has),
  float32 as shipped. Refused: any attribute or input birnn has no counterpart for (peepholes P, clip,
  input_forget, other activations, sequence_lens) -- in ONNX 1.12 that is test_lstm_with_peepholes alone; the
  script prints what it skipped and why. Most shipped cases use constant weights (every W and R entry 0.1 or
  0.2), which test the equations but not the gate order, and cannot tell the two GRU forms apart; only
  gru_seq_length and rnn_seq_length draw random weights.
- random_<case>.safetensors: random weights, biases and initial states (float32 values, stored as F64), run
  through ONNX's own reference implementation (onnx.backend.test.case.node.{lstm,gru,rnn}: LSTM_Helper,
  GRU_Helper, RNN_Helper, the code that made the shipped outputs) in float64; Y and Y_h stored as F64. These
  check the gate order and both GRU forms. (The helpers read initial states in layout 0's shape only,
  so the layout-1 cases start from zeros; their Y_h is Y[:, :, -1, :], shaped (batch, seq, hidden) instead of
  the spec's (batch, directions, hidden), so those cases store Y alone. The shipped batchwise cases have one
  time step, where the two coincide.)
Metadata: op (LSTM|GRU|RNN), hidden_size, layout, direction, linear_before_reset, onnx_version, source.
"""
import glob
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from onnx.backend.test.case.node.gru import GRU_Helper
from onnx.backend.test.case.node.lstm import LSTM_Helper
from onnx.backend.test.case.node.rnn import RNN_Helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_safetensors  # noqa: E402

SOURCE = "/usr/share/libonnx-testdata/data/node"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx_fixtures")
KNOWN_ATTRIBUTES = {"hidden_size", "layout", "direction", "linear_before_reset"}
KNOWN_INPUTS = ["X", "W", "R", "B"]


def convert(case_dir):
    """(name, tensors, metadata) of one case, or (name, None, why) when birnn cannot express it."""
    name = os.path.basename(case_dir)[len("test_"):]
    node = onnx.load(os.path.join(case_dir, "model.onnx")).graph.node[0]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    if set(attrs) - KNOWN_ATTRIBUTES:
        return name, None, "attributes %s" % sorted(set(attrs) - KNOWN_ATTRIBUTES)
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    if direction != "forward":  # the test maps one direction's W, R, B; none of ONNX 1.12's cases has two
        return name, None, "direction %s" % direction
    inputs = [n for n in node.input if n]
    if inputs != KNOWN_INPUTS[:len(inputs)]:
        return name, None, "inputs %s (birnn maps X, W, R, B)" % inputs
    data = os.path.join(case_dir, "test_data_set_0")
    tensors = []
    for i, n in enumerate(inputs):
        tensors.append((n, _read(os.path.join(data, "input_%d.pb" % i))))
    outputs = [n for n in node.output]  # "" marks an output the case does not produce
    for i, n in enumerate(o for o in outputs if o):
        tensors.append((n, _read(os.path.join(data, "output_%d.pb" % i))))
    meta = {"op": node.op_type, "hidden_size": attrs["hidden_size"], "layout": attrs.get("layout", 0),
            "direction": direction,
            "linear_before_reset": attrs.get("linear_before_reset", 0), "onnx_version": onnx.__version__,
            "source": "libonnx-testdata " + os.path.basename(case_dir)}
    return name, tensors, meta


def write(folder, name, tensors, meta, written):
    write_safetensors(os.path.join(folder, name + ".safetensors"), tensors, meta)
    written.add(name + ".safetensors")
    print("wrote %s (%s)" % (name, ", ".join("%s %s" % (n, list(t.shape)) for n, t in tensors)))


def _read(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    a = numpy_helper.to_array(t)
    assert a.dtype.name == "float32", path
    return torch.from_numpy(a.copy())


# (name, op, gates, helper, layout, linear_before_reset, initial states, seed); T, B, I, H = 6, 4, 5, 7
RANDOM_CASES = [
    ("lstm_layout0_initial_state", "LSTM", 4, LSTM_Helper, 0, 0, True, 1),
    ("lstm_layout1", "LSTM", 4, LSTM_Helper, 1, 0, False, 2),
    ("gru_reset_before_layout0_initial_state", "GRU", 3, GRU_Helper, 0, 0, True, 3),
    ("gru_reset_before_layout1", "GRU", 3, GRU_Helper, 1, 0, False, 4),
    ("gru_linear_before_reset_layout0_initial_state", "GRU", 3, GRU_Helper, 0, 1, True, 5),
    ("rnn_layout0_initial_state", "RNN", 1, RNN_Helper, 0, 0, True, 6),
    ("rnn_layout1", "RNN", 1, RNN_Helper, 1, 0, False, 7),
]


def random_case(op, gates, helper, layout, lbr, initial, seed):
    T, B, I, H = 6, 4, 5, 7
    rng = np.random.RandomState(seed)
    draw = lambda *shape: rng.uniform(-1, 1, shape).astype(np.float32).astype(np.float64)  # float32-exact
    p = {"X": draw(*((T, B, I) if layout == 0 else (B, T, I))), "W": draw(1, gates * H, I),
         "R": draw(1, gates * H, H), "B": draw(1, 2 * gates * H)}
    if initial:
        p["initial_h"] = draw(1, B, H)
        if op == "LSTM":
            p["initial_c"] = draw(1, B, H)
    stored = [(k, torch.from_numpy(v.copy())) for k, v in p.items()]
    args = dict(p, layout=layout) if layout else dict(p)
    if layout == 1:  # the helpers size their default zero states from X.shape[1], which is T in layout 1
        assert not initial, "the helpers read initial states in layout 0's shape only"
        args["initial_h"] = np.zeros((1, B, H))
        if op == "LSTM":
            args["initial_c"] = np.zeros((1, B, H))
    if op == "GRU":
        args["linear_before_reset"] = lbr
    Y, Y_h = helper(**args).step()
    stored.append(("Y", torch.from_numpy(np.ascontiguousarray(Y))))
    if layout == 0:  # in layout 1 the helpers return Y[:, :, -1, :] (batch, seq, hidden), not the spec's Y_h
        stored.append(("Y_h", torch.from_numpy(np.ascontiguousarray(Y_h))))
    meta = {"op": op, "hidden_size": H, "layout": layout, "direction": "forward", "linear_before_reset": lbr,
            "onnx_version": onnx.__version__,
            "source": "onnx.backend.test.case.node.%s.%s, seed %d" % (op.lower(), helper.__name__, seed)}
    return stored, meta


def main():
    cases = sorted(d for pattern in ("test_lstm_*", "test_gru_*", "test_rnn_*", "test_simple_rnn_*")
                   for d in glob.glob(os.path.join(SOURCE, pattern)))
    if not cases:
        sys.exit("no ONNX RNN cases under %s: apt-get install libonnx-testdata" % SOURCE)
    os.makedirs(OUT, exist_ok=True)
    written = set()
    for d in cases:
        name, tensors, meta = convert(d)
        if tensors is None:
            print("skipped %s: %s" % (name, meta))
            continue
        write(OUT, "shipped_" + name, tensors, meta, written)
    for name, op, gates, helper, layout, lbr, initial, seed in RANDOM_CASES:
        tensors, meta = random_case(op, gates, helper, layout, lbr, initial, seed)
        write(OUT, "random_" + name, tensors, meta, written)
    for stale in set(os.listdir(OUT)) - written:
        os.remove(os.path.join(OUT, stale))


if __name__ == "__main__":
    main()
