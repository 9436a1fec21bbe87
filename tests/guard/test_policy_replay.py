"""Policy files, replay from the command line, and redaction of what is printed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apisentry.cli.main import app
from apisentry.guard import Guard, HttpRequest
from apisentry.guard.config import PolicyError, load_policy
from tests.guard.conftest import DATA


def test_policy_overrides(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text("""
mode: block
block_threshold: 5
allow_ips: [10.1.0.0/16]
routes:
  - {path: /v1/snippets, disabled_detectors: [cmdi, xss]}
  - {path: /healthz, skip: true}
  - {path: /v1/beta, mode: monitor}
""")
    g = Guard(load_policy(p))
    shell = "q=%3B%20cat%20%2Fetc%2Fpasswd"
    assert g.inspect(HttpRequest("GET", "/v1/orders", shell)).action == "block"
    snippet = g.inspect(HttpRequest("GET", "/v1/snippets", "q=%3B%20ls%20-la"))
    assert snippet.action == "allow" and all(d.detector != "cmdi" for d in snippet.detections)
    assert g.inspect(HttpRequest("GET", "/healthz", shell)).detections == []
    beta = g.inspect(HttpRequest("GET", "/v1/beta", shell))
    assert beta.action == "allow" and beta.would_block
    office = g.inspect(HttpRequest("GET", "/v1/orders", shell, client="10.1.2.3"))
    assert office.action == "allow" and office.detections  # allow-listed, still reported


@pytest.mark.parametrize(("text", "why"), [
    ("mode: lenient\n", "block or monitor"),
    ("blocking: true\n", "unknown keys blocking"),
    ("routes: [{method: GET}]\n", "needs `path`"),
    ("allow_ips: [not-an-ip]\n", "allow_ips"),
    ("auth: {jwt_key: x}\n", "auth: unknown keys jwt_key"),
    ("[1, 2\n", "not YAML"),
    # Values of the wrong type ended in a TypeError of the compiled dataclass, or on first use.
    ("max_body_bytes: lots\n", r"p.yaml: max_body_bytes: int object expected; got str"),
    ("routes: [{path: null}]\n", r"routes\[0\].path: str object expected"),
    ("routes: [{path: /health, skip: maybe}]\n", r"routes\[0\].skip: bool object expected"),
    ("routes: /health\n", "routes must be a list"),
    ("auth: [jwt_secret]\n", "auth must be a mapping"),
    ("auth: {leeway_s: soon}\n", r"auth.leeway_s: int object expected"),
    ("disabled_detectors: [{sqli: off}]\n", "disabled_detectors: a list of detector names"),
    ("routes: [{path: /, disabled_detectors: [[xss]]}]\n", r"routes\[0\]: disabled_detectors: a list of detector names"),
])
def test_bad_policies_are_named(tmp_path: Path, text: str, why: str) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(PolicyError, match=why):
        load_policy(p)


def _replay(tmp_path: Path, lines: list[str], *extra: str) -> tuple[int, list[dict[str, object]], str]:
    f = tmp_path / "reqs.jsonl"
    f.write_text("\n".join(lines) + "\n")
    r = CliRunner().invoke(app, ["guard", "replay", str(f), *extra])
    out = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    return r.exit_code, out, r.stderr


def test_replay_jsonl(tmp_path: Path) -> None:
    code, out, err = _replay(tmp_path, [
        json.dumps({"method": "GET", "url": "/search?q=shoes"}),
        json.dumps({"method": "POST", "url": "/login", "headers": {"Content-Type": "application/json"},
                    "body": json.dumps({"user": "admin' --", "password": "hunter2"})}),
        json.dumps({"method": "POST", "url": "/upload", "body_b64": base64.b64encode(b"<script>x</script>").decode()}),
    ])
    assert code == 0
    assert [o["action"] for o in out] == ["allow", "block", "block"]
    assert [o["index"] for o in out] == [0, 1, 2]
    assert out[1]["detections"][0].keys() >= {"detector", "category", "location", "evidence"}
    assert "3 requests: 2 blocked" in err
    assert "hunter2" not in json.dumps(out)


def test_replay_reports_bad_lines_and_goes_on(tmp_path: Path) -> None:
    code, out, err = _replay(tmp_path, ["not json", json.dumps({"url": "/x"}), json.dumps({"method": "GET", "url": "/ok"})])
    assert code == 1
    assert [o["index"] for o in out] == [2]
    assert "line 1" in err and "line 2" in err and "method" in err


def test_replay_har_with_spec(tmp_path: Path) -> None:
    har = {"log": {"entries": [
        {"request": {"method": "GET", "url": "https://api.shop.example/v1/orders?limit=5",
                     "headers": [{"name": "Authorization", "value": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2ln"}]}},
        {"request": {"method": "GET", "url": "https://api.shop.example/v1/internal/debug", "headers": []}},
        {"response": {}},
    ]}}
    f = tmp_path / "t.har"
    f.write_text(json.dumps(har))
    r = CliRunner().invoke(app, ["guard", "replay", str(f), "--spec", str(DATA / "shop.yaml")])
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(o["action"], o["route"]) for o in out] == [("allow", "/orders"), ("block", None)]
    assert out[0]["identity"] == "ana"
    assert r.exit_code == 1 and "entry 2" in r.stderr


def test_replay_bad_spec_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.0\npaths:\n  /a: {$ref: '#/nope'}\n")
    f = tmp_path / "r.jsonl"
    f.write_text("{}\n")
    r = CliRunner().invoke(app, ["guard", "replay", str(f), "--spec", str(bad)])
    assert r.exit_code == 2 and "does not resolve" in r.stderr


def test_secret_evidence_is_redacted(tmp_path: Path) -> None:
    _code, out, _ = _replay(tmp_path, [json.dumps({"method": "POST", "url": "/login",
                                                  "headers": {"Content-Type": "application/json"},
                                                  "body": json.dumps({"password": "' OR 1=1 -- topsecret"})})])
    assert out[0]["action"] == "block"
    assert all(d["evidence"] == "[REDACTED]" for d in out[0]["detections"])
