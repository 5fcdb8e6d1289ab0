#!/usr/bin/python3
"""Single-thread sgemm of the system BLAS (what numpy and PyTorch load: OpenBLAS with libopenblas0-pthread)
at the shapes the recurrent layers use, in GFLOP/s: the other side of the GEMM-backend choice, next to
oneDNN's figures from `build/bench/birnn_micro_bench --benchmark_filter=Gemm`.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/blas_sgemm.py [--reps 20] [--coretype SkylakeX]

--coretype sets OPENBLAS_CORETYPE for a re-exec of this script (OpenBLAS reads it when it loads). Shapes
(M x N x K, C = A B, row-major float32), as in bench/micro/gemm_bench.cpp: square 1024^3 (the peak), the
LSTM step at B=64 (64 x 1024 x 256), the input projection (6400 x 1024 x 256), the B=1 step
(1 x 1024 x 256) and the backward dh (64 x 256 x 1024). Each figure is the median of --reps timed calls
after 3 untimed ones; numpy's call overhead (~1 us) is inside, which matters only for the B=1 shape.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_rnn_bench import blas_report  # noqa: E402  (does not import torch)

SHAPES = [("peak_square", 1024, 1024, 1024), ("lstm_step_B64", 64, 1024, 256),
          ("input_projection", 6400, 1024, 256), ("lstm_step_B1", 1, 1024, 256), ("bwd_dh_B64", 64, 256, 1024)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--coretype", default=None, help="OPENBLAS_CORETYPE for this run (re-executes the script)")
    a = ap.parse_args()
    if a.reps < 1:
        sys.exit("blas_sgemm.py: --reps must be at least 1")
    if a.coretype and os.environ.get("OPENBLAS_CORETYPE") != a.coretype:
        env = dict(os.environ, OPENBLAS_CORETYPE=a.coretype)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads OpenBLAS
    import numpy as np

    blas = blas_report()  # numpy has loaded the system BLAS by now
    core = "OpenBLAS " + blas["openblas_core"] if blas["openblas"] else "not OpenBLAS"
    print(f"BLAS: {core} ({', '.join(blas['libraries'])}), OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    rng = np.random.default_rng(1)
    print("| shape (M x N x K) | GF/s |\n|---|---|")
    for name, M, N, K in SHAPES:
        A = rng.uniform(-1, 1, (M, K)).astype(np.float32)
        B = rng.uniform(-1, 1, (K, N)).astype(np.float32)
        C = np.empty((M, N), np.float32)
        reps = a.reps * (200 if M == 1 else 1)  # the B=1 product takes microseconds: time more of them
        times = []
        for i in range(3 + reps):
            t0 = time.perf_counter()
            np.matmul(A, B, out=C)
            if i >= 3:
                times.append(time.perf_counter() - t0)
        print(f"| {name} {M}x{N}x{K} | {2.0 * M * N * K / statistics.median(times) / 1e9:.1f} |")


if __name__ == "__main__":
    main()
