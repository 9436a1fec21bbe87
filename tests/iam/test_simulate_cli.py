"""`apisentry iam simulate`: the batch contract and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from apisentry.cli.main import app

ALICE = "arn:aws:iam::111122223333:user/alice"


def test_batch(tmp_path: Path) -> None:
    cases = [
        {"name": "read", "request": {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"},
         "identity_policies": [{"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}]},
        {"name": "scp blocks", "request": {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
                                           "context": {"aws:RequestedRegion": "ap-south-1"}},
         "identity_policies": [{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}],
         "scps": [{"ou": "root", "policies": [{"Statement": [
             {"Effect": "Allow", "Action": "*", "Resource": "*"},
             {"Effect": "Deny", "Action": "*", "Resource": "*",
              "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]}]}]},
        {"name": "broken", "request": {"principal": ALICE, "action": "s3:GetObject"},
         "identity_policies": [{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                               "Condition": {"StringEqualz": {"a": "b"}}}]}]},
    ]
    f = tmp_path / "cases.json"
    f.write_text(json.dumps(cases))
    r = CliRunner().invoke(app, ["iam", "simulate", "--cases", str(f)])
    out = json.loads(r.stdout)
    assert [o.get("decision") for o in out] == ["Allowed", "ExplicitlyDenied", None]
    assert out[1]["statements"] == ["scps root policy 0#1"]
    assert "StringEqualz" in out[2]["error"] and "identity policy 0" in out[2]["error"]
    assert r.exit_code == 1


def test_single_case_flags(tmp_path: Path) -> None:
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                                            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
    base = ["iam", "simulate", "--principal", ALICE, "--action", "s3:GetObject", "--policy", str(p)]
    assert json.loads(CliRunner().invoke(app, [*base, "--context", "aws:SecureTransport=true"]).stdout)[0]["decision"] == "Allowed"
    assert json.loads(CliRunner().invoke(app, base).stdout)[0]["decision"] == "ImplicitlyDenied"


def test_usage_errors(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["iam", "simulate"]).exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = CliRunner().invoke(app, ["iam", "simulate", "--cases", str(bad)])
    assert r.exit_code == 2 and "not JSON" in r.stderr


def test_a_case_whose_policies_are_no_list_is_named_and_the_others_run(tmp_path: Path) -> None:
    ok = {"name": "ok", "request": {"principal": ALICE, "action": "s3:GetObject"},
          "identity_policies": [{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}]}
    cases = [{**ok, "name": "five", "identity_policies": 5}, {**ok, "name": "bound", "permission_boundaries": {"x": 1}},
             {**ok, "request": {**ok["request"], "resource_account": 7}}]
    f = tmp_path / "cases.json"
    f.write_text(json.dumps(cases))
    r = CliRunner().invoke(app, ["iam", "simulate", "--cases", str(f)])
    out = json.loads(r.stdout)
    assert "identity_policies must be a list" in out[0]["error"] and "case 0 (five)" in out[0]["error"]
    assert "permission_boundaries must be a list" in out[1]["error"]
    assert out[2]["decision"] == "Allowed" and r.exit_code == 1
