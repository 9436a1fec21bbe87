"""IAM analysis speed and findings next to cloudsplaining (PyPI) on the same files, in one run:
cloudsplaining's example account, and a synthetic organization account of N principals.

    python bench/iam_perf.py [--principals 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peak_memory import PEAK_MB  # noqa: E402

EXAMPLE = os.path.join(HERE, "..", "..", "shared", "data", "iam", "cloudsplaining", "example.json")

# Policies the way real accounts have them: a few AWS-managed ones used everywhere, many team ones.
SERVICES = ["s3", "ec2", "lambda", "dynamodb", "sqs", "sns", "kms", "secretsmanager", "ssm", "logs", "cloudwatch",
            "ecr", "ecs", "rds", "glue", "athena", "states", "events", "kinesis", "firehose"]


def _pol(arn: str, name: str, doc: dict[str, object]) -> dict[str, object]:
    return {"PolicyName": name, "PolicyId": "ANPA" + format(abs(hash(arn)) % 10**17, "017d"), "Arn": arn, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "CreateDate": "2024-01-01 00:00:00+00:00", "UpdateDate": "2024-01-01 00:00:00+00:00",
            "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": True,
                                   "CreateDate": "2024-01-01 00:00:00+00:00"}]}


def _att(arn: str) -> dict[str, str]:
    return {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}


def synthetic(n: int, seed: int = 5) -> dict[str, object]:
    rng = random.Random(seed)
    acct = "210987654321"
    policies = [_pol("arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess",
                     {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                _pol("arn:aws:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess", {
                     "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "ec2:Describe*",
                                                                   "iam:Get*", "iam:List*"], "Resource": "*"}]})]
    team_policies = []
    for i in range(300):
        svcs = rng.sample(SERVICES, rng.randint(1, 4))
        stmts = [{"Effect": "Allow", "Action": [f"{s}:{rng.choice(['Get*', 'List*', 'Describe*', 'Put*', '*', 'Create*'])}"
                                                for s in svcs],
                  "Resource": rng.choice(["*", f"arn:aws:s3:::team-{i}/*", f"arn:aws:sqs:*:{acct}:team-{i}-*"])}]
        if rng.random() < 0.08:
            stmts.append({"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": f"arn:aws:iam::{acct}:role/svc-*"})
        if rng.random() < 0.03:
            stmts.append({"Effect": "Allow", "Action": rng.choice(["iam:CreateAccessKey", "iam:PutUserPolicy",
                                                                  "iam:AttachRolePolicy", "iam:CreatePolicyVersion"]),
                          "Resource": "*"})
        arn = f"arn:aws:iam::{acct}:policy/team-{i}"
        team_policies.append(arn)
        policies.append(_pol(arn, f"team-{i}", {"Version": "2012-10-17", "Statement": stmts}))
    groups = [{"GroupName": f"g{i}", "GroupId": f"AGPA{i:017d}", "Path": "/", "Arn": f"arn:aws:iam::{acct}:group/g{i}",
               "CreateDate": "2024-01-01 00:00:00+00:00", "GroupPolicyList": [],
               "AttachedManagedPolicies": [_att(rng.choice(team_policies))]} for i in range(40)]
    users, roles = [], []
    for i in range(n):
        attached = [_att(rng.choice(team_policies)) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.005:
            attached.append(_att("arn:aws:iam::aws:policy/AdministratorAccess"))
        elif rng.random() < 0.2:
            attached.append(_att("arn:aws:iam::aws:policy/ReadOnlyAccess"))
        if i % 2 == 0:
            users.append({"UserName": f"u{i}", "UserId": f"AIDA{i:017d}", "Path": "/", "Arn": f"arn:aws:iam::{acct}:user/u{i}",
                          "CreateDate": "2024-01-01 00:00:00+00:00", "AttachedManagedPolicies": attached,
                          "GroupList": [f"g{rng.randrange(40)}"], "UserPolicyList": [], "Tags": []})
        else:
            svc = rng.choice(["lambda", "ec2", "ecs-tasks", "glue"])
            trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": f"{svc}.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            if rng.random() < 0.1:
                trust["Statement"].append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:user/u{rng.randrange(0, n, 2)}"},
                                           "Action": "sts:AssumeRole"})
            if rng.random() < 0.01:
                trust["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                                           "Action": "sts:AssumeRole"})
            roles.append({"RoleName": f"svc-{i}", "RoleId": f"AROA{i:017d}", "Path": "/", "Arn": f"arn:aws:iam::{acct}:role/svc-{i}",
                          "CreateDate": "2024-01-01 00:00:00+00:00", "AssumeRolePolicyDocument": trust,
                          "InstanceProfileList": [], "AttachedManagedPolicies": attached, "RolePolicyList": [], "Tags": [],
                          "RoleLastUsed": {}})
    return {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies}


ANALYZE = """
import json, sys, time
t = time.perf_counter()
from apisentry.iam.authz import load_authz
from apisentry.iam.analysis import analyze
r = analyze(load_authz(sys.argv[1]))
json.dump({"seconds": time.perf_counter() - t, "rss_mb": PEAK_MB,
           "findings": [f["kind"] for f in r["findings"]], "admins": sum(p["admin"] for p in r["principals"]),
           "privesc_principals": sorted({f["principal"].rsplit("/", 1)[-1] for f in r["findings"] if f["kind"] == "privilege_escalation"}),
           "principals": len(r["principals"])}, open(sys.argv[2], "w"))
