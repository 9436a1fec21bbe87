"""Compressed request bodies are read as the application will read them."""

from __future__ import annotations

import gzip
import zlib

import pytest

from apisentry.guard import Guard, HttpRequest
from apisentry.guard.spec import compile_spec

JSON = [("Content-Type", "application/json")]
ATTACK = b'{"name": "a", "q": "1 UNION SELECT password FROM users--"}'
BENIGN = b'{"name": "a", "q": "the union of two sets"}'


@pytest.mark.parametrize("encode", [gzip.compress, zlib.compress, lambda b: zlib.compress(b)[2:-4]],
                         ids=["gzip", "deflate", "raw deflate"])
def test_an_attack_gzipped_past_the_detectors_is_found(encode) -> None:  # type: ignore[no-untyped-def]
    coding = "gzip" if encode is gzip.compress else "deflate"
    g = Guard()
    v = g.inspect(HttpRequest("POST", "/x", "", [*JSON, ("Content-Encoding", coding)], encode(ATTACK)))
    assert v.action == "block" and any(d.detector == "sqli" for d in v.detections), v.detections
    v = g.inspect(HttpRequest("POST", "/x", "", [*JSON, ("Content-Encoding", coding)], encode(BENIGN)))
    assert v.action == "allow" and v.detections == []


def test_the_schema_applies_to_the_decompressed_body() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "additionalProperties": False}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"post": {
        "requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": {"200": {"description": "ok"}}}}}}
    g = Guard(spec=compile_spec(doc))
    gz = [*JSON, ("Content-Encoding", "gzip")]
    assert g.inspect(HttpRequest("POST", "/x", "", gz, gzip.compress(b'{"name": "a"}'))).action == "allow"
    v = g.inspect(HttpRequest("POST", "/x", "", gz, gzip.compress(b'{"name": "a", "role": "admin"}')))
    assert v.action == "block" and any("mass assignment" in d.message for d in v.detections)


def test_bombs_lies_and_unknown_codings() -> None:
    g = Guard()
    gz = [*JSON, ("Content-Encoding", "gzip")]
    bomb = gzip.compress(b'{"name": "' + b"a" * (2 << 20) + b'"}')  # 2 MB from a few KB
    v = g.inspect(HttpRequest("POST", "/x", "", gz, bomb))
    assert v.action == "block" and any("decompresses to more than" in d.message for d in v.detections)
    v = g.inspect(HttpRequest("POST", "/x", "", gz, b"not gzip at all"))
    assert v.action == "block" and any("is not the gzip" in d.message for d in v.detections)
    v = g.inspect(HttpRequest("POST", "/x", "", [*JSON, ("Content-Encoding", "br")], b"\x8b\x01\x80"))
    assert any("does not read (br)" in d.message for d in v.detections)  # noted, not inspected
    # codings apply in order: gzip over deflate is undone gzip first
    both = gzip.compress(zlib.compress(ATTACK))
    v = g.inspect(HttpRequest("POST", "/x", "", [*JSON, ("Content-Encoding", "deflate, gzip")], both))
    assert any(d.detector == "sqli" for d in v.detections)


@pytest.mark.parametrize("charset", ["utf-16", "utf-16-le", "utf-32", "utf-8-sig"])
def test_json_in_the_encodings_python_reads_is_inspected(charset: str) -> None:
    """Python's json.loads reads UTF-16, UTF-32 and a byte order mark by RFC 8259's detection;
    orjson reads UTF-8 only, so such a body carried its attack past the detectors as bytes."""
    v = Guard().inspect(HttpRequest("POST", "/x", "", JSON, ATTACK.decode().encode(charset)))
    assert v.action == "block" and any(d.detector == "sqli" and d.location.startswith("body$") for d in v.detections)
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "q": {"type": "string"}},
              "additionalProperties": False}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"post": {
        "requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": {"200": {"description": "ok"}}}}}}
    g = Guard(spec=compile_spec(doc))
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, BENIGN.decode().encode(charset))).action == "allow"
    v = g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"name": "a", "role": "admin"}'.decode().encode(charset)))
    assert any("mass assignment" in d.message for d in v.detections)
