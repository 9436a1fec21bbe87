"""AWS's policy evaluation logic for one request: explicit deny wins; SCPs and RCPs must allow at
every level of the organization; a resource policy may grant on its own within an account;
otherwise identity policies must allow, within any permission boundary and session policy.
The decision names the statements that made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apisentry.iam.conditions import Context, Unresolved, _like, holds, substitute
from apisentry.iam.policy import Policy, Statement, action_matches

ALLOWED = "Allowed"
IMPLICIT = "ImplicitlyDenied"
EXPLICIT = "ExplicitlyDenied"


@dataclass
class Request:
    principal: str  # ARN of the caller: user, role, assumed-role session, root, or a service name
    action: str  # service:Action
    resource: str = "*"
    resource_account: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Policies:
    identity: list[Policy] = field(default_factory=list)
    resource: Policy | None = None
    boundaries: list[Policy] = field(default_factory=list)
    scps: list[list[Policy]] = field(default_factory=list)  # one list per OU level, root first
    rcps: list[list[Policy]] = field(default_factory=list)
    session: Policy | None = None


@dataclass
class Decision:
    decision: str
    reason: str
    statements: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reason": self.reason, "statements": self.statements}


def account_of(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) >= 5 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def role_of_session(arn: str) -> str | None:
    """arn:aws:sts::A:assumed-role/Name/session -> arn:aws:iam::A:role/Name (path unknown: matched by name)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"
    return None


def _context(req: Request) -> Context:
    ctx: Context = {str(k).lower(): v for k, v in req.context.items()}
    acct = account_of(req.principal)
    role = role_of_session(req.principal)
    ctx.setdefault("aws:principalarn", role or req.principal)
    if acct:
        ctx.setdefault("aws:principalaccount", acct)
    parts = req.principal.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("user/"):
        ctx.setdefault("aws:username", parts[5].rsplit("/", 1)[-1])
    now = datetime.now(UTC)
    ctx.setdefault("aws:currenttime", now.isoformat().replace("+00:00", "Z"))
    ctx.setdefault("aws:epochtime", int(now.timestamp()))
    return ctx


def _resource_match(patterns: tuple[str, ...], resource: str, ctx: Context) -> bool:
    for p in patterns:
        try:
            pat = substitute(p, ctx)
        except Unresolved:
            continue
        if _like(pat, resource):
            return True
    return False


def principal_match(principals: dict[str, tuple[str, ...]], principal: str) -> str | None:
    """How a Principal element names the caller: "exact" (the user or the session), "role" (the
    role behind a session), "account", "any", or None."""
    if "*" in principals:
        return "any"
    acct = account_of(principal)
    role = role_of_session(principal)
    best: str | None = None
    for kind, values in principals.items():
        for v in values:
            if kind == "AWS":
                if v == "*":
                    return "any"
                if v == principal:
                    return "exact"
                if acct and (v == acct or v == f"arn:aws:iam::{acct}:root"):
                    best = best or "account"
                elif role and v.startswith(f"arn:aws:iam::{acct}:role/") and v.rsplit("/", 1)[-1] == role.rsplit("/", 1)[-1]:
                    best = "role"
            elif v == principal:
                return "exact"
    return best


def _applies(st: Statement, req: Request, ctx: Context, resource_policy: bool) -> str | None:
    """None if the statement does not apply; otherwise how the principal matched ("" if the
    statement names no principal)."""
    if st.not_actions is not None:
        if any(action_matches(a, req.action) for a in st.not_actions):
            return None
    elif not any(action_matches(a, req.action) for a in st.actions):
        return None
    if st.resources is not None and not _resource_match(st.resources, req.resource, ctx):
        return None
    if st.not_resources is not None and _resource_match(st.not_resources, req.resource, ctx):
        return None
    how = ""
    if resource_policy:
        if st.principals is not None:
            m = principal_match(st.principals, req.principal)
            if m is None:
                return None
            how = m
        elif st.not_principals is not None:
            if principal_match(st.not_principals, req.principal) is not None:
                return None
            how = "any"
        else:
            return None  # a resource policy statement without a principal grants nobody
    if not all(holds(c, ctx) for c in st.conditions):
        return None
    return how


