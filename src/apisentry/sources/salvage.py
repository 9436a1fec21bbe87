"""The careful reader: record by record in Python, for files the fast columnar path refused.

It names the record or line where a file goes wrong and keeps every good record before and
after it, at the cost of speed; only broken files take this path.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

import ijson
import orjson

from apisentry.sources.long_lines import first_line, lines_within
from apisentry.sources.long_strings import MAX_STRING, ShortStrings
from apisentry.sources.problems import InputProblem
from apisentry.sources.sniff import Sniffed, open_bytes

# A record larger than this is skipped with a message instead of stored (the fast path uses
# the same limit as DuckDB's maximum_object_size).
MAX_RECORD_BYTES = 32 * 1024 * 1024


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return float(o)
    raise TypeError


def _big_ints_as_text(o: Any) -> Any:
    if isinstance(o, dict):
        return {k: _big_ints_as_text(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_big_ints_as_text(v) for v in o]
    if isinstance(o, int) and not isinstance(o, bool) and not -(1 << 63) <= o < (1 << 64):
        return str(o)
    return o


def _text_stream(s: Sniffed) -> IO[bytes]:
    stream, _ = open_bytes(s.path)
    if s.encoding == "utf-16":
        with stream:
            return io.BytesIO(stream.read().decode("utf-16").encode("utf-8"))
    if s.encoding == "utf-8-sig":
        stream.read(3)
    return stream


def records(s: Sniffed, problems: list[InputProblem]) -> Iterator[bytes]:
    """Yield each good record of the file as JSON bytes; append a problem for each bad one."""
    try:
        stream = _text_stream(s)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:
        problems.append(InputProblem(s.path, "", f"cannot read: {e}"))
        return
    with stream:
        if s.layout == "ndjson" and _first_line_is_object(stream):
            yield from _lines(s, stream, problems)
        else:
            yield from _items(s, stream, problems)


def _first_line_is_object(stream: IO[bytes]) -> bool:
    """True JSON Lines, or one pretty-printed object (or several) spanning lines?"""
    line = first_line(stream, MAX_RECORD_BYTES)
    if line is None:
        # Too long to be one record: records written one after another without newlines
        # (Firehose deliveries), which the streaming reader takes apart.
        return False
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def _check(s: Sniffed, where: str, rec: Any, problems: list[InputProblem]) -> bytes | None:
    if not isinstance(rec, dict):
        problems.append(InputProblem(s.path, where, f"record is a JSON {type(rec).__name__}, not an object"))
        return None
    try:
        data = orjson.dumps(rec, default=_default)
    except TypeError:  # an integer past 64 bits, which orjson does not write: kept as its digits
        data = orjson.dumps(_big_ints_as_text(rec), default=_default)
    if len(data) > MAX_RECORD_BYTES:
        problems.append(InputProblem(s.path, where, f"record of {len(data):,} bytes is over the "
                                     f"{MAX_RECORD_BYTES:,}-byte limit"))
        return None
    return data


def _items(s: Sniffed, stream: IO[bytes], problems: list[InputProblem]) -> Iterator[bytes]:
    prefix = {"wrapper": f"{s.wrapper_key}.item", "array": "item"}.get(s.layout, "")
    index = 0
    short = ShortStrings(stream)
    try:
        for rec in ijson.items(short, prefix, use_float=False, multiple_values=True):
            data = _check(s, f"record {index}", rec, problems)
            if data is not None:
                yield data
            index += 1
    except ijson.common.IncompleteJSONError as e:
        text = str(e)
        if "UTF8" in text:
            why = "not UTF-8 text"
        elif "lexical error" in text or "parse error" in text:
            why = f"invalid JSON: {text.splitlines()[0][:120]}"
        else:
            why = "file ends inside this record (truncated?)"
        problems.append(InputProblem(s.path, f"record {index}", why))
    except ijson.common.JSONError as e:
        problems.append(InputProblem(s.path, f"record {index}", f"invalid JSON: {str(e)[:120]}"))
    except (OSError, EOFError, zlib.error) as e:
        problems.append(InputProblem(s.path, f"record {index}", f"compressed data ends or is corrupt "
                                     f"here ({e}); records before it were kept"))
    except UnicodeDecodeError as e:
        problems.append(InputProblem(s.path, f"record {index}", f"not UTF-8 text: {e.reason}"))
    if short.cut:
        problems.append(InputProblem(s.path, "", f"{short.cut} string(s) longer than {MAX_STRING:,} bytes "
                                     "cut short; the records holding them were read"))


def _lines(s: Sniffed, stream: IO[bytes], problems: list[InputProblem]) -> Iterator[bytes]:
    lineno = 0
    try:
        for line, size in lines_within(stream, MAX_RECORD_BYTES):
            lineno += 1
            if line is None:
                problems.append(InputProblem(s.path, f"line {lineno}", f"line of {size:,} bytes is "
                                             f"over the {MAX_RECORD_BYTES:,}-byte limit"))
                continue
            line = line.strip()
            if not line:
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                problems.append(InputProblem(s.path, f"line {lineno}", f"invalid JSON: {e}"))
                continue
            data = _check(s, f"line {lineno}", rec, problems)
            if data is not None:
                yield data
    except (OSError, EOFError, zlib.error) as e:
        problems.append(InputProblem(s.path, f"line {lineno + 1}", f"compressed data ends or is corrupt "
                                     f"here ({e}); lines before it were kept"))
