"""The positive model: what an OpenAPI 3.0/3.1 or Swagger 2.0 document allows, compiled once.

Every operation becomes a path regex, typed parameter validators and a request-body validator
(jsonschema-rs, compiled at start-up). A request the spec does not describe is a detection:
unknown path or method, missing or mistyped parameters, unexpected content type, a body that
breaks the schema, undeclared or readOnly properties (mass assignment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import yaml

from apisentry.guard.schema_validators import MISSING, SchemaValidators, lookup, pointer

# Microsoft Graph's beta spec is 47 MB and 1.5M nodes; a YAML alias bomb reaches billions, and
# counting stops at the limit (about a second).
MAX_SPEC_BYTES = 64 * 1024 * 1024
MAX_SCHEMA_NODES = 5_000_000  # a spec (or YAML alias bomb) larger than this is refused
MAX_DEPTH = 200  # real specs nest about 30 levels at most


class SpecError(ValueError):
    """A spec that cannot be used, with where and why."""


@dataclass
class Param:
    name: str
    where: str  # path | query | header | cookie
    required: bool
    schema: dict[str, Any]
    validator: Any = None


@dataclass
class Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    params: list[Param] = field(default_factory=list)
    body_required: bool = False
    content_types: list[str] = field(default_factory=list)
    body_validator: Any = None
    # An `application/x-www-form-urlencoded` body's schema: its validator, and each field as a
    # parameter, so the text a form carries is read as the type the schema gives it.
    form_validator: Any = None
    form_fields: dict[str, Param] = field(default_factory=dict)
    # The top-level properties of a JSON request body, where the schema states them plainly (an
    # object with `properties` and no `allOf`/`anyOf`/`oneOf` or open `additionalProperties`).
    body_fields: frozenset[str] | None = None
    security: list[dict[str, list[str]]] = field(default_factory=list)
    deprecated: bool = False
    static_len: int = 0  # characters outside {params}: the more, the more specific the route
    # The path as a request shows it. Some specs key operations that share a path by a query or a
    # header written after it (`/?Action=DescribeInstances`, `/#X-Amz-Target=Foo.Bar`,
    # `/search/tags?query={query}`): `route` is the path before those, `selector` the names and
    # fixed values after them, which a request must carry to be that operation.
    route: str = ""
    selector: tuple[tuple[str, str | None], ...] = ()
    # Where a segment holds two or more parameters (`{year}-{month}-{day}`, `{name}.{ext}`), the
    # route's literal pieces, segment by segment (see `path_values`); None otherwise.
    pieces: list[tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        self.route = self.route or self.template
        self.pieces = _pieces(self.route)

    def matches(self, rel: str) -> bool:
        """Whether `rel` is this operation's path (see `path_values`)."""
        return self.regex.fullmatch(rel) is not None if self.pieces is None else self.path_values(rel) is not None

    def path_values(self, rel: str) -> list[str] | None:
        """The values of the path's parameters if `rel` is this operation's path (a trailing `/`
        allowed), else None. Parameters side by side in one segment make the regex ambiguous, and
        its backtracking polynomial: a 2,000-character segment against `{a}-{b}-{c}` took 19 s. Those
        routes are matched segment by segment instead, in linear time, with the regex's answer."""
        if self.pieces is None:
            m = self.regex.fullmatch(rel)
            return list(m.groups()) if m else None
        found = _fill_route(self.pieces, rel)
        if found is None and rel.endswith("/"):
            found = _fill_route(self.pieces, rel[:-1])
        return found

    def selected_by(self, query: dict[str, str], headers: dict[str, str]) -> bool:
        """Whether a request carrying this query and these headers (names lower-cased) picks this
        operation among those that share its path."""
        for name, value in self.selector:
            got = query.get(name, headers.get(name.lower()))
            if got is None or (value is not None and got != value):
                return False
        return True


@dataclass
class SecurityScheme:
    name: str
    type: str  # http | apiKey | oauth2 | openIdConnect
    scheme: str = ""  # bearer | basic for http
    location: str = ""  # header | query | cookie for apiKey
    param: str = ""  # header/query/cookie name for apiKey


