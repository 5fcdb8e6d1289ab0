#!/usr/bin/python3
"""The `birnn train spam` run in PyTorch: same split, same mail text, same tokens and vocabulary, same model
and defaults, to compare held-out accuracy and seconds per epoch on this CPU.

    BIRNN_DATA_DIR=/tmp/birnn-data-cache OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=passive \
        /usr/bin/python3 bench/tasks/spam_pytorch.py [--epochs 6] [--limit N] [--info]

Rules copied from src/tasks/spam_task.cpp and src/data (email.cpp, datasets.cpp, text.cpp, vocab.cpp, batch.cpp;
the reading, tokens and vocabulary are in spam_mail.py):
  - data/<group>/*.txt of the SpamAssassin package, groups and files in byte order; a group starting with
    "spam" is spam, one containing "ham" is ham, others skipped; a mail is held out when
    FNV-1a-64(file name) % 5 == 0; dev = every 20th mail of the training part (i % 20 == 19);
  - a mail's text: one "Name: v" line per header of spam_mail.HEADERS (data::spam_headers(): Subject, From,
    To, Reply-To, Return-Path, X-Mailer, User-Agent, Content-Type, List-Id, Precedence, In-Reply-To,
    X-Priority, X-MSMail-Priority, Delivered-To, Sender, Errors-To; in that order; first header of that name,
    any case, RFC 2047 encoded words decoded; left out when empty), a blank line, then the body: an mbox "From " line skipped, headers
    end at the first empty line, continuation lines joined with one space; text/* parts kept (no type =
    text/plain), multipart/* split on its boundary lines (nested up to 8 levels, preamble and epilogue
    dropped, kept as plain text if the boundary never appears), other parts dropped; quoted-printable and
    base64 decoded; bytes that are not valid UTF-8 read as Latin-1; HTML (text/html, or a part whose first
    4 KB contain "<html" or "<body") reduced to text: tags, comments, <style>/<script> removed, href=/src=
    values kept, seven entities decoded; parts joined with a newline;
  - tokens: ASCII lowercased, maximal runs of ASCII letters/digits/non-ASCII code points, "!?$%" as tokens
    of their own, each token cut to 40 bytes at a code point boundary; only the first 800 tokens of a mail;
    a mail with no token is one <unk>;
  - vocabulary: tokens seen >= 2 times in the training mails (after the 800 cut), by count then byte order,
    at most 30000 entries with <pad>=0 <unk>=1 included;
  - model: Embedding(V, 64, padding_idx 0), BiGRU(hidden 64) over each mail's real steps (the backward
    direction starts at the mail's last token; see BiGRUClassifier), max over the real steps, dropout 0.2,
    Linear(128, 1), sigmoid / BCE-with-logits (mean over the batch); PyTorch's default initialisation;
  - Adam(lr 2e-3), batch 32, gradient norm clipped at 5, 6 epochs, examples shuffled then bucketed (chunks of
    8 batches sorted by length, longest first) and the batches shuffled; the model with the best dev
    accuracy is evaluated on the held-out mails;
  - one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=1), flush-to-zero, and on an
    AVX-512 CPU OPENBLAS_CORETYPE=SkylakeX and ATEN_CPU_CAPABILITY=avx512 unless set (bench/README.md; this
    machine's environment sets OPENBLAS_CORETYPE=Haswell, so pass SkylakeX explicitly).
--info prints the counts `birnn data info spam-assassin` prints (all tokens, no 800 cut) and exits.
Epoch seconds are the training steps plus the dev evaluation (what `birnn train` prints per epoch), as wall
time and as this process's CPU time (steadier on a shared machine).
"""
import argparse
import os
import random
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..")]
from pytorch_rnn_bench import blas_report, cpu_has_avx512f  # noqa: E402
from spam_mail import build_vocab, load_spam_assassin, tokenize  # noqa: E402

# One thread everywhere, and the BLAS/ATen kernels bench/README.md recommends, before torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
if cpu_has_avx512f():
    os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx512")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

