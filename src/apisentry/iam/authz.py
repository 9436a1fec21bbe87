"""An account from `aws iam get-account-authorization-details`: users, groups, roles, managed
policies (their default versions), inline policies, permission boundaries and trust policies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from apisentry.iam.evaluate import Decision, Policies, Request, evaluate
from apisentry.iam.policy import Policy, PolicyError, parse_policy


class AuthzError(ValueError):
    pass


@dataclass
class Principal:
    arn: str
    name: str
    kind: str  # user | role
    inline: list[Policy] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)  # policy ARNs
    groups: list[str] = field(default_factory=list)  # group names (users)
    boundary: str | None = None  # policy ARN
    trust: Policy | None = None  # roles


@dataclass
class Group:
    arn: str
    name: str
    inline: list[Policy] = field(default_factory=list)
    managed: list[str] = field(default_factory=list)


@dataclass
class Account:
    id: str
    principals: dict[str, Principal]
    groups: dict[str, Group]
    policies: dict[str, Policy]  # managed policy ARN -> default version
    problems: list[str] = field(default_factory=list)
    scps: list[list[Policy]] = field(default_factory=list)  # organization levels, root first
    rcps: list[list[Policy]] = field(default_factory=list)
    # Existing resources and the role each runs as: [{"arn", "service", "role"}]; None if not given.
    inventory: list[dict[str, Any]] | None = None
    resource_policies: dict[str, Policy] = field(default_factory=dict)  # resource ARN -> its policy

    def identity_policies(self, p: Principal) -> list[Policy]:
        out = list(p.inline) + [self.policies[a] for a in p.managed if a in self.policies]
        for g in p.groups:
            grp = self.groups.get(g)
            if grp:
                out += grp.inline + [self.policies[a] for a in grp.managed if a in self.policies]
        return out

    def attached_policy_arns(self, p: Principal) -> list[str]:
        arns = list(p.managed)
        for g in p.groups:
            if g in self.groups:
                arns += self.groups[g].managed
        return [a for a in arns if ":aws:policy/" not in a]  # customer managed only: AWS's cannot be changed

    def can(self, p: Principal, action: str, resource: str = "*", context: dict[str, Any] | None = None,
            resource_policy: Policy | None = None) -> Decision:
        pols = Policies(identity=self.identity_policies(p),
                        boundaries=[self.policies[p.boundary]] if p.boundary and p.boundary in self.policies else [],
                        resource=resource_policy or self.resource_policies.get(resource), scps=self.scps,
                        rcps=self.rcps)
        # The resource's account comes from its ARN (or is the caller's): files may hold several accounts.
        return evaluate(Request(p.arn, action, resource, None, context or {}), pols)

    def allowed(self, p: Principal, action: str, resource: str = "*", **kw: Any) -> bool:
        return self.can(p, action, resource, **kw).decision == "Allowed"


def _doc(d: Any) -> Any:
    # The API returns documents URL-encoded as strings; the CLI decodes them.
    if isinstance(d, str):
        try:
            return json.loads(unquote(d))
        except ValueError as e:
            raise PolicyError(f"policy document is not JSON: {e}") from e
    return d


def load_authz(path: str | Path) -> Account:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as e:
        raise AuthzError(f"{path}: cannot read: {e.strerror or e}") from e
    except ValueError as e:
        raise AuthzError(f"{path}: not JSON: {e}") from e
    return account_from_dict(data, str(path))


def account_from_dict(data: Any, where: str = "authz") -> Account:
    """The account a file describes. An entry of the wrong shape (a user without an ARN, a policy
    list that is no list) is left out with a problem that names it; the rest is read."""
    if not isinstance(data, dict) or not any(k in data for k in ("UserDetailList", "RoleDetailList", "Policies")):
        raise AuthzError(f"{where}: not the output of `aws iam get-account-authorization-details`")
    problems: list[str] = []

    def entries(items: Any, what: str, need_arn: bool = True) -> Iterator[dict[str, Any]]:
        if items is None:
            return
        if not isinstance(items, list):
            problems.append(f"{where}: {what} is a JSON {type(items).__name__}, not a list; left out")
            return
        for i, item in enumerate(items):
            if isinstance(item, dict) and (not need_arn or isinstance(item.get("Arn"), str)):
                yield item
            else:
                problems.append(f"{where}: {what}[{i}] is no entry{' with an Arn' if need_arn else ''}; left out")

    def arns(items: Any, key: str, what: str) -> list[str]:
        return [m[key] for m in entries(items, what, need_arn=False) if isinstance(m.get(key), str)]

    policies: dict[str, Policy] = {}
    for pol in entries(data.get("Policies"), "Policies", need_arn=False):
        arn = str(pol.get("Arn", "?"))
        versions = pol.get("PolicyVersionList")
        default = next((v for v in versions if isinstance(v, dict) and v.get("IsDefaultVersion")), None) \
            if isinstance(versions, list) else None
        if default is None:
            problems.append(f"{where}: policy {arn}: no default version; left out")
            continue
        try:
            policies[arn] = parse_policy(_doc(default.get("Document")), arn)
        except PolicyError as e:
            problems.append(f"{where}: {e}; left out")

    def inline(items: Any, owner: str) -> list[Policy]:
        out = []
        for it in entries(items, f"{owner} inline PolicyList", need_arn=False):
            name = f"{owner}/{it.get('PolicyName', '?')}"
            try:
                out.append(parse_policy(_doc(it.get("PolicyDocument")), name))
            except PolicyError as e:
                problems.append(f"{where}: {e}; left out")
        return out

    def boundary(d: dict[str, Any]) -> str | None:
        b = d.get("PermissionsBoundary")
        arn = b.get("PermissionsBoundaryArn") if isinstance(b, dict) else None
        return arn if isinstance(arn, str) else None

    principals: dict[str, Principal] = {}
    for u in entries(data.get("UserDetailList"), "UserDetailList"):
        arn = u["Arn"]
        member_of = [g for g in u["GroupList"] if isinstance(g, str)] if isinstance(u.get("GroupList"), list) else []
        principals[arn] = Principal(arn, str(u.get("UserName", "")), "user", inline(u.get("UserPolicyList"), arn),
                                    arns(u.get("AttachedManagedPolicies"), "PolicyArn", f"{arn} AttachedManagedPolicies"),
                                    member_of, boundary(u))
    for r in entries(data.get("RoleDetailList"), "RoleDetailList"):
        arn = r["Arn"]
        trust = None
        if r.get("AssumeRolePolicyDocument"):
            try:
                trust = parse_policy(_doc(r["AssumeRolePolicyDocument"]), f"{arn} trust policy")
            except PolicyError as e:
                problems.append(f"{where}: {e}; the role's trust is unknown")
        principals[arn] = Principal(arn, str(r.get("RoleName", "")), "role", inline(r.get("RolePolicyList"), arn),
                                    arns(r.get("AttachedManagedPolicies"), "PolicyArn", f"{arn} AttachedManagedPolicies"),
                                    [], boundary(r), trust)
    groups: dict[str, Group] = {}
    for g in entries(data.get("GroupDetailList"), "GroupDetailList"):
        name = g.get("GroupName")
        if not isinstance(name, str):
            problems.append(f"{where}: group {g['Arn']} has no GroupName; left out")
            continue
        groups[name] = Group(g["Arn"], name, inline(g.get("GroupPolicyList"), g["Arn"]),
                             arns(g.get("AttachedManagedPolicies"), "PolicyArn", f"{g['Arn']} AttachedManagedPolicies"))
    for p in principals.values():
        for a in p.managed + ([p.boundary] if p.boundary else []):
            if a not in policies:
                problems.append(f"{where}: {p.arn} uses {a}, which the file does not contain; its permissions are unknown")
    # The account is the first principal's (files may hold several): the fifth field of its ARN.
    account_id = next((parts[4] for parts in (a.split(":") for a in principals) if len(parts) > 5), "")
    return Account(account_id, principals, groups, policies, problems)


def load_scps(path: str | Path, account: Account, kind: str = "SCP") -> None:
    """SCPs (or RCPs) as `[{"ou": "root", "policies": [...]}, ...]`, root first (as `iam simulate`
    takes them)."""
    try:
        levels = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise AuthzError(f"{path}: cannot read {kind}s: {e}") from e
    if not isinstance(levels, list):
        raise AuthzError(f"{path}: {kind}s must be a JSON array of {{\"ou\", \"policies\"}}, root first")
    target = account.scps if kind == "SCP" else account.rcps
    for i, level in enumerate(levels):
        if not isinstance(level, dict) or not isinstance(level.get("policies"), list):
            raise AuthzError(f"{path}: level {i} needs `policies` (a list)")
        try:
            target.append([parse_policy(d, f"{kind} {level.get('ou', i)} policy {j}") for j, d in enumerate(level["policies"])])
        except PolicyError as e:
            raise AuthzError(f"{path}: {e}") from e


def load_resource_policies(folder: str | Path, account: Account) -> None:
    """A folder of JSON files, each `{"arn": ..., "policy": {...}}` (S3, KMS, SQS, SNS, Lambda,
    Secrets Manager, ECR...). A file that cannot be used is reported; the others are loaded."""
    if not Path(folder).is_dir():
        raise AuthzError(f"{folder}: no such folder of resource policies")
    for f in sorted(Path(folder).glob("*.json")):
        try:
            d = json.loads(f.read_text())
            arn, doc = d["arn"], d["policy"]
            account.resource_policies[str(arn)] = parse_policy(_doc(doc), f"{f.name} ({arn})")
        except (OSError, ValueError, KeyError, TypeError) as e:
            account.problems.append(f"{f}: not a resource policy file ({type(e).__name__}: {e}); left out")


def load_inventory(path: str | Path, account: Account) -> None:
    """Existing resources as `[{"arn", "service", "role"}]` (functions, instances, stacks, ...): the
    targets of paths that take over a resource already running as a privileged role."""
    try:
        items = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise AuthzError(f"{path}: cannot read the inventory: {e}") from e
    if not isinstance(items, list):
        raise AuthzError(f"{path}: the inventory must be a JSON array of {{\"arn\", \"service\", \"role\"}}")
    account.inventory = []
    for i, x in enumerate(items):
        if isinstance(x, dict) and isinstance(x.get("arn"), str) and isinstance(x.get("role"), str):
            account.inventory.append(x)
        else:
            account.problems.append(f"{path}: item {i} is no {{\"arn\", \"service\", \"role\"}} with text values; left out")
