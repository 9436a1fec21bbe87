"""What values look like: JSON types, string formats, and a schema sketch that takes request or
response bodies one at a time and yields one JSON schema every body satisfies.

A sketch keeps counts and shapes, not the bodies, so a million responses cost what their schema
costs; two sketches merge, so traffic can be summed per path before it is templated."""

from __future__ import annotations

import re
from typing import Any

_FORMATS = [("uuid", re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)),
            ("date-time", re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")), ("date", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
            ("email", re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)), ("uri", re.compile(r"^https?://")),
            ("ipv4", re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$"))]

# Bounds against hostile bodies: nesting, keys of one object (a map keyed by ids), items of one array.
MAX_DEPTH = 20
MAX_KEYS = 500
MAX_ITEMS = 1000


def format_of(v: str) -> str | None:
    # Each format's pattern runs only where its cheapest necessary condition holds: most values
    # (names, ids, words) have no format, and bodies carry millions of them.
    n = len(v)
    if n in (36, 37) and v[8:9] == "-" and _FORMATS[0][1].match(v):
        return "uuid"
    if n >= 10 and v[4:5] == "-":
        if _FORMATS[1][1].match(v):
            return "date-time"
        if n <= 11 and _FORMATS[2][1].match(v):
            return "date"
    if "@" in v and _FORMATS[3][1].match(v):
        return "email"
    if v[:4].lower() == "http" and _FORMATS[4][1].match(v):
        return "uri"
    if 7 <= n <= 16 and "." in v and _FORMATS[5][1].match(v):
        return "ipv4"
    return None


_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?\d+\.\d+")


def value_type(v: str) -> str:
    """The type a text value (a query or header parameter) reads as."""
    if _INTEGER.fullmatch(v):
        return "integer"
    if _DECIMAL.fullmatch(v):
        return "number"
    if v.lower() in ("true", "false"):
        return "boolean"
    return "string"


_JSON_TYPES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object",
                                list: "array", type(None): "null"}


def json_type(v: Any) -> str:
    t = _JSON_TYPES.get(type(v))
    if t is not None:
        return t
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "string"


_NO_FORMAT = ""  # a string without a known format, which rules out any format for the field


class SchemaSketch:
    """A JSON schema learnt from values one at a time: object keys merged, `required` only for the
    keys present in every object, types widened (integer with number is number; anything else
    mixed is a list of types), a string format only when every string has it."""

    __slots__ = ("formats", "items", "objects", "props", "seen", "types")

    def __init__(self) -> None:
        self.seen = 0
        self.types: set[str] = set()
        self.formats: set[str] = set()
        self.objects = 0
        self.props: dict[str, SchemaSketch] = {}
        self.items: SchemaSketch | None = None

    def add(self, value: Any, depth: int = 0) -> None:
        self.seen += 1
        t = json_type(value)
        self.types.add(t)
        if depth >= MAX_DEPTH:
            return
        if t == "string":
            if len(self.formats) < 2:  # two formats already mean none
                self.formats.add(format_of(value) or _NO_FORMAT)
        elif t == "object":
            self.objects += 1
            for k, v in value.items():
                prop = self.props.get(k)
                if prop is None:
                    if len(self.props) >= MAX_KEYS:
                        continue
                    prop = self.props[k] = SchemaSketch()
                prop.add(v, depth + 1)
        elif t == "array":
            if self.items is None:
                self.items = SchemaSketch()
            for x in value[:MAX_ITEMS]:
                self.items.add(x, depth + 1)

    def merge(self, other: SchemaSketch) -> None:
        self.seen += other.seen
        self.types |= other.types
        if len(self.formats) < 2:
            self.formats |= other.formats
        self.objects += other.objects
        for k, theirs in other.props.items():
            mine = self.props.get(k)
            if mine is not None:
                mine.merge(theirs)
            elif len(self.props) < MAX_KEYS:
                self.props[k] = theirs
        if other.items is not None:
            if self.items is None:
                self.items = other.items
            else:
                self.items.merge(other.items)

    def schema(self) -> dict[str, Any]:
        return self._schema(self.types)

    def _schema(self, types: set[str]) -> dict[str, Any]:
        if not types:
            return {}
        if types == {"integer", "number"}:
            types = {"number"}
        if len(types) > 1:
            if "null" in types and len(types) == 2:
                (t,) = types - {"null"}
                inner = self._schema({t})
                inner["type"] = [t, "null"]
                return inner
            return {"type": sorted(types)}
        (t,) = types
        if t == "object":
            props = {k: p.schema() for k, p in sorted(self.props.items())}
            required = sorted(k for k, p in self.props.items() if p.seen == self.objects)
            out: dict[str, Any] = {"type": "object", "properties": props}
            if required:
                out["required"] = required
            return out
        if t == "array":
            items = self.items
            return {"type": "array", "items": items.schema() if items is not None and items.seen else {}}
        if t == "string":
            fmt = next(iter(self.formats)) if len(self.formats) == 1 else _NO_FORMAT
            return {"type": "string", **({"format": fmt} if fmt else {})}
        return {"type": t}


def infer_schema(samples: list[Any]) -> dict[str, Any]:
    """One schema that every sample satisfies."""
    sketch = SchemaSketch()
    for s in samples:
        sketch.add(s)
    return sketch.schema()
