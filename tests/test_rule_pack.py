"""Every built-in rule proves itself: its embedded positive and near-miss events run here."""

from __future__ import annotations

from pathlib import Path

import pytest

from apisentry.detect.rules import builtin_rules
from apisentry.detect.sigma_loader import load_sigma
from apisentry.detect.testing import run_test

RULES = builtin_rules()


def test_pack_is_not_empty() -> None:
    assert len(RULES) > 100


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_positive_and_negative(rule) -> None:  # type: ignore[no-untyped-def]
    assert any(t.match for t in rule.tests), "needs at least one positive test"
    assert any(not t.match for t in rule.tests), "needs at least one near-miss negative test"
    assert rule.techniques, "needs ATT&CK technique ids"


CASES = [(r, t) for r in RULES for t in r.tests]


@pytest.mark.parametrize(("rule", "test"), CASES, ids=[f"{r.id}:{t.name}" for r, t in CASES])
def test_rule_embedded_test(rule, test) -> None:  # type: ignore[no-untyped-def]
    result = run_test(rule, test)
    assert result.ok, result.detail


def test_sigma_rules_of_the_wrong_shape_are_named_and_the_good_ones_loaded(tmp_path: Path) -> None:
    # A list for a rule ended the whole detection in pySigma's AttributeError, and an alias bomb
    # of a few hundred bytes would be expanded into half a million values, each a clause of SQL.
    good = ("title: S3 bucket policy changed\nlogsource: {product: aws, service: cloudtrail}\n"
            "detection:\n  sel: {eventSource: s3.amazonaws.com, eventName: PutBucketPolicy}\n  condition: sel\n")
    (tmp_path / "good.yml").write_text(good)
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    (tmp_path / "flow.yml").write_text("title: [broken\n")
    (tmp_path / "latin1.yml").write_bytes(b"title: caf\xe9\n")
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcde", "bcdef", strict=True)]
    (tmp_path / "bomb.yml").write_text("\n".join([*bomb, "title: bomb", "logsource: {product: aws, service: cloudtrail}",
                                                  "detection:", "  sel: {eventName: *f}", "  condition: sel"]) + "\n")
    (tmp_path / "huge.yml").write_text(good + "description: |\n" + "  x\n" * 400_000)
    load = load_sigma(str(tmp_path))
    assert [r.title for r in load.loaded] == ["S3 bucket policy changed"]
    why = {Path(p).name: w for p, w in load.unsupported}
    assert "not a Sigma rule (AttributeError" in why["list.yml"]
    assert "not a Sigma rule (ParserError" in why["flow.yml"]
    assert "utf-8" in why["latin1.yml"]
    assert "alias bomb" in why["bomb.yml"]
    assert "more than the 1,048,576 a Sigma rule file may have" in why["huge.yml"]
