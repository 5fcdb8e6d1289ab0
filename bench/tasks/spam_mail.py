"""birnn's SpamAssassin reading in Python: the same text for every mail, the same tokens and vocabulary, so
that bench/tasks/spam_pytorch.py trains on exactly what `birnn train spam` trains on.

Ported from src/data/email.cpp (MIME), src/data/datasets.cpp (files, split), src/data/text.cpp (UTF-8 repair,
tokenizer) and src/data/vocab.cpp; the rules are listed in spam_pytorch.py. Everything works on bytes, as the
C++ does. Checked against the C++ on all 6,046 mails: byte-identical texts and token sequences.
"""
import codecs
import os
import re

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


ENTITIES = [(b"&nbsp;", b" "), (b"&amp;", b"&"), (b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"),
            (b"&#39;", b"'")]
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


# data::spam_headers(): the header lines a mail's text starts with, in this order.
HEADERS = (b"Subject", b"From", b"To", b"Reply-To", b"Return-Path", b"X-Mailer", b"User-Agent", b"Content-Type", b"List-Id",
           b"Precedence", b"In-Reply-To", b"X-Priority", b"X-MSMail-Priority", b"Delivered-To", b"Sender", b"Errors-To")


def email_text(raw, headers_read=HEADERS):
    """The text birnn classifies: one "Name: value" line per header of HEADERS present, a blank line, the body
    (data::email_text)."""
    body = bytearray()
    headers = [(repair(k), repair(decode_encoded_words(v))) for k, v in collect_text(raw, True, 0, body)]
    t = b""
    for name in headers_read:
        v = find_header(headers, name)
        if v:
            t += name + b": " + v + b"\n"
    return t + b"\n" + bytes(body)


def fnv1a64(s):
    """FNV-1a 64-bit of bytes s (data::fnv1a64)."""
    h = 14695981039346656037
    for c in s:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def load_spam_assassin(d, headers_read=HEADERS):
    """(train, test) lists of (text bytes, 1.0 spam / 0.0 ham), in birnn's order (data::load_spam_assassin)."""
    data = os.path.join(d, "data")
    train, test = [], []
    for g in sorted((g for g in os.listdir(data) if os.path.isdir(os.path.join(data, g))), key=str.encode):
        spam = g.startswith("spam")
        if not spam and "ham" not in g:
            continue
        files = [f for f in os.listdir(os.path.join(data, g)) if f.endswith(".txt") and len(f) > 4]  # ".txt" alone has no extension
        for f in sorted((f for f in files if os.path.isfile(os.path.join(data, g, f))), key=str.encode):
            with open(os.path.join(data, g, f), "rb") as fh:
                text = email_text(fh.read(), headers_read)
            (test if fnv1a64(f.encode()) % 5 == 0 else train).append((text, 1.0 if spam else 0.0))
    return train, test


# ---- tokens and vocabulary (src/data/text.cpp, vocab.cpp) ----

TOKEN = re.compile(rb"[a-z0-9\x80-\xff]+|[!?$%]")


def tokenize(text, max_tokens=0):
    """data::Tokenizer on bytes (valid UTF-8, so a byte >= 0x80 is part of a non-ASCII code point); the first
    max_tokens tokens when > 0."""
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
    """{token: id}: <pad> 0, <unk> 1, then tokens seen >= min_count times by count, ties in byte order; at
    most max_size entries in all (0 = no limit), as data::Vocabulary::from_counts."""
    items = sorted(((w, c) for w, c in counter.items() if c >= min_count), key=lambda x: (-x[1], x[0]))
    words = [b"<pad>", b"<unk>"] + [w for w, _ in items]
    return {w: i for i, w in enumerate(words[:max_size] if max_size else words)}
