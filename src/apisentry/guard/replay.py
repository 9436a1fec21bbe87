"""Requests from files, for `apisentry guard replay`: JSON Lines (one request an object: `method`,
`url`, `headers`, `body` or `body_b64`) or a HAR file. A bad line or entry is reported with its
number and skipped; the rest are replayed."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from apisentry.guard.model import HttpRequest


@dataclass
class ReplayProblem:
    where: str  # "line 12" or "entry 3"
    why: str


def _headers(h: Any) -> list[tuple[str, str]]:
    if isinstance(h, dict):
        return [(str(k), str(v)) for k, v in h.items()]
    if isinstance(h, list):
        out = []
        for item in h:
            if isinstance(item, dict) and "name" in item:
                out.append((str(item["name"]), str(item.get("value", ""))))
            elif isinstance(item, list | tuple) and len(item) == 2:
                out.append((str(item[0]), str(item[1])))
        return out
    return []


def _split_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path or "/", parts.query


def request_from_obj(obj: Any) -> HttpRequest:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    method = obj.get("method")
    url = obj.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise ValueError("needs `method` and `url` as strings")
    path, query = _split_url(url)
    if "body_b64" in obj:
        try:
            body = base64.b64decode(str(obj["body_b64"]), validate=True)
        except (binascii.Error, ValueError) as e:
            raise ValueError(f"body_b64 is not base64: {e}") from e
    else:
        b = obj.get("body")
        body = b"" if b is None else (b if isinstance(b, str) else orjson.dumps(b).decode()).encode("utf-8", "surrogatepass")
    return HttpRequest(method.upper(), path, query, _headers(obj.get("headers")), body, obj.get("client"))


def _har_request(entry: Any) -> HttpRequest:
    req = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(req, dict):
        raise ValueError("entry without a request")
    post = req.get("postData") or {}
    text = post.get("text") if isinstance(post, dict) else None
    body = b""
    if isinstance(text, str):
        if post.get("encoding") == "base64":
            try:
                body = base64.b64decode(text)
            except (binascii.Error, ValueError) as e:
                raise ValueError(f"postData is not base64: {e}") from e
        else:
            body = text.encode("utf-8", "surrogatepass")
    headers = _headers(req.get("headers"))
    if isinstance(post, dict) and post.get("mimeType") and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", str(post["mimeType"])))
    return request_from_obj({"method": req.get("method"), "url": req.get("url"), "headers": headers,
                             "body_b64": base64.b64encode(body).decode()})


def is_har(path: Path) -> bool:
    if path.suffix.lower() == ".har":
        return True
    with path.open("rb") as f:
        head = f.read(4096).lstrip()
    return (head.startswith(b"{") and b'"log"' in head[:200] and b'"entries"' in head) or head.startswith(b'{"log"')


def read_requests(path: str | Path, problems: list[ReplayProblem]) -> Iterator[tuple[int, HttpRequest]]:
    """(index, request) for every readable request; the index counts every line or entry, good or bad."""
    p = Path(path)
    if is_har(p):
        try:
            doc = orjson.loads(p.read_bytes())
        except orjson.JSONDecodeError as e:
            problems.append(ReplayProblem("file", f"not a readable HAR file: {e}"))
            return
        entries = (doc.get("log") or {}).get("entries") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            problems.append(ReplayProblem("file", "HAR without log.entries"))
            return
        for i, entry in enumerate(entries):
            try:
                yield i, _har_request(entry)
            except ValueError as e:
                problems.append(ReplayProblem(f"entry {i}", str(e)))
        return
    with p.open("rb") as f:
        index = 0
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield index, request_from_obj(orjson.loads(line))
            except (orjson.JSONDecodeError, ValueError) as e:
                problems.append(ReplayProblem(f"line {lineno}", str(e)))
            index += 1
