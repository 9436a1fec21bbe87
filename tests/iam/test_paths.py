"""Every pathfinding.cloud path: an account built from the path's required permissions and
prerequisites where the path is found, and near-misses where it is not."""

from __future__ import annotations

import glob
import os
from typing import Any

import pytest
import yaml

from apisentry.iam.authz import account_from_dict
from apisentry.iam.paths import Analyzer, PathDef, catalogue, service_principal
from tests.conftest import SHARED

A = "111122223333"
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ROLE_SELF = {"iam:PutRolePolicy", "iam:AttachRolePolicy"}


def _trust(principal: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def build(path: PathDef, *, drop: str | None = None, target_admin: bool = True, service_ok: bool = True,
          trust_ok: bool = True) -> tuple[Any, str]:
    """An account where `path` is open for the attacker (unless a near-miss option closes it)."""
    perms = [p for p in path.required if p != drop]
    as_role = path.category == "self-escalation" and set(path.required) & ROLE_SELF
    attacker = f"arn:aws:iam::{A}:{'role/attacker' if as_role else 'user/attacker'}"
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": perms or ["s3:ListBucket"], "Resource": "*"}]}
    policies = [{"Arn": ADMIN_ARN, "PolicyName": "AdministratorAccess",
                 "PolicyVersionList": [{"IsDefaultVersion": True, "Document": ADMIN_DOC}]},
                {"Arn": f"arn:aws:iam::{A}:policy/attacker-policy", "PolicyName": "attacker-policy",
                 "PolicyVersionList": [{"IsDefaultVersion": True, "Document": grant}]},
                {"Arn": f"arn:aws:iam::{A}:policy/ops-policy", "PolicyName": "ops-policy",
                 "PolicyVersionList": [{"IsDefaultVersion": True,
                                        "Document": ADMIN_DOC if target_admin else {"Statement": [
                                            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}}]}]
    target_policies = [{"PolicyArn": f"arn:aws:iam::{A}:policy/ops-policy"}]
    svc_principal = service_principal(path.services) if service_ok else "example.amazonaws.com"
    users = [{"UserName": "victim", "Arn": f"arn:aws:iam::{A}:user/victim", "AttachedManagedPolicies": target_policies,
              "GroupList": []}]
    roles = [{"RoleName": "ops", "Arn": f"arn:aws:iam::{A}:role/ops", "AttachedManagedPolicies": target_policies,
              "AssumeRolePolicyDocument": _trust({"AWS": attacker if trust_ok else f"arn:aws:iam::{A}:user/victim"}),
              "RolePolicyList": []},
             {"RoleName": "service-admin", "Arn": f"arn:aws:iam::{A}:role/service-admin",
              "AttachedManagedPolicies": [{"PolicyArn": ADMIN_ARN}] if target_admin else target_policies,
              "AssumeRolePolicyDocument": _trust({"Service": svc_principal}), "RolePolicyList": []}]
    me = {"Arn": attacker, "AttachedManagedPolicies": [{"PolicyArn": f"arn:aws:iam::{A}:policy/attacker-policy"}]}
    if as_role:
        roles.append({**me, "RoleName": "attacker", "AssumeRolePolicyDocument": _trust({"Service": "ec2.amazonaws.com"})})
    else:
        users.append({**me, "UserName": "attacker", "GroupList": ["devs"]})
    groups = [{"GroupName": "devs", "Arn": f"arn:aws:iam::{A}:group/devs", "AttachedManagedPolicies": []},
              {"GroupName": "admins", "Arn": f"arn:aws:iam::{A}:group/admins",
               "AttachedManagedPolicies": target_policies}]
    doc = {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}
    return account_from_dict(doc), attacker


def found(path: PathDef, **kw: Any) -> bool:
    account, attacker = build(path, **kw)
    assert not account.problems, account.problems
    return any(h.path.id == path.id for h in Analyzer(account).find(account.principals[attacker]))


PATHS = catalogue()


def test_catalogue_has_all_65_paths() -> None:
    assert len(PATHS) == 65 and len({p.id for p in PATHS}) == 65


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.id)
def test_path_is_found(path: PathDef) -> None:
    assert found(path), f"{path.id} ({path.name}) not found"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.id)
def test_path_without_one_permission_is_not_found(path: PathDef) -> None:
    # sts:AssumeRole needs no identity permission when the trust policy names the caller itself
    # (AWS semantics); for those paths the near-miss is a trust policy that names someone else.
    droppable = [p for p in path.required if p != "sts:AssumeRole"]
    if droppable:
        assert not found(path, drop=droppable[-1])
    assert "sts:AssumeRole" not in path.required or not found(path, trust_ok=False) or \
        "iam:UpdateAssumeRolePolicy" in path.required


TARGET_MUST_BE_PRIVILEGED = [p for p in PATHS if p.category in ("principal-access", "new-passrole", "existing-passrole")
                             and not {a.lower() for a in p.required} & {"iam:putuserpolicy", "iam:attachuserpolicy",
                                                                        "iam:putrolepolicy", "iam:attachrolepolicy",
                                                                        "iam:createpolicyversion"}]


@pytest.mark.parametrize("path", TARGET_MUST_BE_PRIVILEGED, ids=lambda p: p.id)
def test_unprivileged_target_is_no_escalation(path: PathDef) -> None:
    assert not found(path, target_admin=False)


@pytest.mark.parametrize("path", [p for p in PATHS if "passrole" in p.category], ids=lambda p: p.id)
def test_role_that_does_not_trust_the_service_cannot_be_passed(path: PathDef) -> None:
    assert not found(path, service_ok=False)


def test_catalogue_matches_the_shared_yaml() -> None:
    folder = os.path.join(SHARED, "iam", "pathfinding.cloud", "paths")
    if not os.path.isdir(folder):
        pytest.skip(f"pathfinding.cloud YAMLs not found at {folder}")
    ours = {p.id: set(p.required) for p in PATHS}
    for f in glob.glob(os.path.join(folder, "*", "*.yaml")):
        with open(f) as fh:
            d = yaml.safe_load(fh)
        assert ours[d["id"]] == {r["permission"] for r in d["permissions"]["required"]}, d["id"]


def test_an_explicit_deny_closes_a_path() -> None:
    path = next(p for p in PATHS if p.id == "iam-002")
    account, attacker = build(path)
    me = account.principals[attacker]
    from apisentry.iam.policy import parse_policy

    me.inline.append(parse_policy({"Statement": [{"Effect": "Deny", "Action": "iam:CreateAccessKey",
                                                   "Resource": f"arn:aws:iam::{A}:user/victim"}]}, "deny"))
    assert not any(h.path.id == "iam-002" for h in Analyzer(account).find(me))


def test_existing_resource_paths_use_the_inventory() -> None:
    path = next(p for p in PATHS if p.id == "lambda-003")  # lambda:UpdateFunctionCode on an existing function
    account, attacker = build(path)
    me = account.principals[attacker]
    hit = next(h for h in Analyzer(account).find(me) if h.path.id == path.id)
    assert "possible" in hit.note  # no inventory: reported as possible
    account.inventory = []
    assert not any(h.path.id == path.id for h in Analyzer(account).find(me))  # known: no such function
    fn = f"arn:aws:lambda:us-east-1:{A}:function:nightly"
    account.inventory = [{"arn": fn, "service": "lambda", "role": f"arn:aws:iam::{A}:role/service-admin"}]
    hit = next(h for h in Analyzer(account).find(me) if h.path.id == path.id)
    assert fn in hit.note and fn in hit.steps[0]
