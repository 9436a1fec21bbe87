"""Where a command's report goes: the file `--out` names, else standard output."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def write_report(data: bytes, out: Path | None) -> None:
    if out:
        try:
            out.write_bytes(data)
        except OSError as e:  # a missing folder, a directory, no permission: say which and stop
            sys.stderr.write(f"cannot write the report to {out}: {e.strerror or e}\n")
            raise typer.Exit(2) from e
    else:
        sys.stdout.buffer.write(data)
