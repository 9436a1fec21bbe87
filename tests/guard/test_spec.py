"""The positive model from OpenAPI 3.0/3.1 and Swagger 2.0, and specs that are broken or hostile."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from apisentry.guard import Guard, HttpRequest
from apisentry.guard.spec import SpecError, compile_spec, load_spec, split_template
from tests.guard.conftest import DATA

BEARER = [("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.c2ln")]
JSON = [("Content-Type", "application/json")]


@pytest.fixture(scope="module")
def shop() -> Guard:
    return Guard(spec=DATA / "shop.yaml")


def _msgs(g: Guard, req: HttpRequest) -> list[tuple[str, str, str]]:
    return [(d.category, d.location, d.message) for d in g.inspect(req).detections]


def test_described_requests_pass_with_their_route(shop: Guard) -> None:
    v = shop.inspect(HttpRequest("GET", "/v1/orders", "limit=5&status=open", BEARER))
    assert (v.action, v.route, v.identity) == ("allow", "/orders", "ana")
    body = {"items": [{"sku": "A-1", "qty": 2}], "note": None, "customer": {"name": "x", "referrer": {"name": "y"}}}
    v = shop.inspect(HttpRequest("POST", "/v1/orders", "", BEARER + JSON, json.dumps(body).encode()))
    assert v.action == "allow", v.detections  # nullable and a recursive schema both work


def test_static_route_wins_over_template(shop: Guard) -> None:
    assert shop.inspect(HttpRequest("GET", "/v1/orders/mine", "", BEARER)).route == "/orders/mine"
    v = shop.inspect(HttpRequest("GET", "/v1/orders/1b4e28ba-2fa1-11d2-883f-0016d3cca427", "", BEARER))
    assert v.route == "/orders/{orderId}" and v.action == "allow"


@pytest.mark.parametrize(("req", "category", "fragment"), [
    (HttpRequest("GET", "/v1/admin", "", BEARER), "API9:2023", "not in the spec"),
    (HttpRequest("PUT", "/v1/orders/mine", "", BEARER), "API9:2023", "method not allowed"),
    (HttpRequest("GET", "/v1/orders", "limit=500", BEARER), "API8:2023", "maximum"),
    (HttpRequest("GET", "/v1/orders", "limit=ten", BEARER), "API8:2023", "limit"),
    (HttpRequest("GET", "/v1/orders", "status=lost", BEARER), "API8:2023", "status"),
    (HttpRequest("GET", "/v1/orders/not-a-uuid", "", BEARER), "API8:2023", "uuid"),
    (HttpRequest("GET", "/v1/reports", "", [("X-API-Key", "k")]), "API8:2023", "X-Tenant"),
    (HttpRequest("POST", "/v1/orders", "", [*BEARER, ("Content-Type", "text/plain")], b"hi"), "API8:2023", "content type"),
    (HttpRequest("POST", "/v1/orders", "", BEARER + JSON, b""), "API8:2023", "body required"),
    (HttpRequest("POST", "/v1/orders", "", BEARER + JSON, b'{"items": [{"sku": "a b", "qty": 0}]}'), "API8:2023", "minimum"),
    (HttpRequest("POST", "/v1/orders", "", BEARER + JSON, b'{"items": [], "isAdmin": true}'), "API3:2023", "not declared"),
    (HttpRequest("POST", "/v1/orders", "", BEARER + JSON, b'{"items": [], "id": "x"}'), "API3:2023", "readOnly"),
    (HttpRequest("POST", "/v1/orders", "", BEARER + JSON, json.dumps({"items": [{"sku": "A", "qty": 1}] * 51}).encode()),
     "API8:2023", "items"),
    (HttpRequest("GET", "/v1/orders", "", []), "API2:2023", "credentials required"),
])
def test_violations(shop: Guard, req: HttpRequest, category: str, fragment: str) -> None:
    v = shop.inspect(req)
    assert v.action == "block", v.detections
    assert any(c == category and fragment in m for c, _, m in _msgs(shop, req)), _msgs(shop, req)


def test_deprecated_operation_is_noted_not_blocked(shop: Guard) -> None:
    v = shop.inspect(HttpRequest("DELETE", "/v1/orders/1b4e28ba-2fa1-11d2-883f-0016d3cca427", "", BEARER))
    assert v.action == "allow" and any("deprecated" in d.message for d in v.detections)


def test_open_health_route(shop: Guard) -> None:
    assert shop.inspect(HttpRequest("GET", "/v1/health")).action == "allow"


def test_swagger2(tmp_path: Path) -> None:
    doc = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "basePath": "/api",
           "paths": {"/pets/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
                                            "responses": {"200": {"description": "ok"}}}},
                     "/pets": {"post": {"parameters": [{"name": "body", "in": "body", "required": True,
                                                        "schema": {"$ref": "#/definitions/Pet"}}],
                                        "responses": {"200": {"description": "ok"}}}}},
           "definitions": {"Pet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}}
    g = Guard(spec=compile_spec(doc))
    assert g.inspect(HttpRequest("GET", "/api/pets/12")).action == "allow"
    assert g.inspect(HttpRequest("GET", "/api/pets/abc")).action == "block"
    assert g.inspect(HttpRequest("POST", "/api/pets", "", JSON, b'{"name": "rex"}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/api/pets", "", JSON, b'{"nom": "rex"}')).action == "block"


def test_openapi31(tmp_path: Path) -> None:
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
           "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": {
               "type": "object", "properties": {"n": {"type": ["integer", "null"], "exclusiveMaximum": 10}}}}}},
               "responses": {"200": {"description": "ok"}}}}}}
    g = Guard(spec=compile_spec(doc))
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"n": null}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"n": 10}')).action == "block"


@pytest.mark.parametrize(("text", "why"), [
    ("openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n", "does not resolve"),
    ("openapi: 3.0.0\npaths:\n  /a: {$ref: '#/paths/~1b'}\n  /b: {$ref: '#/paths/~1a'}\n", "cycle"),
    ("openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters: [{$ref: 'http://evil/x.yaml'}]\n", "local"),
    ("swagger: '1.2'\n", "neither"),
    ("- just\n- a list\n", "not an OpenAPI document"),
    ("openapi: 3.0.0\npaths: {/a: {get: {responses: {}}}\n  bad indent: [\n", "not JSON or YAML"),
    # where the parser stopped, so the author can go there
    ("openapi: 3.0.0\npaths:\n  /a:\n    get: {\n  x: 1\n", r"not JSON or YAML: line 6, column 1: did not find expected ','"),
    ('{"openapi": "3.0.0",\n "paths": {,}}', r"not JSON or YAML: line 2, column 12: unexpected character"),
])
def test_broken_specs_are_named(tmp_path: Path, text: str, why: str) -> None:
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    with pytest.raises(SpecError, match=why):
        load_spec(p)


def test_a_schema_s_ref_to_a_url_is_not_fetched() -> None:
    # Loading a spec must not make the tool call whatever host the spec's author names.
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "integer"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/schema.json"
    try:
        doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"post": {
            "parameters": [{"name": "n", "in": "query", "schema": {"$ref": url}}],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"x": {"$ref": url + "#/x"}, "y": {"type": "integer"}}}}}},
            "responses": {"200": {"description": "ok"}}}}}}
        spec = compile_spec(doc)
    finally:
        server.shutdown()
    assert asked == []
    assert any("parameter n" in w and url in w for w in spec.warnings), spec.warnings
    assert any("request body" in w and url in w for w in spec.warnings), spec.warnings


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["openapi: 3.0.0", 'a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
        prev = name
    lines.append("paths: {}")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines))
    with pytest.raises(SpecError, match="alias bomb"):
        load_spec(p)


def test_recursive_schema_compiles() -> None:
    doc = {"openapi": "3.0.0", "paths": {"/n": {"post": {"requestBody": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Node"}}}}, "responses": {}}}},
        "components": {"schemas": {"Node": {"type": "object", "properties": {
            "v": {"type": "integer"}, "next": {"$ref": "#/components/schemas/Node"}}}}}}
    g = Guard(spec=compile_spec(doc))
    assert g.inspect(HttpRequest("POST", "/n", "", JSON, b'{"v": 1, "next": {"v": 2, "next": {"v": 3}}}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/n", "", JSON, b'{"v": 1, "next": {"v": "x"}}')).action == "block"


def test_indexed_match_agrees_with_trying_every_operation() -> None:
    """Spec.match looks only at operations of the same segment count and first segment; it must
    find what trying every operation's regex finds, most specific route first."""
    templates = ["/", "/orders", "/orders/{id}", "/orders/mine", "/orders/{id}/items/{n}", "/{tenant}/orders",
                 "/{tenant}/orders/{id}", "/v{major}/status", "/files/{name}.json", "/users/{id}/orders"]
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "paths": {t: {"get": {"responses": {"200": {"description": "ok"}}}} for t in templates}}
    spec = compile_spec(doc)
    paths = ["/", "/orders", "/orders/", "/orders/7", "/orders/mine", "/orders/7/items/2", "/acme/orders",
             "/acme/orders/7", "/v2/status", "/files/report.json", "/users/9/orders", "/nowhere/x/y/z", "/orders//"]
    for path in paths:
        every = sorted((op for op in spec.operations if op.regex.fullmatch(path)), key=lambda op: -op.static_len)
        op, known = spec.match("GET", path)
        assert known == bool(every), path
        assert (op.template if op else None) == (every[0].template if every else None), path