@dataclass
class Spec:
    operations: list[Operation]
    schemes: dict[str, SecurityScheme]
    base_paths: list[str]
    read_only: frozenset[str]
    title: str = ""
    warnings: list[str] = field(default_factory=list)  # parts of the spec that are not checked, and why
    hosts: frozenset[str] | None = None  # the servers' hosts; None when a server leaves its host open
    # Operations by (segment count, first segment), None standing for a templated first segment:
    # a request is matched against a handful of path regexes, not against every operation.
    index: dict[tuple[int, str | None], list[Operation]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for op in self.operations:
            segments = op.route.strip("/").split("/")
            first: str | None = segments[0] if "{" not in segments[0] else None
            self.index.setdefault((len(segments), first), []).append(op)

    def candidates(self, rel: str) -> list[Operation]:
        segments = rel.strip("/").split("/")
        n = len(segments)
        return self.index.get((n, segments[0]), []) + self.index.get((n, None), [])

    def match(self, method: str, path: str, query: dict[str, str] | None = None,
              headers: dict[str, str] | None = None) -> tuple[Operation | None, bool]:
        """(operation, path known). A known path with another method gives (None, True). Where
        operations share a path and tell themselves apart by a query or a header (`selector`), the
        request's `query` and `headers` (names lower-cased) pick one; without them (a log line),
        any of them is the match. A HEAD is the GET where the spec documents no HEAD: HTTP's HEAD is
        a GET without the body, and servers answer it wherever they answer GET."""
        for base in self.base_paths:
            if base and path.startswith(base):
                rel = path[len(base):] or "/"
            elif base:
                continue
            else:
                rel = path
            found = [op for op in self.candidates(rel) if op.matches(rel)]
            if found:
                found.sort(key=lambda op: (-op.static_len, -len(op.selector)))
                mine = [op for op in found if op.method == method]
                if not mine and method == "HEAD":
                    mine = [op for op in found if op.method == "GET"]
                if query is None and headers is None:
                    return (mine[0] if mine else None), True
                for op in mine:
                    if op.selected_by(query or {}, headers or {}):
                        return op, True
                return None, True
        return None, False


def load_spec(path: str | Path, validators: bool = True) -> Spec:
    """The spec in a file. Without `validators`, only routes, parameters and security are read (what
    the inventory needs), which is several times faster on large specs."""
    return compile_spec(read_document(path), str(path), validators)


def _where(e: orjson.JSONDecodeError | yaml.YAMLError) -> str:
    """A parser's error as a person fixes it: the line and column first, then what is wrong there."""
    if isinstance(e, orjson.JSONDecodeError):
        return f"line {e.lineno}, column {e.colno}: {e.msg}"
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None)
    if mark is not None and problem:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(e).splitlines()[0]