torch.set_num_threads(1)
torch.set_flush_denormal(True)  # as birnn

# ---- model (include/birnn/models/bigru_classifier.hpp, pooled head, max pooling) ----


class BiGRUClassifier(nn.Module):
    """Embedding, BiGRU, max over each mail's real steps, dropout, Linear. The backward direction runs as a
    second GRU over each mail's real steps reversed (padding left at the end), which is what a packed
    bidirectional nn.GRU computes; packed=True uses pack_padded_sequence instead (its backward is quadratic
    in the length on CPU in torch 1.13, pytorch/pytorch#149194: a 600-token batch takes minutes)."""

    def __init__(self, vocab, embedding=64, hidden=64, dropout=0.2, packed=False):
        super().__init__()
        self.packed = packed
        self.embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        if packed:
            self.gru = nn.GRU(embedding, hidden, batch_first=True, bidirectional=True)
        else:
            self.gru_fwd = nn.GRU(embedding, hidden, batch_first=True)
            self.gru_bwd = nn.GRU(embedding, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, 1)

    def forward(self, ids, lengths):
        steps = torch.arange(ids.shape[1]).unsqueeze(0)
        real = steps < lengths.unsqueeze(1)  # (B, T)
        if self.packed:
            packed = nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
            h, _ = nn.utils.rnn.pad_packed_sequence(self.gru(packed)[0], batch_first=True)
        else:
            rev = torch.where(real, lengths.unsqueeze(1) - 1 - steps, steps)  # its own inverse
            fwd, _ = self.gru_fwd(self.embedding(ids))
            bwd, _ = self.gru_bwd(self.embedding(ids.gather(1, rev)))
            h = torch.cat([fwd, bwd.gather(1, rev.unsqueeze(2).expand(-1, -1, bwd.shape[2]))], 2)
        h = h.masked_fill(~real.unsqueeze(2), float("-inf"))  # padded steps never win the max
        return self.fc(self.drop(h.max(1).values)).squeeze(1)


