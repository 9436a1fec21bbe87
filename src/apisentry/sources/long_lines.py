"""Lines read without holding more of each than a limit: a 1 MB gzip file can unpack into one
line of 1 GB, and iterating a stream reads every line whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

_SKIP_READ = 1 << 20


def lines_within(stream: IO[bytes], limit: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, its length) for each line, newline included; the line is None when it is longer
    than `limit` bytes, and only `limit` bytes of it were held at a time."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit:
            yield line, len(line)
            continue
        size = len(line)
        while not line.endswith(b"\n"):
            line = stream.readline(_SKIP_READ)
            if not line:
                break
            size += len(line)
        yield None, size


def first_line(stream: IO[bytes], limit: int) -> bytes | None:
    """The first line that is not blank (None if longer than `limit`), the stream rewound: a
    reader looks at it to choose how to read the file."""
    start = stream.tell()
    line: bytes | None = b""
    for line, _ in lines_within(stream, limit):
        if line is None or line.strip():
            break
    stream.seek(start)
    return line