def _body_op(schema: dict, components: dict | None = None, params: list | None = None) -> dict:
    op: dict = {"requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": {}}
    if params:
        op["parameters"] = params
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"post": op}},
            "components": {"schemas": components or {}}}


def test_broken_keywords_are_dropped_with_a_warning_and_the_rest_is_checked() -> None:
    """Real specs carry patterns no regex engine reads (AWS IoT's `[^\\p\\{C\\}]*`) and bounds of
    the wrong type (`maxLength: "0"`); one of them used to refuse the whole spec."""
    doc = _body_op({"$ref": "#/components/schemas/Job"},
                   {"Job": {"type": "object", "properties": {
                       "details": {"type": "string", "pattern": "[^\\p\\{C\\}]*\\+"},
                       "retries": {"type": "integer", "maximum": 5}}}},
                   [{"name": "tag", "in": "query", "schema": {"type": "string", "maxLength": "0"}}])
    spec = compile_spec(doc, "iot.json")
    assert len(spec.warnings) == 2
    assert any("#/components/schemas/Job/properties/details/pattern` ignored" in w and "regex" in w
               for w in spec.warnings), spec.warnings
    assert any("parameter tag: `maxLength` ignored" in w for w in spec.warnings), spec.warnings
    g = Guard(spec=spec)
    assert g.inspect(HttpRequest("POST", "/x", "tag=a", JSON, b'{"details": "ok", "retries": 2}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/x", "tag=a", JSON, b'{"details": "ok", "retries": 9}')).action == "block"
    assert g.inspect(HttpRequest("POST", "/x", "tag=a", JSON, b'{"details": 7}')).action == "block"


def test_refs_into_other_operations_resolve() -> None:
    """DigitalOcean, Codat and others $ref a parameter or schema of another path: the pointer
    escapes `/` as `~1`, percent-encodes braces and indexes lists."""
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/users/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                                "schema": {"type": "integer"}}], "responses": {}},
                        "put": {"requestBody": {"content": {"application/json": {"schema": {
                            "type": "object", "properties": {"name": {"type": "string"}}}}}}, "responses": {}}},
        "/users/{id}/copy": {"post": {
            "parameters": [{"$ref": "#/paths/~1users~1%7Bid%7D/get/parameters/0"}],
            "requestBody": {"content": {"application/json": {"schema": {
                "$ref": "#/paths/~1users~1%7Bid%7D/put/requestBody/content/application~1json/schema"}}}},
            "responses": {}}}}}
    spec = compile_spec(doc)
    assert spec.warnings == []
    g = Guard(spec=spec)
    assert g.inspect(HttpRequest("POST", "/users/7/copy", "", JSON, b'{"name": "ana"}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/users/x/copy", "", JSON, b'{"name": "ana"}')).action == "block"
    assert g.inspect(HttpRequest("POST", "/users/7/copy", "", JSON, b'{"name": 5}')).action == "block"


def test_ref_into_a_read_only_property_still_resolves() -> None:
    """Request bodies drop readOnly properties (mass assignment), and Azure's specs $ref such a
    property from another schema (`.../properties/provisioningState`)."""
    components = {
        "Gateway": {"type": "object", "properties": {
            "name": {"type": "string"},
            "state": {"type": "string", "enum": ["ok", "failed"], "readOnly": True}}},
        "Listener": {"type": "object", "properties": {
            "lastState": {"$ref": "#/components/schemas/Gateway/properties/state"}}}}
    doc = _body_op({"type": "object", "properties": {"gateway": {"$ref": "#/components/schemas/Gateway"},
                                                     "listener": {"$ref": "#/components/schemas/Listener"}}},
                   components)
    spec = compile_spec(doc)
    assert spec.warnings == []
    g = Guard(spec=spec)
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"listener": {"lastState": "ok"}}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"listener": {"lastState": "odd"}}')).action == "block"
    v = g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"gateway": {"name": "a", "state": "ok"}}'))
    assert v.action == "block" and any("readOnly property" in d.message for d in v.detections)


