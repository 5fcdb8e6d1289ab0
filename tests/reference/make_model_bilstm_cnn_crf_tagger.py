#!/usr/bin/python3
"""PyTorch oracle fixtures for birnn's BiLSTMCNNCRFTagger (include/birnn/models/bilstm_cnn_crf_tagger.hpp).

Run from the repository root with Debian's python3-torch:

    /usr/bin/python3 tests/reference/make_model_bilstm_cnn_crf_tagger.py

The same model in PyTorch (attribute names = birnn's parameter prefixes): word_embedding, char_embedding,
char_conv, lstm (or gru / rnn, per the config's "cell"), fc, crf. pytorch-crf is not in Debian, so the CRF (forward algorithm for log Z, gold
score, Viterbi) is written here in plain torch, log-space and masked, with pytorch-crf's parameter names.
The character CNN is written the plain way (Conv1d over every word of the batch, activation, masked max)
so it also checks birnn's reformulation (one GEMM over the real words, activation after the max).

Each configuration writes tests/reference/model_fixtures/bilstm_cnn_crf_tagger_<config>.safetensors with
  metadata "config": the options as JSON (BiLSTMCNNCRFTaggerOptions::from_json reads it)
  the state_dict (float64 holding float32-exact values from torch's init, drawn in float32)
  words (B, T), chars (B, T, C), lengths (B), char_lengths (B, T) if given, tags (B, T): int64
  emissions (B, T, K), loss (), grad.<param> for every parameter: float64, computed in float64 in eval mode
  paths (B, T) int64: the decoded tags, -1 after each sentence's end
Stale files with this prefix are deleted; every file is re-read and checked (model_fixture_util.write_checked).
"""

import json
import os
import sys
import zlib

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from model_fixture_util import total_bytes, write_fixture_files  # noqa: E402

OUT_DIR = os.path.join(HERE, "model_fixtures")
PREFIX = "bilstm_cnn_crf_tagger_"

torch.set_num_threads(1)


class CRF(nn.Module):
    """Linear-chain CRF with pytorch-crf's parameters; forbidden transitions/start/end are -inf."""

    def __init__(self, num_tags, forbidden=(), forbid_start=(), forbid_end=()):
        super().__init__()
        self.start_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))
        K = num_tags
        self.mask_tr = torch.zeros(K, K, dtype=torch.bool)
        for i, j in forbidden:
            self.mask_tr[i, j] = True
        self.mask_start = torch.zeros(K, dtype=torch.bool)
        self.mask_start[list(forbid_start)] = True
        self.mask_end = torch.zeros(K, dtype=torch.bool)
        self.mask_end[list(forbid_end)] = True

    def effective(self):
        ninf = float("-inf")
        return (self.start_transitions.masked_fill(self.mask_start, ninf),
                self.end_transitions.masked_fill(self.mask_end, ninf),
                self.transitions.masked_fill(self.mask_tr, ninf))

    def nll(self, em, tags, lengths):
        """em (B, T, K), tags (B, T), lengths (B) -> per-sentence NLL (B)."""
        B, T, K = em.shape
        start, end, trans = self.effective()
        mask = torch.arange(T)[None, :] < lengths[:, None]
        ar = torch.arange(B)
        score = start[tags[:, 0]] + em[ar, 0, tags[:, 0]]
        alpha = start[None, :] + em[:, 0]
        for t in range(1, T):
            m = mask[:, t]
            step = trans[tags[:, t - 1], tags[:, t]] + em[ar, t, tags[:, t]]
            score = score + torch.where(m, step, torch.zeros_like(step))
            nxt = torch.logsumexp(alpha[:, :, None] + trans[None] + em[:, t, None, :], dim=1)
            alpha = torch.where(m[:, None], nxt, alpha)
        last = tags[ar, lengths - 1]
        score = score + end[last]
        log_z = torch.logsumexp(alpha + end[None, :], dim=1)
        return log_z - score

    def decode(self, em, lengths):
        start, end, trans = self.effective()
        paths = []
        for b in range(em.shape[0]):
            L = int(lengths[b])
            score = start + em[b, 0]
            history = []
            for t in range(1, L):
                s = score[:, None] + trans + em[b, t][None, :]
                score, idx = s.max(dim=0)
                history.append(idx)
            score = score + end
            best = [int(score.argmax())]
            for idx in reversed(history):
                best.append(int(idx[best[-1]]))
            paths.append(best[::-1])
        return paths


