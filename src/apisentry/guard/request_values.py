"""From a request to the list of values the scanner reads, plus what is wrong with the request's
shape itself: oversize parts, bodies that are not what they claim, operator and prototype keys,
internal URLs, abusive GraphQL."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from apisentry.guard import graphql
from apisentry.guard.config import GuardConfig
from apisentry.guard.locations import (
    BodyError,
    Value,
    header_values,
    json_values,
    media_type,
    multipart_values,
    path_values,
    query_values,
)
from apisentry.guard.model import Detection, HttpRequest
from apisentry.guard.positive import NO_BODY
from apisentry.guard.signatures import CATEGORY

# MongoDB query operators that turn a value into a condition. `$type`, `$schema`, `$id` and the
# like are left out: JSON-LD, JSON Schema and .NET serialisers use them as ordinary keys.
_NOSQL_OPS = frozenset({"$ne", "$eq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$where", "$exists",
                        "$expr", "$or", "$and", "$not", "$nor", "$elemmatch", "$function", "$accumulator"})
_BRACKET_KEY = re.compile(r"\[\s*(\$\w+)\s*\]")
# In a query name, comparison operators (`createdAt[$gte]=...`) are also ordinary filter syntax of
# qs-style APIs; the ones that bypass a check (`password[$ne]=`) or run code are not.
_WEAK_BRACKET_OPS = frozenset({"$gt", "$gte", "$lt", "$lte", "$eq", "$in"})
_PROTO = re.compile(r"__proto__|constructor\s*(?:\.|\[\s*['\"]?)\s*prototype", re.IGNORECASE)


def _det(detector: str, location: str, evidence: str, score: int, message: str, category: str | None = None,
         cwe: str | None = None) -> Detection:
    cat, c = CATEGORY.get(detector, ("API8:2023", "CWE-20"))
    return Detection(detector, category or cat, cwe or c, location, evidence[:120], score, message)


@dataclass
class Parsed:
    values: list[Value]
    problems: list[Detection]
    body: Any = None  # the parsed JSON body, or positive.NO_BODY
    cookies: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)  # the last value of each name
    # Every value of each name given more than once (`?n=500&n=5`): servers differ in which one
    # they take, so the positive model checks them all.
    repeated: dict[str, list[str]] = field(default_factory=dict)


def collect_values(req: HttpRequest, cfg: GuardConfig) -> Parsed:
    problems: list[Detection] = []
    parsed = Parsed([], problems, NO_BODY)
    values: list[Value] = list(path_values(req.path))
    pairs = parse_qsl(req.query, keep_blank_values=True) if req.query else []
    parsed.query = dict(pairs)  # before JSON-valued parameters are expanded into their leaves
    if len(parsed.query) < len(pairs):
        for name, text in pairs:
            parsed.repeated.setdefault(name, []).append(text)
        parsed.repeated = {name: texts for name, texts in parsed.repeated.items() if len(texts) > 1}
    values.extend(query_values(pairs))
    header_bytes = sum(len(k) + len(v) for k, v in req.headers)
    if header_bytes > cfg.max_header_bytes:
        problems.append(_det("limits", "header", f"{header_bytes} bytes", 5, "headers larger than allowed",
                             "API4:2023", "CWE-770"))
    for v in header_values(req):
        values.append(v)
        if v.base.startswith("cookie."):
            parsed.cookies[v.base[7:]] = v.text
    authorizations = 0
    for hk, hv in req.headers:
        if "\r" in hv or "\n" in hv:
            problems.append(_det("crlf", "header", hv, 5, "line break inside a header value"))
        if len(hk) == 13 and hk.lower() == "authorization":
            authorizations += 1
    if authorizations > 1:
        # Not a list header (RFC 9110): a proxy may check one and the application use the other.
        problems.append(_det("auth", "header.Authorization", "2 or more", 5, "Authorization header given more than once",
                             "API2:2023", "CWE-287"))
    problems.extend(_body_values(req, cfg, values, parsed))
    if len(values) > cfg.max_values:
        problems.append(_det("limits", "body", f"{len(values)} values", 5, "more parameters than allowed",
                             "API4:2023", "CWE-770"))
        del values[cfg.max_values:]
    parsed.values = _scanned_values(values, cfg, problems)
    return parsed


def _scanned_values(values: list[Value], cfg: GuardConfig, problems: list[Detection]) -> list[Value]:
    """The values the scanner reads, in one pass: a value that is a JSON document is replaced by
    its leaves, keys are checked for operators and prototype pollution, and keys that are plain
    identifiers, which carry no payload, are dropped."""
    out: list[Value] = []
    for v in values:
        t = v.text
        if v.is_key:
            _key_checks(v, problems)
            if t.isidentifier():
                continue
        elif len(t) > 1 and t[0] in "[{" and t[-1] in "]}":
            leaves = _json_leaves(v, cfg)
            if leaves is not None:
                for leaf in leaves:
                    if leaf.is_key:
                        _key_checks(leaf, problems)
                        if leaf.text.isidentifier():
                            continue
                    out.append(leaf)
                continue
        out.append(v)
    return out


def _key_checks(v: Value, problems: list[Detection]) -> None:
    """Operator and prototype-pollution keys. (Internal URLs are found by the scanner's SSRF gate.)"""
    t = v.text
    low = t.lower()
    if low in _NOSQL_OPS:
        if v.base.startswith(("query.", "form.")):
            # A whole parameter named `$where` is Socrata's SoQL as often as an attack on code
            # that hands the parsed query to MongoDB; its value decides (`sleep(5000)` adds 4).
            problems.append(_det("nosqli", v.location, t, 2, "NoSQL query operator as a parameter name"))
        else:
            problems.append(_det("nosqli", v.location, t, 5, "NoSQL query operator as a key"))
    elif "[" in t:
        ops = {k.lower() for k in _BRACKET_KEY.findall(t)} & _NOSQL_OPS
        if ops:
            weak = ops <= _WEAK_BRACKET_OPS
            problems.append(_det("nosqli", v.location, t, 2 if weak else 5,
                                 "comparison operator in a parameter name" if weak
                                 else "NoSQL query operator in a parameter name"))
    if "proto" in low and _PROTO.search(t):
        problems.append(_det("proto", v.location, t, 5, "prototype pollution key"))


def _json_leaves(v: Value, cfg: GuardConfig) -> list[Value] | None:
    """A parameter whose value is a JSON document (`?filter={"status":["open"]}`) is read as JSON:
    its leaves are the values, so JSON's own quotes and brackets are not taken for an attack.
    None when it is not JSON after all."""
    try:
        doc = orjson.loads(v.text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict | list):
        return None
    try:
        return json_values(doc, cfg.max_json_depth, v.location)
    except BodyError:
        return None


def _body_values(req: HttpRequest, cfg: GuardConfig, values: list[Value], parsed: Parsed) -> list[Detection]:
    body = req.body
    if not body:
        return []
    if len(body) > cfg.max_body_bytes:
        return [_det("limits", "body", f"{len(body)} bytes", 5, f"body larger than {cfg.max_body_bytes} bytes",
                     "API4:2023", "CWE-770")]
    ctype = req.header("content-type") or ""
    mt = media_type(ctype)
    try:
        if mt == "application/json" or mt.endswith("+json") or (not mt and body[:1] in (b"{", b"[")):
            return _json_body(req, body, cfg, values, parsed)
        if mt == "application/x-www-form-urlencoded":
            values.extend(query_values(body.decode("utf-8", "replace"), "form"))
            return []
        if mt.startswith("multipart/"):
            values.extend(multipart_values(body, ctype))
            return []
        if mt in ("application/xml", "text/xml") or mt.endswith("+xml") or body.lstrip()[:5] in (b"<?xml", b"<!DOC"):
            return _xml_body(body, values)
        if mt == "application/graphql":
            return _graphql("body", body.decode("utf-8", "replace"), req, cfg)
    except BodyError as e:
        text = body.decode("utf-8", "replace")
        values.append(Value("body", text))
        return [_det("body", "body", str(e), 5 if "deeper" in str(e) else 2, str(e), "API4:2023" if "deeper" in str(e) else "API8:2023", "CWE-20")]
    values.append(Value("body", body.decode("utf-8", "replace")))
    return []


def _json_body(req: HttpRequest, body: bytes, cfg: GuardConfig, values: list[Value], parsed: Parsed) -> list[Detection]:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        doc = _json_in_other_encoding(body)
        if doc is None:
            raise BodyError(f"malformed JSON body: {e}") from e
    parsed.body = doc
    values.extend(json_values(doc, cfg.max_json_depth))
    out: list[Detection] = []
    gql_docs = doc if isinstance(doc, list) else [doc]
    if len(gql_docs) > cfg.graphql_max_batch and all(isinstance(d, dict) and "query" in d for d in gql_docs):
        out.append(_det("graphql", "body$", f"{len(gql_docs)} operations", 5, "GraphQL batch larger than allowed"))
    for i, d in enumerate(gql_docs[: cfg.graphql_max_batch + 1]):
        if isinstance(d, dict) and isinstance(d.get("query"), str) and graphql.looks_like_graphql(req.path, d["query"]):
            where = "body$.query" if d is doc else f"body$[{i}].query"
            out.extend(_graphql(where, d["query"], req, cfg))
    return out


def _json_in_other_encoding(body: bytes) -> Any:
    """JSON in UTF-16 or UTF-32, or behind a byte order mark, which Python's `json.loads` reads (by
    RFC 8259's detection) and orjson does not: read as the application would, or None."""
    encoding = json.detect_encoding(body)
    if encoding == "utf-8" and not body.startswith(codecs.BOM_UTF8):
        return None
    try:
        return orjson.loads(body.decode(encoding).lstrip("\ufeff"))
    except (UnicodeDecodeError, orjson.JSONDecodeError):
        return None


def _graphql(where: str, query: str, req: HttpRequest, cfg: GuardConfig) -> list[Detection]:
    depth, aliases, introspection = graphql.shape(query)
    out = []
    if introspection and not cfg.graphql_introspection:
        out.append(_det("graphql", where, "__schema/__type", 5, "GraphQL introspection is disabled", "API8:2023", "CWE-200"))
    if depth > cfg.graphql_max_depth:
        out.append(_det("graphql", where, f"depth {depth}", 5, f"GraphQL query deeper than {cfg.graphql_max_depth}"))
    if aliases > cfg.graphql_max_aliases:
        out.append(_det("graphql", where, f"{aliases} aliases", 5, f"more than {cfg.graphql_max_aliases} GraphQL aliases"))
    return out


def _xml_body(body: bytes, values: list[Value]) -> list[Detection]:
    document = Value("body", body.decode("utf-8", "replace"))
    values.append(document)  # DTDs and entities are matched by the xxe signatures
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        return []
    except SafeET.ParseError as e:
        return [_det("body", "body", str(e), 2, f"malformed XML body: {e}", "API8:2023", "CWE-20")]
    document.xxe_only = True  # well-formed: its text and attributes follow as values
    stack = [(f"xml/{_local(root.tag)}", root)]
    while stack:
        where, el = stack.pop()
        if el.text and el.text.strip():
            values.append(Value(where, el.text))
        for k, v in el.attrib.items():
            values.append(Value(f"{where}@{_local(k)}", v))
        for child in el:
            stack.append((f"{where}/{_local(child.tag)}", child))
    return []


def _local(tag: object) -> str:
    t = str(tag)
    return t.rsplit("}", 1)[-1]
