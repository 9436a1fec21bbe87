"""Over-long input: JSON strings are cut short in the stream, so streaming parsers stay linear and
the JSON stays valid whatever the reads split; over-long lines are skipped without being held."""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import orjson
import pytest

from apisentry.api.sources import read
from apisentry.ingest import ingest
from apisentry.sources.long_lines import lines_within
from apisentry.sources.long_strings import MAX_STRING, ShortStrings
from apisentry.store import Store

# Escapes, escaped backslashes and quotes, UTF-8 of two and four bytes, control characters
# (`\u0001`) and surrogate pairs (`\ud83d\ude00` with ensure_ascii): what a cut must not split.
_PIECES = ["a", "é", "\\", '"', "\n", "😀", " ", "\\\\", '\\"', "\x01"]


class _Reads:
    """A stream that gives at most `n` bytes a read, so every split of the text is tried."""

    def __init__(self, data: bytes, n: int) -> None:
        self.data, self.n = io.BytesIO(data), n

    def read(self, size: int = -1) -> bytes:
        return self.data.read(min(size, self.n) if size > 0 else self.n)


def _through(data: bytes, limit: int, n: int) -> tuple[bytes, int]:
    short = ShortStrings(_Reads(data, n), limit)  # type: ignore[arg-type]
    return b"".join(iter(lambda: short.read(4096), b"")), short.cut


@pytest.mark.parametrize("seed", range(4))
def test_cut_strings_leave_valid_json_of_the_same_shape(seed: int) -> None:
    rnd = random.Random(seed)
    cuts = 0
    for _ in range(150):
        doc = [{"k": "".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 300))), "n": rnd.randint(0, 9),
                "s": ["".join(rnd.choice(_PIECES) for _ in range(rnd.randint(0, 40)))]} for _ in range(rnd.randint(1, 4))]
        data = json.dumps(doc, ensure_ascii=rnd.random() < 0.5).encode()
        limit = rnd.randint(8, 120)  # longer than the text between strings (`", "n": 7, "s": [`)
        for n in (1, 3, 7, 64, 4096):
            out, cut = _through(data, limit, n)
            got = orjson.loads(out)
            assert [sorted(x) for x in got] == [sorted(x) for x in doc] and [x["n"] for x in got] == [x["n"] for x in doc]
            assert cut or got == doc
            assert max(len(run) for run in out.split(b'"')) <= limit + n + ShortStrings.HOLD + 12
            cuts += cut
    assert cuts > 1000  # the cuts were exercised, not just the pass-through


def test_text_without_long_strings_passes_unchanged() -> None:
    data = json.dumps({"a": "x" * 1000, "b": ["é😀\\\"" * 50]}).encode()
    assert _through(data, 2000, 7) == (data, 0)


def _har_entry(i: int, text: str) -> dict[str, object]:
    return {"request": {"method": "POST", "url": f"https://a.example/api/items/{i}", "headers": [],
                        "postData": {"mimeType": "application/json", "text": text}}, "response": {"status": 200}}


def test_a_har_body_of_many_megabytes_costs_its_size_and_the_entries_after_it_are_read(tmp_path: Path) -> None:
    # yajl lexes a string that spans its buffers from its start again with each buffer: a 128 MB
    # body took 34 s, a 1 GB one (a 1 MB gzip file) would take half an hour; now they are cut.
    har = {"log": {"entries": [_har_entry(1, "{}"), _har_entry(2, "A" * (MAX_STRING + (1 << 20))), _har_entry(3, "{}")]}}
    (tmp_path / "big.har.gz").write_bytes(gzip.compress(json.dumps(har).encode()))
    obs, report = read([str(tmp_path)])
    assert sorted(o.path for o in obs) == ["/api/items/1", "/api/items/2", "/api/items/3"]
    assert any("cut short" in reason for reason in report.skipped)


def test_an_audit_record_with_a_string_of_many_megabytes_is_kept(tmp_path: Path) -> None:
    from apisentry.detect.testing import complete

    def ct(i: int) -> dict[str, object]:
        return complete("aws", {"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets"},
                        f"00000000-0000-4000-8000-{i:012d}", i)

    # A broken record sends the file to the reader that goes record by record, past DuckDB's.
    big = ct(1) | {"userAgent": "A" * (MAX_STRING + (1 << 20))}
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [big, ct(2), "junk"]}).encode()))
    with Store(str(tmp_path / "s.duckdb")) as store:
        report = ingest(store, [str(tmp_path / "a.json.gz")])
        assert store.count_events() == 2
    assert any("cut short" in p.why for p in report.problems)


class _Watched(io.BytesIO):
    """Records the most bytes handed out by one read."""

    most = 0

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.most = max(self.most, len(line))
        return line


def test_a_line_longer_than_the_limit_is_measured_without_being_held() -> None:
    stream = _Watched(b"a\n" + b"x" * 5_000_000 + b"\n" + b"bc\n" + b"y" * 101 + b"\nlast")
    got = list(lines_within(stream, 100))
    assert got == [(b"a\n", 2), (None, 5_000_001), (b"bc\n", 3), (None, 102), (b"last", 4)]
    assert stream.most <= 1 << 20


def test_a_json_line_over_the_limit_is_skipped_and_its_neighbours_read(tmp_path: Path) -> None:
    def line(i: int) -> str:
        return json.dumps({"httpMethod": "GET", "path": f"/api/a/{i}", "status": 200})

    with gzip.open(tmp_path / "gw.jsonl.gz", "wb") as f:
        f.write((line(1) + "\n").encode())
        f.write(b'{"httpMethod": "GET", "path": "/api/a/2", "ua": "' + b"A" * (40 << 20) + b'"}\n')
        f.write((line(3) + "\n").encode())
    obs, report = read([str(tmp_path)])
    assert sorted(o.path for o in obs) == ["/api/a/1", "/api/a/3"]
    assert report.examples["JSON line over 32 MB"].endswith("gw.jsonl.gz:2")
