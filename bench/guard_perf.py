"""Speed of the guard: `Guard.inspect` on a typical 1 KB JSON request with the OpenAPI spec and
every detector on, and the ASGI middleware's overhead against the same app without it (both
called in-process, so the numbers are the guard's and not the network's).

    python bench/guard_perf.py [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from typing import Any

import orjson

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from apisentry.guard import Guard, HttpRequest  # noqa: E402
from apisentry.guard.asgi import GuardMiddleware  # noqa: E402

SPEC = os.path.join(HERE, "data", "orders-api.yaml")
BODY = orjson.dumps({
    "customer": {"id": "c3f1a2b4-5d6e-4f70-8a9b-0c1d2e3f4a5b", "name": "Ana López", "email": "ana.lopez@example.org",
                 "phone": "+1 555 010 2000",
                 "address": {"street": "12 Baker St.", "city": "Springfield", "zip": "62704", "country": "US"}},
    "items": [{"sku": "TSHIRT-BLUE-M", "qty": 2, "price": 19.99, "note": "gift wrap please"},
              {"sku": "SOCKS-01", "qty": 1, "price": 4.5, "note": ""},
              {"sku": "CAP-RED", "qty": 1, "price": 12.0, "note": "if out of stock, the blue one is fine"}],
    "shipping": {"method": "express", "instructions": "Please deliver after 5 p.m. and ring twice (the bell's broken)."},
    "coupon": "SPRING25", "currency": "USD", "created_at": "2024-05-01T13:40:00Z", "tags": ["web", "promo", "returning"],
    "metadata": {"source": "mobile-app", "version": "4.12.0", "campaign": "spring_sale_2024",
                 "referrer": "https://example.com/landing?utm=spring"}})
HEADERS = [("Host", "api.example.com"), ("User-Agent", "okhttp/4.12.0"), ("Content-Type", "application/json"),
           ("Accept", "application/json"), ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2ln"),
           ("X-Request-Id", "7f1c2a9e")]


def typical() -> HttpRequest:
    return HttpRequest("POST", "/api/v1/orders", "expand=items&lang=en", HEADERS, BODY, "203.0.113.7")


def attack() -> HttpRequest:
    body = orjson.loads(BODY)
    body["shipping"]["instructions"] = "x' UNION SELECT password FROM users --"
    return HttpRequest("POST", "/api/v1/orders", "expand=items&lang=en", HEADERS, orjson.dumps(body), "203.0.113.7")


def latencies(guard: Guard, req: HttpRequest, n: int) -> list[float]:
    for _ in range(min(n, 2000)):
        guard.inspect(req)
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        guard.inspect(req)
        out.append((time.perf_counter_ns() - t) / 1000)
    out.sort()
    return out


def pct(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, int(len(xs) * p))]


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    more = True
    while more:
        msg = await receive()
        body += msg.get("body", b"")
        more = msg.get("more_body", False)
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


async def _call(app: Any, req: HttpRequest) -> None:
    scope = {"type": "http", "method": req.method, "path": req.path, "raw_path": req.path.encode(),
             "query_string": req.query.encode(), "headers": [(k.lower().encode(), v.encode()) for k, v in req.headers],
             "client": ("203.0.113.7", 50000)}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": req.body, "more_body": False}

    async def send(_msg: Any) -> None:
        return None

    await app(scope, receive, send)


async def asgi_times(app: Any, req: HttpRequest, n: int) -> list[float]:
    for _ in range(min(n, 2000)):
        await _call(app, req)
    out = []
    for _ in range(n):
        t = time.perf_counter_ns()
        await _call(app, req)
        out.append((time.perf_counter_ns() - t) / 1000)
    out.sort()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    a = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"request: POST /api/v1/orders, {len(BODY)} bytes of JSON, 6 headers, 2 query parameters")
    with_spec = Guard(spec=SPEC)
    assert with_spec.spec is not None
    print(f"spec: {len(with_spec.spec.operations)} operations ({os.path.basename(SPEC)})")
    no_spec = Guard()
    assert with_spec.inspect(typical()).action == "allow", with_spec.inspect(typical())
    assert with_spec.inspect(attack()).action == "block"
    print("\n| case | median µs | p99 µs |\n|---|---:|---:|")
    for name, g, req in (("benign, spec + all detectors", with_spec, typical()),
                         ("benign, detectors only (no spec)", no_spec, typical()),
                         ("attack (blocked), spec + all detectors", with_spec, attack())):
        xs = latencies(g, req, a.n)
        print(f"| {name} | {statistics.median(xs):.1f} | {pct(xs, 0.99):.1f} |", flush=True)
    guarded = GuardMiddleware(_bare, guard=with_spec)
    bare = asyncio.run(asgi_times(_bare, typical(), a.n))
    mw = asyncio.run(asgi_times(guarded, typical(), a.n))
    print("\n| ASGI, in-process | median µs | p99 µs |\n|---|---:|---:|")
    print(f"| bare app | {statistics.median(bare):.1f} | {pct(bare, 0.99):.1f} |")
    print(f"| app + GuardMiddleware | {statistics.median(mw):.1f} | {pct(mw, 0.99):.1f} |")
    print(f"| overhead | {statistics.median(mw) - statistics.median(bare):.1f} | |")


if __name__ == "__main__":
    main()
