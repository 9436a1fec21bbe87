"""The answer to a blocked request: an RFC 9457 problem document with the request id, and nothing
that tells an attacker which rule fired."""

from __future__ import annotations

import orjson

from apisentry.guard.model import Verdict

STATUS = 403
CONTENT_TYPE = "application/problem+json"


def problem_body(v: Verdict, path: str) -> bytes:
    return orjson.dumps({
        "type": "https://apisentry.dev/problems/request-blocked",
        "title": "Request blocked",
        "status": STATUS,
        "detail": "The request was blocked by the API's security policy. Quote the request id if you "
                  "believe this is a mistake.",
        "instance": path,
        "request_id": v.request_id,
    })
