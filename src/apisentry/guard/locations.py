"""Every place a request carries attacker-controlled text, each named the way a reader finds it:
`path[1]`, `query.id`, `header.User-Agent`, `cookie.session`, `body$.items[2].name`, `form.comment`,
`multipart.file.filename`, `xml/order/note`. Keys are values too (`query.user[$ne]`), because
operator and prototype-pollution attacks live in names."""

from __future__ import annotations

from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, unquote

import orjson

from apisentry.guard.model import HttpRequest

# Headers whose values are the browser's or the proxy's, never the user's input, and whose usual
# values look like code (`*/*;q=0.8`) or credentials (checked by the auth module, not here).
_SKIP_HEADERS = frozenset({
    "accept", "accept-encoding", "accept-language", "connection", "content-length", "content-type",
    "host", "authorization", "cookie", "cache-control", "pragma", "upgrade-insecure-requests",
    "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "sec-ch-ua",
    "sec-ch-ua-mobile", "sec-ch-ua-platform", "if-none-match", "if-modified-since", "te", "dnt",
    "priority", "x-request-id", "traceparent", "tracestate", "proxy-authorization", "x-api-key",
})

_BODY_LOCATIONS = ("body", "form.", "multipart.", "xml/")


class Value:
    """One attacker-controlled string and where it sits. The location of a JSON leaf is built only
    when someone asks (a detection), since most values never need it."""

    __slots__ = ("_key", "base", "form", "is_key", "text", "xxe_only")

    def __init__(self, location: str, text: str, is_key: bool = False, form: bool = False,
                 key: str | int | None = None) -> None:
        self.base = location  # the location, or its parent's for a JSON leaf (same leading part)
        self._key = key
        self.text = text
        self.is_key = is_key  # a parameter or JSON property name, not its value
        self.form = form  # came from a query or form, where `+` means space
        # A whole XML document whose text and attributes are values of their own: only its DTD
        # and entities are looked at here, since `<?xml ...?>` is not markup injection.
        self.xxe_only = False

    @property
    def location(self) -> str:
        k = self._key
        if k is None:
            return self.base
        if isinstance(k, int):
            return f"{self.base}[{k}]"
        return f"{self.base}.{k}" if k.isidentifier() else f"{self.base}[{_quoted(k)}]"

    def with_text(self, text: str) -> Value:
        """Another spelling of this value, at the same location."""
        return Value(self.base, text, self.is_key, self.form, self._key)

    @property
    def in_body(self) -> bool:
        """Whether the value came in the request body (JSON, form, multipart or XML)."""
        return self.base.startswith(_BODY_LOCATIONS)

    def __repr__(self) -> str:
        return f"Value({self.location!r}, {self.text!r})"


class BodyError(ValueError):
    """A body that says it is JSON/XML/multipart and is not; the message says where."""


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def path_values(path: str) -> Iterator[Value]:
    for i, seg in enumerate(path.split("/")):
        if seg:
            yield Value(f"path[{i}]", seg)


def query_values(query: str | list[tuple[str, str]], prefix: str = "query") -> Iterator[Value]:
    """Names and values of a query string or form (or of its already parsed pairs)."""
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
    for name, val in pairs:
        yield Value(f"{prefix}.{name}", name, is_key=True, form=True)
        yield Value(f"{prefix}.{name}", val, form=True)


def header_values(req: HttpRequest) -> Iterator[Value]:
    for name, val in req.headers:
        lname = name.lower()
        if lname == "cookie":
            yield from cookie_values(val)
        elif lname not in _SKIP_HEADERS:
            yield Value(f"header.{name}", val)


def cookie_values(raw: str) -> Iterator[Value]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        yield Value("header.Cookie", raw)
        return
    if not jar and raw.strip():
        yield Value("header.Cookie", raw)
    for name, morsel in jar.items():
        yield Value(f"cookie.{name}", unquote(morsel.value))


def json_values(doc: object, max_depth: int, root: str = "body$") -> list[Value]:
    """String leaves of a JSON document with their JSON path, and the keys that are not plain
    identifiers (operators, `__proto__`, payloads). Iterative, so depth is bounded by `max_depth`
    rather than by Python's stack. Numbers, booleans and nulls carry no payload and cost nothing."""
    out: list[Value] = []
    stack: list[tuple[str, object, int]] = [(root, doc, 0)]
    while stack:
        where, node, depth = stack.pop()
        if depth > max_depth:
            raise BodyError(f"JSON nested deeper than {max_depth} levels at {where}")
        if type(node) is dict:
            for k, v in node.items():
                tv = type(v)
                if tv is str:
                    out.append(Value(where, v, key=k))
                elif tv is dict or tv is list:
                    stack.append((f"{where}.{k}" if k.isidentifier() else f"{where}[{_quoted(k)}]", v, depth + 1))
                if not k.isidentifier() or k[:2] == "__":
                    out.append(Value(where, k, is_key=True, key=k))
                elif k == "prototype" and where.endswith("constructor"):
                    out.append(Value(where, "constructor.prototype", is_key=True, key=k))
        elif type(node) is list:
            for i, v in enumerate(node):
                tv = type(v)
                if tv is str:
                    out.append(Value(where, v, key=i))
                elif tv is dict or tv is list:
                    stack.append((f"{where}[{i}]", v, depth + 1))
        elif type(node) is str:
            out.append(Value(where, node))
    return out


def _quoted(key: str) -> str:
    return orjson.dumps(key).decode()


def multipart_values(body: bytes, content_type: str) -> Iterator[Value]:
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not msg.is_multipart():
        raise BodyError("multipart body without a boundary or parts")
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition") or "?"
        filename = part.get_filename()
        if filename is not None:
            yield Value(f"multipart.{name}.filename", str(filename))
            continue  # file contents are the application's to check, not text parameters
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield Value(f"multipart.{name}", payload.decode("utf-8", "replace"))
