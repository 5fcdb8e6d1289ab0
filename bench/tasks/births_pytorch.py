#!/usr/bin/python3
"""The births task in PyTorch: the same data, split, windows, level scaling, features, model and budget as
`birnn train births` (src/tasks/births_task.cpp documents them), for the side-by-side numbers of issue 5.

  BIRNN_DATA_DIR=/tmp/birnn-data-cache /usr/bin/python3 bench/tasks/births_pytorch.py [--epochs 30] [--threads 1]

Reads $BIRNN_DATA_DIR/us-births/data/data.csv (fetch it with `birnn data fetch us-births`). Train = windows
whose 56 + 28 days lie in 1969-1986, dev = every 20th of them, test = windows whose 28 target days lie in
1987-1988 (inputs may reach back into 1986). Each window's values and targets are divided by the mean of
its 56 inputs; then z-normalised with constants from the training windows. 2-layer LSTM(64) batch_first ->
h_n of the last layer -> Linear(64, 28); MSE on the normalised scale; Adam lr 1e-3, batch 64, clip 5.
Prints per epoch: dev MAPE and seconds; at the end the test metrics of the best-dev epoch.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # else OpenBLAS's own threads fight torch.set_num_threads (8x slower here)
import argparse, csv, datetime, math, time

import numpy as np
import torch

W, H = 56, 28


def calendar(d):
    f = np.zeros(21, dtype=np.float64)
    f[d.weekday()] = 1
    f[7 + d.month - 1] = 1
    n = 366 if (d.year % 4 == 0 and d.year % 100 != 0) or d.year % 400 == 0 else 365
    a = 2 * math.pi * (d.timetuple().tm_yday - 1) / n
    f[19], f[20] = math.sin(a), math.cos(a)
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    path = os.path.join(os.environ.get("BIRNN_DATA_DIR", os.path.expanduser("~/.cache/birnn")), "us-births", "data", "data.csv")
    rows = list(csv.DictReader(open(path)))
    dates = [datetime.date(int(r["year"]), int(r["month"]), int(r["date_of_month"])) for r in rows]
    values = np.array([float(r["births"]) for r in rows])
    feats = np.stack([calendar(d) for d in dates])
    last_year = dates[-1].year
    n_train = sum(1 for d in dates if d.year <= last_year - 2)
    n = len(values)
    train, dev, test, count = [], [], [], 0
    for s in range(0, n - W - H + 1):
        if s + W + H <= n_train:
            count += 1
            (dev if count % 20 == 0 else train).append(s)
        elif s + W >= n_train:
            test.append(s)

    def windows(starts):
        x = np.stack([values[s:s + W] for s in starts])
        lv = x.mean(axis=1, keepdims=True)
        y = np.stack([values[s + W:s + W + H] for s in starts])
        f = np.stack([feats[s:s + W] for s in starts])
        return x / lv, f, y / lv, lv

    # normalisation: every W-th training window (non-overlapping), as the C++ task
    fit = train[::W]
    xs, fs, _, _ = windows(fit)
    t_mean, t_std = xs.mean(), xs.std()
    f_mean, f_std = fs.reshape(-1, 21).mean(axis=0), fs.reshape(-1, 21).std(axis=0)
    f_std[f_std == 0] = 1

    def tensors(starts):
        x, f, y, lv = windows(starts)
        inp = np.concatenate([((x - t_mean) / t_std)[..., None], (f - f_mean) / f_std], axis=2)
        return (torch.tensor(inp, dtype=torch.float32), torch.tensor((y - t_mean) / t_std, dtype=torch.float32),
                y * lv, lv)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(22, 64, num_layers=2, batch_first=True)
            self.fc = torch.nn.Linear(64, H)

        def forward(self, x):
            _, (h, _) = self.rnn(x)
            return self.fc(h[-1])

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xtr, Ytr, _, _ = tensors(train)

    def evaluate(starts):
        X, Y, y_true, lv = tensors(starts)
        model.eval()
        with torch.no_grad():
            p = model(X).numpy() * t_std + t_mean
        model.train()
        pred = p * lv
        naive = np.concatenate([((X[:, W - 7:, 0].numpy() * t_std + t_mean) * lv)] * 4, axis=1)
        mape = 100 * np.mean(np.abs(pred - y_true) / np.abs(y_true))
        nmape = 100 * np.mean(np.abs(naive - y_true) / np.abs(y_true))
        return dict(mape=mape, naive_mape=nmape, improvement_pct=100 * (1 - mape / nmape),
                    mae=np.mean(np.abs(pred - y_true)), rmse=math.sqrt(np.mean((pred - y_true) ** 2)))

    best, best_state, times = None, None, []
    for epoch in range(args.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(len(train))
        for a in range(0, len(train), 64):
            idx = perm[a:a + 64]
            loss = torch.nn.functional.mse_loss(model(Xtr[idx]), Ytr[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        times.append(time.perf_counter() - t0)
        d = evaluate(dev)
        if best is None or d["mape"] < best:
            best, best_state = d["mape"], {k: v.clone() for k, v in model.state_dict().items()}
        # [...] = training + dev evaluation, as birnn's epoch lines (and bench/tasks/birnn_epoch_cpu.py) count it
        print(f"epoch {epoch + 1} {times[-1]:.2f}s dev mape {d['mape']:.4f} naive {d['naive_mape']:.4f}"
              f"  [epoch {time.perf_counter() - t0:.2f} s wall, {time.process_time() - c0:.2f} s CPU]", flush=True)
    model.load_state_dict(best_state)
    t = evaluate(test)
    print("test " + " ".join(f"{k} {v:.4f}" for k, v in t.items()))
    print(f"seconds per epoch (median): {sorted(times)[len(times) // 2]:.2f}")


if __name__ == "__main__":
    main()
