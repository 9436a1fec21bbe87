"""An OpenAPI 3.1 document rebuilt from traffic: paths, parameters, request and response schemas
inferred from every sample, and the auth schemes seen.

Merged into an existing spec it only adds what the spec lacks and never overwrites what the spec
says, in the spec's own dialect (Swagger 2.0, OpenAPI 3.0 or 3.1), so the result stays one valid
document. Paths are written relative to the spec's server (`/v1` in `servers` or `basePath`), and an
observed `/v1/users/{id}` lands on the spec's `/users/{userId}` with the spec's parameter names.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from apisentry.api.inventory import Endpoint, template_shape
from apisentry.guard.spec import server_origin, server_path

_SCHEMES = {"bearer-jwt": ("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
            "bearer": ("bearerAuth", {"type": "http", "scheme": "bearer"}),
            "basic": ("basicAuth", {"type": "http", "scheme": "basic"}),
            "api-key": ("apiKeyAuth", {"type": "apiKey", "in": "header", "name": "X-API-Key"}),
            "cookie": ("cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session"})}
# Swagger 2.0 has neither bearer tokens nor cookies as schemes: both are the header they travel in.
_SWAGGER2_SCHEMES = {"bearerAuth": {"type": "apiKey", "in": "header", "name": "Authorization"},
                     "basicAuth": {"type": "basic"},
                     "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                     "cookieAuth": {"type": "apiKey", "in": "header", "name": "Cookie"}}
_PARAM = re.compile(r"\{([^}]+)\}")


def reconstruct(endpoints: list[Endpoint], base: dict[str, Any] | None = None, title: str = "Reconstructed from traffic") -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(base) if base else {"openapi": "3.1.0", "info": {"title": title, "version": "observed"}}
    dialect = _dialect(doc)
    if not isinstance(doc.get("paths"), dict):
        doc["paths"] = {}
    paths: dict[str, Any] = doc["paths"]
    bases = _base_paths(doc)
    known = {template_shape(k): k for k in paths}
    for ep in endpoints:
        key, outside = _key(ep.path, bases, known)
        item = paths.setdefault(key, {})
        known.setdefault(template_shape(key), key)
        method = ep.method.lower()
        if not isinstance(item, dict) or "$ref" in item or method in item:
            continue  # never overwrite what the spec already says
        item[method] = _operation(ep, key, dialect)
        # Not under the spec's server path: its own server. Swagger 2.0 puts every path under its
        # basePath and has no such override, so there the path reads as if under it.
        if outside and dialect != "2.0":
            item.setdefault("servers", [{"url": _origin(doc)}])
        for a in ep.auth:
            if a in _SCHEMES:
                name, scheme = _SCHEMES[a]
                if dialect == "2.0":
                    doc.setdefault("securityDefinitions", {}).setdefault(name, _SWAGGER2_SCHEMES[name])
                else:
                    doc.setdefault("components", {}).setdefault("securitySchemes", {}).setdefault(name, scheme)
    return doc


def _dialect(doc: dict[str, Any]) -> str:
    if str(doc.get("swagger", "")).startswith("2"):
        return "2.0"
    return "3.1" if str(doc.get("openapi", "3.1")).startswith("3.1") else "3.0"


def _base_paths(doc: dict[str, Any]) -> list[str]:
    """The path part of the spec's servers (`https://api.example.com/v1` is `/v1`), longest first."""
    if _dialect(doc) == "2.0":
        urls = [str(doc.get("basePath") or "")]
    else:
        servers = doc.get("servers")
        urls = [str(s.get("url", "")) for s in servers if isinstance(s, dict)] if isinstance(servers, list) else []
    return sorted({server_path(url) for url in urls}, key=len, reverse=True) or [""]


def _origin(doc: dict[str, Any]) -> str:
    servers = doc.get("servers")
    url = str(servers[0].get("url", "")) if isinstance(servers, list) and servers and isinstance(servers[0], dict) else ""
    return server_origin(url) or "/"


