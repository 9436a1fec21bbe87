"""Secrets never leave the process: credentials in headers, parameters and bodies are replaced
before an event is written or a verdict printed."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[REDACTED]"
# A bearer token that was a JWT: the shape is kept, so a stored event still says how the caller signed in.
REDACTED_JWT = "[REDACTED JWT]"

SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token",
    "x-access-token", "x-csrf-token", "x-xsrf-token", "x-amz-security-token", "x-goog-api-key",
    "x-functions-key", "ocp-apim-subscription-key",
})
# Parameter and property names whose values are secrets.
SECRET_NAME = re.compile(r"pass(?:word|wd|phrase)?$|^pwd$|secret|token|api[-_]?key|apikey|authorization|credential|"
                         r"session[-_]?id|^sid$|private[-_]?key|access[-_]?key|client[-_]?secret|^otp$|^pin$|^cvv|"
                         r"card[-_]?number|^ssn$", re.IGNORECASE)
# Values that are secrets whatever their name.
SECRET_VALUE = re.compile(
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key ids
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # JWTs
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bxox[abpr]-[A-Za-z0-9-]{10,}\b|\bsk_live_[A-Za-z0-9]{16,}\b"
    r"|\bAIza[0-9A-Za-z_-]{35}\b|(?i:bearer\s+)[A-Za-z0-9._~+/-]{16,}=*")


def redact_text(text: str) -> str:
    return SECRET_VALUE.sub(REDACTED, text) if text else text


# `name=value` in a query string, a form body or a log line.
_NAMED_VALUE = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,64})=([^&\s\"';,]+)")


def redact_line(text: str) -> str:
    """A raw line (an access-log line, a request line) with secret values and the values of
    secret-named parameters (`?token=…`, `password=…`) replaced."""
    return _NAMED_VALUE.sub(lambda m: f"{m.group(1)}={REDACTED}" if SECRET_NAME.search(m.group(1)) else m.group(0),
                            redact_text(text))


# Authorization schemes, which say how a caller signed in but not with what: kept in front of the
# redacted credentials, so a stored event still tells a bearer token from basic auth.
AUTH_SCHEMES = frozenset({"basic", "bearer", "digest", "negotiate", "ntlm", "aws4-hmac-sha256", "token", "apikey",
                          "dpop", "hoba", "mutual", "sharedkey"})
_JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def redact_authorization(value: str) -> str:
    """`Bearer [REDACTED JWT]`, `Basic [REDACTED]`; a value without a known scheme is redacted whole."""
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() not in AUTH_SCHEMES or not credentials:
        return REDACTED
    jwt = scheme.lower() == "bearer" and _JWT_SHAPE.fullmatch(credentials.strip())
    return f"{scheme} {REDACTED_JWT}" if jwt else f"{scheme} {REDACTED}"


def redact_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, redact_authorization(v) if k.lower() in ("authorization", "proxy-authorization")
             else REDACTED if k.lower() in SECRET_HEADERS else redact_text(v)) for k, v in headers]


def redact_json(doc: Any, depth: int = 0) -> Any:
    if depth > 64:
        return REDACTED
    if isinstance(doc, dict):
        return {k: (REDACTED if isinstance(k, str) and SECRET_NAME.search(k) and v is not None
                    else redact_json(v, depth + 1)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [redact_json(v, depth + 1) for v in doc]
    if isinstance(doc, str):
        return redact_text(doc)
    return doc


def redact_query(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, REDACTED if SECRET_NAME.search(k) else redact_text(v)) for k, v in pairs]


def is_secret_location(location: str) -> bool:
    """A detection's location that names a secret (its evidence must not be shown)."""
    last = re.split(r"[.\[\]\"]+", location.rstrip("]\""))[-1] if location else ""
    head = location.split(".", 1)
    return bool(SECRET_NAME.search(last)) or (head[0] in ("header", "cookie") and len(head) > 1 and
                                              (head[1].lower() in SECRET_HEADERS or bool(SECRET_NAME.search(head[1]))))
