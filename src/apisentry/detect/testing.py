"""Runs the events embedded in a rule against the rule itself.

Test events may leave out what does not matter to the rule (ids, times, the caller); they are
completed with realistic defaults so each test states only what it is about.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from apisentry.detect.engine import run_rule
from apisentry.detect.rules import Rule, RuleTest
from apisentry.ingest import store_records
from apisentry.store import Store

BASE_TIME = datetime(2024, 5, 6, 9, 0, 0, tzinfo=UTC)
STEP = timedelta(seconds=10)
ACCOUNT = "111122223333"

_AWS_USER = {
    "type": "IAMUser", "principalId": "AIDAQRSTUVWXYZ2EXAMPL", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "accountId": ACCOUNT, "accessKeyId": "AKIAQRSTUVWXEXAMPLE1", "userName": "alice",
}


def _ts(i: int) -> str:
    return (BASE_TIME + STEP * i).strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(rule_id: str, test: str, i: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{rule_id}/{test}/{i}"))


def complete(provider: str, event: dict[str, Any], uid: str, i: int) -> dict[str, Any]:
    e = copy.deepcopy(event)
    if provider == "aws":
        op = str(e.get("eventName", ""))
        defaults: dict[str, Any] = {
            "eventVersion": "1.09", "eventID": uid, "eventTime": _ts(i), "awsRegion": "us-east-1",
            "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT, "sourceIPAddress": "198.51.100.23",
            "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
            "userIdentity": _AWS_USER, "requestParameters": None, "responseElements": None,
            "readOnly": op.startswith(("Get", "List", "Describe", "Lookup", "Head")),
            "managementEvent": True, "eventCategory": "Management",
        }
    elif provider == "gcp":
        payload = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                   "authenticationInfo": {"principalEmail": "alice@example.com"},
                   "requestMetadata": {"callerIp": "198.51.100.23",
                                       "callerSuppliedUserAgent": "google-cloud-sdk gcloud/470.0.0"},
                   "status": {}}
        payload.update(e.get("protoPayload") or {})
        e["protoPayload"] = payload
        defaults = {
            "insertId": uid[:12], "timestamp": _ts(i), "severity": "NOTICE",
            "logName": "projects/demo-project/logs/cloudaudit.googleapis.com%2Factivity",
            "resource": {"type": "gce_instance", "labels": {"project_id": "demo-project"}},
        }
    else:
        defaults = {
            "eventDataId": uid, "time": _ts(i), "category": "Administrative", "resultType": "Success",
            "caller": "alice@contoso.com", "callerIpAddress": "198.51.100.23", "level": "Informational",
            "correlationId": uid, "location": "westeurope",
            "resourceId": "/SUBSCRIPTIONS/00000000-1111-2222-3333-444444444444/RESOURCEGROUPS/PROD-RG",
        }
    for k, v in defaults.items():
        e.setdefault(k, v)
    return e


@dataclass(frozen=True, slots=True)
class TestResult:
    rule_id: str
    test: str
    ok: bool
    detail: str


def run_test(rule: Rule, test: RuleTest) -> TestResult:
    with Store(":memory:") as store:
        events = [complete(rule.provider, ev, _uid(rule.id, test.name, i), i)
                  for i, ev in enumerate(test.events)]
        store_records(store, rule.provider, [orjson.dumps(e).decode() for e in events], f"test:{rule.id}")
        bad = store.run("SELECT count(*) FROM events WHERE cloud_provider IS NULL OR time IS NULL")[0][0]
        if bad:
            return TestResult(rule.id, test.name, False, f"{bad} test event(s) did not normalise")
        found = run_rule(store.con, rule)
    uids = {e.get("eventID") or e.get("insertId") or e.get("eventDataId") for e in events}
    if test.match:
        if not found:
            return TestResult(rule.id, test.name, False, "expected a finding, got none")
        if not any(set(f.event_ids) & uids for f in found):
            return TestResult(rule.id, test.name, False, "finding does not cite the test events")
        return TestResult(rule.id, test.name, True, f"{len(found)} finding(s)")
    if found:
        return TestResult(rule.id, test.name, False, f"expected no finding, got {len(found)}")
    return TestResult(rule.id, test.name, True, "no finding")


def run_rule_tests(rule: Rule) -> list[TestResult]:
    return [run_test(rule, t) for t in rule.tests]
