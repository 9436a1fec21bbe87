"""Reading original records back from their files.

Events from S3 delivery files are stored without their record's text (cloudtrail.document_sql):
keeping 1.2 KB of JSON per event doubled ingest time, and only a few queries need it (Sigma rules
on fields the event columns do not carry, Parquet export). Those call `fill_raw` first, which reads
the files again and fills `raw` where it is missing, set-based in one UPDATE per batch.
"""

from __future__ import annotations

import os
from collections import defaultdict

from apisentry.sources.fast import DOCUMENT_KEY, INPUT_ERRORS, documents_sql, object_limit
from apisentry.sources.problems import InputError, InputProblem
from apisentry.sources.sniff import Sniffed, sniff
from apisentry.store import Store

# Files read back per UPDATE: bounds the memory one statement holds.
_BATCH_FILES = 256


def missing_raw(store: Store, providers: list[str] | None = None) -> bool:
    """Whether some event (of these providers) was stored without its record text."""
    only = " AND cloud_provider IN (SELECT unnest(?))" if providers is not None else ""
    return bool(store.run(f"SELECT 1 FROM events WHERE raw IS NULL AND source_index IS NOT NULL{only} LIMIT 1",
                          [providers] if providers is not None else None))


def fill_raw(store: Store) -> list[InputProblem]:
    """Fill `raw` of every event stored without it. A file that is gone or changed since it was
    ingested is named in the result, and its events keep raw NULL: reading records from a changed
    file could attach another record's text to an event."""
    files = [r[0] for r in store.run(
        "SELECT DISTINCT source_file FROM events WHERE raw IS NULL AND source_index IS NOT NULL ORDER BY 1")]
    if not files:
        return []
    known = store.ingested_files()
    problems: list[InputProblem] = []
    groups: dict[bool, list[Sniffed]] = defaultdict(list)
    for path in files:
        try:
            st = os.stat(path)
        except OSError as e:
            problems.append(InputProblem(path, "", f"original records not available: {e.strerror}"))
            continue
        if known.get(path) != (st.st_size, st.st_mtime_ns):
            problems.append(InputProblem(path, "", "changed since it was ingested; original records not read back"))
            continue
        try:
            s = sniff(path, "auto")
        except InputError as e:
            problems.append(e.problem)
            continue
        groups[s.compressed].append(s)
    for compressed, sniffed in groups.items():
        for i in range(0, len(sniffed), _BATCH_FILES):
            batch = sniffed[i:i + _BATCH_FILES]
            try:
                _fill(store, batch, compressed)
            except INPUT_ERRORS as e:
                problems.extend(InputProblem(s.path, "", f"original records not read back: {e}") for s in batch)
    return problems


def _fill(store: Store, batch: list[Sniffed], compressed: bool) -> None:
    docs = documents_sql(object_limit(batch), compressed)
    store.run(f"""
        UPDATE events SET raw = m.raw
        FROM (SELECT filename, unnest(recs) AS raw, unnest(range(len(recs)))::INTEGER AS idx
              FROM (SELECT filename, json_extract(json, '$."{DOCUMENT_KEY}"[*]') AS recs FROM ({docs}))) AS m
        WHERE events.source_file = m.filename AND events.source_index = m.idx AND events.raw IS NULL""",
              [[s.path for s in batch]])
