"""The evaluator element by element, operator by operator, and the traps that fool simpler tools."""

from __future__ import annotations

from typing import Any

import pytest

from apisentry.iam.evaluate import ALLOWED, EXPLICIT, IMPLICIT, Policies, Request, evaluate
from apisentry.iam.policy import PolicyError, parse_policy

ACCT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/app"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/app/i-0abc"
BUCKET = "arn:aws:s3:::data-bucket"
OBJ = "arn:aws:s3:::data-bucket/reports/q1.csv"


def pol(*statements: dict[str, Any], name: str = "p") -> Any:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name)


def allow(action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "s3:GetObject", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(*identity: Any, principal: str = ALICE, action: str = "s3:GetObject", resource: str = OBJ,
           context: dict[str, Any] | None = None, **kw: Any) -> str:
    return evaluate(Request(principal, action, resource, kw.pop("resource_account", None), context or {}),
                    Policies(identity=list(identity), **kw)).decision


# --- elements -----------------------------------------------------------------------------------

def test_nothing_allows_means_implicit_deny() -> None:
    assert decide() == IMPLICIT


def test_action_wildcards_and_case() -> None:
    assert decide(pol(allow("s3:Get*"))) == ALLOWED
    assert decide(pol(allow("S3:GETOBJECT"))) == ALLOWED
    assert decide(pol(allow("s3:Get?bject"))) == ALLOWED
    assert decide(pol(allow("s3:Put*"))) == IMPLICIT
    assert decide(pol(allow("*"))) == ALLOWED


def test_not_action() -> None:
    p = pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide(p) == ALLOWED
    assert decide(p, action="iam:CreateUser") == IMPLICIT


def test_resource_and_not_resource_are_case_sensitive_with_wildcards() -> None:
    assert decide(pol(allow(resource=f"{BUCKET}/reports/*"))) == ALLOWED
    assert decide(pol(allow(resource=f"{BUCKET}/REPORTS/*"))) == IMPLICIT
    assert decide(pol(allow(resource=f"{BUCKET}/reports/q?.csv"))) == ALLOWED
    p = pol({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": f"{BUCKET}/secret/*"})
    assert decide(p) == ALLOWED
    assert decide(p, resource=f"{BUCKET}/secret/k") == IMPLICIT


def test_policy_variables() -> None:
    p = pol(allow(resource=f"{BUCKET}/home/${{aws:username}}/*"))
    assert decide(p, resource=f"{BUCKET}/home/alice/x") == ALLOWED
    assert decide(p, resource=f"{BUCKET}/home/bob/x") == IMPLICIT
    # A role session has no aws:username: the statement cannot match.
    assert decide(p, principal=SESSION, resource=f"{BUCKET}/home/alice/x") == IMPLICIT
    tagged = pol(allow(resource=f"{BUCKET}/${{aws:PrincipalTag/team}}/*"))
    assert decide(tagged, resource=f"{BUCKET}/red/x", context={"aws:PrincipalTag/team": "red"}) == ALLOWED
    # ${*} is a literal asterisk, not a wildcard.
    lit = pol(allow(resource=f"{BUCKET}/${{*}}"))
    assert decide(lit, resource=f"{BUCKET}/*") == ALLOWED
    assert decide(lit, resource=f"{BUCKET}/x") == IMPLICIT
    dflt = pol(allow(resource=f"{BUCKET}/${{aws:username, 'shared'}}/*"))
    assert decide(dflt, principal=SESSION, resource=f"{BUCKET}/shared/x") == ALLOWED


# --- denies -------------------------------------------------------------------------------------

def test_deny_in_the_same_policy_wins() -> None:
    assert decide(pol(allow("s3:*"), deny("s3:GetObject"))) == EXPLICIT


def test_deny_in_another_policy_wins() -> None:
    assert decide(pol(allow("s3:*"), name="a"), pol(deny("s3:*"), name="b")) == EXPLICIT


def test_deny_only_policy_grants_nothing() -> None:
    assert decide(pol(deny("s3:DeleteObject"))) == IMPLICIT


def test_decision_names_the_statements() -> None:
    d = evaluate(Request(ALICE, "s3:GetObject", OBJ),
                 Policies(identity=[pol(allow("s3:*", Sid="ReadAll"), name="a"),
                                    pol(deny("s3:GetObject", Sid="NoGet"), name="b")]))
    assert d.decision == EXPLICIT and d.statements == ["b#NoGet"]


# --- boundaries, sessions, organizations ----------------------------------------------------------

def test_permission_boundary_intersects() -> None:
    idp = pol(allow("s3:*"))
    assert decide(idp, boundaries=[pol(allow("s3:GetObject"))]) == ALLOWED
    assert decide(idp, action="s3:PutObject", boundaries=[pol(allow("s3:GetObject"))]) == IMPLICIT
    # A boundary alone grants nothing.
    assert decide(boundaries=[pol(allow("s3:*"))]) == IMPLICIT


def test_session_policy_intersects() -> None:
    assert decide(pol(allow("s3:*")), principal=SESSION, session=pol(allow("s3:List*"))) == IMPLICIT


def test_scps_every_level_must_allow() -> None:
    full = pol(allow("*"), name="FullAWSAccess")
    only_s3 = pol(allow("s3:*"), name="OnlyS3")
    idp = pol(allow("*"))
    assert decide(idp, scps=[[full], [only_s3]]) == ALLOWED
    assert decide(idp, action="ec2:RunInstances", resource="*", scps=[[full], [only_s3]]) == IMPLICIT
    assert decide(idp, scps=[[full], [pol(deny("s3:GetObject"))]]) == EXPLICIT
    # An SCP never grants: without an identity policy nothing is allowed.
    assert decide(scps=[[full]]) == IMPLICIT


def test_rcps_every_level_must_allow() -> None:
    idp = pol(allow("s3:*"))
    full = pol(allow("*"), name="RCPFullAWSAccess")
    rcp_deny = pol(deny("s3:*", Condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}))
    assert decide(idp, rcps=[[full], [full, rcp_deny]], context={"aws:PrincipalOrgID": "o-abc"}) == ALLOWED
    assert decide(idp, rcps=[[full], [full, rcp_deny]], context={"aws:PrincipalOrgID": "o-zzz"}) == EXPLICIT
    assert decide(idp, rcps=[[full], [rcp_deny]], context={"aws:PrincipalOrgID": "o-abc"}) == IMPLICIT


# --- resource policies ----------------------------------------------------------------------------

def res(*statements: dict[str, Any]) -> Any:
    return parse_policy({"Statement": list(statements)}, "bucket-policy")


def test_same_account_resource_policy_grants_alone() -> None:
    rp = res({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"})
    d = evaluate(Request(ALICE, "s3:GetObject", OBJ, ACCT), Policies(resource=rp))
    assert d.decision == ALLOWED
    # ... even past a permission boundary's implicit deny, when it names the user.
    d = evaluate(Request(ALICE, "s3:GetObject", OBJ, ACCT), Policies(resource=rp, boundaries=[pol(allow("ec2:*"))]))
    assert d.decision == ALLOWED


def test_resource_policy_naming_the_role_is_limited_by_the_boundary() -> None:
    rp = res({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"})
    assert evaluate(Request(SESSION, "s3:GetObject", OBJ, ACCT), Policies(resource=rp)).decision == ALLOWED
    limited = Policies(resource=rp, boundaries=[pol(allow("ec2:*"))])
    assert evaluate(Request(SESSION, "s3:GetObject", OBJ, ACCT), limited).decision == IMPLICIT


def test_resource_policy_naming_the_account_needs_an_identity_policy() -> None:
    rp = res({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"}, "Action": "s3:*", "Resource": "*"})
    assert evaluate(Request(ALICE, "s3:GetObject", OBJ, ACCT), Policies(resource=rp)).decision == IMPLICIT
    assert evaluate(Request(ALICE, "s3:GetObject", OBJ, ACCT),
                    Policies(resource=rp, identity=[pol(allow())])).decision == ALLOWED


def test_cross_account_needs_both_sides() -> None:
    bob = f"arn:aws:iam::{OTHER}:user/bob"
    rp = res({"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:GetObject", "Resource": f"{BUCKET}/*"})
    assert evaluate(Request(bob, "s3:GetObject", OBJ, ACCT), Policies(identity=[pol(allow())])).decision == IMPLICIT
    assert evaluate(Request(bob, "s3:GetObject", OBJ, ACCT), Policies(resource=rp)).decision == IMPLICIT
    assert evaluate(Request(bob, "s3:GetObject", OBJ, ACCT), Policies(resource=rp, identity=[pol(allow())])).decision == ALLOWED


def test_not_principal_and_star_principal() -> None:
    rp = res({"Effect": "Deny", "NotPrincipal": {"AWS": ALICE}, "Action": "s3:*", "Resource": "*"},
             {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    assert evaluate(Request(ALICE, "s3:GetObject", OBJ, ACCT), Policies(resource=rp)).decision == ALLOWED
    carol = f"arn:aws:iam::{ACCT}:user/carol"
    assert evaluate(Request(carol, "s3:GetObject", OBJ, ACCT), Policies(resource=rp)).decision == EXPLICIT


# --- conditions, operator by operator -------------------------------------------------------------

CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("StringEquals", {"aws:RequestedRegion": "eu-west-1"}, {"aws:RequestedRegion": "eu-west-1"}, True),
    ("StringEquals", {"aws:RequestedRegion": "eu-west-1"}, {"aws:RequestedRegion": "EU-WEST-1"}, False),
    ("StringEquals", {"aws:RequestedRegion": "eu-west-1"}, {}, False),
    ("StringNotEquals", {"aws:RequestedRegion": "eu-west-1"}, {"aws:RequestedRegion": "us-east-1"}, True),
    ("StringNotEquals", {"aws:RequestedRegion": "eu-west-1"}, {}, True),  # absent key: negated holds
    ("StringEqualsIgnoreCase", {"aws:RequestedRegion": "EU-West-1"}, {"aws:RequestedRegion": "eu-west-1"}, True),
    ("StringNotEqualsIgnoreCase", {"aws:RequestedRegion": "EU-West-1"}, {"aws:RequestedRegion": "eu-west-1"}, False),
    ("StringLike", {"s3:prefix": "home/*"}, {"s3:prefix": "home/alice"}, True),
    ("StringLike", {"s3:prefix": "home/?"}, {"s3:prefix": "home/ab"}, False),
    ("StringNotLike", {"s3:prefix": "home/*"}, {"s3:prefix": "tmp/x"}, True),
    ("NumericLessThan", {"s3:max-keys": "10"}, {"s3:max-keys": "5"}, True),
    ("NumericLessThanEquals", {"s3:max-keys": "10"}, {"s3:max-keys": "10"}, True),
    ("NumericGreaterThan", {"s3:max-keys": "10"}, {"s3:max-keys": "10"}, False),
    ("NumericGreaterThanEquals", {"s3:max-keys": "10"}, {"s3:max-keys": "11"}, True),
    ("NumericEquals", {"s3:max-keys": "10"}, {"s3:max-keys": "ten"}, False),
    ("NumericNotEquals", {"s3:max-keys": "10"}, {"s3:max-keys": "11"}, True),
    ("DateLessThan", {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, {"aws:CurrentTime": "2026-11-30T00:00:00Z"}, True),
    ("DateGreaterThan", {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, {"aws:CurrentTime": "2026-11-30T00:00:00Z"}, False),
    ("DateGreaterThanEquals", {"aws:EpochTime": "1700000000"}, {"aws:EpochTime": 1800000000}, True),
    ("DateEquals", {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, {"aws:CurrentTime": "2026-01-01T00:00:00+00:00"}, True),
    ("DateNotEquals", {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, {"aws:CurrentTime": "2026-01-02T00:00:00Z"}, True),
    ("DateLessThanEquals", {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, {"aws:CurrentTime": "2026-01-01T00:00:00Z"}, True),
    ("Bool", {"aws:MultiFactorAuthPresent": "true"}, {"aws:MultiFactorAuthPresent": True}, True),
    ("Bool", {"aws:MultiFactorAuthPresent": "true"}, {"aws:MultiFactorAuthPresent": "false"}, False),
    ("Bool", {"aws:MultiFactorAuthPresent": "true"}, {}, False),
    ("BinaryEquals", {"ec2:Blob": "QmluYXJ5"}, {"ec2:Blob": "QmluYXJ5"}, True),
    ("IpAddress", {"aws:SourceIp": "203.0.113.0/24"}, {"aws:SourceIp": "203.0.113.9"}, True),
    ("IpAddress", {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}, {"aws:SourceIp": "2001:db8::1"}, True),
    ("NotIpAddress", {"aws:SourceIp": "203.0.113.0/24"}, {"aws:SourceIp": "198.51.100.1"}, True),
    ("NotIpAddress", {"aws:SourceIp": "203.0.113.0/24"}, {}, True),
    ("ArnEquals", {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"}, {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"}, True),
    ("ArnLike", {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}, {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"}, True),
    ("ArnLike", {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}, {"aws:SourceArn": "arn:aws:sns:eu-west-1:999988887777:t"}, False),
    ("ArnNotLike", {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}, {"aws:SourceArn": "arn:aws:sqs:eu-west-1:111122223333:q"}, True),
    ("ArnNotEquals", {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"}, {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:u"}, True),
    ("Null", {"aws:TokenIssueTime": "true"}, {}, True),
    ("Null", {"aws:TokenIssueTime": "false"}, {}, False),
    ("Null", {"aws:TokenIssueTime": "false"}, {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, True),
    ("StringEqualsIfExists", {"ec2:InstanceType": "t3.micro"}, {}, True),
    ("StringEqualsIfExists", {"ec2:InstanceType": "t3.micro"}, {"ec2:InstanceType": "p4d.24xlarge"}, False),
    ("NumericLessThanIfExists", {"s3:max-keys": "10"}, {}, True),
    ("ForAllValues:StringEquals", {"aws:TagKeys": ["env", "team"]}, {"aws:TagKeys": ["env"]}, True),
    ("ForAllValues:StringEquals", {"aws:TagKeys": ["env", "team"]}, {"aws:TagKeys": ["env", "owner"]}, False),
    ("ForAllValues:StringEquals", {"aws:TagKeys": ["env"]}, {}, True),  # the vacuous-truth trap
    ("ForAnyValue:StringEquals", {"aws:TagKeys": ["env"]}, {"aws:TagKeys": ["owner", "env"]}, True),
    ("ForAnyValue:StringEquals", {"aws:TagKeys": ["env"]}, {}, False),
    ("ForAnyValue:StringLike", {"aws:TagKeys": ["cost*"]}, {"aws:TagKeys": ["costcenter"]}, True),
    ("ForAllValues:StringNotEquals", {"aws:TagKeys": ["secret"]}, {"aws:TagKeys": ["env", "team"]}, True),
]


@pytest.mark.parametrize(("op", "keys", "ctx", "expect"), CASES)
def test_condition_operator(op: str, keys: dict[str, Any], ctx: dict[str, Any], expect: bool) -> None:
    p = pol(allow(Condition={op: keys}))
    assert (decide(p, context=ctx) == ALLOWED) is expect


def test_condition_keys_are_case_insensitive_values_are_not() -> None:
    p = pol(allow(Condition={"StringEquals": {"AWS:RequestedRegion": "eu-west-1"}}))
    assert decide(p, context={"aws:requestedregion": "eu-west-1"}) == ALLOWED


def test_all_operators_and_all_keys_must_hold_values_are_ored() -> None:
    p = pol(allow(Condition={"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"],
                                              "aws:PrincipalTag/team": "red"},
                             "Bool": {"aws:SecureTransport": "true"}}))
    ok = {"aws:RequestedRegion": "eu-central-1", "aws:PrincipalTag/team": "red", "aws:SecureTransport": "true"}
    assert decide(p, context=ok) == ALLOWED
    assert decide(p, context={**ok, "aws:SecureTransport": "false"}) == IMPLICIT
    assert decide(p, context={**ok, "aws:PrincipalTag/team": "blue"}) == IMPLICIT


def test_unsatisfiable_conditions_never_allow() -> None:
    p = pol(allow(Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"},
                             "StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    for region in ("eu-west-1", "us-east-1"):
        assert decide(p, context={"aws:RequestedRegion": region}) == IMPLICIT


def test_condition_values_with_variables() -> None:
    p = pol(allow(Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}))
    assert decide(p, context={"s3:prefix": "home/alice/docs"}) == ALLOWED
    assert decide(p, context={"s3:prefix": "home/bob/docs"}) == IMPLICIT


# --- traps that tools get wrong -------------------------------------------------------------------

def test_permissions_split_across_two_policies() -> None:
    a = pol(allow("iam:PassRole", ROLE), name="a")
    b = pol(allow("ec2:RunInstances"), name="b")
    assert decide(a, b, action="iam:PassRole", resource=ROLE) == ALLOWED
    assert decide(a, b, action="ec2:RunInstances", resource="*") == ALLOWED


def test_aws_managed_policy_arn_as_resource_never_matches_the_user() -> None:
    # iam:AttachUserPolicy acts on the user; a Resource naming the managed policy cannot match it.
    p = pol(allow("iam:AttachUserPolicy", "arn:aws:iam::aws:policy/AdministratorAccess"))
    assert decide(p, action="iam:AttachUserPolicy", resource=ALICE) == IMPLICIT


def test_not_action_still_allows_escalation() -> None:
    p = pol({"Effect": "Allow", "NotAction": ["s3:*", "ec2:*"], "Resource": "*"})
    assert decide(p, action="iam:PutUserPolicy", resource=ALICE) == ALLOWED


def test_a_role_cannot_become_the_user_whose_policy_it_could_change() -> None:
    # The role may change alice's policy, but a policy using ${aws:username} never matches a session.
    p = pol(allow("iam:PutUserPolicy", f"arn:aws:iam::{ACCT}:user/${{aws:username}}"))
    assert decide(p, principal=ALICE, action="iam:PutUserPolicy", resource=ALICE) == ALLOWED
    assert decide(p, principal=SESSION, action="iam:PutUserPolicy", resource=ALICE) == IMPLICIT


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("doc", "why"), [
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqualz": {"k": "v"}}}]},
     "unknown condition operator 'StringEqualz'"),
    ({"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}, "Effect must be Allow or Deny"),
    ({"Statement": [{"Effect": "Allow", "Resource": "*"}]}, "exactly one of Action and NotAction"),
    ({"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}, "Action must be a string"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}]},
     "unknown condition set operator"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ([1, 2], "must be a JSON object"),
])
def test_malformed_policies_name_policy_and_statement(doc: Any, why: str) -> None:
    with pytest.raises(PolicyError, match="my-policy") as e:
        parse_policy(doc, "my-policy")
    assert why in str(e.value)
