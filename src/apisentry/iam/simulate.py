"""Evaluation cases from JSON (`apisentry iam simulate --cases FILE`): each names its request and
the policies in play. A broken case is reported by name and index; the others are evaluated."""

from __future__ import annotations

from typing import Any

from apisentry.iam.evaluate import Decision, Policies, Request, evaluate
from apisentry.iam.policy import Policy, PolicyError, parse_policy


class CaseError(ValueError):
    pass


def _policy(doc: Any, name: str) -> Policy:
    return parse_policy(doc, name)


def _levels(items: Any, kind: str, where: str) -> list[list[Policy]]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise CaseError(f"{where}: {kind} must be a list of {{\"ou\", \"policies\"}}, root first")
    out = []
    for i, level in enumerate(items):
        if not isinstance(level, dict) or not isinstance(level.get("policies"), list):
            raise CaseError(f"{where}: {kind}[{i}] needs `policies` (a list)")
        ou = level.get("ou", i)
        out.append([_policy(p, f"{kind} {ou} policy {j}") for j, p in enumerate(level["policies"])])
    return out


def _list(case: dict[str, Any], key: str, where: str) -> list[Any]:
    items = case.get(key) or []
    if not isinstance(items, list):
        raise CaseError(f"{where}: {key} must be a list of policies")
    return items


def case_from_dict(case: Any, index: int) -> tuple[str, Request, Policies]:
    if not isinstance(case, dict):
        raise CaseError(f"case {index}: not an object")
    name = str(case.get("name", f"case {index}"))
    where = f"case {index} ({name})"
    r = case.get("request")
    if not isinstance(r, dict) or not isinstance(r.get("principal"), str) or not isinstance(r.get("action"), str):
        raise CaseError(f"{where}: request needs `principal` and `action` strings")
    ctx = r.get("context") or {}
    if not isinstance(ctx, dict):
        raise CaseError(f"{where}: request.context must be an object")
    account = r.get("resource_account")
    req = Request(r["principal"], r["action"], str(r.get("resource", "*")), account if isinstance(account, str) else None, ctx)
    try:
        pols = Policies(
            identity=[_policy(p, f"identity policy {i}") for i, p in enumerate(_list(case, "identity_policies", where))],
            resource=_policy(case["resource_policy"], "resource policy") if case.get("resource_policy") else None,
            boundaries=[_policy(p, f"permission boundary {i}")
                        for i, p in enumerate(_list(case, "permission_boundaries", where))],
            scps=_levels(case.get("scps"), "scps", where),
            rcps=_levels(case.get("rcps"), "rcps", where),
            session=_policy(case["session_policy"], "session policy") if case.get("session_policy") else None,
        )
    except PolicyError as e:
        raise CaseError(f"{where}: {e}") from e
    return name, req, pols


def run_cases(cases: Any) -> list[dict[str, Any]]:
    if not isinstance(cases, list):
        raise CaseError("the cases file must hold a JSON array of cases")
    out: list[dict[str, Any]] = []
    for i, c in enumerate(cases):
        try:
            name, req, pols = case_from_dict(c, i)
        except CaseError as e:
            out.append({"name": c.get("name", f"case {i}") if isinstance(c, dict) else f"case {i}", "error": str(e)})
            continue
        d: Decision = evaluate(req, pols)
        out.append({"name": name, **d.to_dict()})
    return out
