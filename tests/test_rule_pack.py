"""Every built-in rule proves itself: its embedded positive and near-miss events run here."""

from __future__ import annotations

import pytest

from apisentry.detect.rules import builtin_rules
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
