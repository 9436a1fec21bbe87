"""Access logs without bodies, read set-based in DuckDB: one regular expression per line in C++,
then one GROUP BY down to (method, path, status, user). Python only sees the groups, so millions
of lines cost seconds. Lines the expression does not match are counted, with the first one shown."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from apisentry.api.traffic import Observation, ReadReport
from apisentry.guard.redact import redact_line
from apisentry.sources.sniff import open_bytes

_RX = {
    "combined": (r'^(\S+) \S+ (\S+) \[([^\]]+)\] "([A-Z]{3,10}) (\S+)(?: [^"]*)?" (\d{3}) ',
                 ["ip", "usr", "ts", "method", "target", "status"], "%d/%b/%Y:%H:%M:%S %z"),
    "alb": (r'^(?:https?|h2|ws|wss) (\S+) \S+ ([\d.:a-f]+):\d+ \S+ \S+ \S+ \S+ (\d{3}|-) \S+ \d+ \d+ "([A-Z-]+) (\S+) [^"]*"',
            ["ts", "ip", "status", "method", "target"], None),
}


# Up to ten distinct callers per group in bounded state: the smallest address of each of ten hash
# buckets. `list(DISTINCT ip)` kept every (group, address) pair, so memory grew with the number of
# requests (416 MB at 1M lines, 756 MB at 4M, for the same 51k groups).
_CLIENT_BUCKETS = 10
_CLIENT_SAMPLE = ", ".join(f"min(m.ip) FILTER (WHERE hash(m.ip) % {_CLIENT_BUCKETS} = {k})"
                           for k in range(_CLIENT_BUCKETS))


def read_log(path: str, kind: str, report: ReadReport) -> list[Observation]:
    rx, names, tsfmt = _RX[kind]
    stream, compressed = open_bytes(path)  # by magic bytes: DuckDB goes by the name, and logs get renamed
    stream.close()
    fields = ", ".join(f"'{n}'" for n in names)
    ts = (f"try_strptime(m.ts, '{tsfmt}')" if tsfmt else "try_cast(m.ts AS TIMESTAMPTZ)")
    usr = "nullif(m.usr, '-')" if "usr" in names else "NULL"
    # For ALB the target is a full URL: keep the path and query only.
    target = ("regexp_replace(m.target, '^[a-z]+://[^/]+', '')" if kind == "alb" else "m.target")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET memory_limit = '1GB'")
    # One streaming pass: lines group as they are read, so memory follows the number of distinct
    # (method, path, status, user, set of query names) groups, not the number of lines; a second,
    # small aggregation folds the name sets. No DISTINCT aggregates: DuckDB's grew with the input
    # even when the distinct values did not. Unmatched lines form the group with an empty method.
    rows = con.execute(f"""
        WITH parsed AS (
          SELECT line, regexp_extract(line, $rx$, [{fields}]) AS m
          FROM read_csv(?, columns = {{'line': 'VARCHAR'}}, delim = chr(31), quote = '', escape = '',
                        header = false, auto_detect = false, strict_mode = false,
                        compression = '{"gzip" if compressed else "none"}')
          WHERE trim(line) <> ''),
        grouped AS (
          SELECT m.method AS method, split_part({target}, '?', 1) AS path,
                 try_cast(m.status AS INTEGER) AS status, {usr} AS usr,
                 list_sort(list_distinct(list_transform(
                     list_filter(string_split(split_part({target}, '?', 2), '&'), lambda x: x <> ''),
                     lambda x: split_part(x, '=', 1)))) AS names,
                 count(*) AS calls, min({ts}) AS first, max({ts}) AS last,
                 [{_CLIENT_SAMPLE}] AS ips, any_value(line) AS example
          FROM parsed
          GROUP BY ALL)
        SELECT method, path, status, usr, sum(calls), min(first), max(last),
               list_slice(list_distinct(flatten(list(ips))), 1, {_CLIENT_BUCKETS}),
               list_distinct(flatten(list(names))), any_value(example)
        FROM grouped
        GROUP BY ALL""".replace("$rx$", "'" + rx.replace("'", "''") + "'"), [path]).fetchall()
    con.close()
    out = []
    reason = "not an ALB log line" if kind == "alb" else f"not a {kind} log line"
    for method, p, status, user, calls, first, last, ips, qnames, example in rows:
        report.lines += int(calls)
        if not method:
            report.skipped[reason] += int(calls)
            # The line is shown so the user can find and fix it, but never with its credentials.
            report.examples.setdefault(reason, f"{path}:{_line_number(path, str(example))}: "
                                               f"{redact_line(str(example))[:120]}")
            continue
        o = Observation(method, p or "/", [(q, "") for q in qnames or []], status,
                        _utc(first), ips[0] if ips else None, user, "basic" if user else "unknown")
        o.count = int(calls)
        o.time_last = _utc(last)
        o.clients = list(ips or [])
        out.append(o)
    return out


def _utc(d: datetime | None) -> datetime | None:
    if d is None:
        return None
    return d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)


def _line_number(path: str, line: str) -> str:
    """Where an unreadable line is, found by its text: DuckDB's scan does not number lines, and
    comparing bytes is cheap enough to run only for files that have such lines."""
    want = line.encode("utf-8", "surrogateescape")
    stream, _ = open_bytes(path)
    with stream:
        for n, raw in enumerate(stream, 1):
            if raw.rstrip(b"\r\n") == want:
                return str(n)
    return "?"