def test_operations_sharing_a_schema_share_its_validator() -> None:
    """A validator compiles all that its schema reaches; Microsoft Graph has thousands of
    operations over the same entities, and compiling each copy took gigabytes."""
    schema = {"$ref": "#/components/schemas/Item"}
    doc = _body_op(schema, {"Item": {"type": "object", "properties": {"n": {"type": "integer"}}}})
    doc["paths"]["/y"] = {"put": doc["paths"]["/x"]["post"], "patch": {
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {}}}
    ops = {(o.method, o.template): o for o in compile_spec(doc).operations}
    assert ops[("POST", "/x")].body_validator is ops[("PUT", "/y")].body_validator
    assert ops[("PATCH", "/y")].body_validator is not ops[("PUT", "/y")].body_validator


def test_properties_of_the_wrong_shape_do_not_stop_the_spec() -> None:
    doc = _body_op({"type": "object"}, {"Odd": {"type": "object", "properties": ["a", "b"]}})
    spec = compile_spec(doc)
    assert [op.template for op in spec.operations] == ["/x"]


def test_nesting_beyond_reason_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "deep.yaml"
    nested = "".join(" " * (6 + i) + "a:\n" for i in range(300)) + " " * 306 + "x"
    p.write_text("openapi: 3.0.0\npaths: {}\ncomponents:\n  schemas:\n    Deep:\n" + nested + "\n")
    with pytest.raises(SpecError, match=r"deep\.yaml: nested more than 200 levels"):
        load_spec(p)


