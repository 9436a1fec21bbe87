"""`apisentry iam ...`: least privilege for cloud identities."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from apisentry.cli.output import write_report
from apisentry.cli.stores import open_store
from apisentry.iam.analysis import analyze as run_analyze
from apisentry.iam.analysis import blast_radius
from apisentry.iam.authz import (
    Account,
    AuthzError,
    load_authz,
    load_inventory,
    load_resource_policies,
    load_scps,
)
from apisentry.iam.paths import Analyzer
from apisentry.iam.simulate import CaseError, run_cases
from apisentry.report.render import POLICY_META

iam_app = typer.Typer(no_args_is_help=True, help="IAM: evaluate policies the way AWS does.")
err = Console(stderr=True, soft_wrap=True)


def _load(path: Path, what: str) -> object:
    try:
        return json.loads(path.read_text())
    except OSError as e:
        err.print(f"[red]{escape(str(path))}: cannot read: {escape(e.strerror or str(e))}[/red]")
    except ValueError as e:
        err.print(f"[red]{escape(str(path))}: {what} is not JSON: {escape(str(e))}[/red]")
    raise typer.Exit(2)


@iam_app.command()
def simulate(
    cases: Annotated[Path | None, typer.Option("--cases", help="JSON array of evaluation cases.")] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="Caller ARN (single-case form).")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. s3:GetObject")] = None,
    resource: Annotated[str, typer.Option("--resource", help="Resource ARN.")] = "*",
    policy: Annotated[list[Path] | None, typer.Option("--policy", help="Identity policy JSON (repeatable).")] = None,
    resource_policy: Annotated[Path | None, typer.Option("--resource-policy", help="Resource policy JSON.")] = None,
    boundary: Annotated[list[Path] | None, typer.Option("--boundary", help="Permission boundary JSON.")] = None,
    context: Annotated[list[str] | None, typer.Option("--context", help="Condition key=value (repeatable).")] = None,
) -> None:
    """Decide each request the way AWS does, with the statements that decided it.

    Prints Allowed, ImplicitlyDenied or ExplicitlyDenied for each case."""
    if cases is not None:
        batch = _load(cases, "the cases file")
    elif principal and action:
        ctx: dict[str, list[str]] = {}
        for kv in context or []:
            k, sep, v = kv.partition("=")
            if not sep:
                err.print(f"[red]--context {escape(kv)}: expected key=value[/red]")
                raise typer.Exit(2)
            ctx.setdefault(k, []).append(v)
        batch = [{"name": "cli", "request": {"principal": principal, "action": action, "resource": resource,
                                             "context": {k: v[0] if len(v) == 1 else v for k, v in ctx.items()}},
                  "identity_policies": [_load(p, "the policy") for p in policy or []],
                  "resource_policy": _load(resource_policy, "the resource policy") if resource_policy else None,
                  "permission_boundaries": [_load(p, "the boundary") for p in boundary or []]}]
    else:
        err.print("[red]give --cases FILE, or --principal and --action[/red]")
        raise typer.Exit(2)
    try:
        results = run_cases(batch)
    except CaseError as e:
        err.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    sys.stdout.buffer.write(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    bad = [r for r in results if "error" in r]
    for r in bad:
        err.print(f"[yellow]{escape(str(r['error']))}[/yellow]")
    if bad:
        raise typer.Exit(1)


@iam_app.command()
def analyze(
    authz: Annotated[Path, typer.Argument(help="Output of `aws iam get-account-authorization-details`.")],
    resource_policies: Annotated[Path | None, typer.Option("--resource-policies", help="Folder of {arn, policy} JSON files.")] = None,
    scps: Annotated[Path | None, typer.Option("--scps", help="SCPs per organization level, root first (JSON).")] = None,
    rcps: Annotated[Path | None, typer.Option("--rcps", help="RCPs per organization level, root first (JSON).")] = None,
    inventory: Annotated[Path | None, typer.Option("--inventory", help="Existing resources: [{arn, service, role}].")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json or html.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this file.")] = None,
) -> None:
    """Over-permissive grants, privilege-escalation paths and every principal's blast radius.

    Also admin equivalence, risky trust and unrestricted sensitive permissions."""
    if format not in ("table", "json", "html"):
        err.print(f"[red]unknown format {escape(format)}: table, json or html[/red]")
        raise typer.Exit(2)
    account = _account(authz)
    try:
        if scps:
            load_scps(scps, account)
        if rcps:
            load_scps(rcps, account, "RCP")
        if inventory:
            load_inventory(inventory, account)
        if resource_policies:
            load_resource_policies(resource_policies, account)
    except AuthzError as e:
        err.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    report = run_analyze(account)
    if format == "json":
        data = orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n"
    elif format == "html":
        data = _html(report).encode()
    else:
        data = _table(report).encode()
    write_report(data, out)
    for p in report["problems"]:
        err.print(f"[yellow]{escape(p)}[/yellow]")
    if report["problems"]:
        raise typer.Exit(1)


@iam_app.command("blast-radius")
def blast_radius_cmd(
    arn: Annotated[str, typer.Argument(help="The principal's ARN.")],
    authz: Annotated[Path, typer.Option("--authz", help="Output of `aws iam get-account-authorization-details`.")],
) -> None:
    """If this identity is stolen, what can the attacker reach? (JSON)"""
    account = _account(authz)
    p = account.principals.get(arn)
    if p is None:
        err.print(f"[red]{escape(arn)} is not a user or role in {escape(str(authz))}[/red]")
        raise typer.Exit(2)
    an = Analyzer(account)
    sys.stdout.buffer.write(orjson.dumps({"arn": arn, "admin": an.is_admin(p), **blast_radius(account, an, p)},
                                         option=orjson.OPT_INDENT_2) + b"\n")


@iam_app.command()
def rightsize(
    arn: Annotated[str, typer.Argument(help="The principal's ARN.")],
    authz: Annotated[Path, typer.Option("--authz", help="Output of `aws iam get-account-authorization-details`.")],
    db: Annotated[str, typer.Option("--db", help="Store with the principal's CloudTrail events.")] = "apisentry.duckdb",
    days: Annotated[int, typer.Option("--days", help="Look back this many days from the newest event.")] = 90,
) -> None:
    """A least-privilege policy from what the principal really did, and the diff to today's."""
    from apisentry.iam.usage import rightsize as run_rightsize
    account = _account(authz)
    if arn not in account.principals:
        err.print(f"[red]{escape(arn)} is not a user or role in {escape(str(authz))}[/red]")
        raise typer.Exit(2)
    if not Path(db).exists():
        err.print(f"[red]{escape(db)}: no such store (ingest CloudTrail with `apisentry ingest` first)[/red]")
        raise typer.Exit(2)
    with open_store(db) as store:
        r = run_rightsize(account, store, arn, days)
    sys.stdout.buffer.write(orjson.dumps(r.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    err.print(f"{r.events} events: {len(r.used)} action(s) used of {r.granted} granted; {len(r.unused)} unused, "
              f"{len(r.unknown)} unknown (the logs cannot show them)")


def _account(authz: Path) -> Account:
    try:
        return load_authz(authz)
    except AuthzError as e:
        err.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e


def _table(report: dict[str, object]) -> str:
    from io import StringIO

    from rich.table import Table

    buf = StringIO()
    con = Console(file=buf, width=160)
    t = Table("principal", "admin", "score", "actions", "reachable", title=f"account {report['account']}")
    for p in report["principals"]:  # type: ignore[attr-defined]
        br = p["blast_radius"]
        t.add_row(escape(p["arn"]), "yes" if p["admin"] else "", str(br["score"]), str(br["actions"]),
                  str(len(br["reachable_principals"])))
    con.print(t)
    f = Table("severity", "kind", "principal", "finding", "path", "target")
    for x in report["findings"]:  # type: ignore[attr-defined]
        f.add_row(x["severity"], x["kind"], escape(x["principal"]), escape(x["title"]), x["path_id"] or "",
                  escape(x["target"] or ""))
    con.print(f)
    return buf.getvalue()


def _html(report: dict[str, object]) -> str:
    from html import escape as h

    rows = "".join(f"<tr><td>{h(x['severity'])}</td><td>{h(x['kind'])}</td><td>{h(x['principal'])}</td>"
                   f"<td>{h(x['title'])}</td><td>{h(x['path_id'] or '')}</td><td>{h(x['target'] or '')}</td>"
                   f"<td>{h(', '.join(x['permissions']))}</td></tr>" for x in report["findings"])  # type: ignore[attr-defined]
    prows = "".join(f"<tr><td>{h(p['arn'])}</td><td>{'yes' if p['admin'] else ''}</td>"
                    f"<td>{p['blast_radius']['score']}</td><td>{p['blast_radius']['actions']}</td></tr>"
                    for p in report["principals"])  # type: ignore[attr-defined]
    return (f"<!doctype html><meta charset=utf-8>{POLICY_META}<title>apisentry IAM report</title>"
            "<style>body{font-family:sans-serif}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}</style>"
            f"<h1>IAM analysis of account {h(str(report['account']))}</h1>"
            f"<h2>Principals</h2><table><tr><th>principal</th><th>admin</th><th>score</th><th>actions</th></tr>{prows}</table>"
            f"<h2>Findings</h2><table><tr><th>severity</th><th>kind</th><th>principal</th><th>finding</th><th>path</th>"
            f"<th>target</th><th>permissions</th></tr>{rows}</table>")
