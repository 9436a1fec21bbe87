"""Traffic sources, auto-detected per file: HAR, nginx/Apache combined logs, AWS ALB logs, W3C extended
logs (IIS, CloudFront), JSON access logs (API Gateway, the guard's JSON Lines events, proxies and
frameworks). Each gives observations; a line that cannot be read is counted with its reason, and the
rest go on."""

from __future__ import annotations

import base64
import codecs
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

import ijson
import orjson

from apisentry.sources.sniff import open_bytes


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


@dataclass
class ReadReport:
    lines: int = 0
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
        if tok == "[REDACTED JWT]":  # the guard's own events keep the scheme and the token's shape (guard/redact.py)
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


def _json(text: str | bytes | None) -> Any:
    if not text or len(text) > MAX_BODY:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


class UnreadableURL(ValueError):
    """A record whose URL cannot be split into a path and a query (`http://[::1:80/x`)."""


def _obs(method: str, url: str, status: Any, when: datetime | None, client: str | None,
         headers: dict[str, str] | None = None, body: Any = None, response: Any = None) -> Observation:
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise UnreadableURL(str(e)) from e
    headers = {str(k): str(v) for k, v in headers.items()} if headers is not None else None
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    scheme, ident = auth_scheme(hdrs) if headers is not None else ("unknown", None)
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
    stream, _ = open_bytes(path)  # rotated and S3-delivered logs (ALB's always) are gzipped
    with stream:
        head = stream.read(4096).removeprefix(codecs.BOM_UTF8).lstrip()
    if not head:
        return "empty"
    if path.suffix.lower() == ".har" or (head.startswith(b"{") and b'"log"' in head[:300] and b'"entries"' in head):
        return "har"
    if head.startswith((b"{", b"[")):  # JSON Lines, or one JSON array of records
        return "jsonl"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.startswith(("#Software:", "#Version:", "#Fields:", "#Date:")):  # W3C extended: IIS, CloudFront
        return "w3c"
    if _ALB.match(first):
        return "alb"
    if _COMBINED.match(first):
        return "combined"
    return "unknown"


# Bytes JSON does not allow raw inside a string, other than those that are whitespace between tokens.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))
# The same as text, and the bytes that were not UTF-8 (kept as lone surrogates by "surrogateescape").
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\udc80-\udcff]")


class _CleanText:
    """A file's bytes as a JSON parser can read them: bytes that are not UTF-8 (a binary body pasted
    into a HAR as text) and raw control characters become U+FFFD, so one bad body does not cost the
    whole file. Clean chunks, nearly all of them, pass through untouched."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.replaced = 0
        self.at_start = True

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""  # parsers probe with read(0) whether a stream gives bytes or text
        while True:
            chunk = self.raw.read(size if size and size > 0 else 1 << 16)
            if self.at_start:
                self.at_start = False
                if chunk.startswith(codecs.BOM_UTF8):  # Windows tools write one; JSON allows none
                    chunk = chunk[len(codecs.BOM_UTF8):] or self.raw.read(size if size and size > 0 else 1 << 16)
            pending = self.decoder.getstate()[0]
            if chunk and not pending and chunk.isascii() and len(chunk.translate(None, _CONTROL_BYTES)) == len(chunk):
                return chunk
            text, n = _BAD_TEXT.subn("\ufffd", self.decoder.decode(chunk, final=not chunk))
            self.replaced += n
            if text or not chunk:
                return text.encode()


def _har_entries(path: Path, report: ReadReport) -> Iterator[Any]:
    """The file's entries, streamed one at a time, so a HAR of any size reads in little memory.
    A HAR cut off mid-write (a browser closed during export, a full disk) or broken part-way keeps
    every complete entry before the break."""
    kept = 0
    broken = False
    stream, _ = open_bytes(path)
    with stream:
        clean = _CleanText(stream)
        try:
            for entry in ijson.items(clean, "log.entries.item", use_float=True):
                kept += 1
                yield entry
        except ijson.JSONError as e:
            broken = True
            why = _parse_error(e)
            reason = "HAR file cut off" if "premature EOF" in why or why == "end of file" else "HAR file broken"
            report.skip(f"{reason}: the complete entries before the break are kept", f"{path}: after entry {kept} ({why})")
        if clean.replaced:
            report.skip("HAR file with binary bytes in its text: read with replacement characters", str(path))
    if not kept and not broken and not _has_entries(path):
        report.skip("not a HAR file: no list at log.entries", str(path))


def _has_entries(path: Path) -> bool:
    stream, _ = open_bytes(path)
    with stream:
        try:
            return any(prefix == "log.entries" and event == "start_array"
                       for prefix, event, _ in ijson.parse(_CleanText(stream)))
        except ijson.JSONError:
            return False


def _parse_error(e: Exception) -> str:
    """The first line of a parser's message (the rest quotes the broken text, which may hold secrets)."""
    return (str(e).strip().splitlines() or ["end of file"])[0][:80]


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
        except UnreadableURL as ex:
            report.skip("HAR entry with an unreadable URL", f"{path}: entry {i} ({ex})")
        except (KeyError, TypeError, AttributeError) as ex:
            report.skip(f"HAR entry without {ex}" if isinstance(ex, KeyError) else "HAR entry of the wrong shape",
                        f"{path}: entry {i} ({type(ex).__name__})")


# Big enough for any access-log record with its bodies; bigger lines are skipped with a count.
MAX_LINE = 32 << 20


