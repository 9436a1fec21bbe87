"""IAM policy documents, parsed and checked once: statements with their actions, resources,
principals and conditions. Every problem names the policy and the statement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from apisentry.iam.conditions import Condition, parse_conditions


class PolicyError(ValueError):
    """A policy that cannot be evaluated, with where and why."""


@dataclass(frozen=True)
class Statement:
    policy: str  # the policy's name or ARN, for explanations
    index: int
    sid: str | None
    effect: str  # Allow | Deny
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principals: dict[str, tuple[str, ...]] | None = None  # {"AWS": (...), "Service": (...)} or {"*": ("*",)}
    not_principals: dict[str, tuple[str, ...]] | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.policy}#{self.sid or self.index}"


@dataclass(frozen=True)
class Policy:
    name: str
    statements: tuple[Statement, ...] = field(default_factory=tuple)


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{where}: {what} must be a string or a list of strings")


def _principal(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: Principal must be \"*\" or an object like {{\"AWS\": [...]}}")
    out = {}
    for k, v in value.items():
        if k not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"{where}: unknown principal type {k!r}")
        out[k] = _strings(v, where, f"Principal.{k}")
    return out


def parse_policy(doc: Any, name: str) -> Policy:
    if isinstance(doc, str):
        import json

        try:
            doc = json.loads(doc)
        except ValueError as e:
            raise PolicyError(f"{name}: not JSON: {e}") from e
    if not isinstance(doc, dict):
        raise PolicyError(f"{name}: a policy document must be a JSON object")
    raw = doc.get("Statement")
    if raw is None:
        raise PolicyError(f"{name}: no Statement")
    items = raw if isinstance(raw, list) else [raw]
    stmts = []
    for i, s in enumerate(items):
        where = f"{name} statement {i}" + (f" ({s.get('Sid')})" if isinstance(s, dict) and s.get("Sid") else "")
        if not isinstance(s, dict):
            raise PolicyError(f"{where}: a statement must be an object")
        effect = s.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
        if ("Action" in s) == ("NotAction" in s):
            raise PolicyError(f"{where}: needs exactly one of Action and NotAction")
        if "Resource" in s and "NotResource" in s:
            raise PolicyError(f"{where}: has both Resource and NotResource")
        if "Principal" in s and "NotPrincipal" in s:
            raise PolicyError(f"{where}: has both Principal and NotPrincipal")
        try:
            conds = parse_conditions(s.get("Condition") or {})
        except ValueError as e:
            raise PolicyError(f"{where}: {e}") from e
        stmts.append(Statement(
            policy=name, index=i, sid=s.get("Sid"), effect=effect,
            actions=_strings(s["Action"], where, "Action") if "Action" in s else (),
            not_actions=_strings(s["NotAction"], where, "NotAction") if "NotAction" in s else None,
            resources=_strings(s["Resource"], where, "Resource") if "Resource" in s else None,
            not_resources=_strings(s["NotResource"], where, "NotResource") if "NotResource" in s else None,
            principals=_principal(s["Principal"], where) if "Principal" in s else None,
            not_principals=_principal(s["NotPrincipal"], where) if "NotPrincipal" in s else None,
            conditions=conds,
        ))
    return Policy(name, tuple(stmts))


@lru_cache(maxsize=65536)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(rx, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """Actions are case-insensitive: `s3:getobject` is `s3:GetObject`."""
    return like(pattern, action, ignore_case=True)


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own, wildcards within a part."""
    if pattern == "*":
        return True
    p = pattern.split(":", 5)
    a = arn.split(":", 5)
    if len(p) != 6 or len(a) != 6:
        return like(pattern, arn)
    return all(like(pp, aa) for pp, aa in zip(p, a, strict=True))