class Tagger(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.word_embedding = nn.Embedding(c["word_vocab"], c["word_dim"], padding_idx=0)
        inp = c["word_dim"]
        if c["use_char_cnn"]:
            self.char_embedding = nn.Embedding(c["char_vocab"], c["char_dim"], padding_idx=0)
            self.char_conv = nn.Conv1d(c["char_dim"], c["char_filters"], c["char_kernel"], padding=c["char_kernel"] // 2)
            inp += c["char_filters"]
        # The recurrent layer is named after the cell (lstm, gru, rnn), as birnn's submodule; configs made
        # before the cell/bidirectional options lack those fields (and are a BiLSTM).
        self.cell = c.get("cell", "lstm")
        bi = c.get("bidirectional", True)
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[self.cell]
        setattr(self, self.cell, layer(inp, c["hidden"], num_layers=c["num_layers"], bidirectional=bi, batch_first=True,
                                       dropout=c["dropout"] if c["num_layers"] > 1 else 0.0))
        self.fc = nn.Linear((2 if bi else 1) * c["hidden"], c["num_tags"])
        if c["use_crf"]:
            self.crf = CRF(c["num_tags"], c["crf_forbidden_transitions"], c["crf_forbidden_start"], c["crf_forbidden_end"])
        self.drop = nn.Dropout(c["dropout"])

    def char_features(self, chars, char_lengths):
        B, T, C = chars.shape
        e = self.char_embedding(chars.reshape(B * T, C))          # (BT, C, Dc)
        z = self.char_conv(e.transpose(1, 2))                       # (BT, F, C)
        act = self.c["char_activation"]
        if act == "tanh":
            z = torch.tanh(z)
        elif act == "relu":
            z = torch.relu(z)
        valid = torch.arange(C)[None, :] < char_lengths.reshape(-1, 1).clamp(min=1)
        z = z.masked_fill(~valid[:, None, :], float("-inf"))
        return z.max(dim=2).values.reshape(B, T, -1)

    def emissions(self, words, chars, lengths, char_lengths):
        B, T = words.shape
        x = self.word_embedding(words)
        if self.c["use_char_cnn"]:
            x = torch.cat([x, self.char_features(chars, char_lengths)], dim=2)
        x = self.drop(x)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = getattr(self, self.cell)(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        return self.fc(self.drop(h))

    def loss(self, em, tags, lengths):
        red = self.c["loss_reduction"]
        if self.c["use_crf"]:
            per = self.crf.nll(em, tags, lengths)
        else:
            B, T, K = em.shape
            ce = nn.functional.cross_entropy(em.reshape(B * T, K), tags.reshape(-1), reduction="none").reshape(B, T)
            mask = torch.arange(T)[None, :] < lengths[:, None]
            per = (ce * mask).sum(dim=1)
        if red == "sum":
            return per.sum()
        if red == "mean":
            return per.sum() / per.shape[0]
        return per.sum() / lengths.sum()

    def decode(self, em, lengths):
        if self.c["use_crf"]:
            return self.crf.decode(em, lengths)
        return [em[b, :int(lengths[b])].argmax(dim=1).tolist() for b in range(em.shape[0])]


BIO = ["O", "B-X", "I-X", "B-Y", "I-Y"]


def bio_constraints():
    forbidden, start = [], []
    for j, nj in enumerate(BIO):
        if nj.startswith("I-"):
            start.append(j)
            for i, ni in enumerate(BIO):
                if not (ni != "O" and ni[2:] == nj[2:]):
                    forbidden.append([i, j])
    return forbidden, start


def configs():
    base = dict(word_vocab=13, char_vocab=11, num_tags=5, word_dim=6, char_dim=4, char_filters=5, char_kernel=3,
                char_activation="tanh", hidden=5, num_layers=1, dropout=0.5, use_char_cnn=True, use_crf=True,
                loss_reduction="token_mean", freeze_word_embedding=False, crf_forbidden_transitions=[],
                crf_forbidden_start=[], crf_forbidden_end=[])
    forbidden, start = bio_constraints()
    return [
        ("crf_cnn", dict(base), dict(B=3, T=6, C=7, lengths=[6, 3, 1], explicit_char_lengths=False)),
        ("crf_cnn_l2_relu_k5_charlen", dict(base, num_layers=2, char_activation="relu", char_kernel=5, loss_reduction="mean",
                                            crf_forbidden_end=[2]),
         dict(B=4, T=5, C=6, lengths=[2, 5, 4, 1], explicit_char_lengths=True)),
        ("crf_words_bio", dict(base, use_char_cnn=False, crf_forbidden_transitions=forbidden, crf_forbidden_start=start),
         dict(B=3, T=7, C=0, lengths=[7, 4, 2], explicit_char_lengths=False)),
        ("softmax_cnn", dict(base, use_crf=False, char_activation="none"),
         dict(B=3, T=5, C=6, lengths=[3, 5, 2], explicit_char_lengths=False)),
        ("softmax_words_sum", dict(base, use_crf=False, use_char_cnn=False, loss_reduction="sum", num_layers=2),
         dict(B=2, T=6, C=0, lengths=[4, 6], explicit_char_lengths=False)),
        # The other recurrent layers (birnn compare pos): a one-directional 2-layer GRU, a BiRNN (tanh).
        ("gru_uni_l2_crf_cnn", dict(base, cell="gru", bidirectional=False, num_layers=2),
         dict(B=3, T=6, C=5, lengths=[4, 6, 2], explicit_char_lengths=False)),
        ("rnn_bi_crf_cnn", dict(base, cell="rnn", bidirectional=True),
         dict(B=3, T=5, C=5, lengths=[5, 2, 3], explicit_char_lengths=False)),
    ]


def allowed_tags(c, gen, B, T):
    """Random gold tags that obey the CRF constraints (rejection sampling per step)."""
    K = c["num_tags"]
    bad = {tuple(p) for p in c["crf_forbidden_transitions"]}
    tags = torch.zeros(B, T, dtype=torch.int64)
    for b in range(B):
        for t in range(T):
            while True:
                k = int(torch.randint(0, K, (1,), generator=gen))
                if t == 0 and k in c["crf_forbidden_start"]:
                    continue
                if t > 0 and (int(tags[b, t - 1]), k) in bad:
                    continue
                if t == T - 1 and k in c["crf_forbidden_end"]:
                    continue
                break
            tags[b, t] = k
    return tags


def generate(name, c, shape):
    seed = zlib.crc32(name.encode())
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = Tagger(c)  # float32 init, as birnn
    model = model.double().eval()
    B, T, C, lengths = shape["B"], shape["T"], shape["C"], torch.tensor(shape["lengths"], dtype=torch.int64)

    words = torch.randint(1, c["word_vocab"], (B, T), generator=gen)
    for b in range(B):
        words[b, lengths[b]:] = 0
    words[0, 1] = 1  # an unknown word
    tensors = [("words", words)]
    char_lengths = None
    chars = None
    if c["use_char_cnn"]:
        chars = torch.randint(1, c["char_vocab"], (B, T, C), generator=gen)  # padded words hold junk: never read
        char_lengths = torch.randint(1, C + 1, (B, T), generator=gen)
        char_lengths[0, 0] = C
        if len(shape["lengths"]) > 1:
            char_lengths[1, 0] = 1
        for b in range(B):
            for t in range(int(lengths[b])):
                if not shape["explicit_char_lengths"]:
                    chars[b, t, char_lengths[b, t]:] = 0  # lengths derived from the zeros
                # with explicit char_lengths, the characters after a word's length stay as junk: the
                # convolution window reads them, as torch does
        tensors.append(("chars", chars))
    tensors.append(("lengths", lengths))
    if c["use_char_cnn"] and shape["explicit_char_lengths"]:
        tensors.append(("char_lengths", char_lengths))
    tags = allowed_tags(c, gen, B, T)
    for b in range(B):  # the last real tag must also be allowed as an end tag: re-draw the sentence ends
        L = int(lengths[b])
        sub = allowed_tags(c, gen, 1, L)
        tags[b, :L] = sub[0]
    tensors.append(("tags", tags))

    em = model.emissions(words, chars, lengths, char_lengths)
    loss = model.loss(em, tags, lengths)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        paths = model.decode(em, lengths)
    padded = torch.full((B, T), -1, dtype=torch.int64)
    for b, p in enumerate(paths):
        padded[b, :len(p)] = torch.tensor(p, dtype=torch.int64)

    for n, p in model.named_parameters():
        tensors.append((n, p.detach()))
    tensors += [("emissions", em.detach()), ("loss", loss.detach()), ("paths", padded)]
    for n, p in model.named_parameters():
        g = p.grad if p.grad is not None else torch.zeros_like(p)
        tensors.append(("grad." + n, g))
    return tensors, {"config": json.dumps(c), "model": "bilstm_cnn_crf_tagger"}


def main():
    jobs = [(n, lambda n=n, a=a: generate(n, *a)) for n, *a in configs()]
    written = write_fixture_files(OUT_DIR, PREFIX, jobs, max_bytes=200_000)
    total = total_bytes(OUT_DIR, written)
    print("wrote %d fixtures, %d bytes total, into %s" % (len(written), total, OUT_DIR))


if __name__ == "__main__":
    sys.exit(main())
