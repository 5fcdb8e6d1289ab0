#!/usr/bin/python3
"""The `birnn train spam` run in PyTorch: same split, same mail text, same tokens and vocabulary, same model
and defaults, to compare held-out accuracy and seconds per epoch on this CPU.

    BIRNN_DATA_DIR=/tmp/birnn-data-cache OPENBLAS_CORETYPE=SkylakeX OMP_WAIT_POLICY=passive \
        /usr/bin/python3 bench/tasks/spam_pytorch.py [--epochs 6] [--limit N] [--info]

Rules copied from src/tasks/spam_task.cpp and src/data (email.cpp, datasets.cpp, text.cpp, vocab.cpp, batch.cpp):
  - data/<group>/*.txt of the SpamAssassin package, groups and files in byte order; a group starting with
    "spam" is spam, one containing "ham" is ham, others skipped; a mail is held out when
    FNV-1a-64(file name) % 5 == 0; dev = every 20th mail of the training part (i % 20 == 19);
  - a mail's text: "Subject: v" and "From: v" lines (first header of that name, any case, RFC 2047 encoded
    words decoded; left out when empty), a blank line, then the body: an mbox "From " line skipped, headers
    end at the first empty line, continuation lines joined with one space; text/* parts kept (no type =
    text/plain), multipart/* split on its boundary lines (nested up to 8 levels, preamble and epilogue
    dropped, kept as plain text if the boundary never appears), other parts dropped; quoted-printable and
    base64 decoded; bytes that are not valid UTF-8 read as Latin-1; HTML (text/html, or a part whose first
    4 KB contain "<html" or "<body") reduced to text: tags, comments, <style>/<script> removed, href=/src=
    values kept, seven entities decoded; parts joined with a newline;
  - tokens: ASCII lowercased, maximal runs of ASCII letters/digits/non-ASCII code points, "!?$%" as tokens
    of their own, each token cut to 40 bytes at a code point boundary; only the first 600 tokens of a mail;
    a mail with no token is one <unk>;
  - vocabulary: tokens seen >= 2 times in the training mails (after the 600 cut), by count then byte order,
    at most 30000 entries with <pad>=0 <unk>=1 included;
  - model: Embedding(V, 64, padding_idx 0), BiGRU(hidden 64) over each mail's real steps (packed), max over
    the real steps, dropout 0.2, Linear(128, 1), sigmoid / BCE-with-logits (mean over the batch);
  - Adam(lr 2e-3), batch 32, gradient norm clipped at 5, 6 epochs, examples shuffled then bucketed (chunks of
    8 batches sorted by length, longest first) and the batches shuffled; the model with the best dev
    accuracy is evaluated on the held-out mails; torch.set_num_threads(1).
--info prints the counts `birnn data info spam-assassin` prints (all tokens, no 600 cut) and exits.
Epoch seconds are the training steps plus the dev evaluation (what `birnn train` prints per epoch), as wall
time and as this process's CPU time (steadier on a shared machine).
"""
import argparse
import codecs
import os
import random
import re
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pytorch_rnn_bench import blas_report, cpu_has_avx512f  # noqa: E402

# One thread everywhere, and the BLAS/ATen kernels bench/README.md recommends, before torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
if cpu_has_avx512f():
    os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx512")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

torch.set_num_threads(1)
torch.set_flush_denormal(True)  # as birnn

# ---- MIME reading (src/data/email.cpp) ----

codecs.register_error("birnn_latin1", lambda e: (e.object[e.start : e.end].decode("latin-1"), e.end))


def repair(b):
    """Valid UTF-8 kept, every other byte read as Latin-1 (data::repair_utf8(..., InvalidUtf8::latin1))."""
    return b.decode("utf-8", "birnn_latin1").encode("utf-8")


def decode_qp(s, underscore_is_space):
    out, i, n = bytearray(), 0, len(s)
    hexd = b"0123456789abcdefABCDEF"
    while i < n:
        c = s[i]
        if c == 0x3D and i + 1 < n and s[i + 1] in (0x0A, 0x0D):  # soft line break
            i += 1
            if s[i] == 0x0D and i + 1 < n and s[i + 1] == 0x0A:
                i += 1
        elif c == 0x3D and i + 2 < n and s[i + 1] in hexd and s[i + 2] in hexd:
            out.append(int(s[i + 1 : i + 3], 16))
            i += 2
        else:
            out.append(0x20 if underscore_is_space and c == 0x5F else c)
        i += 1
    return bytes(out)


