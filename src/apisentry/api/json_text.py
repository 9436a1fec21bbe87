"""JSON text from untrusted files, for a streaming parser: bytes it would refuse are replaced as
they stream by, and its errors are reported without the text they quote."""

from __future__ import annotations

import codecs
import re
from typing import IO

from apisentry.sources.long_strings import ShortStrings

# Bytes JSON does not allow raw inside a string, other than those that are whitespace between tokens.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
# The same as text, and the bytes that were not UTF-8 (kept as lone surrogates by "surrogateescape").
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\udc80-\udcff]")


class CleanText:
    """A file's bytes as a JSON parser can read them: bytes that are not UTF-8 (a binary body pasted
    into a HAR as text) and raw control characters become U+FFFD, so one bad body does not cost the
    whole file, and strings past `MAX_STRING` are cut short (`ShortStrings`), so one huge body does
    not cost the parser its size squared. Clean chunks, nearly all of them, pass through untouched."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = ShortStrings(raw)
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.replaced = 0
        self.at_start = True

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""  # parsers probe with read(0) whether a stream gives bytes or text
        while True:
            chunk = self.raw.read(size if size and size > 0 else 1 << 16)
            if self.at_start:
                self.at_start = False
                if chunk.startswith(codecs.BOM_UTF8):  # Windows tools write one; JSON allows none
                    chunk = chunk[len(codecs.BOM_UTF8):] or self.raw.read(size if size and size > 0 else 1 << 16)
            pending = self.decoder.getstate()[0]
            if chunk and not pending and chunk.isascii() and len(chunk.translate(None, _CONTROL_BYTES)) == len(chunk):
                return chunk
            text, n = _BAD_TEXT.subn("\ufffd", self.decoder.decode(chunk, final=not chunk))
            self.replaced += n
            if text or not chunk:
                return text.encode()

    @property
    def cut(self) -> int:
        """Strings cut short so far."""
        return self.raw.cut


def parse_error(e: Exception) -> str:
    """The first line of a parser's message (the rest quotes the broken text, which may hold secrets)."""
    return (str(e).strip().splitlines() or ["end of file"])[0][:80]
