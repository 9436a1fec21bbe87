"""Per-principal risk: admin equivalence, privilege-escalation paths, risky trust policies,
unrestricted sensitive permissions, and the blast radius if the principal's credentials are stolen."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from apisentry.iam.actions import catalogue, statement_actions
from apisentry.iam.authz import Account, Principal
from apisentry.iam.paths import Analyzer

MAX_LISTED = 50
DATA_SERVICES = ("s3", "dynamodb", "rds", "secretsmanager", "ssm", "kms", "sqs", "sns")
EXFILTRATION = {"s3:getobject", "secretsmanager:getsecretvalue", "ssm:getparameter", "ssm:getparameters",
                "ssm:getparametersbypath", "rds:copydbsnapshot", "rds:createdbsnapshot", "dynamodb:scan",
                "dynamodb:query", "dynamodb:getitem", "kms:decrypt", "sqs:receivemessage"}
CREDENTIALS = {"iam:createaccesskey", "iam:createloginprofile", "iam:updateloginprofile", "sts:getfederationtoken",
               "sts:getsessiontoken", "ecr:getauthorizationtoken", "redshift:getclustercredentials",
               "rds-db:connect", "iam:createservicespecificcredential", "cognito-identity:getcredentialsforidentity"}
INFRA_SERVICES = {"ec2", "lambda", "ecs", "eks", "cloudformation", "autoscaling", "rds", "elasticloadbalancing"}


@dataclass
class Finding:
    principal: str
    kind: str
    title: str
    severity: str
    permissions: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    path_id: str | None = None
    target: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"principal": self.principal, "kind": self.kind, "title": self.title, "severity": self.severity,
                "path_id": self.path_id, "target": self.target, "steps": self.steps,
                "permissions": self.permissions, "detail": self.detail}


def _unrestricted_actions(acct: Account, p: Principal) -> tuple[set[str], set[str]]:
    """(allowed anywhere, allowed on some resource) from statements, set-based over the catalogue:
    unconditional Denies subtract, a permission boundary intersects. Conditions on Allows are kept
    (they may be met); conditions on Denies are not relied on."""
    anywhere: set[str] = set()
    some: set[str] = set()
    denied: set[str] = set()
    for pol in acct.identity_policies(p):
        for st in pol.statements:
            acts = statement_actions(st)
            if st.effect == "Allow":
                some |= acts
                if st.resources and "*" in st.resources:
                    anywhere |= acts
            elif not st.conditions and st.resources and "*" in st.resources:
                denied |= acts
    if p.boundary and p.boundary in acct.policies:
        allowed_by_boundary: set[str] = set()
        for st in acct.policies[p.boundary].statements:
            if st.effect == "Allow":
                allowed_by_boundary |= statement_actions(st)
        anywhere &= allowed_by_boundary
        some &= allowed_by_boundary
    return anywhere - denied, some - denied


def blast_radius(acct: Account, an: Analyzer, p: Principal) -> dict[str, Any]:
    _, some = _unrestricted_actions(acct, p)
    cat = catalogue()
    by_service: dict[str, Counter[str]] = defaultdict(Counter)
    for a in some:
        by_service[a.split(":", 1)[0]][cat.get(a, "Unknown")] += 1
    # Principals reachable by assuming or passing roles, transitively.
    reach: dict[str, str] = {}
    frontier = [p]
    roles = [r for r in acct.principals.values() if r.kind == "role"]
    while frontier:
        cur = frontier.pop()
        for r in an.assume_candidates(cur):
            if r.arn not in reach and r.arn != p.arn and an.can_assume(cur, r):
                reach[r.arn] = "assume"
                frontier.append(r)
        if "iam:passrole" in an.actions_somewhere(cur):
            for r in an.passable_roles(cur, roles):
                if r.arn not in reach and r.arn != p.arn:
                    reach[r.arn] = "pass"
    admin = an.admin_equivalent(p) or any(an.admin_equivalent(acct.principals[a]) for a in reach)
    stores = {svc: dict(by_service[svc]) for svc in DATA_SERVICES if svc in by_service}
    score = 100 if admin else min(99, len(some) // 20 + 10 * len(stores) + 5 * len(reach)
                                  + 3 * sum(c.get("Permissions management", 0) > 0 for c in by_service.values()))
    # Admin roles first; the list is capped (a `role/svc-*` PassRole grant reaches thousands of roles).
    ranked = sorted(reach.items(), key=lambda kv: (not an.admin_equivalent(acct.principals[kv[0]]), kv[0]))
    return {"actions": len(some), "services": {s: dict(c) for s, c in sorted(by_service.items())},
            "reachable_count": len(reach),
            "reachable_principals": [{"arn": a, "how": how} for a, how in ranked[:MAX_LISTED]],
            "data_stores": stores, "admin_reachable": admin, "score": score}


_NARROWING_KEYS = {"aws:principalorgid", "aws:principalaccount", "aws:sourceaccount", "aws:principalarn",
                   "aws:sourcearn", "sts:externalid"}


def _any_subject(value: object) -> bool:
    """A `sub` condition value that admits every identity of the provider (`*`, GitHub's `repo:*`)."""
    v = str(value).strip()
    return v == "*" or (v.endswith(":*") and v.count(":") == 1)


def _risky_trust(role: Principal, account_id: str) -> list[Finding]:
    out: list[Finding] = []
    if role.trust is None:
        return out
    for st in role.trust.statements:
        if st.effect != "Allow":
            continue
        prin = st.principals or {}
        keys = {c.key.lower() for c in st.conditions}
        if ("*" in prin or "*" in prin.get("AWS", ())) and not keys & _NARROWING_KEYS:
            out.append(Finding(role.arn, "risky_trust", "Role can be assumed by any AWS principal", "critical",
                                   ["sts:AssumeRole"], detail=f"trust statement {st.ref}: Principal \"*\" without a "
                                   "condition that narrows it"))
        for p in prin.get("AWS", ()):
            acct = p if p.isdigit() else (p.split(":")[4] if p.startswith("arn:") and len(p.split(":")) > 4 else "")
            if acct and acct != account_id and "sts:externalid" not in keys:
                out.append(Finding(role.arn, "risky_trust", "Another account can assume the role without an external id",
                                   "high", ["sts:AssumeRole"], detail=f"trust statement {st.ref} trusts {p}: the "
                                   "third-party (confused deputy) door of a supply-chain attack"))
        for fed in prin.get("Federated", ()):
            if "oidc" in fed or "token.actions.githubusercontent.com" in fed:
                subs = [c for c in st.conditions if c.key.lower().endswith(":sub")]
                if not subs or any(_any_subject(v) for c in subs for v in c.values):
                    out.append(Finding(role.arn, "risky_trust", "OIDC federation without a subject condition",
                                       "high", ["sts:AssumeRoleWithWebIdentity"],
                                       detail=f"trust statement {st.ref}: any identity of {fed} (for GitHub: any "
                                       "repository) can assume the role"))
    return out


def analyze(acct: Account) -> dict[str, Any]:
    an = Analyzer(acct)
    principals = []
    findings: list[Finding] = []
    for p in sorted(acct.principals.values(), key=lambda x: x.arn):
        admin = an.admin_equivalent(p)
        br = blast_radius(acct, an, p)
        principals.append({"arn": p.arn, "type": p.kind, "admin": admin, "blast_radius": br})
        for hit in an.find(p):
            findings.append(Finding(p.arn, "privilege_escalation", f"Privilege escalation: {hit.path.name}", "critical",
                                    hit.permissions, hit.steps, hit.path.id, hit.target,
                                    (hit.note + " " if hit.note else "") + hit.path.reference))
        an.forget_action_sets()
        if p.kind == "role":
            findings.extend(_risky_trust(p, acct.id))
        if admin:
            continue
        anywhere, _ = _unrestricted_actions(acct, p)
        cat = catalogue()
        for kind, title, sev, acts in (
            ("data_exfiltration", "Can read data stores without a resource constraint", "high", sorted(anywhere & EXFILTRATION)),
            ("credentials_exposure", "Can create or obtain credentials without a resource constraint", "high",
             sorted(anywhere & CREDENTIALS)),
            ("resource_exposure", "Can change resource permissions without a resource constraint", "high",
             sorted(a for a in anywhere if cat.get(a) == "Permissions management")),
            ("infrastructure_modification", "Can modify infrastructure without a resource constraint", "medium",
             sorted(a for a in anywhere if cat.get(a) == "Write" and a.split(":", 1)[0] in INFRA_SERVICES)),
        ):
            if acts:
                findings.append(Finding(p.arn, kind, title, sev, acts[:50], detail=f"{len(acts)} action(s)"))
        for pol in acct.identity_policies(p):
            for st in pol.statements:
                wild = [a for a in st.actions if a.endswith(":*") and st.effect == "Allow"]
                if wild and st.resources and "*" in st.resources:
                    findings.append(Finding(p.arn, "service_wildcard", "Service wildcard on all resources", "medium",
                                            wild, detail=f"statement {st.ref}"))
    return {"account": acct.id, "principals": principals, "findings": [f.to_dict() for f in findings],
            "problems": acct.problems}