def test_routes_without_validators(tmp_path: Path) -> None:
    """The inventory reads routes, parameters and security only, and skips compiling schemas."""
    spec = load_spec(DATA / "shop.yaml", validators=False)
    full = load_spec(DATA / "shop.yaml")
    assert [(o.method, o.template, [p.name for p in o.params], o.security) for o in spec.operations] == \
        [(o.method, o.template, [p.name for p in o.params], o.security) for o in full.operations]
    assert all(o.body_validator is None and all(p.validator is None for p in o.params) for o in spec.operations)
    assert any(o.body_validator is not None for o in full.operations)


def test_the_guard_logs_what_it_does_not_check(caplog: pytest.LogCaptureFixture) -> None:
    doc = _body_op({"type": "object", "properties": {"id": {"type": "string", "pattern": "\\p{XDigit}+"}}})
    with caplog.at_level("WARNING", logger="apisentry.guard"):
        Guard(spec=compile_spec(doc, "hex.json"))
    assert [r.getMessage() for r in caplog.records] == [
        'spec: hex.json: POST /x request body: `properties/id/pattern` ignored: "\\\\p{XDigit}+" is not a "regex"']


def test_yaml_dates_and_numeric_keys_are_the_strings_meant(tmp_path: Path) -> None:
    """YAML reads `example: 2024-01-01` as a date and `200:` as a number; a date in one example
    made the validator refuse the whole spec."""
    p = tmp_path / "dated.yaml"
    p.write_text("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    post:\n"
                 "      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/X'}}}}\n"
                 "      responses: {200: {description: ok}}\n"
                 "components:\n  schemas:\n    X: {type: object, properties: {d: {type: string, format: date,"
                 " example: 2024-01-01, default: 2024-02-02}}}\n")
    spec = load_spec(p)
    assert spec.warnings == []
    g = Guard(spec=spec)
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"d": "2024-01-01"}')).action == "allow"
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"d": 5}')).action == "block"