def _matching(policies: list[Policy], effect: str, req: Request, ctx: Context,
              resource_policy: bool = False) -> list[tuple[Statement, str]]:
    out = []
    for pol in policies:
        for st in pol.statements:
            if st.effect == effect:
                how = _applies(st, req, ctx, resource_policy)
                if how is not None:
                    out.append((st, how))
    return out


def evaluate(req: Request, pols: Policies) -> Decision:
    ctx = _context(req)
    principal_account = account_of(req.principal)
    resource_account = req.resource_account or account_of(req.resource) or principal_account
    same_account = principal_account is not None and principal_account == resource_account

    # 1. An explicit deny anywhere decides.
    deny_sets: list[tuple[list[Policy], bool]] = [(pols.identity, False), (pols.boundaries, False)]
    deny_sets += [(level, False) for level in pols.scps] + [(level, False) for level in pols.rcps]
    if pols.session:
        deny_sets.append(([pols.session], False))
    if pols.resource:
        deny_sets.append(([pols.resource], True))
    denies = [st.ref for group, is_res in deny_sets for st, _ in _matching(group, "Deny", req, ctx, is_res)]
    if denies:
        return Decision(EXPLICIT, "an explicit Deny applies", denies)

    # 2-3. Organization guardrails: every level must allow.
    for kind, levels in (("SCP", pols.scps), ("RCP", pols.rcps)):
        for depth, level in enumerate(levels):
            if not _matching(level, "Allow", req, ctx):
                return Decision(IMPLICIT, f"no {kind} at organization level {depth} allows the action")

    # 4. The resource policy.
    res_allow = _matching([pols.resource], "Allow", req, ctx, True) if pols.resource else []
    ident_allow = _matching(pols.identity, "Allow", req, ctx)
    bound_ok = not pols.boundaries or bool(_matching(pols.boundaries, "Allow", req, ctx))
    sess_ok = pols.session is None or bool(_matching([pols.session], "Allow", req, ctx))
    refs = [st.ref for st, _ in res_allow] + [st.ref for st, _ in ident_allow]
    if same_account and res_allow:
        hows = {how for _, how in res_allow}
        if "exact" in hows or ("any" in hows and not role_of_session(req.principal)):
            # Granted to this user or this session by ARN: identity policies, boundaries and session
            # policies cannot take it away with an implicit deny.
            return Decision(ALLOWED, "the resource policy grants it to this principal", [st.ref for st, _ in res_allow])
        if "role" in hows or "any" in hows:
            if bound_ok and sess_ok:
                return Decision(ALLOWED, "the resource policy grants it to the role", [st.ref for st, _ in res_allow])
            return Decision(IMPLICIT, "the resource policy grants it to the role, but a permission boundary or "
                            "session policy does not allow it", [st.ref for st, _ in res_allow])
        # Granted to the account: the account's identity policies decide, as below.
    if not same_account:
        if not res_allow:
            return Decision(IMPLICIT, "cross-account access needs the resource policy to allow it", [st.ref for st, _ in ident_allow])
        if not ident_allow:
            return Decision(IMPLICIT, "cross-account access also needs an identity policy in the caller's account",
                            [st.ref for st, _ in res_allow])

    # 5-7. Identity policies within boundaries and session policies.
    if not ident_allow:
        return Decision(IMPLICIT, "no identity policy allows the action")
    if not bound_ok:
        return Decision(IMPLICIT, "the permission boundary does not allow the action", [st.ref for st, _ in ident_allow])
    if not sess_ok:
        return Decision(IMPLICIT, "the session policy does not allow the action", [st.ref for st, _ in ident_allow])
    return Decision(ALLOWED, "allowed by identity policy" + (" and the resource policy" if res_allow else ""), refs)


def resource_policy_allows(req: Request, policy: Policy) -> bool:
    """Whether the policy itself has an Allow for this caller (a role's trust policy must, always)."""
    return bool(_matching([policy], "Allow", req, _context(req), True))
