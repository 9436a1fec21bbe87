"""Sources: every supported layout is read, and every kind of bad input is named and survived."""

from __future__ import annotations

import dataclasses
import gzip
import json
from pathlib import Path

import pytest

from apisentry.detect.testing import complete
from apisentry.ingest import ingest
from apisentry.store import Store


def ct(i: int, op: str = "ListBuckets") -> dict[str, object]:
    return complete("aws", {"eventSource": "s3.amazonaws.com", "eventName": op}, f"00000000-0000-4000-8000-{i:012d}", i)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Store(str(tmp_path / "s.duckdb")) as s:
        yield s


def uids(store: Store) -> set[str]:
    return {r[0] for r in store.run("SELECT uid FROM events")}


def test_cloudtrail_layouts(tmp_path: Path, store: Store) -> None:
    d = tmp_path / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2024" / "05" / "06"
    d.mkdir(parents=True)
    with gzip.open(d / "a.json.gz", "wt") as f:
        json.dump({"Records": [ct(0), ct(1)]}, f)
    (tmp_path / "array.json").write_text(json.dumps([ct(2)]))
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(ct(i)) for i in (3, 4)) + "\n")
    (tmp_path / "eb.json").write_text(json.dumps([{"version": "0", "detail-type": "AWS API Call via CloudTrail",
                                                   "source": "aws.s3", "detail": ct(5)}]))
    (tmp_path / "lookup.json").write_text(json.dumps({"Events": [{"EventId": "x", "CloudTrailEvent": json.dumps(ct(6))}]}))
    report = ingest(store, [str(tmp_path)])
    assert report.problems == []
    assert report.events_added == 7
    row = store.run("SELECT cloud_provider, cloud_account, actor_type, api_service, status FROM events "
                    "WHERE uid LIKE '%000000000005'")
    assert row == [("aws", "111122223333", "user", "s3.amazonaws.com", "success")]


def test_reingest_adds_no_duplicates(tmp_path: Path, store: Store) -> None:
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"Records": [ct(0), ct(1)]}))
    ingest(store, [str(p)])
    q = tmp_path / "copy.json"  # same events under another name: de-duplicated by event id
    q.write_text(json.dumps({"Records": [ct(1), ct(0), ct(2)]}))
    again = ingest(store, [str(p), str(q)])
    assert again.files_skipped_unchanged == 1
    assert store.count_events() == 3
    assert again.duplicates_dropped == 2


def test_gcp_and_azure(tmp_path: Path, store: Store) -> None:
    g = complete("gcp", {"protoPayload": {"serviceName": "iam.googleapis.com",
                                          "methodName": "google.iam.admin.v1.CreateServiceAccountKey",
                                          "resourceName": "projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com",
                                          "status": {"code": 7, "message": "denied"}}}, "gcp-1", 0)
    (tmp_path / "gcp.json").write_text(json.dumps([g]))
    a_cli = {"eventDataId": "az-1", "eventTimestamp": "2024-05-06T09:00:00.1234567Z", "caller": "bob@contoso.com",
             "operationName": {"value": "Microsoft.Compute/virtualMachines/delete"},
             "status": {"value": "Failed"}, "subStatus": {"value": "AuthorizationFailed"},
             "subscriptionId": "sub-1", "resourceId": "/subscriptions/sub-1/resourceGroups/rg/providers/x"}
    (tmp_path / "az-cli.json").write_text(json.dumps([a_cli]))
    a_store = complete("azure", {"operationName": "MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION"}, "az-2", 0)
    (tmp_path / "PT1H.json").write_text(json.dumps({"records": [a_store]}))
    report = ingest(store, [str(tmp_path)])
    assert report.problems == []
    rows = dict(store.run("SELECT uid, (cloud_provider, cloud_account, status, error_code, actor_type) FROM events"))
    assert rows["gcp-1"][0] == "gcp"
    assert rows["gcp-1"][2:] == ("failure", "PERMISSION_DENIED", "user")
    assert rows["az-1"] == ("azure", "sub-1", "failure", "AuthorizationFailed", "user")
    assert rows["az-2"][0:3] == ("azure", "00000000-1111-2222-3333-444444444444", "success")


def test_times_with_offsets_are_utc(tmp_path: Path, store: Store) -> None:
    e = ct(0)
    e["eventTime"] = "2024-05-06T11:00:00+02:00"
    (tmp_path / "a.json").write_text(json.dumps([e]))
    ingest(store, [str(tmp_path / "a.json")])
    assert str(store.run("SELECT time FROM events")[0][0]) == "2024-05-06 09:00:00"


