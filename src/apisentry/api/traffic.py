"""What one API call looks like to the inventory, whatever its source: an `Observation`, and a
`ReadReport` of what could not be read and why. The readers live beside this module: `har`,
`json_logs`, `logs_sql` (access logs, in DuckDB), dispatched by `sources`."""

from __future__ import annotations

import base64
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

from apisentry.guard.redact import REDACTED_JWT
from apisentry.guard.spec import url_host


@dataclass(slots=True)
class Observation:
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    status: int | None = None
    time: datetime | None = None
    client: str | None = None
    identity: str | None = None
    # none | basic | bearer-jwt | bearer | other (Digest, SigV4, redacted) | api-key | cookie, or
    # unknown where the source does not record headers (access logs): no credentials seen is not none sent.
    auth: str = "none"
    content_type: str | None = None
    body: Any = None  # parsed JSON request body, when logged
    response: Any = None  # parsed JSON response body, when logged
    headers: list[tuple[str, str]] = field(default_factory=list)  # the API's own headers (X-*, non-standard)
    count: int = 1  # calls this observation stands for (access logs are read grouped)
    time_last: datetime | None = None
    clients: list[str] = field(default_factory=list)
    route: str | None = None  # the template a gateway matched (`/pets/{petId}`), when its log says so
    # Access logs are grouped by shape before Python sees them (`logs_sql`): then `path` is the
    # shape and these are some of the concrete paths it stands for.
    samples: list[str] | None = None
    host: str | None = None  # where the URL names one (HAR, JSON logs with full URLs): `api.example.com`


@dataclass
class ReadReport:
    lines: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    examples: dict[str, str] = field(default_factory=dict)  # reason -> first "file:line"
    # Records read well that are no API calls (a browser's scripts, styles, images, pages): not errors.
    ignored: Counter[str] = field(default_factory=Counter)

    def left_out(self) -> str:
        """What was left out as no API calls, busiest kind first: `browser scripts 12, browser images 4`."""
        return ", ".join(f"{kind} {n}" for kind, n in self.ignored.most_common())

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, where)


_SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "api-key"}
# Headers every client sends; what is left are the API's own header parameters.
_STANDARD_HEADERS = {"host", "user-agent", "accept", "accept-encoding", "accept-language", "connection", "content-type",
                     "content-length", "cache-control", "pragma", "origin", "referer", "te", "dnt", "upgrade-insecure-requests",
                     "if-none-match", "if-modified-since", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                     "x-real-ip", "x-request-id", "traceparent", "tracestate", "priority", "via", "forwarded"}


def auth_scheme(headers: dict[str, str]) -> tuple[str, str | None]:
    """(scheme, identity) from request headers; identities of JWTs are their `sub`."""
    a = headers.get("authorization", "")
    low = a.lower()
    if low.startswith("basic "):
        try:
            user = base64.b64decode(a[6:].strip()).decode("utf-8", "replace").split(":", 1)[0]
        except ValueError:
            user = None
        return "basic", user or None
    if low.startswith("bearer "):
        tok = a[7:].strip()
        if tok == REDACTED_JWT:  # the guard's own events keep the scheme and the token's shape
            return "bearer-jwt", None
        if tok.count(".") == 2 and tok.startswith("eyJ"):
            try:
                claims = orjson.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
                return "bearer-jwt", str(claims.get("sub")) if isinstance(claims, dict) and claims.get("sub") else None
            except (ValueError, orjson.JSONDecodeError):
                return "bearer-jwt", None
        return "bearer", None
    if a.strip():
        # Digest, AWS SigV4, `Token …`, or a value the log redacted (Caddy writes `REDACTED`):
        # credentials all the same, so the call is not counted as unauthenticated.
        return "other", None
    if any(k in headers for k in ("x-api-key", "api-key")) or "apikey" in headers:
        return "api-key", None
    if "cookie" in headers:
        return "cookie", None
    return "none", None


MAX_BODY = 1 << 20  # bodies larger than this are not parsed (counted in the read report)


def parse_json(text: str | bytes | None) -> Any:
    if not text or len(text) > MAX_BODY:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