B64 = {c: v for v, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def decode_base64(s):  # skips characters outside the alphabet, stops at '='
    out, acc, bits = bytearray(), 0, 0
    for c in s:
        if c == 0x3D:
            break
        v = B64.get(c)
        if v is None:
            continue
        acc = ((acc << 6) | v) & 0xFFFFFFFF
        bits += 6
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def decode_encoded_words(s):  # RFC 2047 =?charset?Q?text?= and =?charset?B?text?=
    out, i, n = bytearray(), 0, len(s)
    while i < n:
        start = s.find(b"=?", i)
        if start < 0:
            break
        q1 = s.find(b"?", start + 2)
        q2 = -1 if q1 < 0 else s.find(b"?", q1 + 1)
        end = -1 if q2 < 0 else s.find(b"?=", q2 + 1)
        if end < 0 or q2 != q1 + 2:
            out += s[i : start + 2]
            i = start + 2
            continue
        out += s[i:start]
        enc, payload = s[q1 + 1 : q1 + 2].upper(), s[q2 + 1 : end]
        out += decode_qp(payload, True) if enc == b"Q" else decode_base64(payload) if enc == b"B" else s[start : end + 2]
        i = end + 2
    out += s[min(i, n) :]
    return bytes(out)


def header_param(value, name):  # e.g. boundary="abc" from a Content-Type value
    low, name, pos = value.lower(), name.lower(), 0
    while True:
        pos = low.find(name, pos)
        if pos < 0:
            return b""
        word_start = pos == 0 or low[pos - 1 : pos] in (b";", b" ", b"\t")
        k = pos + len(name)
        while k < len(low) and low[k] in b" \t":
            k += 1
        if not word_start or k >= len(low) or low[k] != 0x3D:
            pos += 1
            continue
        k += 1
        while k < len(value) and value[k] in b" \t":
            k += 1
        if k < len(value) and value[k] == 0x22:
            e = value.find(b'"', k + 1)
            return value[k + 1 :] if e < 0 else value[k + 1 : e]
        e = k
        while e < len(value) and value[e] not in b"; \t\r":
            e += 1
        return value[k:e]


def find_header(headers, name):
    name = name.lower()
    for k, v in headers:
        if k.lower() == name:
            return v
    return b""


def lines(s):
    """(line without '\\n' and one trailing '\\r', offset of the next line) for each line of s."""
    pos, n = 0, len(s)
    while pos < n:
        nl = s.find(b"\n", pos)
        if nl < 0:
            nl = n
        line = s[pos:nl]
        yield (line[:-1] if line.endswith(b"\r") else line), pos, nl
        pos = nl + 1


def split_part(raw, skip_mbox):
    headers, start = [], 0
    if skip_mbox and raw.startswith(b"From "):
        nl = raw.find(b"\n")
        start = len(raw) if nl < 0 else nl + 1
    for line, _, nl in lines(raw[start:]):
        if not line:
            return headers, raw[start + nl + 1 :]
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1][1] += b" " + line.lstrip(b" \t")
            continue
        colon = line.find(b":")
        if colon <= 0:
            continue  # not a header line: ignored
        headers.append([line[:colon], line[colon + 1 :].lstrip(b" \t")])
    return headers, b""  # no blank line: all headers, empty body


