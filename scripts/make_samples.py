"""Writes the bundled sample logs under samples/: a day of ordinary activity in one AWS account,
GCP project and Azure subscription, with a few attacks woven in (from the rule pack's own
positive test events). Run once; the output is committed so `make demo` needs no generation."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apisentry.detect.rules import builtin_rules
from apisentry.detect.testing import complete

ROOT = Path(__file__).resolve().parents[1] / "samples"
DAY = datetime(2024, 5, 6, tzinfo=UTC)
rng = random.Random(7)

BENIGN_AWS = [("s3.amazonaws.com", "ListBuckets"), ("ec2.amazonaws.com", "DescribeInstances"),
              ("sts.amazonaws.com", "GetCallerIdentity"), ("iam.amazonaws.com", "ListRoles"),
              ("lambda.amazonaws.com", "ListFunctions20150331"), ("cloudwatch.amazonaws.com", "GetMetricData"),
              ("dynamodb.amazonaws.com", "DescribeTable"), ("kms.amazonaws.com", "Decrypt")]
USERS = ["alice", "bob", "ci-bot"]


def ts(minutes: float) -> str:
    return (DAY + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def attacks(provider: str, wanted: list[str], start: float) -> list[dict[str, object]]:
    rules = {r.id: r for r in builtin_rules()}
    out = []
    for k, rid in enumerate(wanted):
        test = next(t for t in rules[rid].tests if t.match)
        for i, ev in enumerate(test.events):
            e = complete(provider, ev, str(uuid.UUID(int=rng.getrandbits(128))), i)
            key = {"aws": "eventTime", "gcp": "timestamp", "azure": "time"}[provider]
            if provider == "aws" and "eventTime" in ev:
                continue  # history events of a baseline rule; ordinary traffic provides history
            e[key] = ts(start + k * 7 + i * 0.2)
            if provider == "aws":
                e["userIdentity"] = {**e["userIdentity"], "arn": "arn:aws:iam::111122223333:user/mallory",
                                     "userName": "mallory"} if e["userIdentity"].get("type") == "IAMUser" else e["userIdentity"]
                e["sourceIPAddress"] = "185.220.101.42"
            out.append(e)
    return out


def aws() -> None:
    recs = []
    for n in range(600):
        src, op = rng.choice(BENIGN_AWS)
        user = rng.choice(USERS)
        e = complete("aws", {"eventSource": src, "eventName": op}, str(uuid.UUID(int=rng.getrandbits(128))), 0)
        e["eventTime"] = ts(n * 2.2)
        e["userIdentity"] = {**e["userIdentity"], "arn": f"arn:aws:iam::111122223333:user/{user}", "userName": user}
        recs.append(e)
    recs += attacks("aws", ["aws-cloudtrail-stop-logging", "aws-iam-access-key-for-other-user",
                            "aws-ec2-gpu-instance-launch", "aws-secretsmanager-bulk-get-secret-value",
                            "aws-s3-bucket-policy-grants-outside", "aws-console-login-without-mfa",
                            "aws-access-denied-enumeration-burst"], 800)
    recs.sort(key=lambda r: str(r["eventTime"]))
    folder = ROOT / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2024" / "05" / "06"
    folder.mkdir(parents=True, exist_ok=True)
    for part in range(3):
        chunk = recs[part::3]
        name = f"111122223333_CloudTrail_us-east-1_20240506T{part:02d}00Z_{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}.json.gz"
        with gzip.open(folder / name, "wt") as f:
            json.dump({"Records": chunk}, f)


def gcp() -> None:
    recs = []
    for n in range(120):
        e = complete("gcp", {"protoPayload": {"serviceName": "compute.googleapis.com", "methodName": "v1.compute.instances.list",
                                              "resourceName": "projects/demo-project/zones/us-central1-a"}},
                     uuid.UUID(int=rng.getrandbits(128)).hex, 0)
        e["timestamp"] = ts(n * 10)
        recs.append(e)
    recs += attacks("gcp", ["gcp-logging-sink-deleted", "gcp-gpu-instance-created", "gcp-owner-role-granted"], 900)
    (ROOT / "gcp").mkdir(parents=True, exist_ok=True)
    (ROOT / "gcp" / "audit-activity.json").write_text(json.dumps(recs, indent=1))


def azure() -> None:
    recs = []
    for n in range(80):
        e = complete("azure", {"operationName": "MICROSOFT.COMPUTE/VIRTUALMACHINES/READ",
                               "resourceId": "/SUBSCRIPTIONS/0F3C2A77-5B1E-4C3D-9E1A-7D2B6C8E9F01/RESOURCEGROUPS/PROD-RG/PROVIDERS/MICROSOFT.COMPUTE/VIRTUALMACHINES/WEB-1"},
                     str(uuid.UUID(int=rng.getrandbits(128))), 0)
        e["time"] = ts(n * 15)
        recs.append(e)
    recs += attacks("azure", ["azure-vm-run-command", "azure-diagnostic-settings-deleted", "azure-storage-public-access-enabled"], 950)
    (ROOT / "azure").mkdir(parents=True, exist_ok=True)
    (ROOT / "azure" / "PT1H.json").write_text("\n".join(json.dumps(r) for r in recs) + "\n")


if __name__ == "__main__":
    aws()
    gcp()
    azure()