def read_document(path: str | Path) -> Any:
    """A spec file parsed, JSON or YAML, with the size limit and errors that name the file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise SpecError(f"{p}: cannot read: {e.strerror or e}") from e
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"{p}: {len(data)} bytes, more than the {MAX_SPEC_BYTES} a spec may have")
    try:
        if data.lstrip()[:1] in (b"{", b"["):
            return orjson.loads(data)
        doc = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (orjson.JSONDecodeError, yaml.YAMLError) as e:
        raise SpecError(f"{p}: not JSON or YAML: {_where(e)}") from e
    # YAML reads `example: 2024-01-01` as a date and `200:` as a number, which no JSON tool takes
    # (a validator refused the whole spec for one such example); as JSON they are the strings meant.
    _check_size(doc, str(p))  # first: the conversion would expand an alias bomb
    return orjson.loads(orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS))


def _check_size(doc: Any, name: str) -> None:
    try:
        nodes = _count_nodes(doc, MAX_SCHEMA_NODES)
    except SpecError as e:
        raise SpecError(f"{name}: {e}") from e
    if nodes > MAX_SCHEMA_NODES:
        raise SpecError(f"{name}: more than {MAX_SCHEMA_NODES} nodes (a YAML alias bomb or a runaway spec)")


def _count_nodes(node: Any, limit: int) -> int:
    """Nodes reachable without following $ref, counting shared (aliased) nodes each time they
    are reached: this is what a walk would cost, so an alias bomb is refused here. So is nesting
    deeper than MAX_DEPTH, which the copies made to compile a spec could not follow."""
    n = 0
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        cur, depth = stack.pop()
        n += 1
        if n > limit:
            return n
        if depth > MAX_DEPTH:
            raise SpecError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(cur, dict):
            stack.extend((v, depth + 1) for v in cur.values())
        elif isinstance(cur, list):
            stack.extend((v, depth + 1) for v in cur)
    return n


def compile_spec(doc: Any, name: str = "spec", validators: bool = True) -> Spec:
    """A spec ready to match requests. Specs are user input: one of the wrong shape (`paths: [1, 2]`)
    is a SpecError that names the file, never a crash."""
    try:
        return _compile_spec(doc, name, validators)
    except SpecError:
        raise
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as e:
        raise SpecError(f"{name}: not a valid OpenAPI document ({type(e).__name__}: {str(e)[:120]})") from e


def _compile_spec(doc: Any, name: str, validators: bool) -> Spec:
    if not isinstance(doc, dict):
        raise SpecError(f"{name}: not an OpenAPI document (top level is not an object)")
    for key in ("paths", "components"):
        if not isinstance(doc.get(key) or {}, dict):
            raise SpecError(f"{name}: `{key}` is not a mapping")
    _check_size(doc, name)
    version = str(doc.get("openapi") or doc.get("swagger") or "")
    if version.startswith("2"):
        doc = _from_swagger2(doc)
    elif not version.startswith("3"):
        raise SpecError(f"{name}: neither `openapi: 3.x` nor `swagger: 2.0`")
    components = doc.get("components") or {}
    # Schemas $ref components and, in some specs, other operations (`#/paths/~1users/get/...`).
    schemas = SchemaValidators(components, doc.get("paths") or {}, version.startswith("3.1")) if validators else None
    read_only = frozenset(_read_only_names(components.get("schemas") or {}))
    ops: list[Operation] = []
    global_security = doc.get("security") or []
    for template, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        item = _resolve(item, doc, name)
        common = item.get("parameters") or []
        for method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            where = f"{name}: {method.upper()} {template}"
            ops.append(_operation(method.upper(), template, op, common, doc, schemas, global_security, where))
    schemes = {}
    for sname, s in ((components.get("securitySchemes") or {}).items()):
        s = _resolve(s, doc, name)
        if isinstance(s, dict):
            schemes[sname] = SecurityScheme(sname, str(s.get("type", "")), str(s.get("scheme", "")).lower(),
                                            str(s.get("in", "")), str(s.get("name", "")))
    urls = [str(srv.get("url", "")) for srv in (doc.get("servers") or []) if isinstance(srv, dict)]
    bases = sorted({server_path(u) for u in urls}, key=len, reverse=True) or [""]
    if "" not in bases:
        bases.append("")
    hosts = [url_host(u) for u in urls]
    return Spec(ops, schemes, bases, read_only, str((doc.get("info") or {}).get("title", "")),
                schemas.warnings if schemas else [],
                frozenset(h for h in hosts if h) if hosts and all(h and "{" not in h for h in hosts) else None)


def server_path(url: str) -> str:
    """The path of a server URL, without its variables: `https://{region}.api.example.com/v1/` is `/v1`."""
    path = _ORIGIN.sub("", url, count=1)
    path = re.sub(r"\{[^}]*\}", "", path)
    return path.rstrip("/")


def url_host(url: str) -> str | None:
    """The host of a URL as the inventory keys it: `api.example.com`, with a port only when it is not
    the scheme's own; None when there is none (a relative URL) or it cannot be read."""
    try:
        parts = urlsplit(url)
        name, port = parts.hostname, parts.port
    except ValueError:  # `http://[::1:80/x`, a port that is no number
        return None
    if not name:
        return None
    if ":" in name:
        name = f"[{name}]"  # IPv6, bracketed as in the URL: `[::1]:9000`, not `::1:9000`
    return name if port is None or _DEFAULT_PORTS.get(parts.scheme.lower()) == port else f"{name}:{port}"


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def server_origin(url: str) -> str:
    """The scheme and host of a server URL (`https://api.example.com`), or "" for a relative one."""
    m = _ORIGIN.match(url)
    return m.group(0) if m else ""