def test_operations_told_apart_by_a_query_or_header_after_the_path() -> None:
    """Specs converted from AWS (and some others) key operations that share a path by a query or a
    header written after it; requests carry those, never the `?`/`#` text itself."""
    def op(params: list | None = None, body: dict | None = None) -> dict:
        o: dict = {"responses": {"200": {"description": "ok"}}, "parameters": params or []}
        if body:
            o["requestBody"] = {"content": {"application/json": {"schema": body}}}
        return o
    action = {"name": "Action", "in": "query", "required": True, "schema": {"type": "string"}}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/?Action=DescribeInstances": {"get": op([action, {"name": "MaxResults", "in": "query",
                                                           "schema": {"type": "integer", "maximum": 100}}])},
        "/?Action=RunInstances": {"get": op([action, {"name": "ImageId", "in": "query", "required": True,
                                                      "schema": {"type": "string"}}])},
        "/#X-Amz-Target=Svc.PutThing": {"post": op(body={"type": "object", "required": ["Name"]})},
        "/search/tags?query={query}": {"get": op([{"name": "query", "in": "query", "required": True,
                                                   "schema": {"type": "string"}}])}}}
    g = Guard(spec=compile_spec(doc))
    v = g.inspect(HttpRequest("GET", "/", "Action=DescribeInstances&MaxResults=5"))
    assert (v.action, v.route) == ("allow", "/?Action=DescribeInstances"), v.detections
    # the operation the query names is the one checked: RunInstances needs an ImageId
    v = g.inspect(HttpRequest("GET", "/", "Action=RunInstances"))
    assert v.route == "/?Action=RunInstances" and any("ImageId" in d.message for d in v.detections)
    assert g.inspect(HttpRequest("GET", "/", "Action=DescribeInstances&MaxResults=500")).action == "block"
    v = g.inspect(HttpRequest("GET", "/", "Action=DeleteEverything"))
    assert v.action == "block" and any("selects one is missing or unknown" in d.message for d in v.detections)
    v = g.inspect(HttpRequest("POST", "/", "", [("X-Amz-Target", "Svc.PutThing"), *JSON], b'{"Name": "a"}'))
    assert (v.action, v.route) == ("allow", "/#X-Amz-Target=Svc.PutThing"), v.detections
    assert g.inspect(HttpRequest("POST", "/", "", [("X-Amz-Target", "Svc.PutThing"), *JSON], b"{}")).action == "block"
    assert g.inspect(HttpRequest("POST", "/", "", JSON, b'{"Name": "a"}')).action == "block"
    v = g.inspect(HttpRequest("GET", "/search/tags", "query=python"))
    assert (v.action, v.route) == ("allow", "/search/tags?query={query}"), v.detections
    # read from a log line (a path, no query): the path alone is known to the spec
    assert compile_spec(doc).match("GET", "/")[0] is not None


