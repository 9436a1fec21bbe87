"""Least privilege from CloudTrail usage: mapping, used vs granted, unknowns, the policy and the diff."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from apisentry.cli.main import app
from apisentry.detect.testing import complete
from apisentry.iam.authz import account_from_dict
from apisentry.iam.usage import event_to_actions, rightsize
from apisentry.ingest import store_records
from apisentry.store import Store

A = "111122223333"
ROLE = f"arn:aws:iam::{A}:role/app"
AUTHZ = {"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": [{
    "RoleName": "app", "Arn": ROLE, "AttachedManagedPolicies": [],
    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]},
    "RolePolicyList": [{"PolicyName": "app", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "lambda:ListFunctions", "iam:PassRole", "sqs:SendMessage"],
         "Resource": "*"}]}}]}]}


def event(i: int, source: str, name: str, resources: list[str] | None = None) -> str:
    rec = complete("aws", {"eventSource": source, "eventName": name,
                           "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::{A}:assumed-role/app/s{i}",
                                            "accountId": A, "sessionContext": {"sessionIssuer": {"arn": ROLE, "userName": "app"}}},
                           **({"resources": [{"ARN": r} for r in resources]} if resources else {})},
                   f"00000000-0000-4000-8000-{i:012d}", i)
    return json.dumps(rec)


def test_event_mapping() -> None:
    assert event_to_actions("lambda.amazonaws.com", "ListFunctions20150331") == (["lambda:ListFunctions"], True)
    assert event_to_actions("monitoring.amazonaws.com", "PutMetricData") == (["cloudwatch:PutMetricData"], True)
    assert event_to_actions("s3.amazonaws.com", "CopyObject") == (["s3:GetObject", "s3:PutObject"], True)
    assert event_to_actions("s3.amazonaws.com", "ListObjectsV2") == (["s3:ListBucket"], True)
    assert event_to_actions("example.amazonaws.com", "DoThing")[1] is False


def test_rightsize(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    with Store(db) as s:
        store_records(s, "aws", [event(1, "s3.amazonaws.com", "ListObjects", ["arn:aws:s3:::reports"]),
                                 event(2, "lambda.amazonaws.com", "ListFunctions20150331"),
                                 event(3, "example.amazonaws.com", "DoThing")], "t.json")
        acct = account_from_dict(AUTHZ)
        r = rightsize(acct, s, ROLE, 90)
    assert r.events == 3
    assert {"s3:ListBucket", "lambda:ListFunctions"} <= set(r.used)
    assert "example.amazonaws.com DoThing" in r.unmapped
    assert "sqs:sendmessage" in r.unused  # granted, never used
    # Object reads and item writes are data events; PassRole is never logged on its own: unknown, not unused.
    assert {"s3:getobject", "dynamodb:putitem", "iam:passrole"} <= set(r.unknown)
    assert not {"s3:getobject", "iam:passrole"} & set(r.unused)
    stmt = {st["Sid"]: st for st in r.policy["Statement"]}
    assert stmt["S3Observed"] == {"Sid": "S3Observed", "Effect": "Allow", "Action": ["s3:ListBucket"],
                                  "Resource": ["arn:aws:s3:::reports"]}
    assert "sqs:SendMessage" in r.diff["removed"]
    (tmp_path / "authz.json").write_text(json.dumps(AUTHZ))
    out = CliRunner().invoke(app, ["iam", "rightsize", ROLE, "--authz", str(tmp_path / "authz.json"), "--db", db])
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["policy"]["Statement"]
