"""JSON streams with over-long strings cut short, so a streaming parser stays linear.

yajl, ijson's parser, lexes a string that spans its read buffers again from the start with each
buffer: a string of n bytes costs n²/buffer. One 32 MB string took 33 s with 4 KB reads, and a
1 GB string (a 1 MB gzip file: a request body of one repeated byte) would take hours. No field is
read past a few megabytes (bodies past `MAX_BODY` are not parsed, audit records past 32 MB are
refused), so a run of more than `MAX_STRING` bytes without a quote keeps its first `MAX_STRING`
bytes and the rest is dropped up to the next quote, with the backslashes before it, so the JSON
stays valid and every record after it is read. A run is measured where a read ends, so one that
ends inside the read that takes it past the limit stays whole: at most the limit and one read."""

from __future__ import annotations

import re
from typing import IO

MAX_STRING = 8 << 20

_BACKSLASH = 0x5C


class ShortStrings:
    """A binary stream whose runs without a `"` are cut at `limit` bytes; `cut` counts them."""

    # Bytes held back from each read, so a cut can still step back over an escape (`\\u00e9`), a
    # surrogate pair or a UTF-8 character that the read split.
    HOLD = 16

    def __init__(self, raw: IO[bytes], limit: int = MAX_STRING) -> None:
        self.raw = raw
        self.limit = limit
        self.cut = 0
        self._run = 0  # bytes since the last quote, held ones included
        self._held = b""
        self._dropping = False
        self._dropped_backslashes = 0  # the backslashes the dropped bytes end in
        self._given_backslashes = 0  # the backslashes what was given ends in

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""  # parsers probe with read(0) whether a stream gives bytes or text
        while True:
            chunk = self.raw.read(size if size and size > 0 else 1 << 16)
            if not chunk:
                out, self._held = self._held, b""
                return self._give(out)
            out = self._resume(chunk) if self._dropping else self._pass(chunk)
            if out:
                return self._give(out)

    def _pass(self, chunk: bytes) -> bytes:
        last = chunk.rfind(b'"')
        self._run = self._run + len(chunk) if last < 0 else len(chunk) - last - 1
        data, self._held = self._held + chunk, b""
        if self._run <= self.limit:
            self._held = data[-self.HOLD:]
            return data[:-self.HOLD]
        end = max(data.rfind(b'"') + 1, self._safe_cut(data, len(data) - (self._run - self.limit)))
        self.cut += 1
        self._dropping = True
        self._dropped_backslashes = _trailing_backslashes(data[end:], 0)
        return data[:end]

    def _resume(self, chunk: bytes) -> bytes:
        quote = chunk.find(b'"')
        if quote < 0:
            self._dropped_backslashes = _trailing_backslashes(chunk, self._dropped_backslashes)
            return b""
        start = _backslashes_from(chunk, quote)
        carried = self._dropped_backslashes if start == 0 else 0
        self._dropping = False
        self._run = 0
        return self._pass(b"\\" * carried + chunk[start:])

    def _give(self, out: bytes) -> bytes:
        self._given_backslashes = _trailing_backslashes(out, self._given_backslashes)
        return out

    def _safe_cut(self, data: bytes, end: int) -> int:
        """An index at or before `end` that splits neither a UTF-8 character nor an escape
        (`\\n`, `\\u00e9`, the two halves of a surrogate pair)."""
        while 0 < end < len(data) and 0x80 <= data[end] < 0xC0:
            end -= 1
        escape = data.rfind(b"\\", max(0, end - 6), end)
        if escape >= 0 and self._starts_escape(data, escape):
            end = escape
        if end >= 6 and _HIGH_SURROGATE.fullmatch(data, end - 6, end) and self._starts_escape(data, end - 6):
            end -= 6
        return end

    def _starts_escape(self, data: bytes, at: int) -> bool:
        """Whether the backslash at `at` starts an escape rather than ending one (`\\\\`): an odd
        count of backslashes up to it, the ones already given included."""
        start = _backslashes_from(data, at)
        return (at - start + 1 + (self._given_backslashes if start == 0 else 0)) % 2 == 1


def _trailing_backslashes(data: bytes, before: int) -> int:
    """The backslashes a stream ends in after `data`, `before` being those it ended in before."""
    trailing = len(data) - len(data.rstrip(b"\\"))
    return before + trailing if trailing == len(data) else trailing


def _backslashes_from(data: bytes, at: int) -> int:
    """Where the run of backslashes that `at` is in starts, within `data`."""
    while at > 0 and data[at - 1] == _BACKSLASH:
        at -= 1
    return at


_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