_ORIGIN = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//[^/]*", re.IGNORECASE)


def _resolve(node: Any, doc: dict[str, Any], name: str, depth: int = 0) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        keys = pointer(ref) if isinstance(ref, str) else None
        if keys is None:
            raise SpecError(f"{name}: only local $refs are supported, not {ref!r}")
        node = lookup(doc, keys)
        if node is MISSING:
            raise SpecError(f"{name}: $ref {ref} does not resolve")
        depth += 1
        if depth > 32:
            raise SpecError(f"{name}: $ref {ref} is a cycle of references")
    return node


_TEMPLATE_PARAM = re.compile(r"\{([^{}/]{1,200})\}")


def _pieces(route: str) -> list[tuple[str, ...]] | None:
    """Each segment of a route as the literals around its parameters (`("", "-", "-", "")` for
    `{a}-{b}-{c}`); None when no segment has two or more parameters."""
    out: list[tuple[str, ...]] = []
    for seg in route.split("/"):
        out.append(tuple(_TEMPLATE_PARAM.split(seg)[::2]))
    return out if any(len(lits) > 2 for lits in out) else None


def _fill_route(pieces: list[tuple[str, ...]], rel: str) -> list[str] | None:
    segs = rel.split("/")
    if len(segs) != len(pieces):
        return None
    values: list[str] = []
    for lits, seg in zip(pieces, segs, strict=True):
        if len(lits) == 1:
            if seg != lits[0]:
                return None
            continue
        got = fill_segment(lits, seg)
        if got is None:
            return None
        values += got
    return values


def fill_segment(lits: tuple[str, ...] | list[str], seg: str) -> list[str] | None:
    """The parameters' values in one segment, each one character or more, earlier ones as long as
    they can be (a regex's greedy answer): every literal is placed as far right as the ones after
    it allow, found with `rfind` from the right, so the cost is linear in the segment."""
    first, last = lits[0], lits[-1]
    if not seg.startswith(first) or not seg.endswith(last) or len(seg) < sum(map(len, lits)) + len(lits) - 1:
        return None
    lo, hi = len(first), len(seg) - len(last)
    placed: list[tuple[int, int]] = []
    end = hi
    for lit in reversed(lits[1:-1]):
        pos = seg.rfind(lit, lo + 1, end - 1)
        if pos < 0:
            return None
        placed.append((pos, pos + len(lit)))
        end = pos
    if end - lo < 1:
        return None
    values: list[str] = []
    start = lo
    for a, b in reversed(placed):
        values.append(seg[start:a])
        start = b
    values.append(seg[start:hi])
    return values


def _path_regex(template: str) -> tuple[re.Pattern[str], int]:
    parts = []
    last = 0
    static = 0
    for m in _TEMPLATE_PARAM.finditer(template):
        parts.append(re.escape(template[last:m.start()]))
        static += m.start() - last
        parts.append(f"(?P<p{len(parts)}>[^/]+)")
        last = m.end()
    parts.append(re.escape(template[last:]))
    static += len(template) - last
    return re.compile("".join(parts) + "/?"), static


def _end_of_path(template: str) -> int:
    """Where the first `?` or `#` outside a `{name?}` (Laravel's optional parameters) is, or -1. One
    pass: a lookahead regex for "not inside braces" is quadratic on a hostile spec's path."""
    if "?" not in template and "#" not in template:
        return -1
    depth = 0
    for i, ch in enumerate(template):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif ch in "?#" and depth == 0:
            return i
    return -1


