"""Synthetic CloudTrail corpus in the S3 delivery layout, for benchmarks.

AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<ts>_<id>.json.gz,
each file {"Records": [...]} of a few hundred to a few thousand records. The mix follows what busy
accounts show: mostly reads (Describe/List/Get, KMS Decrypt, STS AssumeRole), some writes, a few
failures; users, roles and service principals; requestParameters from tiny to several KB, resources
and named parameters (buckets, keys, roles, secrets) where CloudTrail writes them.
A few attacks are mixed in so detection has something to find.

    python bench/gen_cloudtrail.py OUT_DIR --events 1000000
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

import orjson

ACCOUNTS = ["111122223333", "444455556666", "777788889999"]
REGIONS = ["us-east-1", "us-east-1", "us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"]
# (eventSource, eventName, readOnly, weight, parameter size class)
CALLS = [
    ("ec2.amazonaws.com", "DescribeInstances", True, 14, 1), ("sts.amazonaws.com", "AssumeRole", True, 12, 1),
    ("kms.amazonaws.com", "Decrypt", True, 12, 1), ("s3.amazonaws.com", "GetBucketAcl", True, 6, 0),
    ("s3.amazonaws.com", "ListBuckets", True, 4, 0), ("iam.amazonaws.com", "ListRoles", True, 3, 0),
    ("logs.amazonaws.com", "CreateLogStream", False, 6, 1), ("logs.amazonaws.com", "PutRetentionPolicy", False, 1, 1),
    ("lambda.amazonaws.com", "ListFunctions20150331", True, 3, 0), ("dynamodb.amazonaws.com", "DescribeTable", True, 5, 1),
    ("ssm.amazonaws.com", "GetParameter", True, 5, 1), ("secretsmanager.amazonaws.com", "GetSecretValue", True, 3, 1),
    ("ec2.amazonaws.com", "CreateTags", False, 3, 2), ("ec2.amazonaws.com", "RunInstances", False, 1, 3),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", True, 4, 1), ("cloudformation.amazonaws.com", "DescribeStacks", True, 3, 1),
    ("elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", True, 4, 1), ("ecr.amazonaws.com", "GetAuthorizationToken", True, 3, 0),
    ("iam.amazonaws.com", "CreateAccessKey", False, 0.05, 1), ("cloudtrail.amazonaws.com", "StopLogging", False, 0.01, 1),
    ("ec2.amazonaws.com", "ModifySnapshotAttribute", False, 0.02, 2),
]
WEIGHTS = [c[3] for c in CALLS]
IDENTITIES = (
    [("IAMUser", f"user/dev-{i}", f"dev-{i}") for i in range(40)]
    + [("AssumedRole", f"role/app-{i}", f"app-{i}") for i in range(60)]
    + [("AWSService", None, None)] * 10
)


def params(size: int, rng: random.Random) -> object:
    if size == 0:
        return None
    if size == 1:
        return {"instancesSet": {"items": [{"instanceId": f"i-{rng.getrandbits(60):015x}"}]}, "filterSet": {}}
    if size == 2:
        return {"resourcesSet": {"items": [{"resourceId": f"vol-{rng.getrandbits(60):015x}"} for _ in range(4)]},
                "tagSet": {"items": [{"key": f"k{j}", "value": "v" * rng.randint(5, 40)} for j in range(6)]}}
    return {"instancesSet": {"items": [{"imageId": "ami-0a1b2c3d4e5f67890", "minCount": 1, "maxCount": rng.randint(1, 4)}]},
            "instanceType": rng.choice(["m5.large", "c5.xlarge", "t3.micro", "g4dn.xlarge"]),
            "blockDeviceMapping": {"items": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100, "volumeType": "gp3"}}]},
            "userData": "<sensitiveDataRemoved>", "tagSpecificationSet": {"items": [{"resourceType": "instance",
            "tags": [{"key": "Name", "value": "worker-" + "x" * rng.randint(10, 2000)}]}]}}


def named_params(name: str, account: str, rng: random.Random) -> tuple[object, list[dict[str, str]] | None]:
    """requestParameters and resources for calls that name what they act on, as CloudTrail writes them."""
    if name == "GetBucketAcl":
        bucket = f"data-{rng.randint(1, 40)}"
        return {"bucketName": bucket, "acl": "", "Host": "s3.amazonaws.com"}, [
            {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}", "accountId": account}]
    if name == "Decrypt":
        key = f"arn:aws:kms:us-east-1:{account}:key/{uuid.UUID(int=rng.getrandbits(128))}"
        return {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn":
                f"arn:aws:lambda:us-east-1:{account}:function:fn-{rng.randint(1, 30)}"}}, [
            {"accountId": account, "type": "AWS::KMS::Key", "ARN": key}]
    if name == "AssumeRole":
        role = f"arn:aws:iam::{account}:role/app-{rng.randint(0, 59)}"
        return {"roleArn": role, "roleSessionName": f"sess-{rng.randint(1, 50)}", "durationSeconds": 3600}, [
            {"accountId": account, "type": "AWS::IAM::Role", "ARN": role}]
    if name == "GetSecretValue":
        return {"secretId": f"arn:aws:secretsmanager:us-east-1:{account}:secret:db-{rng.randint(1, 9)}"}, None
    if name == "GetParameter":
        return {"name": f"/app/{rng.randint(1, 20)}/config", "withDecryption": True}, None
    if name == "CreateAccessKey":
        return {"userName": f"dev-{rng.randint(0, 39)}"}, None
    if name == "DescribeTable":
        return {"tableName": f"orders-{rng.randint(1, 5)}"}, None
    return None, None


def record(rng: random.Random, account: str, region: str, when: datetime) -> dict[str, object]:
    src, name, ro, _, size = rng.choices(CALLS, WEIGHTS)[0]
    kind, path, uname = rng.choice(IDENTITIES)
    if kind == "IAMUser":
        ident: dict[str, object] = {"type": "IAMUser", "principalId": f"AIDA{rng.getrandbits(64):016X}",
                                    "arn": f"arn:aws:iam::{account}:{path}", "accountId": account,
                                    "accessKeyId": f"AKIA{rng.getrandbits(64):016X}", "userName": uname}
    elif kind == "AssumedRole":
        ident = {"type": "AssumedRole", "principalId": f"AROA{rng.getrandbits(64):016X}:sess",
                 "arn": f"arn:aws:sts::{account}:assumed-role/{uname}/sess-{rng.randint(1, 50)}",
                 "accountId": account, "accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
                 "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{account}:{path}",
                                                      "accountId": account, "userName": uname},
                                    "attributes": {"creationDate": when.isoformat(), "mfaAuthenticated": "false"}}}
    else:
        ident = {"type": "AWSService", "invokedBy": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com"])}
    rec: dict[str, object] = {
        "eventVersion": "1.09", "userIdentity": ident, "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": src, "eventName": name, "awsRegion": region,
        "sourceIPAddress": f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "userAgent": rng.choice(["aws-cli/2.15.30 Python/3.11.8", "Boto3/1.34.0 Python/3.12", "aws-sdk-go-v2/1.25.0",
                                 "console.amazonaws.com", "terraform-provider-aws/5.40.0"]),
        "requestParameters": params(size, rng), "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))), "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": ro, "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{src.split('.')[0]}.{region}.amazonaws.com"},
    }
    named, resources = named_params(name, account, rng)
    if named is not None:
        rec["requestParameters"] = named
    if resources:
        rec["resources"] = resources
    if name == "AssumeRole":
        rec["responseElements"] = {"credentials": {"accessKeyId": f"ASIA{rng.getrandbits(64):016X}",
                                                   "sessionToken": "IQoJb3JpZ2luX2VjE" + "x" * 600,
                                                   "expiration": "May 1, 2024, 3:00:00 PM"},
                                   "assumedRoleUser": {"assumedRoleId": f"AROA{rng.getrandbits(64):016X}:sess",
                                                       "arn": f"arn:aws:sts::{account}:assumed-role/app/sess"}}
    if rng.random() < 0.03:
        rec["errorCode"] = rng.choice(["AccessDenied", "Client.UnauthorizedOperation", "ThrottlingException"])
        rec["errorMessage"] = "User is not authorized to perform this operation"
    return rec


def write_files(args: tuple[str, int, int, int]) -> int:
    out, seed, n_events, per_file = args
    rng = random.Random(seed)
    start = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(hours=seed % 240)
    written = 0
    while written < n_events:
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        n = min(per_file + rng.randint(-per_file // 2, per_file // 2), n_events - written)
        when = start + timedelta(minutes=written // 500)
        recs = [record(rng, account, region, when + timedelta(seconds=i % 300)) for i in range(n)]
        folder = os.path.join(out, "AWSLogs", account, "CloudTrail", region, when.strftime("%Y/%m/%d"))
        os.makedirs(folder, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_{when.strftime('%Y%m%dT%H%MZ')}_{rng.getrandbits(64):016x}.json.gz"
        with gzip.open(os.path.join(folder, name), "wb", compresslevel=5) as f:
            f.write(orjson.dumps({"Records": recs}))
        written += n
    return written


def generate(out: str, events: int, per_file: int = 2000, workers: int = 2) -> int:
    chunks = 16
    jobs = [(out, seed, events // chunks + (1 if seed < events % chunks else 0), per_file) for seed in range(chunks)]
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(write_files, jobs))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=2000)
    a = ap.parse_args()
    print(f"wrote {generate(a.out, a.events, a.per_file):,} events to {a.out}")
