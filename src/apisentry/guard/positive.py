"""Checks a request against the compiled spec (the positive model). Every violation scores the
block threshold by default: a request the API does not describe is not one it should serve."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from apisentry.guard.locations import media_type
from apisentry.guard.model import Detection, HttpRequest
from apisentry.guard.spec import Operation, Param, Spec

NO_BODY = object()  # the body was not JSON, or there was none


def _d(location: str, evidence: str, message: str, category: str = "API8:2023", cwe: str = "CWE-20",
       score: int = 5) -> Detection:
    return Detection("schema", category, cwe, location, evidence[:120], score, message)


def _segments_decoded(path: str) -> str:
    """The path decoded segment by segment: an encoded slash stays inside its segment
    (`/files/reports%2F2024%2Fq1.pdf` is one value of `/files/{name}`), as OpenAPI has path
    parameter values carry it; decoding first would make it two segments and an unknown path."""
    return "/".join(unquote(seg).replace("/", "%2F") for seg in path.split("/"))


# Frameworks run a POST as another method when asked to (Express's method-override, Symfony,
# Laravel, Rails, Spring's `_method`, Google's APIs): a spec that allows no DELETE here must not
# let one in as a POST.
_OVERRIDE_HEADERS = ("x-http-method-override", "x-http-method", "x-method-override")


def _method_override(req: HttpRequest, headers: dict[str, str], query: dict[str, str]) -> str | None:
    for name in _OVERRIDE_HEADERS:
        if name in headers:
            return headers[name].strip().upper()
    got = query.get("_method")
    if not got and req.body and media_type(headers.get("content-type")) == "application/x-www-form-urlencoded" \
            and b"_method" in req.body:
        # Rails' and Laravel's forms carry it as a field.
        got = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)).get("_method")
    return got.strip().upper() if got else None


def check(spec: Spec, req: HttpRequest, body: Any, cookies: dict[str, str],
          query: dict[str, str], repeated: dict[str, list[str]] | None = None) -> tuple[Operation | None, list[Detection]]:
    """`query` has the last value of each name; `repeated`, every value of the names given more
    than once."""
    path = _segments_decoded(req.path) if "%" in req.path else req.path
    headers = {k.lower(): v for k, v in req.headers}
    method = req.method.upper()
    override = _method_override(req, headers, query)
    shown = method
    if override and override != method:
        # The application may run the request as this method: it is checked as one.
        method, shown = override, f"{method} (overridden to {override})"
    op, known = spec.match(method, path, query, headers)
    if op is None and known and method == "OPTIONS" and "origin" in headers \
            and "access-control-request-method" in headers:
        # A browser's CORS preflight, which specs do not describe: the CORS layer answers it, and
        # the request it asks about is checked when it comes.
        return None, []
    if op is None:
        if known and spec.match(method, path)[0] is not None:
            # Operations here tell themselves apart by a query or header value this request lacks.
            return None, [_d("path", f"{shown} {path}", "no operation of the spec here takes this request "
                             "(the query or header that selects one is missing or unknown)", "API9:2023", "CWE-1059")]
        if known:
            return None, [_d("path", f"{shown} {path}", "method not allowed for this path by the spec",
                             "API9:2023", "CWE-749")]
        return None, [_d("path", path, "path not in the spec (shadow endpoint)", "API9:2023", "CWE-1059")]
    out: list[Detection] = []
    found: list[str] | None = None
    for base in spec.base_paths:
        rel = path[len(base):] if base and path.startswith(base) else path
        found = op.path_values(rel or "/")
        if found is not None:
            break
    path_values = [v.replace("%2F", "/") for v in found] if found is not None else []
    path_params = [p for p in op.params if p.where == "path"]
    for i, p in enumerate(path_params):
        if i < len(path_values):
            out.extend(_check_param(p, path_values[i], f"path.{p.name}"))
    for p in op.params:
        if p.where == "path":
            continue
        src = query if p.where == "query" else headers if p.where == "header" else cookies if p.where == "cookie" else {}
        key = p.name.lower() if p.where == "header" else p.name
        if key not in src:
            if p.required:
                out.append(_d(f"{p.where}.{p.name}", "", f"required {p.where} parameter {p.name} is missing"))
            continue
        if repeated and p.where == "query" and key in repeated:
            out.extend(_check_repeated(p, repeated[key]))
            continue
        out.extend(_check_param(p, src[key], f"{p.where}.{p.name}"))
    out.extend(_check_body(op, req, body, spec.read_only))
    if op.deprecated:
        out.append(_d("path", f"{req.method} {op.template}", "call to an operation the spec marks deprecated (zombie API)",
                      "API9:2023", "CWE-1059", score=1))
    return op, out


def _coerce(p: Param, raw: str) -> Any:
    t = p.schema.get("type") if isinstance(p.schema, dict) else None
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    try:
        if t == "integer":
            return int(raw)
        if t == "number":
            return float(raw)
        if t == "boolean":
            return {"true": True, "false": False}.get(raw.lower(), raw)
        if t == "array":
            items = (p.schema.get("items") or {}) if isinstance(p.schema, dict) else {}
            sub = Param(p.name, p.where, False, items if isinstance(items, dict) else {})
            return [_coerce(sub, x) for x in raw.split(",")] if raw else []
    except ValueError:
        return raw
    return raw


def _check_param(p: Param, raw: str, where: str) -> list[Detection]:
    if p.validator is None:
        return []
    value = _coerce(p, raw)
    if p.validator.is_valid(value):
        return []
    err = next(iter(p.validator.iter_errors(value)), None)
    why = str(err.message) if err is not None else "invalid"
    return [_d(where, raw, f"{p.where} parameter {p.name}: {why}")]


def _is_array(p: Param) -> bool:
    return isinstance(p.schema, dict) and p.schema.get("type") == "array"


def _check_repeated(p: Param, values: list[str]) -> list[Detection]:
    """A name given more than once: an array's items (`?tag=a&tag=b`), each checked; for any other
    type, which of two different values a server takes differs (the first, the last, both), so the
    request is not one the spec describes, and every value is checked."""
    where = f"query.{p.name}"
    if _is_array(p):
        return _check_param(p, ",".join(values), where)
    if len(set(values)) == 1:  # the same value again: every server takes that one
        return _check_param(p, values[0], where)
    out = [_d(where, "&".join(values)[:120], f"query parameter {p.name} given {len(values)} times; "
              "the spec describes one value (HTTP parameter pollution)")]
    for v in values:
        out.extend(_check_param(p, v, where))
    return out


def _check_form(op: Operation, raw: bytes, read_only: frozenset[str]) -> list[Detection]:
    """A form's fields as the schema's types (`age=3` is the integer 3), checked like a JSON body:
    an undeclared field (`role=admin`) is mass assignment there too. A field given twice is a list,
    which only an array field is."""
    given: dict[str, list[str]] = {}
    for name, text in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        given.setdefault(name, []).append(text)
    doc: dict[str, Any] = {}
    for name, texts in given.items():
        p = op.form_fields.get(name)
        if p is None:
            doc[name] = texts[-1]
        elif _is_array(p):
            doc[name] = _coerce(p, ",".join(texts))
        else:
            doc[name] = [_coerce(p, t) for t in texts] if len(set(texts)) > 1 else _coerce(p, texts[0])
    if op.form_validator.is_valid(doc):
        return []
    return _schema_errors(op.form_validator, doc, "form", "field", read_only)


_QUOTED = re.compile(r"'([^']+)'")


def _check_body(op: Operation, req: HttpRequest, body: Any, read_only: frozenset[str]) -> list[Detection]:
    if not req.body:
        if op.body_required:
            return [_d("body", "", "request body required by the spec is missing")]
        return []
    mt = media_type(req.header("content-type"))
    if op.content_types and mt not in op.content_types and not any(
            (c.endswith("/*") and mt.startswith(c[:-1])) or c == "*/*" for c in op.content_types):
        return [_d("header.Content-Type", mt or "(none)", f"content type not accepted here (spec: {', '.join(op.content_types)})",
                   "API8:2023", "CWE-436")]
    if not op.content_types and req.method in ("GET", "HEAD", "DELETE"):
        return [_d("body", f"{len(req.body)} bytes", "a body where the spec defines none")]
    if mt == "application/x-www-form-urlencoded" and op.form_validator is not None:
        return _check_form(op, req.body, read_only)
    if op.body_validator is not None and body is NO_BODY and "json" in mt:
        # What the guard cannot read it cannot check, while lenient parsers read it: Python's
        # `NaN`, .NET's trailing commas. `{"amount": NaN, "role": "admin"}` would carry
        # an undeclared property past the schema.
        return [_d("body", f"{len(req.body)} bytes", "a JSON body that is not valid JSON: its schema cannot be checked")]
    if op.body_validator is None or body is NO_BODY or op.body_validator.is_valid(body):
        return []  # is_valid first: most bodies are valid, and it builds no error objects
    return _schema_errors(op.body_validator, body, "body$", "property", read_only)


def _schema_errors(validator: Any, doc: Any, location: str, part: str, read_only: frozenset[str]) -> list[Detection]:
    """The first ten ways `doc` breaks its schema, each where it is (`body$.items[2]`, `form.age`);
    an undeclared or `readOnly` property is mass assignment."""
    out = []
    for err in validator.iter_errors(doc):
        loc = location + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err.instance_path)
        msg = str(err.message)
        category, cwe = "API8:2023", "CWE-20"
        if "additional properties" in msg.lower():
            category, cwe = "API3:2023", "CWE-915"
            names = set(_QUOTED.findall(msg[msg.find("("):]))
            kind = f"readOnly {part}" if names & read_only else f"{part} not declared by the schema"
            msg = f"{kind} (mass assignment): {msg}"
        out.append(_d(loc, str(err.instance)[:120], msg, category, cwe))
        if len(out) >= 10:
            break
    return out