def _key(path: str, bases: list[str], known: dict[str, str]) -> tuple[str, bool]:
    """The spec's path for an observed template, and whether it lies outside every server path."""
    candidates = []
    for b in bases:
        if not b:
            candidates.append(path)
        elif path == b or path.startswith(b + "/"):
            candidates.append(path[len(b):] or "/")
    for rel in candidates:
        if template_shape(rel) in known:
            return known[template_shape(rel)], False
    if candidates:
        return _adopt_names(candidates[0], known.values()), False
    return path, True


def _adopt_names(path: str, known: Any) -> str:
    """A new path under a documented one takes the spec's parameter names for the part they share:
    `/users/{userId}/notes` beside the spec's `/users/{id}` is `/users/{id}/notes`."""
    segments = path.split("/")
    best: list[str] = []
    for k in known:
        ks = k.rstrip("/").split("/")
        if len(best) < len(ks) <= len(segments) and all(template_shape(a) == template_shape(b) for a, b in zip(ks, segments, strict=False)):
            best = ks
    out = best + segments[len(best):]
    names = _PARAM.findall("/".join(out))
    return "/".join(out) if len(names) == len(set(names)) else path


def _operation(ep: Endpoint, key: str, dialect: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                                    for n in _PARAM.findall(key)]
    for name, p in sorted(ep.params.items()):
        if p["in"] in ("query", "header"):
            schema: dict[str, Any] = {"type": p["type"]}
            if p.get("format"):
                schema["format"] = p["format"]
            params.append({"name": name.split(".", 1)[1], "in": p["in"], "required": p["seen"] == ep.calls,
                           "schema": schema})
    op: dict[str, Any] = {"summary": f"{ep.method} {ep.path} (seen {'once' if ep.calls == 1 else f'{ep.calls:,} times'})"}
    media = ep.request_media.most_common(1)[0][0] if ep.request_media else "application/json"
    request = _down(ep.request_schema.schema(), dialect) if ep.request_schema.seen else None
    response = _down(ep.response_schema.schema(), dialect) if ep.response_schema.seen else None
    responses: dict[str, Any] = {str(s): {"description": "observed"} for s in sorted(ep.statuses)}
    ok = next((s for s in responses if s.startswith("2")), None)
    if dialect == "2.0":
        params = [{k: v for k, v in p.items() if k != "schema"} | p["schema"] for p in params]
        if request is not None:
            if "form" in media:
                params += [{"name": k, "in": "formData", "required": k in request.get("required", []),
                            "type": _form_type(s)} for k, s in (request.get("properties") or {}).items()]
            else:
                params.append({"name": "body", "in": "body", "required": True, "schema": request})
            op["consumes"] = [media]
        if response is not None and ok:
            responses[ok]["schema"] = response
    else:
        if request is not None:
            op["requestBody"] = {"content": {media: {"schema": request}}}
        if response is not None and ok:
            responses[ok]["content"] = {"application/json": {"schema": response}}
    if params:
        op["parameters"] = params
    op["responses"] = responses or {"default": {"description": "observed"}}
    schemes = sorted({_SCHEMES[a][0] for a in ep.auth if a in _SCHEMES})
    if schemes:
        op["security"] = [{s: []} for s in schemes] + ([{}] if "none" in ep.auth else [])
    return op


def _form_type(schema: dict[str, Any]) -> str:
    """Swagger 2.0 form fields are scalars; anything else travels as text."""
    t = schema.get("type")
    return t if t in ("string", "number", "integer", "boolean") else "string"


def _down(schema: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A 3.1 schema (JSON Schema 2020-12) in an older dialect: `type: [T, "null"]` is `nullable`
    (`x-nullable` in Swagger 2.0), and values of several types are `anyOf` (any value in 2.0)."""
    if dialect == "3.1":
        return schema
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {k: _down(v, dialect) for k, v in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = _down(out["items"], dialect)
    types = out.get("type")
    if isinstance(types, list) or types == "null":
        types = [types] if isinstance(types, str) else types
        del out["type"]
        rest = [t for t in types if t != "null"]
        if "null" in types:
            out["x-nullable" if dialect == "2.0" else "nullable"] = True
        if len(rest) == 1:
            out["type"] = rest[0]
        elif rest and dialect == "3.0":
            out["anyOf"] = [{"type": t} for t in rest]
    return out
