"""Runs rules as set-based SQL over the events table and groups hits into findings.

Grouping: the hits of one rule by one identity in one account form one finding while each hit
follows the previous one within the rule's window (a gap-based session, computed with window
functions). A rule with a threshold keeps only groups with that many hits, or that many distinct
values of its `distinct` expression.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb

from apisentry.detect.rules import Rule
from apisentry.model.findings import Finding, finding_id
from apisentry.sources.problems import InputProblem
from apisentry.sources.raw_records import fill_raw, missing_raw
from apisentry.store import Store

_USES_RAW = re.compile(r"\braw\b")

# `api_operation IN ('A', 'B')` with constants is only an optional zone-map filter in DuckDB, so
# the scan still decompresses every vector of the other columns a condition reads (request JSON):
# 150 ms per rule at 5M events. The same test as a semi-join on a one-column list becomes a
# dynamic filter pushed into the scan, which skips vectors without those operations: 6 ms.
_OPERATION_LIST = re.compile(r"\bapi_operation\s+IN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)",
                             re.IGNORECASE)


def prunable(condition: str) -> str:
    """The condition with constant operation lists written as semi-joins (same value, faster)."""
    return _OPERATION_LIST.sub(lambda m: f"api_operation IN (SELECT unnest([{m.group(1)}]))", condition)


@dataclass
class DetectReport:
    rules_run: int = 0
    findings: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (rule id, why)
    problems: list[InputProblem] = field(default_factory=list)  # records that could not be read back


def rule_sql(rule: Rule) -> str:
    distinct = rule.distinct or "uid"
    weight = rule.weight or "1"
    # Plain aggregates where possible (DISTINCT only for a rule's own `distinct`): DuckDB then
    # groups in one hash table instead of splitting the hits into a CTE read by one aggregate
    # each. uids are unique after de-duplication, so counting hits counts distinct uids.
    measure = "sum(w)" if rule.weight else ("count(DISTINCT dkey)" if rule.distinct else "count(*)")
    return f"""
WITH hits AS (
  SELECT uid, time, actor_identity, cloud_account, cloud_region, api_operation, ({distinct}) AS dkey,
         coalesce(({weight}), 1) AS w
  FROM events
  WHERE cloud_provider = '{rule.provider}' AND time IS NOT NULL AND ({prunable(rule.condition)})
), marked AS (
  -- Ordered by time alone: hits at the same instant are 0 apart, so they fall in one group
  -- whatever their order, and sorting on the id as well only cost time.
  SELECT *, CASE WHEN time - lag(time) OVER w <= {rule.window_interval} THEN 0 ELSE 1 END AS brk
  FROM hits
  WINDOW w AS (PARTITION BY actor_identity, cloud_account ORDER BY time)
), grouped AS (
  SELECT *, sum(brk) OVER (PARTITION BY actor_identity, cloud_account ORDER BY time
                           ROWS UNBOUNDED PRECEDING) AS grp
  FROM marked
)
SELECT actor_identity, cloud_account,
       min(time) AS first_seen, max(time) AS last_seen, count(*) AS n,
       list(uid ORDER BY time, uid) AS event_ids,
       list_sort(list_distinct(list(cloud_region))) AS regions,
       list_sort(list_distinct(list(api_operation))) AS operations
FROM grouped
GROUP BY actor_identity, cloud_account, grp
HAVING {measure} >= {int(rule.threshold)}
ORDER BY first_seen"""


def run_rule(con: duckdb.DuckDBPyConnection, rule: Rule) -> list[Finding]:
    """The findings of one rule, on a connection to the store (`store.con` or Store.session)."""
    out = []
    for identity, account, first, last, n, uids, regions, ops in con.execute(rule_sql(rule)).fetchall():
        regions = regions or []
        out.append(Finding(
            id=finding_id(rule.id, identity, account, uids[0]),
            rule_id=rule.id,
            title=rule.title,
            severity=rule.severity,
            techniques=rule.techniques,
            identity=identity,
            account=account,
            region=", ".join(regions) or None,
            first_seen=first,
            last_seen=last,
            count=int(n),
            event_ids=list(uids),
            description=rule.description,
            provider=rule.provider,
            source=rule.source,
            references=rule.references,
            regions=list(regions),
            operations=[o for o in ops if o is not None],
        ))
    return out


def detect(store: Store, rules: Iterable[Rule]) -> DetectReport:
    """Run every rule; a rule whose SQL fails is reported, the rest still run."""
    report = DetectReport()
    ran: list[str] = []
    found: list[Finding] = []
    rules = list(rules)
    # Original records are read back only when some rule looks into them (most Sigma rules on
    # fields outside the event columns); the built-in pack reads columns alone.
    looking = {r.provider for r in rules if _USES_RAW.search(f"{r.condition} {r.distinct or ''} {r.weight or ''}")}
    if looking and missing_raw(store, sorted(looking)):
        report.problems = fill_raw(store)
    present = {r[0] for r in store.run("SELECT DISTINCT cloud_provider FROM events")}
    # Rules of providers with no events have nothing to match: no scan, and old findings are cleared.
    ran.extend(rule.id for rule in rules if rule.provider not in present)
    for rule, result in _run_all(store, [r for r in rules if r.provider in present]):
        if isinstance(result, str):
            report.failed.append((rule.id, result))
            continue
        found.extend(result)
        ran.append(rule.id)
    store.replace_findings(ran, found)
    report.rules_run = len(ran)
    report.findings = len(found)
    return report


# Most rules take milliseconds, too little for DuckDB to use both cores within one query; two
# rules at a time did (AWS pack at 5M events: 2.5 s to 2.2 s).
_LANES = 2


def _run_all(store: Store, rules: list[Rule]) -> list[tuple[Rule, list[Finding] | str]]:
    """Each rule's findings, or why its SQL failed, in the order given."""
    results: list[tuple[Rule, list[Finding] | str] | None] = [None] * len(rules)
    todo = list(enumerate(rules))
    lock = threading.Lock()

    def lane() -> None:
        with store.session() as con:
            while True:
                with lock:
                    if not todo:
                        return
                    i, rule = todo.pop()
                try:
                    results[i] = (rule, run_rule(con, rule))
                except duckdb.Error as e:
                    results[i] = (rule, str(e).splitlines()[0])

    with ThreadPoolExecutor(_LANES) as pool:
        for f in [pool.submit(lane) for _ in range(_LANES)]:
            f.result()  # a bug in a lane surfaces here
    return [r for r in results if r is not None]
