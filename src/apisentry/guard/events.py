"""Every guarded call becomes an ApiEvent row: method, route, status, caller, verdict, latency.
Built off the request path (in the sink's thread), with secrets redacted first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson

from apisentry.guard.locations import media_type
from apisentry.guard.model import HttpRequest, Verdict
from apisentry.guard.redact import (
    REDACTED,
    is_secret_location,
    redact_headers,
    redact_json,
    redact_query,
    redact_text,
)

MAX_LOGGED_BODY = 16 * 1024


@dataclass(slots=True)
class CallRecord:
    """What the request path hands to the sink: references only, no work."""

    request: HttpRequest
    verdict: Verdict
    status: int
    latency_ms: float
    time: float  # epoch seconds


def _body(req: HttpRequest) -> Any:
    if not req.body:
        return None
    if len(req.body) > MAX_LOGGED_BODY:
        return {"truncated": True, "bytes": len(req.body)}
    mt = media_type(req.header("content-type"))
    if "json" in mt:
        try:
            return redact_json(orjson.loads(req.body))
        except orjson.JSONDecodeError:
            pass
    if mt == "application/x-www-form-urlencoded":
        return dict(redact_query(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True)))
    return redact_text(req.body.decode("utf-8", "replace"))


def verdict_dict(v: Verdict) -> dict[str, Any]:
    d = v.to_dict()
    dets: list[dict[str, Any]] = d["detections"]  # type: ignore[assignment]
    for det in dets:
        det["evidence"] = REDACTED if is_secret_location(det["location"]) else redact_text(det["evidence"])
    return d


def event_row(rec: CallRecord) -> dict[str, Any]:
    req, v = rec.request, rec.verdict
    blocked = v.action == "block"
    ua = req.header("user-agent")
    request = {
        "path": req.path,
        "query": dict(redact_query(parse_qsl(req.query, keep_blank_values=True))) if req.query else {},
        "headers": dict(redact_headers(req.headers)),
        "body": _body(req),
        "verdict": verdict_dict(v),
        "latency_ms": round(rec.latency_ms, 3),
    }
    return {
        "uid": v.request_id,
        "time": datetime.fromtimestamp(rec.time, UTC).replace(tzinfo=None),
        "cloud_provider": "http",
        "cloud_account": None,
        "cloud_region": None,
        "actor_identity": v.identity or req.client,
        "actor_type": "user" if v.identity else "anonymous",
        "actor_user_uid": v.identity,
        "actor_user_name": v.identity,
        "api_service": req.header("host"),
        "api_operation": f"{req.method} {v.route or req.path}",
        "src_ip": req.client,
        "user_agent": ua,
        "resources": [req.path],
        "status": "failure" if blocked or rec.status >= 400 else "success",
        "error_code": "blocked" if blocked else (str(rec.status) if rec.status >= 400 else None),
        "error_message": "; ".join(sorted({d.message for d in v.detections}))[:500] if blocked else None,
        "read_only": req.method.upper() in ("GET", "HEAD", "OPTIONS"),
        "http_method": req.method.upper(),
        "http_route": v.route,
        "http_status": rec.status,
        "request": orjson.dumps(request, default=str).decode(),
        "response": None,
        "raw": orjson.dumps({"request": request, "status": rec.status}, default=str).decode(),
        "source_file": "guard",
    }