def test_an_encoded_slash_stays_inside_its_path_parameter() -> None:
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/files/{name}": {"get": {"parameters": [{"name": "name", "in": "path", "required": True,
                                                  "schema": {"type": "string", "pattern": "^[a-z0-9/.]+$"}}],
                                  "responses": {"200": {"description": "ok"}}}}}}
    g = Guard(spec=compile_spec(doc))
    v = g.inspect(HttpRequest("GET", "/files/reports%2F2024%2Fq1.pdf"))
    assert (v.action, v.route) == ("allow", "/files/{name}"), v.detections  # the value, decoded, fits the pattern
    v = g.inspect(HttpRequest("GET", "/files/reports/2024"))  # two segments: no such path
    assert v.action == "block" and any("not in the spec" in d.message for d in v.detections)
    v = g.inspect(HttpRequest("GET", "/files/Q1%20report"))
    assert v.action == "block" and any(d.location == "path.name" for d in v.detections)


def _dated_spec() -> Guard:
    def p(name: str, schema: dict[str, object]) -> dict[str, object]:
        return {"name": name, "in": "path", "required": True, "schema": schema}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/reports/{year}-{month}-{day}": {"get": {"parameters": [
            p("year", {"type": "integer"}), p("month", {"type": "integer"}), p("day", {"type": "integer"})],
            "responses": {"200": {"description": "ok"}}}},
        "/files/{name}.{ext}": {"get": {"parameters": [p("name", {"type": "string"}), p("ext", {"enum": ["pdf", "csv"]})],
                                        "responses": {"200": {"description": "ok"}}}}}}
    return Guard(spec=compile_spec(doc))


def test_several_parameters_in_one_segment_take_the_values_a_regex_would_give() -> None:
    g = _dated_spec()
    assert g.inspect(HttpRequest("GET", "/reports/2024-05-01")).action == "allow"
    assert g.inspect(HttpRequest("GET", "/reports/2024-05-01/")).action == "allow"
    v = g.inspect(HttpRequest("GET", "/reports/2024-May-01"))
    assert v.action == "block" and [d.location for d in v.detections] == ["path.month"]
    assert g.inspect(HttpRequest("GET", "/files/q1.report.pdf")).action == "allow"  # the name keeps its dot
    v = g.inspect(HttpRequest("GET", "/files/q1.report.exe"))
    assert v.action == "block" and [d.location for d in v.detections] == ["path.ext"]
    v = g.inspect(HttpRequest("GET", "/reports/2024-05"))  # a parameter short: no such path
    assert v.action == "block" and any("not in the spec" in d.message for d in v.detections)


def test_a_hostile_segment_against_parameters_side_by_side_is_matched_in_linear_time() -> None:
    # `{year}-{month}-{day}` as one regex backtracked polynomially: 2,000 dashes took 19 s.
    g = _dated_spec()
    start = time.perf_counter()
    for hostile in ("-" * 200_000 + "/x", "." * 200_000 + "/x", "-" * 200_000):
        assert g.inspect(HttpRequest("GET", "/reports/" + hostile)).action == "block"
        assert g.inspect(HttpRequest("GET", "/files/" + hostile)).action == "block"
    assert time.perf_counter() - start < 10.0  # the regex would take days; this takes milliseconds


@pytest.mark.parametrize(("template", "route", "selector"), [
    ("/?Action=DescribeInstances&Version=2016-11-15", "/", (("Action", "DescribeInstances"), ("Version", "2016-11-15"))),
    ("/#X-Amz-Target=DynamoDB_20120810.PutItem", "/", (("X-Amz-Target", "DynamoDB_20120810.PutItem"),)),
    ("/untagResource/{resourceArn}#tagKeys", "/untagResource/{resourceArn}", (("tagKeys", None),)),
    ("/search/tags?query={query}", "/search/tags", (("query", None),)),
    ("/files/{name?}", "/files/{name?}", ()),  # an optional parameter's `?` is no query
    ("/orders/{id}", "/orders/{id}", ()),
])
def test_the_path_of_a_template_and_what_selects_its_operation(template: str, route: str, selector: tuple) -> None:
    assert split_template(template) == (route, selector)


