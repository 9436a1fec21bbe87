"""Validators for the schemas of one spec, sharing the spec's components.

Every parameter and request body gets its own jsonschema-rs validator, and their $refs reach into
one registry that holds the spec's components (and its paths, which some specs $ref) once. Given
the components each, a 1.3 MB spec (AWS QuickSight) took 58 s and 16 GB; it takes 0.3 s and
131 MB this way.

Real specs carry broken keywords: a `pattern` no regex engine reads, `maxLength: "0"`, a
`$ref` into a property that is not there. Each is dropped with a warning that names it, so one bad
schema does not cost the whole spec, and what cannot be checked is said.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import orjson

SPEC_URI = "urn:apisentry:spec"
STRICT_URI = "urn:apisentry:strict"  # the same, with every object closed: what request bodies use
MAX_REPAIRS = 20  # broken keywords dropped for one validator before it is given up

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_FORMATS = {
    # OpenAPI's own formats, which JSON Schema does not define.
    "int32": lambda v: isinstance(v, str) or _INT_RANGES["int32"][0] <= int(v) <= _INT_RANGES["int32"][1],
    "int64": lambda v: isinstance(v, str) or _INT_RANGES["int64"][0] <= int(v) <= _INT_RANGES["int64"][1],
}
_COMPILE_ERRORS = (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError)


def pointer(ref: str) -> list[str] | None:
    """The keys of a local $ref (`#/paths/~1users~1%7Bid%7D/get`), or None for a remote one."""
    if not ref.startswith("#/"):
        return None
    return [unquote(p).replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]


MISSING = object()


def lookup(doc: Any, keys: list[str]) -> Any:
    """The node at `keys` (list items by their index), or MISSING."""
    cur = doc
    for k in keys:
        if isinstance(cur, list) and k.isdigit() and int(k) < len(cur):
            cur = cur[int(k)]
        elif isinstance(cur, dict) and k in cur:
            cur = cur[k]
        else:
            return MISSING
    return cur


class SchemaValidators:
    """Compiles the validators of one spec. `warnings` says what is not checked, and why."""

    def __init__(self, components: dict[str, Any], paths: dict[str, Any], draft31: bool) -> None:
        # OpenAPI 3.0 schemas are brought to 2020-12 first (nullable, boolean exclusive bounds), so
        # one validator class serves every version, with format checking on (uuid, date-time, ...).
        self.draft31 = draft31
        self.root = _to_2020_12(copy.deepcopy({"components": components, "paths": paths}), draft31)
        strict = _strict_components({"components": copy.deepcopy(self.root["components"])})
        self.strict = {**_absolute(strict, STRICT_URI), "paths": self.root["paths"]}
        self.warnings: list[str] = []
        self._registry: Any = None
        # Operations share schemas (Microsoft Graph: a PATCH and a POST per entity), and a validator
        # compiles everything its schema reaches, so each distinct schema is compiled once.
        self._compiled: dict[bytes, Any] = {}

    def param(self, schema: Any, where: str) -> Any:
        return self._compile(_absolute(_to_2020_12(_as_schema(copy.deepcopy(schema)), self.draft31), SPEC_URI), where)

    def body(self, schema: Any, where: str) -> Any:
        schema = _strict(_to_2020_12(copy.deepcopy(schema), self.draft31), set())
        return self._compile(_absolute(_as_schema(schema), STRICT_URI), where)

    def _registry_now(self) -> Any:
        if self._registry is None:
            self._registry = jsonschema_rs.Registry([(SPEC_URI, self.root), (STRICT_URI, self.strict)])
        return self._registry

    def _compile(self, schema: dict[str, Any], where: str) -> Any:
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
        if key not in self._compiled:
            self._compiled[key] = self._compile_new(schema, where)
        return self._compiled[key]

    def _compile_new(self, schema: dict[str, Any], where: str) -> Any:
        for _ in range(MAX_REPAIRS):
            try:
                # offline: a `$ref` to a URL would make loading a spec fetch it (a request to
                # wherever the spec's author points, and a hang where nothing answers).
                return jsonschema_rs.Draft202012Validator(schema, validate_formats=True, formats=_FORMATS,
                                                          registry=self._registry_now(), offline=True)
            except _COMPILE_ERRORS as e:
                msg = str(e).splitlines()[0]
                keys = [str(k) for k in getattr(e, "instance_path", None) or []]
                while keys and keys[-1].isdigit():  # an item of `required` or `allOf`: drop the keyword
                    keys.pop()
                if keys and self._drop(schema, keys):
                    self.warnings.append(f"{where}: `{'/'.join(keys)}` ignored: {msg}")
                elif keys and keys[0] in ("components", "paths") and any(
                        [self._drop(doc, keys) for doc in (self.root, self.strict)]):
                    # A broken component: dropped for every validator that reaches it.
                    self._registry = None
                    self.warnings.append(f"{where}: `#/{'/'.join(keys)}` ignored: {msg}")
                else:
                    self.warnings.append(f"{where}: not checked, its schema does not compile: {msg}")
                    return None
        self.warnings.append(f"{where}: not checked, its schema has more than {MAX_REPAIRS} broken keywords")
        return None

    @staticmethod
    def _drop(doc: Any, keys: list[str]) -> bool:
        parent = lookup(doc, keys[:-1])
        if isinstance(parent, dict) and keys[-1] in parent:
            del parent[keys[-1]]
            return True
        return False


def _as_schema(schema: Any) -> dict[str, Any]:
    if isinstance(schema, dict):
        return schema
    return {} if schema is True or schema is None else {"not": {}}


def _absolute(schema: Any, uri: str) -> Any:
    """`schema`, a copy of the caller's own, with its local $refs naming the registry document they
    point into. A $ref into a part of a component (`.../Foo/properties/state`) always names the
    spec as written: closing objects drops readOnly properties, and with them such a part.
    Iterative: a spec is user input, and its nesting has no bound that recursion could trust."""
    stack = [schema]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                whole = ref.startswith("#/components/schemas/") and ref.count("/") == 3
                cur["$ref"] = (uri if whole else SPEC_URI) + ref
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return schema


def _to_2020_12(node: Any, draft31: bool) -> Any:
    return node if draft31 else _nullable_to_type(node)


def _nullable_to_type(node: Any) -> Any:
    """OpenAPI 3.0 to JSON Schema 2020-12: `nullable: true` is `type: [T, "null"]`, and
    `exclusiveMaximum: true` beside `maximum` is `exclusiveMaximum: <maximum>`."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if cur.get("nullable") is True and isinstance(cur.get("type"), str):
                cur["type"] = [cur["type"], "null"]
            for ex, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
                if isinstance(cur.get(ex), bool):
                    if cur[ex] and bound in cur:
                        cur[ex] = cur.pop(bound)
                    else:
                        del cur[ex]
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return node


