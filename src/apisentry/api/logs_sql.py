"""Access logs without bodies (nginx/Apache combined, AWS ALB, W3C extended: IIS and CloudFront), read
set-based in DuckDB: one regular expression per line in C++ (for combined and ALB logs, most lines
only need a match and a split at spaces), then one GROUP BY down to (method, shape, status, user).
Python only sees the groups, so millions of lines cost seconds. Lines the expression does not
match are counted, with the first one shown."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from apisentry.api.templating import STAND_INS
from apisentry.api.traffic import Observation, ReadReport, literal_path
from apisentry.guard.redact import redact_line
from apisentry.sources.long_lines import lines_within
from apisentry.sources.sniff import open_bytes
from apisentry.store.duckdb_store import sql_literal


@dataclass(frozen=True)
class _Layout:
    """How one kind of log line is read: a regular expression whose groups are `names`, and SQL over
    those groups (`m.<name>`) for the time, the request target and the user."""

    rx: str
    names: list[str]
    ts: str
    target: str = "m.target"
    usr: str = "nullif(m.usr, '-')"
    header_lines: bool = False  # `#Version:`, `#Fields:` lines to pass over
    user_scheme: str = "basic"  # how a logged user signed in: nginx's and Apache's user is basic auth's
    # Lines that fit `fast` (a match without groups, which RE2 runs as a DFA) are read by splitting
    # them at spaces: `split_fields` builds the same struct as `rx` from `x`, the line's space-separated
    # parts. Pulling groups out with `rx` took half the time of reading a log.
    fast: str | None = None
    split_fields: str | None = None


_LAYOUTS = {
    # Apache's vhost_combined puts `host:port` first; an IPv6 client alone never leaves three fields.
    # A proxy logs the target a client sent it, which may be a full URL (`GET https://host/path`).
    "combined": _Layout(r'^(?:\S+:\d+ )?(\S+) \S+ (\S+) \[([^\]]+)\] "([A-Z]{3,10}) (\S+)(?: [^"]*)?" (\d{3}) ',
                        ["ip", "usr", "ts", "method", "target", "status"], "try_strptime(m.ts, '%d/%b/%Y:%H:%M:%S %z')",
                        target="CASE WHEN starts_with(m.target, '/') THEN m.target "
                               "ELSE regexp_replace(m.target, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?]*', '') END",
                        # Single spaces, no vhost, a protocol and no quote in the target: most lines.
                        fast=r'^\S+ \S+ \S+ \[[^\s\]]+ [+-][0-9]{4}\] "[A-Z]{3,10} [^\s"]+ [^\s"]+" [0-9]{3} ',
                        split_fields="{'ip': x[1], 'usr': x[3], 'ts': x[4][2:] || ' ' || x[5][:-2], 'method': x[6][2:], "
                               "'target': x[7], 'status': x[9]}"),
    # The target is a full URL: the path and query only.
    "alb": _Layout(r'^(?:https?|h2|ws|wss) (\S+) \S+ ([\d.:a-f]+):\d+ \S+ \S+ \S+ \S+ (\d{3}|-) \S+ \d+ \d+ "([A-Z-]+) (\S+) [^"]*"',
                   ["ts", "ip", "status", "method", "target"], "try_cast(m.ts AS TIMESTAMPTZ)",
                   target="regexp_replace(m.target, '^[a-z]+://[^/]+', '')", usr="NULL",
                   # Single spaces up to the request, which has a protocol and no quote in its target.
                   fast=r'^(?:https?|h2|ws|wss) \S+ \S+ [0-9.:a-f]+:[0-9]+ \S+ \S+ \S+ \S+ (?:[0-9]{3}|-) \S+ [0-9]+ [0-9]+ '
                        r'"[A-Z-]+ [^\s"]+ [^\s"]+"',
                   split_fields="{'ts': x[2], 'ip': regexp_extract(x[4], '^(.*):[0-9]+$', 1), 'status': x[9], "
                          "'method': x[13][2:], 'target': x[14]}"),
}

def is_line_of(kind: str, line: str) -> bool:
    """Whether a line reads as this kind of log (`combined`, `alb`), by the pattern that parses it."""
    return _LINE_PATTERNS[kind].match(line) is not None


_LINE_PATTERNS = {kind: re.compile(layout.rx) for kind, layout in _LAYOUTS.items()}

# W3C extended logs (IIS, CloudFront) name their fields in a `#Fields:` header; these are read.
_W3C_FIELDS = {"date": "date", "time": "time", "cs-method": "method", "cs-uri-stem": "stem", "cs-uri-query": "query",
               "sc-status": "status", "c-ip": "ip", "cs-username": "usr"}


def w3c_layout(path: str) -> _Layout | None:
    """The layout a W3C extended log's `#Fields:` header describes (space-separated for IIS, tabs for
    CloudFront), or None when it has no such header or lacks the method, path or status."""
    fields: list[str] | None = None
    sep = " "
    data: list[str] = []
    stream, _ = open_bytes(path)
    with stream:
        for n, (raw, _) in enumerate(lines_within(stream, 64 << 10)):
            if raw is None:
                continue  # no header, and no line of a log to judge the separator by
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line.startswith("#Fields:"):
                fields = line[len("#Fields:"):].split()
            elif fields is not None and line and not line.startswith("#"):
                data.append(line)
                if len(data) == 20:
                    break
            if n > 100:
                break
    if fields is not None:
        # By what most lines say: one user agent with a tab in it must not make a log of IIS's
        # spaces read as CloudFront's tabs, and lose every line.
        tabs = sum(line.count("\t") == len(fields) - 1 for line in data)
        spaces = sum(line.count(" ") == len(fields) - 1 for line in data)
        sep = "\t" if tabs > spaces else " "
    if fields is None or not {"cs-method", "cs-uri-stem", "sc-status"} <= set(fields):
        return None
    cell = "[^\t]*" if sep == "\t" else "\\S*"
    parts = [f"({cell})" if f in _W3C_FIELDS else cell for f in fields]
    names = [_W3C_FIELDS[f] for f in fields if f in _W3C_FIELDS]
    ts = "try_cast(m.date || ' ' || m.time AS TIMESTAMP)" if {"date", "time"} <= set(names) else "NULL"
    query = "CASE WHEN m.query IN ('', '-') THEN '' ELSE '?' || m.query END" if "query" in names else "''"
    return _Layout("^" + ("\\t" if sep == "\t" else " ").join(parts) + "$", names, ts, target=f"m.stem || {query}",
                   usr="nullif(m.usr, '-')" if "usr" in names else "NULL", header_lines=True,
                   user_scheme="other")  # IIS's user may have signed in with Windows authentication


# Paths grouped by shape, so a fresh id in every line makes no new group: the bare identifiers that
# `templating.canonical_path` replaces, found segment by segment (RE2 has no lookaround). Never more
# than Python's rules: anything grouped here must get one template there. Letters with digits count
# only with a run of four or more digits, which no route name has (`oauth2`, `searchAds360Fields`),
# and not as a version (`v2024`) or a numbered key (`PROJ-1234`, `page-2024`), which the templater
# judges by themselves.
_SHAPE_RULES: list[tuple[str, ...]] = [
    (r"[0-9]{3,7}|[0-9]{9,}", STAND_INS["int"]),
    # Eight digits, unless a compact date: `/20200301/gateways` may be an API version.
    (r"[0-9]{8}", STAND_INS["int"], r"(19|20)[0-9][0-9](0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"),
    (r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}", STAND_INS["uuid"]),
    (r"([0-9a-fA-F]{24}|[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-f]{12,})", STAND_INS["hash"]),
]
# Every stand-in needs a digit: segments without one (most of them) skip the rules.
_SHAPE = ("array_to_string(list_transform(string_split(p, '/'), lambda s: CASE WHEN NOT regexp_matches(s, '[0-9]') "
          "THEN s "
          + " ".join(f"WHEN regexp_full_match(s, '{rule[0]}')"
                     + (f" AND NOT regexp_full_match(s, '{rule[2]}')" if len(rule) > 2 else "") + f" THEN '{rule[1]}'"
                     for rule in _SHAPE_RULES)
          + " WHEN regexp_full_match(s, '[A-Za-z0-9_-]*[A-Za-z][A-Za-z0-9_-]*') AND regexp_matches(s, '[0-9]{4}')"
            " AND NOT regexp_matches(s, '^[vV][0-9]') AND NOT regexp_full_match(s, '[A-Za-z]+-[0-9]+')"
            f" THEN '{STAND_INS['mixed']}' ELSE s END), '/')")
SAMPLE_BUCKETS = 8  # per (shape, status, user) group; 32 cost 130 MB more at 4M lines for the same endpoints
_SAMPLES = ", ".join(f"min(p) FILTER (WHERE hash(p) % {SAMPLE_BUCKETS} = {k})" for k in range(SAMPLE_BUCKETS))


# Up to ten distinct callers per group in bounded state: the smallest address of each of ten hash
# buckets. `list(DISTINCT ip)` kept every (group, address) pair, so memory grew with the number of
# requests (416 MB at 1M lines, 756 MB at 4M, for the same 51k groups).
_CLIENT_BUCKETS = 10
_CLIENT_SAMPLE = ", ".join(f"min(m.ip) FILTER (WHERE hash(m.ip) % {_CLIENT_BUCKETS} = {k})"
                           for k in range(_CLIENT_BUCKETS))


def read_log(path: str, kind: str, report: ReadReport) -> Iterator[Observation]:
    layout = w3c_layout(path) if kind == "w3c" else _LAYOUTS[kind]
    if layout is None:
        report.skip("W3C log without a #Fields: header naming cs-method, cs-uri-stem and sc-status", path)
        return
    stream, compressed = open_bytes(path)  # by magic bytes: DuckDB goes by the name, and logs get renamed
    stream.close()
    try:
        # The whole file is scanned and grouped before the first group comes back, so a failure
        # here comes before anything was yielded.
        yield from _read(path, compressed, kind, layout, report)
    except duckdb.IOException:
        if not compressed:
            raise
        # DuckDB refuses a gzip file cut short as a whole; Python's reader gets up to the break.
        with tempfile.TemporaryDirectory(prefix="apisentry-log-") as work:
            plain = os.path.join(work, "salvaged.log")
            if not _decompress_until_break(path, plain):
                report.skip("gzip file cut off: the lines before the break are kept", path)
            yield from _read(plain, False, kind, layout, report, shown_as=path)


def _decompress_until_break(path: str, out: str) -> bool:
    """Whether the whole file decompressed; the lines before a break are written either way."""
    stream, _ = open_bytes(path)
    with stream, open(out, "wb") as w:
        try:
            shutil.copyfileobj(stream, w)
        except (EOFError, OSError, zlib.error):
            return False
    return True


def _read(path: str, compressed: bool, kind: str, layout: _Layout, report: ReadReport,
          shown_as: str | None = None) -> Iterator[Observation]:
    parts = 1
    while True:
        try:
            yield from _read_parts(path, compressed, kind, layout, report, shown_as, parts)
            return
        except _TooManyGroups:
            # Every path a new name (`/users/<username>`) makes as many groups as lines; in parts,
            # each pass over the file holds only the groups whose shape hashes to it.
            if parts >= MAX_PARTS:
                report.skip(f"too many distinct paths to group in {MEMORY_LIMIT}, even in {parts} passes", shown_as or path)
                return
            parts *= 4


# DuckDB's memory for the groups of one pass; beyond it the file is read again in parts.
MEMORY_LIMIT = "512MB"
MAX_PARTS = 256


class _TooManyGroups(Exception):
    pass


def _read_parts(path: str, compressed: bool, kind: str, layout: _Layout, report: ReadReport,
                shown_as: str | None, parts: int) -> Iterator[Observation]:
    rx, names, ts, usr, target = layout.rx, layout.names, layout.ts, layout.usr, layout.target
    fields = ", ".join(f"'{n}'" for n in names)
    # Built outside the query's f-string, so the patterns' braces and quotes need only SQL quoting.
    extract = f"regexp_extract(line, {sql_literal(rx)}, [{fields}])"
    split = ""
    if layout.fast is not None:
        extract = f"CASE WHEN regexp_matches(line, {sql_literal(layout.fast)}) THEN {layout.split_fields} ELSE {extract} END"
        split = ", string_split(line, ' ') AS x"
    con = duckdb.connect()
    spill = tempfile.mkdtemp(prefix="apisentry-duckdb-")  # not DuckDB's default, `.tmp` where the user stands
    # One streaming pass: lines group as they are read, so memory follows the number of distinct
    # (method, shape, status, user, set of query names) groups, not the number of lines or ids; a
    # second, small aggregation folds the name sets. No DISTINCT aggregates: DuckDB's grew with the input
    # even when the distinct values did not. Unmatched lines form the group with an empty method.
    def query(part: int) -> str:
        # With one part there is nothing to leave out; a filter would still cost a hash per line.
        keep = f"WHERE hash(shape) % {parts} = {part}" if parts > 1 else ""
        return f"""
        WITH parsed AS (
          SELECT line, {extract} AS m
          FROM (SELECT line{split}
                FROM read_csv(?, columns = {{'line': 'VARCHAR'}}, delim = chr(31), quote = '', escape = '',
                              header = false, auto_detect = false, strict_mode = false, store_rejects = true,
                              compression = '{"gzip" if compressed else "none"}')
                WHERE regexp_matches(line, '\\S'){" AND NOT starts_with(line, '#')" if layout.header_lines else ""})),
        targets AS (
          SELECT line, m, p, q, {_SHAPE} AS shape
          FROM (SELECT line, m, split_part(t, '?', 1) AS p, split_part(t, '?', 2) AS q FROM (SELECT line, m, {target} AS t FROM parsed))),
        grouped AS (
          SELECT m.method AS method, shape,
                 try_cast(m.status AS INTEGER) AS status, {usr} AS usr,
                 -- Most requests have no query string: no lists to build for them.
                 CASE WHEN q = '' THEN []::VARCHAR[] ELSE list_sort(list_distinct(list_transform(
                     list_filter(string_split(q, '&'), lambda x: x <> ''), lambda x: split_part(x, '=', 1)))) END AS names,
                 count(*) AS calls, min({ts}) AS first, max({ts}) AS last,
                 [{_CLIENT_SAMPLE if "ip" in names else "NULL::VARCHAR"}] AS ips, any_value(CASE WHEN m.method = '' THEN line END) AS example,
                 [{_SAMPLES}] AS samples
          FROM targets
          {keep}
          GROUP BY ALL)
        SELECT method, shape, status, usr, sum(calls), epoch_us(min(first)::TIMESTAMPTZ), epoch_us(max(last)::TIMESTAMPTZ),
               list_slice(list_sort(list_distinct(flatten(list(ips)))), 1, {_CLIENT_BUCKETS}),
               list_sort(list_distinct(flatten(list(names)))), any_value(example),
               list_slice(list_sort(list_distinct(flatten(list(samples)))), 1, {SAMPLE_BUCKETS})
        FROM grouped
        GROUP BY method, shape, status, usr
        ORDER BY hash(shape), 1, 2, 3, 4"""
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute("SET temp_directory = ?", [spill])
        given = False
        for part in range(parts):
            try:
                # Groups come sorted, so they are all made before the first comes back: a pass
                # that runs out of memory does so before it has given anything.
                cur = con.execute(query(part), [path])
                # In batches: with a fresh id in every path, there are as many groups as lines.
                while batch := cur.fetchmany(10_000):
                    given = True
                    yield from _observations(batch, shown_as or path, kind, layout, report, path)
            except duckdb.OutOfMemoryException as e:
                if not given:
                    raise _TooManyGroups from e
                # Parts are alike in size, so this is rare; what came before is kept.
                report.skip(f"too many distinct paths to group in {MEMORY_LIMIT}: part {part + 1} of {parts} "
                            "and those after it left out", shown_as or path)
                return
        # Lines DuckDB could not read at all: bytes that are not UTF-8, or over its 2 MB line limit,
        # which no real request line reaches. Each pass read them; they are counted once.
        for n, first, why in con.execute("SELECT count(DISTINCT line), min(line), error_type FROM reject_errors "
                                         "WHERE scan_id = (SELECT min(scan_id) FROM reject_errors) "
                                         "GROUP BY error_type ORDER BY 2").fetchall():
            reason = f"unreadable log line ({str(why).lower().replace('_', ' ')})"
            report.skipped[reason] += int(n)
            report.examples.setdefault(reason, f"{shown_as or path}:{first}")
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


_ASTERISK = {"OPTIONS": "server-wide requests (OPTIONS *)", "PRI": "HTTP/2 prefaces (PRI *)"}


def _observations(rows: list[tuple[Any, ...]], path: str, kind: str, layout: _Layout,
                  report: ReadReport, read_from: str) -> Iterator[Observation]:
    reason = {"alb": "not an ALB log line", "w3c": "not a line of the W3C log's #Fields"}.get(kind, f"not a {kind} log line")
    for method, p, status, user, calls, first, last, ips, qnames, example, samples in rows:
        report.lines += int(calls)
        if method == "CONNECT":  # a proxy's tunnel to a host: what went through it is not in the log
            report.ignored["proxy tunnels (CONNECT)"] += int(calls)
            continue
        if p == "*":  # asks the server, not a path: a load balancer's `OPTIONS *`, HTTP/2's preface on an HTTP/1 port
            report.ignored[_ASTERISK.get(method, "requests for * (no path)")] += int(calls)
            continue
        if not method:
            report.skipped[reason] += int(calls)
            # The line is shown so the user can find and fix it, but never with its credentials.
            report.examples.setdefault(reason, f"{path}:{_line_number(read_from, str(example))}: "
                                               f"{redact_line(str(example))[:120]}")
            continue
        o = Observation(method, literal_path(p) or "/", [(q, "") for q in qnames or []], status,
                        _utc(first), ips[0] if ips else None, user, layout.user_scheme if user else "unknown")
        o.count = int(calls)
        o.time_last = _utc(last)
        o.clients = list(ips or [])
        o.samples = [literal_path(x) or "/" for x in samples or []] or None
        yield o


# Times come from DuckDB as microseconds since 1970: its datetimes with a time zone took longer to
# hand over than the rest of a group together. A year before 1 (`-2026-11-30` in a W3C log) is no time.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US_RANGE = range((datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1),
                  (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1) + 1)


def _utc(us: int | None) -> datetime | None:
    return _EPOCH + timedelta(microseconds=us) if us is not None and us in _US_RANGE else None


def _line_number(path: str, line: str) -> str:
    """Where an unreadable line is, found by its text: DuckDB's scan does not number lines, and
    comparing bytes is cheap enough to run only for files that have such lines."""
    want = line.encode("utf-8", "surrogateescape")
    stream, _ = open_bytes(path)
    with stream:
        for n, (raw, _) in enumerate(lines_within(stream, len(want) + 2), 1):
            if raw is not None and raw.rstrip(b"\r\n") == want:
                return str(n)
    return "?"