def test_a_hostile_path_key_splits_in_one_pass() -> None:
    """Each `?` inside braces: a regex lookahead for "not inside braces" would rescan the rest of
    the key at every one of them (10^12 steps here)."""
    assert split_template("{" + "?" * 1_000_000 + "}") == ("{" + "?" * 1_000_000 + "}", ())


def test_every_value_of_a_repeated_query_parameter_is_checked() -> None:
    """`?n=500&n=5`: Flask and Go take the first value, PHP the last, Express both. Checking only
    one of them let the other through (HTTP parameter pollution)."""
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/items": {"get": {"parameters": [
        {"name": "tag", "in": "query", "schema": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}},
        {"name": "n", "in": "query", "schema": {"type": "integer", "maximum": 10}}],
        "responses": {"200": {"description": "ok"}}}}}}
    g = Guard(spec=compile_spec(doc))
    assert g.inspect(HttpRequest("GET", "/items", "tag=a&tag=b&n=5&n=5")).action == "allow"
    for query in ("tag=zzz&tag=a", "tag=a&tag=zzz"):
        assert _msgs(g, HttpRequest("GET", "/items", query)) == [
            ("API8:2023", "query.tag", 'query parameter tag: "zzz" is not one of "a" or "b"')], query
    for query in ("n=500&n=5", "n=5&n=500"):
        msgs = _msgs(g, HttpRequest("GET", "/items", query))
        assert ("API8:2023", "query.n", "query parameter n: 500 is greater than the maximum of 10") in msgs, query
        assert any("given 2 times" in m for _, _, m in msgs), query
    assert any("given 2 times" in m for _, _, m in _msgs(g, HttpRequest("GET", "/items", "n=4&n=5")))


def test_a_method_override_is_checked_as_the_method_it_asks_for() -> None:
    """Express's method-override, Symfony, Laravel and Rails run a POST as the method a header or
    `_method` names: a spec that allows no DELETE on a path must not let one in as a POST."""
    ident = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    ok = {"200": {"description": "ok"}}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
        "/users/{id}": {"get": {"parameters": ident, "responses": ok},
                        "post": {"parameters": ident, "responses": ok,
                                 "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}},
        "/drafts/{id}": {"delete": {"parameters": ident, "responses": ok}}}}
    g = Guard(spec=compile_spec(doc))
    assert g.inspect(HttpRequest("POST", "/users/5", "", JSON, b"{}")).action == "allow"
    for how in ([("X-HTTP-Method-Override", "DELETE")], [("X-Method-Override", "delete")], [("X-HTTP-Method", "PUT")]):
        v = g.inspect(HttpRequest("POST", "/users/5", "", how + JSON, b"{}"))
        assert v.action == "block" and any("overridden to" in d.evidence and "not allowed" in d.message
                                           for d in v.detections), how
    assert g.inspect(HttpRequest("POST", "/users/5", "_method=DELETE", JSON, b"{}")).action == "block"
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    v = g.inspect(HttpRequest("POST", "/users/5", "", form, b"name=x&_method=DELETE"))  # Rails' and Laravel's forms
    assert v.action == "block" and any("overridden to DELETE" in d.evidence for d in v.detections)
    # overridden to a method the spec allows there: the request is that operation
    assert g.inspect(HttpRequest("POST", "/drafts/5", "", [("X-HTTP-Method-Override", "DELETE")])).action == "allow"
    assert g.inspect(HttpRequest("POST", "/users/5", "", [("X-HTTP-Method-Override", "POST"), *JSON], b"{}")).action == "allow"


@pytest.mark.parametrize("body", [b'{"amount": NaN, "role": "admin"}', b'{"name": "a", "role": "admin",}',
                                  b'{"role": "admin"'])
