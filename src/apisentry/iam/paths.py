"""Privilege-escalation paths, driven by pathfinding.cloud's catalogue (data, not code): for each
principal, which documented path its permissions open, towards which target, with the steps and the
permissions that enable it. Every permission is checked with the evaluator against the resource the
step acts on, so denies, conditions, boundaries and trust policies all count."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from apisentry.iam.actions import allowed_somewhere
from apisentry.iam.authz import Account, Principal
from apisentry.iam.evaluate import Request, account_of, resource_policy_allows
from apisentry.iam.policy import Statement, action_matches, like

# The service principal that assumes a passed role, by the path's service.
SERVICE_PRINCIPALS = {
    "apprunner": "tasks.apprunner.amazonaws.com", "bedrock": "bedrock-agentcore.amazonaws.com",
    "cloudformation": "cloudformation.amazonaws.com", "codebuild": "codebuild.amazonaws.com",
    "datapipeline": "datapipeline.amazonaws.com", "ec2": "ec2.amazonaws.com",
    "ec2-instance-connect": "ec2.amazonaws.com", "ecs": "ecs-tasks.amazonaws.com", "glue": "glue.amazonaws.com",
    "lambda": "lambda.amazonaws.com", "sagemaker": "sagemaker.amazonaws.com", "ssm": "ec2.amazonaws.com",
}
USER_ACTIONS = {"iam:createaccesskey", "iam:deleteaccesskey", "iam:createloginprofile", "iam:updateloginprofile",
                "iam:putuserpolicy", "iam:attachuserpolicy"}
ROLE_ACTIONS = {"iam:updateassumerolepolicy", "iam:attachrolepolicy", "iam:putrolepolicy", "sts:assumerole"}
GROUP_ACTIONS = {"iam:putgrouppolicy", "iam:attachgrouppolicy", "iam:addusertogroup"}
# Steps that give the target new permissions: with them, the target need not be privileged already.
GRANTING = {"iam:putuserpolicy", "iam:attachuserpolicy", "iam:putrolepolicy", "iam:attachrolepolicy",
            "iam:createpolicyversion", "iam:putgrouppolicy", "iam:attachgrouppolicy"}
# What an administrator can do; a principal allowed all of these is treated as admin-equivalent.
ADMIN_PROBES = ("iam:CreateUser", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PassRole", "sts:AssumeRole",
                "ec2:RunInstances", "s3:GetObject", "lambda:CreateFunction", "kms:Decrypt", "secretsmanager:GetSecretValue")


def service_principal(services: tuple[str, ...]) -> str:
    service = next((s for s in services if s not in ("iam", "sts")), "ec2")
    return SERVICE_PRINCIPALS.get(service, f"{service}.amazonaws.com")


@dataclass(frozen=True)
class PathDef:
    id: str
    name: str
    category: str
    services: tuple[str, ...]
    required: tuple[str, ...]
    description: str
    recommendation: str
    reference: str


@dataclass
class PathHit:
    path: PathDef
    principal: str
    target: str | None
    steps: list[str] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    note: str = ""


@cache
def catalogue() -> tuple[PathDef, ...]:
    data = json.loads(resources.files("apisentry.iam").joinpath("data/pathfinding-paths.json").read_text())
    return tuple(PathDef(p["id"], p["name"], p["category"], tuple(p["services"]), tuple(p["required"]),
                         p["description"], p["recommendation"], p["reference"]) for p in data["paths"])


def _probe(pattern: str) -> str:
    """A concrete resource a wildcard pattern covers (for "allowed on some resource" checks)."""
    return re.sub(r"\$\{[^}]*\}", "x", pattern).replace("*", "x").replace("?", "x")


class Analyzer:
    def __init__(self, account: Account) -> None:
        self.acct = account
        self._admin: dict[str, bool] = {}
        self._admin_eq: dict[str, bool] = {}
        self._some: dict[str, frozenset[str]] = {}
        # Who each role's trust policy could let in: by exact ARN, by account, or anyone.
        self.trusted_by: dict[str, list[Principal]] = {}
        for r in account.principals.values():
            if r.kind != "role" or r.trust is None:
                continue
            for st in r.trust.statements:
                for v in (st.principals or {}).get("AWS", ()) + (("*",) if "*" in (st.principals or {}) else ()):
                    key = v.split(":")[4] if v.endswith(":root") and v.startswith("arn:") else v
                    self.trusted_by.setdefault(key, []).append(r)
                if st.not_principals is not None:
                    self.trusted_by.setdefault("*", []).append(r)

    def actions_somewhere(self, p: Principal) -> frozenset[str]:
        """Actions some Allow statement of the principal covers (lower-case), set-based over the
        catalogue: a cheap necessary condition before any evaluation."""
        if p.arn not in self._some:
            self._some[p.arn] = frozenset(allowed_somewhere(self.acct.identity_policies(p)))
        return self._some[p.arn]

    def passable_roles(self, p: Principal, roles: list[Principal]) -> list[Principal]:
        """Roles the principal may pass. When its PassRole grants are plain (no conditions, no
        variables, no Deny or boundary that could touch PassRole), matching ARNs against the grants'
        resource patterns gives exactly the evaluator's answer, without evaluating each role."""
        grants: list[Statement] = []
        plain = not p.boundary
        for pol in self.acct.identity_policies(p):
            for st in pol.statements:
                covers = (any(action_matches(a, "iam:PassRole") for a in st.actions) if st.not_actions is None
                          else not any(action_matches(a, "iam:PassRole") for a in st.not_actions))
                if not covers:
                    continue
                if st.effect == "Deny" or st.conditions or st.not_resources is not None or \
                        any("${" in r for r in st.resources or ()):
                    plain = False
                grants.append(st)
        if not plain:
            return [r for r in roles if self.acct.allowed(p, "iam:PassRole", r.arn)]
        patterns = [r for st in grants for r in st.resources or ()]
        if "*" in patterns:
            return list(roles)
        return [r for r in roles if any(like(pat, r.arn) for pat in patterns)]

    def forget_action_sets(self) -> None:
        """Drop the per-principal action sets (thousands of names each): kept for 10,000 principals
        they cost more than a gigabyte."""
        self._some.clear()

    def assume_candidates(self, p: Principal) -> list[Principal]:
        from apisentry.iam.evaluate import account_of, role_of_session

        keys = {p.arn, "*", account_of(p.arn) or "", role_of_session(p.arn) or ""}
        seen: dict[str, Principal] = {}
        for k in keys:
            for r in self.trusted_by.get(k, []):
                seen[r.arn] = r
        return list(seen.values())

    # --- questions about one principal -----------------------------------------------------------

    def any_resource(self, p: Principal, action: str) -> bool:
        """Allowed on at least one resource: each resource pattern of a matching Allow statement is
        tried as a concrete resource, so a Deny or a condition still counts."""
        candidates = {"*"}
        for pol in self.acct.identity_policies(p):
            for st in pol.statements:
                if st.effect == "Allow" and (any(action_matches(a, action) for a in st.actions) or
                                             (st.not_actions is not None and not any(action_matches(a, action) for a in st.not_actions))):
                    candidates.update(_probe(r) for r in st.resources or ("*",))
        return any(self.acct.allowed(p, action, r) for r in sorted(candidates))

    def is_admin(self, p: Principal) -> bool:
        if p.arn not in self._admin:
            a = account_of(p.arn) or self.acct.id
            probes = {"iam:CreateUser": f"arn:aws:iam::{a}:user/apisentry-probe",
                      "iam:PutUserPolicy": f"arn:aws:iam::{a}:user/apisentry-probe",
                      "iam:AttachRolePolicy": f"arn:aws:iam::{a}:role/apisentry-probe",
                      "iam:PassRole": f"arn:aws:iam::{a}:role/apisentry-probe",
                      "sts:AssumeRole": f"arn:aws:iam::{a}:role/apisentry-probe",
                      "s3:GetObject": "arn:aws:s3:::apisentry-probe/x",
                      "kms:Decrypt": f"arn:aws:kms:us-east-1:{a}:key/apisentry-probe",
                      "secretsmanager:GetSecretValue": f"arn:aws:secretsmanager:us-east-1:{a}:secret:apisentry-probe"}
            self._admin[p.arn] = all(self.acct.allowed(p, act, probes.get(act, "*")) for act in ADMIN_PROBES)
        return self._admin[p.arn]

    def admin_equivalent(self, p: Principal) -> bool:
        """Admin, or free to write IAM policies for any user and role (and so to become admin)."""
        if p.arn not in self._admin_eq:
            a = account_of(p.arn) or self.acct.id
            self._admin_eq[p.arn] = self.is_admin(p) or all(self.acct.allowed(p, act, res) for act, res in (
                ("iam:PutUserPolicy", f"arn:aws:iam::{a}:user/apisentry-probe"),
                ("iam:AttachUserPolicy", f"arn:aws:iam::{a}:user/apisentry-probe"),
                ("iam:PutRolePolicy", f"arn:aws:iam::{a}:role/apisentry-probe"),
                ("iam:AttachRolePolicy", f"arn:aws:iam::{a}:role/apisentry-probe")))
        return self._admin_eq[p.arn]

    def group_is_admin(self, group: str) -> bool:
        g = self.acct.groups[group]
        pseudo = Principal(f"{g.arn}-member", group, "user", list(g.inline), list(g.managed))
        return self.admin_equivalent(pseudo)

    def trusts_service(self, role: Principal, service: str) -> bool:
        if role.trust is None:
            return False
        for st in role.trust.statements:
            if st.effect != "Allow" or not any(action_matches(a, "sts:AssumeRole") for a in st.actions):
                continue
            principals = st.principals or {}
            if "*" in principals or service in principals.get("Service", ()):
                return True
        return False

    def can_assume(self, p: Principal, role: Principal) -> bool:
        """A role's trust policy must allow the caller in every case; within the account, the
        caller's own policies must allow it too unless the trust names the caller itself."""
        if role.trust is None or not resource_policy_allows(Request(p.arn, "sts:AssumeRole", role.arn),
                                                             role.trust):
            return False
        return self.acct.allowed(p, "sts:AssumeRole", role.arn, resource_policy=role.trust)

    # --- paths ---------------------------------------------------------------------------------------

    def find(self, p: Principal) -> list[PathHit]:
        if self.is_admin(p):
            return []  # already everything: nothing to escalate to
        hits: list[PathHit] = []
        some = self.actions_somewhere(p)
        for path in catalogue():
            # sts:AssumeRole may come from the trust policy alone; every other step needs an Allow.
            if not all(a.lower() in some for a in path.required if a.lower() != "sts:assumerole"):
                continue
            hit = self._check(path, p)
            if hit:
                hits.append(hit)
        return hits

    def _check(self, path: PathDef, p: Principal) -> PathHit | None:
        if path.category == "self-escalation":
            return self._self(path, p)
        if path.category == "principal-access":
            return self._principal_access(path, p)
        return self._passrole(path, p)

    def _hit(self, path: PathDef, p: Principal, target: str | None, note: str = "") -> PathHit:
        steps = [f"use {perm} on {target or 'a resource'}" for perm in path.required]
        return PathHit(path, p.arn, target, steps, list(path.required), note)

    def _self(self, path: PathDef, p: Principal) -> PathHit | None:
        acts = [a.lower() for a in path.required]
        if acts == ["iam:createpolicyversion"]:
            for arn in self.acct.attached_policy_arns(p):
                if self.acct.allowed(p, "iam:CreatePolicyVersion", arn):
                    return self._hit(path, p, arn)
            return None
        if set(acts) & {"iam:putuserpolicy", "iam:attachuserpolicy"}:
            if p.kind == "user" and all(self.acct.allowed(p, a, p.arn) for a in path.required):
                return self._hit(path, p, p.arn)
            return None
        if set(acts) & {"iam:putrolepolicy", "iam:attachrolepolicy"}:
            if p.kind == "role" and all(self.acct.allowed(p, a, p.arn) for a in path.required):
                return self._hit(path, p, p.arn)
            return None
        if set(acts) & {"iam:putgrouppolicy", "iam:attachgrouppolicy"}:
            for g in p.groups:
                grp = self.acct.groups.get(g)
                if grp and all(self.acct.allowed(p, a, grp.arn) for a in path.required):
                    return self._hit(path, p, grp.arn)
            return None
        if acts == ["iam:addusertogroup"]:
            if p.kind != "user":
                return None
            for name, grp in self.acct.groups.items():
                if name not in p.groups and self.group_is_admin(name) and self.acct.allowed(p, "iam:AddUserToGroup", grp.arn):
                    return self._hit(path, p, grp.arn)
            return None
        return None

    def _principal_access(self, path: PathDef, p: Principal) -> PathHit | None:
        acts = [a.lower() for a in path.required]
        grants = bool(set(acts) & GRANTING)
        rewrites_trust = "iam:updateassumerolepolicy" in acts
        if set(acts) & USER_ACTIONS:
            for t in self.acct.principals.values():
                if t.kind != "user" or t.arn == p.arn or not (grants or self.admin_equivalent(t)):
                    continue
                if all(self.acct.allowed(p, a, t.arn) for a in path.required):
                    return self._hit(path, p, t.arn)
            return None
        # A path that ends in sts:AssumeRole (without rewriting the trust) can only reach roles whose
        # trust policy names the caller, its account or anyone: the trust index lists them.
        pool = (self.assume_candidates(p) if "sts:assumerole" in acts and not rewrites_trust
                else self.acct.principals.values())
        for t in pool:
            if t.kind != "role" or t.arn == p.arn or not (grants or self.admin_equivalent(t)):
                continue
            ok = True
            for a, low in zip(path.required, acts, strict=True):
                if low == "sts:assumerole":
                    ok = rewrites_trust or self.can_assume(p, t)
                elif low == "iam:createpolicyversion":
                    ok = any(self.acct.allowed(p, a, arn) for arn in self.acct.attached_policy_arns(t))
                else:
                    ok = self.acct.allowed(p, a, t.arn)
                if not ok:
                    break
            if ok:
                return self._hit(path, p, t.arn)
        return None

    def _passrole(self, path: PathDef, p: Principal) -> PathHit | None:
        service = next((s for s in path.services if s not in ("iam", "sts")), None)
        principal_svc = service_principal(path.services)
        others = [a for a in path.required if a.lower() != "iam:passrole"]
        if not all(self.any_resource(p, a) for a in others):
            return None
        passes = any(a.lower() == "iam:passrole" for a in path.required)
        for role in self.acct.principals.values():
            if role.kind != "role" or not self.admin_equivalent(role) or not self.trusts_service(role, principal_svc):
                continue
            if passes and not self.acct.allowed(p, "iam:PassRole", role.arn,
                                                 context={"iam:PassedToService": principal_svc}):
                continue
            if passes:
                return self._hit(path, p, role.arn)
            if self.acct.inventory is None:
                return self._hit(path, p, role.arn, f"needs an existing {service} resource running as {role.arn}; "
                                 "without an inventory this is reported as possible")
            existing = [r for r in self.acct.inventory if r.get("role") == role.arn and
                        str(r.get("service", "")).lower() == str(service).lower()]
            if existing:
                hit = self._hit(path, p, role.arn, f"via {existing[0].get('arn')}")
                hit.steps.insert(0, f"take over {existing[0].get('arn')}, which runs as {role.arn}")
                return hit
        return None