ENTITIES = [(b"&nbsp;", b" "), (b"&amp;", b"&"), (b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"), (b"&#39;", b"'")]
SPECIAL = re.compile(rb"[<&]")
ATTR_END = re.compile(rb"[ \t\n>]")


def strip_html(s):
    out, low, i, n = bytearray(), s.lower(), 0, len(s)
    while i < n:
        m = SPECIAL.search(s, i)
        if not m:
            out += s[i:]
            break
        out += s[i : m.start()]
        i = m.start()
        if s[i] == 0x26:  # '&'
            for name, rep in ENTITIES:
                if low.startswith(name, i):
                    out += rep
                    i += len(name)
                    break
            else:
                out.append(0x26)
                i += 1
            continue
        if low.startswith(b"<!--", i):
            end = low.find(b"-->", i + 4)
            end = n if end < 0 else end + 3
        elif low.startswith(b"<style", i) or low.startswith(b"<script", i):
            end = low.find(b"</style" if low.startswith(b"<style", i) else b"</script", i + 1)
            end = n if end < 0 else low.find(b">", end)
            end = n if end < 0 else end + 1
        else:
            end = low.find(b">", i + 1)
            end = n if end < 0 else end + 1
            tag = low[i:end]
            for attr in (b"href=", b"src="):  # keep where links and images point
                a = tag.find(attr)
                if a < 0 or (a > 0 and tag[a - 1] not in b" \t\n"):
                    continue
                v = i + a + len(attr)
                if v < end and s[v] in b"\"'":
                    e = s.find(s[v : v + 1], v + 1)
                    v += 1
                else:
                    m2 = ATTR_END.search(s, v)
                    e = m2.start() if m2 else -1
                e = min(end if e < 0 else e, end)
                if e > v:
                    out += b" " + s[v:e]
        out.append(0x20)
        i = end
    return bytes(out)


def looks_like_html(s):
    low = s[:4096].lower()
    return b"<html" in low or b"<body" in low


def collect_text(raw, top, depth, out):
    headers, body = split_part(raw, top)
    ctype = find_header(headers, b"Content-Type")
    semi = ctype.find(b";")
    typ = (ctype if semi < 0 else ctype[:semi]).lower().replace(b" ", b"").replace(b"\t", b"") or b"text/plain"
    if typ.startswith(b"multipart/") and depth < 8:
        boundary = header_param(ctype, b"boundary")
        if boundary:
            delim, parts, part_start, found = b"--" + boundary, [], None, False
            for line, pos, nl in lines(body):
                if line.startswith(delim):
                    found = True
                    if part_start is not None:
                        parts.append(body[part_start:pos])
                    closing = line[len(delim) :].startswith(b"--")
                    part_start = None if closing else nl + 1
                    if closing:
                        break
            if part_start is not None and part_start < len(body):
                parts.append(body[part_start:])
            if found:
                for p in parts:
                    collect_text(p, False, depth + 1, out)
                return headers
        typ = b"text/plain"  # no usable boundary: read the body as text
    if not typ.startswith(b"text/"):
        return headers  # attachments, images: dropped
    cte = find_header(headers, b"Content-Transfer-Encoding").lower()
    data = decode_qp(body, False) if b"quoted-printable" in cte else decode_base64(body) if b"base64" in cte else body
    text = repair(data)
    if typ == b"text/html" or looks_like_html(text):
        text = strip_html(text)
    if out and out[-1] != 0x0A:
        out.append(0x0A)
    out += text
    return headers


def email_text(raw):
    body = bytearray()
    headers = [(repair(k), repair(decode_encoded_words(v))) for k, v in collect_text(raw, True, 0, body)]
    t = b""
    for name in (b"Subject", b"From"):
        v = find_header(headers, name)
        if v:
            t += name + b": " + v + b"\n"
    return t + b"\n" + bytes(body)


def fnv1a64(s):
    h = 14695981039346656037
    for c in s:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def load_spam_assassin(d):
    data = os.path.join(d, "data")
    train, test = [], []
    for g in sorted((g for g in os.listdir(data) if os.path.isdir(os.path.join(data, g))), key=str.encode):
        spam = g.startswith("spam")
        if not spam and "ham" not in g:
            continue
        files = [f for f in os.listdir(os.path.join(data, g)) if f.endswith(".txt") and len(f) > 4]  # ".txt" alone has no extension
        for f in sorted((f for f in files if os.path.isfile(os.path.join(data, g, f))), key=str.encode):
            with open(os.path.join(data, g, f), "rb") as fh:
                text = email_text(fh.read())
            (test if fnv1a64(f.encode()) % 5 == 0 else train).append((text, 1.0 if spam else 0.0))
    return train, test


# ---- tokens and vocabulary (src/data/text.cpp, vocab.cpp) ----

TOKEN = re.compile(rb"[a-z0-9\x80-\xff]+|[!?$%]")


def tokenize(text, max_tokens=0):
    out = []
    for t in TOKEN.findall(text.lower()):
        if len(t) > 40:  # cut at a code point boundary
            cut = 40
            while cut > 0 and (t[cut] & 0xC0) == 0x80:
                cut -= 1
            t = t[: cut or 40]
        out.append(t)
        if max_tokens and len(out) == max_tokens:
            break
    return out


def build_vocab(counter, min_count, max_size=0):
    items = sorted(((w, c) for w, c in counter.items() if c >= min_count), key=lambda x: (-x[1], x[0]))
    words = [b"<pad>", b"<unk>"] + [w for w, _ in items]
    return {w: i for i, w in enumerate(words[:max_size] if max_size else words)}


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
    """The counts of `birnn data info spam-assassin`: all tokens of the training mails, no 600 cut."""
    toks = [tokenize(t) for t, _ in train]
    counts = Counter(w for t in toks for w in t)
    n = sum(len(t) for t in toks)
    print(f"mails       {len(train)} train, {len(test)} held out")
    for name, y in (("ham", 0.0), ("spam", 1.0)):
        print(f"  {name:<9} {sum(l == y for _, l in train)} train, {sum(l == y for _, l in test)} held out")
    print(f"tokens      {n / len(train):.0f} per train mail on average, longest {max(len(t) for t in toks)} (total {n})")
    print(f"words       {len(build_vocab(counts, 1))} in train ({len(build_vocab(counts, 2))} seen twice or more), reserved <pad> <unk> included")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--max-length", type=int, default=600)
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
                print(f"epoch {epoch + 1} step {step + 1}/{len(plan)} loss {total / (step + 1):.4f} {tokens / (time.time() - w0):.0f} tokens/s", flush=True)
        train_secs = time.time() - w0
        m = evaluate(dv)
        times.append(time.time() - w0)
        cpu.append(time.process_time() - c0)
        print(f"epoch {epoch + 1}: train loss {total / len(plan):.4f}, {times[-1]:.1f} s ({cpu[-1]:.1f} s CPU; training steps {train_secs:.1f} s, "
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