def test_a_json_body_the_guard_cannot_read_is_refused_where_a_schema_applies(body: bytes) -> None:
    """Python's json reads NaN, .NET's readers trailing commas: a body the guard cannot parse would
    otherwise skip the schema, undeclared `role` and all."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "amount": {"type": "number"}},
              "additionalProperties": False}
    g = Guard(spec=compile_spec(_body_op(schema)))
    v = g.inspect(HttpRequest("POST", "/x", "", JSON, body))
    assert v.action == "block" and any("not valid JSON" in d.message for d in v.detections), v.detections
    assert g.inspect(HttpRequest("POST", "/x", "", JSON, b'{"name": "a", "amount": 1.5}')).action == "allow"
    assert Guard().inspect(HttpRequest("POST", "/x", "", JSON, body)).action == "allow"  # no spec: only noted


def test_cors_preflights_and_head_requests_on_documented_paths_pass(shop: Guard) -> None:
    """Specs describe neither: a guard that refused them would break every browser calling the API
    across origins, and every client that asks for headers only."""
    preflight = [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST")]
    v = shop.inspect(HttpRequest("OPTIONS", "/v1/orders", "", preflight))
    assert v.action == "allow" and v.detections == []
    assert shop.inspect(HttpRequest("OPTIONS", "/v1/nowhere", "", preflight)).action == "block"  # unknown path
    assert shop.inspect(HttpRequest("OPTIONS", "/v1/orders", "")).action == "block"  # no preflight: not described
    v = shop.inspect(HttpRequest("HEAD", "/v1/orders", "limit=5", BEARER))
    assert (v.action, v.route) == ("allow", "/orders"), v.detections  # checked as the GET it mirrors
    assert shop.inspect(HttpRequest("HEAD", "/v1/orders", "limit=500", BEARER)).action == "block"


def test_form_bodies_are_checked_against_their_schema() -> None:
    """A form's fields are text: read as the schema's types, then checked like a JSON body, so an
    undeclared `role=admin` is mass assignment in a form too."""
    schema = {"type": "object", "required": ["name"], "additionalProperties": False,
              "properties": {"name": {"type": "string", "maxLength": 5}, "age": {"type": "integer"},
                             "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}}}
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/users": {"post": {
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": schema}}},
        "responses": {"200": {"description": "ok"}}}}}}
    g = Guard(spec=compile_spec(doc))
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    assert g.inspect(HttpRequest("POST", "/users", "", form, b"name=ana&age=3&tags=a&tags=b")).action == "allow"
    for body, location, fragment in [(b"name=ana&role=admin", "form", "mass assignment"),
                                     (b"name=ana&age=x", "form.age", 'not of type "integer"'),
                                     (b"name=toolongname", "form.name", "longer than 5"),
                                     (b"age=3", "form", '"name" is a required property'),
                                     (b"name=ana&tags=zzz", "form.tags[0]", "is not one of"),
                                     (b"name=ana&name=bob", "form.name", "is not of type")]:
        v = g.inspect(HttpRequest("POST", "/users", "", form, body))
        assert v.action == "block" and any(d.location == location and fragment in d.message for d in v.detections), \
            (body, v.detections)


def test_swagger2_form_data_parameters_are_the_form_body(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /token:\n    post:\n"
                 "      consumes: [application/x-www-form-urlencoded]\n      parameters:\n"
                 "        - {name: grant_type, in: formData, required: true, type: string, enum: [password, refresh_token]}\n"
                 "        - {name: ttl, in: formData, type: integer, maximum: 3600}\n"
                 "      responses: {'200': {description: ok}}\n")
    g = Guard(spec=load_spec(p))
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    assert g.inspect(HttpRequest("POST", "/token", "", form, b"grant_type=password&ttl=60")).action == "allow"
    assert g.inspect(HttpRequest("POST", "/token", "", form, b"grant_type=client_credentials")).action == "block"
    assert g.inspect(HttpRequest("POST", "/token", "", form, b"grant_type=password&ttl=99999")).action == "block"
