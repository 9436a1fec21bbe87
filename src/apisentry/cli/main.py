"""apisentry command line. Thin: parse, call a capability, render, set the exit status."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from apisentry import __version__
from apisentry.cli.api import api_app
from apisentry.cli.guard import guard_app
from apisentry.cli.iam import iam_app
from apisentry.cli.stores import open_store
from apisentry.detect.engine import detect as run_detect
from apisentry.detect.rules import Rule, RuleError, builtin_rules
from apisentry.ingest import IngestReport
from apisentry.ingest import ingest as run_ingest
from apisentry.report import render
from apisentry.sources.problems import InputProblem
from apisentry.sources.raw_records import fill_raw
from apisentry.sources.sniff import FORMATS
from apisentry.store import Store
from apisentry.store.duckdb_store import DEFAULT_DB

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="How safe are our APIs, and who is abusing them right now?")
err = Console(stderr=True)
app.add_typer(guard_app, name="guard")
app.add_typer(iam_app, name="iam")
app.add_typer(api_app, name="api")


class OutFormat(StrEnum):
    table = "table"
    json = "json"
    ocsf = "ocsf"
    html = "html"


class InFormat(StrEnum):
    auto = "auto"
    cloudtrail = "cloudtrail"
    gcp = "gcp"
    azure = "azure"


assert {f.value for f in InFormat} == set(FORMATS)

DbOpt = Annotated[str, typer.Option("--db", help="DuckDB file holding events and findings.")]
OutFmtOpt = Annotated[OutFormat, typer.Option("--format", help="Output format.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the report to this file.")]


def _ingest(store: Store, paths: list[str], fmt: str) -> IngestReport:
    if sys.stderr.isatty():
        with Progress(TextColumn("ingesting"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("ingest", total=None)
            return run_ingest(store, paths, fmt, lambda done, total: bar.update(task, completed=done, total=total))
    return run_ingest(store, paths, fmt)


def _say_ingest(report: IngestReport) -> None:
    err.print(f"ingested {report.events_added:,} new event(s) from {report.files_read} file(s)"
              + (f", {report.files_skipped_unchanged} unchanged file(s) skipped" if report.files_skipped_unchanged else "")
              + (f", {report.duplicates_dropped:,} duplicate(s) dropped" if report.duplicates_dropped else ""),
              highlight=False)
    for p in report.problems:
        # File names and record text are user data: never let them act as rich markup.
        err.print(f"[yellow]skipped[/yellow] {escape(str(p))}", highlight=False, soft_wrap=True)


def _emit(store: Store, fmt: OutFormat, out: Path | None) -> None:
    findings = store.findings()
    if fmt is OutFormat.table:
        if out is None:
            render.print_table(findings, Console(width=None if sys.stdout.isatty() else 180))
        else:
            with out.open("w", encoding="utf-8") as f:
                render.print_table(findings, Console(file=f, width=180, color_system=None))
            err.print(f"wrote {len(findings)} finding(s) to {out}", highlight=False, markup=False)
        return
    text = {OutFormat.json: render.to_json, OutFormat.ocsf: render.to_ocsf, OutFormat.html: render.to_html}[fmt](findings)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n", encoding="utf-8")
        err.print(f"wrote {len(findings)} finding(s) to {out}", highlight=False, markup=False)


def _rules(sigma: str | None) -> list[Rule]:
    try:
        rules = builtin_rules()
    except RuleError as e:
        err.print(f"[red]rule pack is broken:[/red] {escape(str(e))}")
        raise typer.Exit(2) from e
    if sigma:
        from apisentry.detect.sigma_loader import load_sigma  # pySigma: loaded only when asked for

        if not Path(sigma).is_dir():
            err.print(f"[red]--sigma {escape(sigma)}: not a directory[/red]")
            raise typer.Exit(2)
        load = load_sigma(sigma)
        for folder, (ok, bad) in load.per_folder(sigma).items():
            err.print(f"sigma {folder}: {ok} loaded, {bad} unsupported", highlight=False, markup=False)
        for path, why in load.unsupported:
            err.print(f"  unsupported {path}: {why}", highlight=False, soft_wrap=True, markup=False)
        rules += load.loaded
    return rules


def _say_unread(problems: list[InputProblem]) -> None:
    for p in problems:
        err.print(f"[yellow]raw records[/yellow] {escape(str(p))}", highlight=False, soft_wrap=True)


def _detect(store: Store, sigma: str | None) -> None:
    report = run_detect(store, _rules(sigma))
    _say_unread(report.problems)
    for rule_id, why in report.failed:
        err.print(f"[red]rule {escape(rule_id)} failed:[/red] {escape(why)}")
    err.print(f"ran {report.rules_run} rule(s): {report.findings} finding(s)", highlight=False)


@app.command()
def analyze(paths: Annotated[list[str], typer.Argument(help="Log files or directories.")],
            db: DbOpt = DEFAULT_DB, format: OutFmtOpt = OutFormat.table, out: OutOpt = None,
            input_format: Annotated[InFormat, typer.Option("--input-format", help="Force the log format.")]
            = InFormat.auto,
            sigma: Annotated[str | None, typer.Option("--sigma", help="Also run SigmaHQ rules from DIR.")]
            = None) -> None:
    """Ingest, detect and report in one step."""
    with open_store(db) as store:
        report = _ingest(store, paths, input_format.value)
        _say_ingest(report)
        _detect(store, sigma)
        _emit(store, format, out)
    if report.problems:
        raise typer.Exit(1)


@app.command()
def ingest(paths: Annotated[list[str], typer.Argument(help="Log files or directories.")],
           db: DbOpt = DEFAULT_DB,
           format: Annotated[InFormat, typer.Option("--format", help="Force the log format.")] = InFormat.auto
           ) -> None:
    """Store audit-log events (CloudTrail, GCP audit, Azure activity) in the database."""
    with open_store(db) as store:
        report = _ingest(store, paths, format.value)
    _say_ingest(report)
    if report.problems:
        raise typer.Exit(1)


@app.command()
def detect(db: DbOpt = DEFAULT_DB,
           sigma: Annotated[str | None, typer.Option("--sigma", help="Also run SigmaHQ rules from DIR.")]
           = None) -> None:
    """Run the built-in rule pack (and Sigma rules) over stored events."""
    with open_store(db) as store:
        _detect(store, sigma)


@app.command()
def findings(db: DbOpt = DEFAULT_DB, format: OutFmtOpt = OutFormat.table, out: OutOpt = None) -> None:
    """Show stored findings."""
    with open_store(db) as store:
        _emit(store, format, out)


@app.command()
def export(db: DbOpt = DEFAULT_DB,
           parquet: Annotated[Path, typer.Option("--parquet", help="Directory for Parquet files.")]
           = Path("events-parquet")) -> None:
    """Write events as Parquet, partitioned by date."""
    with open_store(db) as store:
        # Parquet is the interchange copy: it carries each event's original record.
        _say_unread(fill_raw(store))
        n = store.export_parquet(str(parquet))
    err.print(f"exported {n:,} event(s) to {parquet}/date=*/", highlight=False, markup=False)


@app.command()
def rules(test: Annotated[bool, typer.Option("--test", help="Run every rule's embedded tests.")] = False
          ) -> None:
    """List the built-in rules, or prove them with their embedded tests."""
    from apisentry.detect.testing import run_rule_tests

    pack = _rules(None)
    if not test:
        for r in pack:
            sys.stdout.write(f"{r.id}\t{r.severity}\t{','.join(r.techniques)}\t{r.title}\n")
        return
    failed = 0
    for r in pack:
        for result in run_rule_tests(r):
            if not result.ok:
                failed += 1
                err.print(f"[red]FAIL[/red] {r.id}: {result.test}: {result.detail}")
    total = sum(len(r.tests) for r in pack)
    sys.stdout.write(f"{total - failed} passed, {failed} failed\n")
    if failed:
        raise typer.Exit(1)


@app.callback(invoke_without_command=True)
def _main(version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False) -> None:
    if version:
        sys.stdout.write(f"apisentry {__version__}\n")
        raise typer.Exit(0)


if __name__ == "__main__":
    app()
