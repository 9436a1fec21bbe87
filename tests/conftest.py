from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A folder of the shared public data sets, or a skip that says why it is missing."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data set not present: {p} (see shared/data/README.md)")
    return p


def _compiled_guard_modules() -> list[tuple[str, Path, Path]]:
    """(module, extension file, source) for each guard module built by mypyc (setup.py)."""
    import importlib

    out = []
    guard_dir = Path(__file__).resolve().parents[1] / "src" / "apisentry" / "guard"
    for so in sorted(guard_dir.glob("*.so")):
        name = so.name.split(".", 1)[0]
        module = importlib.import_module(f"apisentry.guard.{name}")
        if str(getattr(module, "__file__", "")).endswith(".so"):
            out.append((module.__name__, so, guard_dir / f"{name}.py"))
    return out


def pytest_report_header() -> str:
    compiled = _compiled_guard_modules()
    return f"guard: {len(compiled)} modules compiled with mypyc" if compiled else "guard: pure Python"


def pytest_sessionstart(session: pytest.Session) -> None:
    # A compiled module shadows its source: after an edit, the tests would run the old code.
    stale = [name for name, so, src in _compiled_guard_modules() if src.stat().st_mtime > so.stat().st_mtime]
    if stale:
        pytest.exit(f"compiled guard modules older than their source: {', '.join(stale)}; "
                    "rebuild with `make install` (or `pip install -e .`)", returncode=4)
