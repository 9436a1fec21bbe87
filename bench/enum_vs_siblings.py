"""How often a spec writes "one route under several names" as a path parameter with listed values
(`/severity/{level}`, `enum: [critical, high, low]`) against as literal sibling routes
(`/users/{id}/orders`, `/admins/{id}/orders`). Traffic shows both the same way, so this is how
lopsided the choice is for a templater.

    python bench/enum_vs_siblings.py [--specs 1000] [--seed 9]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections import defaultdict
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inventory_quality import enum_positions
from openapi_traffic import METHODS, listed_values, load_spec, resolve, spec_files


def count(files: list[str]) -> tuple[int, int]:
    enum_ops = literal_ops = 0
    for f in files:
        spec = load_spec(f)
        if spec is None:
            continue
        ops: list[tuple[tuple[str, ...], str]] = []
        for template, item in (spec.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            segs = tuple(s for s in template.split("#")[0].split("?")[0].split("/") if s)
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                params = [resolve(p, spec) for p in list(item.get("parameters") or []) + list(op.get("parameters") or [])]
                enums = tuple(str(p.get("name")) for p in params if isinstance(p, dict) and p.get("in") == "path"
                              and len(listed_values(p, spec) or ()) >= 2)
                if enum_positions(template, enums):
                    enum_ops += 1
                ops.append((segs, method))
        # Literal siblings: operations that differ from another in one literal segment and go on
        # identically after it, with the same method.
        siblings: dict[tuple[Any, ...], set[str]] = defaultdict(set)
        for segs, method in ops:
            for i, s in enumerate(segs):
                if not s.startswith("{") and i < len(segs) - 1:
                    siblings[(segs[:i], segs[i + 1:], method)].add(s)
        counted = {(key[0] + (name,) + key[1], key[2]) for key, names in siblings.items() if len(names) >= 2
                   for name in names}
        literal_ops += len(counted)
    return enum_ops, literal_ops


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args()
    files = spec_files()
    chosen = random.Random(a.seed).sample(files, min(a.specs, len(files)))
    enum_ops, literal_ops = count(chosen)
    print(f"{len(chosen)} specs (seed {a.seed})")
    print(f"operations with a path parameter that lists its values: {enum_ops:,}")
    print(f"operations that are literal sibling routes going on identically: {literal_ops:,}")


if __name__ == "__main__":
    main()
