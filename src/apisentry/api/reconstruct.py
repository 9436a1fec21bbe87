"""An OpenAPI 3.1 document rebuilt from traffic: paths, parameters, request and response schemas
inferred from every sample, and the auth schemes seen. Merged into an existing spec, it only adds
what the spec lacks and never overwrites what the spec says."""

from __future__ import annotations

import copy
import re
from typing import Any

from apisentry.api.inventory import Endpoint

_SCHEMES = {"bearer-jwt": ("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}),
            "bearer": ("bearerAuth", {"type": "http", "scheme": "bearer"}),
            "basic": ("basicAuth", {"type": "http", "scheme": "basic"}),
            "api-key": ("apiKeyAuth", {"type": "apiKey", "in": "header", "name": "X-API-Key"}),
            "cookie": ("cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session"})}


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
    if ep.request_schema.seen:
        media = ep.request_media.most_common(1)[0][0] if ep.request_media else "application/json"
        op["requestBody"] = {"content": {media: {"schema": ep.request_schema.schema()}}}
    responses: dict[str, Any] = {}
    for status in sorted(ep.statuses):
        responses[str(status)] = {"description": "observed"}
    if ep.response_schema.seen and responses:
        ok = next((s for s in responses if s.startswith("2")), None)
        if ok:
            responses[ok]["content"] = {"application/json": {"schema": ep.response_schema.schema()}}
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
