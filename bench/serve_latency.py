#!/usr/bin/python3
"""Serving a PyTorch-trained model: the same model, weights and requests in PyTorch and in birnn, request by
request, latency side by side and the outputs compared.

    /usr/bin/python3 bench/serve_latency.py [--models bigru_spam,bilstm_last_step] [--batches 1,16]
        [--threads 1] [--rounds 5] [--requests 64] [--serve-bench build/bench/serve_bench] [--json FILE]

For each model, the PyTorch twin of the birnn ready model (the classes of tests/reference/make_model_*.py,
whose state_dict keys birnn loads unchanged) is built with PyTorch's init and a fixed seed, and its float32
state_dict, its options and the requests are written to a temporary folder, as a user would hand them over:
- bigru_spam: BiGRUClassifier as `birnn train spam` builds it (30,000-token vocabulary, embedding 64,
  BiGRU(64), max pooling over the real steps, Dense(1)); requests of 100..800 token ids (a mail's header
  fields and body, cut at 800 as the spam task does).
- bilstm_last_step: LastStepClassifier, 2-layer BiLSTM(256) over 64 float features, 5 classes; requests
  of 20..100 steps.
Requests are served B at a time in file order, each batch cut to its longest request. At B = 1 both tools get
the request alone without lengths (the fastest PyTorch call); at B > 1 PyTorch gets pack_padded_sequence
(enforce_sorted=False) through the twin's forward, birnn the lengths. PyTorch runs in eval mode under
torch.inference_mode(); birnn's build/bench/serve_bench in eval mode under NoGradGuard. Each round runs
serve_bench once (a warm-up pass, then one timed pass; a new process per round) and then one timed pass in
PyTorch (warmed up once before the first round): rounds interleave the two tools. Per batch latency in ms:
median and 90th percentile over all rounds. The outputs of the first timed passes are compared: max
|birnn - PyTorch| relative to max |PyTorch|.
torch.jit.trace of the B = 1 model measured within 3% of eager here (33.8 against 32.8 ms for bigru_spam):
the time is inside the GRU op, not in Python. Thread and BLAS settings are those of bench/pytorch_rnn_bench.py (OpenBLAS's AVX-512 GEMM on AVX-512 CPUs,
OMP/OpenBLAS threads = --threads, flush-to-zero).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.dont_write_bytecode = True


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="bigru_spam,bilstm_last_step")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=64)
    ap.add_argument("--serve-bench", default=os.path.join(ROOT, "build", "bench", "serve_bench"))
    ap.add_argument("--json", default="", help="also write every latency and the table's figures here")
    ap.add_argument("--keep", default="", help="write each model's files to KEEP/<model> (kept, e.g. to profile "
                    "serve_bench on them) instead of a temporary folder")
    a = ap.parse_args(argv)
    a.models = [m for m in a.models.split(",") if m]
    for m in a.models:
        if m not in MODELS:
            ap.error(f"unknown model '{m}' (known: {', '.join(MODELS)})")
    try:
        a.batches = [int(b) for b in a.batches.split(",") if b]
    except ValueError:
        ap.error(f"--batches expects integers separated by commas, got '{a.batches}'")
    if not a.batches or min(a.batches) < 1 or a.threads < 1 or a.rounds < 1 or a.requests < 1:
        ap.error("--batches, --threads, --rounds and --requests must be >= 1")
    if not os.access(a.serve_bench, os.X_OK):
        ap.error(f"{a.serve_bench} not found: build it first (cmake --build build --target serve_bench)")
    return a


MODELS = {
    # name: (birnn model, twin module file, twin class, options, request lengths, input kind)
    "bigru_spam": ("bigru_classifier", "make_model_bigru_classifier", "BiGRUClassifier",
                   {"input_size": 0, "vocab_size": 30000, "embedding_dim": 64, "hidden_size": 64, "num_layers": 1,
                    "reset_after": True, "merge_mode": "concat", "head": "pooled", "pooling": "max",
                    "dropout": 0.0}, (100, 800), "ids"),
    "bilstm_last_step": ("last_step_classifier", "make_model_last_step_classifier", "LastStepClassifier",
                         {"cell": "lstm", "input_size": 64, "hidden_size": 256, "num_layers": 2,
                          "bidirectional": True, "dropout": 0.0, "num_classes": 5, "proj_size": 0},
                         (20, 100), "features"),
}


def percentile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


class keep_dir:
    """A folder that stays, used like tempfile.TemporaryDirectory."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        os.makedirs(self.path, exist_ok=True)
        return self.path

    def __exit__(self, *exc):
        return False


