"""How often a spec writes "one route under several names" as a path parameter with listed values
(`/severity/{level}`, `enum: [critical, high, low]`) against as literal sibling routes
(`/users/{id}/orders`, `/admins/{id}/orders`). Traffic shows both the same way, so this is how
lopsided the choice is for a templater. It also counts how many of those literal siblings return
the same JSON response shape (property names) and take the same query names: what a templater
that also read responses could go by.

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


def response_shape(op: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """The property names of an operation's first 2xx (or default) JSON response, one level deep,
    or None when it has no object to show."""
    responses = op.get("responses")
    if not isinstance(responses, dict):
        return None
    for code in ("200", "201", "202", "2XX", "default"):
        r = resolve(responses.get(code), spec)
        if not isinstance(r, dict):
            continue
        for ctype, media in (r.get("content") or {}).items():
            if "json" in ctype and isinstance(media, dict):
                schema = resolve(media.get("schema"), spec)
                if isinstance(schema, dict) and schema.get("type") == "array":
                    schema = resolve(schema.get("items"), spec)
                props = schema.get("properties") if isinstance(schema, dict) else None
                return ",".join(sorted(props)) if isinstance(props, dict) and props else None
        return None
    return None


def count(files: list[str]) -> tuple[int, int, int, int]:
    enum_ops = literal_ops = enum_shaped = literal_alike = 0
    for f in files:
        spec = load_spec(f)
        if spec is None:
            continue
        ops: list[tuple[tuple[str, ...], str]] = []
        looks: dict[tuple[tuple[str, ...], str], tuple[str | None, tuple[str, ...]]] = {}
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
                shape = response_shape(op, spec)
                if enum_positions(template, enums):
                    enum_ops += 1
                    enum_shaped += shape is not None
                ops.append((segs, method))
                looks[(segs, method)] = (shape, tuple(sorted(str(p.get("name")) for p in params
                                                           if isinstance(p, dict) and p.get("in") == "query")))
        # Literal siblings: operations that differ from another in one literal segment and go on
        # identically after it, with the same method.
        siblings: dict[tuple[Any, ...], set[str]] = defaultdict(set)
        for segs, method in ops:
            for i, s in enumerate(segs):
                if not s.startswith("{") and i < len(segs) - 1:
                    siblings[(segs[:i], segs[i + 1:], method)].add(s)
        counted: set[tuple[tuple[str, ...], str]] = set()
        alike: set[tuple[tuple[str, ...], str]] = set()  # in a group with one object shape and the same query names
        for (before, after, method), names in siblings.items():
            if len(names) < 2:
                continue
            members = {((*before, name, *after), method) for name in names}
            counted |= members
            group_looks = {looks[m] for m in members}
            if len(group_looks) == 1 and next(iter(group_looks))[0] is not None:
                alike |= members
        literal_ops += len(counted)
        literal_alike += len(alike)
    return enum_ops, literal_ops, enum_shaped, literal_alike


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args()
    files = spec_files()
    chosen = random.Random(a.seed).sample(files, min(a.specs, len(files)))
    enum_ops, literal_ops, enum_shaped, literal_alike = count(chosen)
    print(f"{len(chosen)} specs (seed {a.seed})")
    print(f"operations with a path parameter that lists its values: {enum_ops:,}")
    print(f"operations that are literal sibling routes going on identically: {literal_ops:,}")
    print(f"  of the first, with a JSON object response: {enum_shaped:,}")
    print(f"  of the second, in a group with one response shape and the same query names: {literal_alike:,}")


if __name__ == "__main__":
    main()
