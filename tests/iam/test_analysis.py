"""`iam analyze` and `iam blast-radius`: risky trust, unrestricted permissions, reachability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from apisentry.cli.main import app
from apisentry.iam.analysis import analyze
from apisentry.iam.authz import AuthzError, account_from_dict
from tests.conftest import shared_path

A = "111122223333"
ADMIN = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def role(name: str, trust: dict[str, Any], inline: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"RoleName": name, "Arn": f"arn:aws:iam::{A}:role/{name}", "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": inline}] if inline else [],
            "AttachedManagedPolicies": []}


def trust(principal: Any, condition: dict[str, Any] | None = None, action: str = "sts:AssumeRole") -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        st["Condition"] = condition
    return {"Statement": [st]}


def account(roles: list[dict[str, Any]], users: list[dict[str, Any]] | None = None) -> Any:
    return account_from_dict({"UserDetailList": users or [], "RoleDetailList": roles, "GroupDetailList": [], "Policies": []})


def kinds(report: dict[str, Any], principal_suffix: str) -> list[str]:
    return [f["title"] for f in report["findings"] if f["principal"].endswith(principal_suffix)]


def test_risky_trust_policies() -> None:
    gh = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    r = analyze(account([
        role("open", trust("*")),
        role("org-only", trust("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})),
        role("vendor", trust({"AWS": "arn:aws:iam::999988887777:root"})),
        role("vendor-ok", trust({"AWS": "arn:aws:iam::999988887777:root"}, {"StringEquals": {"sts:ExternalId": "x1"}})),
        role("ci-any", trust({"Federated": gh}, {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
                             "sts:AssumeRoleWithWebIdentity")),
        role("ci-repo", trust({"Federated": gh}, {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}},
                              "sts:AssumeRoleWithWebIdentity")),
    ]))
    assert kinds(r, "role/open") == ["Role can be assumed by any AWS principal"]
    assert kinds(r, "role/org-only") == []
    assert kinds(r, "role/vendor") == ["Another account can assume the role without an external id"]
    assert kinds(r, "role/vendor-ok") == []
    assert kinds(r, "role/ci-any") == ["OIDC federation without a subject condition"]
    assert kinds(r, "role/ci-repo") == []


def test_blast_radius_follows_assume_and_pass_transitively() -> None:
    user = {"UserName": "dev", "Arn": f"arn:aws:iam::{A}:user/dev", "GroupList": [], "AttachedManagedPolicies": [],
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["sts:AssumeRole", "s3:GetObject"], "Resource": "*"}]}}]}
    hop = role("hop", trust({"AWS": f"arn:aws:iam::{A}:user/dev"}),
               {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    top = role("top", trust({"AWS": f"arn:aws:iam::{A}:role/hop"}), ADMIN)
    island = role("island", trust({"Service": "ec2.amazonaws.com"}), ADMIN)
    r = analyze(account([hop, top, island], [user]))
    dev = next(p for p in r["principals"] if p["arn"].endswith("user/dev"))
    reach = {x["arn"].rsplit("/", 1)[-1]: x["how"] for x in dev["blast_radius"]["reachable_principals"]}
    # island trusts only EC2, but top (an admin, two hops away) may pass it to a service.
    assert reach == {"hop": "assume", "top": "assume", "island": "pass"}
    assert dev["admin"] is False and dev["blast_radius"]["admin_reachable"] is True
    assert dev["blast_radius"]["score"] == 100
    assert "s3" in dev["blast_radius"]["data_stores"]


def test_unrestricted_sensitive_permissions() -> None:
    user = {"UserName": "ops", "Arn": f"arn:aws:iam::{A}:user/ops", "GroupList": [], "AttachedManagedPolicies": [],
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["s3:*", "secretsmanager:GetSecretValue"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": f"arn:aws:iam::{A}:user/ops"}]}}]}
    r = analyze(account([], [user]))
    got = {f["kind"] for f in r["findings"]}
    assert {"data_exfiltration", "resource_exposure", "service_wildcard"} <= got
    assert "credentials_exposure" not in got  # constrained to its own user: not unrestricted


def test_cloudsplaining_example() -> None:
    path = shared_path("iam", "cloudsplaining", "example-authz-details.json")
    r = CliRunner().invoke(app, ["iam", "analyze", str(path), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    admins = {p["arn"].rsplit("/", 1)[-1] for p in report["principals"] if p["admin"]}
    assert admins == {"obama", "userwithlotsofpermissions"}
    esc = [(f["principal"].rsplit("/", 1)[-1], f["path_id"]) for f in report["findings"] if f["kind"] == "privilege_escalation"]
    assert ("OverprivilegedEC2", "iam-002") in esc
    assert all(set(f) >= {"principal", "kind", "path_id", "steps", "permissions"} for f in report["findings"])


def test_blast_radius_command_and_errors(tmp_path: Path) -> None:
    path = shared_path("iam", "cloudsplaining", "example-authz-details.json")
    r = CliRunner().invoke(app, ["iam", "blast-radius", "arn:aws:iam::012345678901:user/biden", "--authz", str(path)])
    out = json.loads(r.stdout)
    assert out["admin"] is False and out["actions"] > 0 and out["score"] > 0
    r = CliRunner().invoke(app, ["iam", "blast-radius", "arn:aws:iam::012345678901:user/nobody", "--authz", str(path)])
    assert r.exit_code == 2 and "not a user or role" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"Users": []}')
    r = CliRunner().invoke(app, ["iam", "analyze", str(bad)])
    assert r.exit_code == 2 and "get-account-authorization-details" in r.stderr


def test_broken_policies_are_reported_not_guessed() -> None:
    with pytest.raises(AuthzError):
        account_from_dict([])
    acct = account_from_dict({"UserDetailList": [{"UserName": "u", "Arn": f"arn:aws:iam::{A}:user/u", "GroupList": [],
                                                   "AttachedManagedPolicies": [{"PolicyArn": f"arn:aws:iam::{A}:policy/gone"}],
                                                   "UserPolicyList": [{"PolicyName": "bad", "PolicyDocument": {
                                                       "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                                      "Condition": {"StringEqualz": {"a": "b"}}}]}}]}]})
    text = " ".join(acct.problems)
    assert "StringEqualz" in text and "policy/gone" in text and "unknown" in text


def test_scps_and_resource_policies_change_the_answer(tmp_path: Path) -> None:
    path = shared_path("iam", "cloudsplaining", "example-authz-details.json")
    scps = tmp_path / "scps.json"
    scps.write_text(json.dumps([{"ou": "root", "policies": [
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                       {"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "*"}]}]}]))
    plain = json.loads(CliRunner().invoke(app, ["iam", "analyze", str(path), "--format", "json"]).stdout)
    guarded = json.loads(CliRunner().invoke(app, ["iam", "analyze", str(path), "--format", "json", "--scps", str(scps)]).stdout)
    assert any(f["path_id"] == "iam-002" for f in plain["findings"])
    assert not any(f["path_id"] == "iam-002" for f in guarded["findings"])  # the SCP closes the path
    folder = tmp_path / "rp"
    folder.mkdir()
    (folder / "bucket.json").write_text(json.dumps({"arn": "arn:aws:s3:::b", "policy": {"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}))
    (folder / "broken.json").write_text("{}")
    r = CliRunner().invoke(app, ["iam", "analyze", str(path), "--format", "json", "--resource-policies", str(folder)])
    assert r.exit_code == 1 and "broken.json" in r.stderr


def test_rcps_and_inventory_flags(tmp_path: Path) -> None:
    path = shared_path("iam", "cloudsplaining", "example-authz-details.json")
    rcps = tmp_path / "rcps.json"
    rcps.write_text(json.dumps([{"ou": "root", "policies": [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]}]))
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps([{"arn": "arn:aws:lambda:us-east-1:012345678901:function:f", "service": "lambda",
                                "role": "arn:aws:iam::012345678901:role/MyRole"}]))
    r = CliRunner().invoke(app, ["iam", "analyze", str(path), "--format", "json", "--rcps", str(rcps), "--inventory", str(inv)])
    assert r.exit_code == 0, r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    r = CliRunner().invoke(app, ["iam", "analyze", str(path), "--inventory", str(bad)])
    assert r.exit_code == 2 and "inventory must be" in r.stderr


def test_entries_of_the_wrong_shape_are_named_and_the_rest_analyzed() -> None:
    # Each of these ended `iam analyze` in an AttributeError or KeyError.
    admin = role("admin", trust({"AWS": f"arn:aws:iam::{A}:root"}), ADMIN)
    acct = account_from_dict({
        "UserDetailList": ["alice", {"UserName": "no-arn"},
                           {"UserName": "bob", "Arn": f"arn:aws:iam::{A}:user/bob", "GroupList": "devs",
                            "AttachedManagedPolicies": [5, {"PolicyArn": None}], "UserPolicyList": {"x": 1},
                            "PermissionsBoundary": "arn"}],
        "RoleDetailList": [admin, 7],
        "GroupDetailList": [{"Arn": f"arn:aws:iam::{A}:group/devs"}],
        "Policies": [{"Arn": "arn:aws:iam::aws:policy/X", "PolicyVersionList": "v1"}, None]})
    assert set(acct.principals) == {f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:role/admin"}
    assert acct.id == A and acct.groups == {} and acct.policies == {}
    assert acct.principals[f"arn:aws:iam::{A}:user/bob"].groups == []
    for named in ("UserDetailList[0] is no entry", "UserDetailList[1] is no entry", "RoleDetailList[1] is no entry",
                  "user/bob AttachedManagedPolicies[0] is no entry", "user/bob inline PolicyList is a JSON dict",
                  "group arn:aws:iam::111122223333:group/devs has no GroupName", "policy arn:aws:iam::aws:policy/X: no default",
                  "Policies[1] is no entry"):
        assert any(named in p for p in acct.problems), (named, acct.problems)
    report = analyze(acct)
    assert [p["admin"] for p in report["principals"] if p["arn"].endswith("role/admin")] == [True]


def test_a_missing_policy_folder_and_inventory_items_of_the_wrong_shape_are_named(tmp_path: Path) -> None:
    authz = tmp_path / "authz.json"
    authz.write_text(json.dumps({"UserDetailList": [], "GroupDetailList": [], "Policies": [],
                                 "RoleDetailList": [role("admin", trust({"AWS": f"arn:aws:iam::{A}:root"}), ADMIN)]}))
    r = CliRunner().invoke(app, ["iam", "analyze", str(authz), "--resource-policies", str(tmp_path / "typo")])
    assert r.exit_code == 2 and "typo: no such folder of resource policies" in r.stderr  # was read as no policies
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps([{"arn": 5, "role": None},
                               {"arn": "arn:aws:lambda:us-east-1:111122223333:function:f", "service": "lambda",
                                "role": f"arn:aws:iam::{A}:role/admin"}]))
    r = CliRunner().invoke(app, ["iam", "analyze", str(authz), "--inventory", str(inv), "--format", "json"])
    assert "item 0 is no" in r.stderr and r.exit_code == 1, r.stderr
    assert json.loads(r.stdout)["principals"]
