"""The fast path: DuckDB reads whole batches of same-shaped files in parallel, as SQL."""

from __future__ import annotations

import duckdb

from apisentry.sources import azure, cloudtrail, gcp
from apisentry.sources.salvage import MAX_RECORD_BYTES
from apisentry.sources.sniff import Sniffed

# An S3 delivery file is one JSON document holding all its records; CloudTrail files reach tens
# of MB uncompressed, so the document limit is above the per-record one. DuckDB allocates twice
# this per reader, so it must stay well under the memory limit; larger files take the careful path.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024

# What DuckDB raises for bad input (not for a bug in our SQL, which must surface).
INPUT_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)

NORMALIZERS = {cloudtrail.PROVIDER: cloudtrail.NORMALIZE_SQL, gcp.PROVIDER: gcp.NORMALIZE_SQL,
               azure.PROVIDER: azure.NORMALIZE_SQL}

# Envelopes: how the record sits inside what the reader yields as `j`.
_UNWRAP = {
    "plain": "j",
    "eventbridge": "j->'detail'",
    "lookup": "try_cast(j->>'CloudTrailEvent' AS JSON)",
}


def group_key(s: Sniffed) -> tuple[str, str, str | None, str, bool]:
    return (s.provider, s.layout, s.wrapper_key, s.envelope, s.compressed)


def can_take(s: Sniffed) -> bool:
    """DuckDB's JSON reader wants plain UTF-8; anything else goes to the careful reader."""
    return s.encoding == "utf-8"


def object_limit(batch: list[Sniffed]) -> int:
    """maximum_object_size for a batch: the largest document it can hold, but no larger.
    DuckDB allocates buffers of this size for every file it reads; at a flat 64 MiB the page
    faults of those buffers cost more than a second per million events (docs/benchmarks.md).
    A file whose content turns out larger than its gzip trailer said fails in DuckDB and is read
    by the careful reader instead."""
    cap = MAX_DOCUMENT_BYTES if batch[0].layout == "wrapper" else MAX_RECORD_BYTES
    if any(s.content_size < 0 for s in batch):
        return cap
    need = max(s.content_size for s in batch) + 1
    return min(cap, max(1 << 20, 1 << (need - 1).bit_length()))


def reader_sql(sample: Sniffed, limit: int) -> str:
    """A SELECT yielding (raw JSON, source_file) for the list of files bound to its one `?`."""
    # Compression as sniffed from the bytes: DuckDB alone would judge it by the file name.
    compression = "gzip" if sample.compressed else "none"
    opts = f"filename = true, maximum_object_size = {limit}, compression = '{compression}'"
    if sample.layout == "wrapper":
        key = sample.wrapper_key or "Records"
        # json_extract over the whole document is several times faster than read_json's
        # JSON[] column, which re-serialises every record (measured: docs/decisions.md).
        inner = (f"SELECT unnest(json_extract(json, '$.\"{key}\"[*]')) AS j, filename "
                 f"FROM read_json_objects(?, format = 'auto', {opts})")
    elif sample.layout == "array":
        inner = f"SELECT json AS j, filename FROM read_json_objects(?, format = 'array', {opts})"
    else:
        inner = f"SELECT json AS j, filename FROM read_json_objects(?, format = 'auto', {opts})"
    unwrap = _UNWRAP[sample.envelope]
    return f"SELECT {unwrap} AS raw, filename AS source_file FROM ({inner})"


DOCUMENT_KEY = "Records"


def whole_documents(sample: Sniffed) -> bool:
    """S3 delivery files of plain CloudTrail records: normalised a document at a time, with raw
    kept in the file rather than in the store (cloudtrail.document_sql)."""
    return (sample.provider == cloudtrail.PROVIDER and sample.layout == "wrapper"
            and sample.envelope == "plain" and sample.wrapper_key == DOCUMENT_KEY)


def documents_sql(limit: int, compressed: bool) -> str:
    """(json, filename) of every file bound to the one `?`, one whole document per file."""
    compression = "gzip" if compressed else "none"
    return (f"SELECT json, filename FROM read_json_objects(?, format = 'auto', filename = true, "
            f"maximum_object_size = {limit}, compression = '{compression}')")


def normalize_sql(sample: Sniffed, limit: int) -> str:
    if whole_documents(sample):
        return cloudtrail.document_sql(documents_sql(limit, sample.compressed), DOCUMENT_KEY)
    src = reader_sql(sample, limit)
    return f"WITH src AS ({src}) {NORMALIZERS[sample.provider]}"