def read_json_lines(path: Path, report: ReadReport) -> Iterator[Observation]:
    """JSON Lines access logs and guard events, or one JSON array of such records (exports from a
    log service). (Combined and ALB logs go to logs_sql.)"""
    stream, _ = open_bytes(path)
    with stream:
        if stream.peek(64)[:64].removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"["):  # type: ignore[attr-defined]
            yield from _json_array(stream, path, report)
            return
        for n, raw in enumerate(stream, 1):
            if n == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if not raw.strip():
                continue
            report.lines += 1
            if len(raw) > MAX_LINE:
                report.skip(f"JSON line over {MAX_LINE >> 20} MB", f"{path}:{n}")
                continue
            try:
                d = orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                report.skip("not JSON", f"{path}:{n} ({_parse_error(e)})")
                continue
            try:
                o = json_record(d)
            except UnreadableURL as e:
                report.skip("JSON line with an unreadable URL", f"{path}:{n} ({e})")
                continue
            if o is None:
                report.skip("JSON line without a method and a path", f"{path}:{n}")
                continue
            if len(raw) > MAX_BODY and (o.body is not None or o.response is not None):
                o.body = o.response = None
                report.skip(f"line over {MAX_BODY} bytes: endpoint kept, bodies not classified", f"{path}:{n}")
            yield o


def _json_array(stream: IO[bytes], path: Path, report: ReadReport) -> Iterator[Observation]:
    read = 0
    try:
        for record in ijson.items(_CleanText(stream), "item", use_float=True):
            read += 1
            report.lines += 1
            try:
                o = json_record(record)
            except UnreadableURL as e:
                report.skip("JSON record with an unreadable URL", f"{path}: record {read} ({e})")
                continue
            if o is None:
                report.skip("JSON record without a method and a path", f"{path}: record {read}")
                continue
            yield o
    except ijson.JSONError as e:
        report.skip("JSON array cut off or broken: the complete records before the break are kept",
                    f"{path}: after record {read} ({_parse_error(e)})")


# Where JSON access logs keep each field, first match wins: flat names (API Gateway, nginx
# `escape=json`, Envoy and Istio), then nested ones (Caddy and Kong under `request`, Google Cloud's
# `httpRequest`, Azure's `properties`), then Traefik's capitalised names.
_METHOD = ("method", "httpMethod", "http_method", "request_method", "request.method", "httpRequest.requestMethod",
           "properties.httpMethod", "RequestMethod")
_URL = ("url", "path", "uri", "request_uri", "request.uri", "request.url", "request.path", "httpRequest.requestUrl",
        "properties.requestUri", "RequestPath")
_STATUS = ("status", "statusCode", "status_code", "response_code", "response.status", "httpRequest.status",
           "properties.httpStatusCode", "properties.httpStatus", "DownstreamStatus")
_TIME = ("time", "timestamp", "@timestamp", "ts", "requestTime", "requestTimeEpoch", "time_iso8601", "time_local",
         "start_time", "started_at", "StartUTC")
_CLIENT = ("ip", "sourceIp", "client_ip", "remote_addr", "request.remote_ip", "request.client_ip",
           "httpRequest.remoteIp", "properties.clientIp", "properties.clientIP", "ClientHost",
           "downstream_remote_address", "x_forwarded_for")
_USER = ("user", "remote_user", "user_id", "consumer.username", "ClientUsername")
_HEADERS = ("headers", "request.headers")


def _field(d: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        node: Any = d
        for part in name.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node not in (None, "", "-"):
            return node
    return None


def _client(value: Any) -> str | None:
    """An address without its port (`10.0.0.1:51812`), the first of a forwarded list."""
    if not isinstance(value, str):
        return None
    first = value.split(",", 1)[0].strip()
    if first.count(":") == 1:  # an IPv4 address or a host with a port; IPv6 has more colons
        first = first.split(":", 1)[0]
    elif first.startswith("[") and "]" in first:
        first = first[1:first.index("]")]
    return first or None


def _headers(value: Any) -> dict[str, str] | None:
    """Headers as name -> text; Caddy logs each as a list of values."""
    if not isinstance(value, dict):
        return None
    return {str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in value.items()}


def json_record(d: Any) -> Observation | None:
    """One call from a parsed JSON log record: the guard's events, or an access log of a gateway,
    proxy, load balancer or framework (see `_METHOD` and its siblings for where each field is looked for)."""
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
    method = _field(d, _METHOD)
    route = _gateway_route(d)
    url = _field(d, _URL) or route or d.get("resourcePath")
    if not isinstance(method, str) or not isinstance(url, str):
        return None
    body = d.get("body")
    o = _obs(method, url, _field(d, _STATUS), _time(_field(d, _TIME)), _client(_field(d, _CLIENT)),
             _headers(_field(d, _HEADERS)), body if isinstance(body, dict | list) else None)
    o.route = route
    user = _field(d, _USER)
    if o.identity is None and isinstance(user, str):
        o.identity = user
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


def stream(paths: list[str], fmt: str, report: ReadReport) -> Iterator[Observation]:
    """Observations from files and folders, one at a time; what cannot be read goes to `report`."""
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
        if kind == "empty":
            report.skip("empty file", str(f))
            continue
        if kind == "unknown":
            report.skip("unknown format (name it with --input-format)", str(f))
            continue
        if kind in ("combined", "alb", "w3c"):
            from apisentry.api.logs_sql import read_log

            yield from read_log(str(f), kind, report)
        elif kind == "har":
            yield from read_har(f, report)
        else:
            yield from read_json_lines(f, report)


def read(paths: list[str], fmt: str = "auto") -> tuple[list[Observation], ReadReport]:
    """Every observation at once; the inventory streams them instead (`stream`)."""
    report = ReadReport()
    out = list(stream(paths, fmt, report))
    return out, report
