"""An OpenAPI 3.1 document rebuilt from traffic: paths, parameters, request and response schemas
inferred from every sample, and the auth schemes seen. Merged into an existing spec, it only adds
what the spec lacks and never overwrites what the spec says."""

from __future__ import annotations

import copy
import re
from typing import Any

from apisentry.api.inventory import Endpoint, format_of

_SCHEMES = {"bearer-jwt": ("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
            "bearer": ("bearerAuth", {"type": "http", "scheme": "bearer"}),
            "basic": ("basicAuth", {"type": "http", "scheme": "basic"}),
            "api-key": ("apiKeyAuth", {"type": "apiKey", "in": "header", "name": "X-API-Key"}),
            "cookie": ("cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session"})}


def infer_schema(samples: list[Any], depth: int = 0) -> dict[str, Any]:
    """One schema that every sample satisfies: object properties merged, `required` only for the keys
    present in all samples, types widened (integer+number is number; anything else mixed is a list)."""
    if depth > 20 or not samples:
        return {}
    types = {_type(s) for s in samples}
    if types == {"integer", "number"}:
        types = {"number"}
    if len(types) > 1:
        if "null" in types and len(types) == 2:
            (t,) = types - {"null"}
            inner = infer_schema([s for s in samples if s is not None], depth)
            inner["type"] = [t, "null"]
            return inner
        return {"type": sorted(types)}
    (t,) = types
    if t == "object":
        keys: dict[str, list[Any]] = {}
        for s in samples:
            for k, v in s.items():
                keys.setdefault(k, []).append(v)
        props = {k: infer_schema(v, depth + 1) for k, v in sorted(keys.items())}
        required = sorted(k for k, v in keys.items() if len(v) == len(samples))
        out: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        return out
    if t == "array":
        items = [x for s in samples for x in s]
        return {"type": "array", "items": infer_schema(items, depth + 1) if items else {}}
    if t == "string":
        fmt = _format(samples)
        return {"type": "string", **({"format": fmt} if fmt else {})}
    return {"type": t}


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "string"


def _format(samples: list[str]) -> str | None:
    """A format every sample has, or None."""
    formats = {format_of(s) for s in samples}
    return formats.pop() if len(formats) == 1 else None


def _operation(ep: Endpoint) -> dict[str, Any]:
    params: list[dict[str, Any]] = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                                    for n in re.findall(r"\{([^}]+)\}", ep.path)]
    for key, p in sorted(ep.params.items()):
        if p["in"] in ("query", "header"):
            schema: dict[str, Any] = {"type": p["type"]}
            if p.get("format"):
                schema["format"] = p["format"]
            params.append({"name": key.split(".", 1)[1], "in": p["in"], "required": p["seen"] == ep.calls,
                           "schema": schema})
    op: dict[str, Any] = {"summary": f"{ep.method} {ep.path} (seen {ep.calls} times)"}
    if params:
        op["parameters"] = params
    if ep.samples:
        op["requestBody"] = {"content": {"application/json": {"schema": infer_schema(ep.samples)}}}
    responses: dict[str, Any] = {}
    for status in sorted(ep.statuses):
        responses[str(status)] = {"description": "observed"}
    if ep.response_samples and responses:
        ok = next((s for s in responses if s.startswith("2")), None)
        if ok:
            responses[ok]["content"] = {"application/json": {"schema": infer_schema(ep.response_samples)}}
    op["responses"] = responses or {"default": {"description": "observed"}}
    schemes = [_SCHEMES[a][0] for a in sorted(ep.auth) if a in _SCHEMES]
    if schemes:
        op["security"] = [{s: []} for s in sorted(set(schemes))] + ([{}] if "none" in ep.auth else [])
    return op


def reconstruct(endpoints: list[Endpoint], base: dict[str, Any] | None = None, title: str = "Reconstructed from traffic") -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(base) if base else {"openapi": "3.1.0", "info": {"title": title, "version": "observed"}}
    doc.setdefault("paths", {})
    comps = doc.setdefault("components", {}).setdefault("securitySchemes", {})
    for ep in endpoints:
        item = doc["paths"].setdefault(ep.path, {})
        method = ep.method.lower()
        if method not in item:  # never overwrite what the spec already says
            item[method] = _operation(ep)
        for a in ep.auth:
            if a in _SCHEMES:
                name, scheme = _SCHEMES[a]
                comps.setdefault(name, scheme)
    return doc
