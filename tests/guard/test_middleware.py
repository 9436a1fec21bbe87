"""Both adapters in front of real apps: one line to add, problem responses, bodies passed through,
every call logged with secrets redacted."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from flask import Flask, request
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from apisentry.guard.asgi import GuardMiddleware
from apisentry.guard.sink import JsonlSink, MemorySink, StoreSink
from apisentry.guard.wsgi import GuardWSGI
from apisentry.store import Store, StoreError

warnings.filterwarnings("ignore", category=DeprecationWarning)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"len": len(body), "body": body.decode()})


def starlette_app(**kw: object) -> Starlette:
    app = Starlette(routes=[Route("/v1/orders", echo, methods=["GET", "POST"])])
    app.add_middleware(GuardMiddleware, **kw)  # type: ignore[arg-type]
    return app


def test_asgi_allows_and_passes_the_body_untouched() -> None:
    sink = MemorySink()
    client = TestClient(starlette_app(sink=sink))
    body = {"note": "O'Brien & Sons", "password": "hunter2"}
    r = client.post("/v1/orders", json=body, headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 200
    assert json.loads(r.json()["body"]) == body
    assert r.headers["x-request-id"]
    sink.close()
    row = sink.rows[0]
    assert (row["http_method"], row["http_status"], row["status"]) == ("POST", 200, "success")
    logged = json.loads(row["request"])
    assert logged["headers"]["authorization"] == "Bearer [REDACTED]"  # the scheme, never the credentials
    assert "abc.def.ghi" not in row["raw"]
    assert logged["body"]["password"] == "[REDACTED]" and logged["body"]["note"] == "O'Brien & Sons"
    assert "hunter2" not in row["raw"]


def test_asgi_blocks_with_a_problem_document() -> None:
    sink = MemorySink()
    client = TestClient(starlette_app(sink=sink))
    r = client.get("/v1/orders", params={"id": "1' OR '1'='1"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 403 and problem["title"] == "Request blocked" and problem["request_id"]
    assert "sqli" not in r.text  # which rule fired is not told to the attacker
    sink.close()
    assert sink.rows[0]["error_code"] == "blocked" and sink.rows[0]["uid"] == problem["request_id"]


def test_asgi_monitor_mode_passes_but_logs_the_would_be_block() -> None:
    sink = MemorySink()
    client = TestClient(starlette_app(sink=sink, mode="monitor"))
    r = client.get("/v1/orders", params={"q": "<script>alert(1)</script>"})
    assert r.status_code == 200
    sink.close()
    verdict = json.loads(sink.rows[0]["request"])["verdict"]
    assert verdict["would_block"] is True and verdict["action"] == "allow"


def test_asgi_with_spec_and_store_sink(tmp_path: Path) -> None:
    db = str(tmp_path / "g.duckdb")
    sink = StoreSink(db)
    client = TestClient(starlette_app(spec=str(Path(__file__).parent.parent / "data" / "guard" / "shop.yaml"), sink=sink))
    assert client.get("/v1/admin").status_code == 403
    sink.close()
    with Store(db) as s:
        rows = s.run("SELECT cloud_provider, http_method, http_status, status, error_code FROM events")
    assert rows == [("http", "GET", 403, "failure", "blocked")]


def test_a_sink_that_cannot_write_fails_where_the_app_is_set_up(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a store")
    with pytest.raises(StoreError, match=r"notes\.txt: cannot open the store"):
        StoreSink(str(tmp_path / "notes.txt"))
    with pytest.raises(FileNotFoundError):
        JsonlSink(tmp_path / "no-such-folder" / "events.jsonl")


def flask_app(**kw: object) -> Flask:
    app = Flask(__name__)

    @app.post("/v1/orders")
    def orders() -> dict[str, object]:
        return {"got": request.get_json()}

    app.wsgi_app = GuardWSGI(app.wsgi_app, **kw)  # type: ignore[method-assign, arg-type]
    return app


def test_wsgi_flask(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "events.jsonl")
    client = flask_app(sink=sink).test_client()
    r = client.post("/v1/orders", json={"q": "hello"})
    assert r.status_code == 200 and r.get_json() == {"got": {"q": "hello"}}
    r = client.post("/v1/orders", json={"q": "; cat /etc/passwd"})
    assert r.status_code == 403 and r.content_type == "application/problem+json"
    assert r.get_json()["request_id"] == r.headers["X-Request-Id"]
    sink.close()
    lines = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [x["http_status"] for x in lines] == [200, 403]


@pytest.mark.parametrize("fail_closed", [False, True])
def test_guard_fault_follows_the_fail_policy(monkeypatch: pytest.MonkeyPatch, fail_closed: bool) -> None:
    from apisentry.guard import Guard
    from apisentry.guard.config import GuardConfig

    guard = Guard(GuardConfig(fail_closed=fail_closed))

    def boom(*_a: object) -> object:
        raise RuntimeError("detector crashed")

    monkeypatch.setattr(guard, "_inspect", boom)
    sink = MemorySink()
    r = TestClient(starlette_app(guard=guard, sink=sink)).get("/v1/orders")
    assert r.status_code == (403 if fail_closed else 200)
    sink.close()
    assert "detector crashed" in json.loads(sink.rows[0]["request"])["verdict"]["fault"]
