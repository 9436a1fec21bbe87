"""JSON access logs: JSON Lines or one JSON array of records, from API Gateway, proxies, load
balancers, frameworks, and the guard's own events."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from apisentry.api.json_text import CleanText, parse_error
from apisentry.api.traffic import (
    MAX_BODY,
    NotAMethod,
    Observation,
    ReadReport,
    UnreadableURL,
    observation,
    parse_json,
    parse_time,
)
from apisentry.guard.spec import url_host
from apisentry.sources.long_lines import first_line, lines_within
from apisentry.sources.long_strings import MAX_STRING
from apisentry.sources.sniff import open_bytes

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
        if _one_after_another(stream):
            yield from _json_array(stream, path, report, "")
            return
        for n, (line, _) in enumerate(lines_within(stream, MAX_LINE), 1):
            if line is None:
                report.lines += 1
                report.skip(f"JSON line over {MAX_LINE >> 20} MB", f"{path}:{n}")
                continue
            raw = line.removeprefix(codecs.BOM_UTF8) if n == 1 else line
            if not raw.strip():
                continue
            report.lines += 1
            try:
                d = orjson.loads(raw)
            except orjson.JSONDecodeError as e:
                report.skip("not JSON", f"{path}:{n} ({parse_error(e)})")
                continue
            for record in _unwrapped(d, report, f"{path}:{n}"):
                o = checked_record(record, report, "JSON line", f"{path}:{n}")
                if o is None:
                    continue
                if len(raw) > MAX_BODY and (o.body is not None or o.response is not None):
                    o.body = o.response = None
                    report.skip(f"line over {MAX_BODY} bytes: endpoint kept, bodies not classified", f"{path}:{n}")
                yield o


def _unwrapped(d: Any, report: ReadReport, where: str) -> list[Any]:
    """The records a CloudWatch Logs subscription's envelope carries as text in `logEvents` (how
    Firehose and Lambda receive API Gateway's access logs), or the record itself; the report's
    line count, one per envelope so far, becomes one per record."""
    if not (isinstance(d, dict) and "messageType" in d and isinstance(d.get("logEvents"), list)):
        return [d]
    out = []
    for i, event in enumerate(d["logEvents"]):
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, str):
            report.skip("CloudWatch log event without a message", f"{where}: event {i}")
            continue
        try:
            out.append(orjson.loads(message))
        except orjson.JSONDecodeError:
            report.skip("CloudWatch log event whose message is not JSON (API Gateway's JSON access-log format is read)",
                        f"{where}: event {i}")
    report.lines += len(out) - 1
    return out


def checked_record(d: Any, report: ReadReport, what: str, where: str) -> Observation | None:
    """The call a parsed record stands for, or None with the reason in the report."""
    try:
        o = json_record(d)
    except UnreadableURL as e:
        report.skip(f"{what} with an unreadable URL", f"{where} ({e})")
        return None
    except NotAMethod as e:
        report.skip(f"{what} whose method is no HTTP method", f"{where} ({e})")
        return None
    if o is None:
        report.skip(f"{what} without a method and a path", where)
    return o


def _one_after_another(stream: IO[bytes]) -> bool:
    """Whether the records are written one after another without newlines, as Kinesis Data
    Firehose delivers API Gateway's access logs: the first line holds more than one record."""
    line = first_line(stream, MAX_LINE)
    if line is None:
        return True  # longer than any one record can be
    try:
        orjson.loads(line.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError as e:
        return "after document" in str(e) and line.decode("utf-8", "replace")[e.pos:].lstrip().startswith("{")
    return False


def _json_array(stream: IO[bytes], path: Path, report: ReadReport, prefix: str = "item") -> Iterator[Observation]:
    """The records of one JSON array (`prefix` "item"), or of JSON values one after another ("")."""
    read = 0
    clean = CleanText(stream)
    try:
        for record in ijson.items(clean, prefix, use_float=True, multiple_values=True):
            read += 1
            report.lines += 1
            for inner in _unwrapped(record, report, f"{path}: record {read}"):
                o = checked_record(inner, report, "JSON record", f"{path}: record {read}")
                if o is not None:
                    yield o
    except ijson.JSONError as e:
        what = "JSON array" if prefix else "JSON records"
        report.skip(f"{what} cut off or broken: the complete records before the break are kept",
                    f"{path}: after record {read} ({parse_error(e)})")
    if clean.cut:
        report.skip(f"JSON text longer than {MAX_STRING:,} bytes cut short: its records were read", str(path))


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
# The host the client asked for (not the upstream a proxy sent it on to): one log of an ingress
# or a gateway holds many APIs, told apart by it.
_HOST = ("host", "http_host", "authority", "domainName", "request.host", "properties.hostName", "RequestHost")


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


def _host(value: str) -> str | None:
    """`api.example.com` from `api.example.com:443` or `api.example.com`; logs say no scheme, so
    the web's default ports are left out."""
    host = url_host("http://" + value.strip())
    return host[:-4] if host and host.endswith(":443") else host


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
        req = parse_json(d["request"]) if isinstance(d["request"], str) else d["request"]
        if not isinstance(req, dict) or not isinstance(path := req.get("path") or "/", str):
            return None
        query, headers, client = req.get("query"), req.get("headers"), d.get("src_ip")
        q = "&".join(f"{k}={v}" for k, v in query.items()) if isinstance(query, dict) else ""
        o = observation(d.get("http_method") or "GET", path + (f"?{q}" if q else ""), d.get("http_status"),
                        parse_time(d.get("time")), client if isinstance(client, str) else None,
                        headers if isinstance(headers, dict) else {}, req.get("body"))
        o.identity = d.get("actor_user_uid") or o.identity
        if isinstance(d.get("api_service"), str):  # the Host header the guarded app was called with
            o.host = _host(d["api_service"])
        return o
    method = _field(d, _METHOD)
    route = _gateway_route(d)
    url = _field(d, _URL) or route or d.get("resourcePath")
    if not isinstance(method, str) or not isinstance(url, str):
        return None
    body = d.get("body")
    o = observation(method, url, _field(d, _STATUS), parse_time(_field(d, _TIME)), _client(_field(d, _CLIENT)),
                    _headers(_field(d, _HEADERS)), body if isinstance(body, dict | list) else None)
    o.route = route
    if o.host is None and isinstance(host := _field(d, _HOST), str):
        o.host = _host(host)
    elif o.host is None and isinstance(full := _field(d, ("request.url",)), str):  # Kong's path is `request.uri`
        o.host = url_host(full)
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
