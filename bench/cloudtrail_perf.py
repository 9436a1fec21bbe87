"""End-to-end speed and memory of `apisentry analyze` on synthetic CloudTrail, next to DuckDB's bare
`read_json` scan of the same files (the floor), in the same run. Each measurement runs in its own
process so peak RSS is that process's alone.

    python bench/cloudtrail_perf.py --events 1000000 5000000 [--repeat 3]
"""

from __future__ import annotations

import argparse
import glob
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gen_cloudtrail import generate  # noqa: E402
from peak_memory import PEAK_MB  # noqa: E402

BARE = """
import duckdb, glob, sys
files = glob.glob(sys.argv[1] + '/**/*.json.gz', recursive=True)
duckdb.connect().execute("SELECT count(*) FROM read_json(?, maximum_object_size=16777216)", [files]).fetchall()
"""


def seconds(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


# Runs the CLI in-process and records its own peak RSS, so the number is analyze's alone.
ANALYZE = """
import sys
from apisentry.cli.main import app
try:
    app(sys.argv[1:-1])
except SystemExit:
    pass
with open(sys.argv[-1], "w") as f:
    f.write(str(int(PEAK_MB * 1024)))
""".replace("PEAK_MB", PEAK_MB)


def measure(n: int, repeat: int, work: str) -> dict[str, float]:
    corpus = os.path.join(work, f"ct-{n}")
    if not os.path.isdir(corpus):
        generate(corpus, n)
    size = sum(os.path.getsize(f) for f in glob.glob(corpus + "/**/*.json.gz", recursive=True))
    bare, ours, peaks = [], [], []
    for _ in range(repeat):
        bare.append(seconds([sys.executable, "-c", BARE, corpus]))
        db = os.path.join(work, "bench.duckdb")
        for f in glob.glob(db + "*"):
            os.remove(f)
        ours.append(seconds([sys.executable, "-c", ANALYZE, "analyze", corpus, "--db", db, "--format", "json",
                             "--out", db + ".json", db + ".rss"]))
        with open(db + ".rss") as f:
            peaks.append(int(f.read()) / 1024)
    # Each analyze run is paired with the bare scan run just before it, so a noisy stretch of the
    # machine slows both; the ratio reported is the median of the pairs' ratios.
    ratios = [o / b for o, b in zip(ours, bare, strict=True)]
    print(f"  {n:,} events, runs (bare s / analyze s / ratio): "
          + ", ".join(f"{b:.1f}/{o:.1f}/{r:.2f}" for b, o, r in zip(bare, ours, ratios, strict=True)), flush=True)
    return {"events": n, "gz_mb": size / 1e6, "bare_s": statistics.median(bare), "ours_s": statistics.median(ours),
            "ratio": statistics.median(ratios), "peak_mb": max(peaks)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=None, help="where corpora are kept (default: a temp dir)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="apisentry-bench-")
    import duckdb

    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}")
    print("| events | gz MB | bare read_json s | analyze s | analyze events/s | ratio to bare (median of pairs) | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.events:
        r = measure(n, a.repeat, work)
        print(f"| {n:,} | {r['gz_mb']:.0f} | {r['bare_s']:.1f} | {r['ours_s']:.1f} | {n / r['ours_s']:,.0f} | "
              f"{r['ratio']:.2f}x | {r['peak_mb']:.0f} |", flush=True)
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