def test_bad_inputs_are_named_and_good_records_kept(tmp_path: Path, store: Store) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"Records": [ct(0)]}))
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "notjson.json").write_text("this is not json {")
    (tmp_path / "shape.json").write_text(json.dumps([1, 2, 3]))
    (tmp_path / "unknown.json").write_text(json.dumps([{"foo": 1, "bar": 2}]))
    (tmp_path / "latin1.json").write_bytes(b'[{"eventVersion": "1.09", "userAgent": "caf\xe9", "eventName": "X", "eventSource": "s"}]')
    # A gzip cut in the middle: the records before the cut are kept.
    blob = gzip.compress(json.dumps({"Records": [ct(i) for i in range(10, 400)]}).encode())
    (tmp_path / "trunc.json.gz").write_bytes(blob[: len(blob) // 2])
    # JSON Lines with one broken line and one record that is not a CloudTrail record.
    (tmp_path / "mixed.jsonl").write_text(json.dumps(ct(1)) + "\n{broken\n" + json.dumps({"eventName": "X"}) + "\n"
                                          + json.dumps(ct(2)) + "\n")
    report = ingest(store, [str(tmp_path), str(tmp_path / "missing.json")])
    by_file = {Path(p.path).name: p for p in report.problems}
    assert "empty file" in by_file["empty.json"].why
    assert "not JSON" in by_file["notjson.json"].why
    assert "wrong shape" in by_file["shape.json"].why
    assert "unknown format" in by_file["unknown.json"].why
    assert "UTF-8" in by_file["latin1.json"].why
    assert by_file["trunc.json.gz"].where.startswith("record ")
    assert "no such file" in by_file["missing.json"].why
    mixed = [p for p in report.problems if p.path.endswith("mixed.jsonl")]
    assert any(p.where == "line 2" for p in mixed)
    assert any("lacked the fields" in p.why for p in mixed)
    got = uids(store)
    assert {"00000000-0000-4000-8000-000000000000", "00000000-0000-4000-8000-000000000001",
            "00000000-0000-4000-8000-000000000002"} <= got
    kept_from_trunc = [u for u in got if int(u[-12:]) >= 10]
    assert 0 < len(kept_from_trunc) < 390


def test_utf8_bom_and_utf16(tmp_path: Path, store: Store) -> None:
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([ct(0)]).encode())
    (tmp_path / "u16.json").write_bytes(json.dumps([ct(1)]).encode("utf-16"))
    report = ingest(store, [str(tmp_path)])
    assert report.problems == []
    assert store.count_events() == 2


def test_forced_format_overrides_detection(tmp_path: Path, store: Store) -> None:
    (tmp_path / "a.json").write_text(json.dumps([ct(0)]))
    report = ingest(store, [str(tmp_path / "a.json")], forced_format="gcp")
    # Read as GCP, a CloudTrail record lacks a method name: reported, not stored as garbage.
    assert report.problems and store.count_events() == 0


def test_parquet_export(tmp_path: Path, store: Store) -> None:
    (tmp_path / "a.json").write_text(json.dumps([ct(0), ct(1)]))
    ingest(store, [str(tmp_path / "a.json")])
    n = store.export_parquet(str(tmp_path / "pq"))
    assert n == 2
    parts = list((tmp_path / "pq").glob("date=*/*.parquet"))
    assert parts and parts[0].parent.name == "date=2024-05-06"
    assert store.run(f"SELECT count(*) FROM read_parquet('{tmp_path}/pq/*/*.parquet')")[0][0] == 2


def test_compression_judged_by_content_on_the_fast_path(tmp_path: Path, store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import apisentry.ingest as ingest_module

    with gzip.open(tmp_path / "renamed.json", "wt") as f:  # gzip without a .gz name
        json.dump({"Records": [ct(0), ct(1)]}, f)
    (tmp_path / "plain.json.gz").write_text(json.dumps({"Records": [ct(2)]}))  # .gz name, plain text
    careful: list[str] = []
    monkeypatch.setattr(ingest_module, "_read_careful", lambda _s, sn, _p: careful.append(sn.path))
    report = ingest(store, [str(tmp_path)])
    assert report.problems == [] and careful == []
    assert store.count_events() == 3


def test_gzip_trailer_that_understates_the_size(tmp_path: Path, store: Store) -> None:
    """Buffers are sized from the gzip trailer, which of a multi-member file states only the last
    member's size: the fast reader's buffer is too small and the careful reader takes the file."""
    from apisentry.sources.fast import object_limit
    from apisentry.sources.sniff import sniff

    records = [ct(i) for i in range(3000)]
    body = json.dumps({"Records": records}).encode()
    head, tail = body[:-2], body[-2:] + b" " * (3 << 19)  # tail: tiny compressed, large stated size
    p = tmp_path / "multi.json.gz"
    p.write_bytes(gzip.compress(head) + gzip.compress(tail))
    s = sniff(str(p))
    assert s.content_size == len(tail) and object_limit([s]) < len(head) + len(tail)
    report = ingest(store, [str(p)])
    assert report.problems == []
    assert store.count_events() == 3000


def test_object_limit_follows_the_largest_file(tmp_path: Path) -> None:
    from apisentry.sources.fast import MAX_DOCUMENT_BYTES, object_limit
    from apisentry.sources.sniff import gzip_stated_size, sniff

    small = tmp_path / "small.json.gz"
    small.write_bytes(gzip.compress(json.dumps({"Records": [ct(0)]}).encode()))
    big = tmp_path / "big.json.gz"
    big.write_bytes(gzip.compress(json.dumps({"Records": [ct(i) for i in range(5000)]}).encode()))
    s, b = sniff(str(small)), sniff(str(big))
    assert object_limit([s]) == 1 << 20  # floor
    assert b.content_size < object_limit([s, b]) <= 2 * b.content_size + (1 << 20)
    wrapped = tmp_path / "wrapped.json.gz"  # a stated size below the compressed size is not trusted
    wrapped.write_bytes(gzip.compress(json.dumps({"Records": [ct(i) for i in range(50)]}).encode())[:-4] + b"\0\0\0\0")
    assert gzip_stated_size(str(wrapped)) == -1
    assert object_limit([s, dataclasses.replace(b, content_size=-1)]) == MAX_DOCUMENT_BYTES


@pytest.mark.parametrize(("ram_gib", "limit"), [(2, "1024MiB"), (6, "1536MiB"), (24, "2048MiB"), (0, "1024MiB")])
def test_memory_limit_follows_the_machine_within_bounds(monkeypatch: pytest.MonkeyPatch, ram_gib: int,
                                                        limit: str) -> None:
    import os

    from apisentry.store.duckdb_store import default_memory_limit
    pages = ram_gib * (1 << 30) // 4096
    monkeypatch.setattr(os, "sysconf", lambda name: 4096 if name == "SC_PAGE_SIZE" else pages)
    assert default_memory_limit() == limit


def test_an_integer_past_64_bits_keeps_its_record(tmp_path: Path, store: Store) -> None:
    # A file with a bad record is read record by record, and written back with orjson, which
    # writes no integer past 64 bits: the record holding one ended the whole ingest.
    big = ct(7)
    big["requestParameters"] = {"maxKeys": 2**70, "prefix": "logs/"}
    (tmp_path / "a.json").write_text(json.dumps({"Records": [ct(6), big, "junk"]}))
    (tmp_path / "b.jsonl").write_text(json.dumps(big | {"eventID": "00000000-0000-4000-8000-000000000008"}) + "\n{\n")
    report = ingest(store, [str(tmp_path)])
    assert sorted((Path(p.path).name, p.where) for p in report.problems) == [("a.json", "record 2"), ("b.jsonl", "line 2")]
    assert {"00000000-0000-4000-8000-000000000006", "00000000-0000-4000-8000-000000000007",
            "00000000-0000-4000-8000-000000000008"} <= uids(store)
    (request,) = store.run("SELECT request FROM events WHERE uid LIKE '%000000000007'")[0]
    assert str(2**70) in str(request)


def test_records_written_one_after_another_on_one_long_line_are_each_read(tmp_path: Path, store: Store) -> None:
    # Firehose delivers records without newlines; past 32 MB such a "line" is not one record to
    # skip but thousands to read (with a broken one at the end, record by record).
    records = [ct(i) | {"requestParameters": {"pad": "x" * 2000}} for i in range(17_000)]
    (tmp_path / "firehose.json").write_text("".join(json.dumps(r) for r in records) + '"junk"')
    assert (tmp_path / "firehose.json").stat().st_size > 32 << 20
    report = ingest(store, [str(tmp_path)])
    assert store.count_events() == 17_000
    assert [p.where for p in report.problems] == ["record 17000"]
