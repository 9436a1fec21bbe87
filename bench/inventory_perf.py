"""Inventory speed: N access-log lines (nginx combined, generated from real OpenAPI specs' traffic)
through `apisentry api inventory`'s reader and builder, with peak memory; the floor is reading and
splitting the same file's lines in Python, measured in the same run.

    python bench/inventory_perf.py [--lines 1000000 4000000 8000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

RUN = """
import resource, sys, time
t = time.perf_counter()
from apisentry.api.traffic import read
from apisentry.api.inventory import build
obs, rep = read([sys.argv[1]])
inv = build(obs)
print(time.perf_counter() - t, len(inv["endpoints"]), rep.lines, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
FLOOR = """
import sys, time
t = time.perf_counter()
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        n += len(line.split(b" "))
print(time.perf_counter() - t)
"""

# The memory floor: DuckDB reading the same file line by line, with nothing kept.
SCAN = """
import duckdb, resource, sys
con = duckdb.connect()
con.execute("SET memory_limit = '1GB'")
con.execute("SELECT count(*) FROM read_csv(?, columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', "
            "escape = '', header = false, auto_detect = false)", [sys.argv[1]]).fetchall()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def make_log(path: str, lines: int, seed: int = 1) -> None:
    from openapi_traffic import generate

    calls = generate(n_specs=60, seed=seed, per_op=20)
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(lines):
            c = calls[rng.randrange(len(calls))]
            target = c.path + (f"?{c.query}" if c.query else "")
            f.write(f'203.0.113.{i % 250} - - [30/Nov/2026:01:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d} +0000] '
                    f'"{c.method} {target} HTTP/1.1" {rng.choice([200, 200, 200, 201, 204, 404, 500])} {rng.randint(10, 9000)} '
                    f'"-" "Mozilla/5.0"\n')


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, nargs="+", default=[1_000_000])
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="apisentry-inv-bench-")
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print("\n| input | lines | floor: read + split s | inventory s | lines/s | endpoints | peak RSS MB "
          "| floor: DuckDB scan RSS MB |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in a.lines:
        log = os.path.join(work, f"access-{n}.log")
        make_log(log, n)
        floor = float(subprocess.run([sys.executable, "-c", FLOOR, log], capture_output=True, text=True,
                                     check=True).stdout)
        scan_rss = float(subprocess.run([sys.executable, "-c", SCAN, log], capture_output=True, text=True,
                                        check=True).stdout)
        out = subprocess.run([sys.executable, "-c", RUN, log], capture_output=True, text=True, check=True).stdout.split()
        secs, eps, lines, rss = float(out[0]), int(out[1]), int(out[2]), float(out[3])
        print(f"| nginx combined | {lines:,} | {floor:.1f} | {secs:.1f} | {lines / secs:,.0f} | {eps:,} | {rss:.0f} "
              f"| {scan_rss:.0f} |", flush=True)
        os.remove(log)


if __name__ == "__main__":
    main()
