"""Where a command's report goes: the file `--out` names, else standard output."""

from __future__ import annotations

import sys
from pathlib import Path


def write_report(data: bytes, out: Path | None) -> None:
    if out:
        out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