""".replace("PEAK_MB", PEAK_MB)


def ours(path: str, work: str) -> dict[str, object]:
    out = os.path.join(work, "ours.json")
    subprocess.run([sys.executable, "-c", ANALYZE, path, out], check=True)
    with open(out) as f:
        return json.load(f)


def cloudsplaining(path: str, work: str) -> dict[str, object]:
    exe = os.path.join(os.path.dirname(sys.executable), "cloudsplaining")
    if not os.path.exists(exe):
        return {"skipped": "cloudsplaining is not installed (pip install cloudsplaining)"}
    outdir = os.path.join(work, "cs")
    os.makedirs(outdir, exist_ok=True)
    rss_file = os.path.join(work, "cs.rss")
    t = time.perf_counter()
    # GNU time reports this child's own peak; getrusage(RUSAGE_CHILDREN) would mix in ours.
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, exe, "scan", "-i", path, "-o", outdir, "-s"],
                       capture_output=True, text=True)
    secs = time.perf_counter() - t
    with open(rss_file) as f:
        rss = int(f.read().strip().splitlines()[-1]) / 1024
    if p.returncode != 0:
        return {"skipped": f"cloudsplaining failed: {p.stderr.strip()[-300:]}"}
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(outdir, f"iam-findings-{name}.json")) as f:
        found = json.load(f)
    kinds: Counter[str] = Counter()
    privesc_principals: set[str] = set()
    for sect in ("customer_managed_policies", "inline_policies", "aws_managed_policies"):
        for pol in (found.get(sect) or {}).values():
            for k in ("PrivilegeEscalation", "DataExfiltration", "ResourceExposure", "InfrastructureModification",
                      "CredentialsExposure", "ServiceWildcard"):
                v = pol.get(k)
                if isinstance(v, dict) and v.get("findings"):
                    kinds[k] += 1
                    if k == "PrivilegeEscalation":
                        attached = pol.get("AttachedTo") or {}
                        privesc_principals.update(attached.get("users", []) + attached.get("roles", []))
    return {"seconds": secs, "rss_mb": rss, "policies_flagged": dict(kinds), "privesc_principals": sorted(privesc_principals)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--principals", type=int, default=10000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="apisentry-iam-bench-")
    synth = os.path.join(work, f"synthetic-{a.principals}.json")
    with open(synth, "w") as f:
        json.dump(synthetic(a.principals), f)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    for label, path in (("cloudsplaining example.json", EXAMPLE), (f"synthetic, {a.principals:,} principals", synth)):
        if not os.path.exists(path):
            print(f"\n{label}: skipped, {path} not found")
            continue
        o = ours(path, work)
        c = cloudsplaining(path, work)
        print(f"\n### {label}\n")
        print("| tool | seconds | peak RSS MB | findings |\n|---|---:|---:|---|")
        kinds = Counter(o["findings"])  # type: ignore[arg-type]
        print(f"| apisentry iam analyze | {o['seconds']:.1f} | {o['rss_mb']:.0f} | "
              f"{', '.join(f'{k} {n}' for k, n in kinds.most_common())}; {o['admins']} admin of {o['principals']} principals |")
        if "skipped" in c:
            print(f"| cloudsplaining scan | {c['skipped']} | | |")
        else:
            flagged = c["policies_flagged"]
            print(f"| cloudsplaining scan | {c['seconds']:.1f} | {c['rss_mb']:.0f} | policies flagged: "
                  f"{', '.join(f'{k} {n}' for k, n in flagged.items())} |")  # type: ignore[union-attr]
            a_set, c_set = set(o["privesc_principals"]), set(c["privesc_principals"])  # type: ignore[arg-type]
            print(f"\nPrincipals with a privilege-escalation finding: apisentry {len(a_set)}, cloudsplaining {len(c_set)}, "
                  f"both {len(a_set & c_set)}; only apisentry: {', '.join(sorted(a_set - c_set)[:12]) or '-'}; "
                  f"only cloudsplaining: {', '.join(sorted(c_set - a_set)[:12]) or '-'}")


if __name__ == "__main__":
    main()
