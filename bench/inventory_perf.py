"""Inventory speed: N access-log lines (nginx combined, generated from real OpenAPI specs' traffic)
through `apisentry api inventory`'s reader and builder, with peak memory; the floor is reading and
splitting the same file's lines in Python, measured in the same run.

With `--har`, N HAR entries of the same traffic, with JSON request and response bodies, in one HAR
file. The floors are parsing the file's entries alone (ijson, as the reader does) and the same
plus each entry's body texts (orjson); the peer is npm `har-to-openapi` on the same file
(after `make bench-deps`).

    python bench/inventory_perf.py [--lines 1000000 4000000 8000000] [--har 100000 400000]
                                   [--fresh-ids 1000000 4000000 8000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peak_memory import PEAK_MB  # noqa: E402

RUN = """
import sys, time
t = time.perf_counter()
from apisentry.api.sources import stream
from apisentry.api.traffic import ReadReport
from apisentry.api.inventory import build
rep = ReadReport()
inv = build(stream([sys.argv[1]], "auto", rep))
print(time.perf_counter() - t, len(inv["endpoints"]), rep.lines, PEAK_MB)
"""

# HAR floors: the entries parsed one at a time, as the reader streams them; then their bodies too.
HAR_FLOOR = """
import ijson, orjson, sys, time
t = time.perf_counter()
n = 0
with open(sys.argv[1], "rb") as f:
    for e in ijson.items(f, "log.entries.item", use_float=True):
        n += 1
        if sys.argv[2] == "bodies":
            for text in ((e["request"].get("postData") or {}).get("text"), e["response"]["content"].get("text")):
                if text:
                    try:
                        orjson.loads(text)
                    except orjson.JSONDecodeError:
                        pass
print(time.perf_counter() - t, n, PEAK_MB)
"""

# The peer's own time and peak memory, from a parent that only waits for it.
CHILD = """
import resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(time.perf_counter() - t, p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, len(p.stdout))
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
import duckdb, sys
con = duckdb.connect()
con.execute("SET memory_limit = '1GB'")
con.execute("SELECT count(*) FROM read_csv(?, columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', "
            "escape = '', header = false, auto_detect = false)", [sys.argv[1]]).fetchall()
