"""Traffic sources, auto-detected per file: HAR, nginx/Apache combined logs, AWS ALB logs, JSON access
logs (API Gateway, the guard's JSON Lines events, most frameworks). Each gives observations; a line
that cannot be read is counted with its reason, and the rest go on."""

from __future__ import annotations

import base64
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ijson
import orjson


@dataclass(slots=True)
class Observation:
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    status: int | None = None
    time: datetime | None = None
    client: str | None = None
    identity: str | None = None
    auth: str = "none"  # none | basic | bearer-jwt | bearer | api-key | cookie
    content_type: str | None = None
    body: Any = None  # parsed JSON request body, when logged
    response: Any = None  # parsed JSON response body, when logged
    headers: list[tuple[str, str]] = field(default_factory=list)  # the API's own headers (X-*, non-standard)
    count: int = 1  # calls this observation stands for (access logs are read grouped)
    time_last: datetime | None = None
    clients: list[str] = field(default_factory=list)
    route: str | None = None  # the template a gateway matched (`/pets/{petId}`), when its log says so


@dataclass
class ReadReport:
    lines: int = 0
    observations: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    examples: dict[str, str] = field(default_factory=dict)  # reason -> first "file:line"

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, where)


_COMBINED = re.compile(r'^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]{3,10}) (?P<target>\S+)(?: [^"]*)?" '
                       r'(?P<status>\d{3}) \S+(?: "(?P<ref>[^"]*)" "(?P<ua>[^"]*)")?')
_ALB = re.compile(r'^(?:https?|h2|ws|wss) (?P<time>\S+) \S+ (?P<ip>[\d.:a-f]+):\d+ \S+ \S+ \S+ \S+ (?P<status>\d{3}|-) \S+ \d+ \d+ '
                  r'"(?P<method>[A-Z-]+) (?P<url>\S+) [^"]*"')
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
        if tok.count(".") == 2 and tok.startswith("eyJ"):
            try:
                claims = orjson.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
                return "bearer-jwt", str(claims.get("sub")) if isinstance(claims, dict) and claims.get("sub") else None
            except (ValueError, orjson.JSONDecodeError):
                return "bearer-jwt", None
        return "bearer", None
    if any(k in headers for k in ("x-api-key", "api-key")) or "apikey" in headers:
        return "api-key", None
    if "cookie" in headers:
        return "cookie", None
    return "none", None


MAX_BODY = 1 << 20  # bodies larger than this are not parsed (counted in the read report)


def _json(text: str | bytes | None) -> Any:
    if not text or len(text) > MAX_BODY:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


def _obs(method: str, url: str, status: Any, when: datetime | None, client: str | None,
         headers: dict[str, str] | None = None, body: Any = None, response: Any = None) -> Observation:
    parts = urlsplit(url)
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    scheme, ident = auth_scheme(hdrs)
    try:
        st = int(status) if status not in (None, "-", "") else None
    except (TypeError, ValueError):
        st = None
    own = [(k, v) for k, v in (headers or {}).items() if k.lower() not in _STANDARD_HEADERS
           and k.lower() not in _SECRET_HEADERS and not k.lower().startswith(("sec-", ":"))]
    return Observation(method.upper(), parts.path or "/", parse_qsl(parts.query, keep_blank_values=True), st, when,
                       client, ident, scheme, hdrs.get("content-type"), body, response, own)


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _time_text(value)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
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


def sniff(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4096).lstrip()
    if path.suffix.lower() == ".har" or (head.startswith(b"{") and b'"log"' in head[:300] and b'"entries"' in head):
        return "har"
    if head.startswith(b"{"):
        return "jsonl"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    if _ALB.match(first):
        return "alb"
    if _COMBINED.match(first):
        return "combined"
    return "unknown"


