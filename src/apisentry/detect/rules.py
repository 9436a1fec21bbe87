"""Rules are data: one YAML file per rule with its metadata, its SQL condition over the events
table, and the events that prove it (run by the test suite, as Panther keeps tests beside rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from apisentry.model.findings import SEVERITIES

PROVIDERS = ("aws", "gcp", "azure")
# libyaml's loader when PyYAML was built with it: rule loading is on every command's start-up path.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


class RuleError(ValueError):
    """A rule file that cannot be used, with the file and the field at fault."""


@dataclass(frozen=True, slots=True)
class RuleTest:
    name: str
    match: bool
    events: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    description: str
    severity: str
    techniques: list[str]
    references: list[str]
    provider: str
    condition: str  # SQL boolean expression over the events table
    window: str = "1h"  # hits of one identity closer than this form one finding
    threshold: int = 1  # a group becomes a finding from this many hits (or distinct values)
    distinct: str | None = None  # SQL expression whose distinct values are counted instead
    weight: str | None = None  # SQL expression summed instead (e.g. instances per launch call)
    source: str = "builtin"
    tests: list[RuleTest] = field(default_factory=list)
    path: str = ""

    @property
    def window_interval(self) -> str:
        m = _DURATION.match(self.window)
        if not m:
            raise RuleError(f"{self.path}: window {self.window!r} is not like 30m, 1h, 2d")
        return f"INTERVAL {int(m.group(1))} {_UNITS[m.group(2)]}"


def _need(d: dict[str, Any], key: str, path: str, kind: type) -> Any:
    if key not in d:
        raise RuleError(f"{path}: missing '{key}'")
    if not isinstance(d[key], kind):
        raise RuleError(f"{path}: '{key}' must be a {kind.__name__}")
    return d[key]


def parse_rule(d: Any, path: str) -> Rule:
    if not isinstance(d, dict):
        raise RuleError(f"{path}: a rule file must be a mapping")
    severity = _need(d, "severity", path, str)
    if severity not in SEVERITIES:
        raise RuleError(f"{path}: severity must be one of {', '.join(SEVERITIES)}")
    provider = _need(d, "provider", path, str)
    if provider not in PROVIDERS:
        raise RuleError(f"{path}: provider must be one of {', '.join(PROVIDERS)}")
    tests = []
    for i, t in enumerate(d.get("tests") or []):
        if not isinstance(t, dict) or not isinstance(t.get("events"), list) or "match" not in t:
            raise RuleError(f"{path}: tests[{i}] needs 'name', 'match' and a list of 'events'")
        tests.append(RuleTest(str(t.get("name", f"test {i}")), bool(t["match"]), t["events"]))
    rule = Rule(
        id=_need(d, "id", path, str),
        title=_need(d, "title", path, str),
        description=str(d.get("description", "")).strip(),
        severity=severity,
        techniques=[str(x) for x in d.get("techniques") or []],
        references=[str(x) for x in d.get("references") or []],
        provider=provider,
        condition=_need(d, "condition", path, str).strip(),
        window=str(d.get("window", "1h")),
        threshold=int(d.get("threshold", 1)),
        distinct=d.get("distinct"),
        weight=d.get("weight"),
        tests=tests,
        path=path,
    )
    if rule.distinct and rule.weight:
        raise RuleError(f"{path}: a rule counts 'distinct' values or sums a 'weight', not both")
    _ = rule.window_interval  # validate now, not at detection time
    return rule


def load_rule_file(path: str | Path) -> Rule:
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.load(f, Loader=_LOADER)
        except yaml.YAMLError as e:
            raise RuleError(f"{path}: not valid YAML: {e}") from e
    return parse_rule(data, str(path))


def builtin_rules() -> list[Rule]:
    root = resources.files("apisentry.detect") / "rules"
    rules = [load_rule_file(Path(str(p))) for p in _walk(Path(str(root)))]
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuleError(f"duplicate rule ids in the built-in pack: {', '.join(sorted(dupes))}")
    return sorted(rules, key=lambda r: r.id)


def _walk(root: Path) -> list[Path]:
    return sorted(root.rglob("*.yml"))
