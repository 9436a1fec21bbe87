"""Find out what a file holds without reading all of it: compression, layout and record kind."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import ijson

from apisentry.sources import azure, cloudtrail, gcp
from apisentry.sources.long_strings import ShortStrings
from apisentry.sources.problems import InputError, InputProblem

# Top-level keys that wrap an array of records.
WRAPPER_KEYS = ("Records", "records", "Events", "value")

_SNIFF_BUFFER = 4096

# What a user may force with --format.
FORMATS = ("auto", "cloudtrail", "gcp", "azure")

PROVIDER_OF_FORMAT = {"cloudtrail": cloudtrail.PROVIDER, "gcp": gcp.PROVIDER, "azure": azure.PROVIDER}


@dataclass(frozen=True, slots=True)
class Sniffed:
    path: str
    provider: str  # aws | gcp | azure
    layout: str  # wrapper | array | ndjson
    wrapper_key: str | None  # for layout == wrapper
    envelope: str  # plain | eventbridge | lookup
    compressed: bool
    encoding: str  # utf-8 | utf-8-sig | utf-16
    size: int  # bytes on disk
    # Bytes after decompression as the gzip trailer states them: a hint only (the trailer holds the
    # size modulo 4 GiB and only of the last member), used to size the fast reader's buffers.
    content_size: int


def open_bytes(path: str | os.PathLike[str]) -> tuple[IO[bytes], bool]:
    """The decompressed byte stream of a file and whether it was gzip, judged by magic bytes
    rather than the name, since exported logs are often renamed."""
    raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        # Opened by name, so closing the stream closes the file too (a GzipFile over a file object
        # leaves it open).
        raw.close()
        return cast(IO[bytes], gzip.open(path, "rb")), True
    return raw, False


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def kind_of_record(keys: set[str]) -> tuple[str, str] | None:
    """(provider, envelope) for a record with these top-level keys, or None if unknown."""
    if "CloudTrailEvent" in keys:
        return cloudtrail.PROVIDER, "lookup"
    if "detail" in keys and ("detail-type" in keys or "source" in keys):
        return cloudtrail.PROVIDER, "eventbridge"
    if len(keys & cloudtrail.RECORD_KEYS) >= 2:
        return cloudtrail.PROVIDER, "plain"
    if keys & gcp.RECORD_KEYS:
        return gcp.PROVIDER, "plain"
    if keys & azure.RECORD_KEYS and keys & {"resourceId", "eventDataId", "category", "caller",
                                             "correlationId", "subscriptionId", "time"}:
        return azure.PROVIDER, "plain"
    return None


def sniff(path: str, forced: str = "auto") -> Sniffed:
    """Read just enough of `path` to know how to read all of it. Raises InputError."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise InputError(InputProblem(path, "", f"cannot read: {e.strerror or e}")) from e
    if size == 0:
        raise InputError(InputProblem(path, "", "empty file"))
    try:
        stream, compressed = open_bytes(path)
    except OSError as e:
        raise InputError(InputProblem(path, "", f"cannot open: {e.strerror or e}")) from e
    with stream:
        try:
            head = stream.read(4)
        except (OSError, EOFError, zlib.error) as e:
            raise InputError(InputProblem(path, "", f"not a readable gzip file: {e}")) from e
        encoding = detect_encoding(head)
        stream.seek(0)
        if encoding == "utf-16":
            text = io.BytesIO(stream.read().decode("utf-16").encode("utf-8"))
            return _sniff_stream(path, text, compressed, encoding, forced, size)
        if encoding == "utf-8-sig":
            stream.read(3)
        return _sniff_stream(path, stream, compressed, encoding, forced, size)


def _sniff_stream(path: str, stream: IO[bytes], compressed: bool, encoding: str, forced: str,
                  size: int) -> Sniffed:
    layout, wrapper_key, first_keys = _first_record_keys(path, cast(IO[bytes], ShortStrings(stream)))
    kind = kind_of_record(first_keys)
    if forced != "auto":
        provider = PROVIDER_OF_FORMAT[forced]
        envelope = kind[1] if kind and kind[0] == provider else "plain"
    elif kind is None:
        if not first_keys:
            raise InputError(InputProblem(path, "", "no records found"))
        shown = ", ".join(sorted(first_keys)[:8])
        raise InputError(InputProblem(path, "record 0", f"unknown format: a record with keys {shown} is "
                                      "not CloudTrail, GCP audit or Azure activity (use --format)"))
    else:
        provider, envelope = kind
    content = gzip_stated_size(path) if compressed else size
    return Sniffed(path, provider, layout, wrapper_key, envelope, compressed, encoding, size, content)


def gzip_stated_size(path: str) -> int:
    """The uncompressed size in the gzip trailer (ISIZE); -1 when it cannot be trusted."""
    with open(path, "rb") as f:
        f.seek(-4, os.SEEK_END)
        stated = int.from_bytes(f.read(4), "little")
    # JSON never shrinks under gzip; a smaller stated size means a wrapped or multi-member file.
    return stated if stated >= os.path.getsize(path) else -1


def _first_record_keys(path: str, stream: IO[bytes]) -> tuple[str, str | None, set[str]]:
    """(layout, wrapper key, top-level keys of the first record), streaming: a huge file is not
    read past its first record."""
    keys: set[str] = set()
    layout, wrapper_key = "ndjson", None
    try:
        # Small reads: the first record is usually in the first few KB, and ijson parses every
        # event of each buffer it reads; its 64 KiB default made sniffing 6x slower.
        events = ijson.parse(stream, multiple_values=True, buf_size=_SNIFF_BUFFER)
        first = next(events, None)
        if first is None:
            raise InputError(InputProblem(path, "", "no JSON content"))
        _, event, _ = first
        if event == "start_array":
            layout, wrapper_key, item = "array", None, "item"
        elif event == "start_map":
            layout, wrapper_key, item = "ndjson", None, ""
            for prefix, event, value in events:
                if prefix == "" and event == "map_key":
                    keys.add(value)
                elif event == "start_array" and prefix in WRAPPER_KEYS and prefix in keys:
                    layout, wrapper_key, item = "wrapper", prefix, f"{prefix}.item"
                    keys = set()
                    break
                elif prefix == "" and event == "end_map":
                    return layout, None, keys  # the first object is itself a record
        else:
            raise InputError(InputProblem(path, "", "JSON of the wrong shape: expected an object or "
                                          "an array of records, found a bare value"))
        for prefix, event, value in events:
            if prefix == item:
                if event == "map_key":
                    keys.add(value)
                elif event == "end_map":
                    break
                elif event != "start_map":
                    raise InputError(InputProblem(path, "record 0", "JSON of the wrong shape: "
                                                  "records must be objects"))
            elif event == "end_array" and f"{prefix}.item" in (item, ".item"):
                break  # an empty array
        return layout, wrapper_key, keys
    except InputError:
        raise
    except ijson.common.IncompleteJSONError as e:
        if "UTF8" in str(e) or "UTF-8" in str(e):
            raise InputError(InputProblem(path, "record 0", "not UTF-8 text (convert the file to UTF-8)")) from e
        if keys:
            return layout, wrapper_key, keys
        raise InputError(InputProblem(path, "", f"not JSON: {_short(e)}")) from e
    except ijson.common.JSONError as e:
        raise InputError(InputProblem(path, "", f"not JSON: {_short(e)}")) from e
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(InputProblem(path, "", f"truncated or corrupt compressed data: {e}")) from e
    except UnicodeDecodeError as e:
        raise InputError(InputProblem(path, f"byte {e.start}", "not UTF-8 text")) from e


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]