# Control characters JSON does not allow raw inside a string (tab, newline and return are whitespace).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _har_entries(path: Path, report: ReadReport) -> list[Any]:
    """The file's entries. Binary bytes (a body pasted as text) are replaced, and
    a HAR cut off mid-write (a browser closed during export, a full disk) or broken part-way keeps
    every complete entry before the break."""
    data = path.read_bytes()
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = None
        text = data.decode("utf-8", "replace")
        text = _CONTROL.sub("\ufffd", text)
        if text.encode() != data:
            report.skip("HAR file with binary bytes in its text: read with replacement characters", str(path))
            data = text.encode()
            with suppress(orjson.JSONDecodeError):
                doc = orjson.loads(data)
        if doc is None:
            return _entries_before_break(data, path, report)
    log = doc.get("log") if isinstance(doc, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        report.skip("not a HAR file: no list at log.entries", str(path))
        return []
    return entries


def _entries_before_break(data: bytes, path: Path, report: ReadReport) -> list[Any]:
    kept: list[Any] = []
    try:
        for entry in ijson.items(io.BytesIO(data), "log.entries.item", use_float=True):
            kept.append(entry)
    except ijson.JSONError as e:
        why = (str(e).strip().splitlines() or ["end of file"])[0]
        reason = "HAR file cut off" if "premature EOF" in why or why == "end of file" else "HAR file broken"
        report.skip(f"{reason}: the complete entries before the break are kept",
                    f"{path}: after entry {len(kept)} ({why[:80]})")
    return kept


def read_har(path: Path, report: ReadReport) -> Iterator[Observation]:
    for i, entry in enumerate(_har_entries(path, report)):
        report.lines += 1
        try:
            req = entry["request"]
            headers = {h["name"]: h["value"] for h in req.get("headers") or []}
            post = req.get("postData") or {}
            if len(str(post.get("text") or "")) > MAX_BODY:
                report.skip(f"request body over {MAX_BODY} bytes: endpoint kept, body not classified", f"{path}: entry {i}")
            body = _json(post.get("text")) if "json" in str(post.get("mimeType", "")) else None
            resp = entry.get("response") or {}
            content = resp.get("content") or {}
            rtext = content.get("text")
            if rtext and content.get("encoding") == "base64":
                try:
                    rtext = base64.b64decode(rtext).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    report.skip("binary or broken base64 response body: endpoint kept, body not classified",
                                f"{path}: entry {i}")
                    rtext = None
            rbody = _json(rtext) if "json" in str(content.get("mimeType", "")) else None
            yield _obs(req["method"], req["url"], resp.get("status"), _time(entry.get("startedDateTime")),
                       None, headers, body, rbody)
        except (KeyError, TypeError, AttributeError) as ex:
            report.skip(f"HAR entry without {ex}", f"{path}: entry {i}")


def read_json_lines(path: Path, report: ReadReport) -> Iterator[Observation]:
    """JSON Lines access logs and guard events. (Combined and ALB logs go to logs_sql.)"""
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            report.lines += 1
            o = _json_line(raw.decode("utf-8", "replace"))
            if o is None:
                report.skip("JSON line without a method and a path", f"{path}:{n}")
                continue
            yield o


def _json_line(line: str) -> Observation | None:
    d = _json(line)
    if not isinstance(d, dict):
        return None
    # The guard's own events (ApiEvent rows as JSON Lines).
    if d.get("cloud_provider") == "http" and d.get("request"):
        req = _json(d["request"]) if isinstance(d["request"], str) else d["request"]
        if not isinstance(req, dict):
            return None
        q = "&".join(f"{k}={v}" for k, v in (req.get("query") or {}).items())
        o = _obs(d.get("http_method") or "GET", (req.get("path") or "/") + (f"?{q}" if q else ""), d.get("http_status"),
                 _time(d.get("time")), d.get("src_ip"), req.get("headers") or {}, req.get("body"))
        o.identity = d.get("actor_user_uid") or o.identity
        return o
    method = d.get("method") or d.get("httpMethod") or d.get("http_method") or d.get("request_method")
    route = _gateway_route(d)
    url = d.get("url") or d.get("path") or d.get("uri") or d.get("request_uri") or route or d.get("resourcePath")
    if not isinstance(method, str) or not isinstance(url, str):
        return None
    o = _obs(method, url, d.get("status") or d.get("statusCode") or d.get("status_code"),
             _time(d.get("time") or d.get("timestamp") or d.get("requestTime") or d.get("requestTimeEpoch")),
             d.get("ip") or d.get("sourceIp") or d.get("client_ip") or d.get("remote_addr"),
             d.get("headers") if isinstance(d.get("headers"), dict) else None,
             d.get("body") if isinstance(d.get("body"), dict | list) else None)
    o.route = route
    return o


# A route as API Gateway names it: `/pets/{petId}`, or `GET /pets/{petId}` for HTTP APIs.
_ROUTE = re.compile(r"^(?:[A-Z]+ )?(/[^\s?#]*)$")


def _gateway_route(d: dict[str, Any]) -> str | None:
    """The template API Gateway matched, from `$context.resourcePath` (REST APIs) or
    `$context.routeKey` (HTTP APIs): the API's own routes, better than any guess from paths.
    A greedy proxy (`/{proxy+}`) or `$default` hands every path to one backend and says nothing."""
    raw = d.get("resourcePath") or d.get("routeKey")
    m = _ROUTE.match(raw) if isinstance(raw, str) else None
    if m is None or "+}" in m.group(1):
        return None
    return m.group(1)


def read(paths: list[str], fmt: str = "auto") -> tuple[list[Observation], ReadReport]:
    report = ReadReport()
    out: list[Observation] = []
    files: list[Path] = []
    for p in paths:
        pp = Path(p)
        if pp.is_dir():
            files.extend(sorted(x for x in pp.rglob("*") if x.is_file()))
        elif pp.is_file():
            files.append(pp)
        else:
            report.skip("no such file", p)
    for f in files:
        kind = fmt if fmt != "auto" else sniff(f)
        if kind == "unknown":
            report.skip("unknown format (name it with --input-format)", str(f))
            continue
        if kind in ("combined", "alb"):
            from apisentry.api.logs_sql import read_log

            out.extend(read_log(str(f), kind, report))
            continue
        it = read_har(f, report) if kind == "har" else read_json_lines(f, report)
        for o in it:
            out.append(o)
    report.observations = sum(o.count for o in out)
    return out, report