def read_f32(torch, path, name):
    """One float32 tensor of a safetensors file (what serve_bench writes)."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    entry = json.loads(data[8:8 + n])[name]
    assert entry["dtype"] == "F32", entry
    lo, hi = entry["data_offsets"]
    return torch.frombuffer(bytearray(data[8 + n + lo:8 + n + hi]), dtype=torch.float32).reshape(entry["shape"])


def main(argv):
    a = parse_args(argv)
    if "avx512f" in open("/proc/cpuinfo").read():
        os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx512")
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(a.threads)
    if a.threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    sys.path.insert(0, HERE)
    from pytorch_rnn_bench import blas_report  # noqa: E402
    blas = blas_report()
    if not blas.get("openblas"):
        print(f"warning: PyTorch is not running on OpenBLAS ({blas['libraries']}): its GEMMs are slow", file=sys.stderr)
    sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))  # the PyTorch twins of the ready models
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from pytorch_to_safetensors import save_state_dict  # noqa: E402  (what a user runs to hand birnn a model)

    results = []
    for name in a.models:
        birnn_model, module, cls, opts, (lo, hi), kind = MODELS[name]
        twin = getattr(__import__(module), cls)
        torch.set_num_threads(a.threads)  # the twin scripts pin one thread when imported
        torch.use_deterministic_algorithms(False)
        torch.set_flush_denormal(True)
        torch.manual_seed(1)
        model = twin(dict(opts)).eval()
        gen = torch.Generator().manual_seed(2)
        lengths = torch.randint(lo, hi + 1, (a.requests,), generator=gen, dtype=torch.int64)
        if kind == "ids":
            inputs = torch.randint(1, opts["vocab_size"], (a.requests, hi), generator=gen, dtype=torch.int64)
        else:
            inputs = torch.rand(a.requests, hi, opts["input_size"], generator=gen) * 2 - 1
        with (keep_dir(os.path.join(a.keep, name)) if a.keep else tempfile.TemporaryDirectory(prefix="birnn-serve-")) as d:
            save_state_dict(model.state_dict(), os.path.join(d, "state_dict.safetensors"))
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(opts, f)
            save_state_dict({"input": inputs, "lengths": lengths}, os.path.join(d, "requests.safetensors"))
            for B in a.batches:
                batches = []
                for i0 in range(0, a.requests, B):
                    n = min(B, a.requests - i0)
                    T = int(lengths[i0:i0 + n].max())
                    x = inputs[i0:i0 + n, :T].contiguous()
                    batches.append((x, None if B == 1 else lengths[i0:i0 + n].clone()))

                def torch_pass(keep):
                    times, outs = [], []
                    with torch.inference_mode():
                        for x, lens in batches:
                            t0 = time.perf_counter()
                            y = model(x, lens)
                            times.append((time.perf_counter() - t0) * 1e3)
                            if keep:
                                outs.append(y)
                    return times, outs

                torch_pass(False)  # warm-up
                t_ms, b_ms, torch_out, birnn_out = [], [], None, None
                for r in range(a.rounds):
                    cmd = [a.serve_bench, "--model", birnn_model, "--dir", d, "--batch", str(B),
                           "--threads", str(a.threads), "--passes", "1"]
                    p = subprocess.run(cmd, capture_output=True, text=True)
                    if p.returncode != 0:
                        sys.exit(f"serve_bench failed: {p.stderr.strip()}")
                    b_ms += json.loads(p.stdout.strip().splitlines()[-1])["batch_ms"]
                    if birnn_out is None:
                        birnn_out = read_f32(torch, os.path.join(d, "birnn_logits.safetensors"), "logits").double()
                    times, outs = torch_pass(r == 0)
                    t_ms += times
                    if r == 0:
                        torch_out = torch.cat([o.double().reshape(o.shape[0], -1) for o in outs]).reshape(birnn_out.shape)
                err = float((birnn_out - torch_out).abs().max() / torch_out.abs().max().clamp_min(1e-30))
                row = {"model": name, "batch": B, "threads": a.threads, "requests": a.requests,
                       "birnn_p50": statistics.median(b_ms), "birnn_p90": percentile(b_ms, 0.9),
                       "pytorch_p50": statistics.median(t_ms), "pytorch_p90": percentile(t_ms, 0.9),
                       "max_rel_diff": err, "birnn_ms": b_ms, "pytorch_ms": t_ms}
                results.append(row)
                print(f"{name} B={B}: birnn p50 {row['birnn_p50']:.3f} ms, PyTorch p50 {row['pytorch_p50']:.3f} ms, "
                      f"outputs differ by {err:.2g} (relative)", file=sys.stderr)

    print(f"| model | batch | threads | birnn p50 ms | birnn p90 | PyTorch p50 ms | PyTorch p90 | PyTorch/birnn p50 "
          f"| max rel. diff of outputs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['model']} | {r['batch']} | {r['threads']} | {r['birnn_p50']:.3f} | {r['birnn_p90']:.3f} | "
              f"{r['pytorch_p50']:.3f} | {r['pytorch_p90']:.3f} | {r['pytorch_p50'] / r['birnn_p50']:.2f}x | "
              f"{r['max_rel_diff']:.1e} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