def split_template(template: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    """`/?Action=Describe&Version=2016-11-15` is the route `/` and the selector
    (("Action", "Describe"), ("Version", "2016-11-15")); `/#X-Amz-Target=Foo.Bar` selects by that
    header; a `{param}` value (`?query={query}`) or a bare name (`#tagKeys`) asks for the name only."""
    cut = _end_of_path(template)
    if cut < 0:
        return template, ()
    route, rest = template[:cut] or "/", template[cut + 1:]
    selector: list[tuple[str, str | None]] = []
    for part in re.split(r"[&#?]", rest):
        name, eq, value = part.partition("=")
        if name:
            selector.append((unquote(name), unquote(value) if eq and value and "{" not in value else None))
    return route, tuple(selector)


def _operation(method: str, template: str, op: dict[str, Any], common: list[Any], doc: dict[str, Any],
               schemas: SchemaValidators | None, global_security: Any, where: str) -> Operation:
    route, selector = split_template(template)
    regex, static = _path_regex(route)
    o = Operation(method, template, regex, static_len=static, deprecated=bool(op.get("deprecated")),
                  route=route, selector=selector)
    seen: dict[tuple[str, str], Param] = {}
    for raw in list(common) + list(op.get("parameters") or []):
        p = _resolve(raw, doc, where)
        if not isinstance(p, dict) or "name" not in p:
            continue
        schema = p.get("schema") or {}
        param = Param(str(p["name"]), str(p.get("in", "")), bool(p.get("required")) or p.get("in") == "path", schema)
        if schemas:
            param.validator = schemas.param(schema, f"{where} parameter {param.name}")
        seen[(param.where, param.name.lower() if param.where == "header" else param.name)] = param
    o.params = list(seen.values())
    rb = _resolve(op.get("requestBody"), doc, where) if op.get("requestBody") is not None else None
    if isinstance(rb, dict):
        o.body_required = bool(rb.get("required"))
        content = rb.get("content") or {}
        o.content_types = [str(c).split(";")[0].strip().lower() for c in content]
        json_media = [m for c, m in content.items() if "json" in str(c).lower() and isinstance(m, dict)]
        checked = next((m["schema"] for m in json_media if m.get("schema") is not None), None)
        if schemas and checked is not None:
            o.body_validator = schemas.body(checked, f"{where} request body")
        # Fields are judged by the first JSON type only: a later one (`json-patch+json`) is another shape.
        if json_media and json_media[0].get("schema") is not None:
            o.body_fields = _plain_fields(json_media[0]["schema"], doc, where)
        form = content.get("application/x-www-form-urlencoded")
        if schemas and isinstance(form, dict) and form.get("schema") is not None:
            _form(o, form["schema"], doc, schemas, where)
    sec = op.get("security", global_security)
    o.security = [s for s in sec if isinstance(s, dict)] if isinstance(sec, list) else []
    return o


def _plain_object(schema: Any, doc: dict[str, Any], where: str) -> dict[str, Any] | None:
    """A body schema whose fields are plain to see, resolved: an object with `properties` and no
    `allOf`/`anyOf`/`oneOf`, whose composed fields could not be known."""
    top = _resolve(schema, doc, where)
    if not isinstance(top, dict) or not isinstance(top.get("properties"), dict) \
            or any(k in top for k in ("allOf", "anyOf", "oneOf")):
        return None
    return top


def _plain_fields(schema: Any, doc: dict[str, Any], where: str) -> frozenset[str] | None:
    """The fields a JSON body may have, where the schema names them all (no open `additionalProperties`)."""
    top = _plain_object(schema, doc, where)
    if top is None or top.get("additionalProperties") not in (None, False):
        return None
    return frozenset(str(k) for k in top["properties"])


def _form(o: Operation, schema: Any, doc: dict[str, Any], schemas: SchemaValidators, where: str) -> None:
    """A form body's schema, checked only where its fields' types are plain to see, as the form's
    text is read by them."""
    top = _plain_object(schema, doc, where)
    if top is None:
        return
    for name, prop in top["properties"].items():
        prop = _resolve(prop, doc, where)
        o.form_fields[str(name)] = Param(str(name), "form", False, prop if isinstance(prop, dict) else {})
    o.form_validator = schemas.body(schema, f"{where} form body")


def _read_only_names(schemas: dict[str, Any]) -> list[str]:
    out = []
    stack: list[Any] = list(schemas.values())
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            props = cur.get("properties")
            props = props if isinstance(props, dict) else {}
            for k, v in props.items():
                if isinstance(v, dict) and v.get("readOnly") is True:
                    out.append(k)
            stack.extend(v for k, v in cur.items() if k != "properties")
            stack.extend(props.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return out


def _from_swagger2(doc: dict[str, Any]) -> dict[str, Any]:
    """Swagger 2.0 to the OpenAPI 3 shape this module reads."""
    text = orjson.dumps(doc).replace(b'"#/definitions/', b'"#/components/schemas/').replace(
        b'"#/parameters/', b'"#/components/parameters/')
    d = orjson.loads(text)
    comps: dict[str, Any] = {"schemas": d.get("definitions") or {}, "parameters": {},
                             "securitySchemes": {}}
    for k, p in (d.get("parameters") or {}).items():
        comps["parameters"][k] = _swagger2_param(p)
    for k, s in (d.get("securityDefinitions") or {}).items():
        if isinstance(s, dict):
            t = s.get("type")
            if t == "basic":
                comps["securitySchemes"][k] = {"type": "http", "scheme": "basic"}
            else:
                comps["securitySchemes"][k] = s
    base = str(d.get("basePath") or "")
    host = str(d.get("host") or "")
    schemes = [str(x) for x in d.get("schemes") or ["https"]]
    url = f"{schemes[0]}://{host}{base}" if host else base
    out: dict[str, Any] = {"openapi": "3.0.0", "info": d.get("info") or {}, "paths": {}, "components": comps,
                           "servers": [{"url": url}] if url else [], "security": d.get("security") or []}
    consumes = d.get("consumes") or ["application/json"]
    for template, item in (d.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        new_item: dict[str, Any] = {}
        for method, op in item.items():
            if method == "parameters":
                new_item["parameters"] = [_swagger2_param(p) for p in op if isinstance(p, dict) and p.get("in") != "body"]
                continue
            if not isinstance(op, dict):
                continue
            params = [p for p in op.get("parameters") or [] if isinstance(p, dict)]
            new_op = {k: v for k, v in op.items() if k not in ("parameters", "consumes")}
            new_op["parameters"] = [_swagger2_param(p) for p in params if p.get("in") not in ("body", "formData")]
            body = next((p for p in params if p.get("in") == "body"), None)
            fields = [p for p in params if p.get("in") == "formData" and "name" in p]
            if body is not None:
                new_op["requestBody"] = {"required": bool(body.get("required")),
                                         "content": {c: {"schema": body.get("schema") or {}} for c in op.get("consumes") or consumes}}
            elif fields:
                # A file field makes it multipart, whose parts are not read here.
                form = {"type": "object", "properties": {str(p["name"]): _swagger2_param(p)["schema"] for p in fields},
                        "required": [str(p["name"]) for p in fields if p.get("required")]}
                if not form["required"]:
                    del form["required"]
                types = [c for c in op.get("consumes") or consumes if "form" in str(c)] or ["application/x-www-form-urlencoded"]
                new_op["requestBody"] = {"required": any(p.get("required") for p in fields),
                                         "content": {c: {"schema": form} for c in types}}
            new_item[method] = new_op
        out["paths"][template] = new_item
    return out


def _swagger2_param(p: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in p:
        return p
    schema = {k: v for k, v in p.items() if k in ("type", "format", "enum", "minimum", "maximum", "minLength",
                                                    "maxLength", "pattern", "items", "exclusiveMinimum",
                                                    "exclusiveMaximum", "minItems", "maxItems")}
    return {"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False), "schema": schema}
