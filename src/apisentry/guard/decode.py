"""Undo what attackers encode, so detectors see what the application will see.

URL encoding (repeated), `%uXXXX`, overlong UTF-8, HTML entities, JavaScript/JSON escapes, null
bytes and base64 (with or without padding) that decodes to text. A value gives its own spelling
plus every distinct decoded one; most values need none of this and take the fast path.
"""

from __future__ import annotations

import binascii
import contextlib
import html
import re

_PCT_U = re.compile(r"%u([0-9a-fA-F]{4})")
_PCT = re.compile(rb"%([0-9a-fA-F]{2})")
# JS/JSON escapes, and the octal ones of legacy JS, C and `echo -e` (`\\033` is ESC).
_JS = re.compile(r"\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\([nrt'\"/\\])|\\([0-3][0-7]{2})")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"', "/": "/", "\\": "\\"}
_NEEDS = re.compile(r"[%&\\\x00]")
_MAX_ROUNDS = 4
_MAX_LEN = 64 * 1024  # longer values are decoded once, not repeatedly


def _overlong(data: bytes) -> str:
    """UTF-8 decoding that also reads overlong forms (`%c0%af` is `/`): IIS and old parsers
    accepted them, which is why traversal filters must too."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b in (0xC0, 0xC1) and i + 1 < n and 0x80 <= data[i + 1] < 0xC0:
            out.append(chr(((b & 0x1F) << 6) | (data[i + 1] & 0x3F)))
            i += 2
        elif b == 0xE0 and i + 2 < n and 0x80 <= data[i + 1] < 0xA0 and 0x80 <= data[i + 2] < 0xC0:
            out.append(chr(((data[i + 1] & 0x3F) << 6) | (data[i + 2] & 0x3F)))
            i += 3
        else:
            j = i + 1
            while j < n and data[j] >= 0x80 and data[j] not in (0xC0, 0xC1, 0xE0):
                j += 1
            out.append(data[i:j].decode("utf-8", "replace"))
            i = j
    return "".join(out)


def url_decode(s: str) -> str:
    if "%" not in s:
        return s
    s = _PCT_U.sub(lambda m: chr(int(m.group(1), 16)), s)
    raw = _PCT.sub(lambda m: bytes([int(m.group(1), 16)]), s.encode("utf-8", "surrogatepass"))
    return _overlong(raw)


def js_decode(s: str) -> str:
    if "\\" not in s:
        return s

    def one(m: re.Match[str]) -> str:
        if m.group(4):
            return _SIMPLE_ESCAPES[m.group(4)]
        if m.group(5):
            return chr(int(m.group(5), 8))
        code = int(m.group(1) or m.group(2) or m.group(3), 16)
        return chr(code) if code < 0x110000 else m.group(0)

    out = _JS.sub(one, s)
    if _SURROGATE.search(out):  # `\ud83d\ude00` is one character, escaped as two halves
        out = out.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return out


def b64_text(s: str) -> str | None:
    """The text a base64 value stands for, if it is base64 of printable UTF-8; else None."""
    t = s.rstrip("=")
    if len(t) % 4 == 1 or " " in t:
        return None
    if "-" in t or "_" in t:
        t = t.replace("-", "+").replace("_", "/")
    try:
        data = binascii.a2b_base64((t + "=" * (-len(t) % 4)).encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if data.isascii():
        text = data.decode("ascii")
    else:  # curly quotes, fullwidth letters: attack text is sometimes not ASCII
        text = data.decode("utf-8", "replace")  # cheaper than raising for the many that fail
        if "\ufffd" in text:
            return None
    if not text:
        return None
    if text.isprintable():
        return text
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return text if printable >= 0.95 * len(text) else None


def _unescape(value: str, plus_is_space: bool) -> str:
    cur = value.replace("+", " ") if plus_is_space and "%" in value else value
    rounds = 1 if len(value) > _MAX_LEN else _MAX_ROUNDS
    for _ in range(rounds):
        nxt = url_decode(cur)
        if "&" in nxt:
            nxt = html.unescape(nxt)
        nxt = js_decode(nxt)
        if nxt == cur:
            break
        cur = nxt
    if "\x00" in cur:
        cur = cur.replace("\x00", "")
    return cur


_SEVEN_BIT = {c: c & 0x7F for c in range(0x80, 0x100)}
# A run long enough (18 bytes) to carry an attack, with the mixed case and digits base64 has
# and words do not.
_B64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])(?=[A-Za-z0-9+/]*[0-9+/])(?=[A-Za-z0-9+/]*[A-Z])"
                      r"(?=[A-Za-z0-9+/]*[a-z])[A-Za-z0-9+/]{24,}={0,2}")
_B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="
# The first character of each 4-character base64 group holds the top six bits of a byte; for an
# ASCII byte those are 0..31, spelled A-Z or a-f, and for a printable one or a tab or line break,
# C, D or I-f.
_ASCII_LEADS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
_PRINTABLE_LEADS = "CDIJKLMNOPQRSTUVWXYZabcdef"


def _is_uuid(v: str) -> bool:
    return len(v) == 36 and v[8] == v[13] == v[18] == v[23] == "-"


def has_escapes(value: str) -> bool:
    return ("%" in value or "&" in value or "\\" in value or "\x00" in value or "+AD" in value
            or "\xbc" in value or "\xbe" in value)


def may_be_b64_text(text: str) -> bool:
    """False when `text` cannot be base64 of text (mostly ASCII, as `b64_text` wants), decided
    by C-speed string tests alone. A word (`password`, `Springfield`) is base64 only by accident,
    so it is not decoded either."""
    if len(text) < 4 or text.isdigit() or text.strip(_B64_CHARS) or _is_uuid(text):
        return False
    if text.isalpha() and (text.islower() or text.istitle()):
        return False
    leads = text[::4]
    # Text under 20 bytes must decode to printable characters only (see b64_text).
    if not leads.strip(_ASCII_LEADS if len(text) >= 27 else _PRINTABLE_LEADS):
        return True
    # UTF-8 text puts a byte of 0x80 or more at some group starts, but at no more than half of
    # them in any text worth decoding; random ids and tokens have half or more.
    return 2 * sum(1 for c in leads if c in _ASCII_LEADS) > len(leads)


def may_need_decoding(value: str) -> bool:
    """False for plain text (most values): no escape character and nothing base64 could be."""
    return has_escapes(value) or may_be_b64_text(value)


def decoded_forms(value: str, plus_is_space: bool = False) -> list[str]:
    """`value` and each distinct spelling decoding gives: escapes undone, and base64 read as text
    both as given and after the escapes (a base64 path segment arrives percent-encoded)."""
    if not may_need_decoding(value):  # C-speed `in` tests and `strip`: most values leave here
        return [value]
    return decoded_forms_of_encoded(value, plus_is_space)


def decoded_forms_of_encoded(value: str, plus_is_space: bool = False) -> list[str]:
    """`decoded_forms` for a value already known to `may_need_decoding`."""
    forms = [value]
    if has_escapes(value):
        if "+AD" in value:  # UTF-7, which old browsers sniffed: +ADw- is <
            with contextlib.suppress(UnicodeError, ValueError):
                forms.append(value.encode("ascii").decode("utf-7"))
        cur = _unescape(value, plus_is_space)
        if cur != value:
            forms.append(cur)
        if "\xbc" in cur or "\xbe" in cur:
            # ¼script¾: a server that reads bytes as 7-bit US-ASCII drops the high bit, and ¼ is <.
            forms.append(cur.translate(_SEVEN_BIT))
    for text in forms[:2]:
        if may_be_b64_text(text):
            b64 = b64_text(text)
            if b64 is not None:
                forms.append(b64)
                if _NEEDS.search(b64):
                    forms.append(_unescape(b64, False))
    return forms


def embedded_b64_texts(text: str) -> list[str]:
    """Text hidden as base64 inside a longer value (`PHN2Zy...ZyI+"/>`, `id=PHNj...&x=1`): lenient
    decoders skip what is not base64, so the application may well read it."""
    out = []
    for run in _B64_RUN.findall(text)[:4]:
        b64 = b64_text(run)
        if b64 is not None:
            out.append(_unescape(b64, False) if _NEEDS.search(b64) else b64)
    return out