class UnreadableURL(ValueError):
    """A record whose URL cannot be split into a path and a query (`http://[::1:80/x`)."""


class NotAMethod(ValueError):
    """A record whose method is no HTTP method: a number, or text no server would take
    (`GET<svg/onload=alert(1)>`), which would otherwise stand in the report as an endpoint's method."""


# HTTP's methods are tokens; those in use are letters, with `-` or `_` in some WebDAV and vendor
# methods (`VERSION-CONTROL`, `M-SEARCH`).
_METHOD = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")


def observation(method: Any, url: str, status: Any, when: datetime | None, client: str | None,
         headers: dict[str, str] | None = None, body: Any = None, response: Any = None) -> Observation:
    if not isinstance(method, str) or not _METHOD.fullmatch(method):
        raise NotAMethod(repr(method)[:60])
    if not isinstance(url, str):
        raise UnreadableURL(f"a {type(url).__name__}, not text")
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise UnreadableURL(str(e)) from e
    headers = {str(k): str(v) for k, v in headers.items()} if headers is not None else None
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    scheme, ident = auth_scheme(hdrs) if headers is not None else ("unknown", None)
    try:
        st = int(status) if status not in (None, "-", "") else None
    except (TypeError, ValueError, OverflowError):  # `"x"`, `[200]`, `1e999`
        st = None
    if st is not None and not 100 <= st <= 999:
        # No status code: `-1`, `1e20`, or `0`, Chrome's and Firefox's word in a HAR for a request
        # that got no answer (blocked, cancelled, offline). The call is counted, its status unknown.
        st = None
    own = [(k, v) for k, v in (headers or {}).items() if k.lower() not in _STANDARD_HEADERS
           and k.lower() not in _SECRET_HEADERS and not k.lower().startswith(("sec-", ":"))]
    return Observation(method.upper(), literal_path(parts.path) or "/", parse_qsl(parts.query, keep_blank_values=True), st, when,
                       client, ident, scheme, hdrs.get("content-type"), body, response, own, host=url_host(url))


def literal_path(path: str) -> str:
    """A request's path with `{` and `}` percent-encoded, as RFC 3986 wants them: braces are how
    templates write parameters, so a client's literal `/{}/orders` must not read as one. Dot
    segments are resolved (`_without_dot_segments`)."""
    if ("/." in path or "%2" in path) and _DOT_SEGMENT.search(path):
        path = _without_dot_segments(path)
    return path.replace("{", "%7B").replace("}", "%7D") if "{" in path or "}" in path else path


# `.` or `..` as a whole segment, also percent-encoded (`%2e%2e`), which RFC 3986 reads the same.
_DOT_SEGMENT = re.compile(r"/(?:\.|%2[eE]){1,2}(?=/|$)")


def _without_dot_segments(path: str) -> str:
    """The path a server routes (RFC 3986, 5.2.4): a scanner's `/api/v1/../../etc/passwd` asks for
    `/etc/passwd`. Kept as written, `..` read as one more value beside real route names and could
    pull a rarely called route into a parameter with it."""
    segs = path.split("/")
    out: list[str] = []
    for i, seg in enumerate(segs):
        dots = seg.lower().replace("%2e", ".")
        if dots in (".", ".."):
            if dots == ".." and len(out) > 1:
                out.pop()
            if i == len(segs) - 1:
                out.append("")  # `/a/b/..` is the directory `/a/`
        else:
            out.append(seg)
    return "/".join(out) if len(out) > 1 else "/"


def parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _time_text(value)
    if isinstance(value, int | float):
        try:  # epoch seconds, or milliseconds (Kong, API Gateway's requestTimeEpoch)
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        except (OverflowError, ValueError, OSError):
            return None  # a hostile number costs the time, not the call
    return _time_text(str(value))


@lru_cache(maxsize=4096)
def _time_text(s: str) -> datetime | None:
    """Parsed once per distinct text: log lines share their second."""
    for fmt in ("%d/%b/%Y:%H:%M:%S %z",):
        try:
            return datetime.strptime(s, fmt).astimezone(UTC)
        except ValueError:
            pass
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)
    except ValueError:
        return None
