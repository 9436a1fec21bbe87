"""The rule engine's rewrites keep every condition's meaning, and rules of absent providers still
clear what they found before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apisentry.detect.engine import detect, prunable
from apisentry.detect.rules import Rule
from apisentry.detect.testing import complete
from apisentry.ingest import ingest
from apisentry.store import Store

OPS = ["GetObject", "PutBucketAcl", "O'Brien", "DeleteBucket", None]


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Store(str(tmp_path / "s.duckdb")) as s:
        recs = [complete("aws", {"eventSource": "s3.amazonaws.com", "eventName": op or "ListBuckets"},
                         f"00000000-0000-4000-8000-{i:012d}", i) for i, op in enumerate(OPS)]
        (tmp_path / "a.json").write_text(json.dumps(recs))
        ingest(s, [str(tmp_path / "a.json")])
        s.run("UPDATE events SET api_operation = NULL WHERE api_operation = 'ListBuckets'")
        yield s


@pytest.mark.parametrize("condition", [
    "api_operation IN ('GetObject', 'PutBucketAcl')",
    "api_operation in ('O''Brien')",
    "NOT api_operation IN ('GetObject', 'DeleteBucket')",
    "api_operation NOT IN ('GetObject', 'DeleteBucket')",
    "api_operation IN ('GetObject') OR api_operation IN ('DeleteBucket', 'x')",
    "(api_operation IN ('GetObject', 'PutBucketAcl')) IS NULL",
])
def test_operation_lists_rewritten_with_the_same_value(store: Store, condition: str) -> None:
    assert "SELECT unnest" in prunable(condition) or "NOT IN" in condition
    plain = store.run(f"SELECT uid, ({condition}) FROM events ORDER BY uid")
    rewritten = store.run(f"SELECT uid, ({prunable(condition)}) FROM events ORDER BY uid")
    assert plain == rewritten
    assert len(plain) == len(OPS)


def test_other_lists_are_left_alone() -> None:
    for cond in ("api_service IN ('a', 'b')", "api_operation IN (SELECT x FROM t)", "my_api_operation IN ('a')"):
        assert prunable(cond) == cond


def test_rules_of_absent_providers_clear_old_findings(store: Store) -> None:
    rule = Rule(id="t-gcp", title="t", description="", severity="low", techniques=[], references=[],
                provider="gcp", condition="true")
    store.run("INSERT INTO findings (id, rule_id, title, severity) VALUES ('old', 't-gcp', 't', 'low')")
    report = detect(store, [rule])
    assert report.rules_run == 1 and report.findings == 0
    assert store.run("SELECT count(*) FROM findings WHERE rule_id = 't-gcp'") == [(0,)]


def test_rules_run_two_at_a_time_with_results_in_rule_order(store: Store) -> None:
    rules = [Rule(id=f"t-{i}", title="t", description="", severity="low", techniques=[], references=[],
                  provider="aws", condition="api_operation = '" + op.replace("'", "''") + "'")
             for i, op in enumerate([o for o in OPS if o] * 5)]
    broken = Rule(id="t-broken", title="t", description="", severity="low", techniques=[], references=[],
                  provider="aws", condition="no_such_column = 1")
    report = detect(store, [*rules, broken])
    assert [f[0] for f in report.failed] == ["t-broken"]
    assert report.rules_run == len(rules)
    got = store.run("SELECT rule_id, count FROM findings ORDER BY rule_id")
    assert got == sorted((r.id, 1) for r in rules)
