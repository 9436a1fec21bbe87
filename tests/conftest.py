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


def _compiled_modules() -> list[tuple[str, Path, Path]]:
    """(module, extension file, source) for each module built by mypyc (setup.py): the guard's and
    the path templater."""
    import importlib

    out = []
    package = Path(__file__).resolve().parents[1] / "src" / "apisentry"
    for folder in ("guard", "api"):
        for so in sorted((package / folder).glob("*.so")):
            name = so.name.split(".", 1)[0]
            module = importlib.import_module(f"apisentry.{folder}.{name}")
            if str(getattr(module, "__file__", "")).endswith(".so"):
                out.append((module.__name__, so, package / folder / f"{name}.py"))
    return out


def pytest_report_header() -> str:
    compiled = _compiled_modules()
    return f"mypyc: {len(compiled)} modules compiled" if compiled else "mypyc: pure Python"


def pytest_sessionstart(session: pytest.Session) -> None:
    # A compiled module shadows its source: after an edit, the tests would run the old code.
    stale = [name for name, so, src in _compiled_modules() if src.stat().st_mtime > so.stat().st_mtime]
    if stale:
        pytest.exit(f"compiled modules older than their source: {', '.join(stale)}; "
                    "rebuild with `make install` (or `pip install -e .`)", returncode=4)
