#!/usr/bin/python3
"""PyTorch's torch.nn.LSTM/GRU/RNN timed the way birnn and oneDNN are timed (see bench/README.md).

    /usr/bin/python3 bench/pytorch_rnn_bench.py --cell lstm|gru|rnn [--bidirectional] --batch B --seq T
        --input I --hidden H [--layers L] [--threads N] [--lengths uniform:MIN:MAX] [--reps R] [--warmup W] [--json]

forward          : model.eval() under torch.no_grad().
forward_backward : model.train(), forward recording autograd, then backward with an all-ones gradient on the
                   output sequence; gradients reach the input, h0 (and c0) and every weight and bias. No
                   optimizer; parameter gradients are set to None before each step, outside the timed region.
The two alternate, rep by rep. Also reported: medians of the process CPU time of the same regions
("*_cpu_ms"), which on one thread do not count time the process was descheduled (steadier on a shared
machine). With --lengths the batch is packed with pack_padded_sequence(enforce_sorted=False) and the output
unpacked with pad_packed_sequence, both inside the timed region, as a user of variable lengths does.

Best settings, decided before torch is imported: on a CPU with avx512f, OpenBLAS gets its AVX-512 kernels
(OPENBLAS_CORETYPE=SkylakeX) and ATen its AVX-512 pointwise kernels (ATEN_CPU_CAPABILITY=avx512), unless
those variables are already set (a non-AVX-512 OpenBLAS core then gets a warning); OPENBLAS_NUM_THREADS and
OMP_NUM_THREADS = --threads, so every thread pool honours --threads, and with more than one thread
OMP_WAIT_POLICY=PASSIVE (PyTorch's spinning OpenMP threads otherwise starve OpenBLAS's own threads: 6x slower
here); flush-to-zero is on (torch.set_flush_denormal), as in birnn. The BLAS actually loaded is reported
on stderr and a warning is printed if it is not OpenBLAS (Debian's reference BLAS makes PyTorch's RNNs ~30x
slower).
"""
import argparse
import json
import os
import re
import statistics
import sys
import time


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    ap.add_argument("--bidirectional", action="store_true")

    def count(min_value):
        def parse(text):
            try:
                v = int(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'")
            if v < min_value:
                raise argparse.ArgumentTypeError(f"expected an integer >= {min_value}, got {v}")
            return v
        return parse

    ap.add_argument("--batch", type=count(1), default=64)
    ap.add_argument("--seq", type=count(1), default=None, help="T (default 100; MAX with --lengths)")
    ap.add_argument("--input", type=count(1), default=256)
    ap.add_argument("--hidden", type=count(1), default=256)
    ap.add_argument("--layers", type=count(1), default=1)
    ap.add_argument("--threads", type=count(1), default=1)
    ap.add_argument("--lengths", default="dense", help="dense or uniform:MIN:MAX")
    ap.add_argument("--reps", type=count(1), default=10)
    ap.add_argument("--warmup", type=count(0), default=2)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    a.len_min = a.len_max = None
    if a.lengths != "dense":
        m = re.fullmatch(r"uniform:(\d+):(\d+)", a.lengths)
        if not m or not (1 <= int(m.group(1)) <= int(m.group(2))):
            ap.error(f"--lengths expects dense or uniform:MIN:MAX with 1 <= MIN <= MAX, got '{a.lengths}'")
        a.len_min, a.len_max = int(m.group(1)), int(m.group(2))
        if a.seq is not None and a.seq != a.len_max:
            ap.error(f"--seq {a.seq} disagrees with --lengths {a.lengths} (T is MAX; omit --seq or make it equal MAX)")
        a.seq = a.len_max
    elif a.seq is None:
        a.seq = 100
    return a


def uniform_lengths(batch, mn, mx):
    """length_b = MIN + (b*(MAX-MIN)) // (B-1), b = 0..B-1; B == 1 gives MAX (same rule in every tool)."""
    if batch == 1:
        return [mx]
    return [mn + (b * (mx - mn)) // (batch - 1) for b in range(batch)]


def cpu_has_avx512f():
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def blas_report():
    """Which BLAS/LAPACK libraries are mapped into this process, and OpenBLAS's view of itself."""
    import ctypes
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if "blas" in name or "lapack" in name or "mkl" in name or "blis" in name:
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    info = {"libraries": sorted(libs), "openblas": False}
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
            corename = lib.openblas_get_corename
        except (OSError, AttributeError):
            continue
        corename.restype = ctypes.c_char_p
        info.update(openblas=True, openblas_core=corename().decode(), openblas_threads=lib.openblas_get_num_threads())
        break
    return info


def main(argv):
    a = parse_args(argv)
    avx512 = cpu_has_avx512f()
    if avx512:
        # Unless the caller chose otherwise: OpenBLAS's AVX-512 GEMM (its auto-detection picks Haswell AVX2 on
        # Zen 5) and ATen's AVX-512 pointwise kernels (1.13 defaults to AVX2); ~1.6x and ~1.1x here.
        os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
        os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx512")
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    if a.threads > 1:
        # PyTorch's OpenMP pool and OpenBLAS's pthread pool share the cores; idle OpenMP threads spinning
        # (libgomp's default) starve the BLAS threads: BiLSTM forward on 2 threads took 490 ms instead of 79 ms.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    import resource
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(20240601)

    blas = blas_report()
    config = torch.__config__.show()
    blas_info = re.search(r"BLAS_INFO=([^,\s]+)", config)
    capability = re.search(r"CPU capability usage: (\S+)", config)
    print(f"pytorch_rnn_bench: torch {torch.__version__}, BLAS_INFO={blas_info.group(1) if blas_info else '?'}, "
          f"CPU capability {capability.group(1) if capability else '?'}, at::get_num_threads()={torch.get_num_threads()}",
          file=sys.stderr)
    print(f"pytorch_rnn_bench: BLAS libraries loaded: {', '.join(blas['libraries']) or 'none found'}", file=sys.stderr)
    if blas["openblas"]:
        print(f"pytorch_rnn_bench: OpenBLAS core {blas['openblas_core']}, {blas['openblas_threads']} thread(s), "
              f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}", file=sys.stderr)
        if avx512 and blas["openblas_core"] not in ("SkylakeX", "Cooperlake", "SapphireRapids"):
            print(f"pytorch_rnn_bench: WARNING: OpenBLAS runs its {blas['openblas_core']} kernels on an AVX-512 CPU "
                  "(OPENBLAS_CORETYPE is set in the environment); PyTorch's best setting here is "
                  "OPENBLAS_CORETYPE=SkylakeX.", file=sys.stderr)
    else:
        print("pytorch_rnn_bench: WARNING: the BLAS behind torch is not OpenBLAS; Debian's reference BLAS makes "
              "PyTorch's RNNs ~30x slower and the comparison meaningless. Install libopenblas0-pthread and check "
              "`update-alternatives --display libblas.so.3-x86_64-linux-gnu`.", file=sys.stderr)

    baseline_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # torch loaded, no model yet
    T, B, I, H, L = a.seq, a.batch, a.input, a.hidden, a.layers
    D = 2 if a.bidirectional else 1
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[a.cell]
    model = cls(I, H, num_layers=L, bidirectional=a.bidirectional)  # (T, B, features), like oneDNN's tnc
    x = torch.rand(T, B, I) * 2 - 1
    h0 = torch.rand(L * D, B, H) * 2 - 1
    c0 = torch.rand(L * D, B, H) * 2 - 1
    lengths = None
    if a.len_min is not None:
        lengths = torch.tensor(uniform_lengths(B, a.len_min, a.len_max), dtype=torch.int64)
    grad_out = torch.ones(T, B, D * H)

    def run(inp, hx):
        if lengths is None:
            out, _ = model(inp, hx)
            return out
        packed = pack_padded_sequence(inp, lengths, enforce_sorted=False)
        out, _ = model(packed, hx)
        out, _ = pad_packed_sequence(out, total_length=T)
        return out

    def forward():
        model.eval()
        with torch.no_grad():
            run(x, (h0, c0) if a.cell == "lstm" else h0)

    xg = x.clone().requires_grad_(True)
    h0g = h0.clone().requires_grad_(True)
    c0g = c0.clone().requires_grad_(True)

    def zero_grads():  # the optimizer's zero_grad(set_to_none=True): not timed
        for t in [xg, h0g, c0g, *model.parameters()]:
            t.grad = None

    def forward_backward():
        model.train()
        out = run(xg, (h0g, c0g) if a.cell == "lstm" else h0g)
        out.backward(grad_out)

    fwd_ms, fb_ms, fwd_cpu, fb_cpu = [], [], [], []
    for rep in range(a.warmup + a.reps):
        cpu0, t0 = time.process_time(), time.perf_counter()
        forward()
        f, fc = (time.perf_counter() - t0) * 1e3, (time.process_time() - cpu0) * 1e3
        zero_grads()
        cpu0, t0 = time.process_time(), time.perf_counter()
        forward_backward()
        fb, fbc = (time.perf_counter() - t0) * 1e3, (time.process_time() - cpu0) * 1e3
        if rep >= a.warmup:
            fwd_ms.append(f)
            fb_ms.append(fb)
            fwd_cpu.append(fc)
            fb_cpu.append(fbc)

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    result = {
        "tool": "pytorch", "version": torch.__version__,
        "blas": (f"OpenBLAS {blas['openblas_core']}" if blas["openblas"] else "not OpenBLAS: " + ",".join(blas["libraries"])),
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "ATEN_", "OMP_"))},
        "cell": a.cell, "bidirectional": a.bidirectional, "batch": B, "seq": T, "input": I, "hidden": H,
        "layers": L, "threads": a.threads, "lengths": a.lengths, "packed": lengths is not None,
        "reps": a.reps, "warmup": a.warmup,
        "forward_ms": statistics.median(fwd_ms), "forward_backward_ms": statistics.median(fb_ms),
        "forward_ms_reps": [round(v, 4) for v in fwd_ms], "forward_backward_ms_reps": [round(v, 4) for v in fb_ms],
        "forward_cpu_ms": statistics.median(fwd_cpu), "forward_backward_cpu_ms": statistics.median(fb_cpu),
        "peak_rss_mb": round(rss_mb, 1), "baseline_rss_mb": round(baseline_rss_mb, 1),
    }
    if a.json:
        print(json.dumps(result))
    else:
        print(f"PyTorch {torch.__version__} ({result['blas']})  {'bi' if a.bidirectional else ''}{a.cell}  "
              f"B={B} T={T} I={I} H={H} L={L} threads={a.threads} lengths={a.lengths}")
        print(f"  forward (inference)     median {result['forward_ms']:9.3f} ms  (min {min(fwd_ms):.3f}, "
              f"max {max(fwd_ms):.3f}, {a.reps} reps)")
        print(f"  forward+backward        median {result['forward_backward_ms']:9.3f} ms  (min {min(fb_ms):.3f}, "
              f"max {max(fb_ms):.3f})")
        print(f"  peak RSS {rss_mb:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