def _strict_components(root: dict[str, Any]) -> dict[str, Any]:
    """Components with every object closed, except schemas that are parts of an allOf/anyOf/oneOf
    (closing a part would reject the properties its siblings add)."""
    schemas = (root.get("components") or {}).get("schemas") or {}
    parts: set[str] = set()
    stack: list[Any] = [root]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            for comb in ("allOf", "anyOf", "oneOf"):
                for item in cur.get(comb) or []:
                    if isinstance(item, dict) and isinstance(item.get("$ref"), str):
                        parts.add(item["$ref"].rsplit("/", 1)[-1])
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    for name, schema in schemas.items():
        if name not in parts:
            _strict(schema, parts)
    return root


def _strict(schema: Any, parts: set[str]) -> Any:
    """Objects in a request body accept only the properties they declare (mass assignment), and
    never readOnly ones. Schemas composed with allOf/anyOf/oneOf are left open."""
    stack = [schema]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            props = cur.get("properties")
            if isinstance(props, dict) and "additionalProperties" not in cur and not any(
                    k in cur for k in ("allOf", "anyOf", "oneOf")):
                for k in [k for k, v in props.items() if isinstance(v, dict) and v.get("readOnly") is True]:
                    del props[k]
                cur["additionalProperties"] = False
            for k, v in cur.items():
                if k not in ("allOf", "anyOf", "oneOf"):
                    stack.append(v)
        elif isinstance(cur, list):
            stack.extend(cur)
    return schema


