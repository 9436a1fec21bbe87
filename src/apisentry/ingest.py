"""Files in, events stored: discover, sniff, read fast in DuckDB, fall back to the careful reader
for files that need it, de-duplicate. Every problem is kept, named by file and record."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
import pyarrow as pa

from apisentry.sources import salvage
from apisentry.sources.discover import discover
from apisentry.sources.fast import INPUT_ERRORS, NORMALIZERS, can_take, group_key, normalize_sql, object_limit
from apisentry.sources.problems import InputError, InputProblem
from apisentry.sources.sniff import Sniffed, sniff
from apisentry.store import Store

# Files are read in batches of about this many bytes on disk: large enough for DuckDB to use
# both cores, small enough that progress moves and memory stays bounded.
BATCH_BYTES = 256 * 1024 * 1024
SALVAGE_CHUNK = 20_000

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass
class IngestReport:
    files_seen: int = 0
    files_read: int = 0
    files_skipped_unchanged: int = 0
    events_added: int = 0
    duplicates_dropped: int = 0
    problems: list[InputProblem] = field(default_factory=list)


def ingest(store: Store, paths: list[str], forced_format: str = "auto",
           progress: Progress | None = None) -> IngestReport:
    report = IngestReport()
    before = store.count_events()
    sniffed: list[Sniffed] = []
    seen_before = store.ingested_files()
    for path in discover(paths, report.problems):
        report.files_seen += 1
        try:
            st = os.stat(path)
            if seen_before.get(os.path.abspath(path)) == (st.st_size, st.st_mtime_ns):
                report.files_skipped_unchanged += 1
                continue
            sniffed.append(sniff(path, forced_format))
        except InputError as e:
            report.problems.append(e.problem)
        except OSError as e:
            report.problems.append(InputProblem(path, "", f"cannot read: {e}"))

    total = sum(s.size for s in sniffed) or 1
    done = 0
    groups: dict[tuple[str, str, str | None, str, bool], list[Sniffed]] = defaultdict(list)
    careful: list[Sniffed] = []
    for s in sniffed:
        (groups[group_key(s)] if can_take(s) else careful).append(s)

    for batch in _batches(groups.values()):
        careful.extend(_read_fast(store, batch))
        done += sum(s.size for s in batch)
        if progress:
            progress(done, total)
    for s in careful:
        _read_careful(store, s, report.problems)
        done += s.size
        if progress:
            progress(done, total)

    report.duplicates_dropped = store.dedupe()
    # A file with problems is not marked as ingested, so fixing it and ingesting again works.
    troubled = {p.path for p in report.problems}
    store.mark_ingested([(s.path, s.provider) for s in sniffed if s.path not in troubled])
    report.files_read = len(sniffed)
    report.events_added = store.count_events() - before
    return report


def _batches(groups: Iterable[list[Sniffed]]) -> Iterable[list[Sniffed]]:
    for files in groups:
        # Similar sizes together, so one big file does not raise every batch's buffer size.
        files = sorted(files, key=lambda s: s.content_size)
        batch: list[Sniffed] = []
        size = 0
        for s in files:
            batch.append(s)
            size += s.size
            if size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch


def _read_fast(store: Store, batch: list[Sniffed]) -> list[Sniffed]:
    """Insert a batch through DuckDB; return the files that need the careful reader."""
    try:
        _insert_fast(store, batch)
    except INPUT_ERRORS:
        if len(batch) == 1:
            return batch
        needs_care: list[Sniffed] = []
        for s in batch:  # find the file DuckDB refused; the others still go the fast way
            needs_care.extend(_read_fast(store, [s]))
        return needs_care
    paths = [s.path for s in batch]
    odd = store.unreadable_rows(paths)
    if not odd:
        return []
    # Some records did not normalise: redo those files carefully so each bad record is named.
    store.delete_file_rows(list(odd))
    return [s for s in batch if s.path in odd]


def _insert_fast(store: Store, batch: list[Sniffed]) -> None:
    store.run("BEGIN")
    try:
        store.insert_events(normalize_sql(batch[0], object_limit(batch)), [[s.path for s in batch]])
        store.run("COMMIT")
    except BaseException:
        store.run("ROLLBACK")
        raise


def _unwrap(rec: bytes, s: Sniffed, where: str, problems: list[InputProblem]) -> bytes | None:
    if s.envelope == "plain":
        return rec
    obj = orjson.loads(rec)
    inner = obj.get("detail") if s.envelope == "eventbridge" else obj.get("CloudTrailEvent")
    if isinstance(inner, str):
        try:
            inner = orjson.loads(inner)
        except orjson.JSONDecodeError:
            problems.append(InputProblem(s.path, where, "CloudTrailEvent is not valid JSON"))
            return None
    if not isinstance(inner, dict):
        problems.append(InputProblem(s.path, where, f"{s.envelope} envelope without a record"))
        return None
    return orjson.dumps(inner)


def _read_careful(store: Store, s: Sniffed, problems: list[InputProblem]) -> None:
    chunk: list[str] = []
    index = 0
    for rec in salvage.records(s, problems):
        data = _unwrap(rec, s, f"record {index}", problems)
        index += 1
        if data is None:
            continue
        chunk.append(data.decode())
        if len(chunk) >= SALVAGE_CHUNK:
            store_records(store, s.provider, chunk, s.path)
            chunk = []
    if chunk:
        store_records(store, s.provider, chunk, s.path)
    odd = store.unreadable_rows([s.path])
    if odd:
        store.delete_file_rows([s.path], only_unreadable=True)
        problems.append(InputProblem(s.path, "", f"{odd[s.path]} record(s) lacked the fields of a "
                                     f"{s.provider} audit record (operation name or a readable time) "
                                     "and were skipped"))


def store_records(store: Store, provider: str, records: list[str], source_file: str) -> None:
    """Normalise and store records given as JSON texts, with the same SQL as the fast path."""
    table = pa.table({"raw": pa.array(records, pa.string()),
                      "source_file": pa.array([source_file] * len(records), pa.string())})
    store.con.register("salvaged", table)
    try:
        store.insert_events(f"WITH src AS (SELECT raw::JSON AS raw, source_file FROM salvaged) "
                            f"{NORMALIZERS[provider]}")
    finally:
        store.con.unregister("salvaged")
