#!/usr/bin/python3
"""The charlm task in PyTorch: the same text, split, vocabulary, model and truncated BPTT as
`birnn train charlm` (src/tasks/charlm_task.cpp documents them), for the side-by-side numbers of issue 5.

  BIRNN_DATA_DIR=/tmp/birnn-data-cache /usr/bin/python3 bench/tasks/charlm_pytorch.py [--epochs 18] [--threads 1]
      [--batch 32] [--max-length 64] [--dropout 0.3] [--layers 3] [--lr-decay F --lr-decay-after N]   (as `birnn train charlm`'s flags)
      [--max-batches N]   (stop each epoch after N batches: to time an epoch on a slow machine)
      [--checkpoint FILE] (save after every epoch and every --save-every batches (default 100, ~4 min here);
                           an existing FILE is resumed, mid-epoch too: bench/tasks/torch_checkpoint.py)

Chapters n % 10 == 0 held out (test); dev = every 20th training chapter; each part joined with "\n\n".
Vocabulary = <pad>, <unk>, then the training text's characters by count (ties in byte order). The
training text is cut into B streams; batch k holds chunk k (T characters) of every stream; (h, c) carried
between chunks, detached; each epoch drops a random 0..T-1 characters first. Model: Embedding(V, 64,
padding_idx=0) -> 3-layer LSTM(512) (--layers), dropout (0.3) between layers and before fc -> Linear(512, V); Adam
lr 2e-3 (times F each epoch after epoch N), clip 5. Prints per epoch: dev bits/char and seconds; at the end the test bits/char of the best.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # else OpenBLAS's own threads fight torch.set_num_threads (8x slower here)
import argparse, collections, math, random, time

import torch

import torch_checkpoint


def load(root):
    d = os.path.join(root, "moby-dick", "data")
    nums = sorted(int(f[8:-4]) for f in os.listdir(d) if f.startswith("chapter_") and f.endswith(".txt"))
    train, dev, test, count = [], [], [], 0
    for k in nums:
        t = open(os.path.join(d, f"chapter_{k}.txt"), encoding="utf-8").read().replace("\r\n", "\n")
        if t.startswith("CHAPTER "):
            nl = t.find("\n")
            t = t[nl + 1:].lstrip("\r\n") if nl >= 0 else ""
        if k % 10 == 0:
            test.append(t)
        else:
            count += 1
            (dev if count % 20 == 0 else train).append(t)
    return "\n\n".join(train), "\n\n".join(dev), "\n\n".join(test)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=18)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-batches", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--lr-decay", type=float, default=0.5)
    ap.add_argument("--lr-decay-after", type=int, default=15)
    ap.add_argument("--checkpoint", default="")
    ap.add_argument("--save-every", type=int, default=100)
    args = ap.parse_args()
    B, T = args.batch, args.max_length
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    train, dev, test = load(os.environ.get("BIRNN_DATA_DIR", os.path.expanduser("~/.cache/birnn")))
    counts = collections.Counter(train)
    chars = ["<pad>", "<unk>"] + sorted(counts, key=lambda c: (-counts[c], c.encode("utf-8")))
    ids = {c: i for i, c in enumerate(chars)}
    enc = lambda s: torch.tensor([ids.get(c, 1) for c in s], dtype=torch.long)
    tr, dv, te = enc(train), enc(dev), enc(test)
    V = len(chars)

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(V, 64, padding_idx=0)
            self.rnn = torch.nn.LSTM(64, 512, num_layers=args.layers, dropout=args.dropout, batch_first=True)
            self.drop = torch.nn.Dropout(args.dropout)
            self.fc = torch.nn.Linear(512, V)

        def forward(self, x, state=None):
            y, state = self.rnn(self.embedding(x), state)
            return self.fc(self.drop(y)), state

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def streams(x, offset, b, length):
        return torch.stack([x[offset + i * length: offset + i * length + length + 1] for i in range(b)])

    def bpc(x):
        b = max(1, min(32, (len(x) - 1) // 2))
        s = streams(x, 0, b, (len(x) - 1) // b)
        model.eval()
        total, n, state = 0.0, 0, None
        with torch.no_grad():
            for k in range(0, s.shape[1] - 1, T):
                inp, tgt = s[:, k:k + T], s[:, k + 1:k + T + 1]
                inp = inp[:, :tgt.shape[1]]
                logits, state = model(inp, state)
                total += torch.nn.functional.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), reduction="sum").item()
                n += tgt.numel()
        model.train()
        return total / n / math.log(2)

    length = (len(tr) - T) // B
    best, best_state, times, first = None, None, [], 0
    loop = torch_checkpoint.load(args.checkpoint, model, opt)
    if loop:
        best, best_state, times, first = loop["best"], loop["best_state"], loop["times"], loop["epoch"]
    partial = loop.get("partial") if loop else None  # an epoch stopped part-way: where it was
    for epoch in range(first, args.epochs):
        for g in opt.param_groups:  # the same closed form as birnn's lr_at_epoch
            g["lr"] = 2e-3 * args.lr_decay ** max(0, epoch + 1 - args.lr_decay_after)
        offset = partial["offset"] if partial else random.randrange(T)
        s = streams(tr, offset, B, length)
        state, done, wall0, cpu0, loss_sum, summed = None, 0, 0.0, 0.0, 0.0, 0
        if partial:  # the saved generators already stand where the interrupted epoch left them
            state, done, wall0, cpu0 = partial["state"], partial["done"], partial["wall"], partial["cpu"]
            loss_sum, summed = partial.get("loss_sum", 0.0), partial.get("summed", 0)  # older checkpoints: none
            partial = None
        t0, c0 = time.perf_counter() - wall0, time.process_time() - cpu0
        for k in range(done * T, length, T):
            inp, tgt = s[:, k:k + T], s[:, k + 1:k + T + 1]
            inp = inp[:, :tgt.shape[1]]
            logits, state = model(inp, state)
            state = tuple(h.detach() for h in state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            loss_sum, summed, done = loss_sum + loss.item(), summed + 1, done + 1
            if args.max_batches and done >= args.max_batches:
                break
            if args.save_every and done % args.save_every == 0 and k + T < length:
                torch_checkpoint.save(args.checkpoint, model, opt, {
                    "epoch": epoch, "best": best, "best_state": best_state, "times": times,
                    "partial": {"offset": offset, "done": done, "state": state, "loss_sum": loss_sum, "summed": summed,
                                "wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}})
        scale = ((length + T - 1) // T) / done  # 1 unless --max-batches cut the epoch short
        times.append((time.perf_counter() - t0) * scale)
        cpu_train = (time.process_time() - c0) * scale
        d = bpc(dv)
        if best is None or d < best:
            best, best_state = d, {k: v.clone() for k, v in model.state_dict().items()}
        print(f"epoch {epoch + 1} {times[-1]:.1f}s/epoch{' (extrapolated from %d batches)' % done if args.max_batches else ''} "
              f"train loss {loss_sum / summed:.4f} dev bits_per_char {d:.4f}  [epoch {cpu_train:.1f} s CPU training"
              f"{' (extrapolated)' if args.max_batches else ''}]", flush=True)
        torch_checkpoint.save(args.checkpoint, model, opt,
                              {"epoch": epoch + 1, "best": best, "best_state": best_state, "times": times})
    model.load_state_dict(best_state)
    print(f"test bits_per_char {bpc(te):.4f}")
    print(f"seconds per epoch (median): {sorted(times)[len(times) // 2]:.1f}")


if __name__ == "__main__":
    main()