print(PEAK_MB)
"""


RUN, HAR_FLOOR, SCAN = (code.replace("PEAK_MB", PEAK_MB) for code in (RUN, HAR_FLOOR, SCAN))

def _fresh_names(template: str, path: str, rng: random.Random) -> str:
    """`path` with each plain name at a parameter of `template` replaced by a new one."""
    segs, tsegs = path.split("/"), template.split("/")
    if len(segs) != len(tsegs):
        return path
    return "/".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(9))
                    if _WHOLE_PARAM.fullmatch(t) and s.isalpha() else s for s, t in zip(segs, tsegs, strict=True))


_WHOLE_PARAM = re.compile(r"\{[^}/]+\}")
_ID = re.compile(r"(?<=/)(?:\d{3,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=/|$)")


def make_log(path: str, lines: int, seed: int = 1, fresh_ids: bool = False, fresh_names: bool = False) -> None:
    """With `fresh_ids`, every number and UUID in a path is new on each line, as order ids and
    user ids are in real traffic: the paths never repeat, the endpoints do. With `fresh_names`, so is
    every plain name the spec makes a path parameter (usernames, slugs, repository names), which no
    stand-in sums."""
    from openapi_traffic import generate

    calls = generate(n_specs=60, seed=seed, per_op=20)
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(lines):
            c = calls[rng.randrange(len(calls))]
            target = c.path + (f"?{c.query}" if c.query else "")
            if fresh_ids:
                target = _ID.sub(lambda m: str(uuid.UUID(int=rng.getrandbits(128))) if "-" in m.group(0)
                                 else str(rng.randrange(10**6, 10**9)), target)
            if fresh_names:
                target = _fresh_names(c.template, c.path, rng) + (f"?{c.query}" if c.query else "")
            f.write(f'203.0.113.{i % 250} - - [30/Nov/2026:01:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d} +0000] '
                    f'"{c.method} {target} HTTP/1.1" {rng.choice([200, 200, 200, 201, 204, 404, 500])} {rng.randint(10, 9000)} '
                    f'"-" "Mozilla/5.0"\n')


def make_har(path: str, entries: int, seed: int = 1) -> None:
    """One HAR of `entries` calls, each with its request body (when the operation takes one) and a
    JSON response carrying an e-mail address, as a browser or proxy exports them; written as it goes."""
    import json

    from openapi_traffic import generate

    calls = generate(n_specs=60, seed=seed, per_op=20)
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write('{"log": {"version": "1.2", "creator": {"name": "apisentry-bench", "version": "1"}, "entries": [')
        for i in range(entries):
            c = calls[rng.randrange(len(calls))]
            req: dict[str, object] = {
                "method": c.method, "url": "https://api.example.com" + c.path + (f"?{c.query}" if c.query else ""),
                "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [], "headersSize": -1, "bodySize": len(c.body),
                "headers": [{"name": k, "value": v} for k, v in c.headers] + [{"name": "Authorization", "value": "Bearer t0k3n"}]}
            if c.body:
                ctype = next((v for k, v in c.headers if k.lower() == "content-type"), "application/json")
                req["postData"] = {"mimeType": ctype, "text": c.body.decode("utf-8", "replace")}
            body = json.dumps({"id": i, "name": f"item {i}", "email": f"user{i % 1000}@example.org", "tags": ["a", "b"],
                               "created": "2026-11-30T01:02:03Z"})
            entry = {"startedDateTime": f"2026-11-30T01:{(i // 60) % 60:02d}:{i % 60:02d}Z", "time": 12, "request": req,
                     "response": {"status": rng.choice([200, 200, 200, 201, 404]), "statusText": "", "httpVersion": "HTTP/1.1",
                                  "headers": [], "cookies": [], "redirectURL": "", "headersSize": -1, "bodySize": len(body),
                                  "content": {"size": len(body), "mimeType": "application/json", "text": body}},
                     "cache": {}, "timings": {"send": 0, "wait": 12, "receive": 0}}
            f.write(("," if i else "") + json.dumps(entry))
        f.write("]}}")


def har_rows(work: str, sizes: list[int]) -> None:
    print("\n| input | entries | floor: entries parsed s | floor: + bodies parsed s | inventory s | entries/s "
          "| endpoints | peak RSS MB | floor: entries parsed RSS MB | npm har-to-openapi s | its peak RSS MB |"
          "\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    module = os.path.join(HERE, ".cache", "node_modules", "har-to-openapi", "dist", "index.js")
    for n in sizes:
        har = os.path.join(work, f"traffic-{n}.har")
        make_har(har, n)
        floor = subprocess.run([sys.executable, "-c", HAR_FLOOR, har, "entries"], capture_output=True, text=True,
                               check=True).stdout.split()
        floor_bodies = subprocess.run([sys.executable, "-c", HAR_FLOOR, har, "bodies"], capture_output=True, text=True,
                                      check=True).stdout.split()
        out = subprocess.run([sys.executable, "-c", RUN, har], capture_output=True, text=True, check=True).stdout.split()
        secs, eps, entries, rss = float(out[0]), int(out[1]), int(out[2]), float(out[3])
        peer = "- | -"
        if shutil.which("node") and os.path.exists(module):
            wrapped = har + ".peer.json"
            with open(wrapped, "w") as w, open(har) as r:
                w.write('{"perf": ')
                shutil.copyfileobj(r, w)
                w.write("}")
            p = subprocess.run([sys.executable, "-c", CHILD, "node", "--max-old-space-size=8192",
                                os.path.join(HERE, "har_to_openapi_peer.mjs"), wrapped],
                               capture_output=True, text=True, check=True, env={**os.environ, "HAR_TO_OPENAPI": module}).stdout.split()
            peer = f"{float(p[0]):.1f} | {float(p[2]):.0f}" if p[1] == "0" else f"failed (exit {p[1]}) | {float(p[2]):.0f}"
            os.remove(wrapped)
        print(f"| HAR with bodies | {entries:,} | {float(floor[0]):.1f} | {float(floor_bodies[0]):.1f} | {secs:.1f} "
              f"| {entries / secs:,.0f} | {eps:,} | {rss:.0f} | {float(floor[2]):.0f} | {peer} |", flush=True)
        os.remove(har)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, nargs="*", default=[1_000_000])
    ap.add_argument("--har", type=int, nargs="*", default=[], help="HAR entries, one file each")
    ap.add_argument("--fresh-ids", type=int, nargs="*", default=[], help="log lines whose ids never repeat")
    ap.add_argument("--fresh-names", type=int, nargs="*", default=[],
                    help="log lines whose plain-name path parameters never repeat")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="apisentry-inv-bench-")
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    if a.har:
        har_rows(work, a.har)
    if a.lines:
        log_rows(work, a.lines, fresh_ids=False)
    if a.fresh_ids:
        log_rows(work, a.fresh_ids, fresh_ids=True)
    if a.fresh_names:
        log_rows(work, a.fresh_names, fresh_ids=False, fresh_names=True)


def log_rows(work: str, sizes: list[int], fresh_ids: bool, fresh_names: bool = False) -> None:
    print("\n| input | lines | floor: read + split s | inventory s | lines/s | endpoints | peak RSS MB "
          "| floor: DuckDB scan RSS MB |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        log = os.path.join(work, f"access-{n}.log")
        make_log(log, n, fresh_ids=fresh_ids, fresh_names=fresh_names)
        floor = float(subprocess.run([sys.executable, "-c", FLOOR, log], capture_output=True, text=True,
                                     check=True).stdout)
        scan_rss = float(subprocess.run([sys.executable, "-c", SCAN, log], capture_output=True, text=True,
                                        check=True).stdout)
        out = subprocess.run([sys.executable, "-c", RUN, log], capture_output=True, text=True, check=True).stdout.split()
        secs, eps, lines, rss = float(out[0]), int(out[1]), int(out[2]), float(out[3])
        kind = ", fresh ids" if fresh_ids else ", fresh names" if fresh_names else ""
        print(f"| nginx combined{kind} | {lines:,} | {floor:.1f} | {secs:.1f} | {lines / secs:,.0f} | {eps:,} | {rss:.0f} "
              f"| {scan_rss:.0f} |", flush=True)
        os.remove(log)


if __name__ == "__main__":
    main()
