"""Least privilege from usage: what each principal really did (CloudTrail events in the store,
counted set-based in SQL), mapped to IAM actions, set against what it is granted; the result is
a policy of the observed actions and resources, grouped by service, with the diff to today's.

What the logs cannot show is reported as unknown, never as unused: S3 object and Lambda invoke data
events when data events are not logged, DynamoDB item reads and writes, `iam:PassRole` (recorded
only inside the call that passes the role), and actions CloudTrail never records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from apisentry.iam.actions import allowed_somewhere, catalogue
from apisentry.iam.authz import Account, Principal
from apisentry.store import Store

# eventSource prefixes whose IAM service prefix differs.
SERVICE_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "elasticmapreduce": "elasticmapreduce",
                  "es": "es", "tagging": "tag", "signin": "signin", "s3-outposts": "s3-outposts",
                  "ssm-guiconnect": "ssm-guiconnect", "execute-api": "execute-api", "sso-oauth": "sso-oauth"}
# eventName -> IAM action where the names differ or one call needs several actions.
EVENT_ACTIONS = {
    ("s3", "ListObjects"): ["s3:ListBucket"], ("s3", "ListObjectsV2"): ["s3:ListBucket"],
    ("s3", "HeadObject"): ["s3:GetObject"], ("s3", "HeadBucket"): ["s3:ListBucket"],
    ("s3", "ListObjectVersions"): ["s3:ListBucketVersions"],
    ("s3", "CopyObject"): ["s3:GetObject", "s3:PutObject"],
    ("s3", "CreateMultipartUpload"): ["s3:PutObject"], ("s3", "UploadPart"): ["s3:PutObject"],
    ("s3", "CompleteMultipartUpload"): ["s3:PutObject"],
    ("lambda", "Invoke"): ["lambda:InvokeFunction"],
    ("ec2", "RunInstances"): ["ec2:RunInstances"],
    ("kms", "ReEncrypt"): ["kms:ReEncryptFrom", "kms:ReEncryptTo"],
    ("sts", "AssumeRoleWithWebIdentity"): ["sts:AssumeRoleWithWebIdentity"],
    ("signin", "ConsoleLogin"): [],  # not an IAM action
}
_VERSIONED = re.compile(r"^(.*?)(?:20\d{6}|v\d+)$")
# Data events: absent unless the trail logs them, so their absence proves nothing.
DATA_EVENT_ACTIONS = re.compile(r"^(s3:(get|put|delete|restore)object\w*|s3:(abort|list)multipartupload\w*|"
                                r"lambda:invokefunction\w*|dynamodb:(getitem|putitem|updateitem|deleteitem|query|scan|"
                                r"batch\w+|transact\w+))$")
NEVER_LOGGED = {"iam:passrole", "s3:listallmybuckets"}


def event_to_actions(service: str, operation: str) -> tuple[list[str], bool]:
    """IAM actions for one CloudTrail event, and whether the mapping is known to the catalogue."""
    prefix = service.split(".", 1)[0]
    prefix = SERVICE_PREFIX.get(prefix, prefix)
    if (prefix, operation) in EVENT_ACTIONS:
        acts = EVENT_ACTIONS[(prefix, operation)]
        return acts, True
    cat = catalogue()
    name = operation
    if f"{prefix}:{name}".lower() not in cat:
        m = _VERSIONED.match(name)
        if m and f"{prefix}:{m.group(1)}".lower() in cat:
            name = m.group(1)
    action = f"{prefix}:{name}"
    return [action], action.lower() in cat


@dataclass
class Rightsizing:
    principal: str
    days: int
    events: int
    used: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # events we could not map to an action
    granted: int = 0
    unused: list[str] = field(default_factory=list)
    unused_services: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # granted, but the logs cannot tell
    policy: dict[str, Any] = field(default_factory=dict)
    diff: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def observed(store: Store, principal: Principal, days: int) -> list[tuple[str, str, list[str], int]]:
    """(service, operation, resources, count) for calls by the principal (roles: every session)."""
    who = "actor_session_issuer" if principal.kind == "role" else "actor_identity"
    return [(s, o, list(r or []), int(n)) for s, o, r, n in store.run(f"""
        SELECT api_service, api_operation, list_distinct(flatten(list(resources))), count(*)
        FROM events
        WHERE cloud_provider = 'aws' AND {who} = ? AND status = 'success'
          AND time >= (SELECT max(time) FROM events) - INTERVAL (?) DAY
        GROUP BY 1, 2""", [principal.arn, days])]


def granted_actions(account: Account, p: Principal) -> set[str]:
    return allowed_somewhere(account.identity_policies(p))


def rightsize(account: Account, store: Store, arn: str, days: int = 90) -> Rightsizing:
    p = account.principals[arn]
    rows = observed(store, p, days)
    r = Rightsizing(arn, days, sum(n for *_, n in rows))
    used: dict[str, set[str]] = {}
    for service, op, resources, _n in rows:
        acts, known = event_to_actions(service, op)
        if not known:
            r.unmapped.append(f"{service} {op}")
        for a in acts:
            used.setdefault(a, set()).update(x for x in resources if x.startswith("arn:"))
    used_l = {a.lower() for a in used}
    granted = granted_actions(account, p)
    r.granted = len(granted)
    r.used = sorted(used)
    unknowable = {a for a in granted if a in NEVER_LOGGED or DATA_EVENT_ACTIONS.match(a)} - used_l
    r.unknown = sorted(unknowable)
    r.unused = sorted(granted - used_l - unknowable)
    used_services = {a.split(":", 1)[0] for a in used_l}
    r.unused_services = sorted({a.split(":", 1)[0] for a in granted} - used_services -
                               {a.split(":", 1)[0] for a in unknowable})
    # The policy: one statement per service, the observed actions and their resources ("*" when the
    # logs named none).
    by_service: dict[str, tuple[set[str], set[str]]] = {}
    for a, res in used.items():
        svc_acts, svc_res = by_service.setdefault(a.split(":", 1)[0], (set(), set()))
        svc_acts.add(a)
        svc_res.update(res or {"*"})
    r.policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": re.sub(r"[^A-Za-z0-9]", "", svc.title()) + "Observed", "Effect": "Allow", "Action": sorted(sa),
         "Resource": ["*"] if "*" in sr else sorted(sr)} for svc, (sa, sr) in sorted(by_service.items())]}
    current: set[str] = set()
    for pol in account.identity_policies(p):
        for st in pol.statements:
            if st.effect == "Allow":
                current.update(st.actions)
    r.diff = {"removed": sorted(current - set(used)), "added": sorted(set(used) - current),
              "kept": sorted(current & set(used))}
    return r
