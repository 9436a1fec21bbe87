"""`apisentry api ...`: the inventory of endpoints from traffic."""

from __future__ import annotations

from io import StringIO
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from apisentry.cli.output import write_report
from apisentry.cli.stores import open_store
from apisentry.report.inventory_html import endpoint_label, inventory_html, several_hosts

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from apisentry.api.inventory import Endpoint
    from apisentry.api.traffic import Observation, ReadReport

api_app = typer.Typer(no_args_is_help=True, help="API visibility: the endpoints your traffic really uses.")
err = Console(stderr=True, soft_wrap=True)


def _from_store(db: str, report: ReadReport) -> Iterator[Observation]:
    from apisentry.api.json_logs import checked_record
    if not Path(db).is_file():
        # Reading a store must not create one where the user mistyped its name.
        report.skip("no such store", db)
        return
    with open_store(db) as s, s.session() as con:
        # In batches from a cursor of its own: a store of millions of calls is never all in memory.
        cur = con.execute("SELECT to_json(e) FROM events e WHERE cloud_provider = 'http'")
        while batch := cur.fetchmany(10_000):
            for (row,) in batch:
                report.lines += 1
                if (o := checked_record(orjson.loads(row), report, "guard event", db)) is not None:
                    yield o


@api_app.command()
def inventory(
    paths: Annotated[list[str] | None, typer.Argument(help="HAR files, access logs, JSON Lines, or folders.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Also read the guard's events from this store.")] = None,
    spec: Annotated[list[Path] | None, typer.Option("--spec", help="OpenAPI 3.x / Swagger 2 file (repeatable).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, openapi or html.")] = "table",
    input_format: Annotated[str, typer.Option("--input-format", help="auto, har, combined, alb, w3c or jsonl.")] = "auto",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file.")] = None,
    host: Annotated[list[str] | None, typer.Option("--host", help="Only calls to this host (repeatable); calls "
                                                   "whose source names no host are kept.")] = None,
) -> None:
    """Every endpoint your traffic uses; shadow, zombie and orphan APIs against the specs.

    Each endpoint is templated, with its parameters, auth, callers and sensitive data."""
    # Imported here: `apisentry` starts faster when a command does not need the inventory.
    from apisentry.api.inventory import build, load_specs
    from apisentry.api.reconstruct import reconstruct
    from apisentry.api.sources import INPUT_FORMATS, stream
    from apisentry.api.traffic import ReadReport
    from apisentry.guard.spec import SpecError, read_document

    if fmt not in ("table", "json", "openapi", "html"):
        err.print(f"[red]unknown format {escape(fmt)}: table, json, openapi or html[/red]")
        raise typer.Exit(2)
    if input_format not in INPUT_FORMATS:
        err.print(f"[red]unknown input format {escape(input_format)}: {', '.join(INPUT_FORMATS)}[/red]")
        raise typer.Exit(2)
    if not paths and not db:
        err.print("[red]give traffic files or --db[/red]")
        raise typer.Exit(2)
    try:
        specs = load_specs([str(s) for s in spec or []])
    except SpecError as e:
        err.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    report = ReadReport()
    obs = stream(paths or [], input_format, report)
    traffic: Iterable[Observation] = chain(obs, _from_store(db, report)) if db else obs
    if host:
        wanted = {h.lower() for h in host}
        traffic = (o for o in traffic if o.host is None or o.host in wanted)
    result = build(traffic, specs)
    if fmt == "openapi":
        base = read_document(spec[0]) if spec else None  # loaded once already: known to parse
        eps = _one_api(result["endpoints"], result["hosts"], bool(spec))
        data = orjson.dumps(reconstruct(eps, base), option=orjson.OPT_INDENT_2) + b"\n"
    elif fmt == "json":
        data = orjson.dumps({"endpoints": [e.to_dict() for e in result["endpoints"]], "findings": result["findings"]},
                            option=orjson.OPT_INDENT_2) + b"\n"
    elif fmt == "html":
        data = inventory_html(result["endpoints"], result["findings"], report).encode()
    else:
        data = _table(result).encode()
    write_report(data, out)
    calls = sum(e.calls for e in result["endpoints"])
    err.print(f"{_counted(report.lines, 'record')} read, {_counted(calls, 'call')}, "
              f"{_counted(len(result['endpoints']), 'endpoint')}, {_counted(len(result['findings']), 'finding')}")
    if report.ignored:
        err.print("[dim]left out, no API calls: "
                  + escape(report.left_out()) + "[/dim]")
    for reason, n in report.skipped.most_common():
        err.print(f"[yellow]skipped {n}: {escape(reason)} (first at {escape(report.examples[reason])})[/yellow]")
    if report.skipped:
        raise typer.Exit(1)


def _one_api(endpoints: list[Endpoint], hosts: list[str], with_spec: bool) -> list[Endpoint]:
    """What goes into one OpenAPI document. With a spec: the endpoints it does not document, on the
    hosts it serves. Without: those of the busiest host (`hosts`, busiest first, from `build`), as
    one capture often holds several APIs (the app's own beside fonts, analytics, a payment provider)."""
    if with_spec:
        return [e for e in endpoints if e.in_spec is False]
    if len(hosts) < 2:
        return list(endpoints)
    main = hosts[0]
    err.print(f"[dim]openapi: the API at {escape(main)}; left out the endpoints of "
              f"{escape(', '.join(hosts[1:]))}[/dim]")
    return [e for e in endpoints if e.host in (None, main)]


def _table(result: dict[str, Any]) -> str:
    hosts = several_hosts(result["endpoints"])
    buf = StringIO()
    con = Console(file=buf, width=170)
    if not result["endpoints"]:
        con.print("No API calls found.")  # an empty table reads like a broken one
    t = Table("method", "endpoint", "calls", "status", "auth", "sensitive", "in spec")
    for e in result["endpoints"]:
        d = e.to_dict()
        t.add_row(d["method"], escape(endpoint_label(d, hosts)) + _graphql_line(d), str(d["calls"]), " ".join(d["status_codes"]), ",".join(d["auth"]),
                  ",".join(sorted(set(d["sensitive"]["receives"]) | set(d["sensitive"]["returns"]))),
                  "" if d["in_spec"] is None else ("yes" if d["in_spec"] else "NO"))
    if result["endpoints"]:
        con.print(t)
    if not result["findings"]:
        con.print("No findings.")
        return buf.getvalue()
    f = Table("severity", "category", "finding", "method", "endpoint", "detail")
    for x in result["findings"]:
        f.add_row(x["severity"], x["category"], escape(x["title"]), x["method"] or "", escape(endpoint_label(x, hosts)),
                  escape(x["detail"]))
    con.print(f)
    return buf.getvalue()


def _counted(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _graphql_line(d: dict[str, Any], shown: int = 5) -> str:
    """A GraphQL endpoint's busiest operations, under its path: the path alone is the whole API."""
    ops = (d.get("graphql") or {}).get("operations") or {}
    if not ops:
        return ""
    top = ", ".join(f"{escape(k)}×{n}" for k, n in list(ops.items())[:shown])
    return f"\n[dim]{top}{f' and {len(ops) - shown} more' if len(ops) > shown else ''}[/dim]"
