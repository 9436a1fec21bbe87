"""Each recorded Stratus Red Team detonation, analysed alone, must raise a finding that cites the
technique's own events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHARED, shared_path

from apisentry.detect.engine import detect
from apisentry.detect.rules import builtin_rules
from apisentry.ingest import ingest
from apisentry.store import Store

LOGS = SHARED / "cloudtrail" / "stratus-red-team" / "detonation-logs"
FILES = sorted(p.name for p in LOGS.glob("*.json")) if LOGS.exists() else ["(missing)"]

# The calls that make up each technique, beyond setup noise (AssumeRole, Describe* polling).
TECHNIQUE_CALLS = {
    "aws.credential-access.ec2-get-password-data": {"GetPasswordData"},
    "aws.credential-access.ec2-steal-instance-credentials": {"SendCommand", "GetCallerIdentity",
                                                             "DescribeInstances"},
    "aws.credential-access.secretsmanager-batch-retrieve-secrets": {"BatchGetSecretValue"},
    "aws.credential-access.secretsmanager-retrieve-secrets": {"GetSecretValue"},
    "aws.credential-access.ssm-retrieve-securestring-parameters": {"GetParameters"},
    "aws.defense-evasion.organizations-leave": {"LeaveOrganization"},
    "aws.discovery.ec2-download-user-data": {"DescribeInstanceAttribute"},
    "aws.execution.ec2-launch-unusual-instances": {"RunInstances"},
    "aws.execution.ec2-user-data": {"ModifyInstanceAttribute"},
    "aws.execution.ssm-send-command": {"SendCommand"},
    "aws.execution.ssm-start-session": {"StartSession"},
    "aws.impact.bedrock-invoke-model": {"InvokeModel", "PutFoundationModelEntitlement",
                                        "PutUseCaseForModelAccess", "CreateFoundationModelAgreement"},
    "aws.initial-access.console-login-without-mfa": {"ConsoleLogin"},
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key": {"SendSerialConsoleSSHPublicKey",
                                                                    "EnableSerialConsoleAccess"},
    "aws.persistence.iam-create-admin-user": {"AttachUserPolicy", "CreateUser", "CreateAccessKey"},
    "aws.persistence.iam-create-backdoor-role": {"CreateRole", "AttachRolePolicy"},
    "aws.persistence.iam-create-user-login-profile": {"CreateLoginProfile"},
    "aws.persistence.rolesanywhere-create-trust-anchor": {"CreateTrustAnchor", "CreateProfile"},
    "aws.persistence.sts-federation-token": {"GetFederationToken"},
}

RULES = builtin_rules()


@pytest.mark.parametrize("name", FILES)
def test_detonation_is_detected(name: str, tmp_path: Path) -> None:
    path = shared_path("cloudtrail", "stratus-red-team", "detonation-logs", name)
    technique = name.removesuffix(".json")
    records = json.loads(path.read_text())
    calls = TECHNIQUE_CALLS.get(technique) or {r["eventName"] for r in records}
    own = {r["eventID"] for r in records if r["eventName"] in calls}
    assert own, "the detonation file holds the technique's calls"
    with Store(str(tmp_path / "t.duckdb")) as store:
        report = ingest(store, [str(path)])
        assert not report.problems
        assert report.events_added == len(records)
        detect(store, RULES)
        findings = store.findings()
    cited = [f for f in findings if own & set(f.event_ids)]
    assert cited, f"no finding cites the technique's own events; findings: {[f.rule_id for f in findings]}"