def info(train, test):
    """The counts of `birnn data info spam-assassin`: all tokens of the training mails, no 800 cut."""
    toks = [tokenize(t) for t, _ in train]
    counts = Counter(w for t in toks for w in t)
    n = sum(len(t) for t in toks)
    print(f"mails       {len(train)} train, {len(test)} held out")
    for name, y in (("ham", 0.0), ("spam", 1.0)):
        print(f"  {name:<9} {sum(l == y for _, l in train)} train, {sum(l == y for _, l in test)} held out")
    print(f"tokens      {n / len(train):.0f} per train mail on average, longest {max(len(t) for t in toks)} (total {n})")
    print(f"words       {len(build_vocab(counts, 1))} in train ({len(build_vocab(counts, 2))} seen twice or more), "
          "reserved <pad> <unk> included")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--max-length", type=int, default=800)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--packed", action="store_true", help="nn.GRU on pack_padded_sequence (slow backward, see BiGRUClassifier)")
    ap.add_argument("--info", action="store_true", help="print the data counts of `birnn data info spam-assassin` and exit")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    blas = blas_report()
    print(f"spam_pytorch: torch {torch.__version__}, OpenBLAS core {blas.get('openblas_core', 'none')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, 1 thread", file=sys.stderr)
    d = os.path.join(os.environ.get("BIRNN_DATA_DIR", os.path.expanduser("~/.cache/birnn")), "spam-assassin")
    t0 = time.time()
    train_part, test = load_spam_assassin(d)
    if a.info:
        return info(train_part, test)
    if a.limit:
        train_part = train_part[: a.limit]
    dev = [s for i, s in enumerate(train_part) if i % 20 == 19]
    train = [s for i, s in enumerate(train_part) if i % 20 != 19]
    tr_tok = [tokenize(t, a.max_length) for t, _ in train]
    wv = build_vocab(Counter(w for t in tr_tok for w in t), 2, 30000)

    def encode(toks):
        return [wv.get(w, 1) for w in toks] or [1]

    tr = [(encode(t), y) for t, (_, y) in zip(tr_tok, train)]
    dv = [(encode(tokenize(t, a.max_length)), y) for t, y in dev]
    te = [(encode(tokenize(t, a.max_length)), y) for t, y in test]
    model = BiGRUClassifier(len(wv), packed=a.packed)
    n_params = sum(p.numel() for p in model.parameters())
    bs = 32
    print(f"data: {len(tr)} train, {len(dv)} dev, {len(te)} held-out mails, vocabulary {len(wv)} words, {n_params} parameters, "
          f"{(len(tr) + bs - 1) // bs} batches per epoch (read in {time.time() - t0:.1f} s)", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def batch(data):
        T = max(len(x) for x, _ in data)
        ids = torch.zeros(len(data), T, dtype=torch.long)
        for b, (x, _) in enumerate(data):
            ids[b, : len(x)] = torch.tensor(x)
        return ids, torch.tensor([len(x) for x, _ in data]), torch.tensor([y for _, y in data])

    def evaluate(data):
        model.eval()
        tp = fp = tn = fn = 0
        loss = 0.0
        order = sorted(range(len(data)), key=lambda j: -len(data[j][0]))  # little padding; order does not matter
        with torch.no_grad():
            for i in range(0, len(order), 64):
                ids, L, y = batch([data[j] for j in order[i : i + 64]])
                z = model(ids, L)
                loss += float(nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum"))
                said, spam = z >= 0, y > 0.5
                tp += int((said & spam).sum())
                fp += int((said & ~spam).sum())
                tn += int((~said & ~spam).sum())
                fn += int((~said & spam).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        n = tp + fp + tn + fn
        return {"accuracy": (tp + tn) / n, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "loss": loss / n}

    def summary(m):
        return " ".join(f"{k} {v:.4f}" for k, v in m.items())

    best, times, cpu = -1.0, [], []
    for epoch in range(a.epochs):
        model.train()
        idx = list(range(len(tr)))
        random.shuffle(idx)
        plan = []
        for i in range(0, len(idx), 8 * bs):
            chunk = sorted(idx[i : i + 8 * bs], key=lambda j: -len(tr[j][0]))  # stable: ties keep shuffled order
            plan += [chunk[k : k + bs] for k in range(0, len(chunk), bs)]
        random.shuffle(plan)
        w0, c0, tokens, total = time.time(), time.process_time(), 0, 0.0
        for step, p in enumerate(plan):
            ids, L, y = batch([tr[j] for j in p])
            loss = nn.functional.binary_cross_entropy_with_logits(model(ids, L), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            tokens += int(L.sum())
            total += float(loss)
            if (step + 1) % 14 == 0:
                rate = tokens / (time.time() - w0)
                print(f"epoch {epoch + 1} step {step + 1}/{len(plan)} loss {total / (step + 1):.4f} {rate:.0f} tokens/s", flush=True)
        train_secs = time.time() - w0
        m = evaluate(dv)
        times.append(time.time() - w0)
        cpu.append(time.process_time() - c0)
        print(f"epoch {epoch + 1}: train loss {total / len(plan):.4f}, {times[-1]:.1f} s ({cpu[-1]:.1f} s CPU; "
              f"training steps {train_secs:.1f} s, "
              f"{tokens / train_secs:.0f} tokens/s), dev {summary(m)}", flush=True)
        if m["accuracy"] > best:
            best = m["accuracy"]
            torch.save(model.state_dict(), "/tmp/spam_pytorch_best.pt")
    model.load_state_dict(torch.load("/tmp/spam_pytorch_best.pt"))
    print(f"held-out: {summary(evaluate(te))}")
    med = lambda v: sorted(v)[len(v) // 2]
    print(f"seconds per epoch (median): {med(times):.1f} wall, {med(cpu):.1f} CPU; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
