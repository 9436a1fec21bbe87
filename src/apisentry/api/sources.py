"""Which reader a traffic file needs, found from its first bytes, and every file's observations
as one stream: HAR, nginx/Apache combined logs, AWS ALB logs, W3C extended logs (IIS, CloudFront),
JSON access logs. A line that cannot be read is counted with its reason, and the rest go on."""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson

from apisentry.api.har import read_har
from apisentry.api.json_logs import read_json_lines
from apisentry.api.logs_sql import is_line_of, read_log
from apisentry.api.traffic import Observation, ReadReport
from apisentry.sources.sniff import open_bytes

# What `--input-format` may name: a reader each, or `auto` to sniff.
INPUT_FORMATS = ("auto", "har", "combined", "alb", "w3c", "jsonl")


def sniff(path: Path) -> str:
    stream, _ = open_bytes(path)  # rotated and S3-delivered logs (ALB's always) are gzipped
    with stream:
        head = stream.read(SNIFF_BYTES).removeprefix(codecs.BOM_UTF8).lstrip()
    if not head:
        return "empty"
    if path.suffix.lower() == ".har" or (head.startswith(b"{") and b'"log"' in head[:300] and b'"entries"' in head):
        return "har"
    lines = head.split(b"\n")[:SNIFF_LINES]
    texts = [raw.decode("utf-8", "replace") for raw in lines]
    if texts[0].startswith(("#Software:", "#Version:", "#Date:")) or any(t.startswith("#Fields:") for t in texts):
        return "w3c"  # W3C extended: IIS, CloudFront
    # By what most of the first lines are, read by the patterns that read them, so sniffing and
    # reading agree: a scanner's junk first in a log, or a 40 KB request line, or a JSON record
    # cut off, does not hide the file behind it.
    votes = {"jsonl": sum(_is_json_record(raw) for raw in lines),
             "alb": sum(is_line_of("alb", t) for t in texts),
             "combined": sum(is_line_of("combined", t) for t in texts)}
    kind = max(votes, key=lambda k: votes[k])
    if votes[kind]:
        return kind
    if head.startswith((b"{", b"[")):  # one JSON document: an array of records, pretty-printed
        return "jsonl"
    return "unknown"


def _is_json_record(raw: bytes) -> bool:
    raw = raw.strip()
    if not raw.startswith(b"{"):
        return False
    try:
        return isinstance(orjson.loads(raw), dict)
    except orjson.JSONDecodeError:
        return False


SNIFF_BYTES = 64 << 10
SNIFF_LINES = 20


def stream(paths: list[str], fmt: str, report: ReadReport) -> Iterator[Observation]:
    """Observations from files and folders, one at a time; what cannot be read goes to `report`."""
    files: list[Path] = []
    for p in paths:
        pp = Path(p)
        if pp.is_dir():
            files.extend(sorted(x for x in pp.rglob("*") if x.is_file()))
        elif pp.is_file():
            files.append(pp)
        else:
            report.skip("no such file", p)
    for f in files:
        try:
            kind = fmt if fmt != "auto" else sniff(f)
            if kind == "empty":
                report.skip("empty file", str(f))
                continue
            if kind == "unknown":
                report.skip("unknown format (name it with --input-format)", str(f))
                continue
            if kind in ("combined", "alb", "w3c"):
                yield from read_log(str(f), kind, report)
            elif kind == "har":
                yield from read_har(f, report)
            else:
                yield from read_json_lines(f, report)
        except (EOFError, OSError, zlib.error) as e:
            # A download cut short or a corrupt archive: what was read before the break is kept.
            report.skip("file cut off or unreadable: what came before the break is kept", f"{f} ({type(e).__name__}: {e})")


def read(paths: list[str], fmt: str = "auto") -> tuple[list[Observation], ReadReport]:
    """Every observation at once; the inventory streams them instead (`stream`)."""
    report = ReadReport()
    out = list(stream(paths, fmt, report))
    return out, report
