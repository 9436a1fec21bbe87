"""IAM condition operators, with `...IfExists`, `ForAllValues:` / `ForAnyValue:`, policy variables
and AWS's case rules: condition key names are case-insensitive, values are case-sensitive unless
the operator says IgnoreCase."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Context = dict[str, Any]  # lower-cased key -> value or list of values

_STRING = {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
           "StringLike", "StringNotLike"}
_NUMERIC = {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
            "NumericGreaterThan", "NumericGreaterThanEquals"}
_DATE = {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
         "DateGreaterThanEquals"}
_ARN = {"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"}
_OTHER = {"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null"}
OPERATORS = frozenset(_STRING | _NUMERIC | _DATE | _ARN | _OTHER)
# Negated operators match when the request value equals none of the policy's values, and hold when
# the key is absent from the request.
NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
                     "DateNotEquals", "ArnNotEquals", "ArnNotLike", "NotIpAddress"})
# Operators whose policy values may hold policy variables.
_VARIABLE_OPS = frozenset(_STRING | _ARN)


@dataclass(frozen=True)
class Condition:
    operator: str  # the base operator, e.g. StringLike
    key: str  # as written in the policy
    values: tuple[Any, ...]
    if_exists: bool = False
    set_op: str | None = None  # ForAllValues | ForAnyValue

    def describe(self) -> str:
        prefix = f"{self.set_op}:" if self.set_op else ""
        return f"{prefix}{self.operator}{'IfExists' if self.if_exists else ''} {self.key}"


def parse_conditions(block: Any) -> tuple[Condition, ...]:
    if not isinstance(block, dict):
        raise ValueError("Condition must be an object")
    out = []
    for op_name, keys in block.items():
        name = str(op_name)
        set_op = None
        if ":" in name:
            set_op, name = name.split(":", 1)
            if set_op not in ("ForAllValues", "ForAnyValue"):
                raise ValueError(f"unknown condition set operator {set_op!r}")
        if_exists = name.endswith("IfExists")
        base = name[: -len("IfExists")] if if_exists else name
        if base not in OPERATORS:
            raise ValueError(f"unknown condition operator {op_name!r}")
        if base == "Null" and if_exists:
            raise ValueError("NullIfExists is not an operator")
        if not isinstance(keys, dict) or not keys:
            raise ValueError(f"{op_name} needs an object of condition keys")
        for key, values in keys.items():
            vals = tuple(values) if isinstance(values, list) else (values,)
            if not vals:
                raise ValueError(f"{op_name} {key}: no values")
            out.append(Condition(base, str(key), vals, if_exists, set_op))
    return tuple(out)


# --- policy variables ---------------------------------------------------------------------------

_VAR = re.compile(r"\$\{([^{}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


class Unresolved(Exception):
    """A policy variable the request context does not define (and that has no default)."""


def substitute(text: str, ctx: Context, *, literal_wildcards: bool = True) -> str:
    """`${aws:username}` and friends, from the request context. `${*}`, `${?}` and `${$}` stand for
    the characters themselves; a default may follow a comma: `${aws:username, 'nobody'}`."""
    if "${" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if inner in _SPECIAL:
            return "\x00" + inner if literal_wildcards else inner
        key, _, default = inner.partition(",")
        value = ctx.get(key.strip().lower())
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None:
            d = default.strip()
            if len(d) >= 2 and d[0] == d[-1] == "'":
                return d[1:-1]
            raise Unresolved(key.strip())
        # A substituted value is data: wildcards in it do not act as wildcards.
        return str(value).replace("*", "\x00*").replace("?", "\x00?")

    return _VAR.sub(one, text)


# --- operators ----------------------------------------------------------------------------------

def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    # `\x00*` is a literal asterisk (from `${*}` or a substituted value); a bare `*` is a wildcard.
    parts = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\x00" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.fullmatch("".join(parts), value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _plain(pattern: str) -> str:
    return pattern.replace("\x00", "")


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _date(v: Any) -> datetime | None:
    if isinstance(v, int | float) or (isinstance(v, str) and v.isdigit()):
        return datetime.fromtimestamp(float(v), UTC)
    if isinstance(v, str):
        try:
            d = datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            return None
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return None


def _bool(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower()
    return None


def _arn_match(pattern: str, arn: str, like: bool) -> bool:
    p = pattern.split(":", 5)
    a = str(arn).split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return False
    if like:
        return all(_like(pp, aa) for pp, aa in zip(p, a, strict=True))
    return all(_plain(pp) == aa for pp, aa in zip(p, a, strict=True))


def _ip(pattern: Any, value: Any) -> bool:
    try:
        net = ipaddress.ip_network(str(pattern), strict=False)
        return ipaddress.ip_address(str(value)) in net
    except ValueError:
        return False


def _binary(pattern: Any, value: Any) -> bool:
    try:
        return base64.b64decode(str(pattern), validate=True) == (
            value if isinstance(value, bytes) else base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return False


def _positive(op: str) -> str:
    return {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
            "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike", "NotIpAddress": "IpAddress"}.get(op, op)


def _matches(op: str, pattern: Any, value: Any) -> bool:
    """Does one request value match one policy value, for a positive operator."""
    if op == "StringEquals":
        return isinstance(value, str | int | float | bool) and _plain(str(pattern)) == _str(value)
    if op == "StringEqualsIgnoreCase":
        return _plain(str(pattern)).lower() == _str(value).lower()
    if op == "StringLike":
        return _like(str(pattern), _str(value))
    if op in ("NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
              "NumericGreaterThanEquals"):
        a, b = _num(value), _num(pattern)
        return a is not None and b is not None and _CMP[op](a, b)
    if op in ("DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"):
        da, db = _date(value), _date(pattern)
        return da is not None and db is not None and _CMP["Numeric" + op[4:]](da.timestamp(), db.timestamp())
    if op == "Bool":
        return _bool(value) is not None and _bool(value) == _bool(pattern)
    if op == "BinaryEquals":
        return _binary(pattern, value)
    if op == "IpAddress":
        return _ip(pattern, value)
    if op == "ArnEquals":
        return _arn_match(str(pattern), _str(value), like=False)
    if op == "ArnLike":
        return _arn_match(str(pattern), _str(value), like=True)
    raise ValueError(op)


def _str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_CMP: dict[str, Callable[[float, float], bool]] = {
    "NumericEquals": lambda a, b: a == b, "NumericLessThan": lambda a, b: a < b,
    "NumericLessThanEquals": lambda a, b: a <= b, "NumericGreaterThan": lambda a, b: a > b,
    "NumericGreaterThanEquals": lambda a, b: a >= b,
}


def holds(cond: Condition, ctx: Context) -> bool:
    """Whether one condition holds for the request context."""
    present = cond.key.lower() in ctx
    raw = ctx.get(cond.key.lower())
    if cond.operator == "Null":
        want_absent = _bool(cond.values[0]) == "true"
        missing = raw is None or raw == [] or raw == ""
        return missing == want_absent
    if not present or raw is None:
        if cond.set_op == "ForAllValues":
            return True  # nothing to check: vacuously true, the classic ForAllValues trap
        if cond.if_exists:
            return True
        return cond.operator in NEGATED and cond.set_op is None
    values = raw if isinstance(raw, list) else [raw]
    negated = cond.operator in NEGATED
    op = _positive(cond.operator)
    patterns: list[Any] = []
    for pv in cond.values:
        if op in _VARIABLE_OPS or op in ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"):
            try:
                patterns.append(substitute(str(pv), ctx))
            except Unresolved:
                continue  # a value naming an undefined variable matches nothing
        else:
            patterns.append(pv)

    def ok(v: Any) -> bool:
        hit = any(_matches(op, p, v) for p in patterns)
        return not hit if negated else hit

    if cond.set_op == "ForAllValues":
        return all(ok(v) for v in values)
    if cond.set_op == "ForAnyValue":
        return any(ok(v) for v in values)
    # A single-valued operator over a multi-valued key: true if any value matches (for negated
    # operators: if no value matches any of the policy's values).
    if negated:
        return all(ok(v) for v in values)
    return any(ok(v) for v in values)
