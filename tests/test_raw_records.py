"""Events from S3 delivery files are stored without their record text and read it back on demand:
every field of the original record stays reachable, and a file that moved or changed is named."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

from apisentry.detect.engine import detect
from apisentry.detect.rules import Rule
from apisentry.detect.testing import complete
from apisentry.ingest import ingest
from apisentry.sources.raw_records import fill_raw, missing_raw
from apisentry.store import Store


def ct(i: int, op: str = "ListBuckets", **extra: object) -> dict[str, object]:
    rec = complete("aws", {"eventSource": "s3.amazonaws.com", "eventName": op}, f"00000000-0000-4000-8000-{i:012d}", i)
    rec.update(extra)
    return rec


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Store(str(tmp_path / "s.duckdb")) as s:
        yield s


def write_s3(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as f:
        json.dump({"Records": records}, f)


def raws(store: Store) -> dict[str, object]:
    return {uid: (json.loads(raw) if raw is not None else None)
            for uid, raw in store.run("SELECT uid, raw FROM events")}


def test_s3_files_keep_positions_and_read_back_every_record(tmp_path: Path, store: Store) -> None:
    a = [ct(i, serviceEventDetails={"n": i}) for i in range(5)]
    b = [ct(10 + i, additionalEventData={"x": [i, {"y": "z"}]}) for i in range(3)]
    write_s3(tmp_path / "logs" / "a.json.gz", a)
    write_s3(tmp_path / "logs" / "sub" / "b.json.gz", b)
    ingest(store, [str(tmp_path / "logs")])
    assert store.run("SELECT count(*) FROM events WHERE raw IS NULL AND source_index IS NOT NULL")[0][0] == 8
    assert missing_raw(store)
    assert fill_raw(store) == []
    assert not missing_raw(store)
    got = raws(store)
    for rec in a + b:
        assert got[str(rec["eventID"])] == rec  # the record itself, not its neighbour
    files = {os.path.basename(r[0]) for r in store.run("SELECT DISTINCT source_file FROM events")}
    assert files == {"a.json.gz", "b.json.gz"}


def test_read_back_works_from_another_directory(tmp_path: Path, store: Store,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write_s3(tmp_path / "logs" / "a.json.gz", [ct(0)])
    monkeypatch.chdir(tmp_path)
    ingest(store, ["logs"])  # a relative path, as users type them
    monkeypatch.chdir(tmp_path / "logs")
    assert fill_raw(store) == []
    assert store.run("SELECT raw->>'eventName' FROM events") == [("ListBuckets",)]


def test_changed_or_missing_files_are_named_and_not_misread(tmp_path: Path, store: Store) -> None:
    changed, gone, fine = tmp_path / "changed.json.gz", tmp_path / "gone.json.gz", tmp_path / "fine.json.gz"
    write_s3(changed, [ct(0), ct(1)])
    write_s3(gone, [ct(2)])
    write_s3(fine, [ct(3)])
    ingest(store, [str(changed), str(gone), str(fine)])
    write_s3(changed, [ct(1), ct(0)])  # same events, other order: positions no longer hold
    gone.unlink()
    problems = {os.path.basename(p.path): p.why for p in fill_raw(store)}
    assert set(problems) == {"changed.json.gz", "gone.json.gz"}
    assert "changed since it was ingested" in problems["changed.json.gz"]
    assert "not available" in problems["gone.json.gz"]
    got = raws(store)
    assert got[str(ct(3)["eventID"])] == ct(3)
    assert got[str(ct(0)["eventID"])] is None and got[str(ct(1)["eventID"])] is None


def test_rules_over_raw_read_it_back_first(tmp_path: Path, store: Store) -> None:
    write_s3(tmp_path / "a.json.gz", [ct(0, "GetBucketAcl", tlsDetails={"tlsVersion": "TLSv1"}), ct(1)])
    ingest(store, [str(tmp_path)])
    rule = Rule(id="t-old-tls", title="old TLS", description="", severity="low", techniques=[], references=[],
                provider="aws", condition="(raw->>'$.tlsDetails.tlsVersion') = 'TLSv1'")
    report = detect(store, [rule])
    assert report.failed == [] and report.problems == [] and report.findings == 1


def test_builtin_pack_needs_no_read_back(tmp_path: Path, store: Store) -> None:
    from apisentry.detect.rules import builtin_rules
    write_s3(tmp_path / "a.json.gz", [ct(0, "StopLogging")])
    ingest(store, [str(tmp_path)])
    detect(store, builtin_rules())
    assert missing_raw(store)  # nothing was read back: the pack uses event columns only


def test_records_without_event_id_get_distinct_stable_ids(tmp_path: Path, store: Store) -> None:
    recs = [ct(0), ct(1)]
    for r in recs:
        del r["eventID"]
    write_s3(tmp_path / "a.json.gz", recs)
    ingest(store, [str(tmp_path)])
    first = sorted(r[0] for r in store.run("SELECT uid FROM events"))
    assert len(set(first)) == 2 and all(first)
    ingest(store, [str(tmp_path / "a.json.gz")])  # unchanged file: skipped, ids stay
    assert sorted(r[0] for r in store.run("SELECT uid FROM events")) == first


def test_export_carries_the_original_records(tmp_path: Path, store: Store) -> None:
    write_s3(tmp_path / "a.json.gz", [ct(0), ct(1)])
    ingest(store, [str(tmp_path)])
    from typer.testing import CliRunner

    from apisentry.cli.main import app
    store.close()
    out = tmp_path / "pq"
    result = CliRunner().invoke(app, ["export", "--db", str(tmp_path / "s.duckdb"), "--parquet", str(out)])
    assert result.exit_code == 0, result.output
    rows = duckdb.connect().execute(f"SELECT raw FROM read_parquet('{out}/*/*.parquet')").fetchall()
    assert sorted(json.loads(r[0])["eventID"] for r in rows) == sorted(str(ct(i)["eventID"]) for i in (0, 1))


def test_stores_from_before_the_column_are_upgraded(tmp_path: Path) -> None:
    path = str(tmp_path / "old.duckdb")
    con = duckdb.connect(path)
    con.execute("CREATE TABLE events (uid VARCHAR, raw JSON, source_file VARCHAR)")
    con.close()
    with Store(path) as s:
        cols = [r[0] for r in s.run("SELECT column_name FROM duckdb_columns() WHERE table_name = 'events'")]
    assert "source_index" in cols and "cloud_provider" in cols
