"""Writes the bundled API traffic under examples/api/: an afternoon of a small shop API seen by a
proxy (HAR, with bodies) and by its nginx (combined log), and the API's OpenAPI spec. A few
problems are woven in: an undocumented export that hands out customer data without credentials,
a debug endpoint that leaks a cloud key, a deprecated invoice route still called, an undocumented
query parameter. Run once; the output is committed so `make demo` needs no generation."""

from __future__ import annotations

import base64
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1] / "examples" / "api"
START = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
HOST = "https://shop.example.com"
rng = random.Random(11)

NAMES = ["Ana Lopez", "Ben Okafor", "Chen Wei", "Dara Novak", "Eli Cohen", "Fay Moreau", "Gus Berg", "Hana Sato"]
USERS = [{"id": 4100 + i, "name": n, "email": n.lower().replace(" ", ".") + "@example.org",
          "phone": f"+44 20 7946 0{100 + i}"} for i, n in enumerate(NAMES)]
PRODUCTS = [{"id": f"sku-{n}", "name": name, "price": price} for n, name, price in
            [(101, "kettle", 29.9), (102, "teapot", 19.5), (103, "mug", 7.0), (104, "strainer", 4.5)]]


def jwt_for(user: dict[str, Any]) -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': str(user['id']), 'name': user['name']})}.c2lnbmF0dXJl"


def entry(t: datetime, method: str, path: str, status: int, user: dict[str, Any] | None = None,
          body: Any = None, response: Any = None) -> dict[str, Any]:
    headers = [{"name": "Accept", "value": "application/json"}, {"name": "User-Agent", "value": "shop-web/3.2"}]
    if user is not None:
        headers.append({"name": "Authorization", "value": f"Bearer {jwt_for(user)}"})
    req: dict[str, Any] = {"method": method, "url": HOST + path, "httpVersion": "HTTP/1.1", "headers": headers,
                           "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0}
    if body is not None:
        text = json.dumps(body)
        req["postData"] = {"mimeType": "application/json", "text": text}
        req["bodySize"] = len(text)
        headers.append({"name": "Content-Type", "value": "application/json"})
    text = json.dumps(response) if response is not None else ""
    return {"startedDateTime": t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "time": rng.randint(8, 90), "request": req,
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                         "content": {"size": len(text), "mimeType": "application/json", "text": text},
                         "redirectURL": "", "headersSize": -1, "bodySize": len(text)},
            "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 1}}


def har() -> dict[str, Any]:
    t = START
    entries = []

    def add(*args: Any, **kw: Any) -> None:
        nonlocal t
        t += timedelta(seconds=rng.randint(5, 50))
        entries.append(entry(t, *args, **kw))

    for u in USERS[:5]:
        add("POST", "/api/v1/auth/login", 200, body={"email": u["email"], "password": "correct horse " + str(u["id"])},
            response={"token": jwt_for(u), "expires_in": 3600})
        add("GET", "/api/v1/users/me", 200, u, response=u)
        add("GET", "/api/v1/products", 200, response={"items": PRODUCTS})
        for p in rng.sample(PRODUCTS, 2):
            add("GET", f"/api/v1/products/{p['id']}", 200, response=p)
        order = str(uuid.UUID(int=rng.getrandbits(128)))
        add("POST", "/api/v1/orders", 201, u, body={"items": [{"sku": PRODUCTS[0]["id"], "qty": 1}],
                                                     "card": "4111 1111 1111 1111"},
            response={"id": order, "status": "placed", "total": 29.9})
        add("GET", f"/api/v1/orders/{order}", 200, u, response={"id": order, "status": "placed", "total": 29.9})
        add("GET", f"/api/v1/users/{u['id']}/orders", 200, u, response={"items": [{"id": order, "total": 29.9}]})
        add("GET", f"/api/v1/orders/{order}/invoice", 200, u, response={"order": order, "pdf": f"/invoices/{order}.pdf"})
    # One user walks through other users' records: each answers (object-level authorization).
    prowler = USERS[5]
    for victim in USERS:
        add("GET", f"/api/v1/users/{victim['id']}", 200, prowler, response=victim)
    add("GET", f"/api/v1/users/{USERS[0]['id']}?debug=true", 200, prowler, response=USERS[0])
    # Nobody documented these, and they need no credentials.
    add("GET", "/api/v1/internal/export", 200,
        response={"customers": [{**u, "card": "4111 1111 1111 1111"} for u in USERS[:3]]})
    add("GET", "/api/v1/debug/env", 200, response={"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "STAGE": "prod"})
    return {"log": {"version": "1.2", "creator": {"name": "mitmproxy", "version": "10.1"}, "entries": entries}}


def access_log() -> str:
    lines = []
    t = START
    for _ in range(40):
        t += timedelta(seconds=rng.randint(1, 30))
        ip = f"203.0.113.{rng.randint(2, 60)}"
        if rng.random() < 0.5:
            path, status = "/api/v1/products", 200
        else:
            path, status = f"/api/v1/products/{rng.choice(PRODUCTS)['id']}", rng.choice([200, 200, 200, 404])
        lines.append(f'{ip} - - [{t.strftime("%d/%b/%Y:%H:%M:%S +0000")}] "GET {path} HTTP/1.1" {status} '
                     f'{rng.randint(200, 2000)} "-" "Mozilla/5.0"')
    return "\n".join(lines) + "\n"


SPEC = """openapi: 3.0.3
info: {title: Acme Shop API, version: "1.4"}
servers: [{url: "https://shop.example.com"}]
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer, bearerFormat: JWT}
security: [{bearerAuth: []}]
paths:
  /api/v1/auth/login:
    post:
      security: []
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {email: {type: string}, password: {type: string}}}
      responses: {"200": {description: a session token}}
  /api/v1/users/me:
    get: {responses: {"200": {description: the caller}}}
  /api/v1/users/{userId}:
    parameters: [{name: userId, in: path, required: true, schema: {type: integer}}]
    get: {responses: {"200": {description: a user}}}
  /api/v1/users/{userId}/orders:
    parameters: [{name: userId, in: path, required: true, schema: {type: integer}}]
    get: {responses: {"200": {description: the user's orders}}}
  /api/v1/products:
    get:
      security: []
      responses: {"200": {description: the catalogue}}
  /api/v1/products/{productId}:
    parameters: [{name: productId, in: path, required: true, schema: {type: string}}]
    get:
      security: []
      responses: {"200": {description: a product}}
  /api/v1/orders:
    post: {responses: {"201": {description: order placed}}}
  /api/v1/orders/{orderId}:
    parameters: [{name: orderId, in: path, required: true, schema: {type: string, format: uuid}}]
    get: {responses: {"200": {description: an order}}}
  /api/v1/orders/{orderId}/invoice:
    parameters: [{name: orderId, in: path, required: true, schema: {type: string, format: uuid}}]
    get:
      deprecated: true
      description: Replaced by /api/v1/invoices/{invoiceId}.
      responses: {"200": {description: the invoice}}
  /api/v1/payments:
    post: {responses: {"201": {description: payment taken}}}
"""


def main() -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    (ROOT / "shop.har").write_text(json.dumps(har(), indent=1) + "\n")
    (ROOT / "access.log").write_text(access_log())
    (ROOT / "openapi.yaml").write_text(SPEC)


if __name__ == "__main__":
    main()
