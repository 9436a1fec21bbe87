"""Builds the guard's per-request modules, and the inventory's path templater, as C extensions with
mypyc, from the same typed Python source: the inline guard is where microseconds matter, and the
templater is where reading a log of fresh ids or names spends its Python time (docs/decisions.md).

Set APISENTRY_PURE_PYTHON=1 to skip compiling (a machine without a C compiler); the plain modules
then run, with the same behaviour, about twice as slowly.
"""

from __future__ import annotations

import os

from setuptools import setup

# What every request goes through, and the inventory's templater. The guard's core.py stays
# interpreted: it is a few lines of orchestration, and tests replace its methods to simulate a fault.
COMPILED = [f"src/apisentry/guard/{name}.py" for name in (
    "model", "locations", "decode", "request_values", "scanner", "ssrf", "positive", "auth", "config", "graphql",
)] + ["src/apisentry/api/templating.py"]

ext_modules = []
if not os.environ.get("APISENTRY_PURE_PYTHON"):
    from mypyc.build import mypycify

    # The build environment has mypy but not the runtime libraries: their types are only hints
    # for the compiler, and the full type check runs in `make test`.
    ext_modules = mypycify(["--ignore-missing-imports", "--no-warn-return-any", "--no-warn-unused-ignores",
                            "--allow-subclassing-any", *COMPILED], opt_level="3")

setup(ext_modules=ext_modules)
